#include "source.h"

#include <errno.h>
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

int source_from_report(const struct report *r, struct source_ref *out)
{
	size_t i;

	for (i = 0; i < r->nr_stages; i++) {
		const struct stage_report *s = r->stages[i];
		const char *repo, *tag, *version, *commit;

		if (strcmp(s->name, "resolve") || s->skip_reason)
			continue;
		repo = stage_get_prop(s, "repo");
		tag = stage_get_prop(s, "tag");
		version = stage_get_prop(s, "version");
		commit = stage_get_prop(s, "commit");
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
		/* libgit2 resolves a relative checkout target against the
		 * repository, not the process: always hand out absolute paths */
		if (dir[0] != '/') {
			char *cwd = getcwd(NULL, 0);
			if (!cwd) {
				strbuf_addf(err, "cannot resolve --cache-dir '%s': %s", dir,
					    strerror(errno));
				return -1;
			}
			strbuf_addf(out, "%s/", cwd);
			free(cwd);
		}
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

