/* The JUnit XML writer of the report. */
#include "report_write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "rules.h"
#include "xml.h"

static void attr(struct strbuf *out, const char *name, const char *value)
{
	strbuf_addf(out, " %s=\"", name);
	xml_escapestr(out, value);
	strbuf_addch(out, '"');
}

static void attr_seconds(struct strbuf *out, const char *name, double v)
{
	strbuf_addf(out, " %s=\"%.3f\"", name, v < 0 ? 0 : v);
}

static void props(struct strbuf *out, const struct property *p, size_t nr,
		  const char *indent)
{
	size_t i;

	if (!nr)
		return;
	strbuf_addf(out, "%s<properties>\n", indent);
	for (i = 0; i < nr; i++) {
		strbuf_addf(out, "%s  <property", indent);
		attr(out, "name", p[i].name);
		attr(out, "value", p[i].value);
		strbuf_addstr(out, "/>\n");
	}
	strbuf_addf(out, "%s</properties>\n", indent);
}

/* The text of a failure: message, details, then one line per finding. */
static void check_text(struct strbuf *txt, const struct check *c)
{
	size_t i;

	if (c->message)
		strbuf_addf(txt, "%s\n", c->message);
	if (c->details.len)
		strbuf_addf(txt, "%s\n", c->details.buf);
	for (i = 0; i < c->nr_findings; i++) {
		const struct finding *f = c->findings[i];
		size_t j;

		strbuf_addf(txt, "%s [%s] %s%s%s%s%s\n", severity_name(f->severity),
			    f->rule, f->file ? f->file : "", f->file ? ": " : "",
			    f->message ? f->message : "", f->entry ? ": " : "",
			    f->entry ? f->entry : "");
		/* how to fix it, under the first finding of its rule */
		for (j = 0; j < i && strcmp(c->findings[j]->rule, f->rule); j++)
			;
		if (f->fix && j == i)
			strbuf_addf(txt, "  fix: %s (%s)\n", f->fix, rule_doc(f->rule));
	}
	if (c->nr_findings < c->nr_by_severity[0] + c->nr_by_severity[1] +
				     c->nr_by_severity[2])
		strbuf_addf(txt, "(%zu more findings not listed)\n",
			    c->nr_by_severity[0] + c->nr_by_severity[1] +
				    c->nr_by_severity[2] - c->nr_findings);
}

static void testcase(struct strbuf *out, const char *suite, const struct check *c)
{
	struct strbuf txt = STRBUF_INIT;
	struct strbuf cls = STRBUF_INIT;
	size_t i;

	strbuf_addf(&cls, "slurm-factory.%s", suite);
	strbuf_addstr(out, "    <testcase");
	attr(out, "classname", cls.buf);
	attr(out, "name", c->name);
	attr_seconds(out, "time", c->duration);
	strbuf_addstr(out, ">\n");
	check_text(&txt, c);
	switch (c->outcome) {
	case OUTCOME_FAIL:
	case OUTCOME_ERROR:
		strbuf_addf(out, "      <%s",
			    c->outcome == OUTCOME_FAIL ? "failure" : "error");
		attr(out, "message", c->message ? c->message : outcome_name(c->outcome));
		attr(out, "type", c->outcome == OUTCOME_FAIL ? "check-failed"
							     : "environment");
		strbuf_addstr(out, ">");
		xml_escape(out, txt.buf, txt.len);
		strbuf_addf(out, "</%s>\n",
			    c->outcome == OUTCOME_FAIL ? "failure" : "error");
		break;
	case OUTCOME_SKIPPED:
		strbuf_addstr(out, "      <skipped");
		attr(out, "message", c->message ? c->message : "skipped");
		strbuf_addstr(out, "/>\n");
		break;
	case OUTCOME_PASS:
		break;
	}
	if (c->outcome == OUTCOME_PASS && txt.len) {
		strbuf_addstr(out, "      <system-out>");
		xml_escape(out, txt.buf, txt.len);
		strbuf_addstr(out, "</system-out>\n");
	}
	if (c->nr_logs) {
		strbuf_addstr(out, "      <system-err>");
		for (i = 0; i < c->nr_logs; i++) {
			struct strbuf l = STRBUF_INIT;
			strbuf_addf(&l, "[[ATTACHMENT|%s]]\n", c->logs[i]);
			xml_escape(out, l.buf, l.len);
			strbuf_release(&l);
		}
		strbuf_addstr(out, "</system-err>\n");
	}
	strbuf_addstr(out, "    </testcase>\n");
	strbuf_release(&txt);
	strbuf_release(&cls);
}

static void count(const struct stage_report *s, size_t *tests, size_t *fail,
		  size_t *err, size_t *skip)
{
	size_t i;

	/* a stage that never started shows as one skipped test */
	if (!s->nr_checks && s->skip_reason) {
		(*tests)++;
		(*skip)++;
		return;
	}
	for (i = 0; i < s->nr_checks; i++) {
		(*tests)++;
		switch (s->checks[i]->outcome) {
		case OUTCOME_FAIL: (*fail)++; break;
		case OUTCOME_ERROR: (*err)++; break;
		case OUTCOME_SKIPPED: (*skip)++; break;
		case OUTCOME_PASS: break;
		}
	}
}

void report_junit_string(const struct report *r, struct strbuf *out)
{
	size_t tests = 0, fail = 0, err = 0, skip = 0;
	size_t i, j;

	for (i = 0; i < r->nr_stages; i++)
		count(r->stages[i], &tests, &fail, &err, &skip);
	strbuf_addstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
	attr(out, "name", "slurm-factory");
	strbuf_addf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"",
		    tests, fail, err, skip);
	attr_seconds(out, "time", r->duration);
	attr(out, "timestamp", r->timestamp);
	strbuf_addstr(out, ">\n");
	for (i = 0; i < r->nr_stages; i++) {
		const struct stage_report *s = r->stages[i];
		size_t t = 0, f = 0, e = 0, k = 0;

		count(s, &t, &f, &e, &k);
		strbuf_addstr(out, "  <testsuite");
		attr(out, "name", s->name);
		strbuf_addf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"",
			    t, f, e, k);
		attr_seconds(out, "time", s->duration);
		attr(out, "timestamp", s->timestamp);
		strbuf_addstr(out, ">\n");
		props(out, s->props, s->nr_props, "    ");
		for (j = 0; j < s->nr_checks; j++)
			testcase(out, s->name, s->checks[j]);
		if (!s->nr_checks && s->skip_reason) {
			strbuf_addstr(out, "    <testcase");
			attr(out, "classname", "slurm-factory");
			attr(out, "name", s->name);
			strbuf_addstr(out, " time=\"0.000\">\n      <skipped");
			attr(out, "message", s->skip_reason);
			strbuf_addstr(out, "/>\n    </testcase>\n");
		}
		if (s->interrupted)
			strbuf_addstr(out, "    <system-err>interrupted by a signal</system-err>\n");
		strbuf_addstr(out, "  </testsuite>\n");
	}
	strbuf_addstr(out, "</testsuites>\n");
}

int report_write_junit(const struct report *r, const char *path, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	report_junit_string(r, &sb);
	ret = fs_write_output(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return ret;
}
