/*
 * publish as a GitLab generic package: gitlab://PROJECT/PACKAGE@VERSION,
 * PROJECT a numeric id or a path (group/sub/project). Token: CI_JOB_TOKEN
 * (sent as JOB-TOKEN) or else GITLAB_TOKEN (PRIVATE-TOKEN). API root:
 * --gitlab-api, else $CI_API_V4_URL, else gitlab.com's. Uploads to one
 * package version go one after the other (GitLab needs that) and each
 * reply (select=package_file) must report the local size and sha256.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "publish.h"

struct gitlab {
	struct strbuf base;           /* .../projects/ID/packages/generic/PKG/VER/ */
	struct strbuf auth;           /* "JOB-TOKEN: ..." or "PRIVATE-TOKEN: ..." */
};

/* Percent-encodes `s` as one path segment ('/' too, as GitLab wants ids). */
static void escape_segment(struct strbuf *out, const char *s)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t i;

	http_escape(&tmp, s);
	for (i = 0; i < tmp.len; i++) {
		if (tmp.buf[i] == '/')
			strbuf_addstr(out, "%2F");
		else
			strbuf_addch(out, tmp.buf[i]);
	}
	strbuf_release(&tmp);
}

static int gitlab_open(struct publisher *p, struct strbuf *err)
{
	struct gitlab *g = xcalloc(1, sizeof(*g));
	const char *spec = p->url + 9, *at = strrchr(spec, '@'), *slash;
	const char *job = publish_env("CI_JOB_TOKEN"), *priv = publish_env("GITLAB_TOKEN");
	const char *api = p->opts.gitlab_api;
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+~";
	char *project = NULL, *package = NULL;
	int ret = -1;

	strbuf_init(&g->base);
	strbuf_init(&g->auth);
	p->state = g;
	publish_add_secret(p, job);
	publish_add_secret(p, priv);
	slash = at ? memrchr(spec, '/', (size_t)(at - spec)) : NULL;
	if (!at || !slash || slash == spec || !at[1] ||
	    strspn(at + 1, ok) != strlen(at + 1) || at == slash + 1) {
		strbuf_addstr(err, "a GitLab target is gitlab://PROJECT/PACKAGE@VERSION");
		goto out;
	}
	project = xstrndup(spec, (size_t)(slash - spec));
	package = xstrndup(slash + 1, (size_t)(at - slash - 1));
	if (strspn(package, ok) != strlen(package) ||
	    strspn(project, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") !=
		    strlen(project)) {
		strbuf_addstr(err, "a GitLab target is gitlab://PROJECT/PACKAGE@VERSION "
			      "(letters, digits, . _ - + ~)");
		goto out;
	}
	if (job)
		strbuf_addf(&g->auth, "JOB-TOKEN: %s", job);
	else if (priv)
		strbuf_addf(&g->auth, "PRIVATE-TOKEN: %s", priv);
	else {
		p->failure = PUBLISH_UNREACHABLE;
		strbuf_addstr(err, "a gitlab:// target needs CI_JOB_TOKEN or GITLAB_TOKEN "
			      "in the environment");
		goto out;
	}
	if (!api)
		api = publish_env("CI_API_V4_URL");
	if (!api)
		api = "https://gitlab.com/api/v4";
	strbuf_addstr(&g->base, api);
	while (g->base.len && g->base.buf[g->base.len - 1] == '/')
		strbuf_setlen(&g->base, g->base.len - 1);
	strbuf_addstr(&g->base, "/projects/");
	escape_segment(&g->base, project);
	strbuf_addstr(&g->base, "/packages/generic/");
	escape_segment(&g->base, package);
	strbuf_addch(&g->base, '/');
	escape_segment(&g->base, at + 1);
	strbuf_addch(&g->base, '/');
	ret = 0;
out:
	free(project);
	free(package);
	return ret;
}

static int gitlab_upload(struct publisher *p, const struct publish_file *f, struct strbuf *err)
{
	struct gitlab *g = p->state;
	struct strbuf url = STRBUF_INIT;
	const char *headers[4] = { NULL, "Content-Type: application/octet-stream",
				   "User-Agent: slurm-factory", NULL };
	struct http_request req;
	struct http_response res;
	struct json_object *o = NULL, *v;
	long long size = -1;
	const char *sha = "";
	int ret = -1;

	http_response_init(&res);
	headers[0] = g->auth.buf;
	strbuf_addstr(&url, g->base.buf);
	escape_segment(&url, f->name);
	strbuf_addstr(&url, "?select=package_file");
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = url.buf;
	req.headers = headers;
	req.body_file = f->path;
	if (publish_request(p, &req, &res, NULL, NULL, err))
		goto out;
	if (res.status != 201 && res.status != 200) {
		publish_http_error(p, "upload refused", &req, &res, err);
		goto out;
	}
	o = json_tokener_parse(res.body.buf);
	if (o && json_object_object_get_ex(o, "size", &v))
		size = json_object_get_int64(v);
	if (o && json_object_object_get_ex(o, "file_sha256", &v) &&
	    json_object_get_string(v))
		sha = json_object_get_string(v);
	if (size != (long long)f->size || strcmp(sha, f->sha256)) {
		p->failure = PUBLISH_REJECTED;
		strbuf_addf(err, "GitLab reports %s with %lld bytes, sha256 '%s'; uploaded "
			    "%llu bytes, sha256 %s", f->name, size, sha, f->size, f->sha256);
		goto out;
	}
	p->failure = PUBLISH_OK;
	ret = 0;
out:
	json_object_put(o);
	http_response_release(&res);
	strbuf_release(&url);
	return ret;
}

static void gitlab_close(struct publisher *p)
{
	struct gitlab *g = p->state;

	publish_release_secret(&g->auth);
	strbuf_release(&g->base);
	free(g);
	p->state = NULL;
}

const struct publish_backend publish_gitlab_backend = {
	"gitlab", gitlab_open, gitlab_upload, gitlab_close,
};
