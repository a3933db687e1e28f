/*
 * symver.c, the glibc floor's pure logic: version names and numbers, their
 * order, the targets' limits, the floor of a tree and its gate, on ELF
 * files described in memory (test_elf and test_verify use real ones).
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "symver.h"

static void parse__numbers_and_what_is_not_one(void **state)
{
	const char *bad[] = { "", "2.", ".2", "2..3", "2.x", "+2", " 2", "-1", "65536",
			      "2.34\n", "1.2.3.4.5", "0x10", "2.34 ", NULL };
	struct symver v;
	size_t i;

	(void)state;
	assert_int_equal(symver_parse("2.34", &v), 0);
	assert_int_equal(v.nr, 2);
	assert_int_equal(v.part[0], 2);
	assert_int_equal(v.part[1], 34);
	assert_int_equal(symver_parse("1.2.3.65535", &v), 0);
	assert_int_equal(v.nr, 4);
	assert_int_equal(v.part[3], 65535);
	for (i = 0; bad[i]; i++)
		if (!symver_parse(bad[i], &v))
			fail_msg("'%s' parsed as a version", bad[i]);
}

static void parse_name__families_and_names_of_none(void **state)
{
	const struct {
		const char *name;
		enum symver_family f;
		const char *v;
	} good[] = {
		{ "GLIBC_2.2.5", SYMVER_GLIBC, "2.2.5" },
		{ "GLIBC_2.34", SYMVER_GLIBC, "2.34" },
		{ "GLIBCXX_3.4.30", SYMVER_GLIBCXX, "3.4.30" },
		{ "CXXABI_1.3.13", SYMVER_CXXABI, "1.3.13" },
		{ "GCC_3.0", SYMVER_GCC, "3.0" },
	};
	const char *none[] = { "GLIBC_PRIVATE", "GLIBC_ABI_DT_RELR", "GLIBCXX_LDBL_3.4",
			       "CXXABI_TM_1", "FOO_1.0", "GLIBC_", "glibc_2.34", "GLIBC2.34",
			       NULL };
	struct strbuf out = STRBUF_INIT;
	enum symver_family f;
	struct symver v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(symver_parse_name(good[i].name, &f, &v), 0);
		assert_int_equal(f, good[i].f);
		strbuf_reset(&out);
		symver_format(&out, &v);
		assert_string_equal(out.buf, good[i].v);
	}
	for (i = 0; none[i]; i++)
		if (!symver_parse_name(none[i], &f, &v))
			fail_msg("'%s' taken for a version of a family", none[i]);
	strbuf_release(&out);
}

static int cmp(const char *a, const char *b)
{
	struct symver x, y;

	assert_int_equal(symver_parse(a, &x), 0);
	assert_int_equal(symver_parse(b, &y), 0);
	return symver_cmp(&x, &y);
}

static void cmp__by_number_not_by_text(void **state)
{
	(void)state;
	assert_true(cmp("2.10", "2.9") > 0);
	assert_true(cmp("2.34", "2.4") > 0);
	assert_true(cmp("2.2.5", "2.3") < 0);
	assert_true(cmp("2.3", "2.2.5") > 0);
	assert_int_equal(cmp("3.4", "3.4.0"), 0);
	assert_int_equal(cmp("2.28", "2.28"), 0);
	assert_true(cmp("3.4.25", "3.4.3") > 0);
}

static void cxxabi_for__the_libstdcxx_of_that_gcc(void **state)
{
	struct symver g, c;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	assert_int_equal(symver_parse("3.4.25", &g), 0);        /* GCC 8 */
	assert_int_equal(symver_cxxabi_for(&g, &c), 0);
	symver_format(&out, &c);
	assert_string_equal(out.buf, "1.3.11");
	assert_int_equal(symver_parse("3.4.29", &g), 0);        /* GCC 11 */
	assert_int_equal(symver_cxxabi_for(&g, &c), 0);
	strbuf_reset(&out);
	symver_format(&out, &c);
	assert_string_equal(out.buf, "1.3.13");
	/* older or newer than the table: no CXXABI_ limit rather than a wrong one */
	assert_int_equal(symver_parse("3.4.18", &g), 0);
	assert_int_equal(symver_cxxabi_for(&g, &c), -1);
	assert_int_equal(symver_parse("3.4.40", &g), 0);
	assert_int_equal(symver_cxxabi_for(&g, &c), -1);
	strbuf_release(&out);
}

/* The limit of family `f` as text, "" when there is none. */
static const char *limit_of(const struct symver_limits *l, enum symver_family f,
			    struct strbuf *out)
{
	strbuf_reset(out);
	symver_format(out, &l->max[f]);
	return out->buf;
}

static void limits__a_target_sets_glibc_glibcxx_and_cxxabi(void **state)
{
	struct symver_limits l;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	(void)state;
	symver_limits_init(&l);
	assert_int_equal(symver_limits_set(&l, NULL, NULL, "rhel8", &err), 0);
	assert_string_equal(limit_of(&l, SYMVER_GLIBC, &out), "2.28");
	assert_string_equal(limit_of(&l, SYMVER_GLIBCXX, &out), "3.4.25");
	assert_string_equal(limit_of(&l, SYMVER_CXXABI, &out), "1.3.11");
	assert_string_equal(limit_of(&l, SYMVER_GCC, &out), "");
	assert_string_equal(l.source[SYMVER_GLIBC], "--target rhel8");
	symver_limits_release(&l);
	/* an explicit number replaces the target's; a target without libstdc++ */
	assert_int_equal(symver_limits_set(&l, "2.26", NULL, "sles15", &err), 0);
	assert_string_equal(limit_of(&l, SYMVER_GLIBC, &out), "2.26");
	assert_string_equal(l.source[SYMVER_GLIBC], "--max-glibc 2.26");
	assert_string_equal(limit_of(&l, SYMVER_GLIBCXX, &out), "");
	assert_string_equal(limit_of(&l, SYMVER_CXXABI, &out), "");
	symver_limits_release(&l);
	assert_int_equal(symver_limits_set(&l, NULL, "3.4.30", "rhel8", &err), 0);
	assert_string_equal(limit_of(&l, SYMVER_GLIBCXX, &out), "3.4.30");
	assert_string_equal(limit_of(&l, SYMVER_CXXABI, &out), "1.3.13");
	assert_non_null(strstr(l.source[SYMVER_CXXABI], "--max-glibcxx 3.4.30"));
	symver_limits_release(&l);
	/* nothing asked: no limit */
	assert_int_equal(symver_limits_set(&l, NULL, NULL, NULL, &err), 0);
	assert_string_equal(limit_of(&l, SYMVER_GLIBC, &out), "");
	symver_limits_release(&l);
	strbuf_release(&err);
	strbuf_release(&out);
}

static void limits__unknown_target_and_bad_numbers_are_errors(void **state)
{
	struct symver_limits l;
	struct strbuf err = STRBUF_INIT;
	const struct symver_target *t;

	(void)state;
	symver_limits_init(&l);
	assert_int_equal(symver_limits_set(&l, NULL, NULL, "rhel10", &err), -1);
	assert_non_null(strstr(err.buf, "'rhel10'"));
	for (t = symver_targets; t->name; t++)
		if (!strstr(err.buf, t->name))
			fail_msg("the error does not name the target %s: %s", t->name, err.buf);
	strbuf_reset(&err);
	assert_int_equal(symver_limits_set(&l, "2.x", NULL, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "--max-glibc: '2.x'"));
	strbuf_reset(&err);
	assert_int_equal(symver_limits_set(&l, NULL, "3.4.", NULL, &err), -1);
	assert_non_null(strstr(err.buf, "--max-glibcxx: '3.4.'"));
	symver_limits_release(&l);
	strbuf_release(&err);
}

static void targets__every_row_parses(void **state)
{
	const struct symver_target *t;
	struct symver v;
	size_t n = 0;

	(void)state;
	for (t = symver_targets; t->name; t++, n++) {
		assert_int_equal(symver_parse(t->glibc, &v), 0);
		assert_true(!t->glibcxx || !symver_parse(t->glibcxx, &v));
		assert_true(symver_target_find(t->name) == t);
	}
	assert_true(n >= 10);
	assert_null(symver_target_find("nosuch"));
}

/* --- floors of trees described in memory ------------------------------ */

/* One needed version (the strings are literals: nothing to free). */
static void need(struct elf_info *e, const char *lib, const char *name, size_t refs,
		 const char *sym1, const char *sym2)
{
	struct elf_verneed *v;

	e->verneed = realloc(e->verneed, (e->nr_verneed + 1) * sizeof(*e->verneed));
	v = &e->verneed[e->nr_verneed++];
	memset(v, 0, sizeof(*v));
	v->lib = lib;
	v->name = name;
	v->nr_refs = refs;
	if (sym1)
		v->symbols[v->nr_symbols++] = sym1;
	if (sym2)
		v->symbols[v->nr_symbols++] = sym2;
}

static void define(struct elf_info *e, const char *name)
{
	e->verdef = realloc(e->verdef, (e->nr_verdef + 1) * sizeof(*e->verdef));
	e->verdef[e->nr_verdef++] = xstrdup(name);
}

/* The ELF files added to floors: the floor borrows them until pool_release(). */
static struct elf_info pool[8];
static size_t nr_pool;

/* Adds `e` to `fl` as `rel`; the pool takes `e`. */
static void add(struct symver_floor *fl, const char *rel, struct elf_info *e)
{
	assert_true(nr_pool < sizeof(pool) / sizeof(pool[0]));
	pool[nr_pool] = *e;
	symver_floor_add(fl, rel, &pool[nr_pool++]);
}

/* Releases `fl` and the files it borrowed. */
static void floor_release(struct symver_floor *fl)
{
	symver_floor_release(fl);
	while (nr_pool)
		elf_info_release(&pool[--nr_pool]);
}

struct gate_call {
	struct strbuf files, entries, messages;
};

static void on_too_new(void *ctx, const char *file, const char *entry, const char *message)
{
	struct gate_call *g = ctx;

	strbuf_addf(&g->files, "%s\n", file);
	strbuf_addf(&g->entries, "%s\n", entry);
	strbuf_addf(&g->messages, "%s\n", message);
}

/* bin/new needs GLIBC 2.34 and 2.30, bin/old 2.17, lib/libx.so.1 2.34 from libm. */
static void two_programs(struct symver_floor *fl)
{
	struct elf_info e;

	elf_info_init(&e);
	need(&e, "libc.so.6", "GLIBC_2.2.5", 7, "puts", "malloc");
	need(&e, "libc.so.6", "GLIBC_2.34", 2, "pthread_create", "__libc_start_main");
	need(&e, "libc.so.6", "GLIBC_2.30", 1, "gettid", NULL);
	need(&e, "libc.so.6", "GLIBC_PRIVATE", 1, "__libc_x", NULL);
	add(fl, "bin/new", &e);
	elf_info_init(&e);
	need(&e, "libc.so.6", "GLIBC_2.17", 1, "clock_gettime", NULL);
	add(fl, "bin/old", &e);
	elf_info_init(&e);
	e.soname = xstrdup("libx.so.1");
	need(&e, "libm.so.6", "GLIBC_2.34", 1, "fmod", NULL);
	add(fl, "lib/libx.so.1", &e);
}

static void floor__the_newest_version_over_every_file(void **state)
{
	struct symver_floor fl;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	symver_floor_init(&fl);
	two_programs(&fl);
	symver_floor_finish(&fl);
	symver_format(&out, &fl.top[SYMVER_GLIBC]);
	assert_string_equal(out.buf, "2.34");
	assert_int_equal(fl.top[SYMVER_GLIBCXX].nr, 0);
	strbuf_reset(&out);
	symver_floor_summary(&fl, &out);
	assert_string_equal(out.buf, "runs on glibc \xe2\x89\xa5 2.34 (GLIBC_2.34 for "
			    "pthread_create, __libc_start_main, fmod in bin/new and 1 more file)");
	strbuf_reset(&out);
	symver_floor_details(&fl, &out);
	assert_non_null(strstr(out.buf, "GLIBC_2.34 is the newest GLIBC_ version"));
	assert_non_null(strstr(out.buf, "  bin/new (from libc.so.6): pthread_create, "
				"__libc_start_main\n"));
	assert_non_null(strstr(out.buf, "  lib/libx.so.1 (from libm.so.6): fmod\n"));
	assert_null(strstr(out.buf, "bin/old"));
	floor_release(&fl);
	strbuf_release(&out);
}

static void floor__a_tree_that_needs_no_glibc_version_says_so(void **state)
{
	struct symver_floor fl;
	struct strbuf out = STRBUF_INIT;
	struct elf_info e;

	(void)state;
	symver_floor_init(&fl);
	elf_info_init(&e);
	need(&e, "libfoo.so.1", "FOO_1.0", 1, "foo", NULL);
	need(&e, "libgcc_s.so.1", "GCC_3.0", 1, "_Unwind_Resume", NULL);
	add(&fl, "bin/app", &e);
	symver_floor_finish(&fl);
	symver_floor_summary(&fl, &out);
	assert_string_equal(out.buf, "needs no versioned glibc symbol; from the system also "
			    "GCC_3.0");
	floor_release(&fl);
	strbuf_release(&out);
}

static void floor__versions_the_tree_defines_are_not_needed_from_the_system(void **state)
{
	struct symver_floor fl;
	struct strbuf out = STRBUF_INIT;
	struct elf_info e;

	(void)state;
	symver_floor_init(&fl);
	/* a grafted libstdc++: defines its GLIBCXX_ versions, needs glibc's */
	elf_info_init(&e);
	e.soname = xstrdup("libstdc++.so.6");
	define(&e, "GLIBCXX_3.4.30");
	define(&e, "CXXABI_1.3.13");
	need(&e, "libc.so.6", "GLIBC_2.36", 1, "arc4random", NULL);
	add(&fl, "lib/libstdc++.so.6", &e);
	elf_info_init(&e);
	need(&e, "libstdc++.so.6", "GLIBCXX_3.4.30", 3, "_ZSt4cout", NULL);
	need(&e, "libstdc++.so.6", "CXXABI_1.3.13", 1, "__cxa_x", NULL);
	/* the same version name from another library is still the system's */
	need(&e, "libother.so.1", "GLIBCXX_3.4.21", 1, "_ZNSt7__cxx11x", NULL);
	need(&e, "libc.so.6", "GLIBC_2.34", 1, "__libc_start_main", NULL);
	add(&fl, "bin/app", &e);
	symver_floor_finish(&fl);
	symver_format(&out, &fl.top[SYMVER_GLIBC]);
	assert_string_equal(out.buf, "2.36");
	strbuf_reset(&out);
	symver_format(&out, &fl.top[SYMVER_GLIBCXX]);
	assert_string_equal(out.buf, "3.4.21");
	assert_int_equal(fl.top[SYMVER_CXXABI].nr, 0);
	strbuf_reset(&out);
	symver_floor_details(&fl, &out);
	assert_non_null(strstr(out.buf, "defined in the tree, not needed from the system: "
				"GLIBCXX_3.4.30, CXXABI_1.3.13\n"));
	/* a library without DT_SONAME is known by its file name */
	floor_release(&fl);
	symver_floor_init(&fl);
	elf_info_init(&e);
	define(&e, "GCC_99.0");
	add(&fl, "lib/libgcc_s.so.1", &e);
	elf_info_init(&e);
	need(&e, "libgcc_s.so.1", "GCC_99.0", 1, "_Unwind_x", NULL);
	add(&fl, "bin/app", &e);
	symver_floor_finish(&fl);
	assert_int_equal(fl.top[SYMVER_GCC].nr, 0);
	floor_release(&fl);
	strbuf_release(&out);
}

static void gate__names_the_file_the_symbol_and_the_limit(void **state)
{
	struct gate_call g = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	struct symver_floor fl;
	struct symver_limits l;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	symver_floor_init(&fl);
	two_programs(&fl);
	symver_floor_finish(&fl);
	symver_limits_init(&l);
	assert_int_equal(symver_limits_set(&l, "2.28", NULL, NULL, &err), 0);
	assert_int_equal(symver_floor_gate(&fl, &l, on_too_new, &g), 2);
	assert_string_equal(g.files.buf, "bin/new\nlib/libx.so.1\n");
	assert_string_equal(g.entries.buf, "pthread_create@GLIBC_2.34\nfmod@GLIBC_2.34\n");
	/* every version over the limit, newest first, and what set the limit */
	assert_non_null(strstr(g.messages.buf, "needs GLIBC_2.34 (pthread_create, "
				"__libc_start_main) from libc.so.6, GLIBC_2.30 (gettid) from "
				"libc.so.6; the system may have no newer than GLIBC_2.28 "
				"(--max-glibc 2.28)\n"));
	symver_limits_release(&l);
	/* a limit the tree meets: no call */
	assert_int_equal(symver_limits_set(&l, "2.34", NULL, NULL, &err), 0);
	assert_int_equal(symver_floor_gate(&fl, &l, on_too_new, &g), 0);
	symver_limits_release(&l);
	/* between the two: only the newest */
	strbuf_reset(&g.messages);
	assert_int_equal(symver_limits_set(&l, "2.30", NULL, NULL, &err), 0);
	assert_int_equal(symver_floor_gate(&fl, &l, on_too_new, &g), 2);
	assert_null(strstr(g.messages.buf, "GLIBC_2.30 (gettid)"));
	assert_non_null(strstr(g.messages.buf, "no newer than GLIBC_2.30 (--max-glibc 2.30)"));
	symver_limits_release(&l);
	floor_release(&fl);
	strbuf_release(&g.files);
	strbuf_release(&g.entries);
	strbuf_release(&g.messages);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__numbers_and_what_is_not_one),
		cmocka_unit_test(parse_name__families_and_names_of_none),
		cmocka_unit_test(cmp__by_number_not_by_text),
		cmocka_unit_test(cxxabi_for__the_libstdcxx_of_that_gcc),
		cmocka_unit_test(limits__a_target_sets_glibc_glibcxx_and_cxxabi),
		cmocka_unit_test(limits__unknown_target_and_bad_numbers_are_errors),
		cmocka_unit_test(targets__every_row_parses),
		cmocka_unit_test(floor__the_newest_version_over_every_file),
		cmocka_unit_test(floor__a_tree_that_needs_no_glibc_version_says_so),
		cmocka_unit_test(floor__versions_the_tree_defines_are_not_needed_from_the_system),
		cmocka_unit_test(gate__names_the_file_the_symbol_and_the_limit),
	};
	return cmocka_run_group_tests_name("symver", tests, NULL, NULL);
}
