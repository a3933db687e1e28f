/* The only file that includes libarchive: secure extraction and deterministic packing. */
#include "archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lazylib.h"
#include "crypto.h"
#include "gunzip.h"
#include "signals.h"
#include "strmap.h"

/* libarchive, loaded on first use (lazylib.h) */
#define ARCHIVE_FUNCS(X) \
	X(archive_entry_clear) \
	X(archive_entry_filetype) \
	X(archive_entry_free) \
	X(archive_entry_hardlink) \
	X(archive_entry_mtime) \
	X(archive_entry_new) \
	X(archive_entry_pathname) \
	X(archive_entry_perm) \
	X(archive_entry_set_filetype) \
	X(archive_entry_set_gid) \
	X(archive_entry_set_mtime) \
	X(archive_entry_set_pathname) \
	X(archive_entry_set_perm) \
	X(archive_entry_set_size) \
	X(archive_entry_set_symlink) \
	X(archive_entry_set_uid) \
	X(archive_entry_size) \
	X(archive_entry_symlink) \
	X(archive_errno) \
	X(archive_error_string) \
	X(archive_filter_count) \
	X(archive_filter_name) \
	X(archive_format) \
	X(archive_read_data) \
	X(archive_read_data_block) \
	X(archive_read_free) \
	X(archive_read_new) \
	X(archive_read_next_header) \
	X(archive_read_open) \
	X(archive_read_open_fd) \
	X(archive_read_support_filter_bzip2) \
	X(archive_read_support_filter_compress) \
	X(archive_read_support_filter_gzip) \
	X(archive_read_support_filter_lz4) \
	X(archive_read_support_filter_lzip) \
	X(archive_read_support_filter_lzma) \
	X(archive_read_support_filter_none) \
	X(archive_read_support_filter_rpm) \
	X(archive_read_support_filter_xz) \
	X(archive_read_support_filter_zstd) \
	X(archive_read_support_format_ar) \
	X(archive_read_support_format_cpio) \
	X(archive_read_support_format_gnutar) \
	X(archive_read_support_format_raw) \
	X(archive_read_support_format_tar) \
	X(archive_read_support_format_zip_seekable) \
	X(archive_set_error) \
	X(archive_write_add_filter_gzip) \
	X(archive_write_add_filter_zstd) \
	X(archive_write_close) \
	X(archive_write_data) \
	X(archive_write_free) \
	X(archive_write_header) \
	X(archive_write_new) \
	X(archive_write_open_fd) \
	X(archive_write_set_filter_option) \
	X(archive_write_set_format_pax_restricted)

LAZYLIB_DEFINE(la, archive_load, ARCHIVE_FUNCS, SF_LIBARCHIVE_SONAME, "libarchive13")

/* What kind of entry a name in the tree was created as. */
enum kind { K_DIR = 1, K_FILE, K_SYMLINK };

struct extractor {
	struct archive *a;
	int root_fd;
	int parent_fd;              /* cached fd of parent_path */
	struct strbuf parent_path;  /* relative, "" for the root */
	struct strmap seen;         /* rel path -> (void *)kind */
	char **symlinks;            /* created symlinks, for the escape pass */
	size_t nr_symlinks, alloc_symlinks;
	const struct extract_limits *limits;
	struct extract_stats *stats;
	const struct extract_sink *sink;
	struct strbuf *err;
	int env_error;
};

static void finding(struct extractor *x, enum rule_id rule, const char *entry,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void finding(struct extractor *x, enum rule_id rule, const char *entry,
		    const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	x->stats->refused++;
	if (x->sink && x->sink->finding)
		x->sink->finding(x->sink->ctx, rule, entry, msg.buf);
	strbuf_release(&msg);
}

/*
 * 1 when s holds only well-formed UTF-8 without control characters: a name
 * that prints as itself (strbuf_add_console leaves it alone).
 */
static int clean_name(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	int ok;

	strbuf_add_console(&sb, s);
	ok = !strcmp(sb.buf, s);
	strbuf_release(&sb);
	return ok;
}

/*
 * Normalises an entry name into `out`: drops "." components, empty
 * components and a trailing slash. Returns the rule that refuses it, or
 * RULE_NONE when it is acceptable. An empty result is the tree root.
 */
static enum rule_id normalize_name(const char *name, struct strbuf *out)
{
	const char *p = name;

	strbuf_reset(out);
	if (!*name)
		return RULE_EXTRACT_BAD_NAME;
	if (*name == '/')
		return RULE_EXTRACT_ABSOLUTE_PATH;
	if (!clean_name(name))
		return RULE_EXTRACT_BAD_NAME;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return RULE_EXTRACT_PATH_TRAVERSAL;
		if (n > 255)
			return RULE_EXTRACT_BAD_NAME;
		if (n && !(n == 1 && p[0] == '.')) {
			if (out->len)
				strbuf_addch(out, '/');
			strbuf_add(out, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (out->len > 4000)
		return RULE_EXTRACT_BAD_NAME;
	return RULE_NONE;
}

/* Lexical check that `target` of a symlink at `link` stays in the tree. */
static int symlink_target_inside(const char *link, const char *target)
{
	long depth = 0;
	const char *p;

	if (*target == '/' || !*target)
		return 0;
	for (p = link; *p; p++)
		if (*p == '/')
			depth++;
	p = target;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

static void close_parent(struct extractor *x)
{
	if (x->parent_fd >= 0 && x->parent_fd != x->root_fd)
		close(x->parent_fd);
	x->parent_fd = -1;
	strbuf_reset(&x->parent_path);
}

/*
 * Opens (creating when asked) the directory `dir` (relative, normalised)
 * one component at a time without following symlinks. Returns an fd owned
 * by the extractor's cache, or -1 with errno set (ELOOP/ENOTDIR when a
 * component is a symlink or a file).
 */
static int open_dir(struct extractor *x, const char *dir, int create)
{
	const char *p = dir;
	int fd;

	if (x->parent_fd >= 0 && !strcmp(x->parent_path.buf, dir))
		return x->parent_fd;
	close_parent(x);
	fd = x->root_fd;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char comp[256];
		int next;

		memcpy(comp, p, n);
		comp[n] = '\0';
		if (create && mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			if (fd != x->root_fd)
				close(fd);
			errno = e;
			return -1;
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != x->root_fd) {
			int e = errno;
			close(fd);
			errno = e;
		}
		if (next < 0)
			return -1;
		fd = next;
		p += n;
		if (*p == '/')
			p++;
	}
	x->parent_fd = fd;
	strbuf_addstr(&x->parent_path, dir);
	return fd;
}

static void split(const char *rel, struct strbuf *dir, const char **base)
{
	const char *slash = strrchr(rel, '/');

	strbuf_reset(dir);
	if (slash) {
		strbuf_add(dir, rel, (size_t)(slash - rel));
		*base = slash + 1;
	} else {
		*base = rel;
	}
}

static int io_error(struct extractor *x, const char *what, const char *name)
{
	if (errno == ENOSPC || errno == EDQUOT || errno == EIO || errno == EROFS ||
	    errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
		strbuf_addf(x->err, "cannot %s '%s': %s", what, name, strerror(errno));
		x->env_error = 1;
		return -1;
	}
	return 0;
}

static int write_data(struct extractor *x, int fd, const char *name,
		      unsigned long long *written)
{
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;
		int r = la.archive_read_data_block(x->a, &buf, &len, &off);

		if (r == ARCHIVE_EOF)
			return 0;
		if (signals_interrupted()) {
			x->stats->stopped = 1;
			return 1;
		}
		if (r < ARCHIVE_WARN) {
			finding(x, RULE_EXTRACT_DAMAGED, name, "cannot read entry data: %s",
				la.archive_error_string(x->a));
			x->stats->stopped = 1;
			return 1;
		}
		if (off < 0 || (unsigned long long)off + len > x->limits->max_entry_bytes) {
			finding(x, RULE_EXTRACT_TOO_LARGE, name,
				"entry data goes past the per-entry limit of %llu bytes",
				x->limits->max_entry_bytes);
			x->stats->stopped = 1;
			return 1;
		}
		while (len) {
			ssize_t n = pwrite(fd, buf, len, off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				strbuf_addf(x->err, "cannot write '%s': %s", name,
					    strerror(errno));
				x->env_error = 1;
				return -1;
			}
			buf = (const char *)buf + n;
			len -= (size_t)n;
			off += n;
			*written += (unsigned long long)n;
		}
	}
}

static void remember_symlink(struct extractor *x, const char *rel)
{
	xgrow((void **)&x->symlinks, &x->alloc_symlinks, x->nr_symlinks + 1,
	      sizeof(*x->symlinks));
	x->symlinks[x->nr_symlinks++] = xstrdup(rel);
}

/* Where one entry goes, and the name its findings give. */
struct place {
	const char *name;           /* as the archive spells it */
	const char *rel;            /* normalised, relative to the root */
	int dir_fd;                 /* its parent directory, from open_dir() */
	const char *base;           /* its last component, inside dir_fd */
};

/* Closes an entry's fd: close() can report a write that failed late. */
static int close_entry_fd(struct extractor *x, int fd, const char *name, int ret)
{
	if (fd >= 0 && close(fd) < 0 && !ret && io_error(x, "close", name))
		ret = -1;
	return ret;
}

/* Devices, FIFOs and sockets are refused, whatever their name. */
static void refuse_special_file(struct extractor *x, mode_t type, const char *name)
{
	finding(x, type == AE_IFIFO ? RULE_EXTRACT_SPECIAL_FILE :
		   type == AE_IFSOCK ? RULE_EXTRACT_SPECIAL_FILE : RULE_EXTRACT_DEVICE_NODE,
		name, "%s entries are not allowed in an install tree",
		type == AE_IFCHR ? "character device" :
		type == AE_IFBLK ? "block device" :
		type == AE_IFIFO ? "FIFO" :
		type == AE_IFSOCK ? "socket" : "unknown-type");
}

/*
 * A hard link, only to a regular file this archive extracted before it:
 * anything else could link to a file outside the tree.
 */
static int extract_hardlink(struct extractor *x, const struct place *p, const char *hl)
{
	struct strbuf tgt = STRBUF_INIT, tdir = STRBUF_INIT;
	const char *tbase;
	enum rule_id rule;
	int tfd, ret = 0;

	rule = normalize_name(hl, &tgt);
	if (rule != RULE_NONE || !tgt.len) {
		finding(x, RULE_EXTRACT_HARDLINK_ESCAPE, p->name,
			"hard link target '%s' is not a path inside the tree", hl);
		goto out;
	}
	if ((intptr_t)strmap_get(&x->seen, tgt.buf) != K_FILE) {
		finding(x, RULE_EXTRACT_HARDLINK_ESCAPE, p->name,
			"hard link target '%s' is not a file extracted before it", hl);
		goto out;
	}
	split(tgt.buf, &tdir, &tbase);
	/* not open_dir(): keep the parent fd cache for the link's own directory */
	tfd = openat(x->root_fd, tdir.len ? tdir.buf : ".",
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0 || linkat(tfd, tbase, p->dir_fd, p->base, 0) < 0) {
		if (io_error(x, "link", p->name))
			ret = -1;
		else
			finding(x, RULE_EXTRACT_HARDLINK_ESCAPE, p->name,
				"cannot link to '%s': %s", hl, strerror(errno));
	} else {
		strmap_put(&x->seen, p->rel, (void *)(intptr_t)K_FILE);
		x->stats->hardlinks++;
	}
	if (tfd >= 0)
		close(tfd);
out:
	strbuf_release(&tgt);
	strbuf_release(&tdir);
	return ret;
}

static int extract_dir(struct extractor *x, const struct place *p, mode_t perm)
{
	int fd;

	if (mkdirat(p->dir_fd, p->base, 0755) < 0 && errno != EEXIST) {
		if (io_error(x, "create directory", p->name))
			return -1;
		finding(x, RULE_EXTRACT_THROUGH_SYMLINK, p->name, "cannot create: %s",
			strerror(errno));
		return 0;
	}
	fd = openat(p->dir_fd, p->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		finding(x, RULE_EXTRACT_THROUGH_SYMLINK, p->name,
			"a symlink or file is in the way of this directory");
		return 0;
	}
	fchmod(fd, (perm & 07777 & ~(mode_t)(S_ISUID | S_ISGID)) | 0700);
	strmap_put(&x->seen, p->rel, (void *)(intptr_t)K_DIR);
	x->stats->dirs++;
	return close_entry_fd(x, fd, p->name, 0);
}

/* A symlink whose target stays inside the tree, as far as its text says. */
static int extract_symlink(struct extractor *x, const struct place *p,
			   struct archive_entry *e)
{
	const char *t = la.archive_entry_symlink(e);

	if (!t || !symlink_target_inside(p->rel, t) || !clean_name(t)) {
		finding(x, RULE_EXTRACT_SYMLINK_ESCAPE, p->name,
			"symlink target '%s' leaves the tree", t ? t : "");
		return 0;
	}
	if (symlinkat(t, p->dir_fd, p->base) < 0) {
		if (io_error(x, "create symlink", p->name))
			return -1;
		finding(x, RULE_EXTRACT_THROUGH_SYMLINK, p->name, "cannot create: %s",
			strerror(errno));
		return 0;
	}
	strmap_put(&x->seen, p->rel, (void *)(intptr_t)K_SYMLINK);
	remember_symlink(x, p->rel);
	x->stats->symlinks++;
	return 0;
}

/*
 * 1 when a file of `size` bytes would pass the per-entry limit, the room
 * left or the total limit: extraction stops there. 0 when it fits.
 */
static int file_over_limits(struct extractor *x, const char *name, la_int64_t size)
{
	if (size < 0 || (unsigned long long)size > x->limits->max_entry_bytes) {
		finding(x, RULE_EXTRACT_TOO_LARGE, name,
			"entry of %lld bytes is over the per-entry limit of %llu",
			(long long)size, x->limits->max_entry_bytes);
		x->stats->stopped = 1;
		return 1;
	}
	if (x->limits->room_bytes &&
	    x->stats->bytes + (unsigned long long)size > x->limits->room_bytes) {
		x->stats->out_of_room = 1;
		x->stats->stopped = 1;
		return 1;
	}
	if (x->stats->bytes + (unsigned long long)size > x->limits->max_total_bytes) {
		finding(x, RULE_EXTRACT_TOO_LARGE, name,
			"the tree grows past the limit of %llu bytes",
			x->limits->max_total_bytes);
		x->stats->stopped = 1;
		return 1;
	}
	return 0;
}

/*
 * The entry's data into the open file `fd`, then its length (a sparse tail
 * is a truncate). 0 when written, 1 when extraction must stop, -1 on an
 * environment error.
 */
static int write_contents(struct extractor *x, int fd, const char *name, la_int64_t size)
{
	unsigned long long written = 0;
	int ret = write_data(x, fd, name, &written);

	if (ret)
		return ret;
	/* only sparse entries need it: a truncate makes ext4 allocate at once */
	if (written < (unsigned long long)size && ftruncate(fd, size) < 0 &&
	    io_error(x, "truncate", name))
		return -1;
	x->stats->bytes += (unsigned long long)size;
	return 0;
}

/* A regular file: created new (never through a link), filled, then its mode and mtime. */
static int extract_file(struct extractor *x, const struct place *p,
			struct archive_entry *e, mode_t perm)
{
	la_int64_t size = la.archive_entry_size(e);
	struct timespec ts[2];
	int fd, ret;

	if (file_over_limits(x, p->name, size))
		return 1;
	fd = openat(p->dir_fd, p->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		if (io_error(x, "create", p->name))
			return -1;
		finding(x, RULE_EXTRACT_THROUGH_SYMLINK, p->name, "cannot create: %s",
			strerror(errno));
		return 0;
	}
	ret = write_contents(x, fd, p->name, size);
	if (ret)
		goto out;
	fchmod(fd, (perm & 0777) | 0600);
	ts[0].tv_sec = ts[1].tv_sec = la.archive_entry_mtime(e);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	futimens(fd, ts);
	strmap_put(&x->seen, p->rel, (void *)(intptr_t)K_FILE);
	x->stats->files++;
out:
	return close_entry_fd(x, fd, p->name, ret);
}

/*
 * A hard link that carries data: cpio (newc, the payload of an .rpm) keeps
 * the data of a multiply-linked file with its last link, the earlier ones
 * are empty. The link was just made to a file this archive extracted: the
 * data goes into that file, opened without following links.
 */
static int fill_linked_file(struct extractor *x, const struct place *p,
			    struct archive_entry *e)
{
	la_int64_t size = la.archive_entry_size(e);
	int fd;

	if (file_over_limits(x, p->name, size))
		return 1;
	fd = openat(p->dir_fd, p->base, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (io_error(x, "open", p->name))
			return -1;
		finding(x, RULE_EXTRACT_HARDLINK_ESCAPE, p->name, "cannot open the linked file: %s",
			strerror(errno));
		return 0;
	}
	return close_entry_fd(x, fd, p->name, write_contents(x, fd, p->name, size));
}

/* Returns -1 on an environment error, 1 when extraction must stop, else 0. */
static int extract_entry(struct extractor *x, struct archive_entry *e,
			 const char *name, const char *rel)
{
	struct strbuf dir = STRBUF_INIT;
	struct place p = { name, rel, -1, NULL };
	mode_t type = la.archive_entry_filetype(e);
	mode_t perm = la.archive_entry_perm(e);
	const char *hl = la.archive_entry_hardlink(e);
	intptr_t prev = (intptr_t)strmap_get(&x->seen, rel);
	int ret = 0;

	if (!*rel) /* the "./" entry of the root itself */
		return 0;
	if (prev && !(prev == K_DIR && type == AE_IFDIR && !hl)) {
		finding(x, RULE_EXTRACT_DUPLICATE_ENTRY, name,
			"entry appears twice; the second copy would replace the first");
		return 0;
	}
	if ((perm & (S_ISUID | S_ISGID)) && type != AE_IFDIR) {
		finding(x, RULE_EXTRACT_SETUID, name, "setuid/setgid bit on %s (mode %04o)",
			type == AE_IFREG ? "a file" : "an entry", (unsigned)perm);
		return 0;
	}
	split(rel, &dir, &p.base);
	if (!hl && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
		refuse_special_file(x, type, name);
		goto out;
	}
	p.dir_fd = open_dir(x, dir.buf, 1);
	if (p.dir_fd < 0) {
		if (io_error(x, "create directory for", name))
			ret = -1;
		else
			finding(x, RULE_EXTRACT_THROUGH_SYMLINK, name,
				"a parent directory is a symlink or a file: "
				"writing through it could leave the tree (%s)",
				strerror(errno));
		goto out;
	}
	if (hl) {
		ret = extract_hardlink(x, &p, hl);
		if (!ret && la.archive_entry_size(e) > 0 &&
		    (intptr_t)strmap_get(&x->seen, rel) == K_FILE)
			ret = fill_linked_file(x, &p, e);
	} else if (type == AE_IFDIR)
		ret = extract_dir(x, &p, perm);
	else if (type == AE_IFLNK)
		ret = extract_symlink(x, &p, e);
	else
		ret = extract_file(x, &p, e, perm);
out:
	strbuf_release(&dir);
	return ret;
}

/*
 * After extraction: resolve every symlink physically, following the links
 * it passes through, and remove any that ends outside the tree. The
 * lexical check at creation cannot see a chain such as x -> "." then
 * y -> "x/..".
 */
int archive_link_escapes(int root_fd, const char *rel)
{
	struct strbuf cur = STRBUF_INIT, rest = STRBUF_INIT;
	int hops = 0, escapes = 0;
	const char *slash = strrchr(rel, '/');
	char target[4096];
	ssize_t n;

	if (slash)
		strbuf_add(&cur, rel, (size_t)(slash - rel));
	n = readlinkat(root_fd, rel, target, sizeof(target) - 1);
	if (n < 0)
		goto out;
	target[n] = '\0';
	strbuf_addstr(&rest, target);
	while (rest.len) {
		char *p = rest.buf, *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		struct strbuf comp = STRBUF_INIT;
		struct stat st;

		if (*p == '/') {
			escapes = 1;
			break;
		}
		strbuf_add(&comp, p, len);
		memmove(rest.buf, p + len + (end ? 1 : 0), rest.len - len - (end ? 1 : 0) + 1);
		rest.len -= len + (end ? 1 : 0);
		if (!comp.len || !strcmp(comp.buf, ".")) {
			strbuf_release(&comp);
			continue;
		}
		if (!strcmp(comp.buf, "..")) {
			char *s = strrchr(cur.buf, '/');
			strbuf_release(&comp);
			if (!cur.len) {
				escapes = 1;
				break;
			}
			strbuf_setlen(&cur, s ? (size_t)(s - cur.buf) : 0);
			continue;
		}
		if (cur.len)
			strbuf_addch(&cur, '/');
		strbuf_add(&cur, comp.buf, comp.len);
		strbuf_release(&comp);
		if (fstatat(root_fd, cur.buf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			struct strbuf nrest = STRBUF_INIT;
			char *s;

			if (++hops > 40) {
				escapes = 1; /* a loop: refuse rather than guess */
				break;
			}
			n = readlinkat(root_fd, cur.buf, target, sizeof(target) - 1);
			if (n < 0)
				break;
			target[n] = '\0';
			s = strrchr(cur.buf, '/');
			strbuf_setlen(&cur, s ? (size_t)(s - cur.buf) : 0);
			strbuf_addstr(&nrest, target);
			if (rest.len) {
				strbuf_addch(&nrest, '/');
				strbuf_add(&nrest, rest.buf, rest.len);
			}
			strbuf_release(&rest);
			rest = nrest;
		}
	}
out:
	strbuf_release(&cur);
	strbuf_release(&rest);
	return escapes;
}

/*
 * Decompression runs in a thread of its own and hands the raw archive
 * stream to the extracting thread through a small ring of buffers: on two
 * cores inflating and writing files overlap instead of adding up. The
 * decoder is libarchive itself (format "raw" behind the filters of
 * support_filters()), so gzip, zstd, xz and bzip2 all take this path, an
 * uncompressed stream is passed through, and the rpm filter turns an .rpm
 * into its cpio payload. For a .deb the decoder reads the data.tar member
 * of the ar archive instead of the file. A stream that starts as gzip is
 * inflated with ISA-L when libisal is there (gunzip.h, about twice zlib's
 * speed) straight into the ring, and the extracting side's libarchive
 * undoes whatever compression is left inside (rare: a .tar.xz.gz).
 */
#define RING_SLOTS 8
#define RING_BUF (1u << 20)
#define RING_MAX_FILTERS 4
#define RING_MEMBER_MAX 64

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t changed;
	char *buf[RING_SLOTS];
	size_t len[RING_SLOTS];
	unsigned head, count;     /* slots filled, starting at head */
	int eof, cancel, failed;
	int held;                 /* the reader holds the slot at head */
	char errmsg[512];
	int fd;                   /* the archive, open; the caller's */
	int deb;                  /* read the data.tar member of an ar archive */
	int isal;                 /* gunzip_load() succeeded: inflate gzip with ISA-L */
	/* set by the decoder thread, read under mu */
	char member[RING_MEMBER_MAX]; /* the .deb member read ("data.tar.xz") */
	char filters[RING_MAX_FILTERS][24]; /* undone, the one next to the archive first */
	unsigned nr_filters;
	int gz_isal;              /* the gzip in filters[] was ISA-L's */
	/* the decoder thread's own */
	struct archive *outer;    /* the .deb's ar reader */
	la_int64_t member_off;    /* bytes of the member read so far */
	unsigned char *inbuf;     /* read() of the file lands here */
	const unsigned char *first; /* the first block, not yet given to libarchive */
	size_t first_len;
	struct gunzip *gz;        /* the ISA-L decoder, when the stream is gzip */
	char src_err[256];        /* why the source failed */
};

static void ring_fail(struct ring *r, const char *msg)
{
	pthread_mutex_lock(&r->mu);
	if (!r->failed) {
		r->failed = 1;
		snprintf(r->errmsg, sizeof(r->errmsg), "%s", msg ? msg : "decompression failed");
	}
	r->eof = 1;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->mu);
}

/*
 * The compressions the decoder undoes, named one by one: never
 * archive_read_support_filter_all(), whose lrzip, lzop and grzip filters
 * run external programs on the input.
 */
static void support_filters(struct archive *a)
{
	la.archive_read_support_filter_gzip(a);
	la.archive_read_support_filter_bzip2(a);
	la.archive_read_support_filter_xz(a);
	la.archive_read_support_filter_lzma(a);
	la.archive_read_support_filter_lzip(a);
	la.archive_read_support_filter_zstd(a);
	la.archive_read_support_filter_lz4(a);
	la.archive_read_support_filter_compress(a);
	la.archive_read_support_filter_rpm(a);
}

/* "data.tar", "data.tar.xz", ...: the member of a .deb that holds the tree. */
static int deb_data_member(const char *name)
{
	return !strncmp(name, "data.tar", 8) && (!name[8] || name[8] == '.') &&
	       !strchr(name, '/') && strlen(name) < RING_MEMBER_MAX;
}

/* Positions r->outer at the data.tar member of the .deb on r->fd. */
static int open_deb_member(struct ring *r)
{
	struct archive_entry *e;

	r->outer = la.archive_read_new();
	if (!r->outer) {
		ring_fail(r, "out of memory");
		return -1;
	}
	la.archive_read_support_format_ar(r->outer);
	if (la.archive_read_open_fd(r->outer, r->fd, RING_BUF) != ARCHIVE_OK) {
		ring_fail(r, la.archive_error_string(r->outer));
		return -1;
	}
	for (;;) {
		int rc = la.archive_read_next_header(r->outer, &e);
		const char *name;

		if (rc == ARCHIVE_EOF) {
			ring_fail(r, "an ar archive without a data.tar member: not a .deb");
			return -1;
		}
		if (rc < ARCHIVE_WARN) {
			ring_fail(r, la.archive_error_string(r->outer));
			return -1;
		}
		name = la.archive_entry_pathname(e);
		if (name && deb_data_member(name)) {
			pthread_mutex_lock(&r->mu);
			snprintf(r->member, sizeof(r->member), "%s", name);
			pthread_mutex_unlock(&r->mu);
			return 0;
		}
	}
}

/*
 * The decoder's input, in order: the file, or the .deb member's data.
 * Returns the length of the next block at `*out`, 0 at the end, -1 with
 * r->src_err filled.
 */
static ssize_t source_read(void *arg, const unsigned char **out)
{
	struct ring *r = arg;
	const void *buf;
	size_t len;
	la_int64_t off;
	ssize_t n;
	int rc;

	if (!r->deb) {
		do
			n = read(r->fd, r->inbuf, RING_BUF);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			snprintf(r->src_err, sizeof(r->src_err), "read: %s", strerror(errno));
		*out = r->inbuf;
		return n;
	}
	rc = la.archive_read_data_block(r->outer, &buf, &len, &off);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc < ARCHIVE_WARN || off != r->member_off) {
		snprintf(r->src_err, sizeof(r->src_err), "%s: %s", r->member,
			 rc < ARCHIVE_WARN ? la.archive_error_string(r->outer) :
			 "data out of order");
		return -1;
	}
	r->member_off += (la_int64_t)len;
	*out = buf;
	return (ssize_t)len;
}

/* libarchive read callback of the decoder: the input, its first block first. */
static la_ssize_t stream_read(struct archive *a, void *arg, const void **out)
{
	struct ring *r = arg;
	const unsigned char *buf;
	ssize_t n;

	if (r->first) {
		*out = r->first;
		n = (ssize_t)r->first_len;
		r->first = NULL;
		return n;
	}
	n = source_read(r, &buf);
	*out = buf;
	if (n < 0)
		la.archive_set_error(a, EIO, "%s", r->src_err);
	return n;
}

/*
 * Takes the first block of the input: a gzip member goes to ISA-L when it
 * can (r->gz), anything else to libarchive as it is (r->first).
 */
static int open_source(struct ring *r)
{
	const unsigned char *buf;
	ssize_t n = source_read(r, &buf);

	if (n < 0) {
		ring_fail(r, r->src_err);
		return -1;
	}
	if (r->isal && gunzip_magic(buf, (size_t)n)) {
		r->gz = gunzip_new(source_read, r, buf, (size_t)n);
		if (!r->gz) {
			ring_fail(r, "out of memory");
			return -1;
		}
		pthread_mutex_lock(&r->mu);
		snprintf(r->filters[r->nr_filters++], sizeof(r->filters[0]), "gzip");
		r->gz_isal = 1;
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	r->first = buf;
	r->first_len = (size_t)n;
	return 0;
}

/* Names the filters `a` undid, the one next to the archive first. */
static void record_filters(struct ring *r, struct archive *a)
{
	int i, n = la.archive_filter_count(a);

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < n && r->nr_filters < RING_MAX_FILTERS; i++) {
		const char *name = la.archive_filter_name(a, i);
		if (name && strcmp(name, "none"))
			snprintf(r->filters[r->nr_filters++], sizeof(r->filters[0]), "%s", name);
	}
	pthread_mutex_unlock(&r->mu);
}

static void *ring_decoder(void *arg)
{
	struct ring *r = arg;
	struct archive *a = la.archive_read_new();
	struct archive_entry *e;
	struct strbuf err = STRBUF_INIT;
	int rc;

	if (!a) {
		ring_fail(r, "out of memory");
		return NULL;
	}
	support_filters(a);
	la.archive_read_support_format_raw(a);
	if (r->deb && open_deb_member(r))
		goto out;
	if (open_source(r))
		goto out;
	if (!r->gz) {
		rc = la.archive_read_open(a, r, NULL, stream_read, NULL);
		if (rc != ARCHIVE_OK || la.archive_read_next_header(a, &e) != ARCHIVE_OK) {
			ring_fail(r, la.archive_error_string(a));
			goto out;
		}
		record_filters(r, a);
	}
	for (;;) {
		unsigned slot;
		ssize_t n;

		pthread_mutex_lock(&r->mu);
		while (r->count + (unsigned)r->held >= RING_SLOTS && !r->cancel)
			pthread_cond_wait(&r->changed, &r->mu);
		if (r->cancel) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		slot = (r->head + r->count) % RING_SLOTS;
		pthread_mutex_unlock(&r->mu);
		/* the slot is ours until it is published below */
		if (r->gz) {
			strbuf_reset(&err);
			n = gunzip_read(r->gz, r->buf[slot], RING_BUF, &err);
			if (n < 0) {
				ring_fail(r, n == -2 ? r->src_err : err.buf);
				break;
			}
		} else {
			n = la.archive_read_data(a, r->buf[slot], RING_BUF);
			if (n < 0) {
				ring_fail(r, la.archive_error_string(a));
				break;
			}
		}
		pthread_mutex_lock(&r->mu);
		if (n == 0) {
			r->eof = 1;
		} else {
			r->len[slot] = (size_t)n;
			r->count++;
		}
		pthread_cond_broadcast(&r->changed);
		pthread_mutex_unlock(&r->mu);
		if (n == 0)
			break;
	}
out:
	/* `a` reads from the member of `outer`: free it first */
	la.archive_read_free(a);
	if (r->outer)
		la.archive_read_free(r->outer);
	r->outer = NULL;
	gunzip_free(r->gz);
	r->gz = NULL;
	strbuf_release(&err);
	return NULL;
}

/* libarchive read callback: the next filled slot (valid until the next call). */
static la_ssize_t ring_read(struct archive *a, void *arg, const void **out)
{
	struct ring *r = arg;
	la_ssize_t n = 0;

	pthread_mutex_lock(&r->mu);
	if (r->held) {
		r->held = 0;
		r->head = (r->head + 1) % RING_SLOTS;
		r->count--;
		pthread_cond_broadcast(&r->changed);
	}
	while (!r->count && !r->eof)
		pthread_cond_wait(&r->changed, &r->mu);
	if (r->count) {
		*out = r->buf[r->head];
		n = (la_ssize_t)r->len[r->head];
		r->held = 1;
	} else if (r->failed) {
		la.archive_set_error(a, EIO, "%s", r->errmsg);
		n = -1;
	}
	pthread_mutex_unlock(&r->mu);
	return n;
}

static void ring_free(struct ring *r)
{
	unsigned i;

	for (i = 0; i < RING_SLOTS; i++)
		free(r->buf[i]);
	free(r->inbuf);
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->mu);
}

static int ring_start(struct ring *r, pthread_t *th, int fd, int deb, int isal)
{
	unsigned i;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->changed, NULL);
	for (i = 0; i < RING_SLOTS; i++)
		r->buf[i] = xmalloc(RING_BUF);
	r->inbuf = xmalloc(RING_BUF);
	r->fd = fd;
	r->deb = deb;
	r->isal = isal;
	if (pthread_create(th, NULL, ring_decoder, r)) {
		ring_free(r);
		return -1;
	}
	return 0;
}

static void ring_stop(struct ring *r, pthread_t th)
{
	pthread_mutex_lock(&r->mu);
	r->cancel = 1;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->mu);
	pthread_join(th, NULL);
	ring_free(r);
}

static void extractor_init(struct extractor *x, const struct extract_limits *limits,
			   struct extract_stats *stats, const struct extract_sink *sink,
			   struct strbuf *err)
{
	memset(x, 0, sizeof(*x));
	memset(stats, 0, sizeof(*stats));
	x->root_fd = x->parent_fd = -1;
	strbuf_init(&x->parent_path);
	strmap_init(&x->seen);
	x->limits = limits;
	x->stats = stats;
	x->sink = sink;
	x->err = err;
}

/* Frees what the extractor holds in memory; its fds are closed by the caller. */
static void extractor_release(struct extractor *x)
{
	size_t i;

	for (i = 0; i < x->nr_symlinks; i++)
		free(x->symlinks[i]);
	free(x->symlinks);
	strmap_release(&x->seen);
	strbuf_release(&x->parent_path);
}

/* Opens the tarball into `*fd`, which the caller closes even on failure. */
static int open_tarball(const char *tarball, int *fd, struct strbuf *err)
{
	struct stat st;

	/* O_NONBLOCK: a FIFO swapped in for the file must not hang the open */
	int flags;

	*fd = open(tarball, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st) < 0) {
		strbuf_addf(err, "cannot read '%s': %s", tarball, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_addf(err, "cannot read '%s': not a regular file", tarball);
		return -1;
	}
	flags = fcntl(*fd, F_GETFL);
	if (flags < 0 || fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		strbuf_addf(err, "cannot read '%s': %s", tarball, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Reads and extracts entries until the archive ends, is damaged, passes a
 * limit or a signal arrives (stats->stopped says which ended it early).
 * -1 on an environment error, else 0.
 */
static int extract_entries(struct extractor *x, const char *tarball)
{
	struct strbuf rel = STRBUF_INIT;
	struct archive_entry *e;
	int r, ret = 0;

	for (;;) {
		const char *name;
		enum rule_id rule;

		if (signals_interrupted()) {
			/* the caller marks the report interrupted and removes dest */
			x->stats->stopped = 1;
			break;
		}
		r = la.archive_read_next_header(x->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		/* ARCHIVE_RETRY is a damaged header libarchive would skip: not here */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			finding(x, RULE_EXTRACT_DAMAGED, tarball, "archive is damaged after %zu entries: %s",
				x->stats->entries, la.archive_error_string(x->a));
			x->stats->stopped = 1;
			break;
		}
		if (++x->stats->entries > x->limits->max_entries) {
			finding(x, RULE_EXTRACT_TOO_MANY_ENTRIES, tarball,
				"more than %llu entries", x->limits->max_entries);
			x->stats->stopped = 1;
			break;
		}
		name = la.archive_entry_pathname(e);
		if (!name)
			name = "";
		rule = normalize_name(name, &rel);
		if (rule != RULE_NONE) {
			finding(x, rule, name, "%s",
				rule == RULE_EXTRACT_ABSOLUTE_PATH ? "absolute path" :
				rule == RULE_EXTRACT_PATH_TRAVERSAL ? "'..' in the path" :
				"name is empty, too long, or has control characters or invalid UTF-8");
			continue;
		}
		r = extract_entry(x, e, name, rel.buf);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r > 0)
			break;
	}
	strbuf_release(&rel);
	return ret;
}

/* The tar may end cleanly before the compressed stream does: wait for it. */
/*
 * After the archive's last entry, reads the rest of the compressed stream,
 * so that damage there (a bad CRC in the gzip trailer) is seen too. What
 * it decodes counts against limits->max_total_bytes, so a stream that
 * goes on long after its archive ends cannot keep the gate busy for long.
 */
static void check_stream_end(struct extractor *x, struct ring *ring, const char *tarball)
{
	unsigned long long after = 0;
	unsigned long long budget = x->limits->max_total_bytes > x->stats->bytes ?
				    x->limits->max_total_bytes - x->stats->bytes : 0;
	int too_long = 0;

	pthread_mutex_lock(&ring->mu);
	for (;;) {
		/* the extracting side is done with its slot and reads no more */
		if (ring->held) {
			ring->held = 0;
			ring->head = (ring->head + 1) % RING_SLOTS;
			ring->count--;
		}
		while (ring->count) {
			after += ring->len[ring->head];
			ring->head = (ring->head + 1) % RING_SLOTS;
			ring->count--;
		}
		pthread_cond_broadcast(&ring->changed);
		if (after > budget) {
			too_long = 1;
			break;
		}
		if (ring->eof)
			break;
		pthread_cond_wait(&ring->changed, &ring->mu);
	}
	if (too_long)
		finding(x, RULE_EXTRACT_TOO_LARGE, tarball, "the compressed stream goes on "
			"for more than %llu bytes after the archive's end (the limit on the "
			"expanded size)", budget);
	else if (ring->failed)
		finding(x, RULE_EXTRACT_DAMAGED, tarball, "compressed stream is damaged: %s",
			ring->errmsg);
	pthread_mutex_unlock(&ring->mu);
}

static void remove_escaping_symlinks(struct extractor *x)
{
	size_t i;

	for (i = 0; i < x->nr_symlinks; i++) {
		if (archive_link_escapes(x->root_fd, x->symlinks[i])) {
			finding(x, RULE_EXTRACT_SYMLINK_ESCAPE, x->symlinks[i],
				"symlink resolves outside the tree through other links; removed");
			unlinkat(x->root_fd, x->symlinks[i], 0);
		}
	}
}

/* How the archive is held, from its first bytes: never from its name. */
enum container {
	C_STREAM,     /* tar or cpio, maybe compressed, maybe an .rpm's payload */
	C_ZIP,        /* a zip (a wheel, a .jar): read by its central directory */
	C_DEB,        /* an ar archive: the tree is its data.tar member */
};

static enum container sniff(int fd)
{
	unsigned char m[8];

	if (pread(fd, m, sizeof(m), 0) != (ssize_t)sizeof(m))
		return C_STREAM;
	if (!memcmp(m, "!<arch>\n", 8))
		return C_DEB;
	if (m[0] == 'P' && m[1] == 'K' && ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6)))
		return C_ZIP;
	return C_STREAM;
}

/* libarchive's filter name as a file name extension ("gzip" -> "gz"). */
static const char *filter_ext(const char *name)
{
	static const char *const map[][2] = {
		{ "gzip", "gz" }, { "bzip2", "bz2" }, { "zstd", "zst" }, { "lzip", "lz" },
		{ "compress (.Z)", "Z" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i][0]))
			return map[i][1];
	return name;
}

/*
 * stats->format: what was read, decided from the content: "tar.gz", "zip",
 * "deb (data.tar.xz: tar.xz)", "rpm (payload: cpio.gz)". `ring` is NULL for
 * a zip.
 */
static void describe_format(struct extractor *x, enum container kind, struct ring *ring)
{
	struct strbuf name = STRBUF_INIT;
	int code = la.archive_format(x->a) & ARCHIVE_FORMAT_BASE_MASK, rpm = 0;
	char member[RING_MEMBER_MAX] = "";
	unsigned i;

	strbuf_addstr(&name, code == ARCHIVE_FORMAT_TAR ? "tar" :
			     code == ARCHIVE_FORMAT_CPIO ? "cpio" :
			     code == ARCHIVE_FORMAT_ZIP ? "zip" : "unreadable");
	if (ring) {
		/* the extractor's filters are inside the decoder's */
		int n = la.archive_filter_count(x->a);
		char all[2 * RING_MAX_FILTERS][24];
		unsigned nr = 0;

		for (i = 0; (int)i < n && nr < RING_MAX_FILTERS; i++) {
			const char *f = la.archive_filter_name(x->a, (int)i);
			if (f && strcmp(f, "none"))
				snprintf(all[nr++], sizeof(all[0]), "%s", f);
		}
		pthread_mutex_lock(&ring->mu);
		for (i = 0; i < ring->nr_filters; i++)
			memcpy(all[nr++], ring->filters[i], sizeof(all[0]));
		if (ring->gz_isal)
			x->stats->inflated_with = "ISA-L";
		memcpy(member, ring->member, sizeof(member));
		pthread_mutex_unlock(&ring->mu);
		for (i = 0; i < nr; i++) {
			if (!strcmp(all[i], "rpm")) {
				rpm = 1;
				continue;
			}
			if (!strcmp(all[i], "gzip") && !x->stats->inflated_with)
				x->stats->inflated_with = "zlib";
			strbuf_addf(&name, ".%s", filter_ext(all[i]));
		}
	}
	if (kind == C_DEB)
		snprintf(x->stats->format, sizeof(x->stats->format), "deb (%s: %s)",
			 *member ? member : "no data.tar", name.buf);
	else if (rpm)
		snprintf(x->stats->format, sizeof(x->stats->format), "rpm (payload: %s)",
			 name.buf);
	else
		snprintf(x->stats->format, sizeof(x->stats->format), "%s", name.buf);
	strbuf_release(&name);
}

/*
 * Opens x->a on the archive in `in_fd`: a zip directly (the seekable reader
 * wants the file), anything else through the decoder thread (`*ring_running`
 * set once it runs). The format readers are named one by one: never every
 * format libarchive has, some of which (mtree) read files of the host named
 * in the archive.
 */
static int open_archive(struct extractor *x, enum container kind, int in_fd,
			struct ring *ring, pthread_t *decoder, int *ring_running)
{
	struct strbuf why = STRBUF_INIT;
	int isal;

	if (kind == C_ZIP) {
		la.archive_read_support_format_zip_seekable(x->a);
		return la.archive_read_open_fd(x->a, in_fd, 65536) == ARCHIVE_OK ? 0 : 1;
	}
	/* on this thread: lazylib.h loads nothing from the decoder thread */
	isal = gunzip_load(&why) == 0;
	strbuf_release(&why);
	if (ring_start(ring, decoder, in_fd, kind == C_DEB, isal)) {
		strbuf_addstr(x->err, "cannot start the decompression thread");
		return -1;
	}
	*ring_running = 1;
	/* what is left inside a gzip layer ISA-L undid (a .tar.xz.gz) */
	support_filters(x->a);
	la.archive_read_support_format_tar(x->a);
	la.archive_read_support_format_gnutar(x->a);
	la.archive_read_support_format_cpio(x->a);
	return la.archive_read_open(x->a, ring, NULL, ring_read, NULL) == ARCHIVE_OK ? 0 : 1;
}

int archive_extract_secure(const char *tarball, const char *dest,
			   const struct extract_limits *limits,
			   struct extract_stats *stats,
			   const struct extract_sink *sink, struct strbuf *err)
{
	struct extractor x;
	struct ring ring;
	pthread_t decoder;
	enum container kind = C_STREAM;
	int ring_running = 0, in_fd = -1;
	int ret = -1, r;

	extractor_init(&x, limits, stats, sink, err);
	if (archive_load(err))
		goto out;
	x.root_fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.root_fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s", dest, strerror(errno));
		goto out;
	}
	if (open_tarball(tarball, &in_fd, err))
		goto out;
	kind = sniff(in_fd);
	x.a = la.archive_read_new();
	if (!x.a) {
		strbuf_addstr(err, "out of memory");
		goto out;
	}
	r = open_archive(&x, kind, in_fd, &ring, &decoder, &ring_running);
	if (r < 0)
		goto out;
	if (r > 0) {
		finding(&x, RULE_EXTRACT_DAMAGED, tarball, "not an archive verify reads (tar or "
			"cpio, compressed or not; zip; .deb; .rpm): %s",
			la.archive_error_string(x.a));
		stats->stopped = 1;
		ret = 0;
		goto out;
	}
	if (extract_entries(&x, tarball))
		goto out;
	close_parent(&x);
	if (!stats->stopped && ring_running)
		check_stream_end(&x, &ring, tarball);
	remove_escaping_symlinks(&x);
	ret = 0;
out:
	if (x.env_error)
		ret = -1;
	if (x.a)
		describe_format(&x, kind, ring_running ? &ring : NULL);
	close_parent(&x);
	if (x.root_fd >= 0)
		close(x.root_fd);
	if (x.a)
		la.archive_read_free(x.a);
	if (ring_running)
		ring_stop(&ring, decoder);
	if (in_fd >= 0)
		close(in_fd);
	extractor_release(&x);
	return ret;
}

/* ---- writing: deterministic tarballs ------------------------------------ */

struct pack_list {
	char **names;               /* relative paths, "" for the root */
	size_t nr, alloc;
};

static int pack_collect(const char *dir, const char *rel, struct pack_list *l,
			struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	strbuf_addf(&path, "%s%s%s", dir, *rel ? "/" : "", rel);
	d = opendir(path.buf);
	if (!d) {
		strbuf_addf(err, "cannot read directory %s: %s", path.buf, strerror(errno));
		strbuf_release(&path);
		return -1;
	}
	while (!ret && (de = readdir(d)) != NULL) {
		struct stat st;
		char *child;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		xgrow((void **)&l->names, &l->alloc, l->nr + 1, sizeof(*l->names));
		l->names[l->nr++] = child;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, child);
		if (lstat(path.buf, &st)) {
			strbuf_addf(err, "cannot stat %s: %s", path.buf, strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			ret = pack_collect(dir, child, l, err);
		}
	}
	closedir(d);
	strbuf_release(&path);
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int pack_error(struct archive *a, const char *what, const char *name,
		      struct strbuf *err)
{
	const char *msg = la.archive_error_string(a);
	int e = la.archive_errno(a);

	strbuf_addf(err, "cannot write %s %s: %s", what, name, msg ? msg : "unknown error");
	/* "Write error" alone does not say that the disk is full */
	if (e > 0 && (!msg || !strstr(msg, strerror(e))))
		strbuf_addf(err, " (%s)", strerror(e));
	return -1;
}

struct pack_sink {
	struct archive *a;
	const char *path;
	unsigned long long left;     /* bytes the header announced */
};

static int pack_chunk(void *ctx, const void *buf, size_t len, struct strbuf *err)
{
	struct pack_sink *ps = ctx;

	/* a large file must not hold a signal up until it is packed */
	if (signals_interrupted()) {
		strbuf_addf(err, "interrupted while packing %s", ps->path);
		return -1;
	}
	if (len > ps->left) {
		strbuf_addf(err, "%s grew while it was packed", ps->path);
		return -1;
	}
	ps->left -= len;
	if (la.archive_write_data(ps->a, buf, len) != (la_ssize_t)len)
		return pack_error(ps->a, "data of", ps->path, err);
	return 0;
}

/* Writes the file's data and hashes it on the way. */
static int pack_file(struct archive *a, const char *path, struct pack_entry *pe,
		     char hex[SHA256_HEX_SIZE], struct strbuf *err)
{
	struct pack_sink ps = { a, path, pe->size };
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret;

	if (fd < 0) {
		strbuf_addf(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	ret = sha256_fd(fd, path, hex, NULL, pack_chunk, &ps, err);
	close(fd);
	if (!ret && ps.left) {
		strbuf_addf(err, "%s shrank while it was packed", path);
		ret = -1;
	}
	if (!ret)
		pe->sha256 = hex;
	return ret;
}

/* The pax format and the compression of `opts`, writing to `fd`. */
static int pack_start(struct archive *a, int fd, const char *out,
		      const struct pack_opts *opts, struct strbuf *err)
{
	if (la.archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    (opts->format == PACK_ZST ? la.archive_write_add_filter_zstd(a) :
	     opts->format == PACK_GZ ? la.archive_write_add_filter_gzip(a) :
	     ARCHIVE_OK) != ARCHIVE_OK ||
	    (opts->format == PACK_GZ &&
	     la.archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK))
		return pack_error(a, "format of", out, err);
	if (la.archive_write_open_fd(a, fd) != ARCHIVE_OK)
		return pack_error(a, "", out, err);
	return 0;
}

/* The names of the entry being packed, reused from one entry to the next. */
struct pack_names {
	struct strbuf path;         /* on disk */
	struct strbuf name;         /* in the archive */
	struct strbuf target;       /* of a symlink */
};

/*
 * The type and normalised mode of the file `path` described by `st`, into
 * both `e` and `pe`: its size for a file, its target for a symlink.
 */
static int pack_set_type(struct archive_entry *e, const struct stat *st,
			 const char *path, struct strbuf *target,
			 struct pack_entry *pe, struct strbuf *err)
{
	if (S_ISDIR(st->st_mode)) {
		pe->type = 'd';
		pe->mode = 0755;
		la.archive_entry_set_filetype(e, AE_IFDIR);
	} else if (S_ISREG(st->st_mode)) {
		pe->type = 'f';
		pe->mode = (st->st_mode & 0111) ? 0755 : 0644;
		pe->size = (unsigned long long)st->st_size;
		la.archive_entry_set_filetype(e, AE_IFREG);
		la.archive_entry_set_size(e, st->st_size);
	} else if (S_ISLNK(st->st_mode)) {
		char link[PATH_MAX];
		ssize_t n = readlink(path, link, sizeof(link));
		if (n < 0 || (size_t)n >= sizeof(link)) {
			strbuf_addf(err, "cannot read the link %s: %s", path,
				    n < 0 ? strerror(errno) : "target too long");
			return -1;
		}
		strbuf_reset(target);
		strbuf_add(target, link, (size_t)n);
		pe->type = 'l';
		pe->mode = 0777;
		pe->target = target->buf;
		la.archive_entry_set_filetype(e, AE_IFLNK);
		la.archive_entry_set_symlink(e, target->buf);
	} else {
		strbuf_addf(err, "%s is not a file, directory or symlink", path);
		return -1;
	}
	return 0;
}

/* Writes the entry `rel` of `dir` ("" for the top directory itself). */
static int pack_one(struct archive *a, struct archive_entry *e, const char *dir,
		    const char *rel, const struct pack_opts *opts,
		    struct pack_names *n, struct strbuf *err)
{
	struct pack_entry pe;
	char hex[SHA256_HEX_SIZE];
	struct stat st;

	memset(&pe, 0, sizeof(pe));
	strbuf_reset(&n->path);
	strbuf_addf(&n->path, "%s%s%s", dir, *rel ? "/" : "", rel);
	strbuf_reset(&n->name);
	if (opts->top)
		strbuf_addf(&n->name, "%s%s%s", opts->top, *rel ? "/" : "", rel);
	else
		strbuf_addstr(&n->name, rel);
	if (lstat(n->path.buf, &st)) {
		strbuf_addf(err, "cannot stat %s: %s", n->path.buf, strerror(errno));
		return -1;
	}
	la.archive_entry_clear(e);
	la.archive_entry_set_pathname(e, n->name.buf);
	la.archive_entry_set_mtime(e, (time_t)opts->mtime, 0);
	la.archive_entry_set_uid(e, 0);
	la.archive_entry_set_gid(e, 0);
	pe.name = n->name.buf;
	if (pack_set_type(e, &st, n->path.buf, &n->target, &pe, err))
		return -1;
	la.archive_entry_set_perm(e, pe.mode);
	if (la.archive_write_header(a, e) != ARCHIVE_OK)
		return pack_error(a, "the header of", n->name.buf, err);
	if (pe.type == 'f' && pack_file(a, n->path.buf, &pe, hex, err))
		return -1;
	if (opts->on_entry)
		opts->on_entry(opts->ctx, &pe);
	return 0;
}

int archive_pack_tree(const char *dir, int fd, const char *out,
		      const struct pack_opts *opts, struct strbuf *err)
{
	struct pack_list l = { NULL, 0, 0 };
	struct pack_names n = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	size_t i;
	int ret = -1;

	if (archive_load(err) || pack_collect(dir, "", &l, err))
		goto out;
	if (l.nr)   /* an empty directory: no list to sort (qsort of NULL is undefined) */
		qsort(l.names, l.nr, sizeof(*l.names), cmp_names);
	a = la.archive_write_new();
	e = la.archive_entry_new();
	if (!a || !e) {
		strbuf_addstr(err, "out of memory");
		goto out;
	}
	if (pack_start(a, fd, out, opts, err))
		goto out;
	/* the top directory itself first, when there is one */
	if (opts->top && pack_one(a, e, dir, "", opts, &n, err))
		goto out;
	for (i = 0; i < l.nr; i++)
		if (pack_one(a, e, dir, l.names[i], opts, &n, err))
			goto out;
	if (la.archive_write_close(a) != ARCHIVE_OK) {
		pack_error(a, "", out, err);
		goto out;
	}
	ret = 0;
out:
	if (a)
		la.archive_write_free(a);
	if (e)
		la.archive_entry_free(e);
	for (i = 0; i < l.nr; i++)
		free(l.names[i]);
	free(l.names);
	strbuf_release(&n.path);
	strbuf_release(&n.name);
	strbuf_release(&n.target);
	return ret;
}
