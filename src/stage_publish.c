/*
 * publish: upload a directory of artifacts to each --to target, in an
 * order that makes a half-finished publish visible (the artifacts first,
 * then the manifest, SHA256SUMS last). The local SHA256SUMS, when there is
 * one, is checked before anything leaves; a directory without one gets one
 * written aside (never into it), so every target can be checked. The backends (publish_*.c) do
 * the transport; this file decides what is uploaded and reports it.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <time.h>

#include <json-c/json.h>

#include "ci_output.h"
#include "modulefile.h"
#include "provenance.h"
#include "publish.h"
#include "sign.h"
#include "crypto.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "report_write.h"
#include "signals.h"
#include "stages.h"

const struct opt publish_opts[] = {
	{ "to", OPT_LIST, "URL", "where to publish: a directory or file://DIR, "
	  "http(s)://URL (PUT), s3://BUCKET/PREFIX, github://OWNER/REPO@TAG, "
	  "gitlab://PROJECT/PACKAGE@VERSION (may repeat)" },
	{ "s3-endpoint", OPT_VALUE, "URL", "S3-compatible store to use instead of AWS "
	  "(path-style addressing)" },
	{ "github-api", OPT_VALUE, "URL", "GitHub API root (default https://api.github.com)" },
	{ "gitlab-api", OPT_VALUE, "URL", "GitLab API root (default $CI_API_V4_URL or "
	  "https://gitlab.com/api/v4)" },
	{ "retries", OPT_VALUE, "N", "retries of a request after 5xx, 429, a timeout or "
	  "a lost connection (default 4)" },
	{ "retry-delay", OPT_VALUE, "MS", "first backoff in milliseconds, doubled on each "
	  "retry (default 1000)" },
	{ "upload-timeout", OPT_VALUE, "SECONDS", "give up on one request after this long "
	  "(default 600)" },
	{ "sign-key", OPT_VALUE | OPTF_INPUT, "FILE", "sign SHA256SUMS with this Ed25519 "
	  "private key (PEM; default: the PEM in $" SIGN_KEY_ENV ") and publish "
	  "SHA256SUMS.sig and SHA256SUMS.minisig after it" },
	{ NULL, 0, NULL, NULL },
};

/* File name of the run report publish adds to the directory in a pipeline. */
#define PIPELINE_REPORT "slurm-factory-report.json"

static int rank(const char *name)
{
	if (!strcmp(name, "SHA256SUMS"))
		return 3;
	/* a signature names the sums it signs: uploaded after them */
	if (!strcmp(name, "SHA256SUMS.sig") || !strcmp(name, "SHA256SUMS.minisig"))
		return 4;
	if (!fnmatch("*manifest*", name, 0))
		return 1;
	if (!fnmatch("*report*", name, 0))
		return 2;
	return 0;
}

static int cmp_files(const void *a, const void *b)
{
	const struct publish_file *x = a, *y = b;
	int rx = rank(x->name), ry = rank(y->name);

	return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

struct fileset {
	struct publish_file *v;
	size_t nr, alloc;
	unsigned long long bytes;
};

static void fileset_release(struct fileset *fs)
{
	size_t i;

	for (i = 0; i < fs->nr; i++) {
		free(fs->v[i].name);
		free(fs->v[i].path);
	}
	free(fs->v);
}

/*
 * Forgets the directory's own file `name` (an earlier publish's signature
 * or provenance kept beside the artifacts): publish makes it anew, and a
 * name is published once.
 */
static void drop_name(struct fileset *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->nr; i++) {
		if (strcmp(fs->v[i].name, name))
			continue;
		fs->bytes -= fs->v[i].size;
		free(fs->v[i].name);
		free(fs->v[i].path);
		memmove(&fs->v[i], &fs->v[i + 1], (fs->nr - i - 1) * sizeof(*fs->v));
		fs->nr--;
		return;
	}
}

/* Adds the file `path` as `name`, hashed. */
static int add_file(struct fileset *fs, const char *name, const char *path, struct strbuf *err)
{
	struct publish_file f;
	int ret;

	memset(&f, 0, sizeof(f));
	f.path = xstrdup(path);
	f.name = xstrdup(name);
	ret = sha256_file(f.path, f.sha256, &f.size, err);
	xgrow((void **)&fs->v, &fs->alloc, fs->nr + 1, sizeof(*fs->v));
	fs->v[fs->nr++] = f;
	fs->bytes += f.size;
	return ret;
}

/* Every visible regular file of `dir` (not recursive), hashed, in upload order. */
static int collect(const char *dir, struct fileset *fs, struct strbuf *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d) {
		strbuf_addf(err, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	while (!ret && (de = readdir(d))) {
		struct stat st;
		char *path;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (!lstat(path, &st) && S_ISREG(st.st_mode))
			ret = add_file(fs, de->d_name, path, err);
		free(path);
	}
	closedir(d);
	return ret;
}

/* Checks the files against DIR/SHA256SUMS ("HEX  NAME" lines), when present. */
static void check_sums(const char *dir, const struct fileset *fs, struct check *c)
{
	struct strbuf path = STRBUF_INIT;
	char line[4096];
	size_t listed = 0, i;
	FILE *f;

	strbuf_addf(&path, "%s/SHA256SUMS", dir);
	f = fopen(path.buf, "r");
	strbuf_release(&path);
	if (!f) {
		check_set_message(c, "%zu files, no SHA256SUMS to check them against", fs->nr);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *hex, *name;
		const struct publish_file *hit = NULL;

		line[strcspn(line, "\n")] = '\0';
		if (sums_parse_line(line, &hex, &name))
			continue;
		listed++;
		for (i = 0; i < fs->nr; i++)
			if (!strcmp(fs->v[i].name, name))
				hit = &fs->v[i];
		if (!hit)
			check_add_finding(c, "publish-sums-missing-file", SEV_ERROR, name, NULL,
					  "SHA256SUMS lists a file that is not in the directory",
					  "publish the directory package wrote, whole");
		else if (strcmp(hit->sha256, hex))
			check_add_finding(c, "publish-sums-mismatch", SEV_ERROR, name,
					  hit->sha256, "the file does not match its SHA256SUMS line",
					  "the file changed after packaging: package again");
	}
	fclose(f);
	check_set_message(c, "%zu files; %zu checked against SHA256SUMS", fs->nr, listed);
}

struct publish_stage_opts {
	char *const *to;
	size_t nr_to;
	struct publish_opts po;
	int sign;                 /* a signing key was given (checked, not kept) */
};

int publish_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct publish_stage_opts *so = xcalloc(1, sizeof(*so));
	struct publish_opts *o = &so->po;
	unsigned long retries, delay, timeout;
	size_t i;

	*opts = so;
	so->to = cli_get_all(&run->cli, "to", &so->nr_to);
	if (!so->nr_to && run->pipe.nr_args) {
		strbuf_addstr(err, "publish needs at least one --to URL");
		return -1;
	}
	for (i = 0; i < so->nr_to; i++)
		if (publish_target_check(so->to[i], err))
			return -1;
	if (cli_get_ulong(&run->cli, "retries", 0, 20, 4, &retries, err) ||
	    cli_get_ulong(&run->cli, "retry-delay", 0, 600000, 1000, &delay, err) ||
	    cli_get_ulong(&run->cli, "upload-timeout", 1, 86400, 600, &timeout, err))
		return -1;
	o->retries = (unsigned)retries;
	o->retry_delay_ms = delay;
	o->timeout_ms = timeout * 1000;
	o->connect_timeout_ms = timeout * 1000 < 10000 ? timeout * 1000 : 10000;
	o->s3_endpoint = cli_get(&run->cli, "s3-endpoint");
	o->github_api = cli_get(&run->cli, "github-api");
	o->gitlab_api = cli_get(&run->cli, "gitlab-api");
	if (so->nr_to) {
		/* a key that cannot sign is a usage error now, not after the build */
		struct strbuf key = STRBUF_INIT;
		int r = sign_key_read(&run->cli, "sign-key", &key, &so->sign, err);

		strbuf_wipe(&key);
		if (r)
			return -1;
	}
	return 0;
}

static void publish_to(struct run *run, struct stage_report *s, const char *url,
		       const struct publish_opts *o, const struct fileset *fs)
{
	struct publisher p;
	struct strbuf err = STRBUF_INIT, name = STRBUF_INIT;
	struct check *c;
	size_t i;

	strbuf_addstr(&name, "upload ");
	url_redact(&name, url);
	c = stage_add_check(s, name.buf);
	if (publisher_open(&p, url, o, &err)) {
		ci_mask_secrets((const char *const *)p.secrets, p.nr_secrets);
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	ci_mask_secrets((const char *const *)p.secrets, p.nr_secrets);
	for (i = 0; i < fs->nr && !signals_interrupted(); i++) {
		if (!run->quiet) {
			struct strbuf line = STRBUF_INIT;
			strbuf_addstr(&line, "publish: ");
			strbuf_add_console(&line, fs->v[i].name);
			strbuf_addf(&line, " (%llu bytes) -> ", fs->v[i].size);
			strbuf_add_console(&line, name.buf + 7);
			fprintf(stderr, "%s\n", line.buf);
			strbuf_release(&line);
		}
		if (p.backend->upload(&p, &fs->v[i], &err)) {
			publish_redact(&p, &err);
			check_fail(c, OUTCOME_ERROR, "%s: %s", fs->v[i].name, err.buf);
			goto out;
		}
		strbuf_addf(&c->details, "%s  %s  %llu\n", fs->v[i].sha256, fs->v[i].name,
			    fs->v[i].size);
	}
	if (signals_interrupted()) {
		s->interrupted = 1;
		check_fail(c, OUTCOME_ERROR, "interrupted after %zu of %zu files", i, fs->nr);
		goto out;
	}
	if (p.attempts)
		check_set_message(c, "%zu files, %llu bytes, confirmed; %u requests, "
				  "%u retried", fs->nr, fs->bytes, p.attempts, p.retried);
	else
		check_set_message(c, "%zu files, %llu bytes, confirmed", fs->nr, fs->bytes);
out:
	check_finish(c);
	publisher_release(&p);
	strbuf_release(&err);
	strbuf_release(&name);
}

/*
 * A file this run makes to publish with those of DIR, written into
 * `*tmpdir` (created on first use, removed by the caller): never into the
 * directory being published.
 */
static int add_own_file(struct fileset *fs, char **tmpdir, const char *name, const char *data,
			size_t len, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int ret = -1;

	if (!*tmpdir) {
		*tmpdir = xasprintf("%s/sf-publish-XXXXXX", fs_tmpdir());
		if (!mkdtemp(*tmpdir)) {
			strbuf_addf(err, "cannot create a directory in %s: %s", fs_tmpdir(),
				    strerror(errno));
			free(*tmpdir);
			*tmpdir = NULL;
			return -1;
		}
	}
	strbuf_addf(&path, "%s/%s", *tmpdir, name);
	if (!fs_write_output(path.buf, data, len, err)) {
		drop_name(fs, name);
		ret = add_file(fs, name, path.buf, err);
	}
	strbuf_release(&path);
	return ret;
}

/* In a pipeline, the run's report travels with the artifacts (not into the cache entry). */
static int add_report(struct run *run, struct fileset *fs, char **tmpdir, struct strbuf *err)
{
	struct strbuf json = STRBUF_INIT;
	int ret;

	report_json_string(&run->report, &json);
	ret = add_own_file(fs, tmpdir, PIPELINE_REPORT, json.buf, json.len, err);
	strbuf_release(&json);
	return ret;
}

static int has_file(const struct fileset *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->nr; i++)
		if (!strcmp(fs->v[i].name, name))
			return 1;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	const struct publish_file *x = *(const struct publish_file *const *)a;
	const struct publish_file *y = *(const struct publish_file *const *)b;

	return strcmp(x->name, y->name);
}

/*
 * A DIR without SHA256SUMS gets one, listing every file published ("HEX
 * NAME" lines by name, as sha256sum writes them), so that every target
 * can be checked with `sha256sum -c`; it is uploaded last like any other.
 */
static int add_sums(struct fileset *fs, char **tmpdir, struct strbuf *err)
{
	const struct publish_file **by_name = xcalloc(fs->nr, sizeof(*by_name));
	struct strbuf text = STRBUF_INIT;
	size_t i;
	int ret;

	for (i = 0; i < fs->nr; i++)
		by_name[i] = &fs->v[i];
	qsort(by_name, fs->nr, sizeof(*by_name), cmp_names);
	for (i = 0; i < fs->nr; i++)
		strbuf_addf(&text, "%s  %s\n", by_name[i]->sha256, by_name[i]->name);
	free(by_name);
	ret = add_own_file(fs, tmpdir, "SHA256SUMS", text.buf, text.len, err);
	strbuf_release(&text);
	return ret;
}

/* What was published, for the CI outputs. */
static void record_published(struct pipeline *p, const struct fileset *fs)
{
	size_t i;

	p->published = xcalloc(fs->nr + 1, sizeof(*p->published));
	for (i = 0; i < fs->nr; i++) {
		p->published[i].name = xstrdup(fs->v[i].name);
		memcpy(p->published[i].sha256, fs->v[i].sha256, SHA256_HEX_SIZE);
	}
	p->nr_published = fs->nr;
}

/*
 * In a pipeline with --output-dir: publish's own release files (the
 * provenance, the signatures) are kept there beside the artifacts (the
 * action's `provenance` and `signature` outputs, a GitLab job's artifacts).
 * The report is not: the run writes its own.
 */
static void keep_own_files(struct run *run, struct stage_report *s, const struct fileset *fs,
			   const char *tmpdir)
{
	const char *dir = run->common.output_dir;
	struct strbuf e = STRBUF_INIT, names = STRBUF_INIT;
	struct check *c = NULL;
	size_t i, len = tmpdir ? strlen(tmpdir) : 0;

	if (!dir || !tmpdir)
		return;
	for (i = 0; i < fs->nr; i++) {
		const char *n = fs->v[i].name;
		size_t nl = strlen(n);
		char *to;
		int prov = nl > 13 && !strcmp(n + nl - 13, ".intoto.jsonl");
		if (strncmp(fs->v[i].path, tmpdir, len) || fs->v[i].path[len] != '/' ||
		    (!prov && strcmp(n, "SHA256SUMS.sig") && strcmp(n, "SHA256SUMS.minisig")))
			continue;
		if (!c)
			c = stage_add_check(s, "output-dir");
		to = xasprintf("%s/%s", dir, n);
		if (fs_copy_file(fs->v[i].path, to, 0644, 0, &e)) {
			check_fail(c, OUTCOME_ERROR, "%s", e.buf);
			free(to);
			break;
		}
		strbuf_addf(&names, "%s%s", names.len ? ", " : "", n);
		if (prov) {
			free(run->pipe.provenance);
			run->pipe.provenance = to;
		} else if (!strcmp(n, "SHA256SUMS.sig")) {
			free(run->pipe.signature);
			run->pipe.signature = to;
		} else {
			free(to);
		}
	}
	if (c) {
		if (c->outcome == OUTCOME_PASS)
			check_set_message(c, "%s also in %s", names.buf, dir);
		check_finish(c);
	}
	strbuf_release(&e);
	strbuf_release(&names);
}

/*
 * Signs the SHA256SUMS about to be published (DIR's, or the one publish
 * wrote) into SHA256SUMS.sig and .minisig of publish's own directory: DIR
 * is never written to.
 */
static void sign_published(const struct run *run, struct fileset *fs, char **tmpdir,
			   struct check *c)
{
	struct strbuf key = STRBUF_INIT, sums = STRBUF_INIT, sig = STRBUF_INIT;
	struct strbuf msig = STRBUF_INIT, e = STRBUF_INIT;
	const char *path = NULL;
	char hex[17];
	size_t i;
	int have;

	for (i = 0; i < fs->nr; i++)
		if (!strcmp(fs->v[i].name, "SHA256SUMS"))
			path = fs->v[i].path;
	if (!path || fs_read_small(path, 16u << 20, &sums, &e) ||
	    sign_key_read(&run->cli, "sign-key", &key, &have, &e) || !have ||
	    sign_sums(&key, &sums, &sig, &msig, hex, &e) ||
	    add_own_file(fs, tmpdir, "SHA256SUMS.sig", sig.buf, sig.len, &e) ||
	    add_own_file(fs, tmpdir, "SHA256SUMS.minisig", msig.buf, msig.len, &e))
		check_fail(c, OUTCOME_ERROR, "cannot sign SHA256SUMS: %s",
			   e.len ? e.buf : "no key");
	else
		check_set_message(c, "SHA256SUMS signed with key %s: SHA256SUMS.sig and "
				  "SHA256SUMS.minisig are published after it", hex);
	strbuf_wipe(&key);
	strbuf_release(&sums);
	strbuf_release(&sig);
	strbuf_release(&msig);
	strbuf_release(&e);
}

/* Now, UTC, RFC 3339. */
static void utc_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The build provenance of a release (DIR holds a manifest.json): every
 * file about to be published as a subject, the build from the manifest,
 * this run's builder and times; signed with --sign-key when given.
 * Published as slurm-<version>.intoto.jsonl, after SHA256SUMS.
 */
static void add_provenance(const struct run *run, const char *dir, struct fileset *fs,
			   char **tmpdir, int sign, struct check *c)
{
	struct strbuf path = STRBUF_INIT, man = STRBUF_INIT, e = STRBUF_INIT, st = STRBUF_INIT,
		      pae = STRBUF_INIT, line = STRBUF_INIT, key = STRBUF_INIT, name = STRBUF_INIT,
		      builder = STRBUF_INIT;
	struct prov_subject *subj = xcalloc(fs->nr + 1, sizeof(*subj));
	struct prov_params pp;
	struct json_object *m = NULL, *v;
	unsigned char sig[64];
	char id[17] = "", finished[32];
	const char *job;
	size_t i;
	int have = 0;

	strbuf_addf(&path, "%s/manifest.json", dir);
	if (!fs_is_file(path.buf)) {
		check_set_message(c, "no manifest.json in %s: not a slurm-factory release, no "
				  "provenance", dir);
		goto out;
	}
	if (fs_read_small(path.buf, 64u << 20, &man, &e)) {
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		goto out;
	}
	m = json_tokener_parse(man.buf);
	if (!json_member_str(m, "schema") ||
	    strcmp(json_member_str(m, "schema"), "slurm-factory-manifest/1")) {
		check_set_message(c, "%s is not a slurm-factory manifest: no provenance", path.buf);
		goto out;
	}
	if (!json_object_object_get_ex(m, "version", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    modulefile_check_version(json_object_get_string(v), &e)) {
		check_fail(c, OUTCOME_ERROR, "%s: %s", path.buf,
			   e.len ? e.buf : "no usable version in the manifest");
		goto out;
	}
	strbuf_addf(&name, "slurm-%s.intoto.jsonl", json_object_get_string(v));
	/* every file but an earlier provenance of the same name (this one replaces it) */
	drop_name(fs, name.buf);
	for (i = 0; i < fs->nr; i++) {
		subj[i].name = fs->v[i].name;
		subj[i].sha256 = fs->v[i].sha256;
	}
	prov_builder_id(getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"),
			getenv("GITHUB_RUN_ID"), getenv("CI_JOB_URL"), &builder);
	job = strncmp(builder.buf, "urn:", 4) ? builder.buf : NULL;   /* a CI job: its URL */
	utc_now(finished);
	memset(&pp, 0, sizeof(pp));
	pp.manifest = man.buf;
	pp.subjects = subj;
	pp.nr_subjects = fs->nr;
	pp.tool_version = SF_VERSION;
	pp.builder_id = builder.buf;
	pp.invocation_id = job;
	pp.started = run->report.timestamp;
	pp.finished = finished;
	if (prov_statement(&pp, &st, &e)) {
		check_fail(c, OUTCOME_ERROR, "%s: %s", path.buf, e.buf);
		goto out;
	}
	if (sign) {
		dsse_pae(PROV_PAYLOAD_TYPE, st.buf, st.len, &pae);
		if (sign_key_read(&run->cli, "sign-key", &key, &have, &e) ||
		    (have && sign_bytes(&key, pae.buf, pae.len, sig, id, &e))) {
			check_fail(c, OUTCOME_ERROR, "cannot sign the provenance: %s", e.buf);
			goto out;
		}
	}
	dsse_envelope(&st, have ? sig : NULL, have ? id : NULL, &line);
	if (add_own_file(fs, tmpdir, name.buf, line.buf, line.len, &e)) {
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		goto out;
	}
	if (have)
		check_set_message(c, "%s: %zu subjects, builder %s, signed (DSSE, key %s)", name.buf,
				  fs->nr - 1, builder.buf, id);
	else
		check_set_message(c, "%s: %zu subjects, builder %s, unsigned (no --sign-key)",
				  name.buf, fs->nr - 1, builder.buf);
out:
	if (m)
		json_object_put(m);
	free(subj);
	strbuf_wipe(&key);
	strbuf_release(&path);
	strbuf_release(&man);
	strbuf_release(&e);
	strbuf_release(&st);
	strbuf_release(&pae);
	strbuf_release(&line);
	strbuf_release(&name);
	strbuf_release(&builder);
}

int stage_publish(struct run *run, const void *opts, struct strbuf *err)
{
	const struct publish_stage_opts *o = opts;
	struct fileset fs = { NULL, 0, 0, 0 };
	struct stage_report *s;
	struct check *c;
	struct strbuf e = STRBUF_INIT, targets = STRBUF_INIT;
	const char *dir = run->pipe.nr_args ? run->pipe.args[0] :
			  run->pipe.packaged ? run->pipe.art.dir : NULL;
	char *tmpdir = NULL;
	size_t i;
	int in_pipeline = !run->pipe.nr_args, ok = 1;

	if (!dir) {
		strbuf_addstr(err, "nothing to publish: no earlier stage packaged artifacts");
		return -1;
	}
	s = report_add_stage(&run->report, "publish");
	if (!o->nr_to) {
		stage_skip(s, "no --to URL: nothing is published");
		return 0;
	}
	stage_set_prop(s, "dir", dir);
	for (i = 0; i < o->nr_to; i++) {
		if (i)
			strbuf_addch(&targets, ' ');
		url_redact(&targets, o->to[i]);
	}
	stage_set_prop(s, "targets", targets.buf);

	c = stage_add_check(s, "artifacts");
	if (collect(dir, &fs, &e) || (in_pipeline && add_report(run, &fs, &tmpdir, &e))) {
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		ok = 0;
	} else if (!fs.nr) {
		check_fail(c, OUTCOME_FAIL, "%s holds no file to publish", dir);
		ok = 0;
	} else if (!has_file(&fs, "SHA256SUMS")) {
		size_t listed = fs.nr;

		if (add_sums(&fs, &tmpdir, &e)) {
			check_fail(c, OUTCOME_ERROR, "%s", e.buf);
			ok = 0;
		} else {
			check_set_message(c, "%zu files; %s has no SHA256SUMS: one listing them is "
					  "published with them, last", listed, dir);
			stage_set_prop(s, "sums", "written");
		}
	} else {
		check_sums(dir, &fs, c);
		ok = c->outcome == OUTCOME_PASS;
	}
	check_finish(c);
	if (ok && o->sign) {
		c = stage_add_check(s, "sign");
		sign_published(run, &fs, &tmpdir, c);
		ok = c->outcome == OUTCOME_PASS;
		check_finish(c);
	}
	if (ok) {
		c = stage_add_check(s, "provenance");
		add_provenance(run, dir, &fs, &tmpdir, o->sign, c);
		ok = c->outcome == OUTCOME_PASS;
		check_finish(c);
	}
	if (fs.nr)
		qsort(fs.v, fs.nr, sizeof(*fs.v), cmp_files);
	for (i = 0; i < fs.nr; i++) {
		struct strbuf k = STRBUF_INIT;
		strbuf_addf(&k, "sha256:%s", fs.v[i].name);
		stage_set_prop(s, k.buf, fs.v[i].sha256);
		strbuf_release(&k);
	}
	/* nothing leaves when the files are not what SHA256SUMS says */
	for (i = 0; ok && i < o->nr_to && !signals_interrupted(); i++)
		publish_to(run, s, o->to[i], &o->po, &fs);
	if (ok)
		record_published(&run->pipe, &fs);
	/* kept (and named by the outputs) only when every target has them */
	for (i = 0; ok && i < s->nr_checks; i++)
		ok = s->checks[i]->outcome == OUTCOME_PASS || s->checks[i]->outcome == OUTCOME_SKIPPED;
	if (ok && in_pipeline && !signals_interrupted())
		keep_own_files(run, s, &fs, tmpdir);
	if (signals_interrupted())
		s->interrupted = 1;
	stage_finish(s);
	if (tmpdir)
		fs_rmtree(tmpdir, NULL);
	free(tmpdir);
	fileset_release(&fs);
	strbuf_release(&e);
	strbuf_release(&targets);
	return 0;
}
