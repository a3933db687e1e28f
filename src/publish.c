/*
 * publish: the backend table and what every backend shares (credentials
 * kept out of messages, the retry policy, error messages from responses).
 */
#include "publish.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "signals.h"

static const struct publish_backend *const backends[] = {
	&publish_file_backend,
	&publish_http_backend,
	&publish_https_backend,
	&publish_s3_backend,
	&publish_github_backend,
	&publish_gitlab_backend,
	NULL,
};

const char *publish_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

void publish_add_secret(struct publisher *p, const char *value)
{
	if (!value || !*value)
		return;
	xgrow((void **)&p->secrets, &p->alloc_secrets, p->nr_secrets + 1,
	      sizeof(*p->secrets));
	p->secrets[p->nr_secrets++] = xstrdup(value);
}

void publish_release_secret(struct strbuf *sb)
{
	if (sb->len)
		memset(sb->buf, 0, sb->len);
	strbuf_release(sb);
}

void publish_redact(const struct publisher *p, struct strbuf *sb)
{
	size_t i;

	for (i = 0; i < p->nr_secrets; i++) {
		const char *s = p->secrets[i];
		size_t n = strlen(s);
		char *hit;

		while ((hit = memmem(sb->buf, sb->len, s, n)) != NULL) {
			struct strbuf out = STRBUF_INIT;
			size_t at = (size_t)(hit - sb->buf);

			strbuf_add(&out, sb->buf, at);
			strbuf_addstr(&out, "***");
			strbuf_add(&out, sb->buf + at + n, sb->len - at - n);
			strbuf_release(sb);
			*sb = out;
		}
	}
}

/* The length of a "scheme:" at the start of `url` (RFC 3986 letters), or 0. */
static size_t scheme_len(const char *url)
{
	size_t n = 0;

	if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
		return 0;
	while (url[n] && (strchr("+.-", url[n]) || (url[n] >= '0' && url[n] <= '9') ||
			  (url[n] >= 'a' && url[n] <= 'z') || (url[n] >= 'A' && url[n] <= 'Z')))
		n++;
	return url[n] == ':' ? n : 0;
}

static const struct publish_backend *backend_for(const char *url)
{
	const char *colon = strstr(url, "://");
	size_t i;

	if (!colon) {
		/* a path; "file:pubC" or "ftp:x" is a URL gone wrong, not a directory name */
		return url[0] && !scheme_len(url) ? &publish_file_backend : NULL;
	}
	for (i = 0; backends[i]; i++)
		if (strlen(backends[i]->scheme) == (size_t)(colon - url) &&
		    !strncmp(url, backends[i]->scheme, (size_t)(colon - url)))
			return backends[i];
	return NULL;
}

int publish_target_check(const char *url, struct strbuf *err)
{
	if (backend_for(url))
		return 0;
	strbuf_addstr(err, "--to '");
	url_redact(err, url);
	strbuf_addstr(err, "': not a publish target (a path, file:///DIR, http(s)://, s3://, "
		      "github://, gitlab://)");
	return -1;
}

int publisher_open(struct publisher *p, const char *url,
		   const struct publish_opts *opts, struct strbuf *err)
{
	struct http_client_opts ho;

	memset(p, 0, sizeof(*p));
	p->url = xstrdup(url);
	p->opts = *opts;
	p->failure = PUBLISH_REJECTED;
	p->backend = backend_for(url);
	if (!p->backend) {
		strbuf_addstr(err, "unknown publish target '");
		url_redact(err, url);
		strbuf_addstr(err, "' (file://, a path, http(s)://, s3://, github://, "
			      "gitlab://)");
		return -1;
	}
	memset(&ho, 0, sizeof(ho));
	ho.connect_timeout_ms = (long)opts->connect_timeout_ms;
	if (http_client_init(&p->http, &ho, err)) {
		p->failure = PUBLISH_UNREACHABLE;
		return -1;
	}
	p->http_ready = 1;
	if (p->backend->open(p, err)) {
		publish_redact(p, err);
		return -1;
	}
	p->failure = PUBLISH_OK;
	return 0;
}

void publisher_release(struct publisher *p)
{
	size_t i;

	if (p->backend && p->state)
		p->backend->close(p);
	if (p->http_ready)
		http_client_release(&p->http);
	for (i = 0; i < p->nr_secrets; i++) {
		/* do not leave credentials in freed memory */
		memset(p->secrets[i], 0, strlen(p->secrets[i]));
		free(p->secrets[i]);
	}
	free(p->secrets);
	free(p->url);
	memset(p, 0, sizeof(*p));
}

/* Sleeps `ms`, waking early on SIGINT/SIGTERM. */
static void backoff_sleep(unsigned long ms)
{
	while (ms && !signals_interrupted()) {
		unsigned long step = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

unsigned long publish_retry_wait(unsigned long backoff_ms, const struct http_response *res)
{
	unsigned long want;

	if (!res || res->retry_after < 0)
		return backoff_ms;
	want = (unsigned long)res->retry_after * 1000UL;
	if (want > PUBLISH_MAX_RETRY_AFTER_MS)
		want = PUBLISH_MAX_RETRY_AFTER_MS;
	return want > backoff_ms ? want : backoff_ms;
}

static int retryable(long status)
{
	return status == 0 || status == 429 || status >= 500;
}

int publish_request(struct publisher *p, const struct http_request *req,
		    struct http_response *res,
		    int (*before_retry)(struct publisher *p, void *ctx), void *ctx,
		    struct strbuf *err)
{
	unsigned long delay = p->opts.retry_delay_ms;
	unsigned attempt, tries = 0;
	struct strbuf last = STRBUF_INIT;
	struct http_request r = *req;

	if (!r.timeout_ms)
		r.timeout_ms = (long)p->opts.timeout_ms;
	r.interruptible = 1;
	for (attempt = 0; attempt <= p->opts.retries; attempt++) {
		int rc;

		if (attempt) {
			p->retried++;
			backoff_sleep(publish_retry_wait(delay, res));
			delay = delay * 2 > 30000 ? 30000 : delay * 2;
			if (before_retry && before_retry(p, ctx))
				break;
		}
		if (signals_interrupted())
			break;
		strbuf_reset(&last);
		p->attempts++;
		tries++;
		rc = http_request(&p->http, &r, res, &last);
		if (res->interrupted)
			break;
		if (!rc && !retryable(res->status)) {
			strbuf_release(&last);
			return 0;
		}
		if (!rc) {
			strbuf_addf(&last, "%s ", r.method);
			url_redact(&last, r.url);
			strbuf_addf(&last, ": HTTP %ld", res->status);
		}
	}
	p->failure = PUBLISH_UNREACHABLE;
	if (signals_interrupted()) {
		strbuf_addstr(err, "interrupted");
	} else if (!last.len) {
		strbuf_addstr(err, "gave up");
	} else {
		strbuf_addstr(err, last.buf);
		if (res->status)
			publish_http_error(p, NULL, &r, res, err);
		strbuf_addf(err, " (after %u attempt%s)", tries, tries == 1 ? "" : "s");
	}
	publish_redact(p, err);
	p->failure = PUBLISH_UNREACHABLE;
	strbuf_release(&last);
	return -1;
}

void publish_http_error(struct publisher *p, const char *what, const struct http_request *req,
			const struct http_response *res, struct strbuf *err)
{
	struct strbuf body = STRBUF_INIT;
	size_t n = res->body.len < 300 ? res->body.len : 300;

	if (what) {
		strbuf_addf(err, "%s: %s ", what, req->method);
		url_redact(err, req->url);
		strbuf_addf(err, ": HTTP %ld", res->status);
	}
	utf8_sanitize(&body, res->body.buf, n, 1);
	/* one line: the server's message, not its layout */
	for (n = 0; n < body.len; n++)
		if (body.buf[n] == '\n' || body.buf[n] == '\r' || body.buf[n] == '\t')
			body.buf[n] = ' ';
	if (body.len)
		strbuf_addf(err, ": %s", body.buf);
	publish_redact(p, err);
	p->failure = res->status >= 400 && res->status < 500 && res->status != 429 ?
		     PUBLISH_REJECTED : PUBLISH_UNREACHABLE;
	strbuf_release(&body);
}
