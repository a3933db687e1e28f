#include "fsutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static int make_writable(const char *path, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)ftw;
	if ((flag == FTW_D || flag == FTW_DNR) && (st->st_mode & 0700) != 0700)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR)
		return rmdir(path) && errno != ENOENT ? -1 : 0;
	return unlink(path) && errno != ENOENT ? -1 : 0;
}

int fs_rmtree(const char *path, struct strbuf *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0) {
			if (err)
				strbuf_addf(err, "cannot remove '%s': %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	nftw(path, make_writable, 64, FTW_PHYS);
	if (nftw(path, remove_one, 64, FTW_DEPTH | FTW_PHYS) != 0) {
		if (err)
			strbuf_addf(err, "cannot remove '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

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

const char *fs_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
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
