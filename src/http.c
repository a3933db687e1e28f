#include "http.h"

/* the calls go through the table below: no macro in front of them */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lazylib.h"
#include "signals.h"

/* libcurl, loaded on first use (lazylib.h) */
#define CURL_FUNCS(X) \
	X(curl_easy_cleanup) \
	X(curl_easy_getinfo) \
	X(curl_easy_header) \
	X(curl_easy_init) \
	X(curl_easy_perform) \
	X(curl_easy_reset) \
	X(curl_easy_setopt) \
	X(curl_easy_strerror) \
	X(curl_getdate) \
	X(curl_global_init) \
	X(curl_slist_append) \
	X(curl_slist_free_all)

LAZYLIB_DEFINE(cu, curl_load, CURL_FUNCS, SF_LIBCURL_SONAME, "libcurl4")

void http_response_init(struct http_response *res)
{
	memset(res, 0, sizeof(*res));
	strbuf_init(&res->body);
}

void http_response_release(struct http_response *res)
{
	strbuf_release(&res->body);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int http_client_init(struct http_client *c, const struct http_client_opts *opts,
		     struct strbuf *err)
{
	static int global_done;

	memset(c, 0, sizeof(*c));
	if (curl_load(err))
		return -1;
	if (!global_done) {
		if (cu.curl_global_init(CURL_GLOBAL_DEFAULT)) {
			strbuf_addstr(err, "cannot initialise libcurl");
			return -1;
		}
		global_done = 1;
	}
	c->curl = cu.curl_easy_init();
	if (!c->curl) {
		strbuf_addstr(err, "cannot initialise libcurl");
		return -1;
	}
	if (opts) {
		c->opts = *opts;
		c->opts.unix_socket = dup_or_null(opts->unix_socket);
		c->opts.client_cert = dup_or_null(opts->client_cert);
		c->opts.client_key = dup_or_null(opts->client_key);
		c->opts.ca_file = dup_or_null(opts->ca_file);
		c->opts.pinned_pubkey = dup_or_null(opts->pinned_pubkey);
	}
	return 0;
}

void http_client_release(struct http_client *c)
{
	if (c->curl)
		cu.curl_easy_cleanup(c->curl);
	free((char *)c->opts.unix_socket);
	free((char *)c->opts.client_cert);
	free((char *)c->opts.client_key);
	free((char *)c->opts.ca_file);
	free((char *)c->opts.pinned_pubkey);
	memset(c, 0, sizeof(*c));
}

void http_escape(struct strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~' || ch == '/') {
			strbuf_addch(out, (char)ch);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[ch >> 4]);
			strbuf_addch(out, hex[ch & 15]);
		}
	}
}

struct sink {
	struct strbuf *mem;
	FILE *file;
	int write_failed;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (s->file) {
		if (fwrite(data, 1, n, s->file) != n) {
			s->write_failed = 1;
			return 0;
		}
		return n;
	}
	strbuf_add(s->mem, data, n);
	return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	const struct http_request *req = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return req->interruptible && signals_interrupted() ? 1 : 0;
}

static void describe(struct strbuf *err, const struct http_request *req)
{
	strbuf_addf(err, "%s ", req->method);
	url_redact(err, req->url);
	strbuf_addstr(err, ": ");
}

/*
 * Retry-After of the last reply (RFC 9110 10.2.3): delay-seconds, or an
 * HTTP-date turned into seconds from now. -1 when absent or unreadable.
 */
static long retry_after(CURL *h)
{
	struct curl_header *hd;
	unsigned long v;
	char *end;
	time_t when;

	if (cu.curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hd) != CURLHE_OK ||
	    !hd->value)
		return -1;
	errno = 0;
	v = strtoul(hd->value, &end, 10);
	if (end != hd->value && !*end && !errno && hd->value[0] != '-')
		return v > 86400 ? 86400 : (long)v;
	when = cu.curl_getdate(hd->value, NULL);
	if (when == (time_t)-1)
		return -1;
	return when <= time(NULL) ? 0 : (long)(when - time(NULL));
}

static void response_reset(struct http_response *res)
{
	strbuf_reset(&res->body);
	res->status = 0;
	res->interrupted = 0;
	res->timed_out = 0;
	res->content_length = -1;
	res->retry_after = -1;
}

static struct curl_slist *request_headers(const struct http_request *req)
{
	struct curl_slist *hdrs = NULL;
	const char *const *hp;

	for (hp = req->headers; hp && *hp; hp++)
		hdrs = cu.curl_slist_append(hdrs, *hp);
	/*
	 * no "Expect: 100-continue" round trip for uploads; but libcurl's SigV4
	 * would sign the empty header it never sends: let it send its own then
	 */
	if (!req->aws_sigv4)
		hdrs = cu.curl_slist_append(hdrs, "Expect:");
	return hdrs;
}

/* What every request sets: where to, the callbacks, time limits, no proxy, SigV4. */
static void set_transfer_options(CURL *h, const struct http_client *c,
				 const struct http_request *req,
				 struct curl_slist *hdrs, char *errbuf, struct sink *sink)
{
	cu.curl_easy_setopt(h, CURLOPT_URL, req->url);
	cu.curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cu.curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	cu.curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	cu.curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
	cu.curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	cu.curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	cu.curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)req);
	cu.curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 c->opts.connect_timeout_ms ? c->opts.connect_timeout_ms : 10000L);
	if (req->timeout_ms)
		cu.curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	/* a proxy would see credentials and break unix sockets: never use one */
	cu.curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (c->opts.unix_socket)
		cu.curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->opts.unix_socket);
	if (req->aws_sigv4) {
		cu.curl_easy_setopt(h, CURLOPT_AWS_SIGV4, req->aws_sigv4);
		cu.curl_easy_setopt(h, CURLOPT_USERNAME, req->username ? req->username : "");
		cu.curl_easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "");
	}
}

/* The client certificate and the server pinning of `opts` (see http.h). */
static void set_tls_options(CURL *h, const struct http_client_opts *opts)
{
	if (opts->client_cert) {
		cu.curl_easy_setopt(h, CURLOPT_SSLCERT, opts->client_cert);
		cu.curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	}
	if (opts->client_key) {
		cu.curl_easy_setopt(h, CURLOPT_SSLKEY, opts->client_key);
		cu.curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (opts->ca_file) {
		cu.curl_easy_setopt(h, CURLOPT_CAINFO, opts->ca_file);
		cu.curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
		cu.curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		/* the anchor is the exact certificate: its names do not matter */
		cu.curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (opts->pinned_pubkey)
		cu.curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, opts->pinned_pubkey);
	if (opts->insecure && opts->pinned_pubkey) {
		cu.curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		cu.curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/*
 * The method and the body: streamed from body_file (opened into `*in`,
 * which the caller closes), from memory, or none.
 */
static int set_method_and_body(CURL *h, const struct http_request *req, FILE **in,
			       struct strbuf *err)
{
	if (req->body_file) {
		struct stat st;
		*in = fopen(req->body_file, "rb");
		if (!*in || fstat(fileno(*in), &st)) {
			strbuf_addf(err, "cannot read %s: %s", req->body_file,
				    strerror(errno));
			return -1;
		}
		cu.curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		cu.curl_easy_setopt(h, CURLOPT_READDATA, *in);
		cu.curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
		cu.curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (req->body) {
		cu.curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		cu.curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		cu.curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (!strcmp(req->method, "HEAD")) {
		cu.curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET")) {
		cu.curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}
	return 0;
}

/* Why curl_easy_perform() failed, into `err` and the flags of `res`. */
static void describe_failure(struct strbuf *err, const struct http_request *req,
			     CURLcode rc, const char *errbuf, const struct sink *sink,
			     struct http_response *res)
{
	describe(err, req);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		res->interrupted = 1;
		strbuf_addstr(err, "interrupted by a signal");
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		res->timed_out = 1;
		strbuf_addf(err, "timed out (%s)", errbuf[0] ? errbuf :
			    cu.curl_easy_strerror(rc));
	} else if (sink->write_failed) {
		strbuf_addf(err, "cannot write %s", req->out_file);
	} else {
		strbuf_addstr(err, errbuf[0] ? errbuf : cu.curl_easy_strerror(rc));
	}
}

int http_request(struct http_client *c, const struct http_request *req,
		 struct http_response *res, struct strbuf *err)
{
	CURL *h = c->curl;
	struct curl_slist *hdrs = NULL;
	struct sink sink = { &res->body, NULL, 0 };
	FILE *in = NULL;
	char errbuf[CURL_ERROR_SIZE];
	curl_off_t cl = -1;
	CURLcode rc;
	int ret = -1;

	response_reset(res);
	errbuf[0] = '\0';
	cu.curl_easy_reset(h);

	if (req->out_file) {
		sink.file = fopen(req->out_file, "wb");
		if (!sink.file) {
			strbuf_addf(err, "cannot create %s: %s", req->out_file,
				    strerror(errno));
			goto out;
		}
	}
	hdrs = request_headers(req);
	set_transfer_options(h, c, req, hdrs, errbuf, &sink);
	set_tls_options(h, &c->opts);
	if (set_method_and_body(h, req, &in, err))
		goto out;

	rc = cu.curl_easy_perform(h);
	cu.curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	cu.curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	res->content_length = (long long)cl;
	if (rc != CURLE_OK) {
		describe_failure(err, req, rc, errbuf, &sink, res);
		goto out;
	}
	res->retry_after = retry_after(h);
	if (sink.file && fflush(sink.file)) {
		strbuf_addf(err, "cannot write %s: %s", req->out_file, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (sink.file && fclose(sink.file) && !ret) {
		strbuf_addf(err, "cannot write %s: %s", req->out_file, strerror(errno));
		ret = -1;
	}
	if (in)
		fclose(in);
	cu.curl_slist_free_all(hdrs);
	return ret;
}
