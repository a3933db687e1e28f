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
/* The slurm-factory binary under test ($SF_BIN). */
const char *t_bin(void);
/* ../shared, as the Makefile passes it ($SF_SHARED). */
const char *t_shared(void);
/* mkdir -p */
int t_mkdirs(const char *path);

#endif
