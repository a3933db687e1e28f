/*
 * The build cache, under the cache directory:
 *   builds/by-key/<key>/     one complete build: both tarballs, SHA256SUMS,
 *                            manifest.json, both SBOMs, logs/ (what package
 *                            wrote)
 *   builds/<version>         symlink to by-key/<key> (the reference tool's
 *                            layout: builds/<version>/slurm-<version>-...)
 *   builds/.tmp-<key>-*      a build in progress; renamed into by-key/ in one
 *                            rename() once packaged, removed on failure or
 *                            interruption: nothing partial is ever read
 *   logs/                    logs of failed builds
 * <key> is a hash of everything the artifacts depend on (build computes it).
 * build looks an entry up and starts a new one; package completes it.
 */
#ifndef SF_BUILDCACHE_H
#define SF_BUILDCACHE_H

#include "strbuf.h"

/* The names of a version's artifacts in an entry ("slurm-24.11.5-software.tar.gz"). */
void buildcache_software_name(struct strbuf *out, const char *version, const char *ext);
void buildcache_module_name(struct strbuf *out, const char *version, const char *ext);

/* "slurm-24.11.5.cdx.json" for suffix SBOM_CDX_SUFFIX (and SPDX's). */
void buildcache_sbom_name(struct strbuf *out, const char *version, const char *suffix);

/*
 * The artifacts of an entry, by name (both tarballs, manifest.json, both
 * SBOMs, SHA256SUMS last): BUILDCACHE_NR_FILES strbufs, each appended to.
 */
#define BUILDCACHE_NR_FILES 6
void buildcache_file_names(struct strbuf names[BUILDCACHE_NR_FILES], const char *version,
			   const char *ext);

/* 1 when `entry` holds a complete build of `version` (every artifact above). */
int buildcache_complete(const char *entry, const char *version, const char *ext);

/*
 * A fresh directory for a build of `key` under `builds`, mode 0755, its path
 * in *work (caller frees). -1 with `err`.
 */
int buildcache_begin(const char *builds, const char *key, char **work, struct strbuf *err);

/*
 * Makes `work` the entry `entry` in one rename() (an existing entry, from a
 * --no-cache rebuild, is moved aside and removed), then points
 * builds/<version> at it. -1 with `err`; `work` is left for the caller.
 */
int buildcache_commit(const char *builds, const char *work, const char *entry,
		      const char *key, const char *version, struct strbuf *err);

/* Copies (hard links where it can) an entry's artifacts into `dir`. */
int buildcache_export(const char *entry, const char *version, const char *ext,
		      const char *dir, struct strbuf *err);

#endif
