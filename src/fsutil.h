/*
 * Small file-system helpers shared by the stages: recursive removal that
 * never follows symlinks, mkdir -p, random names.
 */
#ifndef SF_FSUTIL_H
#define SF_FSUTIL_H

#include <stddef.h>

#include "strbuf.h"

/* rm -rf `path` without following symlinks; makes directories writable first. */
int fs_rmtree(const char *path, struct strbuf *err);
/* mkdir -p with mode 0755. */
int fs_mkdirs(const char *path, struct strbuf *err);
/* Appends `len` random characters from [a-z0-9] to `out`. */
void fs_random_name(struct strbuf *out, size_t len);
/* $TMPDIR, or /tmp. */
const char *fs_tmpdir(void);
/*
 * 1 when the file system holding `path` is out of space: less than
 * FS_FULL_BYTES left, or no inode left. Fills `why` (may be NULL) with the
 * free space, e.g. "0 KiB free". 0 when it is not, or cannot be asked.
 */
#define FS_FULL_BYTES (1024ULL * 1024ULL)
int fs_is_full(const char *path, struct strbuf *why);

#endif
