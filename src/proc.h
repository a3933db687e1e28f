/*
 * The one process runner: posix_spawn, each child in its own process
 * group, captured output, a timeout that kills the whole group, always
 * reaped. Nothing else in the project forks or execs.
 */
#ifndef SF_PROC_H
#define SF_PROC_H

#include <sys/types.h>

#include "strbuf.h"

struct proc_opts {
	const char *cwd;          /* NULL: inherit */
	char *const *env;         /* NULL: inherit */
	double timeout;           /* seconds, 0: none */
	const char *stdin_path;   /* NULL: /dev/null */
	const char *log_path;     /* when set, stdout+stderr also go to this file */
	size_t capture_max;       /* keep at most this many bytes (the tail); 0: 1 MiB */
};

struct proc_result {
	int exited;               /* 1 when it exited normally */
	int status;               /* exit code, or the signal that ended it */
	int timed_out;
	int interrupted;          /* stopped because we got SIGINT/SIGTERM */
	int spawn_error;          /* the errno when it could not be started (ENOENT), else 0 */
	struct strbuf out;        /* stdout and stderr interleaved (tail) */
	double duration;
};

void proc_result_init(struct proc_result *r);
void proc_result_release(struct proc_result *r);

/*
 * Runs argv[0] (searched in PATH) and waits. Returns 0 when the child ran
 * (whatever its exit status, see `res`), -1 with `err` when it could not be
 * started. A timeout or our own SIGINT/SIGTERM kills the child's process
 * group (SIGTERM, then SIGKILL after 2 s).
 */
int proc_run(char *const argv[], const struct proc_opts *opts,
	     struct proc_result *res, struct strbuf *err);

/* Starts a child in the background in its own process group. */
int proc_spawn_bg(char *const argv[], const struct proc_opts *opts, pid_t *pid,
		  struct strbuf *err);
/* Stops a background child: SIGTERM to its group, SIGKILL after `grace` s. */
int proc_stop(pid_t pid, double grace, int *status);

/* "exit 3", "killed by signal 9", "timed out after 5.0 s" */
void proc_describe(const struct proc_result *r, struct strbuf *out);

#endif
