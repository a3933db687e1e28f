#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "signals.h"

extern char **environ;

void proc_result_init(struct proc_result *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->out);
}

void proc_result_release(struct proc_result *r)
{
	strbuf_release(&r->out);
}

/* Starts the child; -1 with `err` and *error (the errno) when it cannot. */
static int spawn(char *const argv[], const struct proc_opts *opts, int out_fd,
		 pid_t *pid, int *error, struct strbuf *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0,
		opts && opts->stdin_path ? opts->stdin_path : "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	}
	if (opts && opts->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, opts->cwd);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGQUIT);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				       POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(pid, argv[0], &fa, &at, argv,
			  opts && opts->env ? opts->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc) {
		strbuf_addf(err, "cannot run '%s': %s", argv[0], strerror(rc));
		*error = rc;
		return -1;
	}
	return 0;
}

int proc_spawn_bg(char *const argv[], const struct proc_opts *opts, pid_t *pid,
		  struct strbuf *err)
{
	int fd = -1, ret;

	if (opts && opts->log_path) {
		fd = open(opts->log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			strbuf_addf(err, "cannot open '%s': %s", opts->log_path,
				    strerror(errno));
			return -1;
		}
	}
	{
		int error = 0;
		ret = spawn(argv, opts, fd, pid, &error, err);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

static int wait_group(pid_t pid, double grace, int *status)
{
	double end = monotonic_now() + grace;
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			break;
		if (monotonic_now() > end) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			break;
		}
		usleep(10000);
	}
	/* the leader is gone; take the rest of its group with it */
	kill(-pid, SIGKILL);
	if (status)
		*status = st;
	return 0;
}

int proc_stop(pid_t pid, double grace, int *status)
{
	if (pid <= 0)
		return -1;
	kill(-pid, SIGTERM);
	return wait_group(pid, grace, status);
}

static void keep_tail(struct strbuf *out, size_t max)
{
	if (out->len > max) {
		size_t cut = out->len - max;
		memmove(out->buf, out->buf + cut, max);
		strbuf_setlen(out, max);
	}
}

int proc_run(char *const argv[], const struct proc_opts *opts,
	     struct proc_result *res, struct strbuf *err)
{
	int pipefd[2] = { -1, -1 }, logfd = -1, ret = -1, st = 0, open_pipe = 1;
	int reaped = 0, logfd_failed = 0;
	double drain_until = 0;
	size_t max = opts && opts->capture_max ? opts->capture_max : (1u << 20);
	double start = monotonic_now();
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		strbuf_addf(err, "pipe: %s", strerror(errno));
		return -1;
	}
	if (opts && opts->log_path) {
		logfd = open(opts->log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (logfd < 0) {
			strbuf_addf(err, "cannot open '%s': %s", opts->log_path,
				    strerror(errno));
			goto out;
		}
	}
	if (spawn(argv, opts, pipefd[1], &pid, &res->spawn_error, err))
		goto out;
	close(pipefd[1]);
	pipefd[1] = -1;

	/* until reaped: a child that redirects its own output closes the pipe early */
	while (open_pipe || !reaped) {
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		char buf[65536];
		int n = poll(&p, open_pipe ? 1 : 0, 100);

		if (n > 0 && open_pipe) {
			ssize_t r = read(pipefd[0], buf, sizeof(buf));
			if (r > 0) {
				strbuf_add(&res->out, buf, (size_t)r);
				if (res->out.len > 2 * max)
					keep_tail(&res->out, max);
				/* the log is best effort; the capture is kept */
				if (logfd >= 0 && write(logfd, buf, (size_t)r) < 0)
					logfd_failed = 1;
			} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
				open_pipe = 0;
			}
		}
		if (!reaped && waitpid(pid, &st, WNOHANG) == pid) {
			/* output still held by stragglers: end them, drain briefly */
			reaped = 1;
			kill(-pid, SIGKILL);
			drain_until = monotonic_now() + 1.0;
		}
		if (reaped && monotonic_now() > drain_until)
			break;
		if (reaped)
			continue;
		if (opts && opts->timeout > 0 && monotonic_now() - start > opts->timeout) {
			res->timed_out = 1;
			break;
		}
		if (signals_interrupted()) {
			res->interrupted = 1;
			break;
		}
	}
	if (res->timed_out || res->interrupted) {
		proc_stop(pid, 2.0, &st);
	} else if (!reaped) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		kill(-pid, SIGKILL); /* stragglers left in the group */
	}
	keep_tail(&res->out, max);
	if (logfd_failed)
		strbuf_addstr(&res->out, "\n[slurm-factory: the log file could not be written]\n");
	res->exited = WIFEXITED(st);
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? WTERMSIG(st) : -1;
	res->duration = monotonic_now() - start;
	ret = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (logfd >= 0)
		close(logfd);
	return ret;
}

void proc_describe(const struct proc_result *r, struct strbuf *out)
{
	if (r->timed_out)
		strbuf_addf(out, "timed out after %.1f s", r->duration);
	else if (r->interrupted)
		strbuf_addstr(out, "interrupted");
	else if (r->exited)
		strbuf_addf(out, "exit %d", r->status);
	else
		strbuf_addf(out, "killed by signal %d", r->status);
}
