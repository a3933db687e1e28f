/*
 * The tag grammar against SchedMD's real tag list (../shared/fixtures,
 * read in place, never copied), plus small hand-made lists for the cases
 * the real list does not have.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tags.h"

static struct tag_list real;

/* Loads "<commit> <tag> <date>" lines; returns the number of lines. */
static size_t load_real_tags(struct tag_list *l)
{
	struct strbuf path = STRBUF_INIT, data = STRBUF_INIT;
	char *line, *save = NULL;
	size_t lines = 0;

	strbuf_addf(&path, "%s/fixtures/slurm-tags.txt", t_shared());
	if (t_read(path.buf, &data)) {
		fprintf(stderr, "# cannot read %s (set SF_SHARED)\n", path.buf);
		strbuf_release(&path);
		return 0;
	}
	for (line = strtok_r(data.buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char commit[64], tag[128];
		if (sscanf(line, "%63s %127s", commit, tag) != 2)
			continue;
		tag_list_add(l, tag, commit);
		lines++;
	}
	tag_list_sort(l);
	strbuf_release(&path);
	strbuf_release(&data);
	return lines;
}

static int setup_real(void **state)
{
	(void)state;
	tag_list_init(&real);
	return load_real_tags(&real) == 492 ? 0 : -1;
}

static int teardown_real(void **state)
{
	(void)state;
	tag_list_release(&real);
	return 0;
}

/* Resolves `spec` on the real list and returns the tag name ("" on error). */
static const char *resolve(const char *spec, int pre, struct strbuf *err)
{
	const struct tag_ref *t = NULL;

	if (tags_resolve(&real, spec, pre, &t, err))
		return "";
	return t->name;
}

static void parse__release_and_both_prerelease_styles(void **state)
{
	struct slurm_version v;

	(void)state;
	assert_int_equal(tag_parse("slurm-24-11-5-1", &v), 0);
	assert_int_equal(v.major, 24);
	assert_int_equal(v.minor, 11);
	assert_int_equal(v.micro, 5);
	assert_int_equal(v.rel, 1);
	assert_int_equal(v.pre, PRE_NONE);
	assert_int_equal(tag_parse("slurm-24-11-0-0rc1", &v), 0);
	assert_int_equal(v.pre, PRE_RC);
	assert_int_equal(v.pre_nr, 1);
	assert_int_equal(tag_parse("slurm-2-3-0-0-pre1", &v), 0);
	assert_int_equal(v.pre, PRE_PRE);
	assert_int_equal(v.rel, 0);
	assert_int_equal(tag_parse("slurm-2-4-0-0-ll2", &v), 0);
	assert_int_equal(v.pre, PRE_LL);
	assert_int_equal(v.pre_nr, 2);
}

static void parse__rejects_names_that_are_not_versions(void **state)
{
	static const char *bad[] = {
		"start", "slurm", "slurm-24-11-5", "slurm-24-11-5-1-", "slurm-24-11-5-1x",
		"slurm-24-11-5-1rc", "slurm--11-5-1", "Slurm-24-11-5-1", "slurm-24-11-5-1 ",
		"slurm-1234567890-1-1-1", "slurm-24.11.5-1", "",
	};
	struct slurm_version v = { 7, 7, 7, 7, PRE_RC, 7 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!tag_parse(bad[i], &v))
			fail_msg("'%s' parsed as a version", bad[i]);
	}
	assert_int_equal(v.major, 7); /* untouched on failure */
}

static void real_list__ignores_only_the_non_version_tag(void **state)
{
	(void)state;
	assert_int_equal(real.nr, 491);
	assert_int_equal(real.ignored, 1);   /* "start" */
}

static void sort__orders_by_number_not_by_string(void **state)
{
	size_t i, i9 = 0, i10 = 0;

	(void)state;
	for (i = 0; i < real.nr; i++) {
		if (!strcmp(real.items[i].name, "slurm-1-0-9-1"))
			i9 = i + 1;
		if (!strcmp(real.items[i].name, "slurm-1-0-10-1"))
			i10 = i + 1;
		if (i && version_cmp(&real.items[i - 1].v, &real.items[i].v) > 0)
			fail_msg("%s sorted before %s", real.items[i - 1].name,
				 real.items[i].name);
	}
	assert_true(i9 && i10 && i9 < i10);
	assert_string_equal(real.items[0].name, "slurm-1-0-0-1");
	assert_string_equal(real.items[real.nr - 1].name, "slurm-26-05-3-1");
}

static void cmp__prerelease_kinds_sort_before_the_release(void **state)
{
	struct slurm_version ll, pre, rc1, rc2, rel;

	(void)state;
	assert_int_equal(tag_parse("slurm-2-4-0-0-ll2", &ll), 0);
	assert_int_equal(tag_parse("slurm-2-4-0-0-pre4", &pre), 0);
	assert_int_equal(tag_parse("slurm-2-4-0-0-rc1", &rc1), 0);
	assert_int_equal(tag_parse("slurm-2-4-0-0-rc2", &rc2), 0);
	assert_int_equal(tag_parse("slurm-2-4-0-1", &rel), 0);
	assert_true(version_cmp(&ll, &pre) < 0);
	assert_true(version_cmp(&pre, &rc1) < 0);
	assert_true(version_cmp(&rc1, &rc2) < 0);
	assert_true(version_cmp(&rc2, &rel) < 0);
	assert_int_equal(version_cmp(&rel, &rel), 0);
}

static void version_string__keeps_digits_and_marks_rel_and_pre(void **state)
{
	static const char *cases[][2] = {
		{ "slurm-24-11-5-1", "24.11.5" },
		{ "slurm-24-05-1-1", "24.05.1" },
		{ "slurm-2-3-0-2", "2.3.0-2" },
		{ "slurm-24-11-0-0rc1", "24.11.0-0rc1" },
		{ "slurm-2-3-0-0-pre1", "2.3.0-0pre1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = STRBUF_INIT;
		tag_version_string(cases[i][0], &sb);
		assert_string_equal(sb.buf, cases[i][1]);
		strbuf_release(&sb);
	}
}

static void resolve__latest_is_the_newest_release(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_string_equal(resolve("latest", 0, &err), "slurm-26-05-3-1");
	/* the newest tag by version is still a release, also with --pre */
	assert_string_equal(resolve("latest", 1, &err), "slurm-26-05-3-1");
	strbuf_release(&err);
}

static void resolve__series_picks_newest_micro(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_string_equal(resolve("24.11", 0, &err), "slurm-24-11-7-1");
	assert_string_equal(resolve("23.02", 0, &err), "slurm-23-02-8-1");
	assert_string_equal(resolve("2.3", 0, &err), "slurm-2-3-5-1");
	assert_string_equal(resolve("24.5", 0, &err), resolve("24.05", 0, &err));
	strbuf_release(&err);
}

static void resolve__micro_picks_highest_rel(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_string_equal(resolve("2.3.0", 0, &err), "slurm-2-3-0-2");
	assert_string_equal(resolve("2.3.0-1", 0, &err), "slurm-2-3-0-1");
	assert_string_equal(resolve("24.11.5", 0, &err), "slurm-24-11-5-1");
	assert_string_equal(resolve("24.11.0", 1, &err), "slurm-24-11-0-1");
	strbuf_release(&err);
}

static void resolve__named_prerelease_needs_no_pre_flag(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_string_equal(resolve("24.11.0-0rc2", 0, &err), "slurm-24-11-0-0rc2");
	assert_string_equal(resolve("24.11.0rc1", 0, &err), "slurm-24-11-0-0rc1");
	assert_string_equal(resolve("2.3.0-0-pre6", 0, &err), "slurm-2-3-0-0-pre6");
	assert_string_equal(resolve("2.4.0-0ll2", 0, &err), "slurm-2-4-0-0-ll2");
	assert_string_equal(resolve("slurm-26-05-0-0rc1", 0, &err), "slurm-26-05-0-0rc1");
	strbuf_release(&err);
}

static void resolve__exact_tag_gives_its_commit(void **state)
{
	const struct tag_ref *t = NULL;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(tags_resolve(&real, "slurm-24-11-5-1", 0, &t, &err), 0);
	assert_string_equal(t->name, "slurm-24-11-5-1");
	/* the commit is whatever the list says; it must be a 40-hex id */
	assert_int_equal(strlen(t->commit), 40);
	assert_int_equal(strspn(t->commit, "0123456789abcdef"), 40);
	strbuf_release(&err);
}

static void resolve__malformed_spec_lists_newest_series(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_string_equal(resolve("banana", 0, &err), "");
	assert_non_null(strstr(err.buf, "'banana' is not a version spec"));
	assert_non_null(strstr(err.buf, "26.05.3 (slurm-26-05-3-1)"));
	assert_non_null(strstr(err.buf, "25.11.7"));
	strbuf_reset(&err);
	assert_string_equal(resolve("24-11", 0, &err), "");
	assert_non_null(strstr(err.buf, "not a version spec"));
	strbuf_reset(&err);
	assert_string_equal(resolve("24.11.x", 0, &err), "");
	strbuf_reset(&err);
	assert_string_equal(resolve("", 0, &err), "");
	strbuf_release(&err);
}

static void resolve__unknown_series_lists_neighbours(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_string_equal(resolve("24.12", 0, &err), "");
	assert_non_null(strstr(err.buf, "no Slurm version matches '24.12'"));
	assert_non_null(strstr(err.buf, "24.11.7 (slurm-24-11-7-1)"));
	assert_non_null(strstr(err.buf, "25.05.8 (slurm-25-05-8-1)"));
	assert_null(strstr(err.buf, "1.0.0"));
	strbuf_release(&err);
}

static void resolve__unknown_micro_lists_neighbours(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_string_equal(resolve("24.11.99", 0, &err), "");
	assert_non_null(strstr(err.buf, "24.11.7"));
	assert_non_null(strstr(err.buf, "25.05.0"));
	strbuf_reset(&err);
	assert_string_equal(resolve("slurm-24-11-99-1", 0, &err), "");
	assert_non_null(strstr(err.buf, "no tag named 'slurm-24-11-99-1'"));
	assert_non_null(strstr(err.buf, "24.11.7"));
	strbuf_reset(&err);
	assert_string_equal(resolve("slurm-start", 0, &err), "");
	assert_non_null(strstr(err.buf, "not a Slurm version tag"));
	strbuf_release(&err);
}

static void resolve__series_with_only_prereleases_needs_pre(void **state)
{
	struct tag_list l;
	const struct tag_ref *t = NULL;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	tag_list_init(&l);
	tag_list_add(&l, "slurm-27-05-0-0rc1", "1111111111111111111111111111111111111111");
	tag_list_add(&l, "slurm-26-05-3-1", "2222222222222222222222222222222222222222");
	tag_list_sort(&l);
	assert_int_equal(tags_resolve(&l, "27.05", 0, &t, &err), -1);
	assert_non_null(strstr(err.buf, "only pre-releases match '27.05'"));
	assert_non_null(strstr(err.buf, "27.05.0-0rc1"));
	assert_int_equal(tags_resolve(&l, "27.05", 1, &t, &err), 0);
	assert_string_equal(t->name, "slurm-27-05-0-0rc1");
	/* latest never picks the pre-release unless asked */
	assert_int_equal(tags_resolve(&l, "latest", 0, &t, &err), 0);
	assert_string_equal(t->name, "slurm-26-05-3-1");
	assert_int_equal(tags_resolve(&l, "latest", 1, &t, &err), 0);
	assert_string_equal(t->name, "slurm-27-05-0-0rc1");
	strbuf_release(&err);
	tag_list_release(&l);
}

static void resolve__empty_list_says_so(void **state)
{
	struct tag_list l;
	const struct tag_ref *t = NULL;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	tag_list_init(&l);
	assert_int_equal(tag_list_add(&l, "start", "33"), 0);
	assert_int_equal(tags_resolve(&l, "latest", 0, &t, &err), -1);
	assert_null(t);
	assert_non_null(strstr(err.buf, "no matching versions at all"));
	strbuf_release(&err);
	tag_list_release(&l);
}

static void list_add__same_name_replaces_the_commit(void **state)
{
	struct tag_list l;

	(void)state;
	tag_list_init(&l);
	assert_int_equal(tag_list_add(&l, "slurm-1-0-0-1", "aa"), 1);
	assert_int_equal(tag_list_add(&l, "slurm-1-0-0-1", "bb"), 1);
	assert_int_equal(l.nr, 1);
	assert_string_equal(l.items[0].commit, "bb");
	tag_list_release(&l);
}

/* A tag that is not a version leaves the list; the spec then finds the next one. */
static void list_remove__keeps_the_order_and_the_next_tag_wins(void **state)
{
	struct tag_list l;
	struct strbuf err = STRBUF_INIT;
	const struct tag_ref *hit = NULL;

	(void)state;
	tag_list_init(&l);
	tag_list_add(&l, "slurm-24-11-6-1", "66");
	tag_list_add(&l, "slurm-24-11-4-1", "44");
	tag_list_add(&l, "slurm-24-11-5-1", "55");
	tag_list_sort(&l);
	assert_int_equal(tags_resolve(&l, "24.11", 0, &hit, &err), 0);
	assert_string_equal(hit->name, "slurm-24-11-6-1");
	tag_list_remove(&l, hit);
	assert_int_equal(l.nr, 2);
	assert_string_equal(l.items[0].name, "slurm-24-11-4-1");
	assert_string_equal(l.items[1].name, "slurm-24-11-5-1");
	assert_int_equal(tags_resolve(&l, "24.11", 0, &hit, &err), 0);
	assert_string_equal(hit->commit, "55");
	tag_list_remove(&l, &l.items[0]);
	tag_list_remove(&l, &l.items[0]);
	assert_int_equal(l.nr, 0);
	assert_int_equal(tags_resolve(&l, "24.11", 0, &hit, &err), -1);
	tag_list_release(&l);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__release_and_both_prerelease_styles),
		cmocka_unit_test(parse__rejects_names_that_are_not_versions),
		cmocka_unit_test(real_list__ignores_only_the_non_version_tag),
		cmocka_unit_test(sort__orders_by_number_not_by_string),
		cmocka_unit_test(cmp__prerelease_kinds_sort_before_the_release),
		cmocka_unit_test(version_string__keeps_digits_and_marks_rel_and_pre),
		cmocka_unit_test(resolve__latest_is_the_newest_release),
		cmocka_unit_test(resolve__series_picks_newest_micro),
		cmocka_unit_test(resolve__micro_picks_highest_rel),
		cmocka_unit_test(resolve__named_prerelease_needs_no_pre_flag),
		cmocka_unit_test(resolve__exact_tag_gives_its_commit),
		cmocka_unit_test(resolve__malformed_spec_lists_newest_series),
		cmocka_unit_test(resolve__unknown_series_lists_neighbours),
		cmocka_unit_test(resolve__unknown_micro_lists_neighbours),
		cmocka_unit_test(resolve__series_with_only_prereleases_needs_pre),
		cmocka_unit_test(resolve__empty_list_says_so),
		cmocka_unit_test(list_add__same_name_replaces_the_commit),
		cmocka_unit_test(list_remove__keeps_the_order_and_the_next_tag_wins),
	};

	return cmocka_run_group_tests(tests, setup_real, teardown_real);
}
