/*
 * run: the whole pipeline, what a CI step calls. Walks the pipeline rows
 * of the one stage table in order, with the union of their options; every
 * stage reads what it needs from the report the earlier stages filled.
 * A stage that fails stops the pipeline: the rest are reported skipped,
 * naming the gate that stopped them. publish runs only when every gate
 * (verify, smoke) ran and passed: a --skip of a gate keeps it from running.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_output.h"
#include "http.h"
#include "signals.h"
#include "stages.h"

#define DEFAULT_SPEC "latest"

const struct opt run_opts[] = {
	{ "slurm-version", OPT_VALUE, "SPEC", "the version to build (default " DEFAULT_SPEC
	  "; a positional SPEC works too)" },
	{ "until", OPT_VALUE, "STAGE", "stop after STAGE" },
	{ "skip", OPT_LIST, "STAGE", "leave STAGE out; publish needs every "
	  "gate (verify, smoke), so skipping one of them keeps it from publishing" },
	{ "dry-run", OPT_FLAG, NULL, "print the plan (stages, version, backend, prefixes, "
	  "targets) and stop: no side effects, no network" },
	{ "dotenv", OPT_VALUE | OPTF_OUTPUT, "FILE", "GitLab CI: the dotenv file for later jobs "
	  "(default slurm-factory.env)" },
	{ NULL, 0, NULL, NULL },
};

/* The stages that publish things outward: they need every gate passed. */
static int is_publishing(const struct stage *s)
{
	return !strcmp(s->name, "publish");
}

/*
 * The gates: the stages that prove the artifacts. Each one in the table
 * must run and pass before anything is published; the others (resolve,
 * fetch, build, package) may be left out with --skip when the artifacts
 * come from elsewhere (--output-dir), since the gates then prove those.
 */
static int is_gate(const struct stage *s)
{
	return !strcmp(s->name, "verify") || !strcmp(s->name, "smoke");
}

/* A stage whose first argument is the version spec (resolve, fetch). */
static int takes_spec(const struct stage *s)
{
	return !strncmp(s->usage, "SPEC", 4);
}

static int listed(char *const *list, size_t nr, const char *name)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(list[i], name))
			return 1;
	return 0;
}

/*
 * Every stage sees the one version: build reads --slurm-version, resolve
 * and fetch their SPEC argument; a positional SPEC or the default is
 * written into the option too.
 */
static void set_version_option(struct cli *cli, const char *spec)
{
	size_t i;

	for (i = 0; i < cli->nr_vals; i++) {
		struct opt_value *v = &cli->vals[i];
		char *copy;

		if (strcmp(v->opt->name, "slurm-version"))
			continue;
		copy = xstrdup(spec);      /* `spec` may be the value freed below */
		while (v->nr)
			free(v->values[--v->nr]);
		xgrow((void **)&v->values, &v->alloc, 1, sizeof(*v->values));
		v->values[v->nr++] = copy;
		v->from_env = 0;
	}
}

static const struct stage *pipeline_stage(const char *name)
{
	const struct stage *s = stage_find(name);

	return s && (s->flags & STAGE_PIPELINE) ? s : NULL;
}

static void print_plan(const struct run *run, const char *spec, char *const *skip,
		       size_t nr_skip, const char *until)
{
	const char *backend = cli_get(&run->cli, "backend");
	const char *prefixes = cli_get(&run->cli, "prefixes");
	char *const *to;
	size_t nr_to, i, n = 0;
	const struct stage *s;
	int after_until = 0;

	printf("plan:\n");
	for (s = stages; s->name; s++) {
		if (!(s->flags & STAGE_PIPELINE))
			continue;
		if (after_until)
			printf("  -  %-8s (after --until %s)\n", s->name, until);
		else if (listed(skip, nr_skip, s->name))
			printf("  -  %-8s (--skip)\n", s->name);
		else
			printf("  %zu. %-8s %s\n", ++n, s->name, s->summary);
		if (until && !strcmp(s->name, until))
			after_until = 1;
	}
	printf("version spec: %s\n", spec);
	printf("backend: %s\n", backend ? backend : "lxd");
	printf("prefixes: %s random prefixes per tarball\n", prefixes ? prefixes : "3");
	to = cli_get_all(&run->cli, "to", &nr_to);
	if (!nr_to)
		printf("publish targets: none (--to URL)\n");
	for (i = 0; i < nr_to; i++) {
		struct strbuf sb = STRBUF_INIT;
		url_redact(&sb, to[i]);
		printf("publish target: %s\n", sb.buf);
		strbuf_release(&sb);
	}
	fflush(stdout);
}

/*
 * The worst outcome of the stage reports from index `from` on (only those
 * named `name` unless it is NULL); skipped when there is none.
 */
static enum outcome worst_since(const struct report *r, size_t from, const char *name)
{
	enum outcome w = OUTCOME_PASS;
	size_t i;
	int any = 0;

	for (i = from; i < r->nr_stages; i++) {
		enum outcome o = r->stages[i]->outcome;
		if (name && strcmp(r->stages[i]->name, name))
			continue;
		any = 1;
		if (o == OUTCOME_FAIL || (o == OUTCOME_ERROR && w != OUTCOME_FAIL))
			w = o;
		else if (o == OUTCOME_SKIPPED && w == OUTCOME_PASS)
			w = OUTCOME_SKIPPED;
	}
	return any ? w : OUTCOME_SKIPPED;
}

/* Index of the first stage report named `name`, or r->nr_stages. */
static size_t first_report(const struct report *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nr_stages; i++)
		if (!strcmp(r->stages[i]->name, name))
			break;
	return i;
}

/*
 * The first SIGINT/SIGTERM came while the stage reports from `from` on were
 * made: the last of them that ran (build runs package and verify, and
 * stops at the signal) is the one it interrupted. Marked so, its outcome
 * is derived again (an error, unless a check had already failed).
 */
static void mark_interrupted(struct report *r, size_t from)
{
	size_t i = r->nr_stages;

	while (i-- > from) {
		struct stage_report *sr = r->stages[i];
		if (sr->skip_reason)
			continue;
		if (!sr->interrupted) {
			sr->interrupted = 1;
			stage_finish(sr);
		}
		return;
	}
}

static void run_one(struct run *run, const struct stage *s, const char *spec,
		    size_t index, size_t total)
{
	char *args[2] = { (char *)spec, NULL };
	char **saved = run->cli.args;
	size_t saved_nr = run->cli.nr_args, before = run->report.nr_stages;
	struct strbuf err = STRBUF_INIT;
	struct stage_report *last;
	int signalled = signals_interrupted();

	ci_stage_begin(s->name, index, total, run->quiet);
	run->cli.args = args;
	run->cli.nr_args = takes_spec(s) ? 1 : 0;
	if (run->cli.nr_args < s->min_args) {
		struct check *c;
		last = report_add_stage(&run->report, s->name);
		c = stage_add_check(last, "inputs");
		check_fail(c, OUTCOME_ERROR, "%s needs %s, and no earlier stage provided it",
			   s->name, s->usage);
		check_finish(c);
		stage_finish(last);
	} else if (s->run(run, &err)) {
		struct check *c;
		last = report_add_stage(&run->report, s->name);
		c = stage_add_check(last, "start");
		check_fail(c, OUTCOME_ERROR, "cannot start: %s", err.buf);
		check_finish(c);
		stage_finish(last);
	}
	run->cli.args = saved;
	run->cli.nr_args = saved_nr;
	if (!signalled && signals_interrupted())
		mark_interrupted(&run->report, before);
	if (run->report.nr_stages > before) {
		/* the stage's own report (build adds package and verify after it) */
		size_t own = first_report(&run->report, s->name);
		ci_stage_end(run->report.stages[own < run->report.nr_stages ? own :
						run->report.nr_stages - 1], run->quiet);
	} else {
		/* a stage that reported nothing still ends its group */
		last = report_add_stage(&run->report, s->name);
		stage_skip(last, "the stage reported nothing");
		ci_stage_end(last, run->quiet);
	}
	strbuf_release(&err);
}

int stage_run(struct run *run, struct strbuf *err)
{
	const char *spec = cli_get(&run->cli, "slurm-version");
	const char *until = cli_get(&run->cli, "until");
	char *const *skip;
	size_t nr_skip, i, total = 0, index = 0;
	const struct stage *s;
	const char *stopped = NULL, *gate_missing = NULL;
	struct strbuf reason = STRBUF_INIT, plan = STRBUF_INIT;
	int after_until = 0;

	if (run->cli.nr_args) {
		if (spec && strcmp(spec, run->cli.args[0])) {
			strbuf_addstr(err, "give the version once: SPEC or --slurm-version");
			return -1;
		}
		spec = run->cli.args[0];
	}
	if (!spec)
		spec = DEFAULT_SPEC;
	set_version_option(&run->cli, spec);
	spec = cli_get(&run->cli, "slurm-version");
	skip = cli_get_all(&run->cli, "skip", &nr_skip);
	for (i = 0; i < nr_skip; i++)
		if (!pipeline_stage(skip[i])) {
			strbuf_addf(err, "--skip %s: not a pipeline stage", skip[i]);
			return -1;
		}
	if (until && !pipeline_stage(until)) {
		strbuf_addf(err, "--until %s: not a pipeline stage", until);
		return -1;
	}
	if (cli_flag(&run->cli, "dry-run")) {
		print_plan(run, spec, skip, nr_skip, until);
		report_set_prop(&run->report, "dry_run", "true");
		report_set_prop(&run->report, "spec", spec);
		return 0;
	}
	report_set_prop(&run->report, "spec", spec);
	for (s = stages; s->name; s++) {
		if (!(s->flags & STAGE_PIPELINE) || listed(skip, nr_skip, s->name) || after_until)
			continue;
		total++;
		if (until && !strcmp(s->name, until))
			after_until = 1;
	}
	after_until = 0;
	for (s = stages; s->name; s++) {
		struct stage_report *sr;
		size_t before;

		if (!(s->flags & STAGE_PIPELINE))
			continue;
		if (plan.len)
			strbuf_addch(&plan, ' ');
		strbuf_addstr(&plan, s->name);
		/*
		 * An earlier stage may have run this one already (build packages
		 * and verifies what it built): its report stands, and gates the
		 * rest of the pipeline like a stage run from here.
		 */
		if ((before = first_report(&run->report, s->name)) < run->report.nr_stages) {
			enum outcome o = worst_since(&run->report, before, s->name);
			if (!run->quiet)
				fprintf(stderr, "run: %s already ran as part of an earlier stage (%s)\n",
					s->name, outcome_name(o));
			if ((o == OUTCOME_FAIL || o == OUTCOME_ERROR) && !stopped)
				stopped = s->name;
			else if (o == OUTCOME_SKIPPED && !gate_missing && is_gate(s))
				gate_missing = s->name;
			if (until && !strcmp(s->name, until))
				after_until = 1;
			continue;
		}
		strbuf_reset(&reason);
		if (after_until)
			strbuf_addf(&reason, "after --until %s", until);
		else if (listed(skip, nr_skip, s->name))
			strbuf_addstr(&reason, "--skip");
		else if (signals_interrupted())
			/* the signal, not the gate it cut short, is why the rest is skipped */
			strbuf_addf(&reason, "interrupted by signal %d", signals_interrupted());
		else if (stopped)
			strbuf_addf(&reason, "the gate '%s' did not pass", stopped);
		else if (is_publishing(s) && gate_missing)
			strbuf_addf(&reason, "the gate '%s' did not run: nothing is published "
				    "unless every gate passed", gate_missing);
		if (reason.len) {
			sr = report_add_stage(&run->report, s->name);
			stage_skip(sr, reason.buf);
			if (!gate_missing && is_gate(s))
				gate_missing = s->name;
			if (!run->quiet)
				fprintf(stderr, "run: %s skipped: %s\n", s->name, reason.buf);
			continue;
		}
		before = run->report.nr_stages;
		run_one(run, s, spec, ++index, total);
		switch (worst_since(&run->report, before, NULL)) {
		case OUTCOME_PASS:
			break;
		case OUTCOME_SKIPPED:
			if (!gate_missing && is_gate(s))
				gate_missing = s->name;
			break;
		case OUTCOME_FAIL:
		case OUTCOME_ERROR:
			stopped = s->name;
			break;
		}
		if (until && !strcmp(s->name, until))
			after_until = 1;
	}
	report_set_prop(&run->report, "stages", plan.buf);
	if (stopped) {
		report_set_prop(&run->report, "stopped_by", stopped);
		fprintf(stderr, "run: stopped by the gate '%s': the stages after it did not "
			"run, nothing was published\n", stopped);
	}
	if (signals_interrupted())
		run->report.interrupted = 1;
	{
		struct ci_paths paths = { cli_get(&run->cli, "json"), cli_get(&run->cli, "junit"),
					  cli_get(&run->cli, "dotenv") };
		struct strbuf e = STRBUF_INIT;
		report_finish(&run->report);
		if (ci_finish(&run->report, &paths, &e))
			fprintf(stderr, "run: CI output: %s\n", e.buf);
		strbuf_release(&e);
	}
	strbuf_release(&reason);
	strbuf_release(&plan);
	return 0;
}
