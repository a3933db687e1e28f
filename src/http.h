/*
 * http: the project's one HTTP client, the only file that includes libcurl.
 * Used by the LXD adapter (unix socket or HTTPS with a client certificate)
 * and by publishing.
 *
 * A client keeps one connection handle, so consecutive requests reuse the
 * connection. Errors name the method and the URL with any user:password and
 * query string removed; headers and bodies are never copied into errors, so
 * no credential leaves through `err`.
 */
#ifndef SF_HTTP_H
#define SF_HTTP_H

#include <stddef.h>

#include "strbuf.h"

struct http_client_opts {
	const char *unix_socket;     /* connect to this socket whatever the URL says */
	const char *client_cert;     /* PEM client certificate (TLS), or NULL */
	const char *client_key;      /* PEM key for client_cert, or NULL */
	/*
	 * Server pinning. ca_file: a PEM file holding exactly the server's
	 * certificate; it becomes the only trust anchor and the host name is
	 * not checked (self-signed servers on an address, like LXD).
	 * pinned_pubkey: "sha256//BASE64" or a public key file, checked on
	 * top of (or, with ca_file unset and insecure set, instead of) chain
	 * verification. With neither, the system trust store is used.
	 */
	const char *ca_file;
	const char *pinned_pubkey;
	int insecure;                /* skip chain verification (pin required) */
	long connect_timeout_ms;     /* 0: 10 s */
};

struct http_client {
	struct http_client_opts opts;   /* strings copied, owned */
	void *curl;                     /* CURL *, opaque outside http.c */
};

struct http_request {
	const char *method;           /* "GET", "POST", "PUT", "DELETE", ... */
	const char *url;
	const char *const *headers;   /* "Name: value", NULL-terminated, or NULL */
	const void *body;             /* request body from memory ... */
	size_t body_len;
	const char *body_file;        /* ... or from this file (streamed) */
	const char *out_file;         /* response body to this file, not memory */
	long timeout_ms;              /* whole transfer; 0: none */
	int interruptible;            /* abort when SIGINT/SIGTERM was received */
	/*
	 * SigV4 signing (S3 and compatible stores): "aws:amz:REGION:SERVICE",
	 * with the access key id as `username` and the secret as `password`.
	 * libcurl hashes no streamed body: give the payload's sha256 in an
	 * "x-amz-content-sha256" header.
	 */
	const char *aws_sigv4;
	const char *username;
	const char *password;
};

struct http_response {
	long status;                  /* HTTP status, 0 when none arrived */
	struct strbuf body;           /* empty when out_file was used */
	int interrupted;              /* aborted by a signal */
	int timed_out;
	long long content_length;     /* Content-Length of the reply, -1 when none */
	long retry_after;             /* seconds a Retry-After header asked for, -1 when none */
};

void http_response_init(struct http_response *res);
void http_response_release(struct http_response *res);

/* Copies `opts`. -1 and `err` when libcurl cannot be set up. */
int http_client_init(struct http_client *c, const struct http_client_opts *opts,
		     struct strbuf *err);
void http_client_release(struct http_client *c);

/*
 * Performs one request. Returns 0 when a response arrived (any status: the
 * caller judges it), -1 with `err` on a transport failure (no connection,
 * TLS refused, timeout, interrupted, file unreadable). `res->body` is reset
 * first.
 */
int http_request(struct http_client *c, const struct http_request *req,
		 struct http_response *res, struct strbuf *err);

/* Appends `s` percent-encoded for a query value or a path segment. */
void http_escape(struct strbuf *out, const char *s);

#endif
