/*
 * The pipeline runner: one walk of the stage table for every command. It
 * decides which stages run (the command's range, --until, --skip,
 * --no-verify), parses all their options before any runs, runs them in
 * order, stops at the first that fails, keeps publishing stages behind
 * every gate, and ends with the CI output and the command's result.
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bases.h"
#include "ci_output.h"
#include "fsutil.h"
#include "signals.h"
#include "stages.h"

void source_ref_release(struct source_ref *s)
{
	free(s->repo);
	free(s->tag);
	free(s->version);
	free(s->commit);
	memset(s, 0, sizeof(*s));
}

int run_walks(const struct run *run, const char *name)
{
	const struct stage *s = stage_find(name);

	return s && run->walk_first && s >= run->walk_first && s <= run->walk_last &&
	       !(run->walk_skipped && run->walk_skipped[s - stages]);
}

int run_cache_dir(const struct run *run, const char **dir, struct strbuf *err)
{
	*dir = run->common.cache_dir;
	if (!*dir)
		strbuf_addstr(err, "HOME is not set: give --cache-dir DIR");
	return *dir ? 0 : -1;
}

int run_base(const struct run *run, const char **base, struct strbuf *err)
{
	const char *b = cli_get(&run->cli, "base"), *r = cli_get(&run->cli, "release");

	if (b && r && strcmp(b, r)) {
		strbuf_addf(err, "--base %s and --release %s disagree (--release is the old name "
			    "of --base)", b, r);
		return -1;
	}
	*base = b ? b : r ? r : SF_DEFAULT_BASE;
	if (!base_name_ok(*base)) {
		strbuf_addf(err, "--base: '%s' is not a Debian release name", *base);
		return -1;
	}
	return 0;
}

int run_runtime_bases(const struct run *run, char ***names, size_t *nr, struct strbuf *err)
{
	const char *list = cli_get(&run->cli, "runtime-base");
	struct strbuf e = STRBUF_INIT;
	int ret = 0;

	if (!list && run_base(run, &list, err))
		return -1;
	if (base_list_parse(list, names, nr, &e)) {
		strbuf_addf(err, "--runtime-base: %s", e.buf);
		ret = -1;
	} else if (*nr > 1 && cli_get(&run->cli, "runtime-image")) {
		strbuf_addstr(err, "--runtime-image names one image: it cannot serve several "
			      "--runtime-base releases");
		base_list_free(*names, *nr);
		*names = NULL;
		*nr = 0;
		ret = -1;
	}
	strbuf_release(&e);
	return ret;
}

void pipeline_init(struct pipeline *p)
{
	memset(p, 0, sizeof(*p));
	p->commit_time = -1;
}

static void free_list(char **l)
{
	size_t i;

	for (i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

void pipeline_release(struct pipeline *p)
{
	struct build_result *b = &p->build;
	struct artifacts *a = &p->art;
	size_t i;

	free(p->spec);
	for (i = 0; i < p->nr_args; i++)
		free(p->args[i]);
	free(p->args);
	source_ref_release(&p->src);
	free(p->source_dir);
	free(p->source_key);
	free(p->images.build);
	free(p->images.build_packages);
	for (i = 0; i < p->images.nr_runtimes; i++) {
		free(p->images.runtimes[i].base);
		free(p->images.runtimes[i].alias);
		free(p->images.runtimes[i].packages);
	}
	free(p->images.runtimes);
	free(b->key);
	free(b->recipe_sha256);
	free(b->image);
	free(b->prefix);
	free(b->entry);
	free(b->builds);
	free(b->work);
	free(b->tree);
	free(b->logs);
	free_list(b->meta);
	free_list(b->lists);
	free(b->host_provided);
	free(b->grafted_packages);
	free(a->dir);
	free(a->version);
	free(a->software);
	free(a->module);
	free(a->sums);
	free(a->manifest);
	free(a->cdx);
	free(a->spdx);
	for (i = 0; i < p->nr_published; i++)
		free(p->published[i].name);
	free(p->published);
	free(p->provenance);
	free(p->signature);
	pipeline_init(p);
}

/* --- what the command walks ---------------------------------------------- */

#define MAX_STAGES 16

struct walk {
	struct run *run;
	const struct stage *cmd;
	const struct stage *first, *last;     /* the range the command runs */
	const struct stage *setup;            /* a setup row before the range it needs */
	const struct walk_opts *wo;           /* run's options; NULL for other commands */
	void *opts[MAX_STAGES];               /* parsed options, by row index */
	const char *skipped[MAX_STAGES];      /* why a row in the range is not run */
	size_t total;                         /* rows that will run */
};

static size_t row(const struct stage *s)
{
	return (size_t)(s - stages);
}

/* The rows of the walk: the range, then for run the pipeline rows after it. */
static int in_walk(const struct walk *w, const struct stage *s)
{
	if (s == w->setup)
		return 1;
	if (!(s->flags & STAGE_PIPELINE) || s < w->first)
		return 0;
	return s <= w->last || w->wo != NULL;
}

/* The command line's version spec and paths, into the pipeline. */
static void take_args(struct walk *w)
{
	struct run *run = w->run;
	const struct stage *resolve = stage_find("resolve");
	size_t i;

	if (w->wo)
		run->pipe.spec = xstrdup(w->wo->spec);
	else if ((w->cmd->flags & STAGE_SPEC_ARG) && run->cli.nr_args)
		run->pipe.spec = xstrdup(run->cli.args[0]);
	else if (w->first <= resolve && w->last >= resolve && !(w->cmd->flags & STAGE_SPEC_ARG))
		run->pipe.spec = xstrdup(cli_get(&run->cli, "slurm-version") ?
					 cli_get(&run->cli, "slurm-version") : SF_DEFAULT_SPEC);
	if (!(w->cmd->flags & STAGE_PATH_ARGS))
		return;
	run->pipe.args = xcalloc(run->cli.nr_args + 1, sizeof(*run->pipe.args));
	for (i = 0; i < run->cli.nr_args; i++)
		run->pipe.args[run->pipe.nr_args++] = xstrdup(run->cli.args[i]);
}

static int plan(struct walk *w, struct strbuf *err)
{
	const struct stage *s;
	size_t i;

	stage_range(w->cmd, &w->first, &w->last);
	if (w->wo) {
		if (w->wo->until) {
			const struct stage *u = stage_find(w->wo->until);
			if (!u || !(u->flags & STAGE_PIPELINE)) {
				strbuf_addf(err, "--until %s: not a pipeline stage", w->wo->until);
				return -1;
			}
			w->last = u;
		}
		for (i = 0; i < w->wo->nr_skip; i++) {
			s = stage_find(w->wo->skip[i]);
			if (!s || !(s->flags & STAGE_PIPELINE)) {
				strbuf_addf(err, "--skip %s: not a pipeline stage", w->wo->skip[i]);
				return -1;
			}
			w->skipped[row(s)] = "--skip";
		}
	}
	/* build's --no-verify: the reference tool's flag for the verify gate */
	s = stage_find("verify");
	if (cli_flag(&w->run->cli, "no-verify") && s >= w->first && s <= w->last)
		w->skipped[row(s)] = "--no-verify";
	/* a command that needs what a setup stage before its range prepares walks it first */
	for (s = stages; s < w->first && !w->wo; s++) {
		const struct stage *t;
		if (!(s->flags & STAGE_SETUP))
			continue;
		for (t = w->first; t <= w->last && t->name; t++)
			if ((t->flags & STAGE_NEEDS_SETUP) && !w->skipped[row(t)])
				w->setup = s;
	}
	for (s = w->first; s->name; s++)
		if (in_walk(w, s) && s > w->last)
			w->skipped[row(s)] = "after --until";
	for (s = w->setup ? w->setup : w->first; s->name && s <= w->last; s++)
		if (in_walk(w, s) && !w->skipped[row(s)])
			w->total++;
	take_args(w);
	w->run->walk_first = w->first;
	w->run->walk_last = w->last;
	w->run->walk_skipped = w->skipped;
	return 0;
}

/* Every stage's options, before anything runs: a usage error stops it all. */
static int parse_all(struct walk *w, struct strbuf *err)
{
	const struct stage *s;

	for (s = w->setup ? w->setup : w->first; s->name && s <= w->last; s++) {
		if (!in_walk(w, s) || w->skipped[row(s)] || !s->parse)
			continue;
		if (s->parse(w->run, &w->opts[row(s)], err))
			return -1;
	}
	return 0;
}

static void release_all(struct walk *w)
{
	const struct stage *s;

	for (s = stages; s->name; s++) {
		if (!w->opts[row(s)])
			continue;
		if (s->release)
			s->release(w->opts[row(s)]);
		else
			free(w->opts[row(s)]);
	}
}

/* --- running ---------------------------------------------------------------- */

/* The report of the stage `s` (the last one of its name), or NULL. */
static struct stage_report *own_report(struct run *run, const struct stage *s, size_t from)
{
	size_t i;

	for (i = run->report.nr_stages; i-- > from;)
		if (!strcmp(run->report.stages[i]->name, s->name))
			return run->report.stages[i];
	return NULL;
}

static void fail_stage(struct run *run, const struct stage *s, const char *check,
		       const char *msg)
{
	struct stage_report *sr = report_add_stage(&run->report, s->name);
	struct check *c = stage_add_check(sr, check);

	check_fail(c, OUTCOME_ERROR, "%s", msg);
	check_finish(c);
	stage_finish(sr);
}

/*
 * Runs one stage; returns its outcome. A stage without its inputs is an
 * error of the pipeline, or, when it is the whole command, a usage mistake
 * (-1 in *usage with `uerr`).
 */
static enum outcome run_one(struct walk *w, const struct stage *s, size_t index,
			    int *usage, struct strbuf *uerr)
{
	struct run *run = w->run;
	struct strbuf err = STRBUF_INIT;
	struct stage_report *sr;
	size_t before = run->report.nr_stages;
	int signalled = signals_interrupted();

	if (w->total > 1)
		ci_stage_begin(run->command, s->name, index, w->total, run->quiet);
	if (s->run(run, w->opts[row(s)], &err)) {
		if (s == w->cmd && !w->wo) {
			strbuf_add(uerr, err.buf, err.len);
			*usage = 1;
			strbuf_release(&err);
			return OUTCOME_ERROR;
		}
		fail_stage(run, s, "inputs", err.buf);
	}
	sr = own_report(run, s, before);
	if (!sr) {
		/* a stage that reported nothing still shows, and ends its group */
		sr = report_add_stage(&run->report, s->name);
		stage_skip(sr, "the stage reported nothing");
	}
	if (!signalled && signals_interrupted() && !sr->skip_reason && !sr->interrupted) {
		/* the signal came while it ran: it is the stage interrupted */
		sr->interrupted = 1;
		stage_finish(sr);
	}
	if (w->total > 1)
		ci_stage_end(run->command, sr, run->quiet);
	strbuf_release(&err);
	return sr->outcome;
}

static void skip_stage(struct run *run, const struct stage *s, const char *reason)
{
	stage_skip(report_add_stage(&run->report, s->name), reason);
	if (!run->quiet)
		fprintf(stderr, "%s: %s skipped: %s\n", run->command, s->name, reason);
}

static int walk(struct walk *w, struct strbuf *err)
{
	struct run *run = w->run;
	struct strbuf reason = STRBUF_INIT;
	const char *stopped = NULL, *gate_missing = NULL;
	const struct stage *s;
	size_t index = 0;
	int usage = 0;

	for (s = w->setup ? w->setup : w->first; s->name; s++) {
		const char *why;
		enum outcome o;

		if (!in_walk(w, s))
			continue;
		why = w->skipped[row(s)];
		strbuf_reset(&reason);
		if (why && !strcmp(why, "after --until"))
			strbuf_addf(&reason, "after --until %s", w->last->name);
		else if (why)
			strbuf_addstr(&reason, why);
		else if (signals_interrupted())
			/* the signal, not the gate it cut short, is why the rest is skipped */
			strbuf_addf(&reason, "interrupted by signal %d", signals_interrupted());
		else if (stopped)
			strbuf_addf(&reason, "the gate '%s' did not pass", stopped);
		else if ((s->flags & STAGE_PUBLISHES) && gate_missing)
			strbuf_addf(&reason, "the gate '%s' did not run: nothing is published "
				    "unless every gate passed", gate_missing);
		if (reason.len) {
			skip_stage(run, s, reason.buf);
			if (!gate_missing && (s->flags & STAGE_GATE))
				gate_missing = s->name;
			continue;
		}
		o = run_one(w, s, ++index, &usage, err);
		if (usage)
			break;
		if (o == OUTCOME_FAIL || o == OUTCOME_ERROR)
			stopped = s->name;
		else if (o == OUTCOME_SKIPPED && !gate_missing && (s->flags & STAGE_GATE))
			gate_missing = s->name;
	}
	if (stopped && w->total > 1) {
		run->pipe.stopped_by = stopped;
		report_set_prop(&run->report, "stopped_by", stopped);
		fprintf(stderr, "%s: stopped by the gate '%s': the stages after it did not "
			"run, nothing was published\n", run->command, stopped);
	}
	strbuf_release(&reason);
	return usage ? -1 : 0;
}

/* What the CI outputs say: the pipeline's results. */
static void ci_values(const struct run *run, struct ci_values *v, struct strbuf *sums)
{
	const struct pipeline *p = &run->pipe;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (p->resolved || p->src.version) {
		v->version = p->src.version;
		v->tag = p->src.tag;
		v->commit = p->src.commit;
	}
	if (p->packaged) {
		v->version = p->art.version;
		v->artifacts_dir = p->art.dir;
		v->software = p->art.software;
		v->module = p->art.module;
		v->sha256 = p->art.software_sha256;
		v->manifest = p->art.manifest;
		v->sbom = p->art.cdx;
		v->sbom_spdx = p->art.spdx;
	}
	v->provenance = p->provenance;
	v->signature = p->signature;
	v->stopped_by = p->stopped_by;
	v->proven = report_get_prop(&run->report, "proven");
	for (i = 0; i < p->nr_published; i++)
		strbuf_addf(sums, "%s%s  %s", i ? "\n" : "", p->published[i].sha256,
			    p->published[i].name);
	v->checksums = sums->len ? sums->buf : NULL;
}

static void finish(struct walk *w)
{
	struct run *run = w->run;
	struct ci_paths paths = { run->common.json, run->common.junit,
				  w->wo ? w->wo->dotenv : NULL };

	/* run: a dotenv for later GitLab jobs unless told where */
	if (w->wo && !paths.dotenv)
		paths.dotenv = "slurm-factory.env";
	struct ci_values v;
	struct strbuf e = STRBUF_INIT, sums = STRBUF_INIT;

	/* a build that package did not complete leaves nothing in the cache */
	if (run->pipe.build.work) {
		fs_rmtree(run->pipe.build.work, NULL);
		free(run->pipe.build.work);
		run->pipe.build.work = NULL;
	}
	if (signals_interrupted())
		run->report.interrupted = 1;
	ci_proven(&run->report, &e);
	if (e.len && run_walks(run, "smoke")) {
		report_set_prop(&run->report, "proven", e.buf);
		if (!run->quiet)
			fprintf(stderr, "%s: %s\n", run->command, e.buf);
	}
	strbuf_reset(&e);
	report_finish(&run->report);
	ci_values(run, &v, &sums);
	if (ci_finish(&run->report, &v, &paths, &e))
		fprintf(stderr, "%s: CI output: %s\n", run->command, e.buf);
	strbuf_release(&e);
	strbuf_release(&sums);
}

int pipeline_command(struct run *run, const struct stage *cmd, struct strbuf *err)
{
	struct walk w;
	const struct stage *s;
	int ret = -1;

	memset(&w, 0, sizeof(w));
	w.run = run;
	w.cmd = cmd;
	if (cmd->parse && !(cmd->flags & STAGE_PIPELINE)) {
		/* run: its own options say what it walks */
		if (cmd->parse(run, &w.opts[row(cmd)], err))
			goto out;
		w.wo = w.opts[row(cmd)];
	}
	if (plan(&w, err) || parse_all(&w, err))
		goto out;
	if (w.wo && w.wo->dry_run) {
		run_print_plan(run, w.first, w.last, w.skipped);
		report_set_prop(&run->report, "dry_run", "true");
		ret = 0;
		goto out;
	}
	if (w.wo) {
		struct strbuf names = STRBUF_INIT;
		for (s = w.first; s->name; s++)
			if (in_walk(&w, s))
				strbuf_addf(&names, "%s%s", names.len ? " " : "", s->name);
		report_set_prop(&run->report, "stages", names.buf);
		strbuf_release(&names);
	}
	if (run->pipe.spec)
		report_set_prop(&run->report, "spec", run->pipe.spec);
	if (walk(&w, err))
		goto out;
	finish(&w);
	if (cmd->print && !signals_interrupted())
		cmd->print(run);
	ret = 0;
out:
	release_all(&w);
	return ret;
}
