/*
 * publish: put a directory of artifacts somewhere, one backend per kind of
 * target (curl-style: one interface, one file per protocol).
 *
 *   file:///dir or /dir      publish_file.c    temp name + rename
 *   http(s)://host/path      publish_http.c    generic PUT (WebDAV, Artifactory)
 *   s3://bucket/prefix       publish_http.c    PUT signed with SigV4
 *   github://owner/repo@tag  publish_github.c  release assets
 *   gitlab://project/pkg@ver publish_gitlab.c  generic package files
 *
 * Every backend uploads one file at a time (GitLab needs that), confirms
 * the size or checksum where the target can tell, and makes a second run of
 * the same publish harmless. Credentials are held in `struct publisher`
 * and scrubbed from every message before it leaves (publish_redact).
 */
#ifndef SF_PUBLISH_H
#define SF_PUBLISH_H

#include <stddef.h>

#include "http.h"
#include "crypto.h"
#include "strbuf.h"

struct publish_file {
	char *name;                   /* base name, the remote name */
	char *path;                   /* local path */
	unsigned long long size;
	char sha256[SHA256_HEX_SIZE];
};

struct publish_opts {
	const char *s3_endpoint;      /* http://127.0.0.1:9000, or NULL for AWS */
	const char *github_api;       /* default https://api.github.com */
	const char *gitlab_api;       /* default $CI_API_V4_URL or gitlab.com's */
	unsigned retries;             /* attempts after the first (default 4) */
	unsigned long retry_delay_ms; /* first backoff, doubled each time */
	unsigned long timeout_ms;     /* one request, whole transfer */
	unsigned long connect_timeout_ms;
};

struct publisher;

struct publish_backend {
	const char *scheme;           /* "s3" (matched before "://"), "file" */
	/* Parses the target, reads credentials from the environment. */
	int (*open)(struct publisher *p, struct strbuf *err);
	/* Uploads and confirms one file. */
	int (*upload)(struct publisher *p, const struct publish_file *f,
		      struct strbuf *err);
	void (*close)(struct publisher *p);
};

/* Outcome of the last failed operation: decides the exit code. */
enum publish_failure {
	PUBLISH_OK,
	PUBLISH_REJECTED,             /* the server said no (4xx): a failed check */
	PUBLISH_UNREACHABLE,          /* network, 5xx after retries: environment */
};

struct publisher {
	const struct publish_backend *backend;
	char *url;                    /* the target as given */
	struct publish_opts opts;     /* borrowed strings */
	struct http_client http;
	int http_ready;
	char **secrets;               /* values never to print, owned */
	size_t nr_secrets, alloc_secrets;
	enum publish_failure failure;
	unsigned attempts;            /* requests sent, for the report */
	unsigned retried;             /* of which retries */
	void *state;                  /* the backend's own, freed by close */
};

/*
 * 0 when `url` names a target some backend takes; -1 with `err` otherwise
 * (an unknown scheme, "file:DIR" without "//"): a usage mistake, found
 * before anything runs.
 */
int publish_target_check(const char *url, struct strbuf *err);

/*
 * Picks the backend for `url`, opens it. -1 and `err` for an unknown
 * scheme, a malformed target or missing credentials (p->failure says
 * which kind). publisher_release() is needed in every case.
 */
int publisher_open(struct publisher *p, const char *url,
		   const struct publish_opts *opts, struct strbuf *err);
void publisher_release(struct publisher *p);

/* Remembers a credential; later messages show it as "***". */
void publish_add_secret(struct publisher *p, const char *value);
/* Zeroes a buffer that held a credential, then releases it. */
void publish_release_secret(struct strbuf *sb);
/* Replaces every known secret in `sb` with "***". */
void publish_redact(const struct publisher *p, struct strbuf *sb);
/* The environment variable's value when set and not empty, else NULL. */
const char *publish_env(const char *name);

/* The longest wait a server's Retry-After gets: a CI job does not sleep for an hour. */
#define PUBLISH_MAX_RETRY_AFTER_MS 60000UL

/*
 * How long to wait before the next attempt: the backoff, or what the last
 * reply's Retry-After asked for when that is longer (at most
 * PUBLISH_MAX_RETRY_AFTER_MS). Pure.
 */
unsigned long publish_retry_wait(unsigned long backoff_ms, const struct http_response *res);

/*
 * One HTTP request with the retry policy: a transport failure, a timeout,
 * 5xx and 429 are retried (retries times, backoff doubling from
 * retry_delay_ms, bounded; a longer Retry-After is honoured, see
 * publish_retry_wait()); any other status is returned as is. -1 and
 * `err` (failure = UNREACHABLE) when no usable response came. Before a
 * retry of a request that may have left something behind, `before_retry`
 * (if set) runs to clean it up.
 */
int publish_request(struct publisher *p, const struct http_request *req,
		    struct http_response *res,
		    int (*before_retry)(struct publisher *p, void *ctx), void *ctx,
		    struct strbuf *err);

/*
 * Fills `err` from an unwanted status: "PUT URL: HTTP 403: <server's
 * message>", credentials scrubbed, and sets p->failure (4xx: REJECTED, else
 * UNREACHABLE).
 */
void publish_http_error(struct publisher *p, const char *what, const struct http_request *req,
			const struct http_response *res, struct strbuf *err);

/* Backends. */
extern const struct publish_backend publish_file_backend;
extern const struct publish_backend publish_http_backend;
extern const struct publish_backend publish_https_backend;
extern const struct publish_backend publish_s3_backend;
extern const struct publish_backend publish_github_backend;
extern const struct publish_backend publish_gitlab_backend;

#endif
