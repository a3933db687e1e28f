/*
 * The run report: one model that every stage fills and every writer prints.
 *
 *   report ─► stage (a JUnit <testsuite>) ─► check (a <testcase>) ─► finding
 *
 * The report owns everything added to it: strings are copied on the way in
 * and freed by report_release(). Nothing here does I/O; the writers are in
 * report_json.c (json-c) and report_junit.c (XML). Pointers returned by
 * report_add_stage()/stage_add_check() stay valid until report_release():
 * elements are allocated one by one and never moved.
 */
#ifndef SF_REPORT_H
#define SF_REPORT_H

#include <stddef.h>

#include "strbuf.h"

#define REPORT_SCHEMA_VERSION 1
/* Findings kept per check; the per-severity counts stay exact beyond it. */
#define REPORT_MAX_FINDINGS 1000

enum outcome {
	OUTCOME_PASS,
	OUTCOME_FAIL,    /* the artifact is bad: exit 1 */
	OUTCOME_ERROR,   /* the environment failed: exit 2 */
	OUTCOME_SKIPPED,
};

enum severity {
	SEV_INFO,
	SEV_WARNING,
	SEV_ERROR,
};

/* Exit codes of the program, also written into the report. */
enum {
	EXIT_PASS = 0,
	EXIT_CHECK_FAILED = 1,
	EXIT_ENVIRONMENT = 2,
	EXIT_USAGE = 129,
};

struct finding {
	char *rule;      /* "rpath-absolute-outside" */
	enum severity severity;
	char *file;      /* relative to the tree, or NULL */
	char *entry;     /* the offending value (an RPATH entry, a name), or NULL */
	char *message;
	char *fix;       /* how to fix it (the rule's), or NULL */
};

struct property {
	char *name;
	char *value;
};

struct check {
	char *name;
	enum outcome outcome;
	double duration;          /* seconds */
	char *message;            /* one line, or NULL */
	struct strbuf details;    /* free text (log tail, search paths) */
	struct finding **findings;
	size_t nr_findings, alloc_findings;
	size_t nr_by_severity[3]; /* counts, also of findings beyond the cap */
	char **logs;              /* paths of attached log files */
	size_t nr_logs, alloc_logs;
	double started;           /* monotonic, for check_finish() */
};

struct stage_report {
	char *name;
	enum outcome outcome;     /* derived by stage_finish() */
	char *timestamp;          /* UTC ISO-8601 at start */
	double duration;
	char *skip_reason;        /* set when the stage never started */
	int interrupted;          /* stopped by a signal */
	struct property *props;
	size_t nr_props, alloc_props;
	struct check **checks;
	size_t nr_checks, alloc_checks;
	double started;
};

struct report {
	char *command;            /* "verify" */
	char *timestamp;
	double duration;
	double started;
	int interrupted;
	int exit_code;            /* set by report_finish() */
	struct property *props;
	size_t nr_props, alloc_props;
	struct stage_report **stages;
	size_t nr_stages, alloc_stages;
};

void report_init(struct report *r, const char *command);
void report_release(struct report *r);
void report_set_prop(struct report *r, const char *name, const char *value);
/* The value of the run's property `name` (owned by the report), or NULL. */
const char *report_get_prop(const struct report *r, const char *name);

struct stage_report *report_add_stage(struct report *r, const char *name);
void stage_set_prop(struct stage_report *s, const char *name, const char *value);
/* The value of property `name` of `s` (owned by the report), or NULL. */
const char *stage_get_prop(const struct stage_report *s, const char *name);
/* Derives the stage outcome from its checks and stops its clock. */
void stage_finish(struct stage_report *s);
/* A stage that did not run: outcome skipped with `reason`. */
void stage_skip(struct stage_report *s, const char *reason);

/* A new check, outcome pass until something says otherwise; clock started. */
struct check *stage_add_check(struct stage_report *s, const char *name);
/* Adds a finding; an ERROR finding turns a passing check into FAIL. `fix` may be NULL. */
void check_add_finding(struct check *c, const char *rule, enum severity sev,
		       const char *file, const char *entry, const char *message,
		       const char *fix);
/* Forgets the findings of `c` (an attempt started again): outcome pass. */
void check_drop_findings(struct check *c);
void check_set_message(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Marks the check failed (`outcome` FAIL or ERROR) with a message. */
void check_fail(struct check *c, enum outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void check_attach_log(struct check *c, const char *path);
void check_finish(struct check *c);

/* Worst outcome over the stages; sets and returns r->exit_code. */
int report_finish(struct report *r);

const char *outcome_name(enum outcome o);
const char *severity_name(enum severity s);

#endif
