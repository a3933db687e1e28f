/*
 * lxd: the LXD adapter, a client of LXD's REST API on top of http.c.
 *
 * Connects over the local unix socket (lxd_find_socket) or over HTTPS to a remote server with a client
 * certificate and the server's certificate pinned. Every reply is an
 * envelope (sync / async / error); async operations are waited on with
 * GET /1.0/operations/<id>/wait?timeout=N in a loop under an overall
 * deadline, and SIGINT/SIGTERM end the wait early (the caller then cleans
 * up). json-c stays inside lxd.c.
 *
 * Every function returns 0 or -1 with a one-line message in `err` that
 * says what was asked and what LXD answered. Nothing here prints or exits.
 */
#ifndef SF_LXD_H
#define SF_LXD_H

#include <stddef.h>

#include "http.h"
#include "strbuf.h"

struct json_object;

#define LXD_DEFAULT_DIR "/var/lib/lxd"
#define LXD_SNAP_SOCKET "/var/snap/lxd/common/lxd/unix.socket"
/* Config key prefix that marks the tool's containers (for gc). */
#define LXD_LABEL_PREFIX "user.slurm-factory."

/* ---- reply envelopes (pure: bytes in, struct out) ---------------------- */

enum lxd_reply_type {
	LXD_REPLY_SYNC,
	LXD_REPLY_ASYNC,
	LXD_REPLY_ERROR,
};

struct lxd_envelope {
	enum lxd_reply_type type;
	long http_status;
	long status_code;         /* 200 success, 100 created, ... */
	long error_code;          /* for LXD_REPLY_ERROR */
	char *error;              /* owned; NULL unless an error */
	char *operation;          /* owned; "/1.0/operations/<uuid>" for async */
	struct json_object *metadata;  /* owned reference, may be NULL */
};

void lxd_envelope_init(struct lxd_envelope *env);
void lxd_envelope_release(struct lxd_envelope *env);

/*
 * Parses one reply. `http_status` is the HTTP code it came with. Returns 0
 * for any well-formed envelope (also an error envelope: see env->type),
 * -1 with `err` for anything else (garbage, truncated JSON, not an object,
 * unknown type). Never reads beyond `len`.
 */
int lxd_parse_envelope(const char *buf, size_t len, long http_status,
		       struct lxd_envelope *env, struct strbuf *err);

/* The state of an operation, from an operation object. */
struct lxd_operation {
	char *id;                 /* owned */
	char *status;             /* owned: "Running", "Success", "Failure", ... */
	long status_code;         /* 103 running, 200 success, 400 failure, 401 cancelled */
	char *err;                /* owned; the operation's own error, or NULL */
	int has_return;           /* exec: metadata.return was present */
	int return_code;          /* exec: the command's exit status */
	char *stdout_log;         /* exec with record-output: API path, owned */
	char *stderr_log;
	char *fingerprint;        /* image import: metadata.fingerprint, owned */
};

void lxd_operation_init(struct lxd_operation *op);
void lxd_operation_release(struct lxd_operation *op);
/*
 * Reads an operation object (the metadata of GET /1.0/operations/<id>,
 * of its /wait, or of an async reply). -1 with `err` when it is not one.
 */
int lxd_parse_operation(const struct lxd_envelope *env,
			struct lxd_operation *op, struct strbuf *err);
/* 1 when the operation has finished (whatever its outcome). */
int lxd_operation_done(const struct lxd_operation *op);

/* ---- the connection ---------------------------------------------------- */

struct lxd_opts {
	const char *remote;       /* "https://HOST:PORT", or NULL for the socket */
	const char *socket_path;  /* NULL: $LXD_DIR/unix.socket */
	const char *client_cert;  /* HTTPS: PEM client certificate + key */
	const char *client_key;
	const char *server_cert;  /* HTTPS: the server's exact certificate (PEM) */
	const char *pool;         /* storage pool for root disks, NULL: "default" */
	double op_timeout;        /* default deadline of an operation, 0: 600 s */
	unsigned wait_step;       /* seconds per /wait request, 0: 2 */
	/* how the backend makes containers (backend.c reads these) */
	int privileged;           /* --lxd-privileged */
	const char *transfer;     /* "api" (NULL) or "disk" */
	const char *target;       /* cluster member, or NULL */
	const char *cpu;          /* limits.cpu, or NULL */
	const char *memory;       /* limits.memory, or NULL */
	const char *root_size;    /* root disk size, or NULL */
};

struct lxd {
	struct http_client http;
	char *base;               /* "http://lxd" or the remote URL, owned */
	char *pool;               /* owned */
	char *server_version;     /* from GET /1.0, owned */
	double op_timeout;
	unsigned wait_step;
	unsigned long nr_requests;  /* for tests and measurements */
	int ignore_signals;       /* set while cleaning up: waits run to the end */
};

/*
 * The local daemon's socket, into `out`: `given` (--lxd-socket) or
 * $LXD_SOCKET when set (that one or an error), else the first socket of
 * $LXD_DIR/unix.socket, the snap's /var/snap/lxd/common/lxd/unix.socket
 * (Ubuntu runners), Debian's /var/lib/lxd/unix.socket. -1 with `err`
 * naming every place looked at.
 */
int lxd_find_socket(const char *given, struct strbuf *out, struct strbuf *err);

/*
 * Connects and checks that the server answers and trusts us (GET /1.0:
 * auth must be "trusted"). Fills `lxd`; release it with lxd_release() also
 * after a failure.
 */
int lxd_connect(struct lxd *lxd, const struct lxd_opts *opts, struct strbuf *err);
void lxd_release(struct lxd *lxd);

/*
 * One request whose reply is an envelope. Error envelopes and transport
 * failures become -1 with `err`; an async reply is waited on (up to
 * `deadline` seconds, 0: the connection's default) and its operation
 * returned in `op` (may be NULL). `body` is JSON or NULL.
 */
int lxd_call(struct lxd *lxd, const char *method, const char *path,
	     const char *body, double deadline, struct lxd_envelope *env,
	     struct lxd_operation *op, struct strbuf *err);
/* Waits for operation `id` to finish; deadline in seconds (0: default). */
int lxd_wait(struct lxd *lxd, const char *id, double deadline,
	     struct lxd_operation *op, struct strbuf *err);

/* ---- images ------------------------------------------------------------ */

int lxd_image_exists(struct lxd *lxd, const char *alias, int *exists,
		     struct strbuf *err);
/* Uploads a unified tarball and points `alias` at it (replacing it). */
/*
 * The image property `key` of the image `alias` points at, into `value`
 * ("" when the image has no such property). -1 with `err` when there is
 * no such image or LXD does not answer.
 */
int lxd_image_property(struct lxd *lxd, const char *alias, const char *key,
		       struct strbuf *value, struct strbuf *err);
/* The image `alias` points at, as LXD holds it (a unified tarball), into the file `tarball`. */
int lxd_image_export(struct lxd *lxd, const char *alias, const char *tarball,
		     struct strbuf *err);
int lxd_image_import(struct lxd *lxd, const char *tarball, const char *alias,
		     struct strbuf *err);
/* Deletes the image `alias` points at; absent is not an error. */
int lxd_image_delete(struct lxd *lxd, const char *alias, struct strbuf *err);

/* ---- containers -------------------------------------------------------- */

struct lxd_disk {
	const char *name;         /* device name */
	const char *source;       /* host directory */
	const char *path;         /* path inside the container */
	int readonly;
};

/* A custom storage volume of the connection's pool, attached at `path`. */
struct lxd_volume_dev {
	const char *name;         /* device name */
	const char *volume;       /* /1.0/storage-pools/<pool>/volumes/custom/<volume> */
	const char *path;
};

struct lxd_launch {
	const char *name;
	const char *image;        /* alias */
	const char *const *config;  /* "key=value", NULL-terminated, or NULL */
	const struct lxd_disk *disks;     /* host directories: local servers only */
	size_t nr_disks;
	const struct lxd_volume_dev *volumes;
	size_t nr_volumes;
	const char *root_size;    /* root disk "size" (e.g. "40GiB"), or NULL */
	const char *target;       /* cluster member (?target=), or NULL */
	int ephemeral;
	int privileged;           /* security.privileged=true; default: LXD's idmap */
};

/* 1 when the connection goes to a remote server (HTTPS), 0 for the socket. */
int lxd_is_remote(const struct lxd *lxd);

/*
 * Creates and starts a container with no profile: one root disk on the
 * pool, the given custom volumes and disk devices, no NIC whatever the
 * server's profiles hold. Host-directory disk devices are refused for a
 * remote server (it cannot see this machine's directories). On a failed
 * start the container is deleted again; a start that fails unprivileged
 * says that --lxd-privileged exists.
 */
int lxd_launch(struct lxd *lxd, const struct lxd_launch *l, struct strbuf *err);
/* Stops (force) and deletes; a container that is already gone is fine. */
int lxd_delete(struct lxd *lxd, const char *name, struct strbuf *err);

struct lxd_exec {
	char *const *argv;
	char *const *env;         /* "KEY=value", NULL-terminated, or NULL */
	const char *cwd;          /* NULL: the user's home */
	unsigned uid, gid;
	double timeout;           /* seconds, 0: none; enforced by `timeout` */
};

struct lxd_exec_result {
	int exit_code;            /* the command's status (127: not found) */
	int timed_out;
	struct strbuf out;        /* recorded stdout */
	struct strbuf errout;     /* recorded stderr */
	double duration;
};

void lxd_exec_result_init(struct lxd_exec_result *r);
void lxd_exec_result_release(struct lxd_exec_result *r);
/*
 * Runs a command in a running container with recorded output, waits for
 * it, fetches stdout and stderr and deletes the log files LXD kept. A
 * non-zero exit is not an error (see r->exit_code). -1 when it could not
 * run or when interrupted by a signal (the command may still be running:
 * the caller deletes the container).
 */
int lxd_exec(struct lxd *lxd, const char *name, const struct lxd_exec *x,
	     struct lxd_exec_result *r, struct strbuf *err);

/* Copies a host file into the container (mode e.g. 0644, owned by uid:gid). */
int lxd_file_push(struct lxd *lxd, const char *name, const char *local,
		  const char *path, unsigned mode, unsigned uid, unsigned gid,
		  struct strbuf *err);
/* Copies a file out of the container to `local`. */
int lxd_file_pull(struct lxd *lxd, const char *name, const char *path,
		  const char *local, struct strbuf *err);

/* ---- custom storage volumes (server-side caches) ------------------------ */

/*
 * Makes sure the custom volume `name` exists on the connection's pool;
 * `created` (may be NULL) says whether this call made it.
 */
int lxd_volume_ensure(struct lxd *lxd, const char *name, int *created,
		      struct strbuf *err);
/* The custom volumes of the pool whose names start with `prefix`; caller frees. */
int lxd_volume_list(struct lxd *lxd, const char *prefix, char ***names, size_t *nr,
		    struct strbuf *err);
/* Deletes a custom volume; absent is not an error, one in use is. */
int lxd_volume_delete(struct lxd *lxd, const char *name, struct strbuf *err);

struct lxd_instance {
	char *name;               /* owned */
	char *status;             /* "Running", "Stopped", owned */
	char *run_id;             /* user.slurm-factory.run, owned */
	char *host;               /* user.slurm-factory.host, owned, may be NULL */
	unsigned long pid;        /* user.slurm-factory.pid, 0 when absent */
};

/* The containers that carry a user.slurm-factory.run key; caller frees. */
int lxd_list_own(struct lxd *lxd, struct lxd_instance **list, size_t *nr,
		 struct strbuf *err);
void lxd_instances_free(struct lxd_instance *list, size_t nr);

#endif
