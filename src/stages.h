/*
 * The one command table. main.c dispatches commands from it, `help` lists
 * it, and the pipeline runner (pipeline.c) walks its pipeline rows in
 * order. A new stage is one file (src/stage_<name>.c) and one line in
 * stages.c; tool commands that are not pipeline stages (image, gc) are
 * rows without STAGE_PIPELINE. What a stage is (a gate, a publisher, what
 * its arguments are) is a flag of its row, never read from its name or
 * help text.
 */
#ifndef SF_STAGES_H
#define SF_STAGES_H

#include <stddef.h>

#include "cli.h"
#include "pipeline.h"
#include "report.h"
#include "strbuf.h"

/* Defaults named once, for the code and the help texts alike. */
#define SF_DEFAULT_SPEC "latest"
#define SF_DEFAULT_PREFIX "/opt/slurm/software"
#define SF_DEFAULT_REPO "https://github.com/SchedMD/slurm.git"
#define SF_DEFAULT_BASE "bookworm"
#define SF_DEFAULT_PREFIXES 3
#define SF_DEFAULT_BACKEND "lxd"

/* --base and its old name --release, in every command that takes them. */
#define BASE_OPTS \
	{ "base", OPT_VALUE, "NAME", "Debian release to build on, and of the images: " \
	  "bullseye, bookworm or trixie (default " SF_DEFAULT_BASE ")" }, \
	{ "release", OPT_VALUE, "NAME", "the old name of --base" }

/* The options every command has, parsed once by main. */
struct common_opts {
	const char *json, *junit;    /* report paths, or NULL */
	const char *output_dir;      /* --output-dir, or NULL */
	char *cache_dir;             /* absolute: --cache-dir or $HOME/.slurm-factory; NULL
				      * when neither is set (stages that need it say so) */
	int verbose, quiet;
};

/* The state of one invocation. */
struct run {
	const char *command;         /* the command word */
	struct cli cli;
	struct common_opts common;
	struct report report;
	struct pipeline pipe;
	int verbose, quiet;          /* = common.verbose, common.quiet */
	/* the stages this command walks (set by the runner before any parse) */
	const struct stage *walk_first, *walk_last;
	const char *const *walk_skipped;   /* why a row is left out, by row index */
};

/* 1 when the command runs the stage `name` (in its range and not skipped). */
int run_walks(const struct run *run, const char *name);

enum stage_flag {
	STAGE_PIPELINE = 1,      /* a pipeline stage; else a tool command (image, gc) */
	STAGE_GATE = 2,          /* proves the artifacts: publish needs it run and passed */
	STAGE_PUBLISHES = 4,     /* sends the artifacts out: only after every gate passed */
	STAGE_SPEC_ARG = 8,      /* its positional argument is the version spec */
	STAGE_PATH_ARGS = 16,    /* its positional arguments are input files/directories */
	STAGE_SETUP = 32,        /* prepares for later stages (images): walked first by a
				  * command that walks a STAGE_NEEDS_SETUP stage */
	STAGE_NEEDS_SETUP = 64,  /* runs in what a setup stage prepares (build, smoke) */
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
	 * As a command, the pipeline runs from stage `first` to stage `last`
	 * (build: resolve to verify); NULL: the stage alone.
	 */
	const char *first, *last;
	/*
	 * The stage's options, parsed once from run->cli into a struct the
	 * stage defines, allocated into *opts, before any stage of the command
	 * runs; -1 with `err` on a usage mistake. `release` frees it (NULL:
	 * free()). `parse` NULL: the stage takes no parsed options.
	 */
	int (*parse)(const struct run *run, void **opts, struct strbuf *err);
	void (*release)(void *opts);
	/*
	 * Runs the stage: its checks and properties go to its own stage
	 * report, its results into run->pipe. Returns 0 when it ran (whatever
	 * the outcome of its checks), -1 with `err` when its inputs are
	 * missing (no earlier stage made them and the command line named none).
	 */
	int (*run)(struct run *run, const void *opts, struct strbuf *err);
	/* The command's result on stdout, from run->pipe (may be NULL). */
	void (*print)(const struct run *run);
};

extern const struct stage stages[];
const struct stage *stage_find(const char *name);
/*
 * The options `s` takes as a command: its own, then those of every stage
 * its pipeline walks (first name wins), in an array stored in *owned that
 * the caller frees after the parsed cli is released; otherwise s->opts and
 * *owned NULL.
 */
const struct opt *stage_options(const struct stage *s, struct opt **owned);
/* The first and last rows `s` walks as a command (both `s` when alone). */
void stage_range(const struct stage *s, const struct stage **first,
		 const struct stage **last);

/* Each stage file's entry points (one per row; see stages.c). */
#define STAGE_DECLARE(name) \
	extern const struct opt name##_opts[]; \
	int name##_parse(const struct run *run, void **opts, struct strbuf *err); \
	int stage_##name(struct run *run, const void *opts, struct strbuf *err);

STAGE_DECLARE(resolve)
STAGE_DECLARE(fetch)
STAGE_DECLARE(images)
STAGE_DECLARE(build)
STAGE_DECLARE(package)
STAGE_DECLARE(verify)
STAGE_DECLARE(smoke)
STAGE_DECLARE(publish)
extern const struct opt image_opts[];
int stage_image(struct run *run, const void *opts, struct strbuf *err);
extern const struct opt gc_opts[];
int stage_gc(struct run *run, const void *opts, struct strbuf *err);
extern const struct opt keygen_opts[], sign_opts[], verify_signature_opts[];
int stage_keygen(struct run *run, const void *opts, struct strbuf *err);
int stage_sign(struct run *run, const void *opts, struct strbuf *err);
int stage_verify_signature(struct run *run, const void *opts, struct strbuf *err);
extern const struct opt diff_opts[];
int diff_parse(const struct run *run, void **opts, struct strbuf *err);
int stage_diff(struct run *run, const void *opts, struct strbuf *err);
extern const struct opt run_opts[];
int run_parse(const struct run *run, void **opts, struct strbuf *err);
void build_release(void *opts);
void verify_release(void *opts);
void images_release(void *opts);
void smoke_release(void *opts);
void resolve_print(const struct run *run);
void fetch_print(const struct run *run);
void run_print(const struct run *run);
void package_print(const struct run *run);


/*
 * The Debian release of the build image (and the default runtime): --base,
 * else --release (its old name), else SF_DEFAULT_BASE. -1 with `err` when
 * the two disagree or the name is not a release name.
 */
int run_base(const struct run *run, const char **base, struct strbuf *err);

/*
 * The runtime bases smoke proves the package on: --runtime-base's
 * comma-separated list, else the base alone. The caller frees the names
 * with base_list_free(). -1 with `err` for a bad list, or several releases
 * with one --runtime-image.
 */
int run_runtime_bases(const struct run *run, char ***names, size_t *nr, struct strbuf *err);

/* The cache directory, or -1 with `err` when there is none. */
int run_cache_dir(const struct run *run, const char **dir, struct strbuf *err);

#endif
