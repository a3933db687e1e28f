#include "source.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void source_ref_release(struct source_ref *s)
{
	free(s->repo);
	free(s->tag);
	free(s->version);
	free(s->commit);
	memset(s, 0, sizeof(*s));
}

static const char *prop(const struct stage_report *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nr_props; i++)
		if (!strcmp(s->props[i].name, name))
			return s->props[i].value;
	return NULL;
}

int source_from_report(const struct report *r, struct source_ref *out)
{
	size_t i;

	for (i = 0; i < r->nr_stages; i++) {
		const struct stage_report *s = r->stages[i];
		const char *repo, *tag, *version, *commit;

		if (strcmp(s->name, "resolve") || s->skip_reason)
			continue;
		repo = prop(s, "repo");
		tag = prop(s, "tag");
		version = prop(s, "version");
		commit = prop(s, "commit");
		if (!repo || !tag || !version || !commit)
			return -1;
		out->repo = xstrdup(repo);
		out->tag = xstrdup(tag);
		out->version = xstrdup(version);
		out->commit = xstrdup(commit);
		return 0;
	}
	return -1;
}

int source_cache_dir(const struct run *run, struct strbuf *out, struct strbuf *err)
{
	const char *dir = cli_get(&run->cli, "cache-dir");
	const char *home = getenv("HOME");

	if (dir && *dir) {
		strbuf_addstr(out, dir);
		return 0;
	}
	if (!home || !*home) {
		strbuf_addstr(err, "HOME is not set: give --cache-dir DIR");
		return -1;
	}
	strbuf_addf(out, "%s/.slurm-factory", home);
	return 0;
}

int source_timeout(const struct run *run, unsigned *out, struct strbuf *err)
{
	unsigned long t;

	if (cli_get_ulong(&run->cli, "timeout", 1, 86400, 60, &t, err))
		return -1;
	*out = (unsigned)t;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) && errno != ENOENT ? -1 : 0;
	return unlink(path) && errno != ENOENT ? -1 : 0;
}

static int make_writable(const char *path, const struct stat *st, int flag,
			 struct FTW *ftw)
{
	(void)ftw;
	/* a read-only directory in an unpacked tarball would stop the unlinks */
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

int source_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -1;
	nftw(path, make_writable, 32, FTW_PHYS);
	return nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS) ? -1 : 0;
}
