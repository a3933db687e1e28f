#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "clock.h"
#include "signals.h"

/* --- removal ---------------------------------------------------------- */

/* One directory on the way down: who it is, and its name in its parent. */
struct rm_level {
	dev_t dev;
	ino_t ino;
	char *name;
};

/*
 * Empties the directory open at *fd by descending into the first
 * subdirectory found (returning 1 with *fd moved there and the level
 * pushed), or, when only non-directories are left, removes them (0).
 */
static int rm_step(int *fd, struct rm_level **stack, size_t *nr, size_t *alloc,
		   const char *root, struct strbuf *err)
{
	int dfd = dup(*fd), ret = 0;
	DIR *d;
	struct dirent *de;

	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		strbuf_addf(err, "cannot read a directory under '%s': %s", root, strerror(errno));
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		int child;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(*fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			strbuf_addf(err, "cannot stat '%s' under '%s': %s", de->d_name, root,
				    strerror(errno));
			ret = -1;
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(*fd, de->d_name, 0) < 0 && errno != ENOENT) {
				strbuf_addf(err, "cannot remove '%s' under '%s': %s", de->d_name,
					    root, strerror(errno));
				ret = -1;
				break;
			}
			continue;
		}
		/* a directory we cannot read or enter: make it ours to empty */
		if ((st.st_mode & 0700) != 0700)
			fchmodat(*fd, de->d_name, (st.st_mode & 07777) | 0700, 0);
		child = openat(*fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0 || fstat(child, &st) < 0) {
			strbuf_addf(err, "cannot open '%s' under '%s': %s", de->d_name, root,
				    strerror(errno));
			if (child >= 0)
				close(child);
			ret = -1;
			break;
		}
		xgrow((void **)stack, alloc, *nr + 1, sizeof(**stack));
		(*stack)[*nr].dev = st.st_dev;
		(*stack)[*nr].ino = st.st_ino;
		(*stack)[*nr].name = xstrdup(de->d_name);
		(*nr)++;
		close(*fd);
		*fd = child;
		ret = 1;
		break;
	}
	closedir(d);
	return ret;
}

int fs_rmtree(const char *path, struct strbuf *err)
{
	struct strbuf local = STRBUF_INIT;
	struct rm_level *stack = NULL;
	size_t nr = 0, alloc = 0, i;
	struct stat st;
	int fd = -1, ret = -1;

	if (!err)
		err = &local;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		strbuf_addf(err, "cannot remove '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT) {
			strbuf_addf(err, "cannot remove '%s': %s", path, strerror(errno));
			goto out;
		}
		ret = 0;
		goto out;
	}
	if ((st.st_mode & 0700) != 0700)
		chmod(path, (st.st_mode & 07777) | 0700);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		strbuf_addf(err, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	xgrow((void **)&stack, &alloc, 1, sizeof(*stack));
	stack[0].dev = st.st_dev;
	stack[0].ino = st.st_ino;
	stack[0].name = NULL;
	nr = 1;
	for (;;) {
		int r = rm_step(&fd, &stack, &nr, &alloc, path, err), up;

		if (r < 0)
			goto out;
		if (r > 0)
			continue;
		if (nr == 1)
			break;
		/* empty: climb back by "..", which must be the directory we left */
		up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || fstat(up, &st) < 0 || st.st_dev != stack[nr - 2].dev ||
		    st.st_ino != stack[nr - 2].ino) {
			strbuf_addf(err, "cannot remove '%s': a directory under it was moved "
				    "while it was being removed", path);
			if (up >= 0)
				close(up);
			goto out;
		}
		close(fd);
		fd = up;
		if (unlinkat(fd, stack[nr - 1].name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			strbuf_addf(err, "cannot remove a directory under '%s': %s", path,
				    strerror(errno));
			goto out;
		}
		free(stack[--nr].name);
	}
	close(fd);
	fd = -1;
	if (rmdir(path) < 0 && errno != ENOENT) {
		strbuf_addf(err, "cannot remove '%s': %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	for (i = 0; i < nr; i++)
		free(stack[i].name);
	free(stack);
	strbuf_release(&local);
	return ret;
}

/* --- small helpers ---------------------------------------------------- */

int fs_mkdirs(const char *path, struct strbuf *err)
{
	char *p = xstrdup(path), *s;
	int ret = 0;

	for (s = p + 1; ; s++) {
		if (*s && *s != '/')
			continue;
		{
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				if (err)
					strbuf_addf(err, "cannot create '%s': %s", p,
						    strerror(errno));
				ret = -1;
				break;
			}
			*s = c;
		}
		if (!*s)
			break;
	}
	free(p);
	return ret;
}

void fs_random_name(struct strbuf *out, size_t len)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char buf[64];
	size_t i;

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		if (getrandom(buf, n, 0) != (ssize_t)n) {
			/* getrandom cannot fail for small sizes once seeded; be safe */
			for (i = 0; i < n; i++)
				buf[i] = (unsigned char)(rand() & 0xff);
		}
		for (i = 0; i < n; i++)
			strbuf_addch(out, chars[buf[i] % (sizeof(chars) - 1)]);
		len -= n;
	}
}

void fs_random_prefix(struct strbuf *out, const char *base, unsigned long i)
{
	static const unsigned depths[] = { 1, 3, 6, 2, 4 };
	static const unsigned lens[] = { 6, 11, 40, 3, 23 };
	unsigned d = depths[i % 5], k;

	strbuf_reset(out);
	strbuf_addf(out, "%s/p%lu", base, i + 1);
	for (k = 0; k < d; k++) {
		strbuf_addch(out, '/');
		fs_random_name(out, lens[(i + k) % 5]);
	}
}

int fs_data_file(const char *rel, struct strbuf *out, struct strbuf *err)
{
	struct strbuf tried = STRBUF_INIT;
	char exe[PATH_MAX], *slash, *real;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *forms[] = { "%s/../share/slurm-factory/%s", "%s/../%s" };
	size_t i;

	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (i = 0; slash && i < 2; i++) {
			strbuf_reset(out);
			strbuf_addf(out, forms[i], exe, rel);
			real = realpath(out->buf, NULL);
			if (real && fs_is_file(real)) {
				strbuf_reset(out);
				strbuf_addstr(out, real);
				free(real);
				strbuf_release(&tried);
				return 0;
			}
			free(real);
			strbuf_addf(&tried, "%s%s", tried.len ? ", " : "", out->buf);
		}
	}
	strbuf_reset(out);
	real = realpath(rel, NULL);
	if (real && fs_is_file(real)) {
		strbuf_addstr(out, real);
		free(real);
		strbuf_release(&tried);
		return 0;
	}
	free(real);
	strbuf_addf(err, "cannot find %s (looked at %s%s./%s)", rel, tried.buf,
		    tried.len ? ", " : "", rel);
	strbuf_release(&tried);
	return -1;
}

const char *fs_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

int fs_is_file(const char *path)
{
	struct stat st;

	return path && !stat(path, &st) && S_ISREG(st.st_mode);
}

int fs_is_dir(const char *path)
{
	struct stat st;

	return path && !stat(path, &st) && S_ISDIR(st.st_mode);
}

int fs_is_full(const char *path, struct strbuf *why)
{
	struct statvfs st;
	unsigned long long avail;

	if (statvfs(path, &st))
		return 0;
	avail = (unsigned long long)st.f_bavail * (unsigned long long)st.f_frsize;
	/* f_files 0: the file system does not count inodes */
	if (avail >= FS_FULL_BYTES && (!st.f_files || st.f_favail))
		return 0;
	if (why)
		strbuf_addf(why, "%llu KiB free%s", avail / 1024,
			    st.f_files && !st.f_favail ? ", no inode free" : "");
	return 1;
}

/* --- outputs ---------------------------------------------------------- */

#define TEMP_SUFFIX_LEN 7       /* ".XXXXXX" */

int fs_create_temp(const char *path, mode_t mode, struct strbuf *tmp, struct strbuf *err)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t room = NAME_MAX - 1 - TEMP_SUFFIX_LEN, namelen = strlen(name);
	int tries, fd = -1;

	if (!*name) {
		strbuf_addf(err, "'%s' names a directory, not a file", path);
		return -1;
	}
	for (tries = 0; tries < 100 && fd < 0; tries++) {
		strbuf_reset(tmp);
		strbuf_add(tmp, path, dirlen);
		strbuf_addch(tmp, '.');
		strbuf_add(tmp, name, namelen < room ? namelen : room);
		strbuf_addch(tmp, '.');
		fs_random_name(tmp, TEMP_SUFFIX_LEN - 1);
		fd = open(tmp->buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		strbuf_addf(err, "cannot create a temporary file beside '%s': %s", path,
			    strerror(errno));
	return fd;
}

int fs_commit_temp(int fd, const char *tmp, const char *path, struct strbuf *err)
{
	if (fsync(fd) < 0 && errno != EINVAL) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		strbuf_addf(err, "cannot replace '%s': %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}

static int write_all(int fd, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* A character device or FIFO: written through, never replaced. */
static int write_through(const char *path, const struct stat *st, const char *data,
			 size_t len, struct strbuf *err)
{
	/* O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of hanging */
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), flags;

	if (fd < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path,
			    errno == ENXIO && S_ISFIFO(st->st_mode) ?
			    "a FIFO with no reader" : strerror(errno));
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	if (write_all(fd, data, len) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static const char *kind_of(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket" :
	       S_ISBLK(m) ? "a block device" : S_ISCHR(m) ? "a character device" :
	       S_ISFIFO(m) ? "a FIFO" : "not a regular file";
}

int fs_replace_target(const char *path, struct strbuf *target, struct strbuf *err)
{
	struct stat st;
	char *real;

	strbuf_reset(target);
	if (!path || !*path) {
		strbuf_addstr(err, "an empty path is not an output");
		return -1;
	}
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT) {
			strbuf_addf(err, "cannot write '%s': %s", path, strerror(errno));
			return -1;
		}
		strbuf_addstr(target, path);
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		strbuf_addstr(target, path);
		return 0;
	}
	if (!S_ISLNK(st.st_mode)) {
		strbuf_addf(err, "'%s' is %s: not replacing it", path, kind_of(st.st_mode));
		return -1;
	}
	if (stat(path, &st) < 0) {
		strbuf_addf(err, "'%s' is a symlink to nothing that exists: not creating a "
			    "file through it", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_addf(err, "'%s' points at %s: not replacing it", path, kind_of(st.st_mode));
		return -1;
	}
	real = realpath(path, NULL);
	if (!real) {
		strbuf_addf(err, "cannot resolve '%s': %s", path, strerror(errno));
		return -1;
	}
	strbuf_addstr(target, real);
	free(real);
	return 0;
}

int fs_write_output(const char *path, const char *data, size_t len, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, target = STRBUF_INIT;
	struct stat st;
	int fd, ret = -1;

	if (path && !strcmp(path, "-")) {
		if (write_all(STDOUT_FILENO, data, len) < 0) {
			strbuf_addf(err, "cannot write to standard output: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	/* /dev/null, /dev/stdout, a FIFO: written through, never replaced */
	if (path && *path && !stat(path, &st) && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
		return write_through(path, &st, data, len, err);
	if (fs_replace_target(path, &target, err))
		goto out;
	fd = fs_create_temp(target.buf, 0644, &tmp, err);
	if (fd < 0)
		goto out;
	if (write_all(fd, data, len) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", tmp.buf, strerror(errno));
		close(fd);
		unlink(tmp.buf);
		goto out;
	}
	/* a report being replaced keeps its mode and, when we may, its owner */
	if (!lstat(target.buf, &st) && S_ISREG(st.st_mode)) {
		fchmod(fd, st.st_mode & 07777);
		if (geteuid() == 0)
			(void)!fchown(fd, st.st_uid, st.st_gid);
	}
	ret = fs_commit_temp(fd, tmp.buf, target.buf, err);
out:
	strbuf_release(&tmp);
	strbuf_release(&target);
	return ret;
}

int fs_put_file(const char *path, const char *data, size_t len, mode_t mode,
		struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd = fs_create_temp(path, mode, &tmp, err), ret = -1;

	if (fd < 0)
		goto out;
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0) {
		strbuf_addf(err, "cannot write '%s': %s", tmp.buf, strerror(errno));
		close(fd);
		unlink(tmp.buf);
		goto out;
	}
	ret = fs_commit_temp(fd, tmp.buf, path, err);
out:
	strbuf_release(&tmp);
	return ret;
}

static int copy_fd(int in, int out, const char *from, const char *to, struct strbuf *err)
{
	char buf[1 << 16];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_addf(err, "cannot read '%s': %s", from, strerror(errno));
			return -1;
		}
		if (write_all(out, buf, (size_t)n) < 0) {
			strbuf_addf(err, "cannot write '%s': %s", to, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int fs_copy_file(const char *from, const char *to, mode_t mode, int link_ok,
		 struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, target = STRBUF_INIT;
	struct stat st;
	int in = -1, out = -1, ret = -1;

	in = open(from, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		strbuf_addf(err, "cannot read '%s': %s", from,
			    in < 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	if (!mode)
		mode = st.st_mode & 0777;
	if (fs_replace_target(to, &target, err))
		goto out;
	if (link_ok && (st.st_mode & 0777) == mode) {
		const char *slash = strrchr(target.buf, '/');
		int tries;

		for (tries = 0; tries < 100; tries++) {
			strbuf_reset(&tmp);
			strbuf_add(&tmp, target.buf, slash ? (size_t)(slash - target.buf) + 1 : 0);
			strbuf_addstr(&tmp, ".sf-link.");
			fs_random_name(&tmp, 12);
			/* link() creates the name exclusively and never follows one */
			if (!link(from, tmp.buf)) {
				if (rename(tmp.buf, target.buf) < 0) {
					strbuf_addf(err, "cannot replace '%s': %s", target.buf,
						    strerror(errno));
					unlink(tmp.buf);
					goto out;
				}
				ret = 0;
				goto out;
			}
			if (errno != EEXIST)
				break;
		}
	}
	out = fs_create_temp(target.buf, mode, &tmp, err);
	if (out < 0)
		goto out;
	if (copy_fd(in, out, from, tmp.buf, err) || fchmod(out, mode) < 0) {
		if (!err->len)
			strbuf_addf(err, "cannot chmod '%s': %s", tmp.buf, strerror(errno));
		close(out);
		unlink(tmp.buf);
		goto out;
	}
	ret = fs_commit_temp(out, tmp.buf, target.buf, err);
out:
	if (in >= 0)
		close(in);
	strbuf_release(&tmp);
	strbuf_release(&target);
	return ret;
}

/* --- inputs ----------------------------------------------------------- */

int fs_check_input(const char *path, struct strbuf *err)
{
	struct stat st;

	if (stat(path, &st) < 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		return 0;
	strbuf_addf(err, "'%s' is %s, not a regular file: refused as an input", path,
		    S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket" :
		    S_ISCHR(st.st_mode) ? "a character device" :
		    S_ISBLK(st.st_mode) ? "a block device" : "a special file");
	return -1;
}

/* `path` with its directory part resolved (the file itself need not exist). */
static char *resolve_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *real, *out;

	if (!slash)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	real = realpath(dir, NULL);
	free(dir);
	if (!real)
		return NULL;
	out = xasprintf("%s/%s", strcmp(real, "/") ? real : "", slash ? slash + 1 : path);
	free(real);
	return out;
}

int fs_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char *ra, *rb;
	int same;

	if (!strcmp(a, "-") || !strcmp(b, "-"))
		return !strcmp(a, b);
	if (!stat(a, &sa) && !stat(b, &sb))
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	ra = resolve_parent(a);
	rb = resolve_parent(b);
	same = ra && rb && !strcmp(ra, rb);
	free(ra);
	free(rb);
	return same;
}

int fs_read_small(const char *path, size_t max, struct strbuf *out, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char buf[4096];
	ssize_t n;
	size_t total = 0;
	int ret = -1;

	if (fd < 0) {
		strbuf_addf(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		strbuf_addf(err, "%s is not a regular file", path);
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		total += (size_t)n;
		if (total > max) {
			strbuf_addf(err, "%s is larger than %zu bytes", path, max);
			goto out;
		}
		strbuf_add(out, buf, (size_t)n);
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/* The type of entry `de` of `d`, asking the file system when readdir does not say. */
static unsigned char entry_type(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type;
	if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return DT_UNKNOWN;
	return S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG :
	       S_ISLNK(st.st_mode) ? DT_LNK : S_ISFIFO(st.st_mode) ? DT_FIFO :
	       S_ISSOCK(st.st_mode) ? DT_SOCK : S_ISCHR(st.st_mode) ? DT_CHR :
	       S_ISBLK(st.st_mode) ? DT_BLK : DT_UNKNOWN;
}

/* Visits the entries of the open directory `dir_fd` (taken), whose path is `rel`. */
static int walk_dir(int dir_fd, struct strbuf *rel, fs_visit_fn *visit, void *ctx,
		    struct strbuf *err)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		close(dir_fd);
		strbuf_addf(err, "cannot read directory '%s': %s", rel->buf, strerror(errno));
		return -1;
	}
	while (!ret && (de = readdir(d)) != NULL) {
		size_t keep = rel->len;
		unsigned char type;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (rel->len)
			strbuf_addch(rel, '/');
		strbuf_addstr(rel, de->d_name);
		type = entry_type(d, de);
		ret = visit(ctx, dirfd(d), de->d_name, rel->buf, type, err);
		if (!ret && type == DT_DIR) {
			int fd = openat(dirfd(d), de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				strbuf_addf(err, "cannot open directory '%s': %s", rel->buf,
					    strerror(errno));
				ret = -1;
			} else {
				ret = walk_dir(fd, rel, visit, ctx, err);
			}
		}
		strbuf_setlen(rel, keep);
	}
	closedir(d);
	return ret;
}

int fs_walk(const char *root, fs_visit_fn *visit, void *ctx, struct strbuf *err)
{
	struct strbuf rel = STRBUF_INIT;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s", root, strerror(errno));
		return -1;
	}
	ret = walk_dir(fd, &rel, visit, ctx, err);
	strbuf_release(&rel);
	return ret;
}

int fs_lock_fd(int fd, const char *what, double timeout, double *waited, struct strbuf *err)
{
	double t0 = monotonic_now();

	if (waited)
		*waited = 0;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			strbuf_addf(err, "cannot lock %s: %s", what, strerror(errno));
			return -1;
		}
		if (signals_interrupted()) {
			strbuf_addf(err, "interrupted while waiting for the lock %s", what);
			return -1;
		}
		if (timeout > 0 && monotonic_now() - t0 > timeout) {
			strbuf_addf(err, "another process has held the lock %s for %.0f s", what,
				    monotonic_now() - t0);
			return -1;
		}
		usleep(100 * 1000);
	}
	if (waited)
		*waited = monotonic_now() - t0;
	return 0;
}

int fs_lock_file(const char *path, double timeout, double *waited, struct strbuf *err)
{
	/*
	 * O_CREAT only when it is missing: with fs.protected_regular, an
	 * O_CREAT open of another user's file in a sticky directory (/run/lock)
	 * is refused even to root
	 */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		strbuf_addf(err, "cannot open the lock file %s: %s", path, strerror(errno));
		return -2;
	}
	if (fs_lock_fd(fd, path, timeout, waited, err)) {
		close(fd);
		return -1;
	}
	return fd;
}
