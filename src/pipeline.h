/*
 * The pipeline: what flows from stage to stage in one run, and the one
 * runner that walks the stage table for every command.
 *
 *   spec ─► resolve ─► src ─► fetch ─► source ─► images ─► images ─► build
 *     ─► build (tree, or a cache hit) ─► package
 *     ─► art ─► verify ─► smoke ─► publish ─► published
 *
 * Each field is filled by the stage named beside it and read by the stages
 * after it; a command that starts later in the pipeline (verify, smoke,
 * package, publish) fills the fields it starts from out of its command
 * line. The report is output only: stages write it from these fields and
 * nothing reads it back for data. Every string is owned by the pipeline
 * (pipeline_release).
 */
#ifndef SF_PIPELINE_H
#define SF_PIPELINE_H

#include <stddef.h>

#include "crypto.h"
#include "strbuf.h"

struct run;
struct stage;

/* A Slurm version of a repository: every string owned. */
struct source_ref {
	char *repo;        /* as given: may hold credentials, never printed unredacted */
	char *tag;         /* slurm-24-11-5-1 */
	char *version;     /* 24.11.5 */
	char *commit;      /* 40 hex digits */
};

void source_ref_release(struct source_ref *s);

/* One build's outputs as build leaves them for package. */
struct build_result {
	char *key;         /* the cache key (32 hex digits) */
	char *recipe_sha256;
	char *image;       /* the build image's alias, or "host" */
	char *prefix;      /* the install prefix the tree was built for */
	char *entry;       /* <cache>/builds/by-key/<key>: where the artifacts live */
	char *builds;      /* <cache>/builds */
	int cache_hit;     /* the entry was complete: nothing was built */
	/* a miss: a fresh directory the artifacts are made in, renamed to entry */
	char *work;        /* <cache>/builds/.tmp-<key>-XXXXXX */
	char *tree;        /* work/out/software: the installed, relocated tree */
	char *logs;        /* work/logs (a hit: entry/logs) */
	long long epoch;   /* SOURCE_DATE_EPOCH of the artifacts */
	int format;        /* enum pack_format */
	char **meta;       /* "key=value" for the manifest's build section, NULL-terminated */
	char **lists;      /* "key=line\nline\n" lists for the manifest, NULL-terminated */
	char *host_provided; /* "name reason" lines: libraries the node provides, or NULL */
	char *grafted_packages; /* grafted-packages.txt: each grafted library's Debian package, or NULL */
};

/* The LXD images the walk uses (images): aliases and package hashes. */
struct pipeline_runtime {
	char *base;                          /* its Debian release ("bullseye") */
	char *alias, *packages;              /* the image and its packages_sha256 */
};

struct pipeline_images {
	char *build, *build_packages;       /* packages_sha256 of the build image */
	struct pipeline_runtime *runtimes;  /* one per --runtime-base, in its order */
	size_t nr_runtimes;
};

/* The packaged artifacts, where publish finds them. */
struct artifacts {
	char *dir;         /* the directory they are in */
	char *version;     /* names the files */
	char *software, *module, *sums, *manifest;
	char *cdx, *spdx;  /* the SBOMs */
	char software_sha256[SHA256_HEX_SIZE], module_sha256[SHA256_HEX_SIZE];
};

struct published_file {
	char *name;
	char sha256[SHA256_HEX_SIZE];
};

struct pipeline {
	/* from the command line */
	char *spec;                  /* the version spec ("latest", "24.11", a tag) */
	char **args;                 /* the paths a stage run alone was given */
	size_t nr_args;
	/* resolve */
	struct source_ref src;       /* tag and commit (version from --source's name) */
	int resolved;                /* src is set */
	/* fetch */
	char *source_dir;            /* <cache>/sources/<key>/src */
	char *source_key;            /* the commit, or sha256-<hex> of a --source tarball */
	long long commit_time;       /* seconds, -1 when unknown */
	int source_cached;           /* it was in the cache already (no transport) */
	/* images */
	struct pipeline_images images;
	/* build */
	struct build_result build;
	int built;                   /* build is set */
	/* package */
	struct artifacts art;
	int packaged;                /* art is set */
	/* publish */
	struct published_file *published;
	size_t nr_published;
	char *provenance, *signature; /* publish's own files kept in --output-dir, or NULL */
	/* the runner */
	const char *stopped_by;      /* the stage that stopped the pipeline */
};

/* run's options: what the walk covers (the runner reads them). */
struct walk_opts {
	const char *spec;            /* positional SPEC, --slurm-version, or the default */
	const char *until;           /* --until STAGE */
	char *const *skip;           /* --skip STAGE... */
	size_t nr_skip;
	int dry_run;
	const char *dotenv;          /* GitLab dotenv file */
};

/*
 * run --dry-run: the plan on stdout (stages in order, those that will not
 * run and why, version, backend, prefixes, targets); `skipped` is indexed
 * by row of the stage table.
 */
void run_print_plan(const struct run *run, const struct stage *first,
		    const struct stage *last, const char *const *skipped);

void pipeline_init(struct pipeline *p);
void pipeline_release(struct pipeline *p);

/*
 * Runs command `cmd` as a walk of the stage table: from cmd->first to
 * cmd->last (the stage itself when they are NULL; `run` narrows them with
 * --until and --skip, `build` with --no-verify). Every stage's options are
 * parsed before the first one runs, so a usage mistake anywhere stops the
 * command before it does anything (-1 with `err`: exit 129). A stage that
 * fails stops the walk; the rest are reported skipped, naming the gate; a
 * publishing stage runs only after every gate ran and passed. Prints one
 * line per stage on stderr when there is more than one, the command's
 * result on stdout, and under GitHub Actions / GitLab CI the groups,
 * annotations, summary and outputs. 0 when it ran (the report says how).
 */
int pipeline_command(struct run *run, const struct stage *cmd, struct strbuf *err);

#endif
