/*
 * LXD adapter against canned replies (fixtures/lxd/): the envelope parser
 * on its own, then the whole client (http.c over a unix socket) against a
 * tiny scripted HTTP server running in a thread of the test.
 */
#include "testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend.h"
#include "lxd.h"

#define FIX "fixtures/lxd/"

static void fixture(const char *name, struct strbuf *out)
{
	struct strbuf p = STRBUF_INIT;

	strbuf_addf(&p, FIX "%s", name);
	strbuf_reset(out);
	if (t_read(p.buf, out))
		fail_msg("cannot read fixture %s (run from the repository root)", p.buf);
	strbuf_release(&p);
}

/* ---- the pure parser ---------------------------------------------------- */

static void parse__sync_success(void **state)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct lxd_envelope env;

	(void)state;
	lxd_envelope_init(&env);
	fixture("sync-success.json", &b);
	assert_int_equal(lxd_parse_envelope(b.buf, b.len, 200, &env, &err), 0);
	assert_int_equal(env.type, LXD_REPLY_SYNC);
	assert_int_equal(env.status_code, 200);
	assert_null(env.error);
	lxd_envelope_release(&env);
	strbuf_release(&b);
	strbuf_release(&err);
}

static void parse__error_envelope_keeps_code_and_message(void **state)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct lxd_envelope env;

	(void)state;
	lxd_envelope_init(&env);
	fixture("error-conflict.json", &b);
	assert_int_equal(lxd_parse_envelope(b.buf, b.len, 409, &env, &err), 0);
	assert_int_equal(env.type, LXD_REPLY_ERROR);
	assert_int_equal(env.error_code, 409);
	assert_non_null(strstr(env.error, "already exists"));
	lxd_envelope_release(&env);
	strbuf_release(&b);
	strbuf_release(&err);
}

static void parse__async_reply_names_its_operation(void **state)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct lxd_envelope env;
	struct lxd_operation op;

	(void)state;
	lxd_envelope_init(&env);
	lxd_operation_init(&op);
	fixture("async-created.json", &b);
	assert_int_equal(lxd_parse_envelope(b.buf, b.len, 202, &env, &err), 0);
	assert_int_equal(env.type, LXD_REPLY_ASYNC);
	assert_string_equal(env.operation,
			    "/1.0/operations/6916c8a6-9b7d-4abd-90b3-aedfec7f7c8b");
	assert_int_equal(lxd_parse_operation(&env, &op, &err), 0);
	assert_int_equal(lxd_operation_done(&op), 0);
	lxd_operation_release(&op);
	lxd_envelope_release(&env);
	strbuf_release(&b);
	strbuf_release(&err);
}

static void parse__exec_result_holds_return_and_logs(void **state)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct lxd_envelope env;
	struct lxd_operation op;

	(void)state;
	lxd_envelope_init(&env);
	lxd_operation_init(&op);
	fixture("exec-exit3.json", &b);
	assert_int_equal(lxd_parse_envelope(b.buf, b.len, 200, &env, &err), 0);
	assert_int_equal(lxd_parse_operation(&env, &op, &err), 0);
	assert_true(lxd_operation_done(&op));
	assert_true(op.has_return);
	assert_int_equal(op.return_code, 3);
	assert_string_equal(op.stdout_log, "/1.0/instances/sf-t/logs/exec_0c2a1b0e.stdout");
	assert_string_equal(op.stderr_log, "/1.0/instances/sf-t/logs/exec_0c2a1b0e.stderr");
	lxd_operation_release(&op);
	lxd_envelope_release(&env);
	strbuf_release(&b);
	strbuf_release(&err);
}

static void parse__garbage_is_an_error(void **state)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct lxd_envelope env;

	(void)state;
	lxd_envelope_init(&env);
	fixture("garbage.txt", &b);
	assert_int_equal(lxd_parse_envelope(b.buf, b.len, 502, &env, &err), -1);
	assert_non_null(strstr(err.buf, "not JSON"));
	strbuf_reset(&err);
	assert_int_equal(lxd_parse_envelope("[1,2]", 5, 200, &env, &err), -1);
	assert_non_null(strstr(err.buf, "not a JSON object"));
	strbuf_reset(&err);
	assert_int_equal(lxd_parse_envelope("{\"type\":\"weird\"}", 16, 200, &env, &err), -1);
	strbuf_reset(&err);
	assert_int_equal(lxd_parse_envelope("{\"type\":\"sync\"} x", 17, 200, &env, &err), -1);
	strbuf_reset(&err);
	assert_int_equal(lxd_parse_envelope("", 0, 200, &env, &err), -1);
	strbuf_reset(&err);
	/* an async reply must name an operation under /1.0/operations/ */
	assert_int_equal(lxd_parse_envelope("{\"type\":\"async\",\"operation\":\"/1.0/x/../y\"}",
					    41, 202, &env, &err), -1);
	lxd_envelope_release(&env);
	strbuf_release(&b);
	strbuf_release(&err);
}

static void parse__truncated_reply_is_an_error(void **state)
{
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct lxd_envelope env;

	(void)state;
	lxd_envelope_init(&env);
	fixture("truncated.json", &b);
	assert_int_equal(lxd_parse_envelope(b.buf, b.len, 202, &env, &err), -1);
	assert_non_null(strstr(err.buf, "truncated"));
	lxd_envelope_release(&env);
	strbuf_release(&b);
	strbuf_release(&err);
}

/* Every prefix of every fixture: never a crash, never a read past `len`. */
static void parse__every_prefix_of_every_fixture_is_safe(void **state)
{
	static const char *names[] = { "async-created.json", "exec-exit3.json",
		"error-conflict.json", "op-failure.json", "server-trusted.json", NULL };
	struct strbuf b = STRBUF_INIT, err = STRBUF_INIT;
	struct lxd_envelope env;
	struct lxd_operation op;
	const char **n;
	size_t len;

	(void)state;
	lxd_envelope_init(&env);
	lxd_operation_init(&op);
	for (n = names; *n; n++) {
		fixture(*n, &b);
		for (len = 0; len <= b.len; len++) {
			char *copy = xmalloc(len ? len : 1);
			memcpy(copy, b.buf, len);
			strbuf_reset(&err);
			if (!lxd_parse_envelope(copy, len, 200, &env, &err))
				lxd_parse_operation(&env, &op, &err);
			free(copy);
		}
	}
	lxd_operation_release(&op);
	lxd_envelope_release(&env);
	strbuf_release(&b);
	strbuf_release(&err);
}

/* ---- a scripted server on a unix socket --------------------------------- */

struct step {
	const char *method;
	const char *path;        /* prefix of the request target */
	int status;
	const char *fixture;     /* or NULL and `body` */
	const char *body;
};

struct fake {
	char *dir, *sock;
	int fd;
	pthread_t thread;
	const struct step *steps;
	size_t nr_steps, next;
	struct strbuf log;       /* "METHOD target\n" + headers of each request */
	struct strbuf bodies;    /* request bodies, concatenated */
};

static void fake_reply(int c, int status, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, len);
	if (write(c, head, (size_t)n) < 0 || (len && write(c, body, len) < 0))
		return;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	int c;

	while ((c = accept(f->fd, NULL, NULL)) >= 0) {
		struct strbuf req = STRBUF_INIT, body = STRBUF_INIT;
		char buf[4096], method[16], target[1024];
		char *hend, *cl;
		unsigned long clen = 0;
		ssize_t r;
		size_t i, hlen;
		const struct step *s = NULL;

		while (!(hend = strstr(req.buf, "\r\n\r\n")) &&
		       (r = read(c, buf, sizeof(buf))) > 0)
			strbuf_add(&req, buf, (size_t)r);
		if (!hend) {
			close(c);
			strbuf_release(&req);
			continue;
		}
		hlen = (size_t)(hend - req.buf) + 4;
		cl = strcasestr(req.buf, "\r\nContent-Length: ");
		if (cl && cl < hend)
			clen = strtoul(cl + 18, NULL, 10);
		strbuf_add(&body, req.buf + hlen, req.len - hlen);
		while (body.len < clen && (r = read(c, buf, sizeof(buf))) > 0)
			strbuf_add(&body, buf, (size_t)r);
		if (sscanf(req.buf, "%15s %1023s", method, target) != 2)
			method[0] = target[0] = '\0';
		strbuf_add(&f->log, req.buf, hlen - 2);
		strbuf_add(&f->bodies, body.buf, body.len);
		strbuf_addch(&f->bodies, '\n');
		for (i = f->next; i < f->nr_steps; i++)
			if (!strcmp(f->steps[i].method, method) &&
			    !strncmp(target, f->steps[i].path, strlen(f->steps[i].path))) {
				s = &f->steps[i];
				f->next = i + 1;
				break;
			}
		if (!s) {
			static const char nope[] = "{\"type\":\"error\",\"error_code\":500,"
						   "\"error\":\"unexpected request\"}";
			fake_reply(c, 500, nope, sizeof(nope) - 1);
		} else if (s->fixture) {
			struct strbuf fx = STRBUF_INIT;
			strbuf_addf(&fx, FIX "%s", s->fixture);
			strbuf_reset(&req);
			t_read(fx.buf, &req);
			fake_reply(c, s->status, req.buf, req.len);
			strbuf_release(&fx);
		} else {
			fake_reply(c, s->status, s->body ? s->body : "", s->body ? strlen(s->body) : 0);
		}
		close(c);
		strbuf_release(&req);
		strbuf_release(&body);
	}
	return NULL;
}

static void fake_start(struct fake *f, const struct step *steps, size_t nr)
{
	struct sockaddr_un sa;

	memset(f, 0, sizeof(*f));
	strbuf_init(&f->log);
	strbuf_init(&f->bodies);
	f->steps = steps;
	f->nr_steps = nr;
	f->dir = t_mkdtemp("lxd");
	assert_non_null(f->dir);
	f->sock = xasprintf("%s/unix.socket", f->dir);
	f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(strlen(f->sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->fd, 8), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	pthread_join(f->thread, NULL);
	t_rmtree(f->dir);
	free(f->dir);
	free(f->sock);
	strbuf_release(&f->log);
	strbuf_release(&f->bodies);
}

static void connect_fake(struct lxd *lxd, struct fake *f)
{
	struct lxd_opts o;
	struct strbuf err = STRBUF_INIT;

	memset(&o, 0, sizeof(o));
	o.socket_path = f->sock;
	o.wait_step = 1;
	o.op_timeout = 20;
	if (lxd_connect(lxd, &o, &err))
		fail_msg("connect: %s", err.buf);
	strbuf_release(&err);
}

#define TRUSTED { "GET", "/1.0", 200, "server-trusted.json", NULL }
#define OP "/1.0/operations/6916c8a6-9b7d-4abd-90b3-aedfec7f7c8b/wait?timeout="

static void call__async_success_waits_for_the_operation(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances", 202, "async-created.json", NULL },
		{ "GET", OP, 200, "op-success.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct lxd_operation op;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 3);
	connect_fake(&lxd, &f);
	lxd_operation_init(&op);
	assert_int_equal(lxd_call(&lxd, "POST", "/1.0/instances", "{}", 0, NULL, &op, &err), 0);
	assert_string_equal(op.status, "Success");
	assert_int_equal(f.next, 3);
	assert_string_equal(lxd.server_version, "5.0.2");
	lxd_operation_release(&op);
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void call__async_failure_reports_the_operation_error(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances", 202, "async-created.json", NULL },
		{ "GET", OP, 200, "op-failure.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 3);
	connect_fake(&lxd, &f);
	assert_int_equal(lxd_call(&lxd, "POST", "/1.0/instances", "{}", 0, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "Failure"));
	assert_non_null(strstr(err.buf, "Image \"sf-none\" not found"));
	assert_non_null(strstr(err.buf, "POST /1.0/instances"));
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void call__error_envelope_becomes_a_clear_message(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances", 409, "error-conflict.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 2);
	connect_fake(&lxd, &f);
	assert_int_equal(lxd_call(&lxd, "POST", "/1.0/instances", "{}", 0, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "already exists"));
	assert_non_null(strstr(err.buf, "409"));
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void wait__operation_that_vanished_is_an_error(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances", 202, "async-created.json", NULL },
		{ "GET", OP, 404, "error-not-found.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 3);
	connect_fake(&lxd, &f);
	assert_int_equal(lxd_call(&lxd, "POST", "/1.0/instances", "{}", 0, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "vanished"));
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void wait__still_running_then_success_loops(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances", 202, "async-created.json", NULL },
		{ "GET", OP, 200, "op-running.json", NULL },
		{ "GET", OP, 200, "op-running.json", NULL },
		{ "GET", OP, 200, "op-success.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 5);
	connect_fake(&lxd, &f);
	assert_int_equal(lxd_call(&lxd, "POST", "/1.0/instances", "{}", 0, NULL, NULL, &err), 0);
	assert_int_equal(f.next, 5);
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void wait__gives_up_at_the_deadline(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances", 202, "async-created.json", NULL },
		{ "GET", OP, 200, "op-running.json", NULL },
		{ "GET", OP, 200, "op-running.json", NULL },
		{ "GET", OP, 200, "op-running.json", NULL },
		{ "GET", OP, 200, "op-running.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 6);
	connect_fake(&lxd, &f);
	/* the fake answers at once, so a tiny deadline ends the loop */
	assert_int_equal(lxd_call(&lxd, "POST", "/1.0/instances", "{}", 0.0001, NULL,
				  NULL, &err), -1);
	assert_non_null(strstr(err.buf, "still running"));
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void call__garbage_and_truncated_replies_are_errors(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "GET", "/1.0/instances", 502, "garbage.txt", NULL },
		{ "GET", "/1.0/instances", 200, "truncated.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 3);
	connect_fake(&lxd, &f);
	assert_int_equal(lxd_call(&lxd, "GET", "/1.0/instances", NULL, 0, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "not JSON"));
	strbuf_reset(&err);
	assert_int_equal(lxd_call(&lxd, "GET", "/1.0/instances", NULL, 0, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "truncated"));
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

#define EXEC_OP "/1.0/operations/0c2a1b0e-1111-4d2e-8f00-5c9a0b7e2a10/wait"

static void exec__nonzero_exit_fetches_and_deletes_the_logs(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances/sf-t/exec", 202, "exec-async.json", NULL },
		{ "GET", EXEC_OP, 200, "exec-exit3.json", NULL },
		{ "GET", "/1.0/instances/sf-t/logs/exec_0c2a1b0e.stdout", 200, NULL, "out\n" },
		{ "DELETE", "/1.0/instances/sf-t/logs/exec_0c2a1b0e.stdout", 200, "sync-success.json", NULL },
		{ "GET", "/1.0/instances/sf-t/logs/exec_0c2a1b0e.stderr", 200, NULL, "err\n" },
		{ "DELETE", "/1.0/instances/sf-t/logs/exec_0c2a1b0e.stderr", 200, "sync-success.json", NULL },
	};
	char *argv[] = { "make", "-j2", NULL };
	char *env[] = { "CCACHE_DIR=/cache/ccache", NULL };
	struct fake f;
	struct lxd lxd;
	struct lxd_exec x;
	struct lxd_exec_result r;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 7);
	connect_fake(&lxd, &f);
	lxd_exec_result_init(&r);
	memset(&x, 0, sizeof(x));
	x.argv = argv;
	x.env = env;
	x.cwd = "/build";
	x.uid = 1000;
	x.timeout = 30;
	assert_int_equal(lxd_exec(&lxd, "sf-t", &x, &r, &err), 0);
	assert_int_equal(r.exit_code, 3);
	assert_string_equal(r.out.buf, "out\n");
	assert_string_equal(r.errout.buf, "err\n");
	assert_int_equal(f.next, 7);
	/* the command is wrapped in timeout(1), with what was asked */
	assert_non_null(strstr(f.bodies.buf,
		"\"command\":[\"timeout\",\"-k\",\"10\",\"30\",\"make\",\"-j2\"]"));
	assert_non_null(strstr(f.bodies.buf, "\"CCACHE_DIR\":\"\\/cache\\/ccache\""));
	assert_non_null(strstr(f.bodies.buf, "\"record-output\":true"));
	assert_non_null(strstr(f.bodies.buf, "\"user\":1000"));
	lxd_exec_result_release(&r);
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void exec__missing_binary_is_exit_127(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances/sf-t/exec", 202, "exec-async.json", NULL },
		{ "GET", EXEC_OP, 200, "exec-not-found.json", NULL },
	};
	char *argv[] = { "no-such-tool", NULL };
	struct fake f;
	struct lxd lxd;
	struct lxd_exec x;
	struct lxd_exec_result r;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 3);
	connect_fake(&lxd, &f);
	lxd_exec_result_init(&r);
	memset(&x, 0, sizeof(x));
	x.argv = argv;
	assert_int_equal(lxd_exec(&lxd, "sf-t", &x, &r, &err), 0);
	assert_int_equal(r.exit_code, 127);
	lxd_exec_result_release(&r);
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void push__sends_octet_stream_and_ownership(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances/sf-t/files?path=/root/a%20b", 200, "sync-success.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;
	char *dir = t_mkdtemp("push"), *file = xasprintf("%s/f", dir);

	(void)state;
	assert_int_equal(t_writestr(file, "payload-123"), 0);
	fake_start(&f, steps, 2);
	connect_fake(&lxd, &f);
	assert_int_equal(lxd_file_push(&lxd, "sf-t", file, "/root/a b", 0640, 0, 0, &err), 0);
	assert_non_null(strstr(f.log.buf, "Content-Type: application/octet-stream"));
	assert_non_null(strstr(f.log.buf, "X-LXD-mode: 0640"));
	assert_non_null(strstr(f.bodies.buf, "payload-123"));
	lxd_release(&lxd);
	fake_stop(&f);
	t_rmtree(dir);
	free(dir);
	free(file);
	strbuf_release(&err);
}

static void launch__unprivileged_by_default_with_volume_target_and_limits(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances?target=member-2", 202, "async-created.json", NULL },
		{ "GET", OP, 200, "op-success.json", NULL },
		{ "PUT", "/1.0/instances/sf-t/state", 202, "async-created.json", NULL },
		{ "GET", OP, 200, "op-success.json", NULL },
	};
	const char *config[] = { "limits.cpu=2", "limits.memory=1073741824", NULL };
	struct lxd_volume_dev vol = { "sf-cache", "sf-cache-0123456789abcdef", "/sf/cache" };
	struct strbuf err = STRBUF_INIT;
	struct lxd_launch l;
	struct fake f;
	struct lxd lxd;

	(void)state;
	fake_start(&f, steps, 5);
	connect_fake(&lxd, &f);
	assert_false(lxd_is_remote(&lxd));
	memset(&l, 0, sizeof(l));
	l.name = "sf-t";
	l.image = "sf-build-x";
	l.config = config;
	l.volumes = &vol;
	l.nr_volumes = 1;
	l.root_size = "21474836480";
	l.target = "member-2";
	l.ephemeral = 1;
	if (lxd_launch(&lxd, &l, &err))
		fail_msg("launch: %s", err.buf);
	assert_int_equal(f.next, 5);
	assert_null(strstr(f.bodies.buf, "security.privileged"));
	assert_non_null(strstr(f.bodies.buf, "\"limits.cpu\":\"2\""));
	assert_non_null(strstr(f.bodies.buf, "\"limits.memory\":\"1073741824\""));
	assert_non_null(strstr(f.bodies.buf, "\"size\":\"21474836480\""));
	assert_non_null(strstr(f.bodies.buf, "\"sf-cache\":{\"type\":\"disk\",\"pool\":\"default\","
					      "\"source\":\"sf-cache-0123456789abcdef\",\"path\":\"\\/sf\\/cache\"}"));
	assert_non_null(strstr(f.bodies.buf, "\"profiles\":[]"));
	assert_non_null(strstr(f.bodies.buf, "\"ephemeral\":true"));
	lxd_release(&lxd);
	fake_stop(&f);

	/* privileged only when asked */
	fake_start(&f, steps, 5);
	connect_fake(&lxd, &f);
	l.privileged = 1;
	if (lxd_launch(&lxd, &l, &err))
		fail_msg("launch: %s", err.buf);
	assert_non_null(strstr(f.bodies.buf, "\"security.privileged\":\"true\""));
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void launch__failed_unprivileged_start_names_lxd_privileged(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "POST", "/1.0/instances", 202, "async-created.json", NULL },
		{ "GET", OP, 200, "op-success.json", NULL },
		{ "PUT", "/1.0/instances/sf-t/state", 202, "async-created.json", NULL },
		{ "GET", OP, 200, "op-failure.json", NULL },
		{ "GET", "/1.0/instances/sf-t", 404, "error-not-found.json", NULL },
	};
	struct strbuf err = STRBUF_INIT;
	struct lxd_launch l;
	struct fake f;
	struct lxd lxd;

	(void)state;
	fake_start(&f, steps, 6);
	connect_fake(&lxd, &f);
	memset(&l, 0, sizeof(l));
	l.name = "sf-t";
	l.image = "sf-build-x";
	assert_int_equal(lxd_launch(&lxd, &l, &err), -1);
	assert_non_null(strstr(err.buf, "unprivileged"));
	assert_non_null(strstr(err.buf, "--lxd-privileged"));
	assert_int_equal(f.next, 6);
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void volume__ensure_creates_a_missing_volume_once(void **state)
{
	static const struct step steps[] = {
		TRUSTED,
		{ "GET", "/1.0/storage-pools/default/volumes/custom/sf-cache-a", 404,
		  "error-not-found.json", NULL },
		{ "POST", "/1.0/storage-pools/default/volumes/custom", 200, "sync-success.json", NULL },
		{ "GET", "/1.0/storage-pools/default/volumes/custom/sf-cache-a", 200,
		  "sync-success.json", NULL },
		{ "GET", "/1.0/storage-pools/default/volumes/custom", 200, NULL,
		  "{\"type\":\"sync\",\"status_code\":200,\"metadata\":["
		  "\"/1.0/storage-pools/default/volumes/custom/sf-cache-a\","
		  "\"/1.0/storage-pools/default/volumes/custom/other\"]}" },
	};
	struct strbuf err = STRBUF_INIT;
	struct fake f;
	struct lxd lxd;
	char **names;
	size_t nr;
	int created = -1;

	(void)state;
	fake_start(&f, steps, 5);
	connect_fake(&lxd, &f);
	assert_int_equal(lxd_volume_ensure(&lxd, "sf-cache-a", &created, &err), 0);
	assert_int_equal(created, 1);
	assert_non_null(strstr(f.bodies.buf, "\"name\":\"sf-cache-a\",\"type\":\"custom\""));
	assert_int_equal(lxd_volume_ensure(&lxd, "sf-cache-a", &created, &err), 0);
	assert_int_equal(created, 0);
	assert_int_equal(lxd_volume_list(&lxd, "sf-cache-", &names, &nr, &err), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(names[0], "sf-cache-a");
	free(names[0]);
	free(names);
	/* a name LXD would not take never reaches it */
	assert_int_equal(lxd_volume_ensure(&lxd, "../x", &created, &err), -1);
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void opts__launch_options_are_checked(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct lxd_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(backend_lxd_opts_check(&o, &err), 0);
	o.transfer = "nfs";
	assert_int_equal(backend_lxd_opts_check(&o, &err), -1);
	assert_non_null(strstr(err.buf, "not api or disk"));
	strbuf_reset(&err);
	o.transfer = "disk";
	assert_int_equal(backend_lxd_opts_check(&o, &err), -1);
	assert_non_null(strstr(err.buf, "--lxd-privileged"));
	strbuf_reset(&err);
	o.privileged = 1;
	assert_int_equal(backend_lxd_opts_check(&o, &err), 0);
	o.remote = "https://127.0.0.1:8443";
	assert_int_equal(backend_lxd_opts_check(&o, &err), -1);
	assert_non_null(strstr(err.buf, "remote"));
	strbuf_reset(&err);
	o.transfer = "api";
	o.cpu = "0";
	assert_int_equal(backend_lxd_opts_check(&o, &err), -1);
	strbuf_reset(&err);
	o.cpu = "4";
	o.memory = "8GiB";
	o.root_size = "40G";
	assert_int_equal(backend_lxd_opts_check(&o, &err), 0);
	o.memory = "lots";
	assert_int_equal(backend_lxd_opts_check(&o, &err), -1);
	assert_non_null(strstr(err.buf, "--lxd-memory"));
	strbuf_release(&err);
}

static void connect__untrusted_client_is_refused(void **state)
{
	static const struct step steps[] = {
		{ "GET", "/1.0", 200, "server-untrusted.json", NULL },
	};
	struct fake f;
	struct lxd lxd;
	struct lxd_opts o;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	fake_start(&f, steps, 1);
	memset(&o, 0, sizeof(o));
	o.socket_path = f.sock;
	assert_int_equal(lxd_connect(&lxd, &o, &err), -1);
	assert_non_null(strstr(err.buf, "does not trust"));
	lxd_release(&lxd);
	fake_stop(&f);
	strbuf_release(&err);
}

static void connect__missing_socket_says_lxd_is_not_running(void **state)
{
	struct lxd lxd;
	struct lxd_opts o;
	struct strbuf err = STRBUF_INIT;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.socket_path = "/nonexistent/unix.socket";
	assert_int_equal(lxd_connect(&lxd, &o, &err), -1);
	assert_non_null(strstr(err.buf, "not running"));
	lxd_release(&lxd);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse__sync_success),
		cmocka_unit_test(parse__error_envelope_keeps_code_and_message),
		cmocka_unit_test(parse__async_reply_names_its_operation),
		cmocka_unit_test(parse__exec_result_holds_return_and_logs),
		cmocka_unit_test(parse__garbage_is_an_error),
		cmocka_unit_test(parse__truncated_reply_is_an_error),
		cmocka_unit_test(parse__every_prefix_of_every_fixture_is_safe),
		cmocka_unit_test(call__async_success_waits_for_the_operation),
		cmocka_unit_test(call__async_failure_reports_the_operation_error),
		cmocka_unit_test(call__error_envelope_becomes_a_clear_message),
		cmocka_unit_test(wait__operation_that_vanished_is_an_error),
		cmocka_unit_test(wait__still_running_then_success_loops),
		cmocka_unit_test(wait__gives_up_at_the_deadline),
		cmocka_unit_test(call__garbage_and_truncated_replies_are_errors),
		cmocka_unit_test(exec__nonzero_exit_fetches_and_deletes_the_logs),
		cmocka_unit_test(exec__missing_binary_is_exit_127),
		cmocka_unit_test(push__sends_octet_stream_and_ownership),
		cmocka_unit_test(launch__unprivileged_by_default_with_volume_target_and_limits),
		cmocka_unit_test(launch__failed_unprivileged_start_names_lxd_privileged),
		cmocka_unit_test(volume__ensure_creates_a_missing_volume_once),
		cmocka_unit_test(opts__launch_options_are_checked),
		cmocka_unit_test(connect__untrusted_client_is_refused),
		cmocka_unit_test(connect__missing_socket_says_lxd_is_not_running),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
