/*
 * The libarchive adapter: secure extraction of install-tree tarballs
 * (.tar, .tar.gz, .tar.zst, .tar.xz, .tar.bz2).
 *
 * Secure means: every entry name is checked (no absolute paths, no "..",
 * no control characters or invalid UTF-8), device nodes, FIFOs and sockets
 * are refused, setuid/setgid bits are refused, symlinks and hard links
 * whose target leaves the tree are refused, entries are written with
 * openat(O_NOFOLLOW) one component at a time so nothing is ever written
 * through a symlink, and entry count and sizes are limited. A hostile entry
 * becomes a finding through the sink (rule, entry name, message) and is not
 * written; extraction goes on with the next entry, except after a limit or
 * a damaged archive, which stop it.
 */
#ifndef SF_ARCHIVE_H
#define SF_ARCHIVE_H

#include <stddef.h>

#include "strbuf.h"

struct extract_limits {
	unsigned long long max_entries;
	unsigned long long max_total_bytes;   /* sum of entry sizes */
	unsigned long long max_entry_bytes;
};

#define EXTRACT_LIMITS_DEFAULT { 1000000ULL, 64ULL << 30, 16ULL << 30 }

struct extract_stats {
	size_t entries, files, dirs, symlinks, hardlinks, refused;
	unsigned long long bytes;
	int stopped;            /* a limit or damage stopped extraction early */
};

struct extract_sink {
	void (*finding)(void *ctx, const char *rule, const char *entry,
			const char *message);
	void *ctx;
};

/*
 * Extracts `tarball` into the existing directory `dest` (which should be
 * empty). Returns 0 when the archive was processed (hostile entries were
 * reported through `sink`, see stats->refused and stats->stopped), -1 with
 * `err` on an environment failure (cannot open the tarball or dest, disk
 * full, I/O error).
 */
int archive_extract_secure(const char *tarball, const char *dest,
			   const struct extract_limits *limits,
			   struct extract_stats *stats,
			   const struct extract_sink *sink, struct strbuf *err);

#endif
