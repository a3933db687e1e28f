/*
 * The one command table. main.c dispatches commands from it, `help` lists
 * it, and the pipeline walks its pipeline stages in order. A new stage is
 * one file (src/stage_<name>.c) and one line in stages.c; tool commands
 * that are not pipeline stages (image, gc) are rows without STAGE_PIPELINE.
 */
#ifndef SF_STAGES_H
#define SF_STAGES_H

#include <stddef.h>

#include "cli.h"
#include "report.h"
#include "strbuf.h"

/* The state of one invocation: options, positional arguments, the report. */
struct run {
	const char *command;
	struct cli cli;
	struct report report;
	int verbose;
	int quiet;
};

/* What a row of the table is and takes. */
enum stage_flag {
	STAGE_PIPELINE = 1,      /* a pipeline stage (run walks it); else a tool command */
	STAGE_PATH_ARGS = 2,     /* its positional arguments are input files/directories */
};

struct stage {
	const char *name;        /* CLI word, JUnit suite, JSON key */
	unsigned flags;          /* enum stage_flag */
	const char *summary;     /* one line for help */
	const char *usage;       /* arguments after the command word */
	const char *description; /* paragraph for `help NAME` */
	const struct opt *opts;  /* stage options, NULL-name terminated */
	size_t min_args, max_args;
	/*
	 * Runs the stage, filling run->report. Returns 0 when it ran (whatever
	 * the outcome of its checks), -1 on a usage mistake with `err` filled.
	 */
	int (*run)(struct run *run, struct strbuf *err);
};

extern const struct stage stages[];
const struct stage *stage_find(const char *name);
/*
 * The options `s` accepts. For run: its own, then those of every pipeline
 * stage (the first of a name wins), in an array stored in *owned that the
 * caller frees after the parsed cli is released; otherwise s->opts and
 * *owned NULL.
 */
const struct opt *stage_options(const struct stage *s, struct opt **owned);

int stage_resolve(struct run *run, struct strbuf *err);
extern const struct opt resolve_opts[];
int stage_fetch(struct run *run, struct strbuf *err);
extern const struct opt fetch_opts[];
int stage_verify(struct run *run, struct strbuf *err);
extern const struct opt verify_opts[];
int stage_smoke(struct run *run, struct strbuf *err);
extern const struct opt smoke_opts[];
int stage_build(struct run *run, struct strbuf *err);
extern const struct opt build_opts[];
int stage_package(struct run *run, struct strbuf *err);
extern const struct opt package_opts[];
int stage_image(struct run *run, struct strbuf *err);
extern const struct opt image_opts[];
int stage_gc(struct run *run, struct strbuf *err);
extern const struct opt gc_opts[];
int stage_publish(struct run *run, struct strbuf *err);
extern const struct opt publish_opts[];
int stage_run(struct run *run, struct strbuf *err);
extern const struct opt run_opts[];

/*
 * The build image's alias for Debian `release` and the package list
 * `pkgfile`: "sf-build-<release>-<hash of the inputs>", appended to `alias`.
 * `pkgs` (may be NULL) gets the packages, comma-separated. -1 with `err`
 * when the list cannot be read or holds a bad name.
 */
int image_alias(const char *release, const char *pkgfile, struct strbuf *alias,
		struct strbuf *pkgs, struct strbuf *err);

#endif
