/*
 * fetch: the source of one resolved commit (or of a --source tarball) into
 * the source cache, written aside and renamed into place in one step. A
 * second fetch of the same commit is a cache hit that opens no transport.
 * A --source archive is unpacked with the secure extraction verify uses
 * (archive.h): a hostile entry fails the "unpack" check and nothing is
 * cached.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "clock.h"
#include "crypto.h"
#include "fsutil.h"
#include "git.h"
#include "signals.h"
#include "stages.h"
#include "tags.h"

const struct opt fetch_opts[] = {
	{ "timeout", OPT_VALUE, "SECONDS", "give up on a silent server after this "
	  "long (default 60)" },
	{ "source", OPT_VALUE | OPTF_INPUT, "TARBALL", "take the source from a tarball instead of "
	  "git (cached by sha256)" },
	{ NULL, 0, NULL, NULL },
};

struct fetch_opts {
	const char *cache;           /* the cache directory */
	const char *tarball;         /* --source */
	unsigned timeout;
};

int fetch_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct fetch_opts *o = xcalloc(1, sizeof(*o));
	unsigned long t;

	*opts = o;
	o->tarball = cli_get(&run->cli, "source");
	if (cli_get_ulong(&run->cli, "timeout", 1, 86400, 60, &t, err) ||
	    run_cache_dir(run, &o->cache, err))
		return -1;
	o->timeout = (unsigned)t;
	return 0;
}

/* What one fetch produced, for the report and stdout. */
struct fetched {
	struct strbuf entry;      /* <cache>/sources/<key> */
	struct strbuf path;       /* .../src */
	int hit;
};

/* Value of `key` in a SOURCE file, or NULL; caller frees. */
static char *source_file_get(const char *entry, const char *key)
{
	struct strbuf path = STRBUF_INIT;
	char line[4096], *val = NULL;
	size_t klen = strlen(key);
	FILE *f;

	strbuf_addf(&path, "%s/SOURCE", entry);
	f = fopen(path.buf, "r");
	strbuf_release(&path);
	if (!f)
		return NULL;
	while (!val && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		line[strcspn(line, "\n")] = '\0';
		val = xstrdup(line + klen + 1);
	}
	fclose(f);
	return val;
}

static int write_source_file(const char *dir, const char *text, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, body = STRBUF_INIT;
	char *ts = utc_timestamp();
	int ret;

	strbuf_addf(&path, "%s/SOURCE", dir);
	strbuf_addf(&body, "%sfetched=%s\n", text, ts);
	ret = fs_put_file(path.buf, body.buf, body.len, 0644, err);
	free(ts);
	strbuf_release(&path);
	strbuf_release(&body);
	return ret;
}

/*
 * Looks the entry `key` up in the cache. 1 when it is complete (a hit),
 * 0 when it is not there; fills fe->entry and fe->path either way.
 */
static int cache_lookup(const char *cache, const char *key, struct fetched *fe)
{
	struct strbuf marker = STRBUF_INIT;
	int hit;

	strbuf_addf(&fe->entry, "%s/sources/%s", cache, key);
	strbuf_addf(&fe->path, "%s/src", fe->entry.buf);
	strbuf_addf(&marker, "%s/SOURCE", fe->entry.buf);
	hit = fs_is_file(marker.buf);
	strbuf_release(&marker);
	fe->hit = hit;
	return hit;
}

/* Two fresh directories next to the entry: the one that becomes it, and scratch. */
static int cache_tmpdirs(const char *cache, const char *key, char **tmp, char **scratch,
			 struct strbuf *err)
{
	struct strbuf dir = STRBUF_INIT;
	int ret = -1;

	*tmp = *scratch = NULL;
	strbuf_addf(&dir, "%s/sources", cache);
	if (fs_mkdirs(dir.buf, err))
		goto out;
	*tmp = xasprintf("%s/.tmp-%s-XXXXXX", dir.buf, key);
	*scratch = xasprintf("%s/.tmp-scratch-XXXXXX", dir.buf);
	if (!mkdtemp(*tmp) || !mkdtemp(*scratch)) {
		strbuf_addf(err, "cannot create a directory in %s: %s", dir.buf,
			    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&dir);
	return ret;
}

/*
 * One fetch of a key at a time: an exclusive flock(2) on
 * <cache>/locks/<key>.lock, taken before the lookup and held until the
 * entry is renamed into place (the caller closes the fd). A second run of
 * the same key waits here, then finds a hit; runs of other keys never wait.
 * The kernel drops the lock when its holder dies, also by SIGKILL.
 * Returns the fd, or -1 with `err` (also when a signal ends the wait).
 */
static int cache_lock(const char *cache, const char *key, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int fd = -1;

	/* beside sources/, so that only entries and their temporaries are in it */
	strbuf_addf(&path, "%s/locks", cache);
	if (fs_mkdirs(path.buf, err))
		goto out;
	strbuf_addf(&path, "/%s.lock", key);
	fd = fs_lock_file(path.buf, 0, NULL, err);
out:
	strbuf_release(&path);
	return fd;
}

/*
 * Publishes `tmp` as the entry in one rename(), under the key's lock. An
 * entry without its SOURCE marker is debris (not written by this
 * version's rename, or damaged by hand): it is removed and replaced.
 */
static int cache_commit(const char *tmp, struct fetched *fe, struct strbuf *err)
{
	struct strbuf marker = STRBUF_INIT;
	int ret = 0;

	strbuf_addf(&marker, "%s/SOURCE", fe->entry.buf);
	if (!fs_is_file(marker.buf) && !access(fe->entry.buf, F_OK))
		fs_rmtree(fe->entry.buf, NULL);
	if (rename(tmp, fe->entry.buf)) {
		if ((errno == EEXIST || errno == ENOTEMPTY) && fs_is_file(marker.buf)) {
			fs_rmtree(tmp, NULL);
		} else {
			strbuf_addf(err, "cannot move %s to %s: %s", tmp, fe->entry.buf,
				    strerror(errno));
			ret = -1;
		}
	}
	strbuf_release(&marker);
	return ret;
}

struct progress_state {
	double last;
	int printed;
};

static void print_progress(void *ctx, const struct remote_progress *p)
{
	struct progress_state *ps = ctx;
	double now = monotonic_now();

	if (now - ps->last < 0.2 && p->received_objects != p->total_objects)
		return;
	ps->last = now;
	ps->printed = 1;
	fprintf(stderr, "\rfetch: %u/%u objects, %.1f MiB, %u/%u deltas ",
		p->received_objects, p->total_objects,
		(double)p->received_bytes / (1024.0 * 1024.0), p->indexed_deltas,
		p->total_deltas);
}

static void set_uint_prop(struct stage_report *s, const char *name, size_t v)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%zu", v);
	stage_set_prop(s, name, sb.buf);
	strbuf_release(&sb);
}

/* The result on stdout (the fetch command's). */
void fetch_print(const struct run *run)
{
	const struct pipeline *p = &run->pipe;

	if (!p->source_dir)
		return;
	if (p->src.tag)
		printf("tag: %s\n", p->src.tag);
	if (p->src.version)
		printf("version: %s\n", p->src.version);
	if (p->src.commit)
		printf("commit: %s\n", p->src.commit);
	if (p->src.repo) {
		struct strbuf shown = STRBUF_INIT;
		url_redact(&shown, p->src.repo);
		printf("repo: %s\n", shown.buf);
		strbuf_release(&shown);
	}
	printf("path: %s\ncache: %s\n", p->source_dir, p->source_cached ? "hit" : "miss");
	fflush(stdout);
}

/* What fetch leaves in the pipeline: the source tree and its key. */
static void set_source(struct pipeline *p, const struct fetched *fe, const char *key)
{
	free(p->source_dir);
	free(p->source_key);
	p->source_dir = xstrdup(fe->path.buf);
	p->source_key = xstrdup(key);
	p->source_cached = fe->hit;
}

/* A cached commit: the entry and its commit time; the "cache" check says so. */
static void git_cache_hit(struct run *run, struct stage_report *stage, struct check *c,
			  const struct fetched *fe)
{
	char *ct = source_file_get(fe->entry.buf, "commit_time");
	unsigned long v;

	if (ct) {
		stage_set_prop(stage, "commit_time", ct);
		if (!parse_ulong(ct, 0, 253402300799UL, &v))
			run->pipe.commit_time = (long long)v;
	}
	free(ct);
	stage_set_prop(stage, "cache", "hit");
	stage_set_prop(stage, "transport", "none");
	stage_set_prop(stage, "path", fe->path.buf);
	check_set_message(c, "hit: %s (no transport opened)", fe->path.buf);
}

/* Downloads the commit into a new entry: the "fetch-commit" check; 0 when done. */
static int git_download(struct run *run, const struct fetch_opts *o,
			struct stage_report *stage, struct fetched *fe)
{
	const struct source_ref *ref = &run->pipe.src;
	struct check *c = stage_add_check(stage, "fetch-commit");
	struct progress_state ps = { 0, 0 };
	struct remote_opts ro = { o->timeout, NULL, NULL };
	struct remote_fetch_stats stats = { 0, 0, 0, 0, 0 };
	struct strbuf err = STRBUF_INIT, meta = STRBUF_INIT, dest = STRBUF_INIT,
		      shown = STRBUF_INIT;
	char *tmp = NULL, *scratch = NULL;
	int ret = -1;

	url_redact(&shown, ref->repo);
	if (cache_tmpdirs(o->cache, ref->commit, &tmp, &scratch, &err))
		goto out;
	if (!run->quiet && (run->verbose || isatty(2))) {
		ro.progress = print_progress;
		ro.progress_ctx = &ps;
	}
	strbuf_addf(&dest, "%s/src", tmp);
	stage_set_prop(stage, "transport", "opened");
	ret = remote_fetch_tree(ref->repo, ref->tag, ref->commit, scratch, dest.buf, &ro,
				&stats, &err);
	if (ps.printed)
		fputc('\n', stderr);
	if (ret) {
		url_scrub(&err, ref->repo);
		goto out;
	}
	set_uint_prop(stage, "connections", stats.connections);
	set_uint_prop(stage, "received_bytes", stats.received_bytes);
	set_uint_prop(stage, "received_objects", stats.received_objects);
	strbuf_addf(&meta, "kind=git\nrepo=%s\ntag=%s\nversion=%s\ncommit=%s\n"
		    "commit_time=%lld\n", shown.buf, ref->tag, ref->version, ref->commit,
		    stats.commit_time);
	strbuf_reset(&dest);
	strbuf_addf(&dest, "%lld", stats.commit_time);
	stage_set_prop(stage, "commit_time", dest.buf);
	run->pipe.commit_time = stats.commit_time;
	ret = write_source_file(tmp, meta.buf, &err) || cache_commit(tmp, fe, &err) ? -1 : 0;
	if (ret)
		goto out;
	stage_set_prop(stage, "path", fe->path.buf);
	check_set_message(c, "%s at %s: %u objects, %zu bytes over %u connection(s) "
			  "into %s", ref->tag, ref->commit, stats.received_objects,
			  stats.received_bytes, stats.connections, fe->path.buf);
out:
	/* a tag naming a tree or blob is the repository's content: a failed check */
	if (ret)
		check_fail(c, stats.not_a_commit ? OUTCOME_FAIL : OUTCOME_ERROR, "%s", err.buf);
	check_finish(c);
	if (tmp)
		fs_rmtree(tmp, NULL);
	if (scratch)
		fs_rmtree(scratch, NULL);
	free(tmp);
	free(scratch);
	strbuf_release(&err);
	strbuf_release(&meta);
	strbuf_release(&dest);
	strbuf_release(&shown);
	return ret;
}

static void fetch_git(struct run *run, const struct fetch_opts *o, struct stage_report *stage)
{
	const struct source_ref *ref = &run->pipe.src;
	struct fetched fe = { STRBUF_INIT, STRBUF_INIT, 0 };
	struct strbuf err = STRBUF_INIT, shown = STRBUF_INIT;
	struct check *c;
	int ok = 0, lock;

	url_redact(&shown, ref->repo);   /* credentials never reach report or cache */
	stage_set_prop(stage, "repo", shown.buf);
	stage_set_prop(stage, "tag", ref->tag);
	stage_set_prop(stage, "version", ref->version);
	stage_set_prop(stage, "commit", ref->commit);

	c = stage_add_check(stage, "cache");
	lock = cache_lock(o->cache, ref->commit, &err);
	if (lock < 0) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	if (cache_lookup(o->cache, ref->commit, &fe)) {
		git_cache_hit(run, stage, c, &fe);
		check_finish(c);
		ok = 1;
		goto out;
	}
	stage_set_prop(stage, "cache", "miss");
	check_set_message(c, "miss: %s is not cached yet", ref->commit);
	check_finish(c);
	ok = !git_download(run, o, stage, &fe);
out:
	if (lock >= 0)
		close(lock);   /* releases the cache lock */
	if (ok)
		set_source(&run->pipe, &fe, ref->commit);
	strbuf_release(&fe.entry);
	strbuf_release(&fe.path);
	strbuf_release(&err);
	strbuf_release(&shown);
}

/*
 * The single top directory of an unpacked tarball ("slurm-slurm-24-11-5-1"),
 * or NULL when there are several entries. Caller frees.
 */
static char *single_top_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *top = NULL;
	int n = 0;

	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n++ == 0)
			top = xstrdup(de->d_name);
	}
	closedir(d);
	if (n != 1) {
		free(top);
		return NULL;
	}
	return top;
}

/* "slurm-slurm-24-11-5-1" (GitHub's archive name) or a tag name → the tag. */
static char *tag_from_dir(const char *name)
{
	struct slurm_version v;

	if (!strncmp(name, "slurm-slurm-", 12) && !tag_parse(name + 6, &v))
		return xstrdup(name + 6);
	if (!tag_parse(name, &v))
		return xstrdup(name);
	return NULL;
}

/*
 * Unpacks `tarball` into `dest` (through scratch/x) with the secure
 * extraction of archive.h: any format it reads, the same rules as verify.
 * Its single top directory, when it has one, becomes `dest` and names the
 * tag. A refused entry is a finding of `c` and nothing is unpacked: 1.
 * -1 with `err` on an environment failure (or a signal); 0 when done.
 */
static int unpack(const char *tarball, const char *scratch, const char *dest,
		  struct check *c, struct extract_stats *st, char **tag, struct strbuf *err)
{
	struct extract_limits lim = EXTRACT_LIMITS_DEFAULT;
	struct extract_sink sink = { rule_report_entry, c };
	struct strbuf x = STRBUF_INIT, top = STRBUF_INIT;
	struct stat sb;
	char *name = NULL;
	int ret = -1;

	strbuf_addf(&x, "%s/x", scratch);
	if (mkdir(x.buf, 0755)) {
		strbuf_addf(err, "cannot create %s: %s", x.buf, strerror(errno));
		goto out;
	}
	if (archive_extract_secure(tarball, x.buf, &lim, st, &sink, err))
		goto out;
	if (st->refused) {
		ret = 1;
		goto out;
	}
	if (st->stopped) {
		strbuf_addf(err, "interrupted while unpacking %s", tarball);
		goto out;
	}
	name = single_top_dir(x.buf);
	if (name) {
		strbuf_addf(&top, "%s/%s", x.buf, name);
		if (lstat(top.buf, &sb) || !S_ISDIR(sb.st_mode)) {
			free(name);
			name = NULL;
		}
	}
	if (rename(name ? top.buf : x.buf, dest)) {
		strbuf_addf(err, "cannot move the unpacked tree to %s: %s", dest,
			    strerror(errno));
		goto out;
	}
	*tag = name ? tag_from_dir(name) : NULL;
	ret = 0;
out:
	free(name);
	strbuf_release(&x);
	strbuf_release(&top);
	return ret;
}

static void fetch_tarball(struct run *run, const struct fetch_opts *o,
			  struct stage_report *stage)
{
	const char *tarball = o->tarball, *spec = run->pipe.spec, *cache = o->cache;
	struct fetched fe = { STRBUF_INIT, STRBUF_INIT, 0 };
	struct source_ref ref = { NULL, NULL, NULL, NULL };
	struct strbuf err = STRBUF_INIT, key = STRBUF_INIT, meta = STRBUF_INIT,
		      dest = STRBUF_INIT;
	char *tmp = NULL, *scratch = NULL, hex[65];
	struct extract_stats st;
	struct check *c;
	int ok = 0, lock = -1, r;

	memset(&st, 0, sizeof(st));
	stage_set_prop(stage, "source", tarball);
	if (spec)
		stage_set_prop(stage, "spec", spec);
	c = stage_add_check(stage, "checksum");
	if (sha256_file(tarball, hex, NULL, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	stage_set_prop(stage, "sha256", hex);
	check_set_message(c, "sha256 %s", hex);
	check_finish(c);

	strbuf_addf(&key, "sha256-%s", hex);
	c = stage_add_check(stage, "cache");
	lock = cache_lock(cache, key.buf, &err);
	if (lock < 0) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	if (cache_lookup(cache, key.buf, &fe)) {
		ref.tag = source_file_get(fe.entry.buf, "tag");
		stage_set_prop(stage, "cache", "hit");
		check_set_message(c, "hit: %s", fe.path.buf);
		check_finish(c);
		ok = 1;
		goto done;
	}
	stage_set_prop(stage, "cache", "miss");
	check_set_message(c, "miss: %s is not cached yet", key.buf);
	check_finish(c);

	c = stage_add_check(stage, "unpack");
	if (cache_tmpdirs(cache, key.buf, &tmp, &scratch, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	strbuf_addf(&dest, "%s/src", tmp);
	r = unpack(tarball, scratch, dest.buf, c, &st, &ref.tag, &err);
	if (st.format[0])
		stage_set_prop(stage, "format", st.format);
	if (r) {
		if (r < 0)
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		else
			check_set_message(c, "%s (%s): %zu entr%s refused; nothing was unpacked",
					  tarball, st.format, st.refused,
					  st.refused == 1 ? "y" : "ies");
		check_finish(c);
		goto out;
	}
	strbuf_addf(&meta, "kind=tarball\ntarball=%s\nsha256=%s\n", tarball, hex);
	if (ref.tag)
		strbuf_addf(&meta, "tag=%s\n", ref.tag);
	if (write_source_file(tmp, meta.buf, &err) || cache_commit(tmp, &fe, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	check_set_message(c, "%s (%s) into %s: %zu files", tarball, st.format, fe.path.buf,
			  st.files);
	check_finish(c);
	ok = 1;
done:
	stage_set_prop(stage, "transport", "none");
	stage_set_prop(stage, "path", fe.path.buf);
	if (ref.tag) {
		struct strbuf v = STRBUF_INIT;
		tag_version_string(ref.tag, &v);
		ref.version = strbuf_detach(&v);
		stage_set_prop(stage, "tag", ref.tag);
		stage_set_prop(stage, "version", ref.version);
	}
out:
	if (lock >= 0)
		close(lock);   /* releases the cache lock */
	if (ok) {
		/* the tarball's own name says the version; a resolved spec does not */
		set_source(&run->pipe, &fe, key.buf);
		source_ref_release(&run->pipe.src);
		run->pipe.src = ref;
		run->pipe.src.commit = xstrdup(hex);
		memset(&ref, 0, sizeof(ref));
	}
	if (tmp)
		fs_rmtree(tmp, NULL);
	if (scratch)
		fs_rmtree(scratch, NULL);
	free(tmp);
	free(scratch);
	source_ref_release(&ref);
	strbuf_release(&fe.entry);
	strbuf_release(&fe.path);
	strbuf_release(&err);
	strbuf_release(&key);
	strbuf_release(&meta);
	strbuf_release(&dest);
}

int stage_fetch(struct run *run, const void *opts, struct strbuf *err)
{
	const struct fetch_opts *o = opts;
	struct stage_report *stage;

	if (!o->tarball && !run->pipe.resolved) {
		strbuf_addstr(err, "fetch needs a resolved version: SPEC (resolve) or --source "
			      "TARBALL");
		return -1;
	}
	stage = report_add_stage(&run->report, "fetch");
	if (o->tarball)
		fetch_tarball(run, o, stage);
	else
		fetch_git(run, o, stage);
	if (signals_interrupted())
		stage->interrupted = 1;
	stage_finish(stage);
	return 0;
}
