/*
 * infer: build prefixes found in the tree itself (the pure logic on given
 * paths and texts), then verify on trees made here: an unconfigured build
 * prefix given away by a #! line, an RPATH, a .pc file; .la and *-config
 * leaks; a foreign #! interpreter; --tree held to the rules of tarballs
 * (setuid, FIFO, escaping symlinks, both ways); empty archives.
 */
#include "testlib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

static void paths_of(struct strmap *m, const char *const *list)
{
	strmap_init(m);
	for (; *list; list++)
		strmap_put(m, *list, NULL);
}

static const char *const tree_paths[] = { "bin", "bin/prog", "lib", "lib/private",
					  "lib/slurm", "share", NULL };

static void infer_resolve__the_longest_tail_in_the_tree_gives_the_prefix(void **unused)
{
	struct infer inf;
	struct strmap paths;

	(void)unused;
	paths_of(&paths, tree_paths);
	infer_init(&inf);
	infer_add(&inf, "/some/build/dir/app/lib/private", "lib/liba.so", "DT_RPATH", 1);
	infer_add(&inf, "/some/build/dir/app/bin/prog", "bin/tool", "#! line", 2);
	infer_resolve(&inf, &paths, NULL, 0);
	/* the same prefix from both: reported once, with its first evidence */
	assert_int_equal(inf.nr_found, 1);
	assert_string_equal(inf.found[0].prefix, "/some/build/dir/app");
	assert_string_equal(inf.found[0].rel, "lib/liba.so");
	assert_string_equal(inf.found[0].evidence, "/some/build/dir/app/lib/private");
	infer_release(&inf);
	strmap_release(&paths);
}

static void infer_resolve__system_short_known_and_thin_tails_are_not_prefixes(void **unused)
{
	struct infer inf;
	struct strmap paths;
	char *known[] = { "/opt/slurm/software" };

	(void)unused;
	paths_of(&paths, tree_paths);
	infer_init(&inf);
	infer_add(&inf, "/usr/lib/private", "a", "DT_RPATH", 1);          /* /usr: system */
	infer_add(&inf, "/x/lib", "a", "DT_RPATH", 1);                    /* one component */
	infer_add(&inf, "/opt/slurm/software/lib", "a", "DT_RPATH", 1);   /* already known */
	infer_add(&inf, "/home/u/.local/lib", "etc/x.conf", "configuration file", 2);
	infer_add(&inf, "/nowhere/at/all", "a", "DT_RPATH", 1);           /* no tail in the tree */
	infer_add(&inf, "relative/lib", "a", "DT_RPATH", 1);              /* not absolute */
	infer_resolve(&inf, &paths, known, 1);
	assert_int_equal(inf.nr_found, 0);
	infer_release(&inf);
	/* a configuration file with a tail of two components does */
	infer_init(&inf);
	infer_add(&inf, "/b/app/lib/slurm", "etc/slurm.conf", "configuration file", 2);
	infer_resolve(&inf, &paths, known, 1);
	assert_int_equal(inf.nr_found, 1);
	assert_string_equal(inf.found[0].prefix, "/b/app");
	infer_release(&inf);
	strmap_release(&paths);
}

static void infer_scan_text__pc_prefix_tokens_and_shebang(void **unused)
{
	static const char pc[] = "prefix=/b/app/\nlibdir=${prefix}/lib\n"
				 "Cflags: -I/b/app/include -L'/b/app/lib'\n";
	static const char sh[] = "#! /b/app/bin/prog -x\necho /b/app/share\n";
	struct infer inf;
	size_t i;
	int prefix = 0, include = 0, lib = 0;

	(void)unused;
	infer_init(&inf);
	infer_scan_text(&inf, "lib/pkgconfig/x.pc", pc, strlen(pc), 0);
	for (i = 0; i < inf.nr_cands; i++) {
		prefix += !strcmp(inf.cands[i].path, "/b/app") &&
			  !strcmp(inf.cands[i].kind, ".pc prefix");
		include += !strcmp(inf.cands[i].path, "/b/app/include");
		lib += !strcmp(inf.cands[i].path, "/b/app/lib");
	}
	assert_int_equal(prefix, 1);
	assert_int_equal(include, 1);
	assert_int_equal(lib, 1);
	infer_release(&inf);
	/* a script that is not a development or configuration file: its #! only */
	infer_init(&inf);
	infer_scan_text(&inf, "bin/tool", sh, strlen(sh), 0);
	assert_int_equal(inf.nr_cands, 1);
	assert_string_equal(inf.cands[0].path, "/b/app/bin/prog");
	assert_string_equal(inf.cands[0].kind, "#! line");
	infer_release(&inf);
}

static void infer_scan_text__a_hostile_file_is_bounded(void **unused)
{
	struct strbuf big = STRBUF_INIT;
	struct infer inf;
	int i;

	(void)unused;
	for (i = 0; i < 20000; i++)
		strbuf_addf(&big, "/p%d/x ", i);
	infer_init(&inf);
	infer_scan_text(&inf, "lib/x.la", big.buf, big.len, 0);
	assert_true(inf.nr_cands > 0 && inf.nr_cands <= 256);
	infer_release(&inf);
	strbuf_release(&big);
}

static void infer_shebang_foreign__system_directories_only(void **unused)
{
	char interp[64];

	(void)unused;
	assert_false(infer_shebang_foreign("/bin/sh"));
	assert_false(infer_shebang_foreign("/usr/bin/env"));
	assert_false(infer_shebang_foreign("/usr/local/bin/python3"));
	assert_false(infer_shebang_foreign(""));
	assert_true(infer_shebang_foreign("/opt/rh/perl/bin/perl"));
	assert_true(infer_shebang_foreign("/usr/bin/sub/dir/perl"));
	infer_shebang("#!/usr/bin/env  python3\n", 24, interp, sizeof(interp));
	assert_string_equal(interp, "/usr/bin/env");
	infer_shebang("no", 2, interp, sizeof(interp));
	assert_string_equal(interp, "");
}

/* --- verify on trees made here ------------------------------------------ */

#define fx t_tmp

/* verify ARGS on <dir>; its exit code, the report loaded into *r. */
static int verify(struct fx *f, struct json_object **r, const char *fmt, const char *arg)
{
	char *json = xasprintf("%s/r.json", f->dir), *args = xasprintf(fmt, arg);
	int rc = t_run("verify %s --prefixes 1 --json '%s' --quiet 2>/dev/null", args, json);

	*r = t_report_load(json);
	assert_non_null(*r);
	free(json);
	free(args);
	return rc;
}

static void verify__infers_a_build_prefix_nobody_configured(void **state)
{
	struct fx *f = *state;
	struct json_object *r;
	char *tar = xasprintf("%s/app.tar.gz", f->dir);

	/*
	 * Built in /some/build/dir/app, packed as app/: a script runs the
	 * tree's own prog by its build path, a configuration file names a
	 * data directory of the tree there, a program with no path at all.
	 */
	assert_int_equal(t_sh("set -e; cd '%s'; t=app; mkdir -p $t/bin $t/etc $t/share/data; "
			      "printf '#!/bin/sh\\necho prog\\n' > $t/bin/prog; "
			      "printf '#!/some/build/dir/app/bin/prog\\n' > $t/bin/tool; "
			      "chmod 755 $t/bin/prog $t/bin/tool; "
			      "printf 'data = /some/build/dir/app/share/data\\n' > $t/etc/app.conf; "
			      "printf 'int main(void){return 0;}\\n' > m.c; cc -o $t/bin/hello m.c; "
			      "tar -czf app.tar.gz app", f->dir), 0);
	assert_int_equal(verify(f, &r, "'%s'", tar), 1);
	assert_int_equal(t_report_count(r, "leak-inferred-prefix", "app/bin/tool"), 1);
	assert_int_equal(t_report_count(r, "leak-shebang", "app/bin/tool"), 1);
	assert_int_equal(t_report_count(r, "leak-config", "app/etc/app.conf"), 1);
	/* the interpreter is not a system one either */
	assert_int_equal(t_report_count(r, "shebang-foreign", "app/bin/tool"), 1);
	json_object_put(r);
	/* the same tree told the prefix: nothing inferred, the same leaks */
	assert_int_equal(t_run("verify '%s' --prefixes 1 --build-prefix /some/build/dir/app "
			       "--json '%s/k.json' --quiet 2>/dev/null", tar, f->dir), 1);
	{
		char *k = xasprintf("%s/k.json", f->dir);
		r = t_report_load(k);
		free(k);
	}
	assert_int_equal(t_report_count(r, "leak-inferred-prefix", NULL), 0);
	assert_int_equal(t_report_count(r, "leak-config", "app/etc/app.conf"), 1);
	json_object_put(r);
	free(tar);
}

static void verify__rpath_and_pc_give_the_prefix_away(void **state)
{
	struct fx *f = *state;
	struct json_object *r;
	char *tar = xasprintf("%s/rp.tar.gz", f->dir);

	assert_int_equal(t_sh("set -e; cd '%s'; t=software; mkdir -p $t/lib/pkgconfig $t/bin; "
			      "printf 'int f(void){return 0;}\\n' > f.c; "
			      "cc -shared -fPIC -o $t/lib/libf.so f.c "
			      "-Wl,-rpath,/home/builder/work/inst/lib; "
			      "printf 'prefix=/home/builder/work/inst\\nlibdir=${prefix}/lib\\n"
			      "Name: f\\nVersion: 1\\nDescription: f\\nLibs: -L${libdir} -lf\\n' "
			      "> $t/lib/pkgconfig/f.pc; "
			      "printf 'the docs live in /home/builder/work/inst/lib\\n' > $t/README; "
			      "tar -czf rp.tar.gz software", f->dir), 0);
	assert_int_equal(verify(f, &r, "'%s'", tar), 1);
	assert_int_equal(t_report_count(r, "rpath-absolute-outside", "software/lib/libf.so"), 1);
	assert_int_equal(t_report_count(r, "leak-inferred-prefix", NULL), 1);
	assert_int_equal(t_report_count(r, "leak-pkgconfig", "software/lib/pkgconfig/f.pc"), 1);
	/* plain text: graded as text (a warning), found all the same */
	assert_int_equal(t_report_count(r, "leak-text", "software/README"), 1);
	json_object_put(r);
	free(tar);
}

static void verify__libtool_and_config_scripts_leak(void **state)
{
	struct fx *f = *state;
	struct json_object *r;
	char *tar = xasprintf("%s/dev.tar.gz", f->dir);

	assert_int_equal(t_sh("set -e; cd '%s'; t=software; mkdir -p $t/lib $t/bin; "
			      "printf 'int main(void){return 0;}\\n' > m.c; cc -o $t/bin/x m.c; "
			      "printf \"libdir='/opt/slurm/software/lib'\\n\" > $t/lib/libx.la; "
			      "printf '#!/bin/sh\\nprefix=/opt/slurm/software\\necho $prefix\\n' "
			      "> $t/bin/x-config; chmod 755 $t/bin/x-config; "
			      "tar -czf dev.tar.gz software", f->dir), 0);
	assert_int_equal(verify(f, &r, "'%s'", tar), 1);
	assert_int_equal(t_report_count(r, "leak-libtool", "software/lib/libx.la"), 1);
	assert_int_equal(t_report_count(r, "leak-script", "software/bin/x-config"), 1);
	json_object_put(r);
	free(tar);
}

/* A tree on disk with what secure extraction refuses, and the same as a tarball. */
static void verify__tree_in_place_meets_the_rules_of_a_tarball(void **state)
{
	struct fx *f = *state;
	static const char *const rules[] = { "extract-setuid", "extract-special-file",
					     "extract-symlink-escape" };
	struct json_object *r;
	char *tree = xasprintf("%s/h/software", f->dir), *tar = xasprintf("%s/h.tar", f->dir);
	size_t i;

	assert_int_equal(t_sh("set -e; cd '%s'; mkdir -p h/software/bin h/software/etc; "
			      "printf 'int main(void){return 0;}\\n' > m.c; cc -o h/software/bin/x m.c; "
			      "cp h/software/bin/x h/software/bin/su; chmod 4755 h/software/bin/su; "
			      "mkfifo h/software/etc/pipe; ln -s /etc/passwd h/software/etc/passwd; "
			      "ln -s /opt/slurm/software/lib h/software/lib; "
			      "tar --format=pax -C h -cf h.tar software", f->dir), 0);
	assert_int_equal(verify(f, &r, "--tree '%s'", tree), 1);
	for (i = 0; i < 3; i++)
		assert_true(t_report_count(r, rules[i], NULL) >= 1);
	assert_int_equal(t_report_count(r, "extract-symlink-escape", NULL), 2);
	json_object_put(r);
	assert_int_equal(verify(f, &r, "'%s'", tar), 1);
	for (i = 0; i < 3; i++)
		assert_true(t_report_count(r, rules[i], NULL) >= 1);
	json_object_put(r);
	free(tree);
	free(tar);
}

static void verify__an_archive_with_nothing_to_check_fails(void **state)
{
	struct fx *f = *state;
	static const char *const names[] = { "empty.tar", "empty.tar.gz", "dirs.tar",
					     "cut.tar", "data.tar.gz" };
	struct json_object *r;
	size_t i;

	assert_int_equal(t_sh("set -e; cd '%s'; mkdir -p e d/software/share/doc data/software; "
			      "tar -cf empty.tar -C e .; gzip -c empty.tar > empty.tar.gz; "
			      "tar -cf dirs.tar -C d software; head -c 512 dirs.tar > cut.tar; "
			      "echo hello > data/software/notes.txt; tar -czf data.tar.gz -C data software",
			      f->dir), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = xasprintf("%s/%s", f->dir, names[i]);
		assert_int_equal(verify(f, &r, "'%s'", p), 1);
		if (t_report_count(r, "tree-empty", NULL) < 1)
			fail_msg("%s: no tree-empty finding", names[i]);
		json_object_put(r);
		free(p);
	}
	/* a data-only package, said so */
	{
		char *p = xasprintf("%s/data.tar.gz --allow-empty", f->dir);
		assert_int_equal(verify(f, &r, "%s", p), 0);
		assert_int_equal(t_report_count(r, "tree-empty", NULL), 0);
		json_object_put(r);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(infer_resolve__the_longest_tail_in_the_tree_gives_the_prefix),
		cmocka_unit_test(infer_resolve__system_short_known_and_thin_tails_are_not_prefixes),
		cmocka_unit_test(infer_scan_text__pc_prefix_tokens_and_shebang),
		cmocka_unit_test(infer_scan_text__a_hostile_file_is_bounded),
		cmocka_unit_test(infer_shebang_foreign__system_directories_only),
		cmocka_unit_test_setup_teardown(verify__infers_a_build_prefix_nobody_configured,
						t_tmp_setup, t_tmp_teardown),
		cmocka_unit_test_setup_teardown(verify__rpath_and_pc_give_the_prefix_away,
						t_tmp_setup, t_tmp_teardown),
		cmocka_unit_test_setup_teardown(verify__libtool_and_config_scripts_leak,
						t_tmp_setup, t_tmp_teardown),
		cmocka_unit_test_setup_teardown(verify__tree_in_place_meets_the_rules_of_a_tarball,
						t_tmp_setup, t_tmp_teardown),
		cmocka_unit_test_setup_teardown(verify__an_archive_with_nothing_to_check_fails,
						t_tmp_setup, t_tmp_teardown),
	};
	return cmocka_run_group_tests_name("infer", tests, NULL, NULL);
}
