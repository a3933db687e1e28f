/*
 * ci_output: workflow-command escaping, the annotation budget, the step
 * summary's size cap and Markdown escaping, outputs with multi-line values,
 * on reports built in memory with hostile names.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "ci_output.h"
#include "stages.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

/* A report with one failed verify check holding `n` error findings. */
static void failing_report(struct report *r, size_t n, const char *file)
{
	struct stage_report *s;
	struct check *c;
	size_t i;

	report_init(r, "run");
	s = report_add_stage(r, "resolve");
	stage_set_prop(s, "tag", "slurm-24-11-5-1");
	stage_set_prop(s, "version", "24.11.5");
	stage_finish(s);
	s = report_add_stage(r, "verify");
	c = stage_add_check(s, "rpath [prefix 1]");
	for (i = 0; i < n; i++)
		check_add_finding(c, "rpath-absolute-outside", SEV_ERROR, file, "/opt/x",
				  "RPATH entry points outside the install tree", "use $ORIGIN");
	check_finish(c);
	stage_finish(s);
	stage_skip(report_add_stage(r, "publish"), "the gate 'verify' did not pass");
	report_set_prop(r, "stopped_by", "verify");
	report_finish(r);
}

static void escape__data_and_property(void **state)
{
	struct strbuf d = STRBUF_INIT, p = STRBUF_INIT;

	(void)state;
	ci_escape_data(&d, "100% done\r\nnext: a,b");
	assert_string_equal(d.buf, "100%25 done%0D%0Anext: a,b");
	ci_escape_property(&p, "lib/a:b,c%\n");
	assert_string_equal(p.buf, "lib/a%3Ab%2Cc%25%0A");
	strbuf_release(&d);
	strbuf_release(&p);
}

static void annotations__hostile_file_names_cannot_inject_commands(void **state)
{
	struct report r;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	failing_report(&r, 1, "bin/evil,title=x::\n::error::injected%0A");
	ci_github_annotations(&r, NULL, &out);
	/* one line, one command; the name's separators are escaped */
	assert_int_equal(count(out.buf, "\n"), 1);
	assert_int_equal(count(out.buf, "::error"), 1);
	assert_non_null(strstr(out.buf, "file=bin/evil%2Ctitle=x%3A%3A%0A%3A%3Aerror%3A%3Ainjected%250A,"));
	report_release(&r);
	strbuf_release(&out);
}

static void annotations__at_most_ten_and_a_summary_of_the_rest(void **state)
{
	struct report r;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	failing_report(&r, 25, "lib/libslurm.so");
	ci_github_annotations(&r, "out/report.json", &out);
	assert_int_equal(count(out.buf, "::error "), 10);
	assert_int_equal(count(out.buf, "file=lib/libslurm.so"), 9);
	assert_non_null(strstr(out.buf, "16 more findings not annotated; see the step summary "
				    "and out/report.json"));
	report_release(&r);
	strbuf_release(&out);
}

static void annotations__ten_findings_need_no_summary(void **state)
{
	struct report r;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	failing_report(&r, 10, "lib/a.so");
	ci_github_annotations(&r, NULL, &out);
	assert_int_equal(count(out.buf, "::error "), 10);
	assert_null(strstr(out.buf, "more finding"));
	report_release(&r);
	strbuf_release(&out);
}

static void summary__stays_under_the_cap_and_valid_utf8(void **state)
{
	struct report r;
	struct strbuf out = STRBUF_INIT, clean = STRBUF_INIT;

	(void)state;
	failing_report(&r, REPORT_MAX_FINDINGS, "lib/\xc3\xa9\xc3\xa9\xc3\xa9-long-name.so");
	ci_github_summary(&r, &out, 3000);
	assert_true(out.len <= 3000);
	assert_true(out.len > 1000);
	utf8_sanitize(&clean, out.buf, out.len, 0);
	assert_string_equal(clean.buf, out.buf);
	assert_non_null(strstr(out.buf, "Stopped by the gate **verify**"));
	strbuf_reset(&out);
	ci_github_summary(&r, &out, 1024 * 1024);
	assert_true(out.len < 1024 * 1024);
	assert_non_null(strstr(out.buf, "more findings are in the report"));
	report_release(&r);
	strbuf_release(&out);
	strbuf_release(&clean);
}

static void summary__markdown_specials_in_names_are_escaped(void **state)
{
	struct report r;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	failing_report(&r, 1, "a|b<script>");
	ci_github_summary(&r, &out, 100000);
	assert_null(strstr(out.buf, "a|b"));
	assert_null(strstr(out.buf, "<script>"));
	assert_non_null(strstr(out.buf, "a\\|b&lt;script&gt;"));
	report_release(&r);
	strbuf_release(&out);
}

static void results__multiline_values_use_an_unguessable_delimiter(void **state)
{
	struct report r;
	struct ci_paths paths = { "out/r.json", NULL, NULL };
	struct ci_values v;
	struct strbuf out = STRBUF_INIT, env = STRBUF_INIT;
	const char *delim;

	(void)state;
	failing_report(&r, 1, "x");
	memset(&v, 0, sizeof(v));
	v.version = "24.11.5";
	v.tag = "slurm-24-11-5-1";
	v.checksums = "aaaa  a.tar.gz\nbbbb  b.tar.gz";
	ci_results(&r, &v, &paths, 1, &out);
	assert_non_null(strstr(out.buf, "exit-code=1\n"));
	assert_non_null(strstr(out.buf, "tag=slurm-24-11-5-1\n"));
	assert_non_null(strstr(out.buf, "report-json=out/r.json\n"));
	delim = strstr(out.buf, "checksums<<SF_EOF_");
	assert_non_null(delim);
	assert_non_null(strstr(delim, "\naaaa  a.tar.gz\nbbbb  b.tar.gz\nSF_EOF_"));
	ci_results(&r, &v, &paths, 0, &env);
	assert_non_null(strstr(env.buf, "SLURM_FACTORY_RESULT_VERSION=24.11.5\n"));
	assert_null(strstr(env.buf, "<<"));
	report_release(&r);
	strbuf_release(&out);
	strbuf_release(&env);
}

/* The exported names can never be read back as an option by a later step. */
static void results__exported_names_are_never_option_variables(void **state)
{
	const struct stage *st;
	const struct opt *o;
	struct report r;
	struct ci_values v;
	struct strbuf env = STRBUF_INIT;

	(void)state;
	for (st = stages; st->name; st++)
		for (o = st->opts; o && o->name; o++)
			if (!strncmp(o->name, "result", 6))
				fail_msg("option --%s of %s shares the exported names' prefix",
					 o->name, st->name);
	for (o = common_opts; o->name; o++)
		assert_int_not_equal(strncmp(o->name, "result", 6), 0);
	failing_report(&r, 1, "x");
	memset(&v, 0, sizeof(v));
	v.tag = "slurm-24-11-5-1";
	v.commit = "611190f5d05ceee7ca71cc6ca6d57860a3bde639";
	ci_results(&r, &v, NULL, 0, &env);
	assert_non_null(strstr(env.buf, "SLURM_FACTORY_RESULT_COMMIT=611190f5"));
	assert_null(strstr(env.buf, "SLURM_FACTORY_COMMIT="));
	assert_null(strstr(env.buf, "SLURM_FACTORY_TAG="));
	report_release(&r);
	strbuf_release(&env);
}

/* The step summary of a verify report whose stage has these floor properties (NULL: none). */
static void floor_summary(const char *glibc, const char *glibcxx, struct strbuf *out)
{
	struct report r;
	struct stage_report *s;

	report_init(&r, "verify");
	s = report_add_stage(&r, "verify");
	if (glibc)
		stage_set_prop(s, "glibc_floor", glibc);
	if (glibcxx)
		stage_set_prop(s, "glibcxx_floor", glibcxx);
	stage_finish(s);
	report_finish(&r);
	strbuf_reset(out);
	ci_github_summary(&r, out, 100000);
	report_release(&r);
}

static void summary__one_line_for_the_glibc_floor_when_verify_found_one(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	/* no floor property: no line */
	floor_summary(NULL, NULL, &out);
	assert_null(strstr(out.buf, "glibc"));
	floor_summary("2.34", NULL, &out);
	assert_int_equal(count(out.buf, "glibc"), 2);
	assert_non_null(strstr(out.buf, "\nRuns on glibc \xe2\x89\xa5 2\\.34 (the glibc floor).\n"));
	floor_summary("2.36", "3.4.30", &out);
	assert_non_null(strstr(out.buf, "Runs on glibc \xe2\x89\xa5 2\\.36 and libstdc++ with "
				"GLIBCXX\\_3\\.4\\.30 (the glibc floor).\n"));
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape__data_and_property),
		cmocka_unit_test(annotations__hostile_file_names_cannot_inject_commands),
		cmocka_unit_test(annotations__at_most_ten_and_a_summary_of_the_rest),
		cmocka_unit_test(summary__one_line_for_the_glibc_floor_when_verify_found_one),
		cmocka_unit_test(annotations__ten_findings_need_no_summary),
		cmocka_unit_test(summary__stays_under_the_cap_and_valid_utf8),
		cmocka_unit_test(summary__markdown_specials_in_names_are_escaped),
		cmocka_unit_test(results__multiline_values_use_an_unguessable_delimiter),
		cmocka_unit_test(results__exported_names_are_never_option_variables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
