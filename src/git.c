#include "git.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/stream.h>

#include "clock.h"
#include "signals.h"

#define DEFAULT_TIMEOUT 60

/*
 * libgit2's stream registry takes a bare constructor with no payload, so
 * the timeout and the connection counter of the operation in progress live
 * here. They are set at the start of each remote_* call; the program runs
 * one git operation at a time.
 */
static int stream_timeout_ms = DEFAULT_TIMEOUT * 1000;
static unsigned int stream_connections;

/*
 * Our TCP stream. The first four members have the layout of libgit2's own
 * socket stream (parent, host, port, socket) because its ssh transport
 * reads the socket from there to hand it to libssh2.
 */
struct tstream {
	git_stream parent;
	char *host;
	char *port;
	int fd;
	int timeout_ms;
};

static int net_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int net_error(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	git_error_set_str(GIT_ERROR_NET, sb.buf);
	strbuf_release(&sb);
	return -1;
}

/* Waits for `events` on `fd` for at most `ms`; 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int ms)
{
	double deadline = monotonic_now() + ms / 1000.0;

	for (;;) {
		struct pollfd p = { fd, events, 0 };
		double left = deadline - monotonic_now();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)(left * 1000) + 1);
		if (n > 0)
			return 1;
		if (n == 0)
			continue;
		if (errno != EINTR)
			return -1;
		if (signals_interrupted()) {
			errno = EINTR;
			return -1;
		}
	}
}

static int try_connect(struct tstream *st, const struct addrinfo *ai)
{
	struct timeval tv = { st->timeout_ms / 1000, (st->timeout_ms % 1000) * 1000 };
	int fd, soerr = 0, flags;
	socklen_t len = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		int w;
		if (errno != EINPROGRESS)
			goto fail;
		w = wait_fd(fd, POLLOUT, st->timeout_ms);
		if (w == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (w < 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
			goto fail;
		if (soerr) {
			errno = soerr;
			goto fail;
		}
	}
	/* blocking again, for libssh2; our own reads and writes poll first */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK))
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	st->fd = fd;
	return 0;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

static int tstream_connect(git_stream *s)
{
	struct tstream *st = (struct tstream *)s;
	struct addrinfo hints, *res = NULL, *ai;
	int rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(st->host, st->port, &hints, &res);
	if (rc)
		return net_error("cannot resolve host '%s': %s", st->host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		if (!try_connect(st, ai))
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (st->fd < 0) {
		if (saved == ETIMEDOUT)
			return net_error("cannot connect to %s port %s: no answer within %d s",
					 st->host, st->port, st->timeout_ms / 1000);
		return net_error("cannot connect to %s port %s: %s", st->host, st->port,
				 strerror(saved));
	}
	stream_connections++;
	return 0;
}

static ssize_t tstream_read(git_stream *s, void *buf, size_t len)
{
	struct tstream *st = (struct tstream *)s;
	ssize_t n;
	int w;

	for (;;) {
		w = wait_fd(st->fd, POLLIN, st->timeout_ms);
		if (w == 0)
			return net_error("timed out: %s port %s sent nothing for %d s",
					 st->host, st->port, st->timeout_ms / 1000);
		if (w < 0)
			return net_error("reading from %s port %s: %s", st->host, st->port,
					 strerror(errno));
		n = recv(st->fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN)
			return net_error("reading from %s port %s: %s", st->host, st->port,
					 strerror(errno));
	}
}

static ssize_t tstream_write(git_stream *s, const char *buf, size_t len, int flags)
{
	struct tstream *st = (struct tstream *)s;
	size_t off = 0;

	(void)flags;
	while (off < len) {
		ssize_t n;
		int w = wait_fd(st->fd, POLLOUT, st->timeout_ms);
		if (w == 0)
			return net_error("timed out: %s port %s accepted nothing for %d s",
					 st->host, st->port, st->timeout_ms / 1000);
		if (w < 0)
			return net_error("writing to %s port %s: %s", st->host, st->port,
					 strerror(errno));
		n = send(st->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return net_error("writing to %s port %s: %s", st->host, st->port,
					 strerror(errno));
		}
		off += (size_t)n;
	}
	return (ssize_t)len;
}

static int tstream_close(git_stream *s)
{
	struct tstream *st = (struct tstream *)s;

	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	return 0;
}

static void tstream_free(git_stream *s)
{
	struct tstream *st = (struct tstream *)s;

	tstream_close(s);
	free(st->host);
	free(st->port);
	free(st);
}

static int tstream_new(git_stream **out, const char *host, const char *port)
{
	struct tstream *st = xcalloc(1, sizeof(*st));

	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = tstream_connect;
	st->parent.read = tstream_read;
	st->parent.write = tstream_write;
	st->parent.close = tstream_close;
	st->parent.free = tstream_free;
	st->host = xstrdup(host);
	st->port = xstrdup(port);
	st->fd = -1;
	st->timeout_ms = stream_timeout_ms;
	*out = &st->parent;
	return 0;
}

/* libgit2 up and our stream registered; pair with git_libgit2_shutdown(). */
static int git_start(const struct remote_opts *opts, struct strbuf *err)
{
	git_stream_registration reg;

	if (git_libgit2_init() < 0) {
		strbuf_addstr(err, "cannot initialise libgit2");
		return -1;
	}
	memset(&reg, 0, sizeof(reg));
	reg.version = GIT_STREAM_VERSION;
	reg.init = tstream_new;
	if (git_stream_register(GIT_STREAM_STANDARD, &reg)) {
		strbuf_addstr(err, "cannot register the socket stream with libgit2");
		git_libgit2_shutdown();
		return -1;
	}
	stream_timeout_ms = (int)((opts && opts->timeout ? opts->timeout : DEFAULT_TIMEOUT) * 1000);
	stream_connections = 0;
	return 0;
}

static void add_git_error(struct strbuf *err)
{
	const git_error *e = git_error_last();

	strbuf_addstr(err, e && e->message ? e->message : "unknown libgit2 error");
}

struct cb_state {
	const struct remote_opts *opts;
};

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
	struct cb_state *cs = payload;

	if (signals_interrupted()) {
		git_error_set_str(GIT_ERROR_NET, "interrupted");
		return -1;
	}
	if (cs->opts && cs->opts->progress) {
		struct remote_progress p;
		p.received_objects = stats->received_objects;
		p.total_objects = stats->total_objects;
		p.indexed_deltas = stats->indexed_deltas;
		p.total_deltas = stats->total_deltas;
		p.received_bytes = stats->received_bytes;
		cs->opts->progress(cs->opts->progress_ctx, &p);
	}
	return 0;
}

static void init_callbacks(git_remote_callbacks *cbs, struct cb_state *cs)
{
	git_remote_init_callbacks(cbs, GIT_REMOTE_CALLBACKS_VERSION);
	cbs->transfer_progress = on_transfer;
	cbs->payload = cs;
}

void remote_tags_init(struct remote_tags *t)
{
	memset(t, 0, sizeof(*t));
}

void remote_tags_release(struct remote_tags *t)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		free(t->items[i].name);
	free(t->items);
	if (t->local) {
		/* the listing's libgit2 reference, kept with the repository */
		git_repository_free(t->local);
		git_libgit2_shutdown();
	}
	memset(t, 0, sizeof(*t));
}

static struct remote_tag *find_tag(struct remote_tags *t, const char *name, size_t len)
{
	size_t i;

	/* a peeled entry follows its tag in every transport: look there first */
	if (t->nr && strlen(t->items[t->nr - 1].name) == len &&
	    !strncmp(t->items[t->nr - 1].name, name, len))
		return &t->items[t->nr - 1];
	for (i = 0; i < t->nr; i++)
		if (strlen(t->items[i].name) == len && !strncmp(t->items[i].name, name, len))
			return &t->items[i];
	return NULL;
}

/*
 * The directory of a local repository URL, the way libgit2 decides it is
 * local: "file://" + a path, or no scheme and an existing directory.
 * 0 with `path` filled, -1 for anything else (a URL with percent-escapes
 * included: the transport decodes those).
 */
static int local_repo_path(const char *url, struct strbuf *path)
{
	struct stat st;
	const char *p = url;

	if (!strncmp(url, "file://", 7))
		p = url + 7;
	else if (strstr(url, "://"))
		return -1;
	if (!*p || strchr(p, '%') || stat(p, &st) || !S_ISDIR(st.st_mode))
		return -1;
	strbuf_addstr(path, p);
	return 0;
}

/* Lists refs/tags/ of the repository at `path` directly, unpeeled. */
static int ls_local(const char *url, const char *path, struct remote_tags *out,
		    struct strbuf *err)
{
	git_repository *repo = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int ret = -1, rc;

	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) {
		strbuf_addf(err, "cannot reach %s: ", url);
		add_git_error(err);
		goto out;
	}
	if (git_reference_iterator_new(&it, repo)) {
		strbuf_addf(err, "cannot list the refs of %s: ", url);
		add_git_error(err);
		goto out;
	}
	out->nr_refs = 1;  /* HEAD, as a transport advertises it */
	while (!(rc = git_reference_next(&ref, it))) {
		const char *name = git_reference_name(ref);
		const git_oid *id = git_reference_target(ref);
		struct remote_tag *t;

		out->nr_refs++;
		if (id && !strncmp(name, "refs/tags/", 10)) {
			xgrow((void **)&out->items, &out->alloc, out->nr + 1,
			      sizeof(*out->items));
			t = &out->items[out->nr++];
			t->name = xstrdup(name + 10);
			git_oid_tostr(t->commit, sizeof(t->commit), id);
			t->peeled = 0;
			t->kind = NULL;
		}
		git_reference_free(ref);
		if (signals_interrupted()) {
			strbuf_addf(err, "interrupted while listing %s", url);
			goto out;
		}
	}
	if (rc != GIT_ITEROVER) {
		strbuf_addf(err, "cannot list the refs of %s: ", url);
		add_git_error(err);
		goto out;
	}
	out->local = repo;
	repo = NULL;
	ret = 0;
out:
	git_reference_iterator_free(it);
	git_repository_free(repo);
	return ret;
}

int remote_tags_peel(struct remote_tags *t, struct remote_tag *tag, struct strbuf *err)
{
	git_object *obj = NULL, *end = NULL;
	git_oid oid;
	int ret = -1;

	if (tag->peeled)
		return 0;
	if (!t->local || git_oid_fromstr(&oid, tag->commit)) {
		strbuf_addf(err, "tag %s cannot be peeled here", tag->name);
		return -1;
	}
	if (git_object_lookup(&obj, t->local, &oid, GIT_OBJECT_ANY)) {
		strbuf_addf(err, "tag %s names %s, which cannot be read: ", tag->name,
			    tag->commit);
		add_git_error(err);
		goto out;
	}
	/* only tag objects peel (ANY would peel a commit on to its tree) */
	if (git_object_type(obj) == GIT_OBJECT_TAG) {
		if (git_object_peel(&end, obj, GIT_OBJECT_ANY)) {
			strbuf_addf(err, "tag %s (%s) cannot be peeled: ", tag->name,
				    tag->commit);
			add_git_error(err);
			goto out;
		}
		git_oid_tostr(tag->commit, sizeof(tag->commit), git_object_id(end));
	}
	tag->kind = git_object_type2string(git_object_type(end ? end : obj));
	tag->peeled = 1;
	ret = 0;
out:
	git_object_free(end);
	git_object_free(obj);
	return ret;
}

/* Collects refs/tags/ from the connected remote, peeled. */
static int collect_tags(git_remote *remote, struct remote_tags *out, struct strbuf *err)
{
	const git_remote_head **heads;
	size_t n, i;

	if (git_remote_ls(&heads, &n, remote)) {
		add_git_error(err);
		return -1;
	}
	out->nr_refs = n;
	for (i = 0; i < n; i++) {
		const char *name = heads[i]->name;
		size_t len;
		struct remote_tag *t;

		if (strncmp(name, "refs/tags/", 10))
			continue;
		name += 10;
		len = strlen(name);
		if (len > 3 && !strcmp(name + len - 3, "^{}")) {
			t = find_tag(out, name, len - 3);
			if (!t)
				continue;
		} else {
			xgrow((void **)&out->items, &out->alloc, out->nr + 1,
			      sizeof(*out->items));
			t = &out->items[out->nr++];
			t->name = xstrdup(name);
			t->peeled = 1;  /* a lightweight tag, or its "^{}" follows */
			t->kind = NULL; /* ids only: what they name is not said */
		}
		git_oid_tostr(t->commit, sizeof(t->commit), &heads[i]->oid);
	}
	return 0;
}

static int connect_remote(git_remote *remote, struct cb_state *cs, const char *url,
			  struct strbuf *err)
{
	git_remote_callbacks cbs;
	git_proxy_options proxy;

	init_callbacks(&cbs, cs);
	git_proxy_options_init(&proxy, GIT_PROXY_OPTIONS_VERSION);
	proxy.type = GIT_PROXY_AUTO;
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cbs, &proxy, NULL)) {
		strbuf_addf(err, "cannot reach %s: ", url);
		/* libgit2 calls a missing local path an "unsupported URL protocol" */
		if (!strstr(url, "://") && access(url, F_OK))
			strbuf_addf(err, "no such repository path (%s)", strerror(errno));
		else
			add_git_error(err);
		return -1;
	}
	return 0;
}

int remote_ls_tags(const char *url, const struct remote_opts *opts,
		   struct remote_tags *out, struct strbuf *err)
{
	struct cb_state cs = { opts };
	struct strbuf path = STRBUF_INIT;
	git_remote *remote = NULL;
	int ret = -1;

	if (git_start(opts, err))
		return -1;
	if (!local_repo_path(url, &path)) {
		ret = ls_local(url, path.buf, out, err);
		strbuf_release(&path);
		/* the open repository holds libgit2 until remote_tags_release() */
		if (!out->local)
			git_libgit2_shutdown();
		return ret;
	}
	if (git_remote_create_detached(&remote, url)) {
		strbuf_addf(err, "'%s' is not a repository URL: ", url);
		add_git_error(err);
		goto out;
	}
	if (connect_remote(remote, &cs, url, err))
		goto out;
	if (collect_tags(remote, out, err)) {
		strbuf_addf(err, " (listing %s)", url);
		goto out;
	}
	ret = 0;
out:
	if (remote) {
		git_remote_disconnect(remote);
		git_remote_free(remote);
	}
	git_libgit2_shutdown();
	return ret;
}

/*
 * A bare repository in `scratch` and a remote for `url` in it; both are
 * set in `*repo` and `*remote` as soon as they exist, for the caller to free.
 */
static int create_fetch_remote(const char *url, const char *scratch,
			       git_repository **repo, git_remote **remote,
			       struct strbuf *err)
{
	struct strbuf repo_path = STRBUF_INIT;
	git_remote_create_options rco;
	int ret = -1;

	strbuf_addf(&repo_path, "%s/repo.git", scratch);
	if (git_repository_init(repo, repo_path.buf, 1)) {
		strbuf_addf(err, "cannot create a repository in %s: ", repo_path.buf);
		add_git_error(err);
		goto out;
	}
	/*
	 * Like the detached remote of remote_ls_tags(): no url.*.insteadOf
	 * rewriting, so resolve and fetch talk to the same URL (and libgit2
	 * 1.5's insteadOf lookup leaks its pcre2 match data).
	 */
	git_remote_create_options_init(&rco, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	rco.repository = *repo;
	rco.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(remote, url, &rco)) {
		strbuf_addf(err, "'%s' is not a repository URL: ", url);
		add_git_error(err);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&repo_path);
	return ret;
}

/* The connected remote still has `tag`, still at `commit`, as when it was resolved. */
static int check_tag_unmoved(git_remote *remote, const char *url, const char *tag,
			     const char *commit, struct strbuf *err)
{
	struct remote_tags now;
	size_t i;
	int ret = -1, found = 0;

	remote_tags_init(&now);
	if (collect_tags(remote, &now, err))
		goto out;
	for (i = 0; i < now.nr; i++) {
		if (strcmp(now.items[i].name, tag))
			continue;
		found = 1;
		if (strcmp(now.items[i].commit, commit)) {
			strbuf_addf(err, "tag %s moved in %s since it was resolved: it "
				    "points at %s now, not %s", tag, url,
				    now.items[i].commit, commit);
			goto out;
		}
	}
	if (!found) {
		strbuf_addf(err, "tag %s no longer exists in %s (it pointed at %s "
			    "when it was resolved)", tag, url, commit);
		goto out;
	}
	ret = 0;
out:
	remote_tags_release(&now);
	return ret;
}

/* Downloads the objects of refs/tags/`tag` only, no other tag. */
static int download_tag(git_remote *remote, struct cb_state *cs, const char *url,
			const char *tag, struct remote_fetch_stats *stats,
			struct strbuf *err)
{
	struct strbuf refspec = STRBUF_INIT;
	git_fetch_options fo;
	git_strarray specs;
	char *spec_str;
	const git_indexer_progress *ip;
	int ret = -1;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	init_callbacks(&fo.callbacks, cs);
	fo.proxy_opts.type = GIT_PROXY_AUTO;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	strbuf_addf(&refspec, "+refs/tags/%s:refs/tags/%s", tag, tag);
	spec_str = refspec.buf;
	specs.strings = &spec_str;
	specs.count = 1;
	if (git_remote_download(remote, &specs, &fo)) {
		strbuf_addf(err, "cannot fetch %s from %s: ", tag, url);
		add_git_error(err);
		goto out;
	}
	ip = git_remote_stats(remote);
	if (stats && ip) {
		stats->received_bytes = ip->received_bytes;
		stats->received_objects = ip->received_objects;
	}
	ret = 0;
out:
	strbuf_release(&refspec);
	return ret;
}

/* Writes `tree` into the new directory `dest`, leaving the index alone. */
static int checkout_to(git_repository *repo, git_tree *tree, const char *commit,
		       const char *dest, struct strbuf *err)
{
	git_checkout_options co;

	if (mkdir(dest, 0755)) {
		strbuf_addf(err, "cannot create %s: %s", dest, strerror(errno));
		return -1;
	}
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
	co.target_directory = dest;
	if (git_checkout_tree(repo, (const git_object *)tree, &co)) {
		strbuf_addf(err, "cannot write the tree of %s to %s: ", commit, dest);
		add_git_error(err);
		return -1;
	}
	return 0;
}

int remote_fetch_tree(const char *url, const char *tag, const char *commit,
		      const char *scratch, const char *dest,
		      const struct remote_opts *opts, struct remote_fetch_stats *stats,
		      struct strbuf *err)
{
	struct cb_state cs = { opts };
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_object *obj = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int ret = -1;

	if (git_start(opts, err))
		return -1;
	if (git_oid_fromstr(&oid, commit)) {
		strbuf_addf(err, "'%s' is not a commit id", commit);
		goto out;
	}
	if (create_fetch_remote(url, scratch, &repo, &remote, err) ||
	    connect_remote(remote, &cs, url, err) ||
	    check_tag_unmoved(remote, url, tag, commit, err) ||
	    download_tag(remote, &cs, url, tag, stats, err))
		goto out;
	if (git_commit_lookup(&c, repo, &oid)) {
		if (!git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY)) {
			strbuf_addf(err, "tag %s of %s points at a %s (%s), not a commit: it is "
				    "not a Slurm version", tag, url,
				    git_object_type2string(git_object_type(obj)), commit);
			if (stats)
				stats->not_a_commit = 1;
			goto out;
		}
		strbuf_addf(err, "commit %s of tag %s is not in what %s sent: ", commit,
			    tag, url);
		add_git_error(err);
		goto out;
	}
	if (stats)
		stats->commit_time = (long long)git_commit_time(c);
	if (git_commit_tree(&tree, c)) {
		strbuf_addf(err, "cannot read the tree of %s: ", commit);
		add_git_error(err);
		goto out;
	}
	if (checkout_to(repo, tree, commit, dest, err))
		goto out;
	ret = 0;
out:
	if (stats)
		stats->connections = stream_connections;
	git_tree_free(tree);
	git_commit_free(c);
	git_object_free(obj);
	if (remote) {
		git_remote_disconnect(remote);
		git_remote_free(remote);
	}
	git_repository_free(repo);
	git_libgit2_shutdown();
	return ret;
}
