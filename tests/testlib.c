#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *t_mkdtemp(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path = xasprintf("%s/sf-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);

	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) ? (errno == ENOENT ? 0 : -1) : 0;
	return unlink(path) ? (errno == ENOENT ? 0 : -1) : 0;
}

static int chmod_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

int t_rmtree(const char *path)
{
	if (!path)
		return 0;
	nftw(path, chmod_one, 32, FTW_PHYS);
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}

int t_write(const char *path, const char *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode ? mode : 0644);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

int t_writestr(const char *path, const char *s)
{
	return t_write(path, s, strlen(s), 0644);
}

int t_read(const char *path, struct strbuf *out)
{
	char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

int t_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int sh_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int t_sh(const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	va_list ap;
	int st;

	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	fflush(NULL);
	st = system(cmd.buf);
	st = sh_status(st);
	if (st)
		fprintf(stderr, "# command exited %d: %s\n", st, cmd.buf);
	strbuf_release(&cmd);
	return st;
}

int t_sh_capture(struct strbuf *out, const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	char buf[4096];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	strbuf_addstr(&cmd, " 2>&1");
	fflush(NULL);
	p = popen(cmd.buf, "r");
	if (!p) {
		strbuf_release(&cmd);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		strbuf_add(out, buf, n);
	st = sh_status(pclose(p));
	strbuf_release(&cmd);
	return st;
}

const char *t_bin(void)
{
	const char *b = getenv("SF_BIN");
	return b && *b ? b : "build/slurm-factory";
}

const char *t_shared(void)
{
	const char *s = getenv("SF_SHARED");
	return s && *s ? s : "../shared";
}

int t_mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;
	int ret = 0;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			ret = -1;
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		ret = -1;
	free(p);
	return ret;
}
