/*
 * The libarchive adapter: secure extraction of install-tree archives, and
 * deterministic tarballs.
 *
 * What an archive is comes from its first bytes, never from its name:
 *   - tar or cpio, plain or compressed (gzip, xz, zstd, bzip2, lzma, lzip,
 *     lz4, compress): .tar.gz, .tar.xz, .tar.zst, .tar.bz2, ...;
 *   - an .rpm: its payload (cpio, compressed), the headers skipped;
 *   - a .deb (an ar archive): its data.tar[.*] member, nothing else of it;
 *   - a zip (a wheel, a .jar): by its central directory.
 * No other format is read (no iso9660, 7z, mtree, ...), and no filter that
 * runs an external program. Signatures and digests of .rpm and .deb files
 * are not checked: the payload is what is extracted and judged.
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

#include "rules.h"
#include "strbuf.h"

struct extract_limits {
	unsigned long long max_entries;
	unsigned long long max_total_bytes;   /* sum of entry sizes */
	unsigned long long max_entry_bytes;
	/*
	 * Room the destination has (0: not limited). Not a verdict on the
	 * archive: a tree that would grow past it stops the extraction with
	 * stats->out_of_room set and no finding, so that the caller can start
	 * again somewhere with more room.
	 */
	unsigned long long room_bytes;
};

#define EXTRACT_LIMITS_DEFAULT { 1000000ULL, 64ULL << 30, 16ULL << 30, 0 }

struct extract_stats {
	size_t entries, files, dirs, symlinks, hardlinks, refused;
	unsigned long long bytes;
	int stopped;            /* a limit, damage or SIGINT/SIGTERM stopped it early */
	int out_of_room;        /* stopped at limits->room_bytes (no finding) */
	/*
	 * What was read, from the content: "tar.gz", "tar", "cpio", "zip",
	 * "deb (data.tar.xz: tar.xz)", "rpm (payload: cpio.gz)"; "unreadable"
	 * in place of the archive format when none could be read. Empty when
	 * the file could not even be opened.
	 */
	char format[96];
	/*
	 * What inflated the outermost gzip layer, if there was one: "ISA-L"
	 * (libisal, gunzip.h) or "zlib" (libarchive's filter); else NULL.
	 * A static string.
	 */
	const char *inflated_with;
};

struct extract_sink {
	void (*finding)(void *ctx, enum rule_id rule, const char *entry,
			const char *message);
	void *ctx;
};

/*
 * Extracts `tarball` (any archive of the list above) into the existing
 * directory `dest` (which should be empty). The rules apply to every
 * format alike. Returns 0 when the archive was processed (hostile entries were
 * reported through `sink`, see stats->refused and stats->stopped), -1 with
 * `err` on an environment failure (cannot open the tarball or dest, disk
 * full, I/O error).
 */
int archive_extract_secure(const char *tarball, const char *dest,
			   const struct extract_limits *limits,
			   struct extract_stats *stats,
			   const struct extract_sink *sink, struct strbuf *err);

/* ---- writing: deterministic tarballs ------------------------------------ */

enum pack_format {
	PACK_GZ,      /* .tar.gz (gzip header without a timestamp) */
	PACK_ZST,     /* .tar.zst */
	PACK_TAR,     /* plain .tar (transfers: no time spent compressing) */
};

/* Called once per entry written, in archive order; strings are borrowed. */
struct pack_entry {
	const char *name;          /* name in the archive ("software/lib/libx.so") */
	char type;                 /* 'd' directory, 'f' file, 'l' symlink */
	unsigned mode;             /* permission bits written */
	unsigned long long size;   /* files: bytes */
	const char *sha256;        /* files: hex digest of the contents */
	const char *target;        /* symlinks: the target, as it is */
};

struct pack_opts {
	enum pack_format format;
	long long mtime;           /* every entry's mtime (SOURCE_DATE_EPOCH) */
	const char *top;           /* top directory in the archive, or NULL: none */
	void (*on_entry)(void *ctx, const struct pack_entry *e);
	void *ctx;
};

/*
 * Packs the tree `dir` into the open file `fd` (named `out` in messages)
 * so that the same tree gives the same bytes: entries sorted by name (byte
 * order, a directory before its contents), mtime opts->mtime, uid/gid 0
 * without user or group names, no atime/ctime/xattrs/ACLs, permissions
 * normalised (directories and files with any execute bit 0755, other files
 * 0644), symlinks kept as symlinks (never dereferenced), hard links written
 * as separate files. Sockets, FIFOs and devices in the tree are an error.
 * POSIX pax format (extended headers only for long names). `fd` stays open
 * and is the caller's, also on failure (-1 with `err`): the caller writes
 * into a temporary file (fsutil.h) and renames it.
 */
/*
 * 1 when the symlink `rel` (relative to the directory `root_fd`) resolves
 * outside that directory, following every link it passes through (a loop
 * counts as escaping). verify --tree applies it to a tree on disk.
 */
int archive_link_escapes(int root_fd, const char *rel);

int archive_pack_tree(const char *dir, int fd, const char *out,
		      const struct pack_opts *opts, struct strbuf *err);

#endif
