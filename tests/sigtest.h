/*
 * Helpers of the signal, fault and concurrency tests (test_signals.c,
 * test_faults.c, test_concurrency.c): start the binary in the background
 * with its output in a file, find what it left behind, and a TCP server on
 * 127.0.0.1 that accepts and never answers. Header-only (static) so each
 * test executable stays one file plus testlib.
 */
#ifndef SF_SIGTEST_H
#define SF_SIGTEST_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

extern char **environ;

/* Orphans of the binary become our children, so leftovers can be found. */
static inline void st_become_subreaper(void)
{
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
}

/* Starts `argv` (argv[0] is ignored: the binary under test) with stdout+stderr into `out`. */
static inline pid_t st_spawn(char *const argv[], const char *out)
{
	posix_spawn_file_actions_t fa;
	char *args[64];
	pid_t pid;
	size_t i;

	args[0] = (char *)t_bin();
	for (i = 1; i < 63 && argv[i]; i++)
		args[i] = argv[i];
	args[i] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	assert_int_equal(posix_spawn(&pid, t_bin(), &fa, NULL, args, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* Waits up to `secs` for `pid`; kills it (and fails) when it does not end. */
static inline int st_wait(pid_t pid, double secs)
{
	double end = monotonic_now() + secs;
	int status;

	while (monotonic_now() < end) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		usleep(20 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("pid %d did not end within %.0f s", (int)pid, secs);
	return -1;
}

/* The children of `parent` in /proc (state other than zombie counted too). */
static inline size_t st_children_of(pid_t parent, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300], buf[512], *p;
		unsigned long ppid;
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f)) {
			fclose(f);
			continue;
		}
		fclose(f);
		p = strrchr(buf, ')');   /* the comm field may hold spaces */
		if (!p || sscanf(p + 2, "%*c %lu", &ppid) != 1)
			continue;
		if (ppid == (unsigned long)parent) {
			if (out && n < max) {
				unsigned long pid;
				if (!parse_ulong(de->d_name, 1, 1UL << 30, &pid))
					out[n] = (pid_t)pid;
			}
			n++;
		}
	}
	closedir(d);
	return n;
}

/*
 * After the binary ended: nothing it started may be left (orphans come to
 * us as the subreaper). Kills and reaps what is found, then fails.
 */
static inline void st_assert_no_leftover_children(void)
{
	pid_t kids[32];
	size_t n = 0, i;
	int tries;

	/* a process group being killed may take a moment to be reaped */
	for (tries = 0; tries < 50; tries++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		n = st_children_of(getpid(), kids, 32);
		if (!n)
			return;
		usleep(50 * 1000);
	}
	for (i = 0; i < n && i < 32; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	fail_msg("%zu process(es) left behind by the binary", n);
}

/* Entries in `dir` whose name starts with `prefix`. */
static inline size_t st_count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	closedir(d);
	return n;
}

/* Waits (up to `secs`) until `dir` holds an entry starting with `prefix`. */
static inline int st_wait_entry(const char *dir, const char *prefix, double secs)
{
	double end = monotonic_now() + secs;

	while (monotonic_now() < end) {
		if (st_count_entries(dir, prefix))
			return 1;
		usleep(2 * 1000);
	}
	return 0;
}

/* The busybox test image is in LXD under `alias` (imported when missing). */
static inline void st_ensure_image(const char *alias)
{
	char *tar;

	if (t_sh("lxc image info %s >/dev/null 2>&1", alias) == 0)
		return;
	tar = t_busybox_image();
	assert_int_equal(t_sh("lxc image import '%s' --alias %s >/dev/null", tar, alias), 0);
	free(tar);
}

/* A server on 127.0.0.1 that accepts connections and never answers. */
struct st_hang {
	int fd;
	int port;
	volatile int stop;
	int conns[64];
	size_t nr;
	char *first;       /* the first bytes the first client sent (owned) */
	pthread_t th;
};

static inline void *st_hang_main(void *arg)
{
	struct st_hang *h = arg;
	double end = monotonic_now() + 300;   /* bounded whatever happens */

	while (!h->stop && monotonic_now() < end) {
		struct pollfd p = { h->fd, POLLIN, 0 };
		size_t i;

		if (poll(&p, 1, 50) == 1 && h->nr < 64) {
			int c = accept(h->fd, NULL, NULL);
			if (c >= 0)
				h->conns[h->nr++] = c;
		}
		/* read what clients send (keeps their writes from blocking) */
		for (i = 0; i < h->nr; i++) {
			char buf[4096];
			ssize_t n;
			struct pollfd q = { h->conns[i], POLLIN, 0 };
			if (poll(&q, 1, 0) == 1 && (n = read(h->conns[i], buf, sizeof(buf) - 1)) > 0 &&
			    !h->first) {
				buf[n] = '\0';
				h->first = xstrdup(buf);
			}
		}
	}
	return NULL;
}

static inline void st_hang_start(struct st_hang *h)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int one = 1;

	memset(h, 0, sizeof(*h));
	h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(h->fd >= 0);
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(h->fd, 16), 0);
	assert_int_equal(getsockname(h->fd, (struct sockaddr *)&a, &len), 0);
	h->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&h->th, NULL, st_hang_main, h), 0);
}

static inline void st_hang_stop(struct st_hang *h)
{
	size_t i;

	h->stop = 1;
	pthread_join(h->th, NULL);
	for (i = 0; i < h->nr; i++)
		close(h->conns[i]);
	close(h->fd);
	free(h->first);
	h->first = NULL;
}

#endif
