#include "report.h"

#include "clock.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *outcome_name(enum outcome o)
{
	switch (o) {
	case OUTCOME_PASS: return "pass";
	case OUTCOME_FAIL: return "fail";
	case OUTCOME_ERROR: return "error";
	case OUTCOME_SKIPPED: return "skipped";
	}
	return "error";
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_INFO: return "info";
	case SEV_WARNING: return "warning";
	case SEV_ERROR: return "error";
	}
	return "error";
}

/* pass < skipped < fail < error */
static int outcome_rank(enum outcome o)
{
	switch (o) {
	case OUTCOME_PASS: return 0;
	case OUTCOME_SKIPPED: return 1;
	case OUTCOME_FAIL: return 2;
	case OUTCOME_ERROR: return 3;
	}
	return 3;
}

/* The property called `name` of `props`, or NULL (names are unique: props_set). */
static struct property *props_find(struct property *props, size_t nr, const char *name)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(props[i].name, name))
			return &props[i];
	return NULL;
}

static void props_set(struct property **props, size_t *nr, size_t *alloc,
		      const char *name, const char *value)
{
	struct property *p = props_find(*props, *nr, name);

	if (p) {
		free(p->value);
		p->value = xstrdup(value ? value : "");
		return;
	}
	xgrow((void **)props, alloc, *nr + 1, sizeof(**props));
	(*props)[*nr].name = xstrdup(name);
	(*props)[*nr].value = xstrdup(value ? value : "");
	(*nr)++;
}

static void props_free(struct property *props, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(props[i].name);
		free(props[i].value);
	}
	free(props);
}

void report_init(struct report *r, const char *command)
{
	memset(r, 0, sizeof(*r));
	r->command = xstrdup(command);
	r->timestamp = utc_timestamp();
	r->started = monotonic_now();
}

static void free_findings(struct check *c)
{
	size_t i;

	for (i = 0; i < c->nr_findings; i++) {
		struct finding *f = c->findings[i];
		free(f->rule);
		free(f->file);
		free(f->entry);
		free(f->message);
		free(f->fix);
		free(f);
	}
	c->nr_findings = 0;
	memset(c->nr_by_severity, 0, sizeof(c->nr_by_severity));
}

void check_drop_findings(struct check *c)
{
	free_findings(c);
	c->outcome = OUTCOME_PASS;
}

static void check_free(struct check *c)
{
	size_t i;

	free_findings(c);
	free(c->findings);
	for (i = 0; i < c->nr_logs; i++)
		free(c->logs[i]);
	free(c->logs);
	free(c->name);
	free(c->message);
	strbuf_release(&c->details);
	free(c);
}

void report_release(struct report *r)
{
	size_t i, j;

	for (i = 0; i < r->nr_stages; i++) {
		struct stage_report *s = r->stages[i];
		for (j = 0; j < s->nr_checks; j++)
			check_free(s->checks[j]);
		free(s->checks);
		props_free(s->props, s->nr_props);
		free(s->name);
		free(s->timestamp);
		free(s->skip_reason);
		free(s);
	}
	free(r->stages);
	props_free(r->props, r->nr_props);
	free(r->command);
	free(r->timestamp);
	memset(r, 0, sizeof(*r));
}

void report_set_prop(struct report *r, const char *name, const char *value)
{
	props_set(&r->props, &r->nr_props, &r->alloc_props, name, value);
}

const char *report_get_prop(const struct report *r, const char *name)
{
	const struct property *p = props_find(r->props, r->nr_props, name);

	return p ? p->value : NULL;
}

struct stage_report *report_add_stage(struct report *r, const char *name)
{
	struct stage_report *s = xcalloc(1, sizeof(*s));

	s->name = xstrdup(name);
	s->timestamp = utc_timestamp();
	s->started = monotonic_now();
	xgrow((void **)&r->stages, &r->alloc_stages, r->nr_stages + 1,
	      sizeof(*r->stages));
	r->stages[r->nr_stages++] = s;
	return s;
}

const char *stage_get_prop(const struct stage_report *s, const char *name)
{
	const struct property *p = props_find(s->props, s->nr_props, name);

	return p ? p->value : NULL;
}

void stage_set_prop(struct stage_report *s, const char *name, const char *value)
{
	props_set(&s->props, &s->nr_props, &s->alloc_props, name, value);
}

void stage_finish(struct stage_report *s)
{
	size_t i;
	enum outcome worst = OUTCOME_PASS;

	s->duration = monotonic_now() - s->started;
	if (s->skip_reason) {
		s->outcome = OUTCOME_SKIPPED;
		return;
	}
	for (i = 0; i < s->nr_checks; i++)
		if (outcome_rank(s->checks[i]->outcome) > outcome_rank(worst))
			worst = s->checks[i]->outcome;
	/* a stage whose every check was skipped was skipped */
	if (worst == OUTCOME_SKIPPED) {
		for (i = 0; i < s->nr_checks; i++)
			if (s->checks[i]->outcome == OUTCOME_PASS)
				worst = OUTCOME_PASS;
	}
	if (s->interrupted && worst != OUTCOME_FAIL)
		worst = OUTCOME_ERROR;
	s->outcome = worst;
}

void stage_skip(struct stage_report *s, const char *reason)
{
	free(s->skip_reason);
	s->skip_reason = xstrdup(reason);
	s->outcome = OUTCOME_SKIPPED;
	s->duration = 0;
}

struct check *stage_add_check(struct stage_report *s, const char *name)
{
	struct check *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(name);
	c->outcome = OUTCOME_PASS;
	strbuf_init(&c->details);
	c->started = monotonic_now();
	xgrow((void **)&s->checks, &s->alloc_checks, s->nr_checks + 1,
	      sizeof(*s->checks));
	s->checks[s->nr_checks++] = c;
	return c;
}

void check_add_finding(struct check *c, const char *rule, enum severity sev,
		       const char *file, const char *entry, const char *message,
		       const char *fix)
{
	struct finding *f;

	c->nr_by_severity[sev]++;
	if (sev == SEV_ERROR && c->outcome == OUTCOME_PASS)
		c->outcome = OUTCOME_FAIL;
	/* the counts stay exact; the list is capped to keep reports usable */
	if (c->nr_findings >= REPORT_MAX_FINDINGS)
		return;
	f = xcalloc(1, sizeof(*f));
	f->rule = xstrdup(rule);
	f->severity = sev;
	f->file = xstrdup(file);
	f->entry = xstrdup(entry);
	f->message = xstrdup(message);
	f->fix = xstrdup(fix);
	xgrow((void **)&c->findings, &c->alloc_findings, c->nr_findings + 1,
	      sizeof(*c->findings));
	c->findings[c->nr_findings++] = f;
}

static void set_message(struct check *c, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_vaddf(&sb, fmt, ap);
	free(c->message);
	c->message = strbuf_detach(&sb);
}

void check_set_message(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(c, fmt, ap);
	va_end(ap);
}

void check_fail(struct check *c, enum outcome outcome, const char *fmt, ...)
{
	va_list ap;

	if (outcome_rank(outcome) > outcome_rank(c->outcome))
		c->outcome = outcome;
	va_start(ap, fmt);
	set_message(c, fmt, ap);
	va_end(ap);
}

void check_attach_log(struct check *c, const char *path)
{
	xgrow((void **)&c->logs, &c->alloc_logs, c->nr_logs + 1, sizeof(*c->logs));
	c->logs[c->nr_logs++] = xstrdup(path);
}

void check_finish(struct check *c)
{
	c->duration = monotonic_now() - c->started;
}

int report_finish(struct report *r)
{
	size_t i;
	enum outcome worst = OUTCOME_PASS;

	r->duration = monotonic_now() - r->started;
	for (i = 0; i < r->nr_stages; i++)
		if (outcome_rank(r->stages[i]->outcome) > outcome_rank(worst))
			worst = r->stages[i]->outcome;
	if (r->interrupted && worst != OUTCOME_FAIL)
		worst = OUTCOME_ERROR;
	switch (worst) {
	case OUTCOME_PASS:
	case OUTCOME_SKIPPED:
		r->exit_code = EXIT_PASS;
		break;
	case OUTCOME_FAIL:
		r->exit_code = EXIT_CHECK_FAILED;
		break;
	case OUTCOME_ERROR:
		r->exit_code = EXIT_ENVIRONMENT;
		break;
	}
	return r->exit_code;
}
