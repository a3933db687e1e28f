/*
 * lazylib: libcurl and libarchive are loaded on first use. The loader's
 * errors, and the binary itself: not linked against either, it loads
 * neither for `resolve` of a local repository, and loads libarchive for
 * `verify` and libcurl for an HTTP publish only when they run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "lazylib.h"

static void lazylib_open__missing_library_names_it_and_the_package(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_null(lazylib_open("libsf-no-such-library.so.9", "libsf-nothing9", &err));
	assert_non_null(strstr(err.buf, "libsf-no-such-library.so.9"));
	assert_non_null(strstr(err.buf, "install Debian's libsf-nothing9"));
	strbuf_release(&err);
}

static void lazylib_sym__resolves_a_function_and_refuses_a_missing_one(void **state)
{
	struct strbuf err = STRBUF_INIT;
	size_t (*len)(const char *) = NULL;
	void (*none)(void) = NULL;
	void *h;

	(void)state;
	h = lazylib_open("libc.so.6", "libc6", &err);
	assert_non_null(h);
	assert_int_equal(lazylib_sym(h, "libc.so.6", "strlen", &len, &err), 0);
	assert_non_null(len);
	assert_int_equal(len("twelve chars"), 12);
	assert_int_equal(lazylib_sym(h, "libc.so.6", "sf_no_such_function", &none, &err), -1);
	assert_null(none);
	assert_non_null(strstr(err.buf, "libc.so.6 has no sf_no_such_function"));
	strbuf_release(&err);
}

/* The shared objects the binary loads for `args` (LD_DEBUG=files), in `out`. */
static int loaded_by(struct strbuf *out, const char *dir, const char *args)
{
	strbuf_reset(out);
	return t_sh_capture(out, "cd '%s' && LD_DEBUG=files '%s' %s 2>&1 >/dev/null | "
			    "grep 'file=.*generating link map' || true", dir, t_bin(), args);
}

static void binary__loads_libcurl_and_libarchive_only_when_used(void **state)
{
	struct strbuf out = STRBUF_INIT;
	char *dir = t_mkdtemp("lazylib");

	(void)state;
	/* not linked against them */
	assert_int_equal(t_sh_capture(&out, "readelf -d '%s'", t_bin()), 0);
	assert_non_null(strstr(out.buf, "libgit2"));
	assert_null(strstr(out.buf, "libcurl"));
	assert_null(strstr(out.buf, "libarchive"));

	/* resolve over a local repository: neither is loaded */
	assert_int_equal(t_sh("cd '%s' && git init -q --bare r.git && "
			      "git -C r.git -c user.name=t -c user.email=t@t.invalid "
			      "fast-import --quiet <<'E'\n"
			      "commit refs/heads/main\ncommitter t <t@t.invalid> 1700000000 +0000\n"
			      "data 2\nx\n\ntag slurm-24-11-5-1\nfrom refs/heads/main\n"
			      "tagger t <t@t.invalid> 1700000000 +0000\ndata 2\nt\n\nE", dir), 0);
	assert_int_equal(loaded_by(&out, dir, "resolve latest --repo r.git --json r.json"), 0);
	assert_non_null(strstr(out.buf, "libgit2"));
	assert_null(strstr(out.buf, "libcurl"));
	assert_null(strstr(out.buf, "libarchive"));
	assert_int_equal(t_sh("grep -q '\"tag\": \"slurm-24-11-5-1\"' '%s/r.json'", dir), 0);

	/* verify reads a tarball: libarchive, and still no libcurl */
	assert_int_equal(t_sh("cd '%s' && mkdir -p t/software/bin && printf '#!/bin/sh\\n' > t/software/bin/f && "
			      "tar -czf t.tar.gz -C t software", dir), 0);
	assert_int_equal(loaded_by(&out, dir, "verify t.tar.gz --prefixes 1 --json v.json"), 0);
	assert_non_null(strstr(out.buf, "libarchive.so"));
	assert_null(strstr(out.buf, "libcurl"));
	assert_int_equal(t_sh("grep -q '\"exit_code\": 0' '%s/v.json'", dir), 0);

	t_rmtree(dir);
	free(dir);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lazylib_open__missing_library_names_it_and_the_package),
		cmocka_unit_test(lazylib_sym__resolves_a_function_and_refuses_a_missing_one),
		cmocka_unit_test(binary__loads_libcurl_and_libarchive_only_when_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
