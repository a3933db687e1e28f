/*
 * File-system helpers shared by the stages. Everything the tool writes,
 * replaces or removes goes through here, under three rules:
 *   - an output replaces only a regular file (or creates a new one), through
 *     a temporary file with a random name opened O_EXCL|O_NOFOLLOW beside
 *     it; devices and FIFOs are written through, never replaced;
 *   - removal never follows a symlink and has no depth or length limit;
 *   - nothing is created through a link planted at a predictable name.
 */
#ifndef SF_FSUTIL_H
#define SF_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

/*
 * rm -rf `path` without following symlinks, with openat/unlinkat one level
 * at a time: no PATH_MAX limit, no file descriptor per level. Directories
 * without write permission are made writable first. A directory that is
 * moved while it is being removed stops the removal (-1). 0 when `path`
 * does not exist.
 */
int fs_rmtree(const char *path, struct strbuf *err);
/* mkdir -p with mode 0755. */
int fs_mkdirs(const char *path, struct strbuf *err);
/* Appends `len` random characters from [a-z0-9] to `out`. */
void fs_random_name(struct strbuf *out, size_t len);
/*
 * The i-th random prefix under `base` into `out` (reset first):
 * "<base>/p<i+1>/" then 1 to 6 random components of 3 to 40 characters,
 * depth and lengths varying with i, so short and long, shallow and deep
 * paths are tried. verify and smoke move trees the same way.
 */
void fs_random_prefix(struct strbuf *out, const char *base, unsigned long i);
/*
 * A file the program reads at run time (recipes/build-slurm.sh): the
 * installed copy beside the executable (<exe>/../share/slurm-factory/REL),
 * else the source tree's (<exe>/../REL, for build/slurm-factory), else
 * ./REL. Its absolute path into `out` (reset first); -1 with `err` naming
 * every place looked at.
 */
int fs_data_file(const char *rel, struct strbuf *out, struct strbuf *err);
/* $TMPDIR, or /tmp. */
const char *fs_tmpdir(void);
/* 1 when `path` is a regular file / a directory (following symlinks). */
int fs_is_file(const char *path);
int fs_is_dir(const char *path);
/*
 * 1 when the file system holding `path` is out of space: less than
 * FS_FULL_BYTES left, or no inode left. Fills `why` (may be NULL) with the
 * free space, e.g. "0 KiB free". 0 when it is not, or cannot be asked.
 */
#define FS_FULL_BYTES (1024ULL * 1024ULL)
int fs_is_full(const char *path, struct strbuf *why);

/*
 * Creates a new, empty file beside `path`, named ".<name of path>.XXXXXX"
 * (the name shortened so the result fits NAME_MAX), with O_CREAT|O_EXCL|
 * O_NOFOLLOW and `mode`: a link planted there is never opened. Its path is
 * written to `tmp` (reset first). Returns the open descriptor, or -1 with
 * `err` filled.
 */
int fs_create_temp(const char *path, mode_t mode, struct strbuf *tmp, struct strbuf *err);

/*
 * Moves the finished temporary file `tmp` (from fs_create_temp, fd still
 * open) over `path`: fsync, close, rename. `fd` is closed in
 * every case; `tmp` is removed on failure.
 */
int fs_commit_temp(int fd, const char *tmp, const char *path, struct strbuf *err);

/*
 * The file a replacing write of `path` replaces, into `target` (reset
 * first): `path` itself when it is a regular file or does not exist, the
 * file a symlink points at when that is a regular file. -1 with `err` for
 * anything else (a directory, a device, a FIFO, a dangling symlink).
 */
int fs_replace_target(const char *path, struct strbuf *target, struct strbuf *err);

/*
 * Puts a copy of the regular file `from` at `to` by the rules of
 * fs_replace_target: a hard link under a random temporary name when
 * `link_ok` and both are on one file system, else a copy into
 * fs_create_temp; then rename. `mode` 0 keeps `from`'s permission bits.
 */
int fs_copy_file(const char *from, const char *to, mode_t mode, int link_ok,
		 struct strbuf *err);

/*
 * Writes `len` bytes to the output `path` the way every output of the tool
 * is written:
 *   "-"                     standard output;
 *   new path, regular file  fs_create_temp + fs_commit_temp: a reader never
 *                           sees half a file; a replaced file keeps its
 *                           mode (and, as root, its owner);
 *   symlink                 followed to its target, which must exist, and
 *                           the target is written by these rules;
 *   character device, FIFO  written through, never replaced (a FIFO with no
 *                           reader is an error, not a hang);
 *   anything else           an error (a directory, a socket, a block device).
 * -1 with `err` filled on failure; nothing but a temporary file was touched.
 */
int fs_write_output(const char *path, const char *data, size_t len, struct strbuf *err);

/*
 * For files inside directories the tool made itself (an image's root file
 * system, a cache entry): replaces the name `path`, whatever it is, with a
 * new regular file of `mode` holding `data`, through fs_create_temp and
 * rename(). Never follows a symlink at `path` (one planted in an image
 * pointing at the host is replaced, not written through).
 */
int fs_put_file(const char *path, const char *data, size_t len, mode_t mode,
		struct strbuf *err);

/*
 * What kind of input `path` is: 0 a regular file or a directory (or a
 * path that does not exist: the caller reports that), -1 with `err` for
 * anything that cannot be read safely as an input (FIFO, socket, device).
 * Symlinks are followed. Never blocks.
 */
int fs_check_input(const char *path, struct strbuf *err);

/*
 * 1 when `a` and `b` name the same file: the same device and inode when
 * both exist, else the same path once the directory part is resolved.
 * "-" (standard output) is the same only as "-".
 */
int fs_same_file(const char *a, const char *b);

/*
 * Walks the tree under `root` depth first without following symlinks and
 * calls `visit` for every entry but "." and ".." (in readdir order): with
 * the descriptor of the directory holding it, its name, its path relative
 * to `root` and its type (DT_DIR, DT_REG, DT_LNK, DT_FIFO, DT_SOCK, DT_CHR,
 * DT_BLK; DT_UNKNOWN when it cannot be told). A directory is entered after its visit. `visit` returns 0 to go
 * on, 1 to stop the walk (fs_walk then returns 1), -1 with `err` filled to
 * fail it. -1 with `err` when a directory cannot be opened or read.
 */
typedef int fs_visit_fn(void *ctx, int dirfd, const char *name, const char *rel,
			unsigned char type, struct strbuf *err);
int fs_walk(const char *root, fs_visit_fn *visit, void *ctx, struct strbuf *err);

/*
 * Appends the regular file `path` (not through a symlink) to `out`: -1 with
 * `err` when it is missing, not a regular file or over `max` bytes.
 */
int fs_read_small(const char *path, size_t max, struct strbuf *out, struct strbuf *err);

/*
 * Waits for an exclusive flock(2) on the open `fd` (a file or a
 * directory), in 100 ms steps, for at most `timeout` seconds (0: no
 * limit) and while no signal asked the run to end; `what` names it in
 * `err`. The kernel drops the lock when the fd is closed or its holder
 * dies, also by SIGKILL. *waited (may be NULL): the seconds it waited.
 * 0, or -1 with `err` (the fd stays open: the caller closes it).
 */
int fs_lock_fd(int fd, const char *what, double timeout, double *waited, struct strbuf *err);

/*
 * The lock file `path` (made 0644 when missing, in a directory that
 * exists; never through a symbolic link, and only opened for reading, so
 * a lock file of another user's in a shared directory serves too), locked
 * with fs_lock_fd. Returns the fd; -2 with `err` when the file cannot be
 * opened, -1 with `err` when the wait failed (fs_lock_fd).
 */
int fs_lock_file(const char *path, double timeout, double *waited, struct strbuf *err);

#endif
