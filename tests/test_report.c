/*
 * The report model (report.c) and its writers (report_json.c,
 * report_junit.c), fed hostile content, plus the helpers they stand on:
 * utf8_sanitize, strbuf_add_console, xml_escape, parse_ulong/parse_size.
 *
 * The written files are checked by independent consumers: xmllint, Python's
 * json + jsonschema against docs/report.schema.json, Python's ElementTree,
 * and the npm JUnit consumer junit2json (tests/node_modules, installed by
 * scripts/setup.sh --test).
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "report_write.h"
#include "xml.h"

struct fx {
	char *dir;
	char *json;     /* dir/report.json */
	char *junit;    /* dir/report.xml */
	struct report r;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	f->dir = t_mkdtemp("report");
	assert_non_null(f->dir);
	f->json = xasprintf("%s/report.json", f->dir);
	f->junit = xasprintf("%s/report.xml", f->dir);
	report_init(&f->r, "verify");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	report_release(&f->r);
	t_rmtree(f->dir);
	free(f->dir);
	free(f->json);
	free(f->junit);
	free(f);
	return 0;
}

/* ---- independent checkers ------------------------------------------- */

/*
 * Strict UTF-8 validation written here, independently of strbuf.c:
 * shortest form, no surrogates, nothing above U+10FFFF.
 */
static int valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, n, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
		else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
		else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
		else return 0;
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n;
	}
	return 1;
}

/* No character XML 1.0 forbids (the input is valid UTF-8). */
static int xml_chars_ok(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
		/* EF BF BE / EF BF BF: U+FFFE, U+FFFF */
		if (i + 2 < len && s[i] == 0xEF && s[i + 1] == 0xBF &&
		    (s[i + 2] == 0xBE || s[i + 2] == 0xBF))
			return 0;
	}
	return 1;
}

static void xorshift_fill(unsigned char *buf, size_t len, unsigned long long seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		buf[i] = (unsigned char)(seed >> 32);
	}
}

static const char *py_json_check =
	"import json, sys, jsonschema\n"
	"schema = json.load(open(sys.argv[1], encoding='utf-8'))\n"
	"raw = open(sys.argv[2], 'rb').read()\n"
	"doc = json.loads(raw.decode('utf-8', 'strict'))\n"
	"jsonschema.Draft202012Validator.check_schema(schema)\n"
	"jsonschema.Draft202012Validator(schema).validate(doc)\n"
	"strings = []\n"
	"def walk(o):\n"
	"    if isinstance(o, dict):\n"
	"        for k, v in o.items():\n"
	"            strings.append(k); walk(v)\n"
	"    elif isinstance(o, list):\n"
	"        for v in o: walk(v)\n"
	"    elif isinstance(o, str):\n"
	"        strings.append(o)\n"
	"walk(doc)\n"
	"for s in strings:\n"
	"    s.encode('utf-8')  # a lone surrogate escape would fail here\n"
	"needles = json.load(open(sys.argv[3], encoding='utf-8'))\n"
	"missing = [n for n in needles if not any(n in s for s in strings)]\n"
	"if missing:\n"
	"    print('missing:', [n[:60] for n in missing]); sys.exit(3)\n"
	"print('ok', len(strings))\n";

static const char *py_xml_check =
	"import json, sys, xml.etree.ElementTree as ET\n"
	"root = ET.parse(sys.argv[1]).getroot()\n"
	"strings = []\n"
	"for el in root.iter():\n"
	"    strings.extend(el.attrib.values())\n"
	"    if el.text: strings.append(el.text)\n"
	"needles = json.load(open(sys.argv[2], encoding='utf-8'))\n"
	"missing = [n for n in needles if not any(n in s for s in strings)]\n"
	"if missing:\n"
	"    print('missing:', [n[:60] for n in missing]); sys.exit(3)\n"
	"print('ok', len(strings))\n";

static char *write_script(struct fx *f, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", f->dir, name);

	assert_int_equal(t_writestr(p, text), 0);
	return p;
}

/* Writes `needles` (valid UTF-8 strings) as a JSON array; returns the path. */
static char *write_needles(struct fx *f, const char *name, struct strbuf *needles,
			   size_t nr)
{
	json_object *arr = json_object_new_array();
	char *p = xasprintf("%s/%s", f->dir, name);
	size_t i;

	for (i = 0; i < nr; i++) {
		assert_true(valid_utf8((const unsigned char *)needles[i].buf, needles[i].len));
		json_object_array_add(arr, json_object_new_string_len(needles[i].buf,
								       (int)needles[i].len));
	}
	assert_int_equal(json_object_to_file_ext(p, arr, JSON_C_TO_STRING_PLAIN), 0);
	json_object_put(arr);
	return p;
}

static void json_valid(struct fx *f, const char *needles)
{
	char *py = write_script(f, "check_json.py", py_json_check);
	struct strbuf out = STRBUF_INIT;
	int rc = t_sh_capture(&out, "/usr/bin/python3 '%s' '%s/docs/report.schema.json' '%s' '%s'",
			      py, t_srcdir(), f->json, needles);

	if (rc)
		print_message("# python json check: %s\n", out.buf);
	assert_int_equal(rc, 0);
	strbuf_release(&out);
	free(py);
}

static void junit_valid(struct fx *f, const char *needles)
{
	char *py = write_script(f, "check_xml.py", py_xml_check);
	struct strbuf out = STRBUF_INIT;
	int rc = t_sh_capture(&out, "xmllint --noout '%s'", f->junit);

	if (rc)
		print_message("# xmllint: %.2000s\n", out.buf);
	assert_int_equal(rc, 0);
	strbuf_reset(&out);
	rc = t_sh_capture(&out, "/usr/bin/python3 '%s' '%s' '%s'", py, f->junit, needles);
	if (rc)
		print_message("# python xml check: %s\n", out.buf);
	assert_int_equal(rc, 0);
	strbuf_release(&out);
	free(py);
}

/* Runs junit2json on the JUnit file; returns its parsed output. */
static json_object *junit2json(struct fx *f)
{
	char *out = xasprintf("%s/junit2json.json", f->dir);
	json_object *o;
	int rc = t_sh("'%s/tests/node_modules/.bin/junit2json' '%s' > '%s'", t_srcdir(),
		      f->junit, out);

	assert_int_equal(rc, 0);
	o = json_object_from_file(out);
	assert_non_null(o);
	free(out);
	return o;
}

static long long jint(json_object *o, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	return json_object_get_int64(v);
}

static json_object *jarr(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	assert_true(json_object_is_type(v, json_type_array));
	return v;
}

/*
 * The JUnit file as junit2json reads it: one testsuite per stage, each
 * with the stage's testcases, and every count attribute equal to what is
 * really there.
 */
static void junit_counts_consistent(struct fx *f)
{
	json_object *j = junit2json(f), *suites = jarr(j, "testsuite");
	size_t i, total = 0, total_fail = 0, bad = 0;
	size_t nr = suites ? json_object_array_length(suites) : 0;

	/* count every mismatch first, so a failure frees what it parsed */
	if (nr != f->r.nr_stages) {
		print_message("# junit2json: %zu testsuites for %zu stages\n", nr, f->r.nr_stages);
		bad++;
	}
	for (i = 0; i < nr && i < f->r.nr_stages; i++) {
		const struct stage_report *s = f->r.stages[i];
		json_object *js = json_object_array_get_idx(suites, i), *cases = jarr(js, "testcase");
		size_t n = cases ? json_object_array_length(cases) : 0, k, fails = 0;
		size_t want = s->nr_checks ? s->nr_checks : (s->skip_reason ? 1 : 0);

		for (k = 0; k < n; k++)
			fails += json_object_object_get_ex(json_object_array_get_idx(cases, k),
							   "failure", NULL);
		if (n != want || jint(js, "tests") != (long long)n ||
		    jint(js, "failures") != (long long)fails) {
			print_message("# suite %zu: %zu testcases (want %zu), tests=%lld, "
				      "%zu failures, failures=%lld\n", i, n, want,
				      jint(js, "tests"), fails, jint(js, "failures"));
			bad++;
		}
		total += n;
		total_fail += fails;
	}
	/* the totals of <testsuites> are the sums of its suites */
	if (jint(j, "tests") != (long long)total || jint(j, "failures") != (long long)total_fail) {
		print_message("# testsuites: tests=%lld failures=%lld, but the suites hold "
			      "%zu testcases, %zu failures\n", jint(j, "tests"),
			      jint(j, "failures"), total, total_fail);
		bad++;
	}
	json_object_put(j);
	assert_int_equal(bad, 0);
}

/* ---- outcomes and exit codes ----------------------------------------- */

static void report_finish__empty_report_passes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(report_finish(&f->r), EXIT_PASS);
	assert_int_equal(f->r.exit_code, EXIT_PASS);
}

static void report_finish__passing_checks_exit_0(void **state)
{
	struct fx *f = *state;
	struct stage_report *s = report_add_stage(&f->r, "verify");
	struct check *c = stage_add_check(s, "rpath");

	check_add_finding(c, "rpath-missing-dir", SEV_WARNING, "bin/x", "$ORIGIN/../nope", "w", NULL);
	check_add_finding(c, "rpath-ignored", SEV_INFO, "bin/x", NULL, "i", NULL);
	check_finish(c);
	stage_finish(s);
	/* warnings and infos do not fail a check */
	assert_int_equal(c->outcome, OUTCOME_PASS);
	assert_int_equal(s->outcome, OUTCOME_PASS);
	assert_int_equal(report_finish(&f->r), EXIT_PASS);
}

static void report_finish__error_finding_exits_1(void **state)
{
	struct fx *f = *state;
	struct stage_report *s = report_add_stage(&f->r, "verify");
	struct check *ok = stage_add_check(s, "elf");
	struct check *bad = stage_add_check(s, "rpath");

	check_add_finding(bad, "rpath-relative", SEV_ERROR, "bin/x", "lib", "relative", NULL);
	stage_finish(s);
	assert_int_equal(ok->outcome, OUTCOME_PASS);
	assert_int_equal(bad->outcome, OUTCOME_FAIL);
	assert_int_equal(s->outcome, OUTCOME_FAIL);
	assert_int_equal(report_finish(&f->r), EXIT_CHECK_FAILED);
}

static void report_finish__environment_error_beats_failure(void **state)
{
	struct fx *f = *state;
	struct stage_report *v = report_add_stage(&f->r, "verify");
	struct stage_report *b = report_add_stage(&f->r, "build");
	struct check *c1 = stage_add_check(v, "rpath");
	struct check *c2 = stage_add_check(b, "lxd");

	check_fail(c1, OUTCOME_FAIL, "bad rpath");
	check_fail(c2, OUTCOME_ERROR, "LXD is down: %s", "connection refused");
	stage_finish(v);
	stage_finish(b);
	assert_int_equal(v->outcome, OUTCOME_FAIL);
	assert_int_equal(b->outcome, OUTCOME_ERROR);
	assert_string_equal(c2->message, "LXD is down: connection refused");
	assert_int_equal(report_finish(&f->r), EXIT_ENVIRONMENT);
}

static void check_fail__never_downgrades_an_outcome(void **state)
{
	struct fx *f = *state;
	struct stage_report *s = report_add_stage(&f->r, "verify");
	struct check *c = stage_add_check(s, "x");

	check_fail(c, OUTCOME_ERROR, "env");
	check_fail(c, OUTCOME_FAIL, "then a failure");
	check_add_finding(c, "rpath-relative", SEV_ERROR, NULL, NULL, "m", NULL);
	assert_int_equal(c->outcome, OUTCOME_ERROR);
	assert_string_equal(c->message, "then a failure");
	stage_finish(s);
	assert_int_equal(report_finish(&f->r), EXIT_ENVIRONMENT);
}

static void report_finish__skipped_stage_does_not_fail(void **state)
{
	struct fx *f = *state;
	struct stage_report *v = report_add_stage(&f->r, "verify");
	struct stage_report *p = report_add_stage(&f->r, "publish");

	stage_add_check(v, "rpath");
	stage_finish(v);
	stage_skip(p, "an earlier gate failed");
	stage_finish(p);
	assert_int_equal(p->outcome, OUTCOME_SKIPPED);
	assert_string_equal(p->skip_reason, "an earlier gate failed");
	assert_int_equal(report_finish(&f->r), EXIT_PASS);
}

static void stage_finish__all_checks_skipped_is_skipped_mixed_is_pass(void **state)
{
	struct fx *f = *state;
	struct stage_report *a = report_add_stage(&f->r, "smoke");
	struct stage_report *b = report_add_stage(&f->r, "verify");
	struct check *c;

	c = stage_add_check(a, "slurmctld");
	c->outcome = OUTCOME_SKIPPED;
	c = stage_add_check(a, "srun");
	c->outcome = OUTCOME_SKIPPED;
	stage_finish(a);
	assert_int_equal(a->outcome, OUTCOME_SKIPPED);
	stage_add_check(b, "rpath");
	c = stage_add_check(b, "smoke");
	c->outcome = OUTCOME_SKIPPED;
	stage_finish(b);
	assert_int_equal(b->outcome, OUTCOME_PASS);
	assert_int_equal(report_finish(&f->r), EXIT_PASS);
}

static void report_finish__interrupted_run_is_not_a_pass(void **state)
{
	struct fx *f = *state;
	struct stage_report *s = report_add_stage(&f->r, "build");

	stage_add_check(s, "container");
	s->interrupted = 1;
	f->r.interrupted = 1;
	stage_finish(s);
	assert_int_equal(s->outcome, OUTCOME_ERROR);
	assert_int_equal(report_finish(&f->r), EXIT_ENVIRONMENT);
	/* and the reports say so */
	{
		struct strbuf err = STRBUF_INIT;
		assert_int_equal(report_write_json(&f->r, f->json, &err), 0);
		strbuf_release(&err);
	}
	{
		json_object *j = t_report_load(f->json), *v, *st;
		assert_non_null(j);
		assert_true(json_object_object_get_ex(j, "interrupted", &v));
		assert_true(json_object_get_boolean(v));
		assert_int_equal(jint(j, "exit_code"), EXIT_ENVIRONMENT);
		st = json_object_array_get_idx(jarr(j, "stages"), 0);
		assert_true(json_object_object_get_ex(st, "interrupted", &v));
		assert_true(json_object_get_boolean(v));
		json_object_put(j);
	}
}

static void report_finish__interrupted_run_with_a_failure_does_not_pass(void **state)
{
	struct fx *f = *state;
	struct stage_report *s = report_add_stage(&f->r, "verify");
	struct check *c = stage_add_check(s, "rpath");

	check_add_finding(c, "rpath-relative", SEV_ERROR, NULL, NULL, "m", NULL);
	f->r.interrupted = 1;
	stage_finish(s);
	assert_int_not_equal(report_finish(&f->r), EXIT_PASS);
}

/* ---- the findings cap ------------------------------------------------ */

static void check_add_finding__caps_the_list_and_keeps_exact_counts(void **state)
{
	struct fx *f = *state;
	struct stage_report *s = report_add_stage(&f->r, "verify");
	struct check *c = stage_add_check(s, "leaks");
	const size_t extra = 234, total = REPORT_MAX_FINDINGS + extra;
	size_t i, want[3] = { 0, 0, 0 };
	json_object *j, *jc, *counts;
	struct strbuf x = STRBUF_INIT, needle = STRBUF_INIT;

	for (i = 0; i < total; i++) {
		enum severity sev = (enum severity)(i % 3);
		char file[32];
		snprintf(file, sizeof(file), "f%zu", i);
		check_add_finding(c, "leak-text", sev, file, NULL, "m", NULL);
		want[sev]++;
	}
	assert_int_equal(c->nr_findings, REPORT_MAX_FINDINGS);
	for (i = 0; i < 3; i++)
		assert_int_equal(c->nr_by_severity[i], want[i]);
	/* the first ones are kept, in order */
	assert_string_equal(c->findings[0]->file, "f0");
	assert_string_equal(c->findings[REPORT_MAX_FINDINGS - 1]->file, "f999");
	assert_int_equal(c->outcome, OUTCOME_FAIL);
	stage_finish(s);
	report_finish(&f->r);

	assert_int_equal(report_write_json(&f->r, f->json, &x), 0);
	j = t_report_load(f->json);
	assert_non_null(j);
	jc = json_object_array_get_idx(jarr(json_object_array_get_idx(jarr(j, "stages"), 0),
					    "checks"), 0);
	assert_int_equal(json_object_array_length(jarr(jc, "findings")), REPORT_MAX_FINDINGS);
	assert_true(json_object_object_get_ex(jc, "finding_counts", &counts));
	assert_int_equal(jint(counts, "error"), (long long)want[SEV_ERROR]);
	assert_int_equal(jint(counts, "warning"), (long long)want[SEV_WARNING]);
	assert_int_equal(jint(counts, "info"), (long long)want[SEV_INFO]);
	json_object_put(j);

	/* the JUnit text says how many were left out */
	report_junit_string(&f->r, &x);
	strbuf_addf(&needle, "(%zu more findings not listed)", extra);
	assert_non_null(strstr(x.buf, needle.buf));
	strbuf_release(&x);
	strbuf_release(&needle);
}

/* ---- hostile content through both writers ---------------------------- */

struct hostile {
	struct strbuf in, json, xml;  /* input; expected text after JSON / XML */
};

#define NR_HOSTILE 11

/*
 * The hostile strings and what each must read as once the JSON or XML is
 * parsed back: invalid bytes as "\xNN" text, XML-forbidden characters as
 * "\xNN" / "\u{FFFE}" in XML only, everything else unchanged.
 */
static void make_hostile(struct hostile *h)
{
	static const struct { const char *in, *out; } fixed[] = {
		{ "a\xff\xfe" "b", "a\\xFF\\xFEb" },
		{ "lone\x80\xbf" "cont", "lone\\x80\\xBFcont" },
		{ "over\xc0\xaf" "long\xe0\x80\xaf" "x\xf0\x80\x80\xaf", "over\\xC0\\xAFlong\\xE0\\x80\\xAFx\\xF0\\x80\\x80\\xAF" },
		{ "sur\xed\xa0\x80" "ro\xed\xbf\xbf" "gate", "sur\\xED\\xA0\\x80ro\\xED\\xBF\\xBFgate" },
		{ "cdata]]>end", "cdata]]>end" },
		{ "q\"uote a'pos <angle> &amp; &", "q\"uote a'pos <angle> &amp; &" },
		{ "del\x7f" "del", "del\x7f" "del" },
		{ "trunc\xe2\x82", "trunc\\xE2\\x82" },
		{ "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
	};
	size_t i;
	int c;

	for (i = 0; i < NR_HOSTILE; i++) {
		strbuf_init(&h[i].in);
		strbuf_init(&h[i].json);
		strbuf_init(&h[i].xml);
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		strbuf_addstr(&h[i].in, fixed[i].in);
		strbuf_addstr(&h[i].json, fixed[i].out);
		strbuf_addstr(&h[i].xml, fixed[i].out);
	}
	/* every C0 control character */
	strbuf_addstr(&h[i].in, "c0[");
	strbuf_addstr(&h[i].json, "c0[");
	strbuf_addstr(&h[i].xml, "c0[");
	for (c = 1; c < 0x20; c++) {
		strbuf_addch(&h[i].in, (char)c);
		strbuf_addch(&h[i].json, (char)c);
		if (c == '\t' || c == '\n' || c == '\r')
			strbuf_addch(&h[i].xml, (char)c);
		else
			strbuf_addf(&h[i].xml, "\\x%02X", c);
	}
	strbuf_addstr(&h[i].in, "]");
	strbuf_addstr(&h[i].json, "]");
	strbuf_addstr(&h[i].xml, "]");
	i++;
	/* U+FFFE, U+FFFF: valid in JSON, forbidden in XML */
	strbuf_addstr(&h[i].in, "nonchar\xef\xbf\xbe|\xef\xbf\xbf.");
	strbuf_addstr(&h[i].json, "nonchar\xef\xbf\xbe|\xef\xbf\xbf.");
	strbuf_addstr(&h[i].xml, "nonchar\\u{FFFE}|\\u{FFFF}.");
	i++;
	assert_int_equal(i, NR_HOSTILE);
}

static void free_hostile(struct hostile *h)
{
	size_t i;

	for (i = 0; i < NR_HOSTILE; i++) {
		strbuf_release(&h[i].in);
		strbuf_release(&h[i].json);
		strbuf_release(&h[i].xml);
	}
}

/* 1 MiB of every hostile string in turn. */
static char *megabyte(const struct hostile *h)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0;

	while (sb.len < (1u << 20))
		strbuf_addstr(&sb, h[i++ % NR_HOSTILE].in.buf);
	return strbuf_detach(&sb);
}

/* Puts hostile string `s` in every field a report has. */
static void fill_report(struct report *r, const char *s, size_t k, const char *big)
{
	struct strbuf tmp = STRBUF_INIT;
	struct stage_report *st;
	struct check *ok, *bad, *skip;

	strbuf_addf(&tmp, "prop-%zu %s", k, s);
	report_set_prop(r, tmp.buf, s);
	st = report_add_stage(r, s);
	stage_set_prop(st, tmp.buf, s);
	ok = stage_add_check(st, s);
	check_set_message(ok, "%s", s);
	strbuf_addstr(&ok->details, s);
	check_attach_log(ok, s);
	bad = stage_add_check(st, s);
	check_add_finding(bad, s, SEV_ERROR, s, s, s, NULL);
	check_add_finding(bad, "leak-text", SEV_WARNING, NULL, NULL, NULL, NULL);
	strbuf_addstr(&bad->details, big ? big : s);
	check_attach_log(bad, s);
	skip = stage_add_check(st, s);
	skip->outcome = OUTCOME_SKIPPED;
	check_set_message(skip, "%s", s);
	stage_finish(st);
	st = report_add_stage(r, s);
	stage_skip(st, s);
	stage_finish(st);
	strbuf_release(&tmp);
}

static void report_write__hostile_content_gives_valid_json_and_junit(void **state)
{
	struct fx *f = *state;
	struct hostile h[NR_HOSTILE];
	struct strbuf err = STRBUF_INIT, jn[NR_HOSTILE + 2], xn[NR_HOSTILE + 2];
	char *big, *jneedles, *xneedles;
	size_t i;
	json_object *j, *stages, *details;

	make_hostile(h);
	big = megabyte(h);
	for (i = 0; i < NR_HOSTILE; i++)
		fill_report(&f->r, h[i].in.buf, i, i == 0 ? big : NULL);
	report_finish(&f->r);
	assert_int_equal(report_write_json(&f->r, f->json, &err), 0);
	assert_int_equal(report_write_junit(&f->r, f->junit, &err), 0);
	assert_int_equal(err.len, 0);

	for (i = 0; i < NR_HOSTILE; i++) {
		strbuf_init(&jn[i]);
		strbuf_init(&xn[i]);
		strbuf_add(&jn[i], h[i].json.buf, h[i].json.len);
		strbuf_add(&xn[i], h[i].xml.buf, h[i].xml.len);
	}
	/* the log attachment and the escaped markup read back as text */
	strbuf_init(&jn[i]);
	strbuf_init(&xn[i]);
	strbuf_addstr(&jn[i], "cdata]]>end");
	strbuf_addf(&xn[i], "[[ATTACHMENT|%s]]", h[0].xml.buf);
	i++;
	strbuf_init(&jn[i]);
	strbuf_init(&xn[i]);
	strbuf_addstr(&jn[i], "prop-0 a\\xFF\\xFEb");
	strbuf_addstr(&xn[i], "slurm-factory.a\\xFF\\xFEb");
	jneedles = write_needles(f, "json-needles.json", jn, NR_HOSTILE + 2);
	xneedles = write_needles(f, "xml-needles.json", xn, NR_HOSTILE + 2);

	json_valid(f, jneedles);
	junit_valid(f, xneedles);

	/* the raw files: valid UTF-8, no XML-forbidden character, no CDATA */
	{
		struct strbuf raw = STRBUF_INIT;
		assert_int_equal(t_read(f->junit, &raw), 0);
		assert_true(valid_utf8((unsigned char *)raw.buf, raw.len));
		assert_true(xml_chars_ok((unsigned char *)raw.buf, raw.len));
		assert_null(strstr(raw.buf, "<![CDATA["));
		assert_null(strstr(raw.buf, "]]>"));  /* only as text: ]]&gt; */
		strbuf_reset(&raw);
		assert_int_equal(t_read(f->json, &raw), 0);
		assert_true(valid_utf8((unsigned char *)raw.buf, raw.len));
		strbuf_release(&raw);
	}
	/* the megabyte survives whole (it only grows by the escapes) */
	j = t_report_load(f->json);
	assert_non_null(j);
	stages = jarr(j, "stages");
	assert_int_equal(json_object_array_length(stages), 2 * NR_HOSTILE);
	assert_true(json_object_object_get_ex(
		json_object_array_get_idx(jarr(json_object_array_get_idx(stages, 0), "checks"), 1),
		"details", &details));
	assert_true(json_object_get_string_len(details) >= (int)(1u << 20));
	json_object_put(j);

	for (i = 0; i < NR_HOSTILE + 2; i++) {
		strbuf_release(&jn[i]);
		strbuf_release(&xn[i]);
	}
	free(jneedles);
	free(xneedles);
	free(big);
	free_hostile(h);
	strbuf_release(&err);
	/* last: junit2json reads the same counts the file claims */
	junit_counts_consistent(f);
}

static void report_write__skipped_stage_counts_in_junit_totals(void **state)
{
	struct fx *f = *state;
	struct stage_report *v = report_add_stage(&f->r, "verify");
	struct stage_report *p = report_add_stage(&f->r, "publish");
	struct check *c = stage_add_check(v, "rpath");

	check_add_finding(c, "rpath-relative", SEV_ERROR, "bin/x", "lib", "m", NULL);
	stage_add_check(v, "needed");
	stage_finish(v);
	stage_skip(p, "verify failed");
	stage_finish(p);
	report_finish(&f->r);
	{
		struct strbuf err = STRBUF_INIT;
		assert_int_equal(report_write_junit(&f->r, f->junit, &err), 0);
		strbuf_release(&err);
	}
	assert_int_equal(t_sh("xmllint --noout '%s'", f->junit), 0);
	junit_counts_consistent(f);
}

static void report_write__unwritable_path_is_an_error(void **state)
{
	struct fx *f = *state;
	struct strbuf err = STRBUF_INIT;
	char *p = xasprintf("%s/no/such/dir/report.json", f->dir);

	report_finish(&f->r);
	assert_int_equal(report_write_json(&f->r, p, &err), -1);
	assert_true(err.len > 0);
	strbuf_reset(&err);
	assert_int_equal(report_write_junit(&f->r, p, &err), -1);
	assert_true(err.len > 0);
	strbuf_release(&err);
	free(p);
}

/* ---- utf8_sanitize, xml_escape --------------------------------------- */

static void sanitize_is(const char *in, size_t len, int xml, const char *want)
{
	struct strbuf out = STRBUF_INIT;

	utf8_sanitize(&out, in, len, xml);
	if (strcmp(out.buf, want))
		print_message("# utf8_sanitize(xml=%d) gave '%s', want '%s'\n", xml, out.buf, want);
	assert_int_equal(out.len, strlen(want));
	assert_string_equal(out.buf, want);
	strbuf_release(&out);
}

#define S(lit) lit, sizeof(lit) - 1

static void utf8_sanitize__keeps_valid_utf8(void **state)
{
	(void)state;
	sanitize_is(S("plain ascii"), 0, "plain ascii");
	sanitize_is(S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 1, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* the edges: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFD, U+10000, U+10FFFF */
	sanitize_is(S("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"),
		    1, "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbd\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
	sanitize_is(S("tab\tlf\ncr\r"), 1, "tab\tlf\ncr\r");
	sanitize_is(S("del\x7f"), 1, "del\x7f");
}

static void utf8_sanitize__escapes_invalid_bytes(void **state)
{
	(void)state;
	sanitize_is(S("\xff\xfe"), 0, "\\xFF\\xFE");
	sanitize_is(S("\x80"), 0, "\\x80");
	sanitize_is(S("a\xbf" "b"), 0, "a\\xBFb");
	/* overlong encodings of "/" and of NUL */
	sanitize_is(S("\xc0\xaf"), 0, "\\xC0\\xAF");
	sanitize_is(S("\xc1\xbf"), 0, "\\xC1\\xBF");
	sanitize_is(S("\xe0\x80\xaf"), 0, "\\xE0\\x80\\xAF");
	sanitize_is(S("\xf0\x80\x80\xaf"), 0, "\\xF0\\x80\\x80\\xAF");
	sanitize_is(S("\xc0\x80"), 0, "\\xC0\\x80");
	/* UTF-16 surrogates encoded in UTF-8 */
	sanitize_is(S("\xed\xa0\x80"), 0, "\\xED\\xA0\\x80");
	sanitize_is(S("\xed\xbf\xbf"), 0, "\\xED\\xBF\\xBF");
	/* above U+10FFFF, and bytes that never start a sequence */
	sanitize_is(S("\xf4\x90\x80\x80"), 0, "\\xF4\\x90\\x80\\x80");
	sanitize_is(S("\xf5\xf8\xfc"), 0, "\\xF5\\xF8\\xFC");
	/* a sequence cut short, at the end and before ASCII */
	sanitize_is(S("\xe2\x82"), 0, "\\xE2\\x82");
	sanitize_is(S("\xf0\x9f\x98z"), 0, "\\xF0\\x9F\\x98z");
	/* an embedded NUL: kept for JSON (json-c escapes it), escaped for XML */
	sanitize_is(S("a\0b"), 1, "a\\x00b");
}

static void utf8_sanitize__xml_mode_escapes_forbidden_characters(void **state)
{
	struct strbuf in = STRBUF_INIT, want = STRBUF_INIT, keep = STRBUF_INIT;
	int c;

	(void)state;
	for (c = 1; c < 0x20; c++) {
		strbuf_addch(&in, (char)c);
		strbuf_addch(&keep, (char)c);
		if (c == '\t' || c == '\n' || c == '\r')
			strbuf_addch(&want, (char)c);
		else
			strbuf_addf(&want, "\\x%02X", c);
	}
	sanitize_is(in.buf, in.len, 1, want.buf);
	sanitize_is(in.buf, in.len, 0, keep.buf);
	sanitize_is(S("\xef\xbf\xbe\xef\xbf\xbf"), 1, "\\u{FFFE}\\u{FFFF}");
	sanitize_is(S("\xef\xbf\xbe\xef\xbf\xbf"), 0, "\xef\xbf\xbe\xef\xbf\xbf");
	strbuf_release(&in);
	strbuf_release(&want);
	strbuf_release(&keep);
}

static void utf8_sanitize__appends_and_output_is_always_valid(void **state)
{
	unsigned char buf[4096];
	struct strbuf out = STRBUF_INIT, again = STRBUF_INIT;
	unsigned long long seed;

	(void)state;
	strbuf_addstr(&out, "keep:");
	utf8_sanitize(&out, "\xff", 1, 0);
	assert_string_equal(out.buf, "keep:\\xFF");
	for (seed = 1; seed <= 300; seed++) {
		int xml = (int)(seed & 1);
		xorshift_fill(buf, sizeof(buf), seed * 0x9E3779B97F4A7C15ULL);
		strbuf_reset(&out);
		utf8_sanitize(&out, (const char *)buf, sizeof(buf), xml);
		assert_true(valid_utf8((unsigned char *)out.buf, out.len));
		if (xml)
			assert_true(xml_chars_ok((unsigned char *)out.buf, out.len));
		/* sanitising a clean string changes nothing */
		strbuf_reset(&again);
		utf8_sanitize(&again, out.buf, out.len, xml);
		assert_int_equal(again.len, out.len);
		assert_memory_equal(again.buf, out.buf, out.len);
	}
	strbuf_release(&out);
	strbuf_release(&again);
}

static void escape_is(const char *in, size_t len, const char *want)
{
	struct strbuf out = STRBUF_INIT;

	xml_escape(&out, in, len);
	assert_string_equal(out.buf, want);
	strbuf_release(&out);
}

static void xml_escape__markup_and_whitespace_become_references(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	escape_is(S("&<>\"'"), "&amp;&lt;&gt;&quot;&apos;");
	escape_is(S("]]>"), "]]&gt;");
	escape_is(S("a\nb\rc\td"), "a&#10;b&#13;c&#9;d");
	escape_is(S("&amp;"), "&amp;amp;");
	escape_is(S("\x01\xff<"), "\\x01\\xFF&lt;");
	escape_is(S("\xef\xbf\xbe"), "\\u{FFFE}");
	xml_escapestr(&out, NULL);
	assert_int_equal(out.len, 0);
	xml_escapestr(&out, "x<");
	assert_string_equal(out.buf, "x&lt;");
	strbuf_release(&out);
}

/* Random bytes escaped into an attribute and into content parse with xmllint. */
static void xml_escape__random_bytes_parse_as_xml(void **state)
{
	struct fx *f = *state;
	unsigned char buf[65536];
	struct strbuf doc = STRBUF_INIT;
	char *p = xasprintf("%s/random.xml", f->dir);

	xorshift_fill(buf, sizeof(buf), 0xC0FFEE);
	strbuf_addstr(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a x=\"");
	xml_escape(&doc, (const char *)buf, sizeof(buf) / 2);
	strbuf_addstr(&doc, "\">");
	xml_escape(&doc, (const char *)buf + sizeof(buf) / 2, sizeof(buf) / 2);
	strbuf_addstr(&doc, "</a>\n");
	assert_int_equal(t_write(p, doc.buf, doc.len, 0644), 0);
	assert_int_equal(t_sh("xmllint --noout '%s'", p), 0);
	strbuf_release(&doc);
	free(p);
}

/* ---- parse_ulong, parse_size ----------------------------------------- */

static void parse_ulong__accepts_whole_numbers_in_range(void **state)
{
	unsigned long v = 7;
	char max[32];

	(void)state;
	assert_int_equal(parse_ulong("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_ulong("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_ulong("10", 10, 10, &v), 0);  /* bounds inclusive */
	assert_int_equal(v, 10);
	snprintf(max, sizeof(max), "%lu", ULONG_MAX);
	assert_int_equal(parse_ulong(max, 0, ULONG_MAX, &v), 0);
	assert_true(v == ULONG_MAX);
	assert_int_equal(parse_ulong("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
}

static void parse_ulong__refuses_junk_overflow_and_range(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "\t1", "\n1", "1 ", "1x", "0x10", "1e3", "1.5", "one",
		"18446744073709551616", "99999999999999999999999", "--1", "1\n",
	};
	unsigned long v = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_ulong(bad[i], 0, ULONG_MAX, &v) != -1)
			print_message("# parse_ulong accepted '%s'\n", bad[i]);
		assert_int_equal(parse_ulong(bad[i], 0, ULONG_MAX, &v), -1);
		assert_int_equal(v, 12345);  /* left alone */
	}
	assert_int_equal(parse_ulong(NULL, 0, 10, &v), -1);
	assert_int_equal(parse_ulong("11", 0, 10, &v), -1);
	assert_int_equal(parse_ulong("4", 5, 10, &v), -1);
	assert_int_equal(v, 12345);
}

static void parse_size__accepts_suffixes(void **state)
{
	static const struct { const char *s; unsigned long long v; } ok[] = {
		{ "0", 0 }, { "1", 1 }, { "1k", 1ULL << 10 }, { "1K", 1ULL << 10 },
		{ "2M", 2ULL << 20 }, { "2m", 2ULL << 20 }, { "3G", 3ULL << 30 },
		{ "4T", 4ULL << 40 }, { "0T", 0 }, { "18446744073709551615", ~0ULL },
		{ "16777215T", 16777215ULL << 40 }, { "17179869183G", 17179869183ULL << 30 },
	};
	unsigned long long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 1;
		if (parse_size(ok[i].s, &v))
			print_message("# parse_size refused '%s'\n", ok[i].s);
		assert_int_equal(parse_size(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
}

static void parse_size__refuses_junk_and_overflow(void **state)
{
	static const char *const bad[] = {
		"", "K", "-1", "+1", " 1", "\t1", "1X", "1KK", "1 K", "1.5G", "0x10",
		"16777216T", "17179869184G", "18446744073709551616", "99999999999999999999T",
		"1P", "1K ",
	};
	unsigned long long v = 12345;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_size(bad[i], &v) != -1)
			print_message("# parse_size accepted '%s'\n", bad[i]);
		assert_int_equal(parse_size(bad[i], &v), -1);
		assert_true(v == 12345);
	}
	assert_int_equal(parse_size(NULL, &v), -1);
}

static void strbuf_add_console__control_characters_are_shown_not_sent(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_add_console(&sb, "a\nb\x1b[31mred\r\t\x7f\x01");
	assert_string_equal(sb.buf, "a\\nb\\x1b[31mred\\r\\t\\x7f\\x01");
	strbuf_reset(&sb);
	/* C1 CSI, a line separator, an invalid byte */
	strbuf_add_console(&sb, "x\xc2\x9b" "2J\xe2\x80\xa8y\xff");
	assert_string_equal(sb.buf, "x\\u{009B}2J\\u{2028}y\\xFF");
	strbuf_reset(&sb);
	strbuf_add_console(&sb, "plain UTF-8: \xc3\xa9t\xc3\xa9 std::string");
	assert_string_equal(sb.buf, "plain UTF-8: \xc3\xa9t\xc3\xa9 std::string");
	strbuf_release(&sb);
}

static void strbuf_add_console__never_starts_a_workflow_command(void **state)
{
	static const char *const in[] = { "::error file=x::pwned", "  ::add-mask::x",
					  "##[error]x", "\n::warning::x", NULL };
	static const char *const want[] = { "\\::error file=x::pwned", "  \\::add-mask::x",
					    "\\##[error]x", "\\n::warning::x" };
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; in[i]; i++) {
		strbuf_reset(&sb);
		assert_string_equal(console_str(&sb, in[i]), want[i]);
		assert_null(strchr(sb.buf, '\n'));
	}
	strbuf_release(&sb);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(strbuf_add_console__control_characters_are_shown_not_sent),
		T(strbuf_add_console__never_starts_a_workflow_command),
		T(report_finish__empty_report_passes),
		T(report_finish__passing_checks_exit_0),
		T(report_finish__error_finding_exits_1),
		T(report_finish__environment_error_beats_failure),
		T(check_fail__never_downgrades_an_outcome),
		T(report_finish__skipped_stage_does_not_fail),
		T(stage_finish__all_checks_skipped_is_skipped_mixed_is_pass),
		T(report_finish__interrupted_run_is_not_a_pass),
		T(report_finish__interrupted_run_with_a_failure_does_not_pass),
		T(check_add_finding__caps_the_list_and_keeps_exact_counts),
		T(report_write__hostile_content_gives_valid_json_and_junit),
		T(report_write__skipped_stage_counts_in_junit_totals),
		T(report_write__unwritable_path_is_an_error),
		T(utf8_sanitize__keeps_valid_utf8),
		T(utf8_sanitize__escapes_invalid_bytes),
		T(utf8_sanitize__xml_mode_escapes_forbidden_characters),
		T(utf8_sanitize__appends_and_output_is_always_valid),
		T(xml_escape__markup_and_whitespace_become_references),
		T(xml_escape__random_bytes_parse_as_xml),
		T(parse_ulong__accepts_whole_numbers_in_range),
		T(parse_ulong__refuses_junk_overflow_and_range),
		T(parse_size__accepts_suffixes),
		T(parse_size__refuses_junk_and_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
