/*
 * The loader simulation (ldso.c) driven with an in-memory tree: struct
 * elf_info values built by hand, a lookup callback over a table of
 * absolute paths, and an unresolved callback that records every miss.
 *
 * The reference is glibc's elf/dl-load.c and dl-deps.c (libtree agrees on
 * every case below but the breadth-first one, where libtree walks depth
 * first and glibc does not). Where it is cheap the real loader is asked at
 * test time: $LIB, $PLATFORM and $ORIGIN expansion are compared with what
 * LD_DEBUG=libs prints for a cc-built executable.
 */
#include "testlib.h"

/* -Isrc makes <elf.h> our src/elf.h: name the system's by its directory */
#include <elf.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldso.h"

/* the end of add()'s list of needed names: a typed null pointer for varargs */
#define END ((const char *)NULL)
#include "strmap.h"

#define ROOT "/opt/sw"
#define MAX_NODES 160

struct node {
	char *path;                 /* absolute */
	struct elf_info elf;
	struct ldso_object obj;
	char *needed[16];
	struct node *alias;         /* a symlink to this node */
	int outside;                /* lookups say it resolves outside the tree */
};

struct miss {
	char *req, *name, *rule, *why, *root;
};

struct world {
	struct node nodes[MAX_NODES];
	size_t nr;
	struct strbuf lookups;      /* every path looked up, one a line */
	struct miss misses[256];
	size_t nr_misses;
	struct ldso_env env;
	struct strmap seen;
};

/* An independent lexical normaliser for the fake file system. */
static void fake_normalize(const char *path, struct strbuf *out)
{
	const char *p = path;

	strbuf_reset(out);
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 2 && !strncmp(p, "..", 2)) {
			char *s = strrchr(out->buf, '/');
			strbuf_setlen(out, s ? (size_t)(s - out->buf) : 0);
		} else if (n && !(n == 1 && *p == '.')) {
			strbuf_addch(out, '/');
			strbuf_add(out, p, n);
		}
		p += n + (end ? 1 : 0);
		if (!end)
			break;
	}
	if (!out->len)
		strbuf_addch(out, '/');
}

static const struct ldso_object *fake_lookup(void *ctx, const char *path, int cls,
					     unsigned machine, enum ldso_miss *why)
{
	struct world *w = ctx;
	struct strbuf norm = STRBUF_INIT;
	size_t i;

	assert_true(path[0] == '/');
	strbuf_addf(&w->lookups, "%s\n", path);
	fake_normalize(path, &norm);
	*why = LDSO_MISSING;
	for (i = 0; i < w->nr; i++) {
		struct node *n = &w->nodes[i];

		if (strcmp(n->path, norm.buf))
			continue;
		while (n->alias)
			n = n->alias;
		strbuf_release(&norm);
		if (n->outside) {
			*why = LDSO_OUTSIDE;
			return NULL;
		}
		if (n->elf.cls != cls || n->elf.machine != machine) {
			*why = LDSO_WRONG_CLASS;
			return NULL;
		}
		return &n->obj;
	}
	strbuf_release(&norm);
	return NULL;
}

static void fake_unresolved(void *ctx, const struct ldso_object *requester,
			    const char *needed, enum rule_id rule, const char *why,
			    const struct ldso_object *root)
{
	struct world *w = ctx;
	struct miss *m;

	assert_true(w->nr_misses < sizeof(w->misses) / sizeof(w->misses[0]));
	m = &w->misses[w->nr_misses++];
	m->req = xstrdup(requester->rel);
	m->name = xstrdup(needed);
	m->rule = xstrdup(rules[rule].id);
	m->why = xstrdup(why ? why : "");
	m->root = xstrdup(root->rel);
}

static size_t nr_allow_default(void)
{
	size_t n = 0;

	while (ldso_default_allow[n])
		n++;
	return n;
}

static int setup(void **state)
{
	struct world *w = xcalloc(1, sizeof(*w));

	strbuf_init(&w->lookups);
	strmap_init(&w->seen);
	w->env.root = ROOT;
	w->env.allow = (char *const *)ldso_default_allow;
	w->env.nr_allow = nr_allow_default();
	w->env.lookup = fake_lookup;
	w->env.unresolved = fake_unresolved;
	w->env.ctx = w;
	*state = w;
	return 0;
}

static void clear_misses(struct world *w)
{
	size_t i;

	for (i = 0; i < w->nr_misses; i++) {
		free(w->misses[i].req);
		free(w->misses[i].name);
		free(w->misses[i].rule);
		free(w->misses[i].why);
		free(w->misses[i].root);
	}
	w->nr_misses = 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	size_t i;

	clear_misses(w);
	for (i = 0; i < w->nr; i++)
		free(w->nodes[i].path);
	strbuf_release(&w->lookups);
	strmap_release(&w->seen);
	free(w);
	return 0;
}

/*
 * Adds an ELF object at `rel` (relative to ROOT, or absolute for objects
 * outside the tree) needing the NULL-terminated list of names.
 */
static struct node *add(struct world *w, const char *rel, const char *soname,
			const char *rpath, const char *runpath, ...)
{
	struct node *n;
	const char *name;
	va_list ap;

	assert_true(w->nr < MAX_NODES);
	n = &w->nodes[w->nr++];
	n->path = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", ROOT, rel);
	n->obj.rel = rel[0] == '/' ? n->path : n->path + strlen(ROOT) + 1;
	n->obj.elf = &n->elf;
	n->elf.cls = ELFCLASS64;
	n->elf.data = ELFDATA2LSB;
	n->elf.machine = EM_X86_64;
	n->elf.type = ET_DYN;
	n->elf.dynamic = 1;
	n->elf.soname = (char *)soname;
	n->elf.rpath = (char *)rpath;
	n->elf.runpath = (char *)runpath;
	n->elf.needed = n->needed;
	va_start(ap, runpath);
	while ((name = va_arg(ap, const char *))) {
		assert_true(n->elf.nr_needed < 16);
		n->needed[n->elf.nr_needed++] = (char *)name;
	}
	va_end(ap);
	return n;
}

/* A symlink `rel` in the tree to the object `to`. */
static void alias(struct world *w, const char *rel, struct node *to)
{
	struct node *n = add(w, rel, NULL, NULL, NULL, END);

	n->alias = to;
}

static size_t resolve(struct world *w, struct node *root)
{
	return ldso_resolve(&w->env, &root->obj, &w->seen);
}

static size_t misses_of(const struct world *w, const char *req, const char *name,
			const char *rule)
{
	size_t i, n = 0;

	for (i = 0; i < w->nr_misses; i++)
		n += (!req || !strcmp(w->misses[i].req, req)) &&
		     (!name || !strcmp(w->misses[i].name, name)) &&
		     (!rule || !strcmp(w->misses[i].rule, rule));
	return n;
}

static void dump(const struct world *w)
{
	size_t i;

	for (i = 0; i < w->nr_misses; i++)
		print_message("#   miss %s: %s needs %s (%s) [root %s]\n", w->misses[i].rule,
			      w->misses[i].req, w->misses[i].name, w->misses[i].why,
			      w->misses[i].root);
}

static void no_misses(const struct world *w)
{
	if (w->nr_misses)
		dump(w);
	assert_int_equal(w->nr_misses, 0);
}

static int looked_up(const struct world *w, const char *path)
{
	size_t n = strlen(path);
	const char *p = w->lookups.buf;

	/* whole lines only */
	while ((p = strstr(p, path))) {
		if ((p == w->lookups.buf || p[-1] == '\n') && p[n] == '\n')
			return 1;
		p++;
	}
	return 0;
}

/* ---- search order ---------------------------------------------------- */

static void ldso_resolve__rpath_of_the_loader_is_inherited(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib", NULL, "libA.so", END);

	add(w, "lib/libA.so", "libA.so", NULL, NULL, "libB.so", END);
	add(w, "lib/libB.so", "libB.so", NULL, NULL, "libC.so", END);
	add(w, "lib/libC.so", "libC.so", NULL, NULL, END);
	/* libC is found through exe's RPATH two loaders up */
	assert_int_equal(resolve(w, exe), 3);
	no_misses(w);
	assert_true(looked_up(w, ROOT "/bin/../lib/libC.so"));
}

static void ldso_resolve__rpath_of_the_object_comes_before_its_loaders(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib:$ORIGIN/../first", NULL,
			       "libA.so", END);

	add(w, "lib/libA.so", "libA.so", "$ORIGIN/../second", NULL, "libB.so", END);
	/* two libB: which one was loaded shows in what it needs */
	add(w, "first/libB.so", "libB.so", NULL, NULL, "libfrom-first.so", END);
	add(w, "second/libB.so", "libB.so", NULL, NULL, "libfrom-second.so", END);
	assert_int_equal(resolve(w, exe), 2);
	assert_int_equal(misses_of(w, "second/libB.so", "libfrom-second.so", "needed-unresolved"), 1);
	assert_int_equal(misses_of(w, "first/libB.so", NULL, NULL), 0);
	assert_false(looked_up(w, ROOT "/bin/../first/libB.so"));
}

static void ldso_resolve__runpath_is_used_for_the_object_itself(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, NULL, "$ORIGIN/../lib", "libA.so", END);

	add(w, "lib/libA.so", "libA.so", NULL, "$ORIGIN/sub", "libB.so", END);
	add(w, "lib/sub/libB.so", "libB.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 2);
	no_misses(w);
}

static void ldso_resolve__runpath_is_not_inherited_by_dependencies(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, NULL, "$ORIGIN/../lib", "libA.so", END);

	add(w, "lib/libA.so", "libA.so", NULL, NULL, "libB.so", END);
	add(w, "lib/libB.so", "libB.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 1);
	assert_int_equal(w->nr_misses, 1);
	assert_int_equal(misses_of(w, "lib/libA.so", "libB.so", "needed-unresolved"), 1);
	assert_string_equal(w->misses[0].root, "bin/exe");
	assert_false(looked_up(w, ROOT "/bin/../lib/libB.so"));
}

/* glibc drops DT_RPATH when DT_RUNPATH is present (dynamic-link.h). */
static void ldso_resolve__rpath_is_ignored_when_runpath_is_present(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../rp", "$ORIGIN/../lib",
			       "libonly-in-rp.so", "libonly-in-lib.so", END);

	add(w, "rp/libonly-in-rp.so", "libonly-in-rp.so", NULL, NULL, END);
	add(w, "lib/libonly-in-lib.so", "libonly-in-lib.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 1);
	assert_int_equal(w->nr_misses, 1);
	assert_int_equal(misses_of(w, "bin/exe", "libonly-in-rp.so", "needed-unresolved"), 1);
	assert_false(looked_up(w, ROOT "/bin/../rp/libonly-in-rp.so"));
}

static void ldso_resolve__loader_with_runpath_lends_no_rpath(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../rp", "$ORIGIN/../lib",
			       "libA.so", END);

	add(w, "lib/libA.so", "libA.so", NULL, NULL, "libB.so", END);
	add(w, "rp/libB.so", "libB.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 1);
	assert_int_equal(misses_of(w, "lib/libA.so", "libB.so", "needed-unresolved"), 1);
}

static void ldso_resolve__loader_with_only_rpath_lends_it(void **state)
{
	struct world *w = *state;
	/* the same tree as above without the RUNPATH: now libB is found */
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../rp:$ORIGIN/../lib", NULL,
			       "libA.so", END);

	add(w, "lib/libA.so", "libA.so", NULL, NULL, "libB.so", END);
	add(w, "rp/libB.so", "libB.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 2);
	no_misses(w);
}

/* An object with RUNPATH does not search its loaders' RPATH either. */
static void ldso_resolve__object_with_runpath_ignores_loader_rpath(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib:$ORIGIN/../rp", NULL,
			       "libA.so", END);

	add(w, "lib/libA.so", "libA.so", NULL, "$ORIGIN/nothing-here", "libB.so", END);
	add(w, "rp/libB.so", "libB.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 1);
	assert_int_equal(misses_of(w, "lib/libA.so", "libB.so", "needed-unresolved"), 1);
}

/*
 * glibc maps the dependencies breadth first (dl-deps.c): the root's own
 * DT_NEEDED are all loaded, with the root's RUNPATH, before libA's are
 * looked at; libA's need of libB is then met by the libB already loaded.
 * (Checked with a cc-built exe: RUNPATH $ORIGIN/lib, NEEDED libA libB,
 * libA NEEDED libB without any path: it runs.)
 */
static void ldso_resolve__sibling_loaded_by_the_root_satisfies_a_dependency(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, NULL, "$ORIGIN/../lib",
			       "libA.so", "libB.so", END);

	add(w, "lib/libA.so", "libA.so", NULL, NULL, "libB.so", END);
	add(w, "lib/libB.so", "libB.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 2);
	no_misses(w);
}

/* ---- names already loaded -------------------------------------------- */

static void ldso_resolve__loaded_names_and_sonames_are_not_searched_again(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib", NULL,
			       "libalias.so", "libB.so", END);

	/* loaded as libalias.so, its SONAME is libreal.so.2 */
	add(w, "lib/libalias.so", "libreal.so.2", NULL, NULL, END);
	/* libB has no search path at all: both names must already be loaded */
	add(w, "lib/libB.so", "libB.so", NULL, NULL, "libreal.so.2", "libalias.so", END);
	assert_int_equal(resolve(w, exe), 2);
	no_misses(w);
	assert_false(looked_up(w, ROOT "/bin/../lib/libreal.so.2"));
}

static void ldso_resolve__root_soname_counts_as_loaded(void **state)
{
	struct world *w = *state;
	/* no file is named libself.so.1: searching for it would miss */
	struct node *root = add(w, "lib/libself.so", "libself.so.1", NULL, "$ORIGIN",
				"libdep.so", END);

	add(w, "lib/libdep.so", NULL, NULL, "$ORIGIN", "libself.so.1", END);
	assert_int_equal(resolve(w, root), 1);
	no_misses(w);
}

/* ---- allowlist -------------------------------------------------------- */

static void ldso_allowed__default_list_is_glibc_and_the_toolchain(void **state)
{
	struct world *w = *state;
	static const char *const yes[] = {
		"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
		"libresolv.so.2", "ld-linux-x86-64.so.2", "libgcc_s.so.1", "libstdc++.so.6",
		"libcrypt.so.1", "linux-vdso.so.1",
	};
	static const char *const no[] = {
		"libc.so", "libcrypto.so.3", "libcurl.so.4", "libmunge.so.2", "libjson-c.so.5",
		"libhwloc.so.15", "xlibc.so.6", "libstdc++.so", "",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!ldso_allowed(&w->env, yes[i]))
			print_message("# not allowed: %s\n", yes[i]);
		assert_true(ldso_allowed(&w->env, yes[i]));
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		if (ldso_allowed(&w->env, no[i]))
			print_message("# allowed: %s\n", no[i]);
		assert_false(ldso_allowed(&w->env, no[i]));
	}
}

static void ldso_allowed__custom_fnmatch_patterns(void **state)
{
	struct world *w = *state;
	char *pats[] = { (char *)"libmunge.so.*", (char *)"lib[xy]z.so.[0-9]" };

	w->env.allow = pats;
	w->env.nr_allow = 2;
	assert_true(ldso_allowed(&w->env, "libmunge.so.2"));
	assert_true(ldso_allowed(&w->env, "libxz.so.5"));
	assert_true(ldso_allowed(&w->env, "libyz.so.1"));
	assert_false(ldso_allowed(&w->env, "libzz.so.1"));
	assert_false(ldso_allowed(&w->env, "libxz.so.10"));
	assert_false(ldso_allowed(&w->env, "libc.so.6"));
	w->env.nr_allow = 0;
	assert_false(ldso_allowed(&w->env, "libmunge.so.2"));
}

static void ldso_resolve__allowed_system_libraries_are_not_misses(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, NULL, NULL,
			       "libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1",
			       "libmunge.so.2", END);

	assert_int_equal(resolve(w, exe), 0);
	assert_int_equal(w->nr_misses, 1);
	assert_int_equal(misses_of(w, "bin/exe", "libmunge.so.2", "needed-unresolved"), 1);
	/* nothing to search: no path was looked up */
	assert_int_equal(w->lookups.len, 0);
}

static void ldso_resolve__tree_copy_wins_over_the_allowlist(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib", NULL, "libstdc++.so.6", END);

	/* a grafted libstdc++ is loaded from the tree, and its needs are checked */
	add(w, "lib/libstdc++.so.6", "libstdc++.so.6", NULL, NULL, "libgrafted-dep.so", END);
	assert_int_equal(resolve(w, exe), 1);
	assert_int_equal(misses_of(w, "lib/libstdc++.so.6", "libgrafted-dep.so", NULL), 1);
}

/* ---- DT_NEEDED with a slash ------------------------------------------ */

static void ldso_resolve__relative_needed_path_is_reported(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib", NULL,
			       "lib/libA.so", "./libB.so", "../lib/libC.so", END);

	add(w, "lib/libA.so", "libA.so", NULL, NULL, END);
	add(w, "bin/libB.so", "libB.so", NULL, NULL, END);
	add(w, "lib/libC.so", "libC.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 0);
	assert_int_equal(misses_of(w, "bin/exe", NULL, "needed-relative-path"), 3);
	assert_int_equal(w->nr_misses, 3);
}

static void ldso_resolve__absolute_needed_outside_is_reported(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, NULL, NULL,
			       "/usr/lib/x86_64-linux-gnu/libfoo.so.1", "/build/prefix/lib/libbar.so", END);

	assert_int_equal(resolve(w, exe), 0);
	assert_int_equal(misses_of(w, "bin/exe", NULL, "needed-absolute-path"), 2);
	assert_int_equal(w->nr_misses, 2);
}

/* ---- what is never searched ------------------------------------------ */

static void ldso_resolve__entries_outside_the_tree_are_not_searched(void **state)
{
	struct world *w = *state;
	/* every one of these holds a libX the lookup would return */
	struct node *exe = add(w, "bin/exe", NULL,
			       "/usr/lib:" ROOT "2/lib:$ORIGIN/../../..:lib::$ORIGIN/../../sw-other/lib:"
			       "/opt/sw/../other/lib",
			       NULL, "libX.so", END);
	const char *p;

	add(w, "/usr/lib/libX.so", "libX.so", NULL, NULL, END);
	add(w, ROOT "2/lib/libX.so", "libX.so", NULL, NULL, END);
	add(w, "/libX.so", "libX.so", NULL, NULL, END);
	add(w, "/opt/sw-other/lib/libX.so", "libX.so", NULL, NULL, END);
	add(w, "/opt/other/lib/libX.so", "libX.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 0);
	assert_int_equal(misses_of(w, "bin/exe", "libX.so", "needed-unresolved"), 1);
	/* nothing outside ROOT (nor relative, nor the empty entry) was looked up */
	for (p = w->lookups.buf; *p; p = strchr(p, '\n') + 1) {
		struct strbuf norm = STRBUF_INIT;
		char *line = xstrndup(p, (size_t)(strchr(p, '\n') - p));
		fake_normalize(line, &norm);
		if (strncmp(norm.buf, ROOT "/", strlen(ROOT) + 1))
			print_message("# looked up outside the tree: %s\n", line);
		assert_int_equal(strncmp(norm.buf, ROOT "/", strlen(ROOT) + 1), 0);
		free(line);
		strbuf_release(&norm);
	}
}

static void ldso_resolve__path_resolving_outside_is_skipped(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib:$ORIGIN/../lib2", NULL,
			       "libA.so", END);
	struct node *escape = add(w, "lib/libA.so", NULL, NULL, NULL, END);

	escape->outside = 1;  /* e.g. a symlink to /usr/lib/libA.so */
	add(w, "lib2/libA.so", "libA.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 1);
	no_misses(w);
	assert_true(looked_up(w, ROOT "/bin/../lib/libA.so"));
	assert_true(looked_up(w, ROOT "/bin/../lib2/libA.so"));
}

static void ldso_resolve__wrong_class_candidate_is_skipped(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL,
			       "$ORIGIN/../lib32:$ORIGIN/../libarm:$ORIGIN/../lib64", NULL,
			       "libA.so", END);
	struct node *n;

	n = add(w, "lib32/libA.so", "libA.so", NULL, NULL, "libfrom32.so", END);
	n->elf.cls = ELFCLASS32;
	n->elf.machine = EM_386;
	n = add(w, "libarm/libA.so", "libA.so", NULL, NULL, "libfromarm.so", END);
	n->elf.machine = EM_AARCH64;
	add(w, "lib64/libA.so", "libA.so", NULL, NULL, "libfrom64.so", END);
	assert_int_equal(resolve(w, exe), 1);
	assert_true(looked_up(w, ROOT "/bin/../lib32/libA.so"));
	assert_true(looked_up(w, ROOT "/bin/../libarm/libA.so"));
	assert_int_equal(misses_of(w, "lib64/libA.so", "libfrom64.so", NULL), 1);
	assert_int_equal(w->nr_misses, 1);
}

static void ldso_resolve__only_wrong_class_candidates_is_a_miss(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib", NULL, "libA.so", END);
	struct node *n = add(w, "lib/libA.so", "libA.so", NULL, NULL, END);

	n->elf.cls = ELFCLASS32;
	assert_int_equal(resolve(w, exe), 0);
	assert_int_equal(misses_of(w, "bin/exe", "libA.so", "needed-unresolved"), 1);
}

/* $ORIGIN of a library is the directory it was found in, not its target's. */
static void ldso_resolve__origin_is_where_the_link_was_found(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib", NULL, "libA.so", END);
	struct node *real = add(w, "lib/real/libA.so.1", "libA.so", NULL, "$ORIGIN/deps",
				"libdep.so", END);

	alias(w, "lib/libA.so", real);
	add(w, "lib/deps/libdep.so", "libdep.so", NULL, NULL, END);
	assert_int_equal(resolve(w, exe), 2);
	no_misses(w);
}

/* ---- reporting -------------------------------------------------------- */

static void ldso_resolve__each_miss_once_per_requester_across_roots(void **state)
{
	struct world *w = *state;
	struct node *a = add(w, "bin/a", NULL, "$ORIGIN/../lib", NULL,
			     "libgone.so", "libshared.so", "libgone.so", END);
	struct node *b = add(w, "bin/b", NULL, "$ORIGIN/../lib", NULL,
			     "libgone.so", "libshared.so", END);

	add(w, "lib/libshared.so", "libshared.so", NULL, NULL, "libgone2.so", END);
	resolve(w, a);
	resolve(w, b);
	/* one per requester: bin/a, bin/b and lib/libshared.so (once, not per root) */
	assert_int_equal(misses_of(w, "bin/a", "libgone.so", NULL), 1);
	assert_int_equal(misses_of(w, "bin/b", "libgone.so", NULL), 1);
	assert_int_equal(misses_of(w, "lib/libshared.so", "libgone2.so", NULL), 1);
	assert_int_equal(w->nr_misses, 3);
	/* a fresh `seen` reports again */
	strmap_release(&w->seen);
	strmap_init(&w->seen);
	resolve(w, b);
	assert_int_equal(misses_of(w, "lib/libshared.so", "libgone2.so", NULL), 2);
	assert_int_equal(w->nr_misses, 5);
}

static void ldso_resolve__dependency_cycles_terminate(void **state)
{
	struct world *w = *state;
	struct node *exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib", NULL, "libA.so", END);
	struct node *a;

	a = add(w, "lib/libA.so.1", "libA.so.1", "$ORIGIN", NULL, "libB.so", "libA-self.so", END);
	alias(w, "lib/libA.so", a);
	alias(w, "lib/libA-self.so", a);  /* a second name of the same file */
	add(w, "lib/libB.so", "libB.so", "$ORIGIN", NULL, "libC.so", END);
	add(w, "lib/libC.so", "libC.so", "$ORIGIN", NULL, "libA.so", "libB.so", "libA-via.so", END);
	alias(w, "lib/libA-via.so", a);
	assert_true(resolve(w, exe) >= 3);
	no_misses(w);
}

static void ldso_resolve__deep_chains_are_followed_to_the_end(void **state)
{
	struct world *w = *state;
	static char names[100][32];
	struct node *exe;
	int i, depth = 100;

	for (i = 0; i < depth; i++)
		snprintf(names[i], sizeof(names[i]), "libd%03d.so", i);
	exe = add(w, "bin/exe", NULL, "$ORIGIN/../lib", NULL, names[0], END);
	for (i = 0; i < depth; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "lib/%.32s", names[i]);
		add(w, rel, names[i], NULL, NULL, i + 1 < depth ? names[i + 1] : "libthe-end.so",
		    END);
	}
	assert_int_equal(resolve(w, exe), (size_t)depth);
	assert_int_equal(misses_of(w, NULL, "libthe-end.so", "needed-unresolved"), 1);
}

/* ---- ldso_expand, path_normalize ------------------------------------- */

static void expand_is(const char *entry, const char *origin, int cls, unsigned machine,
		      const char *want, int want_flags)
{
	struct strbuf out = STRBUF_INIT;
	int flags = ldso_expand(entry, origin, cls, machine, NULL, &out);

	if (strcmp(out.buf, want) || flags != want_flags)
		print_message("# ldso_expand('%s') = '%s' flags %d\n", entry, out.buf, flags);
	assert_string_equal(out.buf, want);
	assert_int_equal(flags, want_flags);
	strbuf_release(&out);
}

static void ldso_expand__origin_forms(void **state)
{
	(void)state;
	expand_is("$ORIGIN/../lib", "/p/bin", ELFCLASS64, EM_X86_64, "/p/bin/../lib", 1);
	expand_is("${ORIGIN}/../lib", "/p/bin", ELFCLASS64, EM_X86_64, "/p/bin/../lib", 1);
	expand_is("$ORIGIN", "/p/bin", ELFCLASS64, EM_X86_64, "/p/bin", 1);
	expand_is("$ORIGIN:$ORIGIN", "/o", ELFCLASS64, EM_X86_64, "/o:/o", 1);
	expand_is("/abs/lib", "/p/bin", ELFCLASS64, EM_X86_64, "/abs/lib", 0);
	expand_is("", "/p/bin", ELFCLASS64, EM_X86_64, "", 0);
}

static void ldso_expand__unknown_tokens_are_left_and_flagged(void **state)
{
	(void)state;
	/* $ORIGINX is another token, not $ORIGIN followed by X */
	expand_is("$ORIGINX/lib", "/p", ELFCLASS64, EM_X86_64, "$ORIGINX/lib", 2);
	expand_is("$ORIGIN_/lib", "/p", ELFCLASS64, EM_X86_64, "$ORIGIN_/lib", 2);
	expand_is("$ORIGIN1", "/p", ELFCLASS64, EM_X86_64, "$ORIGIN1", 2);
	expand_is("${ORIGIN", "/p", ELFCLASS64, EM_X86_64, "${ORIGIN", 2);
	expand_is("${ORIGINX}", "/p", ELFCLASS64, EM_X86_64, "${ORIGINX}", 2);
	expand_is("$HOME/lib", "/p", ELFCLASS64, EM_X86_64, "$HOME/lib", 2);
	expand_is("$", "/p", ELFCLASS64, EM_X86_64, "$", 2);
	expand_is("$ORIGIN/$FOO", "/p", ELFCLASS64, EM_X86_64, "/p/$FOO", 3);
	/* a token that ends at a non-identifier character is a token */
	expand_is("$ORIGIN.d", "/p", ELFCLASS64, EM_X86_64, "/p.d", 1);
	expand_is("$ORIGIN-x", "/p", ELFCLASS64, EM_X86_64, "/p-x", 1);
}

/*
 * $LIB, $PLATFORM and $ORIGIN as the real loader expands them: a cc-built
 * executable with those RPATH entries and a missing library prints its
 * search path under LD_DEBUG=libs. (glibc on x86_64 only.)
 */
static void ldso_expand__matches_the_real_loader(void **state)
{
#if defined(__x86_64__) && defined(__GLIBC__)
	static const char *const entries[] = {
		"/nonexistent/$LIB/$PLATFORM", "$ORIGIN/../x", "${ORIGIN}/y", "/nonexistent/${LIB}z",
	};
	char *dir = t_mkdtemp("ldso");
	struct strbuf out = STRBUF_INIT, rpath = STRBUF_INIT, exp = STRBUF_INIT;
	char *origin, *exe, *sp, *end, *tok, *save = NULL;
	char *bases[8];
	size_t i, nr = 0;

	(void)state;
	assert_non_null(dir);
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		strbuf_addf(&rpath, "%s%s", i ? ":" : "", entries[i]);
	assert_int_equal(t_sh("cd '%s' && mkdir bin && "
			      "echo 'int d(void){return 0;}' > d.c && "
			      "echo 'int d(void); int main(void){return d();}' > m.c && "
			      "cc -shared -fPIC -o libgone.so d.c && "
			      "cc -o bin/exe m.c -L. -lgone -Wl,--disable-new-dtags,-rpath,'%s' && "
			      "rm libgone.so", dir, rpath.buf), 0);
	exe = xasprintf("%s/bin/exe", dir);
	t_sh_capture(&out, "LD_DEBUG=libs '%s'", exe);
	sp = strstr(out.buf, "search path=");
	assert_non_null(sp);
	sp += strlen("search path=");
	end = sp + strcspn(sp, "\t\n ");
	*end = '\0';
	/*
	 * ld.so lists each entry's hwcaps/tls/platform subdirectories and the
	 * entry itself: the entries are the elements no other element is a
	 * parent directory of.
	 */
	{
		char *all[256];
		size_t nall = 0, k, m;

		for (tok = strtok_r(sp, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
			assert_true(nall < 256);
			all[nall++] = tok;
		}
		for (k = 0; k < nall; k++) {
			int base = 1;
			for (m = 0; m < nall && base; m++) {
				size_t n = strlen(all[m]);
				if (m != k && !strncmp(all[k], all[m], n) && all[k][n] == '/')
					base = 0;
			}
			if (base) {
				assert_true(nr < 8);
				bases[nr++] = all[k];
			}
		}
	}
	assert_int_equal(nr, sizeof(entries) / sizeof(entries[0]));
	{
		char *real = realpath(exe, NULL);
		assert_non_null(real);
		origin = xstrdup(dirname(real));
		free(real);
	}
	/*
	 * $PLATFORM comes from this machine's CPU (x86_64, haswell, xeon_phi):
	 * the loader's value must be one of those ldso_platforms() lists, and
	 * every other expansion must match exactly.
	 */
	for (i = 0; i < nr; i++) {
		const char *const *plats = ldso_platforms(ELFCLASS64, EM_X86_64);
		int flags = ldso_expand(entries[i], origin, ELFCLASS64, EM_X86_64, NULL, &exp);
		size_t k;

		for (k = 0; (flags & LDSO_USES_PLATFORM) && plats[k] &&
			    strcmp(exp.buf, bases[i]); k++)
			ldso_expand(entries[i], origin, ELFCLASS64, EM_X86_64, plats[k], &exp);
		if (strcmp(exp.buf, bases[i]))
			print_message("# %s: ld.so searched '%s', ldso_expand gave '%s'\n",
				      entries[i], bases[i], exp.buf);
		assert_string_equal(exp.buf, bases[i]);
	}
	free(origin);
	free(exe);
	strbuf_release(&out);
	strbuf_release(&rpath);
	strbuf_release(&exp);
	t_rmtree(dir);
	free(dir);
#else
	(void)state;
	skip();
#endif
}

static void norm_is(const char *in, int want_rc, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	int rc = path_normalize(in, &out);

	if (rc != want_rc || (want && strcmp(out.buf, want)))
		print_message("# path_normalize('%s') = %d '%s'\n", in, rc, out.buf);
	assert_int_equal(rc, want_rc);
	if (want)
		assert_string_equal(out.buf, want);
	strbuf_release(&out);
}

static void path_normalize__collapses_dots_and_slashes(void **state)
{
	(void)state;
	norm_is("/a/b/../c", 0, "/a/c");
	norm_is("/a/./b//c/", 0, "/a/b/c");
	norm_is("//a///b", 0, "/a/b");
	norm_is("/", 0, "/");
	norm_is("//", 0, "/");
	norm_is("/a/..", 0, "/");
	norm_is("/a/b/../../c/./d/..", 0, "/c");
	norm_is("a/b/..", 0, "a");
	norm_is("a/./b", 0, "a/b");
	norm_is("/opt/sw/bin/../lib", 0, "/opt/sw/lib");
	norm_is("/a/...", 0, "/a/...");
	norm_is("/a/..b/c", 0, "/a/..b/c");
}

static void path_normalize__climbing_above_the_start_fails(void **state)
{
	(void)state;
	norm_is("/..", -1, NULL);
	norm_is("/../a", -1, NULL);
	norm_is("/a/../..", -1, NULL);
	norm_is("/a/../../b", -1, NULL);
	norm_is("..", -1, NULL);
	norm_is("a/../..", -1, NULL);
	norm_is("./../a", -1, NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ldso_resolve__rpath_of_the_loader_is_inherited),
		T(ldso_resolve__rpath_of_the_object_comes_before_its_loaders),
		T(ldso_resolve__runpath_is_used_for_the_object_itself),
		T(ldso_resolve__runpath_is_not_inherited_by_dependencies),
		T(ldso_resolve__rpath_is_ignored_when_runpath_is_present),
		T(ldso_resolve__loader_with_runpath_lends_no_rpath),
		T(ldso_resolve__loader_with_only_rpath_lends_it),
		T(ldso_resolve__object_with_runpath_ignores_loader_rpath),
		T(ldso_resolve__sibling_loaded_by_the_root_satisfies_a_dependency),
		T(ldso_resolve__loaded_names_and_sonames_are_not_searched_again),
		T(ldso_resolve__root_soname_counts_as_loaded),
		T(ldso_allowed__default_list_is_glibc_and_the_toolchain),
		T(ldso_allowed__custom_fnmatch_patterns),
		T(ldso_resolve__allowed_system_libraries_are_not_misses),
		T(ldso_resolve__tree_copy_wins_over_the_allowlist),
		T(ldso_resolve__relative_needed_path_is_reported),
		T(ldso_resolve__absolute_needed_outside_is_reported),
		T(ldso_resolve__entries_outside_the_tree_are_not_searched),
		T(ldso_resolve__path_resolving_outside_is_skipped),
		T(ldso_resolve__wrong_class_candidate_is_skipped),
		T(ldso_resolve__only_wrong_class_candidates_is_a_miss),
		T(ldso_resolve__origin_is_where_the_link_was_found),
		T(ldso_resolve__each_miss_once_per_requester_across_roots),
		T(ldso_resolve__dependency_cycles_terminate),
		T(ldso_resolve__deep_chains_are_followed_to_the_end),
		T(ldso_expand__origin_forms),
		T(ldso_expand__unknown_tokens_are_left_and_flagged),
		T(ldso_expand__matches_the_real_loader),
		T(path_normalize__collapses_dots_and_slashes),
		T(path_normalize__climbing_above_the_start_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
