/*
 * CI output: progress lines, and what GitHub Actions and GitLab CI show of
 * a run. The CI is detected from the environment (GITHUB_ACTIONS=true,
 * GITLAB_CI=true); without one only the progress lines are printed.
 *
 * GitHub: "::group::" around each stage on stdout, "::error" annotations
 * for the first findings (GitHub shows 10 a step: 9 and a summary line
 * when there are more), a Markdown summary appended to
 * $GITHUB_STEP_SUMMARY (kept under its 1 MiB cap), outputs to
 * $GITHUB_OUTPUT, variables to $GITHUB_ENV, "::add-mask::" for secrets.
 * GitLab: collapsible sections around each stage, and a dotenv file of the
 * same variables for downstream jobs (artifacts:reports:dotenv).
 *
 * Nothing here exits; writes to the environment files return -1 and `err`.
 */
#ifndef SF_CI_OUTPUT_H
#define SF_CI_OUTPUT_H

#include <stddef.h>

#include "report.h"
#include "strbuf.h"

enum ci_kind {
	CI_NONE,
	CI_GITHUB,
	CI_GITLAB,
};

enum ci_kind ci_detect(void);

/* Stage start: "COMMAND: [i/n] NAME started" on stderr (unless quiet), group open. */
void ci_stage_begin(const char *command, const char *name, size_t index, size_t total,
		    int quiet);
/* Stage end: "COMMAND: NAME OUTCOME in 1.23s" on stderr, group closed. */
void ci_stage_end(const char *command, const struct stage_report *s, int quiet);
/* "::add-mask::VALUE" for each value under GitHub Actions; nothing elsewhere. */
void ci_mask_secrets(const char *const *values, size_t n);

struct ci_paths {
	const char *json;             /* report paths, or NULL */
	const char *junit;
	const char *dotenv;           /* GitLab dotenv file, or NULL: none */
};

/* The run's results, as the pipeline holds them (any may be NULL). */
struct ci_values {
	const char *version, *tag, *commit;
	const char *artifacts_dir, *software, *module, *sha256, *manifest;
	const char *sbom, *sbom_spdx;  /* CycloneDX and SPDX SBOM paths */
	const char *provenance, *signature; /* publish's, kept in --output-dir */
	const char *stopped_by;
	const char *proven;           /* "glibc ≥ 2.30; proven on: bullseye, ..." (ci_proven) */
	const char *checksums;        /* "sha256  name" lines of what was published */
};

/*
 * After the run: annotations, step summary, outputs and environment
 * (GitHub), or the dotenv file (GitLab). `r` must be finished.
 */
int ci_finish(const struct report *r, const struct ci_values *v,
	      const struct ci_paths *paths, struct strbuf *err);

/* Workflow-command escaping: data (%, CR, LF) and properties (also : and ,). */
void ci_escape_data(struct strbuf *out, const char *s);
void ci_escape_property(struct strbuf *out, const char *s);
/* The "::error" lines for `r` (at most 10). */
void ci_github_annotations(const struct report *r, const char *json_path,
			   struct strbuf *out);
/* The Markdown summary, at most `max` bytes. */
void ci_github_summary(const struct report *r, struct strbuf *out, size_t max);

/*
 * What the run proved, in one line: "glibc ≥ 2.30; proven on: bullseye,
 * bookworm, trixie" (verify's glibc floor, the Debian releases whose whole
 * smoke passed, then "failed on: ..." for those whose did not). Nothing
 * when the report says neither.
 */
void ci_proven(const struct report *r, struct strbuf *out);
/* The exported variables' prefix: no option is named result-*. */
#define CI_RESULT_PREFIX "SLURM_FACTORY_RESULT_"

/* "NAME=value" lines of the run's results (version, tag, ...), one per line. */
void ci_results(const struct report *r, const struct ci_values *v,
		const struct ci_paths *paths, int multiline, struct strbuf *out);

/* Text safe inside a Markdown table cell: one line, specials escaped (input text too). */
void md_escape(struct strbuf *out, const char *s);

#endif
