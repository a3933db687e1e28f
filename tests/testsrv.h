/*
 * Loopback servers for the publish and run tests, started at test time and
 * stopped by PID (their own process group): the fakes of
 * tests/servers/fake_http.py, nginx with WebDAV PUT, s3rver from npm.
 * Every wait is bounded; a server that does not come up fails the test.
 * Static inline helpers, for the tests that start servers.
 */
#ifndef SF_TESTSRV_H
#define SF_TESTSRV_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"
#include "report.h"
#include "testlib.h"

struct tsrv {
	pid_t pid;
	int port;
	char *log;            /* request log (fake) or server output */
};

/* A port nobody listens on right now (bound, read, closed). */
static inline int tsrv_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static inline int tsrv_accepts(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Waits up to `secs` for `port` to accept connections. */
static inline int tsrv_wait_port(int port, double secs)
{
	double end = monotonic_now() + secs;

	while (monotonic_now() < end) {
		struct timespec ts = { 0, 50000000L };
		if (tsrv_accepts(port))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static inline int tsrv_spawn(struct tsrv *s, const char *cmd, const char *out)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	struct proc_opts po;
	struct strbuf err = STRBUF_INIT;
	int rc;

	memset(&po, 0, sizeof(po));
	po.log_path = out;
	rc = proc_spawn_bg(argv, &po, &s->pid, &err);
	if (rc)
		fprintf(stderr, "cannot start %s: %s\n", cmd, err.buf);
	strbuf_release(&err);
	return rc;
}

/* fake_http.py in `mode` with `extra` arguments; logs under `dir`. */
static inline void tsrv_fake(struct tsrv *s, const char *dir, const char *mode, const char *extra)
{
	char *portfile = xasprintf("%s/%s.port", dir, mode);
	char *out = xasprintf("%s/%s.out", dir, mode);
	char *cmd;
	struct strbuf port = STRBUF_INIT;
	double end;
	unsigned long v;

	memset(s, 0, sizeof(*s));
	s->log = xasprintf("%s/%s.log", dir, mode);
	unlink(portfile);
	cmd = xasprintf("exec /usr/bin/python3 '%s/tests/servers/fake_http.py' --mode %s "
			"--port-file '%s' --log '%s' --lifetime 300 %s", t_srcdir(), mode,
			portfile, s->log, extra ? extra : "");
	assert_int_equal(tsrv_spawn(s, cmd, out), 0);
	end = monotonic_now() + 15;
	while (monotonic_now() < end && t_read(portfile, &port)) {
		struct timespec ts = { 0, 50000000L };
		nanosleep(&ts, NULL);
	}
	if (!port.len) {
		struct strbuf o = STRBUF_INIT;
		t_read(out, &o);
		fail_msg("fake %s server did not start: %s", mode, o.buf);
	}
	port.buf[strcspn(port.buf, "\n")] = '\0';
	assert_int_equal(parse_ulong(port.buf, 1, 65535, &v), 0);
	s->port = (int)v;
	strbuf_release(&port);
	free(portfile);
	free(out);
	free(cmd);
}

static inline void tsrv_stop(struct tsrv *s)
{
	int status;

	if (s->pid > 0)
		proc_stop(s->pid, 2, &status);
	s->pid = 0;
	free(s->log);
	s->log = NULL;
}

/* Lines of the request log containing `needle`. */
static inline size_t tsrv_count(const struct tsrv *s, const char *needle)
{
	struct strbuf log = STRBUF_INIT;
	const char *p;
	size_t n = 0;

	if (t_read(s->log, &log))
		return 0;
	for (p = log.buf; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	strbuf_release(&log);
	return n;
}

#endif
