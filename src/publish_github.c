/*
 * publish as GitHub release assets: github://owner/repo@tag, token from
 * GITHUB_TOKEN (or GH_TOKEN). The release of `tag` is looked up and
 * created when missing. GitHub refuses an asset whose name exists, so an
 * existing one is deleted first (or kept, when its digest says it holds
 * the same bytes); a 5xx during an upload can leave an empty "starter"
 * asset behind, which is deleted before the retry. The upload's reply
 * must report the local size and state "uploaded".
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "publish.h"
#include "jsonutil.h"

struct github {
	struct strbuf api;            /* https://api.github.com, no trailing '/' */
	struct strbuf repo;           /* owner/repo */
	struct strbuf tag;
	struct strbuf auth;           /* "Authorization: Bearer ..." */
	struct strbuf upload;         /* upload URL without its {?name,label} */
	long long release_id;
};

static int valid_name(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    s[i]))
			return 0;
	return 1;
}

/* GitHub's request, JSON reply in res. */
static int call(struct publisher *p, const char *method, const char *url,
		const char *body, struct http_response *res, struct strbuf *err)
{
	struct github *g = p->state;
	const char *headers[6];
	struct http_request req;

	headers[0] = g->auth.buf;
	headers[1] = "Accept: application/vnd.github+json";
	headers[2] = "X-GitHub-Api-Version: 2022-11-28";
	headers[3] = "User-Agent: slurm-factory";
	headers[4] = body ? "Content-Type: application/json" : NULL;
	headers[5] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	return publish_request(p, &req, res, NULL, NULL, err);
}

static void call_error(struct publisher *p, const char *what, const char *method,
		       const char *url, const struct http_response *res, struct strbuf *err)
{
	struct http_request req;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	publish_http_error(p, what, &req, res, err);
}

static int take_release(struct github *g, const struct strbuf *body, struct strbuf *err)
{
	struct json_object *o = json_tokener_parse(body->buf), *v;
	const char *up, *brace;
	int ret = -1;

	if (!o || !json_object_object_get_ex(o, "id", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		strbuf_addstr(err, "GitHub's release reply has no id");
		goto out;
	}
	g->release_id = json_object_get_int64(v);
	if (!json_object_object_get_ex(o, "upload_url", &v) ||
	    !(up = json_object_get_string(v)) || strncmp(up, "http", 4)) {
		strbuf_addstr(err, "GitHub's release reply has no upload_url");
		goto out;
	}
	brace = strchr(up, '{');
	strbuf_add(&g->upload, up, brace ? (size_t)(brace - up) : strlen(up));
	ret = 0;
out:
	json_object_put(o);
	return ret;
}

static int github_open(struct publisher *p, struct strbuf *err)
{
	struct github *g = xcalloc(1, sizeof(*g));
	const char *spec = p->url + 9, *at = strrchr(spec, '@'), *slash = strchr(spec, '/');
	const char *token = publish_env("GITHUB_TOKEN");
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT;
	struct http_response res;
	struct json_object *o = NULL;
	int ret = -1;

	strbuf_init(&g->api);
	strbuf_init(&g->repo);
	strbuf_init(&g->tag);
	strbuf_init(&g->auth);
	strbuf_init(&g->upload);
	p->state = g;
	http_response_init(&res);
	if (!token)
		token = publish_env("GH_TOKEN");
	publish_add_secret(p, token);
	if (!at || !slash || slash > at || strchr(slash + 1, '/') > at ||
	    !valid_name(spec, (size_t)(slash - spec)) ||
	    !valid_name(slash + 1, (size_t)(at - slash - 1)) || !at[1] ||
	    strspn(at + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+/") !=
		    strlen(at + 1)) {
		strbuf_addstr(err, "a GitHub target is github://OWNER/REPO@TAG");
		goto out;
	}
	if (!token) {
		p->failure = PUBLISH_UNREACHABLE;
		strbuf_addstr(err, "a github:// target needs GITHUB_TOKEN in the environment");
		goto out;
	}
	strbuf_add(&g->repo, spec, (size_t)(at - spec));
	strbuf_addstr(&g->tag, at + 1);
	strbuf_addf(&g->auth, "Authorization: Bearer %s", token);
	strbuf_addstr(&g->api, p->opts.github_api ? p->opts.github_api : "https://api.github.com");
	while (g->api.len && g->api.buf[g->api.len - 1] == '/')
		strbuf_setlen(&g->api, g->api.len - 1);

	strbuf_addf(&url, "%s/repos/%s/releases/tags/", g->api.buf, g->repo.buf);
	http_escape(&url, g->tag.buf);
	if (call(p, "GET", url.buf, NULL, &res, err))
		goto out;
	if (res.status == 404) {
		strbuf_reset(&url);
		strbuf_addf(&url, "%s/repos/%s/releases", g->api.buf, g->repo.buf);
		o = json_object_new_object();
		json_object_object_add(o, "tag_name", json_object_new_string(g->tag.buf));
		json_object_object_add(o, "name", json_object_new_string(g->tag.buf));
		strbuf_addstr(&body, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		if (call(p, "POST", url.buf, body.buf, &res, err))
			goto out;
		if (res.status != 201) {
			call_error(p, "cannot create the release", "POST", url.buf, &res, err);
			goto out;
		}
	} else if (res.status != 200) {
		call_error(p, "cannot look up the release", "GET", url.buf, &res, err);
		goto out;
	}
	if (take_release(g, &res.body, err))
		goto out;
	ret = 0;
out:
	json_object_put(o);
	http_response_release(&res);
	strbuf_release(&url);
	strbuf_release(&body);
	return ret;
}

struct same_name {
	const char *name;
	const char *sha256;           /* keep an asset with this digest, or NULL */
	int kept;                     /* set when such an asset was found */
};

/* GitHub lists at most 100 assets a page and a release holds at most 1000. */
#define ASSETS_PER_PAGE 100
#define MAX_ASSET_PAGES 10

/*
 * Appends to `ids` the assets of page `page` called sn->name (but one holding
 * the same bytes, which sets sn->kept). *more is set when the page was full.
 */
static int list_assets_page(struct publisher *p, struct same_name *sn, int page,
			    long long **ids, size_t *nr, size_t *alloc, int *more)
{
	struct github *g = p->state;
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT, want = STRBUF_INIT;
	struct http_response res;
	struct json_object *arr = NULL;
	size_t i, n;
	int ret = -1;

	http_response_init(&res);
	*more = 0;
	strbuf_addf(&url, "%s/repos/%s/releases/%lld/assets?per_page=%d&page=%d", g->api.buf,
		    g->repo.buf, g->release_id, ASSETS_PER_PAGE, page);
	if (call(p, "GET", url.buf, NULL, &res, &err) || res.status != 200)
		goto out;
	arr = json_tokener_parse(res.body.buf);
	if (!arr || !json_object_is_type(arr, json_type_array))
		goto out;
	if (sn->sha256)
		strbuf_addf(&want, "sha256:%s", sn->sha256);
	n = json_object_array_length(arr);
	*more = n >= ASSETS_PER_PAGE;
	for (i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(arr, i), *v;
		const char *digest = NULL, *state = NULL;

		if (!json_member_str(a, "name") || strcmp(json_member_str(a, "name"), sn->name))
			continue;
		digest = json_member_str(a, "digest");
		state = json_member_str(a, "state");
		if (sn->sha256 && digest && !strcmp(digest, want.buf) && state &&
		    !strcmp(state, "uploaded")) {
			sn->kept = 1;
			continue;
		}
		if (!json_object_object_get_ex(a, "id", &v))
			continue;
		xgrow((void **)ids, alloc, *nr + 1, sizeof(**ids));
		(*ids)[(*nr)++] = (long long)json_object_get_int64(v);
	}
	ret = 0;
out:
	json_object_put(arr);
	http_response_release(&res);
	strbuf_release(&url);
	strbuf_release(&err);
	strbuf_release(&want);
	return ret;
}

/*
 * Deletes every asset called `name` (but one holding the same bytes), on
 * every page of the release's assets: all pages are read first, since a
 * deletion moves the later assets up a page.
 */
static int delete_assets(struct publisher *p, void *ctx)
{
	struct github *g = p->state;
	struct same_name *sn = ctx;
	struct strbuf url = STRBUF_INIT, err = STRBUF_INIT;
	struct http_response res;
	long long *ids = NULL;
	size_t nr = 0, alloc = 0, i;
	int page, more = 1, ret = -1;

	http_response_init(&res);
	sn->kept = 0;
	for (page = 1; more && page <= MAX_ASSET_PAGES; page++)
		if (list_assets_page(p, sn, page, &ids, &nr, &alloc, &more))
			goto out;
	for (i = 0; i < nr; i++) {
		strbuf_reset(&url);
		strbuf_addf(&url, "%s/repos/%s/releases/assets/%lld", g->api.buf,
			    g->repo.buf, ids[i]);
		if (call(p, "DELETE", url.buf, NULL, &res, &err) ||
		    (res.status != 204 && res.status != 404))
			goto out;
	}
	ret = 0;
out:
	free(ids);
	http_response_release(&res);
	strbuf_release(&url);
	strbuf_release(&err);
	return ret;
}

static int github_upload(struct publisher *p, const struct publish_file *f, struct strbuf *err)
{
	struct github *g = p->state;
	struct same_name sn = { f->name, f->sha256, 0 };
	struct strbuf url = STRBUF_INIT;
	const char *headers[6];
	struct http_request req;
	struct http_response res;
	struct json_object *o = NULL, *v;
	long long size = -1;
	const char *state = "";
	int ret = -1;

	http_response_init(&res);
	if (delete_assets(p, &sn)) {
		p->failure = PUBLISH_UNREACHABLE;
		strbuf_addf(err, "cannot list or delete the existing assets named %s "
			    "of release %s", f->name, g->tag.buf);
		goto out;
	}
	if (sn.kept) {
		ret = 0;                  /* the same bytes are there already */
		goto out;
	}
	strbuf_addf(&url, "%s?name=", g->upload.buf);
	http_escape(&url, f->name);
	headers[0] = g->auth.buf;
	headers[1] = "Accept: application/vnd.github+json";
	headers[2] = "X-GitHub-Api-Version: 2022-11-28";
	headers[3] = "User-Agent: slurm-factory";
	headers[4] = "Content-Type: application/octet-stream";
	headers[5] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url.buf;
	req.headers = headers;
	req.body_file = f->path;
	sn.sha256 = NULL;             /* before a retry: delete whatever is there */
	if (publish_request(p, &req, &res, delete_assets, &sn, err))
		goto out;
	if (res.status != 201) {
		publish_http_error(p, "upload refused", &req, &res, err);
		goto out;
	}
	o = json_tokener_parse(res.body.buf);
	if (o && json_object_object_get_ex(o, "size", &v))
		size = json_object_get_int64(v);
	if (o && json_object_object_get_ex(o, "state", &v))
		state = json_object_get_string(v);
	if (size != (long long)f->size || strcmp(state, "uploaded")) {
		p->failure = PUBLISH_REJECTED;
		strbuf_addf(err, "GitHub reports asset %s with %lld bytes, state '%s'; "
			    "%llu bytes were uploaded", f->name, size, state, f->size);
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

static void github_close(struct publisher *p)
{
	struct github *g = p->state;

	publish_release_secret(&g->auth);
	strbuf_release(&g->api);
	strbuf_release(&g->repo);
	strbuf_release(&g->tag);
	strbuf_release(&g->upload);
	free(g);
	p->state = NULL;
}

const struct publish_backend publish_github_backend = {
	"github", github_open, github_upload, github_close,
};
