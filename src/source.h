/*
 * What resolve and fetch share: the resolved source, the source cache, and
 * the options both commands take.
 *
 * Source cache layout (under --cache-dir, default ~/.slurm-factory):
 *   sources/<commit>/src/          the tree of a git commit (no .git)
 *   sources/<commit>/SOURCE        key=value: kind, repo, tag, commit, fetched
 *   sources/sha256-<hex>/src/      a --source tarball, unpacked (top dir removed)
 *   sources/sha256-<hex>/SOURCE    kind, tarball, sha256, tag (when the top
 *                                  directory names one), fetched
 *   sources/.tmp-*                 entries being written; renamed into place
 *                                  in one rename(), so an entry whose SOURCE
 *                                  exists is always complete. Leftovers of
 *                                  a killed run are never read.
 *   locks/<key>.lock               flock(2) held by the one fetch of <key>
 *                                  running; another run of it waits
 */
#ifndef SF_SOURCE_H
#define SF_SOURCE_H

#include "stages.h"
#include "strbuf.h"

#define SOURCE_DEFAULT_REPO "https://github.com/SchedMD/slurm.git"

/* A resolved version: every string owned. */
struct source_ref {
	char *repo;
	char *tag;
	char *version;
	char *commit;
};

void source_ref_release(struct source_ref *s);

/*
 * Runs the resolve stage into run->report (stage "resolve"): lists the tags
 * of `repo` (giving up after `timeout` s of silence) and resolves `spec`. Returns 0 with `out` filled when it
 * resolved; -1 when it did not (the report says why: a failed check for a
 * spec that matches nothing, an error for an unreachable repository or one
 * without Slurm tags). Never prints.
 */
int source_resolve(struct run *run, const char *spec, const char *repo,
		   int allow_pre, unsigned timeout, struct source_ref *out);

/*
 * The source of a "resolve" stage already in the report (the pipeline ran
 * it), when it passed. Returns 0 and fills `out`, -1 when there is none.
 */
int source_from_report(const struct report *r, struct source_ref *out);

/* --cache-dir, or $HOME/.slurm-factory. -1 and err when neither is set. */
int source_cache_dir(const struct run *run, struct strbuf *out, struct strbuf *err);
/* --timeout in seconds (default 60). -1 and err on junk. */
int source_timeout(const struct run *run, unsigned *out, struct strbuf *err);

#endif
