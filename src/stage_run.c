/*
 * run: the whole pipeline, what a CI step calls. Its options say what the
 * walk covers (--until, --skip, --dry-run); pipeline.c walks the stage
 * table with the options of every stage, gated: publish runs only when
 * every gate ran and passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"

const struct opt run_opts[] = {
	{ "slurm-version", OPT_VALUE, "SPEC", "the version to build (default " SF_DEFAULT_SPEC
	  "; a positional SPEC works too)" },
	{ "until", OPT_VALUE, "STAGE", "stop after STAGE" },
	{ "skip", OPT_LIST, "STAGE", "leave STAGE out; publish needs every "
	  "gate (verify, smoke), so skipping one of them keeps it from publishing" },
	{ "dry-run", OPT_FLAG, NULL, "print the plan (stages, version, backend, prefixes, "
	  "targets) after checking every option, and stop: no side effects, no network" },
	{ "dotenv", OPT_VALUE | OPTF_OUTPUT, "FILE", "GitLab CI: the dotenv file for later jobs "
	  "(default slurm-factory.env)" },
	{ NULL, 0, NULL, NULL },
};

int run_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct walk_opts *o = xcalloc(1, sizeof(*o));

	*opts = o;
	o->spec = cli_get(&run->cli, "slurm-version");
	if (run->cli.nr_args) {
		if (o->spec && strcmp(o->spec, run->cli.args[0])) {
			strbuf_addstr(err, "give the version once: SPEC or --slurm-version");
			return -1;
		}
		o->spec = run->cli.args[0];
	}
	if (!o->spec)
		o->spec = SF_DEFAULT_SPEC;
	o->until = cli_get(&run->cli, "until");
	o->skip = cli_get_all(&run->cli, "skip", &o->nr_skip);
	o->dry_run = cli_flag(&run->cli, "dry-run");
	o->dotenv = cli_get(&run->cli, "dotenv");
	return 0;
}

void run_print_plan(const struct run *run, const struct stage *first,
		    const struct stage *last, const char *const *skipped)
{
	const char *backend = cli_get(&run->cli, "backend");
	const char *prefixes = cli_get(&run->cli, "prefixes");
	const struct stage *s;
	const char *gate_out = NULL;
	char *const *to;
	size_t nr_to, i, n = 0;

	printf("plan (every option checked):\n");
	for (s = first; s->name; s++) {
		const char *why = skipped[s - stages];

		if (!(s->flags & STAGE_PIPELINE))
			continue;
		if (why && !strcmp(why, "after --until")) {
			printf("  -  %-8s (after --until %s)\n", s->name, last->name);
		} else if (why) {
			printf("  -  %-8s (%s)\n", s->name, why);
		} else if ((s->flags & STAGE_PUBLISHES) && !cli_get(&run->cli, "to")) {
			printf("  -  %-8s (will not run: no --to URL)\n", s->name);
		} else if ((s->flags & STAGE_PUBLISHES) && gate_out) {
			printf("  -  %-8s (will not run: the gate '%s' is left out, and nothing is "
			       "published unless every gate passed)\n", s->name, gate_out);
		} else {
			printf("  %zu. %-8s %s\n", ++n, s->name, s->summary);
		}
		if ((why || s > last) && (s->flags & STAGE_GATE) && !gate_out)
			gate_out = s->name;
	}
	printf("version spec: %s\n", run->pipe.spec ? run->pipe.spec : SF_DEFAULT_SPEC);
	printf("backend: %s\n", backend ? backend : SF_DEFAULT_BACKEND);
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

/* The results of build and run on stdout: what the pipeline got to. */
void run_print(const struct run *run)
{
	const struct pipeline *p = &run->pipe;

	if (run->quiet)
		return;
	if (p->resolved || p->src.version)
		printf("version: %s\ntag: %s\ncommit: %s\n", p->src.version,
		       p->src.tag ? p->src.tag : "", p->src.commit ? p->src.commit : "");
	if (p->packaged)
		printf("software: %s\nsha256: %s\nmodule: %s\n", p->art.software,
		       p->art.software_sha256, p->art.module);
	if (p->built && p->packaged)
		printf("build: %s/%s\ncache: %s\n", p->build.builds, p->art.version,
		       p->build.cache_hit ? "hit" : "miss");
	fflush(stdout);
}
