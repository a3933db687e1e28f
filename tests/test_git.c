/*
 * resolve and fetch through the real binary against repositories built here
 * with libgit2, served over a local path, git:// (git daemon) and smart
 * HTTP (git http-backend behind a small python3 server), all on 127.0.0.1.
 * The failure cases (refused, hanging, no Slurm tags, a tag that vanished
 * between resolve and fetch) must each end in exit 2 with the report
 * written and a message that says what happened.
 */
#include "testlib.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

/* libarchive's own header (src/archive.h is the adapter's): hostile tarballs */
#include <archive.h>
#include <archive_entry.h>
#include <git2.h>
#include <json-c/json.h>

#include "clock.h"
#include "git.h"
#include "report.h"

struct fixture {
	char *dir;             /* everything of one test lives under here */
	char *repo;            /* dir/srv/slurm.git (bare) */
	char *cache;           /* dir/cache */
	char c_old[41];        /* commit of slurm-24-11-4-1 (annotated) */
	char c_new[41];        /* commit of slurm-24-11-5-1 (annotated) */
	char c_rc[41];         /* commit of slurm-24-11-0-0rc1 (lightweight) */
	char c_2302[41];       /* commit of slurm-23-02-8-1 (lightweight) */
	char t_new[41];        /* the tag object of slurm-24-11-5-1 */
	pid_t server;          /* a git daemon or http server, or 0 */
};

/* ---- fixtures made with libgit2 ---- */

static void oid_hex(char out[41], const git_oid *oid)
{
	git_oid_tostr(out, 41, oid);
}

/* A commit whose tree holds VERSION (the text) and a script. */
static int make_commit(git_repository *repo, const git_oid *parent_oid,
		       const char *version, long when, git_oid *out)
{
	git_treebuilder *tb = NULL;
	git_oid blob, blob2, tree_oid;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	const char *script = "#!/bin/sh\necho configure\n";
	int rc = -1;

	if (git_blob_create_from_buffer(&blob, repo, version, strlen(version)) ||
	    git_blob_create_from_buffer(&blob2, repo, script, strlen(script)) ||
	    git_treebuilder_new(&tb, repo, NULL) ||
	    git_treebuilder_insert(NULL, tb, "VERSION", &blob, GIT_FILEMODE_BLOB) ||
	    git_treebuilder_insert(NULL, tb, "configure", &blob2,
				   GIT_FILEMODE_BLOB_EXECUTABLE) ||
	    git_treebuilder_write(&tree_oid, tb) ||
	    git_tree_lookup(&tree, repo, &tree_oid) ||
	    git_signature_new(&sig, "Test", "test@example.invalid", when, 0))
		goto out;
	if (parent_oid && git_commit_lookup(&parent, repo, parent_oid))
		goto out;
	if (git_commit_create_v(out, repo, parent_oid ? NULL : "refs/heads/main", sig,
				sig, NULL, version, tree, parent ? 1 : 0, parent))
		goto out;
	rc = 0;
out:
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_commit_free(parent);
	git_signature_free(sig);
	return rc;
}

static int tag(git_repository *repo, const char *name, const git_oid *commit,
	       int annotated, git_oid *tag_oid)
{
	git_object *obj = NULL;
	git_signature *sig = NULL;
	git_oid dummy;
	int rc = -1;

	if (git_object_lookup(&obj, repo, commit, GIT_OBJECT_COMMIT))
		return -1;
	if (annotated) {
		if (!git_signature_new(&sig, "Test", "test@example.invalid", 1700000000, 0) &&
		    !git_tag_create(tag_oid ? tag_oid : &dummy, repo, name, obj, sig,
				    name, 0))
			rc = 0;
	} else if (!git_tag_create_lightweight(&dummy, repo, name, obj, 0)) {
		rc = 0;
	}
	git_signature_free(sig);
	git_object_free(obj);
	return rc;
}

/* The Slurm-like repository: tags of both kinds, a pre-release, "start". */
static int make_slurm_repo(struct fixture *f)
{
	git_repository *repo = NULL;
	git_oid c1, c2, c3, c4, t;
	int rc = -1;

	if (git_repository_init(&repo, f->repo, 1))
		return -1;
	if (make_commit(repo, NULL, "24.11.0-0rc1\n", 1700000000, &c1) ||
	    make_commit(repo, &c1, "24.11.4\n", 1700001000, &c2) ||
	    make_commit(repo, &c2, "24.11.5\n", 1700002000, &c3) ||
	    make_commit(repo, &c3, "23.02.8\n", 1700003000, &c4))
		goto out;
	if (tag(repo, "slurm-24-11-0-0rc1", &c1, 0, NULL) ||
	    tag(repo, "slurm-24-11-4-1", &c2, 1, NULL) ||
	    tag(repo, "slurm-24-11-5-1", &c3, 1, &t) ||
	    tag(repo, "slurm-23-02-8-1", &c4, 0, NULL) ||
	    tag(repo, "start", &c1, 0, NULL))
		goto out;
	oid_hex(f->c_rc, &c1);
	oid_hex(f->c_old, &c2);
	oid_hex(f->c_new, &c3);
	oid_hex(f->c_2302, &c4);
	oid_hex(f->t_new, &t);
	rc = 0;
out:
	git_repository_free(repo);
	return rc;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	git_libgit2_init();
	f->dir = t_mkdtemp("git");
	if (!f->dir)
		return -1;
	f->repo = xasprintf("%s/srv/slurm.git", f->dir);
	f->cache = xasprintf("%s/cache", f->dir);
	if (t_mkdirs(f->repo) || make_slurm_repo(f)) {
		const git_error *e = git_error_last();
		fprintf(stderr, "# fixture: %s\n", e ? e->message : "?");
		return -1;
	}
	*state = f;
	return 0;
}

static void stop_server(struct fixture *f)
{
	int i;

	if (f->server <= 0)
		return;
	kill(f->server, SIGTERM);
	for (i = 0; i < 100 && !kill(f->server, 0); i++)
		usleep(20000);
	if (!kill(f->server, 0))
		kill(f->server, SIGKILL);
	f->server = 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	stop_server(f);
	t_rmtree(f->dir);
	free(f->dir);
	free(f->repo);
	free(f->cache);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

/* ---- helpers: ports, servers, the binary, the JSON report ---- */

/* A port that was free a moment ago; with `keep` the socket stays bound. */
static int loopback_port(int *fd_out)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return -1;
	if (fd_out)
		*fd_out = fd;
	else
		close(fd);
	return ntohs(a.sin_port);
}

static int wait_port(int port)
{
	struct sockaddr_in a;
	int i;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	for (i = 0; i < 250; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int ok = !connect(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (ok)
			return 0;
		usleep(20000);
	}
	return -1;
}

static pid_t read_pid(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned long pid = 0;

	if (!t_read(path, &sb)) {
		strbuf_setlen(&sb, strcspn(sb.buf, "\n"));
		if (parse_ulong(sb.buf, 1, 4194304, &pid))
			pid = 0;
	}
	strbuf_release(&sb);
	return (pid_t)pid;
}

/* git daemon on 127.0.0.1 serving dir/srv; returns the port. */
static int start_git_daemon(struct fixture *f)
{
	int port = loopback_port(NULL);
	char *pidf;

	assert_true(port > 0);
	pidf = xasprintf("%s/daemon.pid", f->dir);
	/* git-daemon itself (not the git wrapper) so that its pid is the one we stop */
	assert_int_equal(t_sh("\"$(git --exec-path)/git-daemon\" --reuseaddr "
			      "--listen=127.0.0.1 --port=%d --base-path=%s/srv --export-all "
			      "%s/srv >%s/daemon.log 2>&1 & echo $! >%s", port, f->dir, f->dir,
			      f->dir, pidf), 0);
	f->server = read_pid(pidf);
	free(pidf);
	assert_true(f->server > 0);
	assert_int_equal(wait_port(port), 0);
	return port;
}

/*
 * Smart HTTP: python3's http.server running git http-backend as a CGI
 * program for every request (chunked request bodies included).
 */
static const char http_cgi_py[] =
	"import http.server, os, subprocess, sys\n"
	"port, root = int(sys.argv[1]), sys.argv[2]\n"
	"class H(http.server.BaseHTTPRequestHandler):\n"
	"    def log_message(self, *a): pass\n"
	"    def body(self):\n"
	"        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':\n"
	"            out = b''\n"
	"            while True:\n"
	"                n = int(self.rfile.readline().split(b';')[0].strip(), 16)\n"
	"                if n == 0:\n"
	"                    while self.rfile.readline().strip(): pass\n"
	"                    return out\n"
	"                out += self.rfile.read(n); self.rfile.readline()\n"
	"        return self.rfile.read(int(self.headers.get('Content-Length') or 0))\n"
	"    def cgi(self):\n"
	"        path, _, query = self.path.partition('?')\n"
	"        data = self.body()\n"
	"        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL='1',\n"
	"                   REQUEST_METHOD=self.command, PATH_INFO=path, QUERY_STRING=query,\n"
	"                   CONTENT_TYPE=self.headers.get('Content-Type', ''),\n"
	"                   CONTENT_LENGTH=str(len(data)), REMOTE_ADDR='127.0.0.1')\n"
	"        p = subprocess.run(['git', 'http-backend'], input=data, env=env,\n"
	"                           stdout=subprocess.PIPE)\n"
	"        sep = b'\\r\\n\\r\\n' if b'\\r\\n\\r\\n' in p.stdout else b'\\n\\n'\n"
	"        head, _, out = p.stdout.partition(sep)\n"
	"        status, hdrs = 200, []\n"
	"        for line in head.decode().splitlines():\n"
	"            k, _, v = line.partition(':')\n"
	"            if k.lower() == 'status': status = int(v.split()[0])\n"
	"            elif k: hdrs.append((k, v.strip()))\n"
	"        self.send_response(status)\n"
	"        for k, v in hdrs: self.send_header(k, v)\n"
	"        self.send_header('Content-Length', str(len(out)))\n"
	"        self.send_header('Connection', 'close')\n"
	"        self.end_headers(); self.wfile.write(out)\n"
	"    do_GET = do_POST = cgi\n"
	"http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()\n";

static int start_http(struct fixture *f)
{
	int port = loopback_port(NULL);
	char *py = xasprintf("%s/http-cgi.py", f->dir);
	char *pidf = xasprintf("%s/http.pid", f->dir);

	assert_true(port > 0);
	assert_int_equal(t_writestr(py, http_cgi_py), 0);
	assert_int_equal(t_sh("python3 %s %d %s/srv >%s/http.log 2>&1 & echo $! >%s",
			      py, port, f->dir, f->dir, pidf), 0);
	f->server = read_pid(pidf);
	assert_true(f->server > 0);
	assert_int_equal(wait_port(port), 0);
	free(py);
	free(pidf);
	return port;
}

/* Runs the binary with `args`; returns its exit code, output in `out`. */
static int sf(struct strbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sf(struct strbuf *out, const char *fmt, ...)
{
	struct strbuf args = STRBUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	strbuf_vaddf(&args, fmt, ap);
	va_end(ap);
	strbuf_reset(out);
	rc = t_sh_capture(out, "%s %s", t_bin(), args.buf);
	strbuf_release(&args);
	return rc;
}

static json_object *load_json(const char *path)
{
	json_object *j = json_object_from_file(path);

	if (!j)
		fail_msg("no JSON report at %s", path);
	return j;
}

static json_object *stage_of(json_object *report, const char *name)
{
	json_object *stages, *s, *n;
	size_t i;

	if (!json_object_object_get_ex(report, "stages", &stages))
		return NULL;
	for (i = 0; i < json_object_array_length(stages); i++) {
		s = json_object_array_get_idx(stages, i);
		if (json_object_object_get_ex(s, "name", &n) &&
		    !strcmp(json_object_get_string(n), name))
			return s;
	}
	return NULL;
}

/* A stage property, or "" (never NULL, so assert_string_equal reports it). */
static const char *prop_of(json_object *report, const char *stage, const char *name)
{
	json_object *s = stage_of(report, stage), *props, *v;

	if (!s || !json_object_object_get_ex(s, "properties", &props) ||
	    !json_object_object_get_ex(props, name, &v))
		return "";
	return json_object_get_string(v);
}

/* The message of a check ("" when absent) and its outcome into `outcome`. */
static const char *check_of(json_object *report, const char *stage, const char *check,
			    const char **outcome)
{
	json_object *s = stage_of(report, stage), *checks, *c, *v;
	size_t i;

	*outcome = "";
	if (!s || !json_object_object_get_ex(s, "checks", &checks))
		return "";
	for (i = 0; i < json_object_array_length(checks); i++) {
		c = json_object_array_get_idx(checks, i);
		if (!json_object_object_get_ex(c, "name", &v) ||
		    strcmp(json_object_get_string(v), check))
			continue;
		if (json_object_object_get_ex(c, "outcome", &v))
			*outcome = json_object_get_string(v);
		if (json_object_object_get_ex(c, "message", &v) && json_object_get_string(v))
			return json_object_get_string(v);
		return "";
	}
	return "";
}

static int exit_code_of(json_object *report)
{
	json_object *v;

	return json_object_object_get_ex(report, "exit_code", &v) ? json_object_get_int(v) : -1;
}

static char *report_path(struct fixture *f, const char *name)
{
	return xasprintf("%s/%s.json", f->dir, name);
}

/* Checks the resolve of "24.11" over `url`: the annotated tag peeled. */
static void expect_resolves_24_11(struct fixture *f, const char *url, const char *name)
{
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;
	char *json = report_path(f, name);
	json_object *r;

	assert_int_equal(sf(&out, "resolve 24.11 --repo %s --timeout 10 --json %s", url, json), 0);
	strbuf_addf(&want, "tag: slurm-24-11-5-1\nversion: 24.11.5\ncommit: %s\nrepo: %s\n",
		    f->c_new, url);
	assert_non_null(strstr(out.buf, want.buf));
	assert_null(strstr(out.buf, f->t_new));   /* never the tag object */
	r = load_json(json);
	assert_string_equal(prop_of(r, "resolve", "commit"), f->c_new);
	assert_string_equal(prop_of(r, "resolve", "tag"), "slurm-24-11-5-1");
	assert_string_equal(prop_of(r, "resolve", "slurm_tags"), "4");
	assert_int_equal(exit_code_of(r), 0);
	json_object_put(r);
	free(json);
	strbuf_release(&out);
	strbuf_release(&want);
}

/* ---- resolve over each transport ---- */

static void resolve__local_path_peels_annotated_tags(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;

	expect_resolves_24_11(f, f->repo, "path");
	/* a lightweight tag resolves to its commit as it is */
	assert_int_equal(sf(&out, "resolve 23.02 --repo %s", f->repo), 0);
	assert_non_null(strstr(out.buf, "tag: slurm-23-02-8-1\n"));
	assert_non_null(strstr(out.buf, f->c_2302));
	strbuf_release(&out);
}

/*
 * A local repository is read directly (not through libgit2's local
 * transport) and its tags peeled on demand: the same names, and once peeled
 * the same ids, as the git daemon advertises for it, a tag of a tag
 * included; and a directory that is no repository is an error.
 */
static void remote_ls_tags__local_listing_matches_the_git_daemon(void **state)
{
	struct fixture *f = *state;
	struct remote_opts ro = { 10, NULL, NULL };
	struct remote_tags local, daemon;
	struct strbuf err = STRBUF_INIT;
	git_repository *repo;
	git_object *inner;
	git_signature *sig;
	git_oid oid, outer;
	char *url, *empty;
	size_t i, j;
	int port;

	/* "nested" is an annotated tag whose target is the annotated 24.11.5 tag */
	assert_int_equal(git_repository_open(&repo, f->repo), 0);
	assert_int_equal(git_oid_fromstr(&oid, f->t_new), 0);
	assert_int_equal(git_object_lookup(&inner, repo, &oid, GIT_OBJECT_TAG), 0);
	assert_int_equal(git_signature_new(&sig, "Test", "test@example.invalid", 1700000000, 0), 0);
	assert_int_equal(git_tag_create(&outer, repo, "nested", inner, sig, "nested", 0), 0);
	git_signature_free(sig);
	git_object_free(inner);
	git_repository_free(repo);

	remote_tags_init(&local);
	remote_tags_init(&daemon);
	assert_int_equal(remote_ls_tags(f->repo, &ro, &local, &err), 0);
	port = start_git_daemon(f);
	url = xasprintf("git://127.0.0.1:%d/slurm.git", port);
	assert_int_equal(remote_ls_tags(url, &ro, &daemon, &err), 0);
	stop_server(f);
	assert_int_equal(local.nr, 6);
	assert_int_equal(local.nr, daemon.nr);
	for (i = 0; i < local.nr; i++) {
		struct remote_tag *t = &local.items[i];

		for (j = 0; j < daemon.nr && strcmp(daemon.items[j].name, t->name); j++)
			;
		assert_true(j < daemon.nr);
		assert_int_equal(remote_tags_peel(&local, t, &err), 0);
		assert_true(t->peeled);
		assert_string_equal(t->commit, daemon.items[j].commit);
		if (!strcmp(t->name, "nested"))
			assert_string_equal(t->commit, f->c_new);
		/* peeling twice changes nothing */
		assert_int_equal(remote_tags_peel(&local, t, &err), 0);
		assert_string_equal(t->commit, daemon.items[j].commit);
	}
	remote_tags_release(&local);
	remote_tags_release(&daemon);

	empty = xasprintf("%s/not-a-repo", f->dir);
	assert_int_equal(t_mkdirs(empty), 0);
	remote_tags_init(&local);
	strbuf_reset(&err);
	assert_int_equal(remote_ls_tags(empty, &ro, &local, &err), -1);
	assert_non_null(strstr(err.buf, "cannot reach"));
	assert_non_null(strstr(err.buf, empty));
	assert_null(local.local);
	remote_tags_release(&local);
	free(empty);
	free(url);
	strbuf_release(&err);
}

static void resolve__file_url_and_prerelease(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(sf(&out, "resolve 24.11.0 --pre --repo file://%s", f->repo), 0);
	assert_non_null(strstr(out.buf, "tag: slurm-24-11-0-0rc1\n"));
	assert_non_null(strstr(out.buf, f->c_rc));
	assert_int_equal(sf(&out, "resolve latest --repo file://%s", f->repo), 0);
	assert_non_null(strstr(out.buf, "tag: slurm-24-11-5-1\n"));
	strbuf_release(&out);
}

static void resolve__git_daemon_on_loopback(void **state)
{
	struct fixture *f = *state;
	int port = start_git_daemon(f);
	char *url = xasprintf("git://127.0.0.1:%d/slurm.git", port);

	expect_resolves_24_11(f, url, "daemon");
	stop_server(f);
	free(url);
}

static void resolve__smart_http_on_loopback(void **state)
{
	struct fixture *f = *state;
	int port = start_http(f);
	char *url = xasprintf("http://127.0.0.1:%d/slurm.git", port);

	expect_resolves_24_11(f, url, "http");
	stop_server(f);
	free(url);
}

/* Tags `name` on any object (a tree, a blob), lightweight or annotated. */
static void tag_any(git_repository *repo, const char *name, const git_oid *target,
		    int annotated)
{
	git_object *obj = NULL;
	git_signature *sig = NULL;
	git_oid out;

	assert_int_equal(git_object_lookup(&obj, repo, target, GIT_OBJECT_ANY), 0);
	if (annotated) {
		assert_int_equal(git_signature_new(&sig, "Test", "test@example.invalid",
						   1700000000, 0), 0);
		assert_int_equal(git_tag_create(&out, repo, name, obj, sig, name, 0), 0);
	} else {
		assert_int_equal(git_tag_create_lightweight(&out, repo, name, obj, 0), 0);
	}
	git_signature_free(sig);
	git_object_free(obj);
}

/*
 * Version-shaped tags newer than every real one that name no commit:
 * 24.11.6 a tree (lightweight), 24.11.7 a blob (annotated), 24.11.8 a tree
 * (annotated), 24.11.9 a blob (lightweight).
 */
static void add_non_commit_tags(struct fixture *f, char tree_hex[41], char blob_hex[41])
{
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid oid, blob;

	assert_int_equal(git_repository_open(&repo, f->repo), 0);
	assert_int_equal(git_oid_fromstr(&oid, f->c_new), 0);
	assert_int_equal(git_commit_lookup(&c, repo, &oid), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, repo, "24.11.9\n", 8), 0);
	tag_any(repo, "slurm-24-11-6-1", git_commit_tree_id(c), 0);
	tag_any(repo, "slurm-24-11-7-1", &blob, 1);
	tag_any(repo, "slurm-24-11-8-1", git_commit_tree_id(c), 1);
	tag_any(repo, "slurm-24-11-9-1", &blob, 0);
	oid_hex(tree_hex, git_commit_tree_id(c));
	oid_hex(blob_hex, &blob);
	git_commit_free(c);
	git_repository_free(repo);
}

static void resolve__tags_naming_a_tree_or_blob_are_not_versions(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;
	char *json = report_path(f, "nocommit"), tree[41], blob[41];
	const char *outcome, *msg;
	json_object *r;

	add_non_commit_tags(f, tree, blob);
	/* the newest tag that peels to a commit wins; the others are named as skipped */
	assert_int_equal(sf(&out, "resolve 24.11 --repo %s --json %s", f->repo, json), 0);
	assert_non_null(strstr(out.buf, "tag: slurm-24-11-5-1\n"));
	strbuf_addf(&want, "commit: %s\n", f->c_new);
	assert_non_null(strstr(out.buf, want.buf));
	r = load_json(json);
	msg = check_of(r, "resolve", "resolve-spec", &outcome);
	assert_string_equal(outcome, "pass");
	assert_non_null(strstr(msg, "skipped slurm-24-11-9-1: it points at a blob"));
	assert_non_null(strstr(msg, "skipped slurm-24-11-8-1: it points at a tree"));
	assert_non_null(strstr(msg, "skipped slurm-24-11-7-1: it points at a blob"));
	assert_non_null(strstr(msg, "skipped slurm-24-11-6-1: it points at a tree"));
	/* the ids are named as what they are, never as a commit */
	assert_non_null(strstr(msg, tree));
	assert_non_null(strstr(msg, blob));
	json_object_put(r);
	assert_int_equal(sf(&out, "resolve latest --repo %s", f->repo), 0);
	assert_non_null(strstr(out.buf, "tag: slurm-24-11-5-1\n"));
	/* asked for by version or by name: not a version, a failed check */
	assert_int_equal(sf(&out, "resolve 24.11.8 --repo %s --json %s", f->repo, json), 1);
	assert_null(strstr(out.buf, "commit: "));
	r = load_json(json);
	msg = check_of(r, "resolve", "resolve-spec", &outcome);
	assert_string_equal(outcome, "fail");
	assert_non_null(strstr(msg, "no Slurm version matches '24.11.8'"));
	assert_non_null(strstr(msg, "slurm-24-11-8-1: it points at a tree"));
	json_object_put(r);
	assert_int_equal(sf(&out, "resolve slurm-24-11-6-1 --repo %s", f->repo), 1);
	assert_null(strstr(out.buf, "commit: "));
	free(json);
	strbuf_release(&out);
	strbuf_release(&want);
}

/* Over the network a listing gives ids only: fetch finds the blob and says so. */
static void fetch__tag_naming_a_blob_over_the_network_is_a_failed_check(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *json = report_path(f, "blobfetch"), *url, tree[41], blob[41];
	const char *outcome, *msg;
	json_object *r;
	int port;

	add_non_commit_tags(f, tree, blob);
	port = start_git_daemon(f);
	url = xasprintf("git://127.0.0.1:%d/slurm.git", port);
	assert_int_equal(sf(&out, "fetch 24.11.7 --repo %s --cache-dir %s --json %s", url,
			    f->cache, json), 1);
	stop_server(f);
	r = load_json(json);
	msg = check_of(r, "fetch", "fetch-commit", &outcome);
	assert_string_equal(outcome, "fail");
	assert_non_null(strstr(msg, "tag slurm-24-11-7-1"));
	assert_non_null(strstr(msg, "points at a blob"));
	assert_non_null(strstr(msg, blob));
	assert_int_equal(exit_code_of(r), 1);
	json_object_put(r);
	/* nothing cached */
	assert_int_equal(t_sh("test -z \"$(ls -A %s/sources)\"", f->cache), 0);
	free(url);
	free(json);
	strbuf_release(&out);
}

/* ---- failures: exit 1 for the spec, exit 2 for the environment ---- */

static void resolve__unknown_spec_fails_with_nearest_versions(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *json = report_path(f, "unknown");
	const char *outcome, *msg;
	json_object *r;

	assert_int_equal(sf(&out, "resolve 24.12 --repo %s --json %s", f->repo, json), 1);
	assert_null(strstr(out.buf, "tag: "));
	r = load_json(json);
	msg = check_of(r, "resolve", "resolve-spec", &outcome);
	assert_string_equal(outcome, "fail");
	assert_non_null(strstr(msg, "no Slurm version matches '24.12'"));
	assert_non_null(strstr(msg, "24.11.5 (slurm-24-11-5-1)"));
	assert_int_equal(exit_code_of(r), 1);
	json_object_put(r);
	free(json);
	strbuf_release(&out);
}

static void resolve__refused_connection_is_an_environment_error(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *json = report_path(f, "refused");
	int port = loopback_port(NULL);   /* bound, then closed: nobody listens */
	const char *outcome, *msg;
	json_object *r;

	assert_int_equal(sf(&out, "resolve latest --repo git://127.0.0.1:%d/slurm.git "
			    "--json %s", port, json), 2);
	r = load_json(json);
	msg = check_of(r, "resolve", "list-tags", &outcome);
	assert_string_equal(outcome, "error");
	assert_non_null(strstr(msg, "Connection refused"));
	assert_non_null(strstr(msg, "127.0.0.1"));
	assert_int_equal(exit_code_of(r), 2);
	json_object_put(r);
	/* http too */
	assert_int_equal(sf(&out, "resolve latest --repo http://127.0.0.1:%d/slurm.git "
			    "--json %s", port, json), 2);
	r = load_json(json);
	msg = check_of(r, "resolve", "list-tags", &outcome);
	assert_non_null(strstr(msg, "Connection refused"));
	json_object_put(r);
	free(json);
	strbuf_release(&out);
}

static void resolve__missing_local_path_is_an_environment_error(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *json = report_path(f, "missing");
	const char *outcome, *msg;
	json_object *r;

	assert_int_equal(sf(&out, "resolve latest --repo %s/nope.git --json %s", f->dir,
			    json), 2);
	r = load_json(json);
	msg = check_of(r, "resolve", "list-tags", &outcome);
	assert_string_equal(outcome, "error");
	assert_non_null(strstr(msg, "no such repository path"));
	json_object_put(r);
	free(json);
	strbuf_release(&out);
}

static void resolve__hanging_server_times_out(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *json = report_path(f, "hang");
	const char *schemes[] = { "git", "http" };
	const char *outcome, *msg;
	json_object *r;
	int fd = -1, port, i;

	/* listens and never accepts: the kernel completes the handshake */
	port = loopback_port(&fd);
	assert_true(port > 0);
	assert_int_equal(listen(fd, 16), 0);
	for (i = 0; i < 2; i++) {
		double t0 = monotonic_now(), took;
		assert_int_equal(sf(&out, "resolve latest --timeout 1 --repo "
				    "%s://127.0.0.1:%d/slurm.git --json %s", schemes[i],
				    port, json), 2);
		took = monotonic_now() - t0;
		if (took > 5)
			fail_msg("%s: took %.1f s with --timeout 1", schemes[i], took);
		r = load_json(json);
		msg = check_of(r, "resolve", "list-tags", &outcome);
		assert_string_equal(outcome, "error");
		assert_non_null(strstr(msg, "timed out"));
		assert_int_equal(exit_code_of(r), 2);
		json_object_put(r);
	}
	close(fd);
	free(json);
	strbuf_release(&out);
}

static void resolve__repository_without_slurm_tags(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *path = xasprintf("%s/srv/other.git", f->dir);
	char *json = report_path(f, "notags");
	git_repository *repo = NULL;
	git_oid c;
	const char *outcome, *msg;
	json_object *r;

	assert_int_equal(git_repository_init(&repo, path, 1), 0);
	assert_int_equal(make_commit(repo, NULL, "hello\n", 1700000000, &c), 0);
	assert_int_equal(tag(repo, "v1.0", &c, 1, NULL), 0);
	git_repository_free(repo);
	assert_int_equal(sf(&out, "resolve latest --repo %s --json %s", path, json), 2);
	r = load_json(json);
	msg = check_of(r, "resolve", "list-tags", &outcome);
	assert_string_equal(outcome, "error");
	assert_non_null(strstr(msg, "has no Slurm version tags"));
	json_object_put(r);
	free(json);
	free(path);
	strbuf_release(&out);
}

/* ---- fetch ---- */

static void fetch__git_daemon_then_cache_hit_with_server_gone(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT, file = STRBUF_INIT;
	char *json = report_path(f, "fetch1"), *url, *p;
	const char *outcome;
	json_object *r;
	int port = start_git_daemon(f);

	url = xasprintf("git://127.0.0.1:%d/slurm.git", port);
	assert_int_equal(sf(&out, "fetch 24.11 --repo %s --cache-dir %s --json %s", url,
			    f->cache, json), 0);
	assert_non_null(strstr(out.buf, "cache: miss\n"));
	r = load_json(json);
	assert_string_equal(prop_of(r, "fetch", "cache"), "miss");
	assert_string_equal(prop_of(r, "fetch", "transport"), "opened");
	assert_string_equal(prop_of(r, "fetch", "connections"), "1");
	assert_string_equal(prop_of(r, "fetch", "commit"), f->c_new);
	check_of(r, "fetch", "fetch-commit", &outcome);
	assert_string_equal(outcome, "pass");
	json_object_put(r);
	p = xasprintf("%s/sources/%s/src/VERSION", f->cache, f->c_new);
	assert_int_equal(t_read(p, &file), 0);
	assert_string_equal(file.buf, "24.11.5\n");
	free(p);
	p = xasprintf("test -x %s/sources/%s/src/configure", f->cache, f->c_new);
	assert_int_equal(t_sh("%s", p), 0);
	free(p);
	/* nothing half-written is left next to the entry */
	assert_int_equal(t_sh("test -z \"$(ls -A %s/sources | grep -v %s)\"", f->cache,
			      f->c_new), 0);

	/* the server is gone: the pinned commit is still a hit, no transport */
	stop_server(f);
	assert_int_equal(sf(&out, "fetch slurm-24-11-5-1 --commit %s --repo %s "
			    "--cache-dir %s --json %s", f->c_new, url, f->cache, json), 0);
	assert_non_null(strstr(out.buf, "cache: hit\n"));
	r = load_json(json);
	assert_string_equal(prop_of(r, "fetch", "cache"), "hit");
	assert_string_equal(prop_of(r, "fetch", "transport"), "none");
	/* nothing was resolved: the resolve stage says --commit gave it */
	assert_non_null(stage_of(r, "resolve"));
	assert_non_null(strstr(json_object_get_string(json_object_object_get(
		stage_of(r, "resolve"), "skip_reason")), "--commit"));
	assert_int_equal(exit_code_of(r), 0);
	json_object_put(r);
	/* and a miss with the server gone is an environment error */
	assert_int_equal(sf(&out, "fetch slurm-24-11-4-1 --commit %s --repo %s "
			    "--cache-dir %s --json %s --timeout 2", f->c_old, url, f->cache,
			    json), 2);
	free(url);
	free(json);
	strbuf_release(&out);
	strbuf_release(&file);
}

static void fetch__smart_http_annotated_tag(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT, file = STRBUF_INIT;
	char *json = report_path(f, "fetchhttp"), *url, *p;
	json_object *r;
	int port = start_http(f);

	url = xasprintf("http://127.0.0.1:%d/slurm.git", port);
	assert_int_equal(sf(&out, "fetch 24.11.4 --repo %s --cache-dir %s --json %s", url,
			    f->cache, json), 0);
	r = load_json(json);
	assert_string_equal(prop_of(r, "fetch", "cache"), "miss");
	assert_string_equal(prop_of(r, "fetch", "commit"), f->c_old);
	json_object_put(r);
	p = xasprintf("%s/sources/%s/src/VERSION", f->cache, f->c_old);
	assert_int_equal(t_read(p, &file), 0);
	assert_string_equal(file.buf, "24.11.4\n");
	/* second fetch: resolves again, but the source is a cache hit */
	assert_int_equal(sf(&out, "fetch 24.11.4 --repo %s --cache-dir %s --json %s", url,
			    f->cache, json), 0);
	r = load_json(json);
	assert_string_equal(prop_of(r, "fetch", "cache"), "hit");
	assert_string_equal(prop_of(r, "fetch", "transport"), "none");
	json_object_put(r);
	stop_server(f);
	free(p);
	free(url);
	free(json);
	strbuf_release(&out);
	strbuf_release(&file);
}

static void fetch__tag_deleted_after_resolve_is_an_environment_error(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *json = report_path(f, "vanished"), *p;
	git_repository *repo = NULL;
	const char *outcome, *msg;
	json_object *r;

	assert_int_equal(sf(&out, "resolve 24.11.4 --repo %s", f->repo), 0);
	assert_non_null(strstr(out.buf, f->c_old));
	assert_int_equal(git_repository_open(&repo, f->repo), 0);
	assert_int_equal(git_tag_delete(repo, "slurm-24-11-4-1"), 0);
	git_repository_free(repo);

	assert_int_equal(sf(&out, "fetch slurm-24-11-4-1 --commit %s --repo %s "
			    "--cache-dir %s --json %s", f->c_old, f->repo, f->cache, json), 2);
	r = load_json(json);
	msg = check_of(r, "fetch", "fetch-commit", &outcome);
	assert_string_equal(outcome, "error");
	assert_non_null(strstr(msg, "tag slurm-24-11-4-1 no longer exists"));
	assert_int_equal(exit_code_of(r), 2);
	json_object_put(r);
	/* no cache entry, no temporary directory left behind */
	p = xasprintf("%s/sources/%s", f->cache, f->c_old);
	assert_false(t_exists(p));
	assert_int_equal(t_sh("test -z \"$(ls -A %s/sources)\"", f->cache), 0);
	free(p);
	free(json);
	strbuf_release(&out);
}

static void fetch__tag_moved_after_resolve_is_an_environment_error(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *json = report_path(f, "moved");
	const char *outcome, *msg;
	json_object *r;

	/* resolve said 24.11.4 is c_old; pin a different commit for that tag */
	assert_int_equal(sf(&out, "fetch slurm-24-11-4-1 --commit %s --repo %s "
			    "--cache-dir %s --json %s", f->c_rc, f->repo, f->cache, json), 2);
	r = load_json(json);
	msg = check_of(r, "fetch", "fetch-commit", &outcome);
	assert_string_equal(outcome, "error");
	assert_non_null(strstr(msg, "moved"));
	assert_non_null(strstr(msg, f->c_old));
	json_object_put(r);
	free(json);
	strbuf_release(&out);
}

static void fetch__source_tarball_is_cached_by_sha256(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT, sum = STRBUF_INIT, file = STRBUF_INIT;
	char *json = report_path(f, "tarball"), *p;
	json_object *r;

	assert_int_equal(t_sh("mkdir -p %s/t/slurm-slurm-24-11-5-1 && echo 24.11.5 "
			      ">%s/t/slurm-slurm-24-11-5-1/VERSION && tar -C %s/t -czf "
			      "%s/slurm.tar.gz slurm-slurm-24-11-5-1", f->dir, f->dir,
			      f->dir, f->dir), 0);
	assert_int_equal(t_sh_capture(&sum, "sha256sum %s/slurm.tar.gz | cut -c1-64", f->dir), 0);
	strbuf_setlen(&sum, 64);
	assert_int_equal(sf(&out, "fetch --source %s/slurm.tar.gz --cache-dir %s --json %s",
			    f->dir, f->cache, json), 0);
	r = load_json(json);
	assert_string_equal(prop_of(r, "fetch", "sha256"), sum.buf);
	assert_string_equal(prop_of(r, "fetch", "cache"), "miss");
	assert_string_equal(prop_of(r, "fetch", "tag"), "slurm-24-11-5-1");
	json_object_put(r);
	p = xasprintf("%s/sources/sha256-%s/src/VERSION", f->cache, sum.buf);
	assert_int_equal(t_read(p, &file), 0);
	assert_string_equal(file.buf, "24.11.5\n");
	assert_int_equal(sf(&out, "fetch --source %s/slurm.tar.gz --cache-dir %s --json %s",
			    f->dir, f->cache, json), 0);
	assert_non_null(strstr(out.buf, "tag: slurm-24-11-5-1\n"));
	r = load_json(json);
	assert_string_equal(prop_of(r, "fetch", "cache"), "hit");
	json_object_put(r);
	/* a tarball that is not there is an environment error, report written */
	assert_int_equal(sf(&out, "fetch --source %s/none.tar.gz --cache-dir %s --json %s",
			    f->dir, f->cache, json), 2);
	r = load_json(json);
	assert_int_equal(exit_code_of(r), 2);
	json_object_put(r);
	free(p);
	free(json);
	strbuf_release(&out);
	strbuf_release(&sum);
	strbuf_release(&file);
}

/* An entry of a hostile source tarball: a file with `data`, or a symlink to `target`. */
struct tentry {
	const char *name;
	const char *data;
	const char *target;
};

/* Writes the entries as a .tar.gz with libarchive's writer, nothing checked. */
static void write_tarball(const char *path, const struct tentry *e, size_t n)
{
	struct archive *a = archive_write_new();
	size_t i;

	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();

		archive_entry_copy_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, e[i].target ? AE_IFLNK : AE_IFREG);
		archive_entry_set_perm(ae, e[i].target ? 0777 : 0644);
		if (e[i].target)
			archive_entry_copy_symlink(ae, e[i].target);
		else
			archive_entry_set_size(ae, (la_int64_t)strlen(e[i].data));
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (!e[i].target)
			assert_int_equal(archive_write_data(a, e[i].data, strlen(e[i].data)),
					 (la_ssize_t)strlen(e[i].data));
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/*
 * fetch --source of a hostile tarball: exit 1, the unpack check failed with
 * a finding of `rule` naming `entry`, no file named "pwned" anywhere under
 * the fixture's directory, and nothing in the cache.
 */
static void expect_refused_source(struct fixture *f, const char *tarball, const char *rule,
				  const char *entry)
{
	struct strbuf out = STRBUF_INIT;
	char *json = report_path(f, "hostile");
	const char *outcome;
	json_object *r;

	assert_int_equal(sf(&out, "fetch --source %s --cache-dir %s --json %s", tarball,
			    f->cache, json), 1);
	r = load_json(json);
	check_of(r, "fetch", "unpack", &outcome);
	assert_string_equal(outcome, "fail");
	assert_int_equal(t_report_count(r, rule, entry), 1);
	assert_string_equal(prop_of(r, "fetch", "format"), "tar.gz");
	assert_int_equal(exit_code_of(r), 1);
	json_object_put(r);
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "find %s -name pwned", f->dir), 0);
	assert_string_equal(out.buf, "");
	assert_int_equal(t_sh("test -z \"$(ls -A %s/sources)\"", f->cache), 0);
	free(json);
	strbuf_release(&out);
}

static void fetch__source_with_dotdot_entry_is_refused_and_not_cached(void **state)
{
	struct fixture *f = *state;
	char *tarball = xasprintf("%s/slurm-slurm-24-11-5-1.tar.gz", f->dir);
	const struct tentry e[] = {
		{ "slurm-slurm-24-11-5-1/VERSION", "24.11.5\n", NULL },
		{ "slurm-slurm-24-11-5-1/../../pwned", "x\n", NULL },
	};

	write_tarball(tarball, e, 2);
	expect_refused_source(f, tarball, "extract-path-traversal",
			      "slurm-slurm-24-11-5-1/../../pwned");
	free(tarball);
}

static void fetch__source_with_escaping_absolute_symlink_is_refused(void **state)
{
	struct fixture *f = *state;
	char *tarball = xasprintf("%s/slurm.tar.gz", f->dir);
	char *outside = xasprintf("%s/outside", f->dir);
	const struct tentry e[] = {
		{ "slurm-slurm-24-11-5-1/VERSION", "24.11.5\n", NULL },
		{ "slurm-slurm-24-11-5-1/etc", NULL, outside },
		{ "slurm-slurm-24-11-5-1/etc/pwned", "x\n", NULL },
	};

	assert_int_equal(t_mkdirs(outside), 0);
	write_tarball(tarball, e, 3);
	expect_refused_source(f, tarball, "extract-symlink-escape", "slurm-slurm-24-11-5-1/etc");
	assert_int_equal(t_sh("test -z \"$(ls -A %s)\"", outside), 0);
	free(outside);
	free(tarball);
}

/* Any format the secure extraction reads: GitHub's zip of a tag works too. */
static void fetch__source_zip_is_unpacked_and_names_the_tag(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT, file = STRBUF_INIT;
	char *json = report_path(f, "zip"), *p;
	json_object *r;

	assert_int_equal(t_sh("mkdir -p %s/z/slurm-slurm-24-11-5-1 && echo 24.11.5 > "
			      "%s/z/slurm-slurm-24-11-5-1/VERSION && cd %s/z && zip -qr "
			      "%s/slurm.zip slurm-slurm-24-11-5-1", f->dir, f->dir, f->dir, f->dir), 0);
	assert_int_equal(sf(&out, "fetch --source %s/slurm.zip --cache-dir %s --json %s", f->dir,
			    f->cache, json), 0);
	assert_non_null(strstr(out.buf, "tag: slurm-24-11-5-1\n"));
	r = load_json(json);
	assert_string_equal(prop_of(r, "fetch", "format"), "zip");
	p = xasprintf("%s/VERSION", prop_of(r, "fetch", "path"));
	json_object_put(r);
	assert_int_equal(t_read(p, &file), 0);
	assert_string_equal(file.buf, "24.11.5\n");
	free(p);
	free(json);
	strbuf_release(&out);
	strbuf_release(&file);
}

static void fetch__usage_mistakes_exit_129(void **state)
{
	struct fixture *f = *state;
	struct strbuf out = STRBUF_INIT;

	(void)f;
	assert_int_equal(sf(&out, "fetch 24.11 --commit 1234 --cache-dir %s", f->cache), 129);
	assert_non_null(strstr(out.buf, "exact tag"));
	assert_int_equal(sf(&out, "fetch slurm-24-11-5-1 --commit xyz --cache-dir %s",
			    f->cache), 129);
	assert_int_equal(sf(&out, "fetch --cache-dir %s", f->cache), 129);
	assert_int_equal(sf(&out, "resolve latest --timeout 0"), 129);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(resolve__local_path_peels_annotated_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(remote_ls_tags__local_listing_matches_the_git_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__file_url_and_prerelease, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__git_daemon_on_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__smart_http_on_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__unknown_spec_fails_with_nearest_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__tags_naming_a_tree_or_blob_are_not_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__tag_naming_a_blob_over_the_network_is_a_failed_check, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__refused_connection_is_an_environment_error, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__missing_local_path_is_an_environment_error, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__hanging_server_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__repository_without_slurm_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__git_daemon_then_cache_hit_with_server_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__smart_http_annotated_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__tag_deleted_after_resolve_is_an_environment_error, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__tag_moved_after_resolve_is_an_environment_error, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__source_tarball_is_cached_by_sha256, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__source_with_dotdot_entry_is_refused_and_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__source_with_escaping_absolute_symlink_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__source_zip_is_unpacked_and_names_the_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__usage_mistakes_exit_129, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
