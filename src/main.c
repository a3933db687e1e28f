/*
 * slurm-factory: turn a Slurm version into proven-relocatable packages.
 * main() is the only place that exits; commands come from the stage table
 * plus the two built-ins below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "report_write.h"
#include "rules.h"
#include "signals.h"
#include "stages.h"
#include "strbuf.h"
#include "strmap.h"

static const char *prog = "slurm-factory";

static void print_overview(FILE *f)
{
	const struct stage *s;

	fprintf(f, "usage: %s COMMAND [ARGS] [OPTIONS]\n\n", prog);
	fprintf(f, "Turns a Slurm version into published, proven-relocatable packages.\n\n");
	fprintf(f, "commands:\n");
	for (s = stages; s->name; s++)
		fprintf(f, "  %-10s %s\n", s->name, s->summary);
	fprintf(f, "  %-10s %s\n", "help", "show help for a command");
	fprintf(f, "\nexit codes: 0 all checks passed, 1 a check failed, "
		   "2 environment error, 129 usage error\n");
	fprintf(f, "'%s help COMMAND' lists a command's options; '%s --version' "
		   "prints the version.\n", prog, prog);
}

static void print_stage_help(FILE *f, const struct stage *s)
{
	struct strbuf sb = STRBUF_INIT;

	struct opt *owned;

	strbuf_addf(&sb, "usage: %s %s %s\n\n%s\n\n%s options:\n", prog, s->name,
		    s->usage, s->description, s->name);
	cli_usage_opts(&sb, stage_options(s, &owned));
	free(owned);
	strbuf_addstr(&sb, "\ncommon options:\n");
	cli_usage_opts(&sb, common_opts);
	strbuf_addstr(&sb, "\nEvery option can also be set in the environment as\n"
			   "SLURM_FACTORY_<OPTION> (upper case, '-' as '_'); "
			   "the command line wins.\n");
	fputs(sb.buf, f);
	strbuf_release(&sb);
}

static int usage_error(const char *command, const char *msg)
{
	struct strbuf line = STRBUF_INIT;

	/* the message quotes the command line, which may come from anywhere */
	fprintf(stderr, "%s: %s\n", prog, console_str(&line, msg));
	strbuf_release(&line);
	if (command)
		fprintf(stderr, "hint: see '%s help %s'\n", prog, command);
	else
		fprintf(stderr, "hint: see '%s help'\n", prog);
	return EXIT_USAGE;
}

/*
 * The kind of a check: its name without a trailing " [...]" (the prefix
 * it ran at), so the same findings at prefix 2 and 3 are listed once.
 */
static size_t check_kind_len(const char *name)
{
	const char *b = strrchr(name, '[');

	return b && b > name && b[-1] == ' ' ? (size_t)(b - 1 - name) : strlen(name);
}

static int kind_listed(const struct stage_report *s, size_t upto, const char *name)
{
	size_t j, n = check_kind_len(name);

	for (j = 0; j < upto; j++) {
		const struct check *c = s->checks[j];
		if (c->nr_findings && check_kind_len(c->name) == n &&
		    !strncmp(c->name, name, n))
			return 1;
	}
	return 0;
}

/*
 * One finding as a console line; every field from an input escaped. The
 * first finding of each rule also says how to fix it.
 */
static void print_finding(const struct finding *f, struct strmap *fixes_shown)
{
	struct strbuf line = STRBUF_INIT;

	strbuf_addf(&line, "    %s [%s] ", severity_name(f->severity), f->rule);
	strbuf_add_console(&line, f->file ? f->file : "-");
	strbuf_addstr(&line, ": ");
	strbuf_add_console(&line, f->message);
	if (f->entry) {
		strbuf_addstr(&line, ": ");
		strbuf_add_console(&line, f->entry);
	}
	strbuf_addch(&line, '\n');
	if (f->fix && !strmap_has(fixes_shown, f->rule)) {
		strmap_put(fixes_shown, f->rule, NULL);
		strbuf_addf(&line, "      fix: %s (%s, rule %s)\n", f->fix, rule_doc(f->rule),
			    f->rule);
	}
	fputs(line.buf, stderr);
	strbuf_release(&line);
}

static void print_summary(const struct run *run)
{
	const struct report *r = &run->report;
	struct strbuf line = STRBUF_INIT;
	struct strmap fixes_shown;
	size_t i, j, k;

	strmap_init(&fixes_shown);
	for (i = 0; i < r->nr_stages; i++) {
		const struct stage_report *s = r->stages[i];
		if (s->skip_reason && !run->quiet) {
			strbuf_reset(&line);
			strbuf_addf(&line, "%s: skipped: ", s->name);
			strbuf_add_console(&line, s->skip_reason);
			fprintf(stderr, "%s\n", line.buf);
		}
		for (j = 0; j < s->nr_checks; j++) {
			const struct check *c = s->checks[j];
			size_t shown = 0;
			int bad = c->outcome == OUTCOME_FAIL || c->outcome == OUTCOME_ERROR;

			if (run->quiet && !bad)
				continue;
			strbuf_reset(&line);
			strbuf_addf(&line, "%s: %-5s ", s->name, outcome_name(c->outcome));
			strbuf_add_console(&line, c->name);
			strbuf_addf(&line, " (%.2fs)", c->duration);
			if (c->message) {
				strbuf_addstr(&line, ": ");
				strbuf_add_console(&line, c->message);
			}
			if (c->nr_by_severity[SEV_ERROR] || c->nr_by_severity[SEV_WARNING])
				strbuf_addf(&line, " [%zu errors, %zu warnings]",
					    c->nr_by_severity[SEV_ERROR],
					    c->nr_by_severity[SEV_WARNING]);
			fprintf(stderr, "%s\n", line.buf);
			if (!run->verbose && kind_listed(s, j, c->name)) {
				if (c->nr_findings)
					fprintf(stderr, "    (the same kind of check as above; "
							"findings in the report)\n");
				continue;
			}
			for (k = 0; k < c->nr_findings; k++) {
				const struct finding *f = c->findings[k];
				if (f->severity == SEV_INFO && !run->verbose)
					continue;
				if (f->severity == SEV_WARNING && !run->verbose && !bad)
					continue;
				if (shown++ >= 10 && !run->verbose) {
					fprintf(stderr, "    ... more in the report\n");
					break;
				}
				print_finding(f, &fixes_shown);
			}
		}
	}
	strbuf_release(&line);
	strmap_release(&fixes_shown);
	if (!run->quiet || r->exit_code)
		fprintf(stderr, "%s: %s (exit %d)%s\n", r->command,
			r->exit_code == 0 ? "passed" :
			r->exit_code == 1 ? "FAILED" : "ENVIRONMENT ERROR",
			r->exit_code, r->interrupted ? ", interrupted" : "");
}

static int write_reports(struct run *run)
{
	struct strbuf err = STRBUF_INIT;
	int ret = 0;

	if (run->common.json && report_write_json(&run->report, run->common.json, &err)) {
		fprintf(stderr, "%s: cannot write the JSON report: %s\n", prog, err.buf);
		ret = -1;
	}
	strbuf_reset(&err);
	if (run->common.junit && report_write_junit(&run->report, run->common.junit, &err)) {
		fprintf(stderr, "%s: cannot write the JUnit report: %s\n", prog, err.buf);
		ret = -1;
	}
	strbuf_release(&err);
	return ret;
}

/* The common options, once: the cache directory made absolute. */
static int common_parse(struct run *run, struct strbuf *err)
{
	struct common_opts *c = &run->common;
	const char *dir = cli_get(&run->cli, "cache-dir"), *home = getenv("HOME");

	c->json = cli_get(&run->cli, "json");
	c->junit = cli_get(&run->cli, "junit");
	c->output_dir = cli_get(&run->cli, "output-dir");
	c->verbose = run->verbose = cli_flag(&run->cli, "verbose");
	c->quiet = run->quiet = cli_flag(&run->cli, "quiet");
	if (dir && dir[0] != '/') {
		/* libgit2 resolves a relative checkout target against the
		 * repository, not the process: always hand out absolute paths */
		char *cwd = getcwd(NULL, 0);
		if (!cwd) {
			strbuf_addf(err, "cannot resolve --cache-dir '%s': %s", dir,
				    strerror(errno));
			return -1;
		}
		c->cache_dir = xasprintf("%s/%s", cwd, dir);
		free(cwd);
	} else if (dir) {
		c->cache_dir = xstrdup(dir);
	} else if (home && *home) {
		c->cache_dir = xasprintf("%s/.slurm-factory", home);
	}
	return 0;
}

/*
 * A usage mistake found once the report paths were known good: the reports
 * say so too (exit_code 129, one error check "usage"), so a CI dashboard
 * sees why nothing ran.
 */
static void write_usage_report(struct run *run, const struct stage *s, const char *msg)
{
	struct stage_report *sr;
	struct check *c;

	if (!run->common.json && !run->common.junit)
		return;
	report_release(&run->report);
	report_init(&run->report, s->name);
	sr = report_add_stage(&run->report, s->name);
	c = stage_add_check(sr, "usage");
	check_fail(c, OUTCOME_ERROR, "%s", msg);
	check_finish(c);
	stage_finish(sr);
	report_finish(&run->report);
	run->report.exit_code = EXIT_USAGE;
	write_reports(run);
}

/* A tool command (image, gc): its options, then the command. */
static int run_tool(struct run *run, const struct stage *s, struct strbuf *err)
{
	void *opts = NULL;
	int ret;

	if (s->parse && s->parse(run, &opts, err))
		return -1;
	ret = s->run(run, opts, err);
	if (s->release)
		s->release(opts);
	else
		free(opts);
	return ret;
}

static int run_stage_command(const struct stage *s, int argc, char **argv)
{
	struct run run;
	struct strbuf err = STRBUF_INIT;
	struct opt *owned = NULL;
	int code, ret;

	memset(&run, 0, sizeof(run));
	run.command = s->name;
	pipeline_init(&run.pipe);
	if (cli_parse(&run.cli, stage_options(s, &owned), argc, argv, &err)) {
		code = usage_error(s->name, err.buf);
		goto out;
	}
	if (run.cli.nr_args < s->min_args || run.cli.nr_args > s->max_args) {
		strbuf_addf(&err, "%s takes %s", s->name, s->usage);
		code = usage_error(s->name, err.buf);
		goto out;
	}
	if (cli_check_paths(&run.cli, (s->flags & STAGE_PATH_ARGS) != 0, &err) ||
	    common_parse(&run, &err)) {
		code = usage_error(s->name, err.buf);
		goto out;
	}
	report_init(&run.report, s->name);
	signals_install();
	if ((s->flags & STAGE_PIPELINE) || s->first)
		ret = pipeline_command(&run, s, &err);
	else
		ret = run_tool(&run, s, &err);
	if (ret) {
		struct strbuf note = STRBUF_INIT;
		code = usage_error(s->name, err.buf);
		cli_env_note(&run.cli, &note);
		if (note.len)
			fprintf(stderr, "note: set in the environment: %s\n",
				console_str(&err, note.buf));
		strbuf_release(&note);
		write_usage_report(&run, s, err.buf);
		report_release(&run.report);
		goto out;
	}
	if (signals_interrupted())
		run.report.interrupted = 1;
	code = report_finish(&run.report);
	if (write_reports(&run) && code == EXIT_PASS)
		code = EXIT_ENVIRONMENT;
	print_summary(&run);
	report_release(&run.report);
out:
	pipeline_release(&run.pipe);
	free(run.common.cache_dir);
	cli_release(&run.cli);
	free(owned);
	strbuf_release(&err);
	return code;
}

/*
 * The reference tool's global form, `slurm-factory --verbose build ...`:
 * common options before the command word move behind it. Returns the index
 * of the command word in argv (rearranged in place), or -1 with `err` for
 * an option that is not a common one.
 */
static int command_first(int argc, char **argv, struct strbuf *err)
{
	int i = 1, k, n;

	while (i < argc && !strncmp(argv[i], "--", 2) && argv[i][2] &&
	       strcmp(argv[i], "--help") && strcmp(argv[i], "--version")) {
		const char *name = argv[i] + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct opt *o;

		for (o = common_opts; o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, name, len))
				break;
		if (!o->name) {
			strbuf_addf(err, "'%s' before the command: only the common options "
				    "(--verbose, --quiet, --json, --junit, --output-dir, "
				    "--cache-dir) may come first", argv[i]);
			return -1;
		}
		i += OPT_KIND(o) == OPT_FLAG || eq ? 1 : 2;
	}
	if (i >= argc) {
		strbuf_addstr(err, "no command after the options");
		return -1;
	}
	if (i == 1)
		return 1;
	/* rotate: the command word and what follows it first, the options after */
	n = i - 1;
	for (k = 0; k < n; k++) {
		char *opt = argv[1];
		memmove(&argv[1], &argv[2], (size_t)(argc - 2) * sizeof(*argv));
		argv[argc - 1] = opt;
	}
	return 1;
}

int main(int argc, char **argv)
{
	const struct stage *s;
	const char *cmd;
	struct strbuf err = STRBUF_INIT;

	/* before any output: a closed stdout pipe (help | head -c1) is EPIPE, not death */
	signals_install();
	if (argc >= 2 && command_first(argc, argv, &err) < 0) {
		int code = usage_error(NULL, err.buf);
		strbuf_release(&err);
		return code;
	}
	strbuf_release(&err);
	if (argc < 2) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("%s %s\n", prog, SF_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		if (argc > 3)
			return usage_error(NULL, "help takes at most one command");
		if (argc == 3) {
			s = stage_find(argv[2]);
			if (!s) {
				struct strbuf m = STRBUF_INIT;
				int code;
				strbuf_addf(&m, "no such command '%s'", argv[2]);
				code = usage_error(NULL, m.buf);
				strbuf_release(&m);
				return code;
			}
			print_stage_help(stdout, s);
			return 0;
		}
		print_overview(stdout);
		return 0;
	}
	s = stage_find(cmd);
	if (!s) {
		struct strbuf m = STRBUF_INIT;
		int code;
		strbuf_addf(&m, "'%s' is not a command", cmd);
		code = usage_error(NULL, m.buf);
		strbuf_release(&m);
		return code;
	}
	if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		print_stage_help(stdout, s);
		return 0;
	}
	return run_stage_command(s, argc - 2, argv + 2);
}
