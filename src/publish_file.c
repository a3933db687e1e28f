/*
 * publish to a local directory: file:///dir or a plain path. Each file is
 * copied to a temporary name in the target directory and renamed over the
 * final name, so a reader sees the old file or the whole new one; the copy
 * is read back and its sha256 compared before the rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "publish.h"

static int file_open(struct publisher *p, struct strbuf *err)
{
	const char *dir = p->url;

	if (!strncmp(dir, "file://", 7))
		dir += 7;
	if (!*dir) {
		strbuf_addstr(err, "file target names no directory");
		return -1;
	}
	if (fs_mkdirs(dir, err)) {
		p->failure = PUBLISH_UNREACHABLE;
		return -1;
	}
	p->state = xstrdup(dir);
	return 0;
}

static int copy_fd(int in, int out, struct strbuf *err, const char *path)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		char *q = buf;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "cannot read %s: %s", path, strerror(errno));
			return -1;
		}
		while (n > 0) {
			ssize_t w = write(out, q, (size_t)n);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				strbuf_addf(err, "cannot write: %s", strerror(errno));
				return -1;
			}
			q += w;
			n -= w;
		}
	}
	return 0;
}

static int file_upload(struct publisher *p, const struct publish_file *f,
		       struct strbuf *err)
{
	const char *dir = p->state;
	struct strbuf dest = STRBUF_INIT, tmp = STRBUF_INIT;
	char hex[SHA256_HEX_SIZE];
	unsigned long long size;
	int in = -1, out = -1, ret = -1;

	p->failure = PUBLISH_UNREACHABLE;
	strbuf_addf(&dest, "%s/%s", dir, f->name);
	/* the same bytes already there: nothing to do (an identical re-run) */
	if (!sha256_file(dest.buf, hex, &size, err) && size == f->size &&
	    !strcmp(hex, f->sha256)) {
		ret = 0;
		goto out;
	}
	strbuf_reset(err);
	strbuf_addf(&tmp, "%s/.%s.tmp-", dir, f->name);
	fs_random_name(&tmp, 8);
	in = open(f->path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		strbuf_addf(err, "cannot open %s: %s", f->path, strerror(errno));
		goto out;
	}
	out = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		strbuf_addf(err, "cannot create %s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	if (copy_fd(in, out, err, f->path))
		goto out;
	if (fsync(out) || close(out)) {
		out = -1;
		strbuf_addf(err, "cannot write %s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	out = -1;
	if (sha256_file(tmp.buf, hex, &size, err))
		goto out;
	if (size != f->size || strcmp(hex, f->sha256)) {
		strbuf_addf(err, "%s changed while it was copied (sha256 %s, expected %s)",
			    f->path, hex, f->sha256);
		goto out;
	}
	if (rename(tmp.buf, dest.buf)) {
		strbuf_addf(err, "cannot rename %s to %s: %s", tmp.buf, dest.buf,
			    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret)
		unlink(tmp.buf);
	else
		p->failure = PUBLISH_OK;
	strbuf_release(&dest);
	strbuf_release(&tmp);
	return ret;
}

static void file_close(struct publisher *p)
{
	free(p->state);
	p->state = NULL;
}

const struct publish_backend publish_file_backend = {
	"file", file_open, file_upload, file_close,
};
