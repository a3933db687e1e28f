/*
 * diff OLD NEW: what changed between two builds, for a release reviewer.
 * Each side is a tarball (any format verify reads; extracted with the
 * secure extraction into a scratch directory), a directory holding the
 * tree, or a release directory (a manifest.json and one
 * slurm-*-software.tar.* beside it, as package and publish leave them):
 * its software tarball, and the manifests' grafted libraries compared. Files are compared by type, size and SHA-256; every ELF file in
 * both by SONAME, DT_NEEDED, RPATH/RUNPATH and exported dynamic symbols;
 * the trees by their glibc floor. Changes that break a user of the old
 * tree are errors (exit 1) unless --allow names their class:
 *   removed-symbol   a library with a SONAME no longer exports a symbol
 *   soname-changed   a library's SONAME changed (or a library is gone)
 *   absolute-rpath   a new absolute RPATH/RUNPATH entry (not $ORIGIN-based)
 *   glibc-floor      the tree needs a newer glibc than before
 * Everything else is information. --markdown FILE writes the summary a
 * merge request or $GITHUB_STEP_SUMMARY shows.
 */
#include "stages.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "archive.h"
#include "ci_output.h"
#include "crypto.h"
#include "elf.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "rules.h"
#include "strmap.h"
#include "symver.h"

#define SHOW_SYMBOLS 5

/* The breaking classes, and how to fix each. */
static const char *const classes[][2] = {
	{ "removed-symbol", "restore the symbol, or give the library a new SONAME; "
	  "--allow removed-symbol accepts it" },
	{ "soname-changed", "say so in the release notes (users relink); "
	  "--allow soname-changed accepts it" },
	{ "absolute-rpath", "use $ORIGIN-relative RPATH/RUNPATH entries" },
	{ "glibc-floor", "build on the older base, or say so in the release notes; "
	  "--allow glibc-floor accepts it" },
	{ NULL, NULL },
};

static const char *class_fix(const char *cls)
{
	size_t k;

	for (k = 0; classes[k][0]; k++)
		if (!strcmp(classes[k][0], cls))
			return classes[k][1];
	return NULL;
}

const struct opt diff_opts[] = {
	{ "allow", OPT_LIST, "CLASS", "accept a breaking change of this class: removed-symbol, "
	  "soname-changed, absolute-rpath, glibc-floor (may repeat)" },
	{ "markdown", OPT_VALUE | OPTF_OUTPUT, "FILE", "write the summary as Markdown "
	  "(for $GITHUB_STEP_SUMMARY or a merge request note)" },
	{ NULL, 0, NULL, NULL },
};

struct dfile {
	char *rel;
	unsigned char type;          /* DT_REG, DT_DIR, DT_LNK, other */
	unsigned long long size;
	char sha256[SHA256_HEX_SIZE];
	char *link;                  /* symlink target, owned */
	int is_elf;
	struct elf_info elf;         /* with exports, when is_elf */
};

struct dtree {
	const char *label;           /* "old" / "new" */
	char *root;                  /* the tree, owned */
	char *scratch;               /* what we extracted into, removed at the end; or NULL */
	struct dfile *v;
	size_t nr, alloc;
	struct symver_floor floor;
	int have_floor;
	char *tarball;               /* a release directory's software tarball, or NULL */
	int have_manifest;           /* a release directory: grafted[] from its manifest */
	char **grafted;              /* "name" of each grafted library */
	char **grafted_pkg;          /* its "package version" (build.grafted_packages), or NULL */
	size_t nr_grafted;
};

struct walk_ctx {
	struct dtree *t;
};

static int visit(void *ctx, int dirfd, const char *name, const char *rel,
		 unsigned char type, struct strbuf *err)
{
	struct dtree *t = ((struct walk_ctx *)ctx)->t;
	struct dfile *f;
	struct stat st;

	xgrow((void **)&t->v, &t->alloc, t->nr + 1, sizeof(*t->v));
	f = &t->v[t->nr++];
	memset(f, 0, sizeof(*f));
	f->rel = xstrdup(rel);
	f->type = type;
	if (type == DT_LNK) {
		char buf[4096];
		ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf) - 1);
		buf[n < 0 ? 0 : n] = '\0';
		f->link = xstrdup(buf);
		return 0;
	}
	if (type != DT_REG)
		return 0;
	{
		int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		void *map = MAP_FAILED;

		if (fd < 0 || fstat(fd, &st)) {
			strbuf_addf(err, "cannot read %s/%s: %s", t->root, rel, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		f->size = (unsigned long long)st.st_size;
		if (sha256_fd(fd, rel, f->sha256, NULL, NULL, NULL, err)) {
			close(fd);
			return -1;
		}
		if (st.st_size >= 4)
			map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		if (map != MAP_FAILED) {
			struct strbuf why = STRBUF_INIT;
			if (elf_is_elf(map, (size_t)st.st_size) &&
			    !elf_parse_exports(map, (size_t)st.st_size, &f->elf, &why))
				f->is_elf = 1;
			else
				elf_info_release(&f->elf);
			strbuf_release(&why);
			munmap(map, (size_t)st.st_size);
		}
	}
	return 0;
}

static int cmp_dfile(const void *a, const void *b)
{
	return strcmp(((const struct dfile *)a)->rel, ((const struct dfile *)b)->rel);
}

/* Loads one side: a directory in place, else the archive extracted. */
/* "package version" of grafted library `name` in build.grafted_packages, or NULL. */
static char *grafted_package(struct json_object *build, const char *name, size_t len)
{
	struct json_object *arr = json_member_array(build, "grafted_packages"), *o;
	size_t i;

	if (!arr)
		return NULL;
	for (i = 0; i < json_object_array_length(arr); i++) {
		const char *n, *pkg, *ver;
		o = json_object_array_get_idx(arr, i);
		if (!(n = json_member_str(o, "name")) || strlen(n) != len || memcmp(n, name, len))
			continue;
		pkg = json_member_str(o, "package");
		ver = json_member_str(o, "version");
		return pkg && ver ? xasprintf("%s %s", pkg, ver) : NULL;
	}
	return NULL;
}

/*
 * The library names of a manifest's build.grafted ("name path" lines) into
 * `t`, each with its Debian package and version where build.grafted_packages
 * says them.
 */
static int load_grafted(struct dtree *t, const char *manifest, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	struct json_object *m = NULL, *build, *arr;
	size_t i, n;
	int ret = -1;

	if (fs_read_small(manifest, 64u << 20, &text, err))
		goto out;
	m = json_tokener_parse(text.buf);
	if (!m || !json_object_is_type(m, json_type_object)) {
		strbuf_addf(err, "%s is not JSON", manifest);
		goto out;
	}
	t->have_manifest = 1;
	if (!json_object_object_get_ex(m, "build", &build) ||
	    !json_object_object_get_ex(build, "grafted", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		ret = 0;   /* no build section: packed by hand, nothing grafted recorded */
		goto out;
	}
	n = json_object_array_length(arr);
	t->grafted = xcalloc(n + 1, sizeof(*t->grafted));
	t->grafted_pkg = xcalloc(n + 1, sizeof(*t->grafted_pkg));
	for (i = 0; i < n; i++) {
		const char *line = json_object_get_string(json_object_array_get_idx(arr, i));
		size_t len = line ? strcspn(line, " ") : 0;
		if (!len)
			continue;
		t->grafted_pkg[t->nr_grafted] = grafted_package(build, line, len);
		t->grafted[t->nr_grafted++] = xstrndup(line, len);
	}
	ret = 0;
out:
	if (m)
		json_object_put(m);
	strbuf_release(&text);
	return ret;
}

/*
 * A release directory's software tarball into t->tarball: 0 (and NULL)
 * when `dir` is not one (no manifest.json), -1 when it holds no or several
 * slurm-*-software.tar.* files.
 */
static int release_tarball(struct dtree *t, const char *dir, struct strbuf *err)
{
	struct strbuf man = STRBUF_INIT;
	struct dirent *de;
	DIR *d;
	size_t n = 0;
	int ret = -1;

	strbuf_addf(&man, "%s/manifest.json", dir);
	if (!fs_is_file(man.buf)) {
		ret = 0;
		goto out;
	}
	if (!(d = opendir(dir))) {
		strbuf_addf(err, "cannot read %s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		if (!fnmatch("slurm-*-software.tar*", de->d_name, 0)) {
			n++;
			free(t->tarball);
			t->tarball = xasprintf("%s/%s", dir, de->d_name);
		}
	}
	closedir(d);
	if (n != 1) {
		strbuf_addf(err, "%s has a manifest.json and %zu slurm-*-software.tar.* files: a "
			    "release directory has one (give the tarball itself)", dir, n);
		goto out;
	}
	ret = load_grafted(t, man.buf, err);
out:
	strbuf_release(&man);
	return ret;
}

static int load_tree(struct dtree *t, const char *path, struct check *c, struct strbuf *err)
{
	struct walk_ctx w = { t };
	struct stat st;
	size_t i;

	if (stat(path, &st)) {
		strbuf_addf(err, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (release_tarball(t, path, err))
			return -1;
		if (t->tarball) {
			path = t->tarball;
			if (stat(path, &st)) {
				strbuf_addf(err, "cannot read %s: %s", path, strerror(errno));
				return -1;
			}
		}
	}
	if (S_ISDIR(st.st_mode)) {
		t->root = xstrdup(path);
	} else {
		struct extract_limits lim = EXTRACT_LIMITS_DEFAULT;
		struct extract_stats xs;
		struct extract_sink sink = { rule_report_entry, c };

		t->scratch = xasprintf("%s/sf-diff-XXXXXX", fs_tmpdir());
		if (!mkdtemp(t->scratch)) {
			strbuf_addf(err, "cannot create a directory in %s: %s", fs_tmpdir(),
				    strerror(errno));
			free(t->scratch);
			t->scratch = NULL;
			return -1;
		}
		t->root = xstrdup(t->scratch);
		if (archive_extract_secure(path, t->root, &lim, &xs, &sink, err))
			return -1;
		if (xs.stopped || xs.refused) {
			strbuf_addf(err, "%s could not be extracted whole (see the findings)", path);
			return 1;
		}
	}
	if (fs_walk(t->root, visit, &w, err) < 0)
		return -1;
	if (t->nr)
		qsort(t->v, t->nr, sizeof(*t->v), cmp_dfile);
	symver_floor_init(&t->floor);
	t->have_floor = 1;
	for (i = 0; i < t->nr; i++)
		if (t->v[i].is_elf)
			symver_floor_add(&t->floor, t->v[i].rel, &t->v[i].elf);
	symver_floor_finish(&t->floor);
	return 0;
}

static void free_tree(struct dtree *t)
{
	size_t i;

	if (t->have_floor)
		symver_floor_release(&t->floor);
	for (i = 0; i < t->nr; i++) {
		free(t->v[i].rel);
		free(t->v[i].link);
		elf_info_release(&t->v[i].elf);
	}
	free(t->v);
	for (i = 0; i < t->nr_grafted; i++) {
		free(t->grafted[i]);
		free(t->grafted_pkg[i]);
	}
	free(t->grafted);
	free(t->grafted_pkg);
	free(t->tarball);
	if (t->scratch)
		fs_rmtree(t->scratch, NULL);
	free(t->scratch);
	free(t->root);
}

struct diff {
	struct check *c;
	char *const *allow;
	size_t nr_allow;
	size_t added, removed, changed, same, breaking, allowed;
	long long size_delta;
	struct strbuf md;            /* Markdown lines of the changes */
};

static int allowed(const struct diff *d, const char *cls)
{
	size_t i;

	for (i = 0; i < d->nr_allow; i++)
		if (!strcmp(d->allow[i], cls))
			return 1;
	return 0;
}

/* A change: a breaking one (class not NULL) is an error unless allowed. */
static void change(struct diff *d, const char *cls, const char *file, const char *entry,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void change(struct diff *d, const char *cls, const char *file, const char *entry,
		   const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT, rule = STRBUF_INIT;
	enum severity sev = SEV_INFO;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	strbuf_addf(&rule, "diff-%s", cls ? cls : "change");
	if (cls && allowed(d, cls)) {
		sev = SEV_WARNING;
		d->allowed++;
	} else if (cls) {
		sev = SEV_ERROR;
		d->breaking++;
	}
	check_add_finding(d->c, rule.buf, sev, file, entry, msg.buf,
			  sev == SEV_ERROR ? class_fix(cls) : NULL);
	strbuf_addf(&d->md, "| %s | ", sev == SEV_ERROR ? "**breaking**" :
		    sev == SEV_WARNING ? "allowed" : "");
	md_escape(&d->md, file);
	strbuf_addstr(&d->md, " | ");
	md_escape(&d->md, msg.buf);
	if (entry) {
		strbuf_addstr(&d->md, ": ");
		md_escape(&d->md, entry);
	}
	strbuf_addstr(&d->md, " |\n");
	strbuf_release(&msg);
	strbuf_release(&rule);
}

/* Names in `a` that are not in `b` (both borrowed lists), up to SHOW_SYMBOLS of them. */
static size_t missing(char **a, size_t na, char **b, size_t nb, struct strbuf *names)
{
	struct strmap in_b;
	size_t i, n = 0;

	strmap_init(&in_b);
	for (i = 0; i < nb; i++)
		strmap_put(&in_b, b[i], NULL);
	for (i = 0; i < na; i++) {
		if (strmap_has(&in_b, a[i]))
			continue;
		if (n < SHOW_SYMBOLS)
			strbuf_addf(names, "%s%s", n ? ", " : "", a[i]);
		n++;
	}
	if (n > SHOW_SYMBOLS)
		strbuf_addf(names, " and %zu more", n - SHOW_SYMBOLS);
	strmap_release(&in_b);
	return n;
}

/* 1 when an RPATH/RUNPATH entry is absolute and does not start with $ORIGIN. */
static int absolute_entry(const char *e)
{
	return e[0] == '/';
}

static void rpath_changes(struct diff *d, const char *rel, const char *what,
			  const char *old, const char *new)
{
	struct strbuf olds = STRBUF_INIT, news = STRBUF_INIT;
	char *copy, *tok, *save = NULL;

	if (!strcmp(old ? old : "", new ? new : ""))
		return;
	change(d, NULL, rel, NULL, "%s '%s' -> '%s'", what, old ? old : "", new ? new : "");
	strbuf_addf(&olds, ":%s:", old ? old : "");
	copy = xstrdup(new ? new : "");
	for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		strbuf_reset(&news);
		strbuf_addf(&news, ":%s:", tok);
		if (absolute_entry(tok) && !strstr(olds.buf, news.buf))
			change(d, "absolute-rpath", rel, tok, "a new absolute %s entry: the tree "
			       "no longer works at another prefix", what);
	}
	free(copy);
	strbuf_release(&olds);
	strbuf_release(&news);
}

static void elf_changes(struct diff *d, const struct dfile *o, const struct dfile *n)
{
	struct strbuf names = STRBUF_INIT;
	size_t k;

	if (!o->is_elf || !n->is_elf)
		return;
	if (o->elf.soname && strcmp(o->elf.soname, n->elf.soname ? n->elf.soname : ""))
		change(d, "soname-changed", n->rel, NULL, "SONAME %s -> %s", o->elf.soname,
		       n->elf.soname ? n->elf.soname : "(none)");
	if ((k = missing(o->elf.needed, o->elf.nr_needed, n->elf.needed, n->elf.nr_needed, &names)))
		change(d, NULL, n->rel, names.buf, "%zu DT_NEEDED removed", k);
	strbuf_reset(&names);
	if ((k = missing(n->elf.needed, n->elf.nr_needed, o->elf.needed, o->elf.nr_needed, &names)))
		change(d, NULL, n->rel, names.buf, "%zu DT_NEEDED added", k);
	rpath_changes(d, n->rel, "RPATH", o->elf.rpath, n->elf.rpath);
	rpath_changes(d, n->rel, "RUNPATH", o->elf.runpath, n->elf.runpath);
	strbuf_reset(&names);
	if ((k = missing(o->elf.exports, o->elf.nr_exports, n->elf.exports, n->elf.nr_exports,
			 &names)))
		/* a library others link by SONAME breaks them; an executable's exports do not */
		change(d, o->elf.soname ? "removed-symbol" : NULL, n->rel, names.buf,
		       "%zu exported symbol(s) removed", k);
	strbuf_reset(&names);
	if ((k = missing(n->elf.exports, n->elf.nr_exports, o->elf.exports, o->elf.nr_exports,
			 &names)))
		change(d, NULL, n->rel, names.buf, "%zu exported symbol(s) added", k);
	strbuf_release(&names);
}

static const char *type_name(unsigned char t)
{
	return t == DT_REG ? "file" : t == DT_DIR ? "directory" : t == DT_LNK ? "symlink" : "special file";
}

static void compare(struct diff *d, const struct dtree *o, const struct dtree *n)
{
	size_t i = 0, j = 0;

	while (i < o->nr || j < n->nr) {
		int c = i == o->nr ? 1 : j == n->nr ? -1 : strcmp(o->v[i].rel, n->v[j].rel);
		const struct dfile *a = c <= 0 ? &o->v[i] : NULL, *b = c >= 0 ? &n->v[j] : NULL;

		if (!b) {
			d->removed++;
			d->size_delta -= (long long)a->size;
			/* a library others link by its SONAME, gone */
			change(d, a->is_elf && a->elf.soname ? "soname-changed" : NULL, a->rel, NULL,
			       "%s removed%s%s", type_name(a->type),
			       a->is_elf && a->elf.soname ? ", SONAME " : "",
			       a->is_elf && a->elf.soname ? a->elf.soname : "");
			i++;
			continue;
		}
		if (!a) {
			d->added++;
			d->size_delta += (long long)b->size;
			change(d, NULL, b->rel, NULL, "%s added (%llu bytes)", type_name(b->type),
			       b->size);
			j++;
			continue;
		}
		if (a->type != b->type) {
			d->changed++;
			change(d, NULL, b->rel, NULL, "%s -> %s", type_name(a->type),
			       type_name(b->type));
		} else if (a->type == DT_LNK && strcmp(a->link, b->link)) {
			d->changed++;
			change(d, NULL, b->rel, NULL, "symlink -> %s (was -> %s)", b->link, a->link);
		} else if (a->type == DT_REG && strcmp(a->sha256, b->sha256)) {
			d->changed++;
			d->size_delta += (long long)b->size - (long long)a->size;
			change(d, NULL, b->rel, NULL, "changed, %llu -> %llu bytes (%+lld)", a->size,
			       b->size, (long long)b->size - (long long)a->size);
			elf_changes(d, a, b);
		} else {
			d->same++;
		}
		i++;
		j++;
	}
}

static void floor_change(struct diff *d, const struct dtree *o, const struct dtree *n)
{
	const struct symver *a = &o->floor.top[SYMVER_GLIBC], *b = &n->floor.top[SYMVER_GLIBC];
	struct strbuf sa = STRBUF_INIT, sb = STRBUF_INIT;
	int c = symver_cmp(a, b);

	if (a->nr)
		symver_format(&sa, a);
	if (b->nr)
		symver_format(&sb, b);
	if (c < 0)
		change(d, "glibc-floor", "(tree)", NULL, "the glibc floor rose from %s to %s: "
		       "systems with an older glibc cannot run the new tree",
		       a->nr ? sa.buf : "none", sb.buf);
	else if (c)
		change(d, NULL, "(tree)", NULL, "the glibc floor went from %s to %s",
		       a->nr ? sa.buf : "none", b->nr ? sb.buf : "none");
	strbuf_release(&sa);
	strbuf_release(&sb);
}

int diff_parse(const struct run *run, void **opts, struct strbuf *err)
{
	size_t nr, i, k;
	char *const *allow = cli_get_all(&run->cli, "allow", &nr);

	*opts = NULL;
	for (i = 0; i < nr; i++) {
		for (k = 0; classes[k][0] && strcmp(classes[k][0], allow[i]); k++)
			;
		if (!classes[k][0]) {
			strbuf_addf(err, "--allow %s: not a class (removed-symbol, soname-changed, "
				    "absolute-rpath, glibc-floor)", allow[i]);
			return -1;
		}
	}
	return 0;
}

/* The index of `name` in `v`, or -1. */
static long name_at(char *const *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return (long)i;
	return -1;
}

/* The names of `a` missing from `b`, ", "-separated into `out`; how many. */
static size_t missing_from(const struct dtree *a, const struct dtree *b, struct strbuf *out)
{
	size_t i, n = 0;

	for (i = 0; i < a->nr_grafted; i++)
		if (name_at(b->grafted, b->nr_grafted, a->grafted[i]) < 0) {
			strbuf_addf(out, "%s%s", n++ ? ", " : "", a->grafted[i]);
		}
	return n;
}

/*
 * The libraries both graft whose Debian package or version changed,
 * "name (old → new)", ", "-separated into `out`; how many.
 */
static size_t changed_packages(const struct dtree *old, const struct dtree *new,
			       struct strbuf *out)
{
	size_t i, n = 0;

	for (i = 0; i < new->nr_grafted; i++) {
		long j = name_at(old->grafted, old->nr_grafted, new->grafted[i]);
		const char *a = j < 0 ? NULL : old->grafted_pkg[j], *b = new->grafted_pkg[i];
		if (j < 0 || !a || !b || !strcmp(a, b))
			continue;
		strbuf_addf(out, "%s%s (%s → %s)", n++ ? ", " : "", new->grafted[i], a, b);
	}
	return n;
}

/*
 * The "grafted libraries" check of two release directories: which libraries
 * the new build grafts that the old did not, the reverse, and those whose
 * Debian package version changed (information: a file change in lib/ is
 * what the tree comparison judges).
 */
static void grafted_change(struct stage_report *s, const struct dtree *old,
			   const struct dtree *new, struct strbuf *md)
{
	struct check *c = stage_add_check(s, "grafted libraries");
	struct strbuf added = STRBUF_INIT, removed = STRBUF_INIT, changed = STRBUF_INIT;
	size_t na = missing_from(new, old, &added), nr = missing_from(old, new, &removed);
	size_t nc = changed_packages(old, new, &changed);

	check_set_message(c, "%zu grafted before, %zu now; added: %s; removed: %s; "
			  "Debian package changed: %s", old->nr_grafted, new->nr_grafted,
			  na ? added.buf : "none", nr ? removed.buf : "none",
			  nc ? changed.buf : "none");
	if (nc) {
		strbuf_addstr(md, "| ~ | grafted | ");
		md_escape(md, changed.buf);
		strbuf_addstr(md, " |\n");
	}
	if (na) {
		strbuf_addstr(md, "| + | grafted | ");
		md_escape(md, added.buf);
		strbuf_addstr(md, " |\n");
	}
	if (nr) {
		strbuf_addstr(md, "| − | grafted | ");
		md_escape(md, removed.buf);
		strbuf_addstr(md, " |\n");
	}
	check_finish(c);
	strbuf_release(&added);
	strbuf_release(&removed);
	strbuf_release(&changed);
}

int stage_diff(struct run *run, const void *opts, struct strbuf *err)
{
	struct stage_report *s = report_add_stage(&run->report, "diff");
	struct dtree t[2];
	struct diff d;
	struct check *c;
	const char *md = cli_get(&run->cli, "markdown");
	int i, r;

	(void)opts;
	(void)err;
	memset(t, 0, sizeof(t));
	memset(&d, 0, sizeof(d));
	strbuf_init(&d.md);
	d.allow = cli_get_all(&run->cli, "allow", &d.nr_allow);
	stage_set_prop(s, "old", run->cli.args[0]);
	stage_set_prop(s, "new", run->cli.args[1]);
	for (i = 0; i < 2; i++) {
		struct strbuf e = STRBUF_INIT;

		c = stage_add_check(s, i ? "read new" : "read old");
		r = load_tree(&t[i], run->cli.args[i], c, &e);
		if (r)
			check_fail(c, r < 0 ? OUTCOME_ERROR : OUTCOME_FAIL, "%s", e.buf);
		else if (t[i].tarball)
			check_set_message(c, "%zu entries (the release directory's %s)", t[i].nr,
					  t[i].tarball);
		else
			check_set_message(c, "%zu entries", t[i].nr);
		strbuf_release(&e);
		check_finish(c);
		if (r)
			goto out;
	}
	d.c = c = stage_add_check(s, "changes");
	compare(&d, &t[0], &t[1]);
	floor_change(&d, &t[0], &t[1]);
	check_set_message(c, "%zu added, %zu removed, %zu changed, %zu unchanged (%+lld bytes); "
			  "%zu breaking, %zu allowed", d.added, d.removed, d.changed, d.same,
			  d.size_delta, d.breaking, d.allowed);
	check_finish(c);
	if (t[0].have_manifest && t[1].have_manifest)
		grafted_change(s, &t[0], &t[1], &d.md);
	if (md) {
		struct strbuf text = STRBUF_INIT, e = STRBUF_INIT;

		strbuf_addstr(&text, "## slurm-factory diff\n\n");
		md_escape(&text, run->cli.args[0]);
		strbuf_addstr(&text, " → ");
		md_escape(&text, run->cli.args[1]);
		strbuf_addf(&text, ": %zu added, %zu removed, %zu changed, %zu unchanged (%+lld "
			    "bytes); **%zu breaking**, %zu allowed.\n\n", d.added, d.removed,
			    d.changed, d.same, d.size_delta, d.breaking, d.allowed);
		if (d.md.len)
			strbuf_addf(&text, "| | file | change |\n|---|---|---|\n%s", d.md.buf);
		c = stage_add_check(s, "markdown");
		if (fs_write_output(md, text.buf, text.len, &e))
			check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		else
			check_set_message(c, "%s", md);
		check_finish(c);
		strbuf_release(&text);
		strbuf_release(&e);
	}
out:
	stage_finish(s);
	for (i = 0; i < 2; i++)
		free_tree(&t[i]);
	strbuf_release(&d.md);
	return 0;
}
