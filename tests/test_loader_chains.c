/*
 * verify against the real loader, for libraries loaded through a chain.
 * Trees built here by cc: a program whose DT_RPATH (not RUNPATH) names
 * lib/ and lib/private/, lib/liba.so.1 with no path of its own needing
 * lib/private/libb.so.1. glibc (elf/dl-load.c) searches the DT_RPATH of
 * the needing object and then of each object that loaded it, unless the
 * needing object has a DT_RUNPATH. Each case is moved to random prefixes
 * and run there (LD_DEBUG=libs shows where the loader looked); verify's
 * verdict must be the loader's.
 */
#include "testlib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define fx t_tmp

/* A fresh directory with the sources of the cases and a dlopen() program. */
static int setup(void **state)
{
	struct fx *f;

	if (t_tmp_setup(state))
		return -1;
	f = *state;
	assert_int_equal(t_sh("set -e; cd '%s'; "
			      "printf 'int b(void){return 7;}\\n' > b.c; "
			      "printf 'int b(void); int a(void){return b();}\\n' > a.c; "
			      "printf 'int a(void); int main(void){return a() == 7 ? 0 : 3;}\\n' > m.c; "
			      "printf '#include <dlfcn.h>\\n#include <stdio.h>\\n"
			      "int main(int c, char **v){void *h = dlopen(v[1], RTLD_NOW);"
			      "if (!h) { puts(dlerror()); return 4; } return 0;}\\n' > dl.c; "
			      "cc -o dlopener dl.c -ldl", f->dir), 0);
	return 0;
}

/*
 * tree <name>: bin/app (DT_RPATH $ORIGIN/../lib:$ORIGIN/../lib/private)
 * linking lib/liba.so.1, which carries `a_path` ("" for none, else a
 * linker flag) and needs lib/private/libb.so.1. With `link_app` 0 the
 * program does not link liba (a plugin). Packed as <name>.tar.gz.
 */
static void make_tree(struct fx *f, const char *name, const char *a_path, int link_app)
{
	assert_int_equal(t_sh("set -e; cd '%s'; rm -rf %s; t=%s/software; "
			      "mkdir -p $t/bin $t/lib/private; "
			      "cc -shared -fPIC -Wl,-soname,libb.so.1 -o $t/lib/private/libb.so.1 b.c; "
			      "cc -shared -fPIC -Wl,-soname,liba.so.1 %s -o $t/lib/liba.so.1 a.c "
			      "$t/lib/private/libb.so.1; "
			      "if [ %d = 1 ]; then cc -o $t/bin/app m.c $t/lib/liba.so.1 "
			      "-Wl,-rpath-link,$t/lib/private "
			      "-Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib:$ORIGIN/../lib/private'; "
			      "else printf 'int main(void){return 0;}\\n' > p.c; cc -o $t/bin/app p.c "
			      "-Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib/private'; fi; "
			      "tar -C %s -czf %s.tar.gz software",
			      f->dir, name, name, a_path, link_app, name, name), 0);
}

/* Runs `cmd` (with $T the tree) at two random prefixes; its exit codes, equal. */
static int at_random_prefixes(struct fx *f, const char *name, const char *cmd,
			      struct strbuf *out)
{
	int rc[2], i;

	for (i = 0; i < 2; i++) {
		strbuf_reset(out);
		rc[i] = t_sh_capture(out, "cd '%s' && p=$(mktemp -d '%s/px-XXXXXX')/%s/deep && "
				     "mkdir -p \"$p\" && tar -C \"$p\" -xzf %s.tar.gz && "
				     "T=\"$p/software\" && { %s; } 2>&1",
				     f->dir, f->dir, i ? "a-much-longer-directory-name" : "x", name,
				     cmd);
	}
	assert_int_equal(rc[0], rc[1]);
	return rc[0];
}

static struct json_object *verify(struct fx *f, const char *name, int want_rc)
{
	char *json = xasprintf("%s/%s.json", f->dir, name);
	struct json_object *r;

	assert_int_equal(t_run("verify '%s/%s.tar.gz' --prefixes 2 --json '%s' --quiet",
			       f->dir, name, json), want_rc);
	r = t_report_load(json);
	assert_non_null(r);
	free(json);
	return r;
}

static void chain__library_resolved_through_the_programs_rpath_passes(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	struct json_object *r;

	make_tree(f, "chain", "", 1);
	/* the loader: runs, and found libb in the RPATH of bin/app */
	assert_int_equal(at_random_prefixes(f, "chain", "LD_DEBUG=libs \"$T/bin/app\"", &out), 0);
	assert_non_null(strstr(out.buf, "RPATH from file"));
	assert_non_null(strstr(out.buf, "/private/libb.so.1"));
	/* verify: a pass, with the warning that names the loader */
	r = verify(f, "chain", 0);
	assert_int_equal(t_report_count(r, "needed-unresolved", NULL), 0);
	assert_int_equal(t_report_count(r, "needed-via-loader", "lib/liba.so.1"), 2);
	json_object_put(r);
	strbuf_release(&out);
}

static void chain__library_with_its_own_runpath_is_not_helped(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	struct json_object *r;

	/* liba's own DT_RUNPATH ($ORIGIN: lib/) stops the loaders' RPATHs */
	make_tree(f, "runpath", "-Wl,--enable-new-dtags,-rpath,'$ORIGIN'", 1);
	assert_int_not_equal(at_random_prefixes(f, "runpath", "\"$T/bin/app\"", &out), 0);
	assert_non_null(strstr(out.buf, "libb.so.1"));
	r = verify(f, "runpath", 1);
	assert_true(t_report_count(r, "needed-unresolved", "lib/liba.so.1") >= 1);
	assert_int_equal(t_report_count(r, "needed-via-loader", NULL), 0);
	json_object_put(r);
	strbuf_release(&out);
}

static void chain__library_nothing_links_must_resolve_on_its_own(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	struct json_object *r;

	/* liba linked by nothing in the tree: a plugin any program may dlopen */
	make_tree(f, "plugin", "", 0);
	assert_int_equal(at_random_prefixes(f, "plugin", "\"$T/bin/app\"", &out), 0);
	/* a program without the tree's RPATH that dlopen()s it: libb is not found */
	assert_int_equal(at_random_prefixes(f, "plugin", "./dlopener \"$T/lib/liba.so.1\"", &out), 4);
	assert_non_null(strstr(out.buf, "libb.so.1"));
	r = verify(f, "plugin", 1);
	assert_true(t_report_count(r, "needed-unresolved", "lib/liba.so.1") >= 1);
	json_object_put(r);
	strbuf_release(&out);
}

/*
 * A work directory so long that the tree's root still resolves but the
 * paths the loader would try do not (ENAMETOOLONG): this machine's limit,
 * an environment error (exit 2), never a verdict on the tree.
 */
static void chain__path_too_long_here_is_an_environment_error(void **state)
{
	struct fx *f = *state;
	struct strbuf wd = STRBUF_INIT;
	struct json_object *r;
	char *json = xasprintf("%s/long.json", f->dir);

	make_tree(f, "long", "", 1);
	strbuf_addf(&wd, "%s/w", f->dir);
	while (wd.len < 4040 - 201)
		strbuf_addf(&wd, "/%0200d", 0);
	strbuf_addch(&wd, '/');
	while (wd.len < 4040)
		strbuf_addch(&wd, 'e');
	assert_int_equal(t_sh("mkdir -p '%s'", wd.buf), 0);
	assert_int_equal(t_run("verify '%s/long.tar.gz' --prefixes 1 --work-dir '%s' --json '%s' "
			       "--quiet 2>/dev/null", f->dir, wd.buf, json), 2);
	r = t_report_load(json);
	assert_non_null(r);
	assert_int_equal(t_report_count(r, "needed-unresolved", NULL), 0);
	assert_int_equal(t_report_checks(r, "needed [prefix 1]", "error"), 1);
	json_object_put(r);
	free(json);
	strbuf_release(&wd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(chain__library_resolved_through_the_programs_rpath_passes,
						setup, t_tmp_teardown),
		cmocka_unit_test_setup_teardown(chain__library_with_its_own_runpath_is_not_helped,
						setup, t_tmp_teardown),
		cmocka_unit_test_setup_teardown(chain__library_nothing_links_must_resolve_on_its_own,
						setup, t_tmp_teardown),
		cmocka_unit_test_setup_teardown(chain__path_too_long_here_is_an_environment_error,
						setup, t_tmp_teardown),
	};
	return cmocka_run_group_tests_name("loader_chains", tests, NULL, NULL);
}
