#include "buildcache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "sbom.h"

void buildcache_software_name(struct strbuf *out, const char *version, const char *ext)
{
	strbuf_addf(out, "slurm-%s-software%s", version, ext);
}

void buildcache_module_name(struct strbuf *out, const char *version, const char *ext)
{
	strbuf_addf(out, "slurm-%s-module%s", version, ext);
}

void buildcache_sbom_name(struct strbuf *out, const char *version, const char *suffix)
{
	strbuf_addf(out, "slurm-%s%s", version, suffix);
}

void buildcache_file_names(struct strbuf names[BUILDCACHE_NR_FILES], const char *version,
			   const char *ext)
{
	/* SHA256SUMS last: a reader of an export that sees it sees every file it lists */
	buildcache_software_name(&names[0], version, ext);
	buildcache_module_name(&names[1], version, ext);
	strbuf_addstr(&names[2], "manifest.json");
	buildcache_sbom_name(&names[3], version, SBOM_CDX_SUFFIX);
	buildcache_sbom_name(&names[4], version, SBOM_SPDX_SUFFIX);
	strbuf_addstr(&names[5], "SHA256SUMS");
}

static void names_release(struct strbuf names[BUILDCACHE_NR_FILES])
{
	size_t i;

	for (i = 0; i < BUILDCACHE_NR_FILES; i++)
		strbuf_release(&names[i]);
}

int buildcache_complete(const char *entry, const char *version, const char *ext)
{
	struct strbuf names[BUILDCACHE_NR_FILES], p = STRBUF_INIT;
	size_t i;
	int ok = 1;

	for (i = 0; i < BUILDCACHE_NR_FILES; i++)
		strbuf_init(&names[i]);
	buildcache_file_names(names, version, ext);
	for (i = 0; i < BUILDCACHE_NR_FILES && ok; i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", entry, names[i].buf);
		ok = fs_is_file(p.buf);
	}
	names_release(names);
	strbuf_release(&p);
	return ok;
}

int buildcache_begin(const char *builds, const char *key, char **work, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	int ret = -1;

	*work = NULL;
	strbuf_addf(&p, "%s/by-key", builds);
	if (fs_mkdirs(p.buf, err))
		goto out;
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/.tmp-%.16s-XXXXXX", builds, key);
	/* mkdtemp makes it 0700: the published entry is for every user */
	if (!mkdtemp(p.buf) || chmod(p.buf, 0755)) {
		strbuf_addf(err, "cannot create %s: %s", p.buf, strerror(errno));
		goto out;
	}
	*work = strbuf_detach(&p);
	ret = 0;
out:
	strbuf_release(&p);
	return ret;
}

/* Points builds/<version> at by-key/<key> in one rename(). */
static int link_version(const char *builds, const char *version, const char *key,
			struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, dst = STRBUF_INIT, target = STRBUF_INIT;
	struct stat st;
	int ret = -1;

	strbuf_addf(&tmp, "%s/.tmp-link-", builds);
	fs_random_name(&tmp, 12);
	strbuf_addf(&dst, "%s/%s", builds, version);
	strbuf_addf(&target, "by-key/%s", key);
	if (!lstat(dst.buf, &st) && !S_ISLNK(st.st_mode)) {
		strbuf_addf(err, "%s exists and is not a link this tool made: move it away",
			    dst.buf);
		goto out;
	}
	if (symlink(target.buf, tmp.buf) || rename(tmp.buf, dst.buf)) {
		strbuf_addf(err, "cannot point %s at %s: %s", dst.buf, target.buf,
			    strerror(errno));
		unlink(tmp.buf);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&tmp);
	strbuf_release(&dst);
	strbuf_release(&target);
	return ret;
}

int buildcache_commit(const char *builds, const char *work, const char *entry,
		      const char *key, const char *version, struct strbuf *err)
{
	struct strbuf old = STRBUF_INIT;
	int ret = -1;

	if (rename(work, entry)) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			strbuf_addf(err, "cannot move %s to %s: %s", work, entry, strerror(errno));
			goto out;
		}
		/* a --no-cache rebuild replaces the entry */
		strbuf_addf(&old, "%s/.old-%.16s-", builds, key);
		fs_random_name(&old, 8);
		if (rename(entry, old.buf) || rename(work, entry)) {
			strbuf_addf(err, "cannot replace %s: %s", entry, strerror(errno));
			goto out;
		}
		fs_rmtree(old.buf, NULL);
	}
	ret = link_version(builds, version, key, err);
out:
	strbuf_release(&old);
	return ret;
}

int buildcache_export(const char *entry, const char *version, const char *ext,
		      const char *dir, struct strbuf *err)
{
	struct strbuf names[BUILDCACHE_NR_FILES];
	size_t i;
	int ret = 0;

	for (i = 0; i < BUILDCACHE_NR_FILES; i++)
		strbuf_init(&names[i]);
	buildcache_file_names(names, version, ext);
	if (fs_mkdirs(dir, err))
		ret = -1;
	for (i = 0; i < BUILDCACHE_NR_FILES && !ret; i++) {
		char *from = xasprintf("%s/%s", entry, names[i].buf);
		char *to = xasprintf("%s/%s", dir, names[i].buf);
		if (fs_copy_file(from, to, 0, 1, err))
			ret = -1;
		free(from);
		free(to);
	}
	names_release(names);
	return ret;
}
