#include "lxd.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "signals.h"

static void strbuf_addbuf_compat(struct strbuf *to, const struct strbuf *from)
{
	strbuf_add(to, from->buf, from->len);
}

/* ---- envelopes ---------------------------------------------------------- */

void lxd_envelope_init(struct lxd_envelope *env)
{
	memset(env, 0, sizeof(*env));
}

void lxd_envelope_release(struct lxd_envelope *env)
{
	free(env->error);
	free(env->operation);
	if (env->metadata)
		json_object_put(env->metadata);
	memset(env, 0, sizeof(*env));
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int get_long(struct json_object *o, const char *key, long *out)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = (long)json_object_get_int64(v);
	return 0;
}

static struct json_object *get_obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

int lxd_parse_envelope(const char *buf, size_t len, long http_status,
		       struct lxd_envelope *env, struct strbuf *err)
{
	struct json_tokener *tok = NULL;
	struct json_object *root = NULL, *md;
	enum json_tokener_error jerr;
	const char *type;
	int ret = -1;

	lxd_envelope_release(env);
	env->http_status = http_status;
	if (!len) {
		strbuf_addf(err, "empty reply (HTTP %ld)", http_status);
		goto out;
	}
	if (len > (size_t)0x7fffffff) {
		strbuf_addstr(err, "reply too large");
		goto out;
	}
	tok = json_tokener_new();
	if (!tok) {
		strbuf_addstr(err, "out of memory");
		goto out;
	}
	root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		strbuf_addf(err, "truncated reply (HTTP %ld, %zu bytes)", http_status, len);
		goto out;
	}
	if (!root || jerr != json_tokener_success) {
		strbuf_addf(err, "reply is not JSON (HTTP %ld): %s", http_status,
			    json_tokener_error_desc(jerr));
		goto out;
	}
	/* whatever follows the object may only be white space */
	{
		size_t off = json_tokener_get_parse_end(tok);
		for (; off < len; off++)
			if (!strchr(" \t\r\n", buf[off])) {
				strbuf_addf(err, "trailing data after the reply (HTTP %ld)",
					    http_status);
				goto out;
			}
	}
	if (!json_object_is_type(root, json_type_object)) {
		strbuf_addf(err, "reply is not a JSON object (HTTP %ld)", http_status);
		goto out;
	}
	type = get_str(root, "type");
	if (!type) {
		strbuf_addf(err, "reply has no type (HTTP %ld)", http_status);
		goto out;
	}
	if (!strcmp(type, "sync")) {
		env->type = LXD_REPLY_SYNC;
	} else if (!strcmp(type, "async")) {
		env->type = LXD_REPLY_ASYNC;
	} else if (!strcmp(type, "error")) {
		env->type = LXD_REPLY_ERROR;
	} else {
		strbuf_addf(err, "reply has an unknown type (HTTP %ld)", http_status);
		goto out;
	}
	get_long(root, "status_code", &env->status_code);
	get_long(root, "error_code", &env->error_code);
	if (env->type == LXD_REPLY_ERROR) {
		const char *e = get_str(root, "error");
		env->error = xstrdup(e && *e ? e : "unspecified error");
		if (!env->error_code)
			env->error_code = http_status;
	}
	if (env->type == LXD_REPLY_ASYNC) {
		const char *op = get_str(root, "operation");
		if (!op || strncmp(op, "/1.0/operations/", 16) || !op[16] ||
		    strchr(op + 16, '/') || strchr(op + 16, '?')) {
			strbuf_addf(err, "async reply without a valid operation (HTTP %ld)",
				    http_status);
			goto out;
		}
		env->operation = xstrdup(op);
	}
	if (json_object_object_get_ex(root, "metadata", &md) && md)
		env->metadata = json_object_get(md);
	ret = 0;
out:
	if (ret)
		lxd_envelope_release(env);
	if (root)
		json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	return ret;
}

void lxd_operation_init(struct lxd_operation *op)
{
	memset(op, 0, sizeof(*op));
}

void lxd_operation_release(struct lxd_operation *op)
{
	free(op->id);
	free(op->status);
	free(op->err);
	free(op->stdout_log);
	free(op->stderr_log);
	free(op->fingerprint);
	memset(op, 0, sizeof(*op));
}

int lxd_parse_operation(const struct lxd_envelope *env, struct lxd_operation *op,
			struct strbuf *err)
{
	struct json_object *o = env->metadata, *md, *output;
	const char *s;
	long code;

	lxd_operation_release(op);
	if (!o || !json_object_is_type(o, json_type_object) ||
	    get_long(o, "status_code", &op->status_code) || !get_str(o, "status")) {
		strbuf_addstr(err, "reply does not hold an operation");
		return -1;
	}
	op->status = xstrdup(get_str(o, "status"));
	if ((s = get_str(o, "id")))
		op->id = xstrdup(s);
	if ((s = get_str(o, "err")) && *s)
		op->err = xstrdup(s);
	md = get_obj(o, "metadata");
	if (md) {
		if (!get_long(md, "return", &code)) {
			op->has_return = 1;
			op->return_code = (int)code;
		}
		output = get_obj(md, "output");
		if ((s = get_str(output, "1")))
			op->stdout_log = xstrdup(s);
		if ((s = get_str(output, "2")))
			op->stderr_log = xstrdup(s);
		if ((s = get_str(md, "fingerprint")))
			op->fingerprint = xstrdup(s);
	}
	return 0;
}

int lxd_operation_done(const struct lxd_operation *op)
{
	/* 100 created, 101 started, 102 stopped?, 103 running, 105 pending, 106 cancelling */
	return op->status_code >= 200;
}

/* ---- connection --------------------------------------------------------- */

static const char *error_hint(long code)
{
	switch (code) {
	case 400: return "bad request";
	case 403: return "forbidden (is the client certificate trusted?)";
	case 404: return "not found";
	case 409: return "conflict (already exists?)";
	case 412: return "precondition failed";
	case 500: return "LXD internal error";
	case 503: return "LXD unavailable";
	default: return NULL;
	}
}

static void add_lxd_error(struct strbuf *err, const char *what,
			  const struct lxd_envelope *env)
{
	const char *hint = error_hint(env->error_code);

	strbuf_addf(err, "%s: LXD: %s", what, env->error);
	if (hint)
		strbuf_addf(err, " [%ld %s]", env->error_code, hint);
	else
		strbuf_addf(err, " [%ld]", env->error_code);
}

int lxd_find_socket(const char *given, struct strbuf *out, struct strbuf *err)
{
	const char *env = getenv("LXD_SOCKET"), *dir = getenv("LXD_DIR");
	struct strbuf tried = STRBUF_INIT;
	const char *places[] = { LXD_SNAP_SOCKET, LXD_DEFAULT_DIR "/unix.socket" };
	struct stat st;
	size_t i;

	strbuf_reset(out);
	/* named by the user: that one, or an error */
	if ((given && *given) || (env && *env)) {
		strbuf_addstr(out, given && *given ? given : env);
		if (!stat(out->buf, &st) && S_ISSOCK(st.st_mode))
			return 0;
		strbuf_addf(err, "LXD is not running: no socket at %s (from %s)", out->buf,
			    given && *given ? "--lxd-socket" : "LXD_SOCKET");
		return -1;
	}
	if (dir && *dir) {
		strbuf_addf(out, "%s/unix.socket", dir);
		if (!stat(out->buf, &st) && S_ISSOCK(st.st_mode))
			return 0;
		strbuf_addf(&tried, "%s (LXD_DIR)", out->buf);
	}
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		strbuf_reset(out);
		strbuf_addstr(out, places[i]);
		if (!stat(out->buf, &st) && S_ISSOCK(st.st_mode)) {
			strbuf_release(&tried);
			return 0;
		}
		strbuf_addf(&tried, "%s%s", tried.len ? ", " : "", places[i]);
	}
	strbuf_addf(err, "LXD is not running: no socket at %s (give --lxd-socket PATH, or "
		    "start it: scripts/lxd-setup.sh, or snap install lxd)", tried.buf);
	strbuf_release(&tried);
	return -1;
}

int lxd_connect(struct lxd *lxd, const struct lxd_opts *opts, struct strbuf *err)
{
	struct http_client_opts ho;
	struct lxd_envelope env;
	struct strbuf sock = STRBUF_INIT;
	const char *auth, *ver;
	int ret = -1;

	memset(lxd, 0, sizeof(*lxd));
	memset(&ho, 0, sizeof(ho));
	lxd_envelope_init(&env);
	lxd->op_timeout = opts->op_timeout > 0 ? opts->op_timeout : 600;
	lxd->wait_step = opts->wait_step ? opts->wait_step : 2;
	lxd->pool = xstrdup(opts->pool && *opts->pool ? opts->pool : "default");
	if (opts->remote && *opts->remote) {
		size_t n = strlen(opts->remote);
		if (strncmp(opts->remote, "https://", 8)) {
			strbuf_addstr(err, "an LXD remote must be an https:// URL");
			goto out;
		}
		if (!opts->client_cert || !opts->client_key) {
			strbuf_addstr(err, "an HTTPS LXD remote needs a client certificate "
					   "and key (--lxd-client-cert, --lxd-client-key)");
			goto out;
		}
		while (n > 8 && opts->remote[n - 1] == '/')
			n--;
		lxd->base = xstrndup(opts->remote, n);
		ho.client_cert = opts->client_cert;
		ho.client_key = opts->client_key;
		ho.ca_file = opts->server_cert;
	} else {
		if (lxd_find_socket(opts->socket_path, &sock, err))
			goto out;
		lxd->base = xstrdup("http://lxd");
		ho.unix_socket = sock.buf;
	}
	ho.connect_timeout_ms = 10000;
	if (http_client_init(&lxd->http, &ho, err))
		goto out;
	if (lxd_call(lxd, "GET", "/1.0", NULL, 0, &env, NULL, err))
		goto out;
	auth = get_str(env.metadata, "auth");
	if (!auth || strcmp(auth, "trusted")) {
		strbuf_addf(err, "LXD at %s does not trust this client (auth: %s); "
			    "add the certificate with 'lxc config trust add'",
			    opts->remote && *opts->remote ? lxd->base : sock.buf,
			    auth ? auth : "none");
		goto out;
	}
	ver = get_str(get_obj(env.metadata, "environment"), "server_version");
	lxd->server_version = xstrdup(ver ? ver : "unknown");
	ret = 0;
out:
	lxd_envelope_release(&env);
	strbuf_release(&sock);
	return ret;
}

void lxd_release(struct lxd *lxd)
{
	http_client_release(&lxd->http);
	free(lxd->base);
	free(lxd->pool);
	free(lxd->server_version);
	memset(lxd, 0, sizeof(*lxd));
}

struct raw_request {
	const char *method;
	const char *path;          /* API path, may hold a query */
	const char *const *headers;
	const char *body;
	size_t body_len;
	const char *body_file;
	const char *out_file;
	long timeout_ms;
	int interruptible;
};

static int raw(struct lxd *lxd, const struct raw_request *rr,
	       struct http_response *res, struct strbuf *err)
{
	struct strbuf url = STRBUF_INIT;
	struct http_request req;
	size_t mark;
	int ret;

	strbuf_addf(&url, "%s%s", lxd->base, rr->path);
	memset(&req, 0, sizeof(req));
	req.method = rr->method;
	req.url = url.buf;
	req.headers = rr->headers;
	req.body = rr->body;
	req.body_len = rr->body_len;
	req.body_file = rr->body_file;
	req.out_file = rr->out_file;
	req.timeout_ms = rr->timeout_ms ? rr->timeout_ms : 120000;
	req.interruptible = rr->interruptible;
	lxd->nr_requests++;
	mark = err->len;
	ret = http_request(&lxd->http, &req, res, err);
	/*
	 * No HTTP status at all: the daemon did not answer (stopped, gone,
	 * restarting). Say so, and where, before the transport's own words;
	 * errors about local files (no "METHOD URL: " prefix) stay as they are.
	 */
	if (ret && !res->status && !res->interrupted &&
	    !strncmp(err->buf + mark, rr->method, strlen(rr->method)) &&
	    err->buf[mark + strlen(rr->method)] == ' ') {
		struct strbuf m = STRBUF_INIT;

		strbuf_addf(&m, "LXD at %s did not answer: %s",
			    lxd->http.opts.unix_socket ? lxd->http.opts.unix_socket : lxd->base,
			    err->buf + mark);
		strbuf_setlen(err, mark);
		strbuf_add(err, m.buf, m.len);
		strbuf_release(&m);
	}
	strbuf_release(&url);
	return ret;
}

/* Sends a request whose reply is an envelope; fills `env` (error ones too). */
static int call_envelope(struct lxd *lxd, const struct raw_request *rr,
			 struct lxd_envelope *env, struct strbuf *err)
{
	struct http_response res;
	struct strbuf what = STRBUF_INIT;
	int ret = -1;

	http_response_init(&res);
	strbuf_addf(&what, "%s %s", rr->method, rr->path);
	if (raw(lxd, rr, &res, err))
		goto out;
	if (lxd_parse_envelope(res.body.buf, res.body.len, res.status, env, err)) {
		struct strbuf m = STRBUF_INIT;
		strbuf_addf(&m, "%s: %s", what.buf, err->buf);
		strbuf_reset(err);
		strbuf_addstr(err, m.buf);
		strbuf_release(&m);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&what);
	http_response_release(&res);
	return ret;
}

static const char *op_id_of(const char *operation)
{
	const char *slash = strrchr(operation, '/');

	return slash ? slash + 1 : operation;
}

int lxd_wait(struct lxd *lxd, const char *id, double deadline,
	     struct lxd_operation *op, struct strbuf *err)
{
	struct lxd_envelope env;
	struct lxd_operation local;
	struct lxd_operation *o;
	struct raw_request rr;
	struct strbuf path = STRBUF_INIT;
	double start = monotonic_now(), left;
	unsigned step;
	int ret = -1;

	lxd_envelope_init(&env);
	lxd_operation_init(&local);
	o = op ? op : &local;
	if (deadline <= 0)
		deadline = lxd->op_timeout;
	for (;;) {
		if (!lxd->ignore_signals && signals_interrupted()) {
			strbuf_addf(err, "interrupted while waiting for operation %s", id);
			goto out;
		}
		left = deadline - (monotonic_now() - start);
		if (left <= 0) {
			strbuf_addf(err, "operation %s still running after %.0f s", id,
				    deadline);
			goto out;
		}
		step = lxd->wait_step;
		if (left < step)
			step = (unsigned)left + 1;
		strbuf_reset(&path);
		strbuf_addf(&path, "/1.0/operations/%s/wait?timeout=%u", id, step);
		memset(&rr, 0, sizeof(rr));
		rr.method = "GET";
		rr.path = path.buf;
		rr.timeout_ms = (long)(step + 30) * 1000;
		rr.interruptible = !lxd->ignore_signals;
		if (call_envelope(lxd, &rr, &env, err))
			goto out;
		if (env.type == LXD_REPLY_ERROR) {
			if (env.error_code == 404)
				strbuf_addf(err, "operation %s vanished before its result "
					    "was read (LXD: %s)", id, env.error);
			else
				add_lxd_error(err, "waiting for an operation", &env);
			goto out;
		}
		if (lxd_parse_operation(&env, o, err))
			goto out;
		if (lxd_operation_done(o))
			break;
	}
	if (o->status_code != 200) {
		strbuf_addf(err, "operation %s: %s", o->status,
			    o->err ? o->err : "no reason given");
		goto out;
	}
	ret = 0;
out:
	lxd_envelope_release(&env);
	lxd_operation_release(&local);
	strbuf_release(&path);
	return ret;
}

static int call_full(struct lxd *lxd, const struct raw_request *rr, double deadline,
		     struct lxd_envelope *env, struct lxd_operation *op,
		     struct strbuf *err)
{
	struct lxd_envelope local;
	struct lxd_envelope *e;
	struct strbuf what = STRBUF_INIT;
	char *id = NULL;
	int ret = -1;

	lxd_envelope_init(&local);
	e = env ? env : &local;
	strbuf_addf(&what, "%s %s", rr->method, rr->path);
	if (call_envelope(lxd, rr, e, err))
		goto out;
	if (e->type == LXD_REPLY_ERROR) {
		add_lxd_error(err, what.buf, e);
		goto out;
	}
	if (e->type == LXD_REPLY_ASYNC) {
		struct strbuf m = STRBUF_INIT;
		id = xstrdup(op_id_of(e->operation));
		if (lxd_wait(lxd, id, deadline, op, &m)) {
			strbuf_addf(err, "%s: %s", what.buf, m.buf);
			strbuf_release(&m);
			goto out;
		}
		strbuf_release(&m);
	}
	ret = 0;
out:
	free(id);
	lxd_envelope_release(&local);
	strbuf_release(&what);
	return ret;
}

int lxd_call(struct lxd *lxd, const char *method, const char *path,
	     const char *body, double deadline, struct lxd_envelope *env,
	     struct lxd_operation *op, struct strbuf *err)
{
	static const char *const json_hdr[] = { "Content-Type: application/json", NULL };
	struct raw_request rr;

	memset(&rr, 0, sizeof(rr));
	rr.method = method;
	rr.path = path;
	if (body) {
		rr.headers = json_hdr;
		rr.body = body;
		rr.body_len = strlen(body);
	}
	return call_full(lxd, &rr, deadline, env, op, err);
}

/*
 * GET `path` into the file `local` (created or truncated); a reply other
 * than 200 is an error naming `what` (and the file is removed).
 */
static int get_to_file(struct lxd *lxd, const char *path, const char *local, const char *what,
		       struct strbuf *err)
{
	struct http_response res;
	struct raw_request rr;
	int ret = -1;

	http_response_init(&res);
	memset(&rr, 0, sizeof(rr));
	rr.method = "GET";
	rr.path = path;
	rr.out_file = local;
	rr.timeout_ms = 30L * 60 * 1000;
	rr.interruptible = 1;
	if (raw(lxd, &rr, &res, err))
		goto out;
	if (res.status != 200) {
		struct strbuf body = STRBUF_INIT;
		struct lxd_envelope env;
		FILE *f = fopen(local, "rb");
		char buf[4096];
		size_t n;

		lxd_envelope_init(&env);
		while (f && body.len < 65536 && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			strbuf_add(&body, buf, n);
		if (f)
			fclose(f);
		unlink(local);
		if (!lxd_parse_envelope(body.buf, body.len, res.status, &env, err) &&
		    env.type == LXD_REPLY_ERROR)
			add_lxd_error(err, what, &env);
		else
			strbuf_addf(err, "%s: HTTP %ld", what, res.status);
		lxd_envelope_release(&env);
		strbuf_release(&body);
		goto out;
	}
	ret = 0;
out:
	http_response_release(&res);
	return ret;
}

/* ---- images ------------------------------------------------------------- */

static void alias_path(struct strbuf *p, const char *alias)
{
	strbuf_addstr(p, "/1.0/images/aliases/");
	http_escape(p, alias);
}

/*
 * GET `path` (an object that may not exist) into `env` (released by the
 * caller). 0 when LXD answered: env->type is LXD_REPLY_SYNC when the object
 * exists, ERROR (404) when not; -1 with `err` (naming `what`) on any other
 * failure.
 */
static int get_maybe(struct lxd *lxd, const char *path, const char *what,
		     struct lxd_envelope *env, struct strbuf *err)
{
	struct raw_request rr;

	memset(&rr, 0, sizeof(rr));
	rr.method = "GET";
	rr.path = path;
	if (call_envelope(lxd, &rr, env, err))
		return -1;
	if (env->type == LXD_REPLY_ERROR && env->error_code != 404) {
		add_lxd_error(err, what, env);
		return -1;
	}
	return 0;
}

/* get_maybe() of an image alias. */
static int get_alias(struct lxd *lxd, const char *alias, struct lxd_envelope *env,
		     struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	int ret;

	alias_path(&p, alias);
	ret = get_maybe(lxd, p.buf, "looking up an image alias", env, err);
	strbuf_release(&p);
	return ret;
}

int lxd_image_exists(struct lxd *lxd, const char *alias, int *exists,
		     struct strbuf *err)
{
	struct lxd_envelope env;
	int ret;

	lxd_envelope_init(&env);
	ret = get_alias(lxd, alias, &env, err);
	if (!ret)
		*exists = env.type == LXD_REPLY_SYNC;
	lxd_envelope_release(&env);
	return ret;
}

/*
 * "/1.0/images/<fingerprint>" of the image `alias` points at, appended to
 * `path`; -1 with `err` when there is no such image.
 */
static int image_path(struct lxd *lxd, const char *alias, struct strbuf *path,
		      struct strbuf *err)
{
	struct lxd_envelope env;
	const char *fp;
	int ret = -1;

	lxd_envelope_init(&env);
	if (get_alias(lxd, alias, &env, err))
		goto out;
	if (env.type != LXD_REPLY_SYNC || !(fp = get_str(env.metadata, "target"))) {
		strbuf_addf(err, "no image '%s' in LXD", alias);
		goto out;
	}
	strbuf_addf(path, "/1.0/images/%s", fp);
	ret = 0;
out:
	lxd_envelope_release(&env);
	return ret;
}

int lxd_image_property(struct lxd *lxd, const char *alias, const char *key,
		       struct strbuf *value, struct strbuf *err)
{
	struct lxd_envelope img;
	struct strbuf p = STRBUF_INIT;
	struct raw_request rr;
	struct json_object *props, *v;
	int ret = -1;

	strbuf_reset(value);
	lxd_envelope_init(&img);
	if (image_path(lxd, alias, &p, err))
		goto out;
	memset(&rr, 0, sizeof(rr));
	rr.method = "GET";
	rr.path = p.buf;
	if (call_envelope(lxd, &rr, &img, err))
		goto out;
	if (img.type != LXD_REPLY_SYNC) {
		add_lxd_error(err, "reading an image", &img);
		goto out;
	}
	if (img.metadata && json_object_object_get_ex(img.metadata, "properties", &props) &&
	    json_object_object_get_ex(props, key, &v) && json_object_is_type(v, json_type_string))
		strbuf_addstr(value, json_object_get_string(v));
	ret = 0;
out:
	lxd_envelope_release(&img);
	strbuf_release(&p);
	return ret;
}

int lxd_image_import(struct lxd *lxd, const char *tarball, const char *alias,
		     struct strbuf *err)
{
	static const char *const hdrs[] = {
		"Content-Type: application/octet-stream", NULL };
	struct lxd_operation op;
	struct raw_request rr;
	struct json_object *body = NULL;
	struct strbuf p = STRBUF_INIT;
	int exists = 0, ret = -1;

	lxd_operation_init(&op);
	memset(&rr, 0, sizeof(rr));
	rr.method = "POST";
	rr.path = "/1.0/images";
	rr.headers = hdrs;
	rr.body_file = tarball;
	rr.timeout_ms = 30L * 60 * 1000;
	if (call_full(lxd, &rr, 0, NULL, &op, err))
		goto out;
	if (!op.fingerprint) {
		strbuf_addstr(err, "image import: LXD returned no fingerprint");
		goto out;
	}
	if (lxd_image_exists(lxd, alias, &exists, err))
		goto out;
	body = json_object_new_object();
	json_object_object_add(body, "target", json_object_new_string(op.fingerprint));
	if (exists) {
		alias_path(&p, alias);
		ret = lxd_call(lxd, "PUT", p.buf,
			       json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
			       0, NULL, NULL, err);
	} else {
		json_object_object_add(body, "name", json_object_new_string(alias));
		ret = lxd_call(lxd, "POST", "/1.0/images/aliases",
			       json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
			       0, NULL, NULL, err);
	}
out:
	if (body)
		json_object_put(body);
	lxd_operation_release(&op);
	strbuf_release(&p);
	return ret;
}

int lxd_image_export(struct lxd *lxd, const char *alias, const char *tarball,
		     struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT, what = STRBUF_INIT;
	int ret = -1;

	if (!image_path(lxd, alias, &p, err)) {
		strbuf_addstr(&p, "/export");
		strbuf_addf(&what, "exporting the image %s", alias);
		ret = get_to_file(lxd, p.buf, tarball, what.buf, err);
	}
	strbuf_release(&p);
	strbuf_release(&what);
	return ret;
}

int lxd_image_delete(struct lxd *lxd, const char *alias, struct strbuf *err)
{
	struct lxd_envelope env;
	struct strbuf p = STRBUF_INIT;
	const char *fp;
	int ret = -1;

	lxd_envelope_init(&env);
	if (get_alias(lxd, alias, &env, err))
		goto out;
	if (env.type != LXD_REPLY_SYNC) {
		ret = 0; /* no such alias: nothing to delete */
		goto out;
	}
	fp = get_str(env.metadata, "target");
	if (!fp) {
		strbuf_addstr(err, "image alias without a target");
		goto out;
	}
	strbuf_reset(&p);
	strbuf_addstr(&p, "/1.0/images/");
	http_escape(&p, fp);
	ret = lxd_call(lxd, "DELETE", p.buf, NULL, 0, NULL, NULL, err);
out:
	lxd_envelope_release(&env);
	strbuf_release(&p);
	return ret;
}

/* ---- containers --------------------------------------------------------- */

static void instance_path(struct strbuf *p, const char *name, const char *rest)
{
	strbuf_addstr(p, "/1.0/instances/");
	http_escape(p, name);
	if (rest)
		strbuf_addstr(p, rest);
}

static int valid_name(const char *name, struct strbuf *err)
{
	const char *p;

	if (!*name || strlen(name) > 63 || *name == '-')
		goto bad;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			goto bad;
	return 0;
bad:
	strbuf_addf(err, "'%s' is not a valid container name", name);
	return -1;
}

int lxd_launch(struct lxd *lxd, const struct lxd_launch *l, struct strbuf *err)
{
	struct json_object *body, *src, *cfg, *devs, *dev;
	struct strbuf p = STRBUF_INIT;
	struct strbuf ignored = STRBUF_INIT;
	const char *const *kv;
	size_t i;
	int ret = -1;

	if (valid_name(l->name, err))
		return -1;
	if (l->nr_disks && lxd_is_remote(lxd)) {
		strbuf_addf(err, "container %s: a remote LXD server (%s) cannot see this "
			    "machine's directories; host-path disk devices (%s) are refused for "
			    "a remote", l->name, lxd->base, l->disks[0].source);
		return -1;
	}
	body = json_object_new_object();
	json_object_object_add(body, "name", json_object_new_string(l->name));
	json_object_object_add(body, "type", json_object_new_string("container"));
	src = json_object_new_object();
	json_object_object_add(src, "type", json_object_new_string("image"));
	json_object_object_add(src, "alias", json_object_new_string(l->image));
	json_object_object_add(body, "source", src);
	/* no profile: nothing a server's default profile holds (a NIC) applies */
	json_object_object_add(body, "profiles", json_object_new_array());
	json_object_object_add(body, "ephemeral", json_object_new_boolean(l->ephemeral));
	cfg = json_object_new_object();
	for (kv = l->config; kv && *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		char *key;
		if (!eq) {
			strbuf_addf(err, "config entry '%s' is not key=value", *kv);
			goto out;
		}
		key = xstrndup(*kv, (size_t)(eq - *kv));
		json_object_object_add(cfg, key, json_object_new_string(eq + 1));
		free(key);
	}
	if (l->privileged)
		json_object_object_add(cfg, "security.privileged",
				       json_object_new_string("true"));
	json_object_object_add(body, "config", cfg);
	devs = json_object_new_object();
	dev = json_object_new_object();
	json_object_object_add(dev, "type", json_object_new_string("disk"));
	json_object_object_add(dev, "path", json_object_new_string("/"));
	json_object_object_add(dev, "pool", json_object_new_string(lxd->pool));
	if (l->root_size)
		json_object_object_add(dev, "size", json_object_new_string(l->root_size));
	json_object_object_add(devs, "root", dev);
	for (i = 0; i < l->nr_volumes; i++) {
		const struct lxd_volume_dev *v = &l->volumes[i];
		dev = json_object_new_object();
		json_object_object_add(dev, "type", json_object_new_string("disk"));
		json_object_object_add(dev, "pool", json_object_new_string(lxd->pool));
		json_object_object_add(dev, "source", json_object_new_string(v->volume));
		json_object_object_add(dev, "path", json_object_new_string(v->path));
		json_object_object_add(devs, v->name, dev);
	}
	for (i = 0; i < l->nr_disks; i++) {
		const struct lxd_disk *d = &l->disks[i];
		dev = json_object_new_object();
		json_object_object_add(dev, "type", json_object_new_string("disk"));
		json_object_object_add(dev, "source", json_object_new_string(d->source));
		json_object_object_add(dev, "path", json_object_new_string(d->path));
		if (d->readonly)
			json_object_object_add(dev, "readonly", json_object_new_string("true"));
		json_object_object_add(devs, d->name, dev);
	}
	json_object_object_add(body, "devices", devs);
	strbuf_addstr(&p, "/1.0/instances");
	if (l->target) {
		strbuf_addstr(&p, "?target=");
		http_escape(&p, l->target);
	}
	if (lxd_call(lxd, "POST", p.buf,
		     json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
		     0, NULL, NULL, err))
		goto out;
	strbuf_reset(&p);
	instance_path(&p, l->name, "/state");
	if (lxd_call(lxd, "PUT", p.buf, "{\"action\":\"start\",\"timeout\":60}",
		     0, NULL, NULL, err)) {
		if (!l->privileged)
			strbuf_addstr(err, " (the container is unprivileged: where this server "
					   "cannot run unprivileged containers, --lxd-privileged "
					   "runs it as root of the host; see docs/lxd.md)");
		lxd_delete(lxd, l->name, &ignored);
		goto out;
	}
	ret = 0;
out:
	json_object_put(body);
	strbuf_release(&p);
	strbuf_release(&ignored);
	return ret;
}

int lxd_delete(struct lxd *lxd, const char *name, struct strbuf *err)
{
	struct lxd_envelope env;
	struct strbuf p = STRBUF_INIT, m = STRBUF_INIT;
	struct raw_request rr;
	int tries, ret = -1, saved = lxd->ignore_signals;

	lxd_envelope_init(&env);
	if (valid_name(name, err))
		return -1;
	/* clean-up runs after an interruption too: finish it */
	lxd->ignore_signals = 1;
	for (tries = 0; tries < 20; tries++) {
		strbuf_reset(&p);
		instance_path(&p, name, NULL);
		memset(&rr, 0, sizeof(rr));
		rr.method = "GET";
		rr.path = p.buf;
		strbuf_reset(&m);
		if (call_envelope(lxd, &rr, &env, &m))
			goto retry;
		if (env.type == LXD_REPLY_ERROR && env.error_code == 404) {
			ret = 0;
			goto out;
		}
		if (env.type == LXD_REPLY_SYNC) {
			const char *status = get_str(env.metadata, "status");
			if (status && strcmp(status, "Stopped")) {
				strbuf_addstr(&p, "/state");
				/* an ephemeral container is gone once stopped */
				lxd_call(lxd, "PUT", p.buf,
					 "{\"action\":\"stop\",\"force\":true,\"timeout\":30}",
					 0, NULL, NULL, &m);
				continue;
			}
			strbuf_reset(&m);
			if (!lxd_call(lxd, "DELETE", p.buf, NULL, 0, NULL, NULL, &m)) {
				ret = 0;
				goto out;
			}
		}
retry:
		/* stop/delete race with LXD's own ephemeral clean-up: try again */
		usleep(200 * 1000);
	}
	strbuf_addf(err, "cannot delete container %s: %s", name,
		    m.len ? m.buf : "it is still there");
out:
	lxd->ignore_signals = saved;
	lxd_envelope_release(&env);
	strbuf_release(&p);
	strbuf_release(&m);
	return ret;
}

void lxd_exec_result_init(struct lxd_exec_result *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->out);
	strbuf_init(&r->errout);
}

void lxd_exec_result_release(struct lxd_exec_result *r)
{
	strbuf_release(&r->out);
	strbuf_release(&r->errout);
}

/* Reads one recorded log file into `out`, then deletes it. */
static int fetch_log(struct lxd *lxd, const char *path, struct strbuf *out,
		     struct strbuf *err)
{
	struct http_response res;
	struct raw_request rr;
	int ret = -1;

	http_response_init(&res);
	if (strncmp(path, "/1.0/instances/", 15) || strstr(path, "..")) {
		strbuf_addf(err, "unexpected log path from LXD: %s", path);
		goto out;
	}
	memset(&rr, 0, sizeof(rr));
	rr.method = "GET";
	rr.path = path;
	if (raw(lxd, &rr, &res, err))
		goto out;
	if (res.status != 200) {
		strbuf_addf(err, "GET %s: HTTP %ld", path, res.status);
		goto out;
	}
	strbuf_add(out, res.body.buf, res.body.len);
	ret = lxd_call(lxd, "DELETE", path, NULL, 0, NULL, NULL, err);
out:
	http_response_release(&res);
	return ret;
}

int lxd_exec(struct lxd *lxd, const char *name, const struct lxd_exec *x,
	     struct lxd_exec_result *r, struct strbuf *err)
{
	struct json_object *body, *cmd, *env;
	struct lxd_operation op;
	struct strbuf p = STRBUF_INIT, m = STRBUF_INIT;
	char *const *a;
	double start = monotonic_now(), deadline;
	int ret = -1;

	lxd_operation_init(&op);
	body = json_object_new_object();
	cmd = json_object_new_array();
	if (x->timeout > 0) {
		char secs[32];
		/* exec cannot be cancelled through the API: let timeout(1) do it */
		snprintf(secs, sizeof(secs), "%.0f", x->timeout < 1 ? 1 : x->timeout);
		json_object_array_add(cmd, json_object_new_string("timeout"));
		json_object_array_add(cmd, json_object_new_string("-k"));
		json_object_array_add(cmd, json_object_new_string("10"));
		json_object_array_add(cmd, json_object_new_string(secs));
		deadline = x->timeout + 60;
	} else {
		deadline = lxd->op_timeout;
	}
	for (a = x->argv; a && *a; a++)
		json_object_array_add(cmd, json_object_new_string(*a));
	json_object_object_add(body, "command", cmd);
	env = json_object_new_object();
	for (a = x->env; a && *a; a++) {
		const char *eq = strchr(*a, '=');
		char *key;
		if (!eq)
			continue;
		key = xstrndup(*a, (size_t)(eq - *a));
		json_object_object_add(env, key, json_object_new_string(eq + 1));
		free(key);
	}
	json_object_object_add(body, "environment", env);
	json_object_object_add(body, "wait-for-websocket", json_object_new_boolean(0));
	json_object_object_add(body, "record-output", json_object_new_boolean(1));
	json_object_object_add(body, "interactive", json_object_new_boolean(0));
	if (x->cwd)
		json_object_object_add(body, "cwd", json_object_new_string(x->cwd));
	json_object_object_add(body, "user", json_object_new_int64(x->uid));
	json_object_object_add(body, "group", json_object_new_int64(x->gid));

	instance_path(&p, name, "/exec");
	if (lxd_call(lxd, "POST", p.buf,
		     json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN),
		     deadline, NULL, &op, &m)) {
		/*
		 * LXD turns exit status 127 into a failed operation ("Command
		 * not found"), with or without metadata.return: that is still
		 * a command that ran and said so.
		 */
		if (op.status && op.status_code == 400 &&
		    (op.has_return || (op.err && strstr(op.err, "not found")))) {
			if (!op.has_return) {
				op.has_return = 1;
				op.return_code = 127;
			}
			strbuf_reset(&m);
		} else {
			strbuf_addbuf_compat(err, &m);
			goto out;
		}
	}
	if (!op.has_return) {
		strbuf_addf(err, "exec in %s: LXD reported no exit status", name);
		goto out;
	}
	r->exit_code = op.return_code;
	r->duration = monotonic_now() - start;
	if (x->timeout > 0 && (r->exit_code == 124 || r->exit_code == 137 ||
			       r->exit_code == 143) && r->duration >= x->timeout)
		r->timed_out = 1;
	if (op.stdout_log && fetch_log(lxd, op.stdout_log, &r->out, &m))
		goto log_err;
	if (op.stderr_log && fetch_log(lxd, op.stderr_log, &r->errout, &m))
		goto log_err;
	ret = 0;
	goto out;
log_err:
	strbuf_addf(err, "exec in %s: cannot read its output: %s", name, m.buf);
out:
	json_object_put(body);
	lxd_operation_release(&op);
	strbuf_release(&p);
	strbuf_release(&m);
	return ret;
}

static void files_path(struct strbuf *p, const char *name, const char *path)
{
	instance_path(p, name, "/files?path=");
	http_escape(p, path);
}

int lxd_file_push(struct lxd *lxd, const char *name, const char *local,
		  const char *path, unsigned mode, unsigned uid, unsigned gid,
		  struct strbuf *err)
{
	char h_uid[40], h_gid[40], h_mode[40];
	const char *hdrs[] = {
		/* without it LXD 5.0 writes an empty file */
		"Content-Type: application/octet-stream",
		"X-LXD-type: file",
		"X-LXD-write: overwrite",
		h_uid, h_gid, h_mode, NULL };
	struct raw_request rr;
	struct strbuf p = STRBUF_INIT;
	int ret;

	if (*path != '/') {
		strbuf_addf(err, "push to %s: the container path must be absolute", path);
		return -1;
	}
	snprintf(h_uid, sizeof(h_uid), "X-LXD-uid: %u", uid);
	snprintf(h_gid, sizeof(h_gid), "X-LXD-gid: %u", gid);
	snprintf(h_mode, sizeof(h_mode), "X-LXD-mode: %04o", mode & 07777);
	files_path(&p, name, path);
	memset(&rr, 0, sizeof(rr));
	rr.method = "POST";
	rr.path = p.buf;
	rr.headers = hdrs;
	rr.body_file = local;
	rr.timeout_ms = 30L * 60 * 1000;
	ret = call_full(lxd, &rr, 0, NULL, NULL, err);
	strbuf_release(&p);
	return ret;
}

int lxd_file_pull(struct lxd *lxd, const char *name, const char *path,
		  const char *local, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT, what = STRBUF_INIT;
	int ret;

	files_path(&p, name, path);
	strbuf_addf(&what, "pull %s from %s", path, name);
	ret = get_to_file(lxd, p.buf, local, what.buf, err);
	strbuf_release(&p);
	strbuf_release(&what);
	return ret;
}

void lxd_instances_free(struct lxd_instance *list, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(list[i].name);
		free(list[i].status);
		free(list[i].run_id);
		free(list[i].host);
	}
	free(list);
}

int lxd_list_own(struct lxd *lxd, struct lxd_instance **list, size_t *nr,
		 struct strbuf *err)
{
	struct lxd_envelope env;
	struct lxd_instance *out = NULL;
	size_t n = 0, alloc = 0, i, len;
	int ret = -1;

	lxd_envelope_init(&env);
	*list = NULL;
	*nr = 0;
	if (lxd_call(lxd, "GET", "/1.0/instances?recursion=1", NULL, 0, &env, NULL, err))
		goto out;
	if (!env.metadata || !json_object_is_type(env.metadata, json_type_array)) {
		strbuf_addstr(err, "GET /1.0/instances: reply is not a list");
		goto out;
	}
	len = json_object_array_length(env.metadata);
	for (i = 0; i < len; i++) {
		struct json_object *inst = json_object_array_get_idx(env.metadata, i);
		struct json_object *cfg = get_obj(inst, "config");
		const char *name = get_str(inst, "name");
		const char *run = get_str(cfg, LXD_LABEL_PREFIX "run");
		const char *host = get_str(cfg, LXD_LABEL_PREFIX "host");
		const char *pid = get_str(cfg, LXD_LABEL_PREFIX "pid");
		const char *status = get_str(inst, "status");
		unsigned long pidv = 0;

		if (!name || !run)
			continue;
		xgrow((void **)&out, &alloc, n + 1, sizeof(*out));
		memset(&out[n], 0, sizeof(out[n]));
		out[n].name = xstrdup(name);
		out[n].run_id = xstrdup(run);
		out[n].status = xstrdup(status ? status : "unknown");
		out[n].host = host ? xstrdup(host) : NULL;
		if (pid && !parse_ulong(pid, 1, 0x7fffffff, &pidv))
			out[n].pid = pidv;
		n++;
	}
	*list = out;
	*nr = n;
	out = NULL;
	n = 0;
	ret = 0;
out:
	lxd_instances_free(out, n);
	lxd_envelope_release(&env);
	return ret;
}

/* ---- custom storage volumes ---------------------------------------------- */

int lxd_is_remote(const struct lxd *lxd)
{
	return lxd->base && !strncmp(lxd->base, "https://", 8);
}

static void volume_path(struct strbuf *p, const struct lxd *lxd, const char *name)
{
	strbuf_addstr(p, "/1.0/storage-pools/");
	http_escape(p, lxd->pool);
	strbuf_addstr(p, "/volumes/custom");
	if (name) {
		strbuf_addch(p, '/');
		http_escape(p, name);
	}
}

/* get_maybe() of a custom volume: 1 when it exists, 0 when not, -1 on failure. */
static int volume_exists(struct lxd *lxd, const char *name, struct strbuf *err)
{
	struct lxd_envelope env;
	struct strbuf p = STRBUF_INIT;
	int ret;

	lxd_envelope_init(&env);
	volume_path(&p, lxd, name);
	ret = get_maybe(lxd, p.buf, "looking up a storage volume", &env, err);
	if (!ret)
		ret = env.type == LXD_REPLY_SYNC;
	lxd_envelope_release(&env);
	strbuf_release(&p);
	return ret;
}

int lxd_volume_ensure(struct lxd *lxd, const char *name, int *created,
		      struct strbuf *err)
{
	struct json_object *body = NULL;
	struct strbuf p = STRBUF_INIT, again = STRBUF_INIT;
	int exists, ret = -1;

	if (created)
		*created = 0;
	if (valid_name(name, err))
		return -1;
	exists = volume_exists(lxd, name, err);
	if (exists)
		return exists < 0 ? -1 : 0;
	body = json_object_new_object();
	json_object_object_add(body, "name", json_object_new_string(name));
	json_object_object_add(body, "type", json_object_new_string("custom"));
	json_object_object_add(body, "description",
			       json_object_new_string("slurm-factory build cache "
						      "(ccache, configure cache)"));
	json_object_object_add(body, "config", json_object_new_object());
	volume_path(&p, lxd, NULL);
	if (lxd_call(lxd, "POST", p.buf,
		     json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), 0, NULL,
		     NULL, err)) {
		/* another run may have made it meanwhile */
		if (volume_exists(lxd, name, &again) != 1)
			goto out;
		strbuf_reset(err);
		ret = 0;
		goto out;
	}
	if (created)
		*created = 1;
	ret = 0;
out:
	json_object_put(body);
	strbuf_release(&p);
	strbuf_release(&again);
	return ret;
}

int lxd_volume_list(struct lxd *lxd, const char *prefix, char ***names, size_t *nr,
		    struct strbuf *err)
{
	struct lxd_envelope env;
	struct strbuf p = STRBUF_INIT;
	char **out = NULL;
	size_t n = 0, alloc = 0, i, len;
	int ret = -1;

	lxd_envelope_init(&env);
	*names = NULL;
	*nr = 0;
	volume_path(&p, lxd, NULL);
	if (lxd_call(lxd, "GET", p.buf, NULL, 0, &env, NULL, err))
		goto out;
	if (!env.metadata || !json_object_is_type(env.metadata, json_type_array)) {
		strbuf_addf(err, "GET %s: reply is not a list", p.buf);
		goto out;
	}
	len = json_object_array_length(env.metadata);
	for (i = 0; i < len; i++) {
		const char *url = json_object_get_string(json_object_array_get_idx(env.metadata, i));
		const char *base = url ? strrchr(url, '/') : NULL;
		if (!base || strncmp(base + 1, prefix, strlen(prefix)))
			continue;
		xgrow((void **)&out, &alloc, n + 1, sizeof(*out));
		out[n++] = xstrdup(base + 1);
	}
	*names = out;
	*nr = n;
	ret = 0;
out:
	lxd_envelope_release(&env);
	strbuf_release(&p);
	return ret;
}

int lxd_volume_delete(struct lxd *lxd, const char *name, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	int exists, ret;

	if (valid_name(name, err))
		return -1;
	exists = volume_exists(lxd, name, err);
	if (exists <= 0)
		return exists;
	volume_path(&p, lxd, name);
	ret = lxd_call(lxd, "DELETE", p.buf, NULL, 0, NULL, NULL, err);
	strbuf_release(&p);
	return ret;
}
