/*
 * publish over plain HTTP PUT: http(s)://host/path (WebDAV, Artifactory,
 * Nexus) and s3://bucket/prefix (the same PUT, signed with SigV4 by
 * libcurl). After each PUT a HEAD must report the uploaded size.
 *
 * S3: credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for
 * temporary credentials, AWS_SESSION_TOKEN (sent as x-amz-security-token);
 * region from AWS_REGION or AWS_DEFAULT_REGION (default us-east-1). With
 * --s3-endpoint the store is addressed path-style (ENDPOINT/bucket/key),
 * otherwise virtual-hosted style at AWS.
 */
#include <stdlib.h>
#include <string.h>

#include "publish.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct http_target {
	struct strbuf base;           /* URL the file names are appended to, with '/' */
	int s3;
	struct strbuf sigv4;          /* "aws:amz:REGION:s3" */
	const char *key_id, *secret, *session;   /* borrowed from the environment */
};

static int put_open(struct publisher *p, struct strbuf *err)
{
	struct http_target *t = xcalloc(1, sizeof(*t));

	strbuf_init(&t->base);
	strbuf_init(&t->sigv4);
	p->state = t;
	strbuf_addstr(&t->base, p->url);
	if (t->base.len && t->base.buf[t->base.len - 1] != '/')
		strbuf_addch(&t->base, '/');
	if (strchr(p->url, '?') || strchr(p->url, '#')) {
		strbuf_addstr(err, "an http(s) target takes no query or fragment");
		return -1;
	}
	return 0;
}

static int s3_open(struct publisher *p, struct strbuf *err)
{
	struct http_target *t = xcalloc(1, sizeof(*t));
	const char *rest = p->url + 5, *slash, *region;
	struct strbuf bucket = STRBUF_INIT;
	int ret = -1;

	strbuf_init(&t->base);
	strbuf_init(&t->sigv4);
	p->state = t;
	t->s3 = 1;
	slash = strchr(rest, '/');
	strbuf_add(&bucket, rest, slash ? (size_t)(slash - rest) : strlen(rest));
	if (!bucket.len || strspn(bucket.buf, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
			   bucket.len) {
		strbuf_addf(err, "'%s' is not an S3 bucket name (s3://bucket/prefix)",
			    bucket.buf);
		goto out;
	}
	t->key_id = publish_env("AWS_ACCESS_KEY_ID");
	t->secret = publish_env("AWS_SECRET_ACCESS_KEY");
	t->session = publish_env("AWS_SESSION_TOKEN");
	publish_add_secret(p, t->secret);
	publish_add_secret(p, t->session);
	if (!t->key_id || !t->secret) {
		p->failure = PUBLISH_UNREACHABLE;
		strbuf_addstr(err, "an s3:// target needs AWS_ACCESS_KEY_ID and "
			      "AWS_SECRET_ACCESS_KEY in the environment");
		goto out;
	}
	region = publish_env("AWS_REGION");
	if (!region)
		region = publish_env("AWS_DEFAULT_REGION");
	if (!region)
		region = "us-east-1";
	if (strchr(region, ':')) {
		strbuf_addf(err, "AWS region '%s' is malformed", region);
		goto out;
	}
	strbuf_addf(&t->sigv4, "aws:amz:%s:s3", region);
	if (p->opts.s3_endpoint) {
		strbuf_addstr(&t->base, p->opts.s3_endpoint);
		if (t->base.len && t->base.buf[t->base.len - 1] != '/')
			strbuf_addch(&t->base, '/');
		strbuf_addf(&t->base, "%s/", bucket.buf);
	} else {
		strbuf_addf(&t->base, "https://%s.s3.%s.amazonaws.com/", bucket.buf, region);
	}
	if (slash && slash[1]) {
		http_escape(&t->base, slash + 1);
		if (t->base.buf[t->base.len - 1] != '/')
			strbuf_addch(&t->base, '/');
	}
	ret = 0;
out:
	strbuf_release(&bucket);
	return ret;
}

static void put_close(struct publisher *p)
{
	struct http_target *t = p->state;

	strbuf_release(&t->base);
	strbuf_release(&t->sigv4);
	free(t);
	p->state = NULL;
}

static void sign(const struct http_target *t, struct http_request *req)
{
	if (!t->s3)
		return;
	req->aws_sigv4 = t->sigv4.buf;
	req->username = t->key_id;
	req->password = t->secret;
}

static int put_upload(struct publisher *p, const struct publish_file *f, struct strbuf *err)
{
	struct http_target *t = p->state;
	struct strbuf url = STRBUF_INIT, sha = STRBUF_INIT, tok = STRBUF_INIT;
	const char *headers[4];
	size_t nh = 0;
	struct http_request req;
	struct http_response res;
	int ret = -1;

	http_response_init(&res);
	strbuf_addstr(&url, t->base.buf);
	http_escape(&url, f->name);
	headers[nh++] = "Content-Type: application/octet-stream";
	if (t->s3) {
		strbuf_addf(&sha, "x-amz-content-sha256: %s", f->sha256);
		headers[nh++] = sha.buf;
		if (t->session) {
			strbuf_addf(&tok, "x-amz-security-token: %s", t->session);
			headers[nh++] = tok.buf;
		}
	}
	headers[nh] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = url.buf;
	req.headers = headers;
	req.body_file = f->path;
	sign(t, &req);
	if (publish_request(p, &req, &res, NULL, NULL, err))
		goto out;
	if (res.status < 200 || res.status > 299) {
		publish_http_error(p, "upload refused", &req, &res, err);
		goto out;
	}
	/* confirm: the server must now serve exactly this many bytes */
	strbuf_reset(&sha);
	if (t->s3) {
		strbuf_addstr(&sha, "x-amz-content-sha256: " EMPTY_SHA256);
		headers[1] = sha.buf;
	}
	req.method = "HEAD";
	req.body_file = NULL;
	if (publish_request(p, &req, &res, NULL, NULL, err))
		goto out;
	if (res.status != 200) {
		publish_http_error(p, "cannot confirm the upload", &req, &res, err);
		goto out;
	}
	if (res.content_length != (long long)f->size) {
		p->failure = PUBLISH_REJECTED;
		strbuf_addf(err, "HEAD ");
		url_redact(err, url.buf);
		strbuf_addf(err, ": the server holds %lld bytes, %llu were uploaded",
			    res.content_length, f->size);
		goto out;
	}
	p->failure = PUBLISH_OK;
	ret = 0;
out:
	http_response_release(&res);
	strbuf_release(&url);
	strbuf_release(&sha);
	strbuf_release(&tok);
	return ret;
}

const struct publish_backend publish_http_backend = {
	"http", put_open, put_upload, put_close,
};
const struct publish_backend publish_https_backend = {
	"https", put_open, put_upload, put_close,
};
const struct publish_backend publish_s3_backend = {
	"s3", s3_open, put_upload, put_close,
};
