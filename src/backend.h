/*
 * backend: where the recipe's commands run. One small interface, two
 * implementations:
 *   lxd   a fresh ephemeral, NIC-less container per run (unprivileged unless
 *         --lxd-privileged), driven through lxd.c; the mounts' contents go in
 *         as one tarball through the files API and the ones marked `pull`
 *         come back as a tarball extracted with the secure extraction (no
 *         host directory is shared, so a remote server works the same);
 *         --lxd-transfer disk attaches host directories as disk devices
 *         instead (local, privileged only)
 *   host  the same commands on this machine under the process runner, for
 *         runners that cannot run LXD; container paths under a mount are
 *         translated to the host directory
 * The report says which one ran (stage property "backend").
 *
 * Every container a backend creates is registered before it is created, so
 * backend_cleanup() deletes it on success, failure, or after SIGINT/SIGTERM
 * (the first signal ends the current wait; the caller then cleans up from
 * its main path; a second signal kills the process at once).
 */
#ifndef SF_BACKEND_H
#define SF_BACKEND_H

#include <stddef.h>

#include "lxd.h"
#include "strbuf.h"

struct cli;

struct backend_mount {
	const char *source;      /* host directory */
	const char *path;        /* path seen by the commands */
	int readonly;
	/*
	 * lxd api transfer: after every command the container's copy replaces
	 * the contents of `source`, which must be a directory the caller made
	 * for this (it is emptied first). Other mounts are copies in the
	 * container: what the commands write there stays there.
	 */
	int pull;
	/*
	 * lxd api transfer: a seed of a custom volume (cfg.volumes): pushed
	 * (and pulled, when `pull`) only when this run created the volume, so
	 * that a fresh server (a new CI runner) starts from the caller's copy
	 * and hands the result back, while a server that keeps the volume
	 * moves nothing. Ignored by the host backend and disk devices.
	 */
	int seed;
};

struct backend_config {
	const char *kind;        /* "lxd" (default) or "host" */
	struct lxd_opts lxd;     /* lxd: how to reach the server */
	const char *image;       /* lxd: image alias */
	const char *purpose;     /* container name part: "build", "check" */
	const struct backend_mount *mounts;
	size_t nr_mounts;
	const struct lxd_volume_dev *volumes;  /* lxd: custom volumes to attach */
	size_t nr_volumes;
};

struct backend_cmd {
	char *const *argv;
	char *const *env;        /* "KEY=value" added to the environment, or NULL */
	const char *cwd;         /* NULL: lxd: /root, host: inherit */
	double timeout;          /* seconds, 0: none */
	int pull;                /* lxd api transfer: bring the `pull` mounts back after it */
};

struct backend_result {
	int exit_code;           /* 127: not found; -1: killed by a signal (host) */
	int timed_out;
	int no_space;            /* backend_exec failed: a writable mount is full */
	struct strbuf out;       /* stdout (host: stdout and stderr together) */
	struct strbuf errout;    /* stderr (lxd) */
	double duration;
};

void backend_result_init(struct backend_result *r);
void backend_result_release(struct backend_result *r);

struct backend;

struct backend_ops {
	const char *name;
	int (*prepare)(struct backend *b, struct strbuf *err);
	int (*exec)(struct backend *b, const struct backend_cmd *cmd,
		    struct backend_result *res, struct strbuf *err);
	int (*push)(struct backend *b, const char *local, const char *path,
		    unsigned mode, struct strbuf *err);
	int (*pull)(struct backend *b, const char *path, const char *local,
		    struct strbuf *err);
	int (*cleanup)(struct backend *b, struct strbuf *err);
};

struct backend {
	const struct backend_ops *ops;
	struct backend_config cfg;   /* shallow copy: the caller's strings must outlive */
	char run_id[32];             /* "20261129t075356-1a2b3c" */
	struct lxd lxd;
	int connected;
	char *container;             /* the current container, owned */
	char **created;              /* every container this backend created, owned */
	size_t nr_created, alloc_created;
	int api_transfer;            /* lxd: mounts move through the API */
	int volume_created;          /* lxd: prepare created a volume of cfg.volumes */
	/* lxd api transfer: what moved and how long it took (for the report) */
	double xfer_in_seconds, xfer_out_seconds;
	unsigned long long xfer_in_bytes, xfer_out_bytes;
};

extern const struct backend_ops backend_lxd_ops;
extern const struct backend_ops backend_host_ops;

/* Picks the implementation by cfg->kind and makes a run id. */
int backend_init(struct backend *b, const struct backend_config *cfg,
		 struct strbuf *err);
/* Frees memory only; call backend_cleanup() first. */
void backend_release(struct backend *b);

int backend_prepare(struct backend *b, struct strbuf *err);
/*
 * 0 when the command ran (see res->exit_code); -1 when it could not, and
 * when it failed while a writable mount's file system was full (err says
 * "no space left on device in DIR"): that exit status is no verdict.
 */
int backend_exec(struct backend *b, const struct backend_cmd *cmd,
		 struct backend_result *res, struct strbuf *err);
int backend_push(struct backend *b, const char *local, const char *path,
		 unsigned mode, struct strbuf *err);
int backend_pull(struct backend *b, const char *path, const char *local,
		 struct strbuf *err);
/*
 * Repeats in the container a rename the caller just made under a mount on
 * this machine (lxd api transfer: the container holds a copy); nothing to
 * do for the host backend or disk devices.
 */
int backend_rename(struct backend *b, const char *from, const char *to,
		   struct strbuf *err);
/* Deletes every registered container; safe to call more than once. */
int backend_cleanup(struct backend *b, struct strbuf *err);

/*
 * 1 when the environment entry `entry` ("NAME=value" or "NAME") names a
 * credential: TOKEN, SECRET, PASSWORD, PASSWD, CREDENTIAL or PRIVATE_KEY
 * anywhere in the name (any case), or AWS_ACCESS_KEY_ID. The host backend
 * does not pass those on to the commands it runs (LXD commands get only
 * their own environment anyway).
 */
int env_is_secret(const char *entry);

/* Names of the build cache volumes (stage_build.c makes them, gc removes them). */
#define BUILD_CACHE_VOLUME_PREFIX "sf-cache-"

/* Fills `o` from the --lxd-* options of `cli` (strings borrowed). */
void backend_lxd_opts_from_cli(const struct cli *cli, struct lxd_opts *o);

/* The rows of the --lxd-* options, for a command's option table. */
#define BACKEND_LXD_OPTS \
	{ "lxd-remote", OPT_VALUE, "URL", "LXD server https://HOST:PORT (default: local socket)" }, \
	{ "lxd-socket", OPT_VALUE, "PATH", "LXD unix socket (default: $LXD_SOCKET, $LXD_DIR/unix.socket, " \
	  "the snap's, then /var/lib/lxd/unix.socket)" }, \
	{ "lxd-client-cert", OPT_VALUE | OPTF_INPUT, "FILE", "client certificate (PEM) for --lxd-remote" }, \
	{ "lxd-client-key", OPT_VALUE | OPTF_INPUT, "FILE", "client key (PEM) for --lxd-remote" }, \
	{ "lxd-server-cert", OPT_VALUE | OPTF_INPUT, "FILE", "the remote server's certificate (PEM), pinned" }, \
	{ "lxd-pool", OPT_VALUE, "NAME", "storage pool for container root disks (default: default)" }

/* The rows of the options that say how build and smoke containers are made. */
#define BACKEND_LXD_LAUNCH_OPTS \
	{ "lxd-privileged", OPT_FLAG, NULL, "run containers privileged: root in them is root " \
	  "of the host (only where unprivileged containers cannot run; see docs/lxd.md)" }, \
	{ "lxd-transfer", OPT_VALUE, "api|disk", "how inputs and outputs move: api (default: " \
	  "files API and exec, also remote) or disk (host directories as disk devices: " \
	  "local server and --lxd-privileged only)" }, \
	{ "lxd-target", OPT_VALUE, "MEMBER", "LXD cluster member to run containers on " \
	  "(default: the cluster places them)" }, \
	{ "lxd-cpu", OPT_VALUE, "N", "limits.cpu of each container (default: no limit)" }, \
	{ "lxd-memory", OPT_VALUE, "SIZE", "limits.memory of each container, e.g. 8GiB " \
	  "(default: no limit)" }, \
	{ "lxd-disk", OPT_VALUE, "SIZE", "size of each container's root disk, e.g. 40GiB " \
	  "(default: the pool's)" }

/*
 * Checks the launch options of `o` (filled by backend_lxd_opts_from_cli):
 * --lxd-transfer is api or disk, disk only with --lxd-privileged and a
 * local server, --lxd-cpu a count, sizes LXD's form. -1 with `err`.
 */
int backend_lxd_opts_check(const struct lxd_opts *o, struct strbuf *err);

#endif
