/*
 * Build provenance of a release: an in-toto Statement v1 whose predicate is
 * SLSA provenance v1, in a DSSE envelope (one JSON line of
 * slurm-<version>.intoto.jsonl). Pure logic: the caller reads the manifest
 * and the environment and writes the file (stage_publish.c).
 *
 *   PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body
 *   (lengths in ASCII decimal, bytes)
 *
 * The envelope's signature, when a key is given, is Ed25519 over the PAE
 * of the payload type and the Statement's bytes; its keyid is the key's
 * minisign id (16 hex digits), the one SHA256SUMS.minisig names.
 */
#ifndef SF_PROVENANCE_H
#define SF_PROVENANCE_H

#include <stddef.h>

#include "strbuf.h"

#define PROV_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define PROV_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define PROV_PREDICATE_TYPE "https://slsa.dev/provenance/v1"
/* docs/verifying-a-release.md#provenance says what it means */
#define PROV_BUILD_TYPE "urn:slurm-factory:build-type:run:v1"

struct prov_subject {
	const char *name;             /* published file name */
	const char *sha256;           /* 64 hex digits */
};

struct prov_params {
	const char *manifest;         /* manifest.json's text (slurm-factory-manifest/1) */
	const struct prov_subject *subjects;
	size_t nr_subjects;
	const char *tool_version;     /* slurm-factory's version */
	const char *builder_id;       /* prov_builder_id()'s answer */
	const char *invocation_id;    /* the CI job URL or the run's id; may be NULL */
	const char *started;          /* UTC, RFC 3339 ("2026-12-03T10:48:39Z") */
	const char *finished;
};

/*
 * The builder's id: the CI job's URL where the environment names one
 * (GitHub: server/repository/actions/runs/run id; GitLab: CI_JOB_URL),
 * else "urn:slurm-factory:builder:local". Any argument may be NULL or "".
 */
void prov_builder_id(const char *gh_server, const char *gh_repo, const char *gh_run_id,
		     const char *ci_job_url, struct strbuf *out);

/*
 * The Statement's JSON (compact, one line, no trailing newline) into
 * `out`: the subjects sorted by name, the build definition from the
 * manifest (version, tag and options as external parameters; the Slurm
 * commit, the build image and the recipe as resolved dependencies), the
 * run details from `p`. -1 with `err` when the manifest is not one.
 */
int prov_statement(const struct prov_params *p, struct strbuf *out, struct strbuf *err);

/* PAE(type, body) appended to `out`. */
void dsse_pae(const char *type, const void *body, size_t len, struct strbuf *out);

/*
 * The DSSE envelope of `payload` (its type PROV_PAYLOAD_TYPE) as one JSON
 * line with its newline, appended to `out`; with `sig` (64 bytes, may be
 * NULL: no signature) and its `keyid`.
 */
void dsse_envelope(const struct strbuf *payload, const unsigned char *sig, const char *keyid,
		   struct strbuf *out);

#endif
