/*
 * Helpers shared by the cmocka tests: temporary directories, files, and
 * running commands (cc, git, the slurm-factory binary) to build fixtures at
 * test time. Tests may abort through cmocka's assertions; helpers return
 * -1 on failure so the assertion stays in the test.
 */
#ifndef SF_TESTLIB_H
#define SF_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "strbuf.h"

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string. */
char *t_mkdtemp(const char *tag);
/* rm -rf, without following symlinks. */
int t_rmtree(const char *path);
int t_write(const char *path, const char *data, size_t len, int mode);
int t_writestr(const char *path, const char *s);
/* Reads a whole file into `out`; -1 when it cannot. */
int t_read(const char *path, struct strbuf *out);
int t_exists(const char *path);
/* Runs `/bin/sh -c CMD` (printf-style), output to stderr on failure; returns the exit code. */
int t_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a shell command and captures stdout+stderr; returns its exit code. */
int t_sh_capture(struct strbuf *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A make run by a test (the action's, the GitLab job's, make install) must
 * not inherit the variables of the make running the test: check-asan's
 * command-line BUILD, CC, CFLAGS and LDFLAGS reach the environment of
 * everything it runs, not only MAKEFLAGS.
 */
#define CLEAN_MAKE_ENV "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES " \
	"-u BUILD -u CC -u CFLAGS -u LDFLAGS "

/* The slurm-factory binary under test ($SF_BIN). */
const char *t_bin(void);
/* ../shared, as the Makefile passes it ($SF_SHARED). */
const char *t_shared(void);
/* The project's source directory ($SF_SRCDIR, default "."). */
const char *t_srcdir(void);
/* mkdir -p */
int t_mkdirs(const char *path);
/*
 * `slurm-factory image build ARGS` (from the source directory): builds the
 * image once and reuses it by alias; the alias (its last line of output)
 * is appended to `alias`. 0, or -1 when it cannot be built.
 */
int t_image_build(const char *args, struct strbuf *alias);
/* The build image's alias (`image build`, reused when it exists), or NULL; caller frees. */
char *t_build_image(void);
/*
 * The smoke stage's runtime image (Lmod and munge, no compiler), built by
 * `image build` once and reused by alias; its alias is appended to `alias`.
 * 0, or -1 when it cannot be built.
 */
int t_runtime_image(struct strbuf *alias);

/*
 * The local LXD daemon as a "remote": its HTTPS listener on 127.0.0.1:`port`
 * and a new client certificate it trusts, written under `dir`. The paths
 * are owned by the struct; t_lxd_https_stop() removes the trust and the
 * listener. 0, or -1 when LXD refused.
 */
struct t_lxd_https {
	char *url;           /* "https://127.0.0.1:PORT" */
	char *cert, *key;    /* the client's */
	char *server;        /* the server's certificate, to pin */
	char *args;          /* "--lxd-remote URL --lxd-client-cert ... --lxd-server-cert ..." */
};
int t_lxd_https_start(const char *dir, const char *port, struct t_lxd_https *h);
void t_lxd_https_stop(struct t_lxd_https *h);

/*
 * A second LXD server on this machine: its own daemon (LXD_DIR=<dir>/lxd),
 * btrfs pool on a loop file, no network, HTTPS on 127.0.0.1:`port` only,
 * trusting a new client certificate; kept off the network like the first.
 * `h` as above. t_lxd_second_stop() shuts it down and removes its
 * directory. 0, or -1 when it could not be started.
 */
int t_lxd_second_start(const char *dir, const char *port, struct t_lxd_https *h);
void t_lxd_second_stop(const char *dir, struct t_lxd_https *h);
/*
 * Stops the second server of `dir` if one was started there and is still
 * running (a test that failed half-way), and removes its files: for a
 * teardown, before the directory is removed. Nothing when there is none.
 */
void t_lxd_second_kill(const char *dir);

/*
 * Waits (up to `secs`) until the build container of process `pid` (by its
 * user.slurm-factory.pid label) holds the non-empty file `path`: what a
 * recipe writes stays in its container until the recipe ends. 1 with the
 * container's name in `name`, 0 when the time ran out.
 */
int t_lxd_wait_file(long pid, const char *path, double secs, struct strbuf *name);

/* --- a fresh temporary directory per test ----------------------------- */
/* cmocka setup/teardown: *state is a struct t_tmp whose dir is new and empty. */
struct t_tmp {
	char *dir;
};
int t_tmp_setup(void **state);
int t_tmp_teardown(void **state);

#endif

/* --- reading a JSON report written by the binary --------------------- */
struct json_object;
/* Parses the report at `path`; NULL when missing or invalid. json_object_put() it. */
struct json_object *t_report_load(const char *path);
/* Number of findings with rule `rule` whose file contains `file` (either NULL: any). */
size_t t_report_count(struct json_object *report, const char *rule, const char *file);
/* Number of checks whose name contains `name` and whose outcome is `outcome`. */
size_t t_report_checks(struct json_object *report, const char *name, const char *outcome);
/* A property of the stage named `stage`, or NULL. */
const char *t_stage_prop(struct json_object *report, const char *stage, const char *name);
/*
 * The newest FAMILY_ version ("GLIBC", "GLIBCXX", ...) objdump -T shows an
 * undefined symbol of any file under `dir` bound to, into `out` (reset
 * first; "" when none): what the glibc floor must agree with. -1 when the
 * command fails.
 */
int t_objdump_newest(const char *dir, const char *family, struct strbuf *out);
/* Runs the binary with a shell-quoted argument string; returns its exit code. */
int t_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A 1 MB busybox-static LXD image (unified tarball), built once and cached
 * under $HOME/.slurm-factory/test-images; caller frees the path. Fails the
 * test when it cannot be built.
 */
char *t_busybox_image(void);

/* --- writing package fixtures with libarchive's writer ------------------- */
struct archive;
/*
 * Writes one regular member `name` holding `len` bytes of `data` into the
 * open archive writer `a` (an ar archive: a .deb). Fails the test when
 * libarchive refuses it.
 */
void t_ar_member(struct archive *a, const char *name, const void *data, size_t len);
