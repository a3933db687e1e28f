/*
 * diff OLD NEW (stage_diff.c) and the exported symbols it reads
 * (elf_parse_exports): trees built by cc at test time, the symbol lists
 * checked against nm -D on the same files.
 */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* tmp/NAME/lib/libx.so.1 from C source `lib`, and tmp/NAME/bin/app linked to it. */
static void tree(const struct t_tmp *t, const char *name, const char *lib, const char *soname,
		 const char *rpath)
{
	assert_int_equal(t_sh("cd '%s' && mkdir -p %s/lib %s/bin && printf '%%s' '%s' > %s.c && "
			      "cc -shared -fPIC -Wl,-soname,%s -o %s/lib/libx.so.1 %s.c && "
			      "printf 'int foo(void);\\nint main(void){return foo();}\\n' > %s-m.c && "
			      "cc -o %s/bin/app %s-m.c %s/lib/libx.so.1 -Wl,-rpath,'%s'",
			      t->dir, name, name, lib, name, soname, name, name, name, name, name,
			      name, rpath), 0);
}

#define LIB_FOO_BAR "int foo(void){return 1;}\nint bar(void){return 2;}\n"
#define LIB_FOO_BAZ "int foo(void){return 1;}\nint baz(void){return 3;}\n"

/* Runs diff in tmp; returns its exit code, the JSON report in tmp/d.json. */
static int diff(const struct t_tmp *t, const char *args)
{
	return t_sh("cd '%s' && '%s' diff %s --quiet --json d.json 2>/dev/null", t->dir, t_bin(), args);
}

/* 1 when the JSON report tmp/d.json holds `text` (a finding's message). */
static int report_says(const struct t_tmp *t, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	char *p = xasprintf("%s/d.json", t->dir);
	int found;

	assert_int_equal(t_read(p, &sb), 0);
	found = strstr(sb.buf, text) != NULL;
	if (!found)
		print_message("# the report does not say '%s':\n%s\n", text, sb.buf);
	free(p);
	strbuf_release(&sb);
	return found;
}

static struct json_object *report(const struct t_tmp *t)
{
	char *p = xasprintf("%s/d.json", t->dir);
	struct json_object *r = t_report_load(p);

	free(p);
	assert_non_null(r);
	return r;
}

static void diff__identical_trees_report_no_change(void **state)
{
	struct t_tmp *t = *state;
	struct json_object *r;

	tree(t, "a", LIB_FOO_BAR, "libx.so.1", "$ORIGIN/../lib");
	assert_int_equal(t_sh("cd '%s' && tar -C a -czf a.tar.gz .", t->dir), 0);
	/* a tarball against the directory it was made from */
	assert_int_equal(diff(t, "a.tar.gz a"), 0);
	r = report(t);
	assert_int_equal(t_report_count(r, "diff-change", NULL), 0);
	json_object_put(r);
}

static void diff__removed_symbol_of_a_library_breaks_unless_allowed(void **state)
{
	struct t_tmp *t = *state;
	struct json_object *r;

	tree(t, "a", LIB_FOO_BAR, "libx.so.1", "$ORIGIN/../lib");
	tree(t, "b", LIB_FOO_BAZ, "libx.so.1", "$ORIGIN/../lib");
	assert_int_equal(diff(t, "a b"), 1);
	r = report(t);
	assert_int_equal(t_report_count(r, "diff-removed-symbol", "lib/libx.so.1"), 1);
	json_object_put(r);
	/* the report names the symbol gone and the one added */
	assert_true(report_says(t, "1 exported symbol(s) removed"));
	assert_true(report_says(t, "\"bar\""));
	assert_true(report_says(t, "1 exported symbol(s) added"));
	assert_true(report_says(t, "\"baz\""));
	assert_int_equal(diff(t, "a b --allow removed-symbol"), 0);
}

static void diff__new_absolute_runpath_breaks(void **state)
{
	struct t_tmp *t = *state;
	struct json_object *r;

	tree(t, "a", LIB_FOO_BAR, "libx.so.1", "$ORIGIN/../lib");
	tree(t, "b", LIB_FOO_BAR, "libx.so.1", "$ORIGIN/../lib:/opt/build/lib");
	assert_int_equal(diff(t, "a b"), 1);
	r = report(t);
	assert_int_equal(t_report_count(r, "diff-absolute-rpath", "bin/app"), 1);
	assert_int_equal(t_report_count(r, "diff-removed-symbol", NULL), 0);
	json_object_put(r);
	assert_int_equal(diff(t, "a b --allow absolute-rpath"), 0);
}

static void diff__soname_change_and_a_removed_library_break(void **state)
{
	struct t_tmp *t = *state;
	struct json_object *r;

	tree(t, "a", LIB_FOO_BAR, "libx.so.1", "$ORIGIN/../lib");
	tree(t, "b", LIB_FOO_BAR, "libx.so.2", "$ORIGIN/../lib");
	assert_int_equal(diff(t, "a b"), 1);
	r = report(t);
	assert_int_equal(t_report_count(r, "diff-soname-changed", "lib/libx.so.1"), 1);
	json_object_put(r);
	assert_int_equal(t_sh("cd '%s' && rm b/lib/libx.so.1", t->dir), 0);
	assert_int_equal(diff(t, "a b"), 1);
	r = report(t);
	assert_int_equal(t_report_count(r, "diff-soname-changed", "lib/libx.so.1"), 1);
	json_object_put(r);
}

static void diff__raised_glibc_floor_breaks(void **state)
{
	struct t_tmp *t = *state;
	struct json_object *r;

	/* old: a library that needs glibc 2.2.5 (strlen); new: a program of 2.34 too */
	assert_int_equal(t_sh("cd '%s' && mkdir -p a/lib && printf '#include <string.h>\\n"
			      "int foo(const char *s){return (int)strlen(s);}\\n' > l.c && "
			      "cc -shared -fPIC -o a/lib/libx.so.1 l.c && cp -a a b && "
			      "mkdir b/bin && printf 'int main(void){return 0;}\\n' > m.c && "
			      "cc -o b/bin/app m.c && objdump -T b/bin/app | grep -q GLIBC_2",
			      t->dir), 0);
	assert_int_equal(diff(t, "a b"), 1);
	r = report(t);
	assert_int_equal(t_report_count(r, "diff-glibc-floor", NULL), 1);
	json_object_put(r);
	assert_int_equal(diff(t, "a b --allow glibc-floor"), 0);
	/* the other way round the floor only falls: information */
	assert_int_equal(diff(t, "b a"), 0);
}

static void diff__exported_symbols_are_what_nm_shows(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf nm = STRBUF_INIT, want = STRBUF_INIT;
	unsigned long n;
	char *end;

	/* old: a stub with libz's SONAME exporting nothing; new: the real libz */
	assert_int_equal(t_sh("cd '%s' && mkdir -p a b && printf 'static int x;\\n' > s.c && "
			      "cc -shared -fPIC -nostdlib -Wl,-soname,libz.so.1 -o a/libz.so.1 s.c && "
			      "cp -L /usr/lib/x86_64-linux-gnu/libz.so.1 b/libz.so.1", t->dir), 0);
	assert_int_equal(t_sh_capture(&nm, "nm -D --defined-only '%s/b/libz.so.1' | wc -l", t->dir), 0);
	errno = 0;
	n = strtoul(nm.buf, &end, 10);
	assert_true(n > 50 && (*end == '\n' || !*end));
	/* the stub needs no glibc, libz does: the floor rises */
	assert_int_equal(diff(t, "a b --allow glibc-floor"), 0);
	strbuf_addf(&want, "\"%lu exported symbol(s) added\"", n);
	assert_true(report_says(t, want.buf));
	strbuf_release(&nm);
	strbuf_release(&want);
}

static void diff__markdown_escapes_names_from_the_trees(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf md = STRBUF_INIT;
	char *p = xasprintf("%s/d.md", t->dir);

	assert_int_equal(t_sh("cd '%s' && mkdir a b && printf x > 'b/x|y`z' && "
			      "printf y > 'b/<img src=1>'", t->dir), 0);
	assert_int_equal(diff(t, "a b --markdown d.md"), 0);
	assert_int_equal(t_read(p, &md), 0);
	assert_non_null(strstr(md.buf, "2 added"));
	assert_non_null(strstr(md.buf, "x\\|y\\`z"));
	assert_null(strstr(md.buf, "<img"));
	free(p);
	strbuf_release(&md);
}

static void diff__hostile_tarball_is_a_failed_read(void **state)
{
	struct t_tmp *t = *state;
	struct json_object *r;

	assert_int_equal(t_sh("cd '%s' && mkdir a && printf x > a/f && "
			      "tar -C a -cf evil.tar --transform 's,^\\./f,../f,' ./f 2>/dev/null; "
			      "tar -tf evil.tar 2>/dev/null | grep -q '^\\.\\./f'", t->dir), 0);
	assert_int_equal(diff(t, "a evil.tar"), 1);
	r = report(t);
	assert_int_equal(t_report_count(r, "extract-path-traversal", NULL), 1);
	assert_int_equal(t_report_checks(r, "read new", "fail"), 1);
	json_object_put(r);
	assert_int_equal(t_sh("test ! -e '%s/f'", t->dir), 0);
}

/*
 * Release directories (what package leaves): the software tarballs are
 * compared, and the manifests' grafted libraries; a directory with a
 * manifest and two software tarballs is refused, naming them.
 */
static void diff__release_directories_compare_tarballs_and_grafted_libraries(void **state)
{
	struct t_tmp *t = *state;
	struct json_object *r;

	tree(t, "a", LIB_FOO_BAR, "libx.so.1", "$ORIGIN/../lib");
	tree(t, "b", LIB_FOO_BAZ, "libx.so.1", "$ORIGIN/../lib");
	assert_int_equal(t_sh("cd '%s' && mkdir ra rb && "
			      "'%s' package a --slurm-version 24.11.5 --output-dir ra --quiet && "
			      "'%s' package b --slurm-version 24.11.6 --output-dir rb --quiet && "
			      "python3 -c \"import json,sys\n"
			      "pk = lambda v: [{'name': 'libmunge.so.2', 'package': 'libmunge2', 'version': v}]\n"
			      "for d, g, v in (('ra', ['libmunge.so.2 /lib/x', 'libhwloc.so.15 /lib/y'], '0.5.15-2'),"
			      " ('rb', ['libmunge.so.2 /lib/x', 'libpmix.so.2 /lib/z'], '0.5.15-2+deb12u1')):\n"
			      "  p = d + '/manifest.json'; m = json.load(open(p))\n"
			      "  m['build'] = {'grafted': g, 'grafted_packages': pk(v)}\n"
			      "  json.dump(m, open(p, 'w'))\"", t->dir, t_bin(), t_bin()), 0);
	/* bar removed from a library with a SONAME: breaking, as for the tarballs themselves */
	assert_int_equal(diff(t, "ra rb --markdown d.md"), 1);
	assert_true(report_says(t, "removed-symbol"));
	assert_true(report_says(t, "the release directory's ra/slurm-24.11.5-software.tar.gz"));
	assert_true(report_says(t, "2 grafted before, 2 now; added: libpmix.so.2; removed: "
				"libhwloc.so.15; Debian package changed: libmunge.so.2 (libmunge2 "
				"0.5.15-2 → libmunge2 0.5.15-2+deb12u1)"));
	/* (Markdown-escaped: names come from the manifests) */
	assert_int_equal(t_sh("cd '%s' && grep -qF '| + | grafted | libpmix\\.so\\.2 |' d.md && "
			      "grep -qF 'grafted | libhwloc\\.so\\.15 |' d.md && "
			      "grep -qF '| ~ | grafted | libmunge\\.so\\.2 \\(libmunge2 0\\.5\\.15\\-2 → ' d.md", t->dir), 0);
	/* the same release twice: no change, nothing grafted added or removed */
	assert_int_equal(diff(t, "ra ra"), 0);
	r = report(t);
	assert_int_equal(t_report_count(r, "diff-change", NULL), 0);
	assert_int_equal(t_report_checks(r, "grafted libraries", "pass"), 1);
	json_object_put(r);
	assert_true(report_says(t, "added: none; removed: none; Debian package changed: none"));
	/* two software tarballs beside one manifest: which one is meant is not guessed */
	assert_int_equal(t_sh("cd '%s' && cp ra/slurm-24.11.5-software.tar.gz "
			      "ra/slurm-24.11.4-software.tar.gz", t->dir), 0);
	assert_int_not_equal(diff(t, "ra rb"), 0);
	assert_true(report_says(t, "2 slurm-*-software.tar.* files"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, t_tmp_setup, t_tmp_teardown)
	const struct CMUnitTest tests[] = {
		T(diff__identical_trees_report_no_change),
		T(diff__removed_symbol_of_a_library_breaks_unless_allowed),
		T(diff__new_absolute_runpath_breaks),
		T(diff__soname_change_and_a_removed_library_break),
		T(diff__raised_glibc_floor_breaks),
		T(diff__exported_symbols_are_what_nm_shows),
		T(diff__markdown_escapes_names_from_the_trees),
		T(diff__hostile_tarball_is_a_failed_read),
		T(diff__release_directories_compare_tarballs_and_grafted_libraries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
