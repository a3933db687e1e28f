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
#include <glob.h>
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
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
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

/* Waits (up to `secs`) until the file `path` holds `needle`. */
static inline int st_wait_text(const char *path, const char *needle, double secs)
{
	double end = monotonic_now() + secs;
	struct strbuf sb = STRBUF_INIT;
	int found = 0;

	while (!found && monotonic_now() < end) {
		strbuf_reset(&sb);
		found = !t_read(path, &sb) && strstr(sb.buf, needle);
		if (!found)
			usleep(5 * 1000);
	}
	strbuf_release(&sb);
	return found;
}

/* Waits (up to `secs`) until glob(3) `pattern` matches something. */
static inline int st_wait_glob(const char *pattern, double secs)
{
	double end = monotonic_now() + secs;

	while (monotonic_now() < end) {
		glob_t g;
		int hit = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0;
		globfree(&g);
		if (hit)
			return 1;
		usleep(2 * 1000);
	}
	return 0;
}

/*
 * A unix-socket proxy to `target` (LXD's socket) at `path`, in a child
 * process of this test: killing it (st_proxy_kill) is the daemon going
 * away mid-conversation, as far as its clients can tell, while the real
 * daemon, shared with other work, keeps running untouched.
 */
struct st_proxy {
	pid_t pid;
};

static inline void st_proxy_loop(int lfd, const char *target)
{
	int fd[64];          /* pairs: fd[2k] the client, fd[2k + 1] the daemon */
	int open_dir[64];    /* 1 while reading from fd[i] can still give bytes */
	size_t i;

	for (i = 0; i < 64; i++) {
		fd[i] = -1;
		open_dir[i] = 0;
	}
	for (;;) {
		struct pollfd p[65];
		p[0].fd = lfd;
		p[0].events = POLLIN;
		for (i = 0; i < 64; i++) {
			p[i + 1].fd = open_dir[i] ? fd[i] : -1;
			p[i + 1].events = POLLIN;
		}
		if (poll(p, 65, -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			struct sockaddr_un a;
			int c = accept(lfd, NULL, NULL), u, slot = -1;
			for (i = 0; i < 64 && slot < 0; i += 2)
				if (fd[i] < 0)
					slot = (int)i;
			u = socket(AF_UNIX, SOCK_STREAM, 0);
			memset(&a, 0, sizeof(a));
			a.sun_family = AF_UNIX;
			snprintf(a.sun_path, sizeof(a.sun_path), "%s", target);
			if (c < 0 || slot < 0 || u < 0 ||
			    connect(u, (struct sockaddr *)&a, sizeof(a))) {
				if (c >= 0)
					close(c);
				if (u >= 0)
					close(u);
			} else {
				fd[slot] = c;
				fd[slot + 1] = u;
				open_dir[slot] = open_dir[slot + 1] = 1;
			}
		}
		for (i = 0; i < 64; i++) {
			char buf[65536];
			ssize_t n, w, off = 0;
			int peer = fd[i ^ 1];
			if (!open_dir[i] || !(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(fd[i], buf, sizeof(buf));
			if (n <= 0) {
				open_dir[i] = 0;
				shutdown(peer, SHUT_WR);
			}
			while (n > 0 && off < n && (w = write(peer, buf + off, (size_t)(n - off))) > 0)
				off += w;
			if (!open_dir[i] && !open_dir[i ^ 1]) {
				close(fd[i]);
				close(peer);
				fd[i] = fd[i ^ 1] = -1;
			}
		}
	}
}

static inline void st_proxy_start(struct st_proxy *px, const char *path, const char *target)
{
	struct sockaddr_un a;
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(lfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(a.sun_path));
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	px->pid = fork();
	assert_true(px->pid >= 0);
	if (px->pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		st_proxy_loop(lfd, target);
		_exit(0);
	}
	close(lfd);
}

/* Ends the proxy (and with it every connection through it); its socket file stays. */
static inline void st_proxy_kill(struct st_proxy *px)
{
	if (px->pid > 0) {
		kill(px->pid, SIGKILL);
		waitpid(px->pid, NULL, 0);
		px->pid = 0;
	}
}

/*
 * A whole pipeline that runs in well under a second with the host backend:
 * under `dir`, a git repository tagged slurm-24-11-5-1 (repo/), a recipe
 * that compiles a program and a library with $ORIGIN RPATHs
 * (recipes/build-slurm.sh) and a smoke script that passes without Slurm
 * (smoke.sh). Environment knobs, all optional: SF_TEST_MARKS=DIR (the
 * recipe touches DIR/recipe, the smoke script DIR/smoke), SF_TEST_HOLD=build
 * or smoke (that step then sleeps 60 s), SF_TEST_FILES=N (the tree gets
 * 100 directories of N empty files: slow to extract), SF_TEST_BLOB_MB=N
 * (an N MiB file of random bytes: slow to compress).
 */
static const char st_fake_recipe[] =
	"#!/bin/sh\n"
	"set -eu\n"
	"exec >>\"$SF_OUT/build.log\" 2>&1\n"
	"t=$SF_OUT/software; mkdir -p \"$t/bin\" \"$t/lib\" \"$SF_BUILD\"\n"
	"cd \"$SF_BUILD\"\n"
	"printf 'int f(void){return 42;}\\n' > f.c\n"
	"printf 'int f(void); int main(void){return f()-42;}\\n' > m.c\n"
	"cc -shared -fPIC -Wl,-soname,libf.so.1 -o \"$t/lib/libf.so.1\" f.c\n"
	"cc -o \"$t/bin/hello\" m.c \"$t/lib/libf.so.1\" -Wl,--disable-new-dtags "
	"-Wl,-rpath,'$ORIGIN/../lib'\n"
	"cp \"$t/bin/hello\" \"$t/bin/srun\"   # smoke finds the tree by its bin/srun\n"
	"if [ -n \"${SF_TEST_FILES:-}\" ]; then\n"
	"  mkdir -p \"$t/share\"; cd \"$t/share\"; seq -f 'd%02g' 0 99 | xargs mkdir\n"
	"  for d in d*; do (cd \"$d\" && seq -f 'f%05g.txt' 1 \"$SF_TEST_FILES\" | xargs touch); done\n"
	"fi\n"
	"if [ -n \"${SF_TEST_BLOB_MB:-}\" ]; then\n"
	"  head -c \"$((SF_TEST_BLOB_MB * 1048576))\" /dev/urandom > \"$t/lib/blob\"\n"
	"fi\n"
	"if [ -n \"${SF_TEST_MARKS:-}\" ]; then : > \"$SF_TEST_MARKS/recipe\"; fi\n"
	"if [ \"${SF_TEST_HOLD:-}\" = build ]; then sleep 60; fi\n"
	"echo done\n";

static const char st_fake_smoke[] =
	"#!/bin/bash\n"
	"# the reference-form module must be caught: say srun is not there\n"
	"if [ \"${SF_STEPS:-}\" = module ]; then echo checking; echo 'srun: not in the prefix'; exit 1; fi\n"
	"if [ -n \"${SF_TEST_MARKS:-}\" ]; then : > \"$SF_TEST_MARKS/smoke\"; fi\n"
	"if [ \"${SF_TEST_HOLD:-}\" = smoke ]; then sleep 60; fi\n"
	"echo '@@sf-step module'; echo \"loads at $SF_PREFIX\"; echo '@@sf-end module 0 5'\n";

static inline void st_pipeline_make(const char *dir)
{
	char *p = xasprintf("%s/recipes/build-slurm.sh", dir);

	assert_int_equal(t_sh("set -e; mkdir -p '%s/recipes' '%s/marks'; git init -q '%s/repo'; "
			      "cd '%s/repo'; echo slurm > README; git add README; "
			      "git -c user.name=t -c user.email=t@t commit -q -m s; "
			      "git tag slurm-24-11-5-1", dir, dir, dir, dir), 0);
	assert_int_equal(t_writestr(p, st_fake_recipe), 0);
	free(p);
	p = xasprintf("%s/smoke.sh", dir);
	assert_int_equal(t_writestr(p, st_fake_smoke), 0);
	free(p);
}

#endif
