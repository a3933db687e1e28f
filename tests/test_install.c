/*
 * The installed tool, as a user meets it: `make install` into a temporary
 * prefix, then the installed binary run from another directory, with the
 * source tree out of reach (a mount namespace lays an empty tmpfs over it):
 * it finds its recipes, smoke script and package lists under
 * <prefix>/share/slurm-factory, builds Slurm in LXD and smokes the result.
 * Needs the LXD daemon and the Slurm repository (scripts/slurm-sources.sh);
 * fails, never skips, without them.
 */
#include "testlib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
	char *dir;       /* the test's directory; the prefix and a work dir in it */
	char *prefix;
	char *repo;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	f->dir = t_mkdtemp("install");
	assert_non_null(f->dir);
	f->prefix = xasprintf("%s/opt/sf", f->dir);
	f->repo = xasprintf("%s/.slurm-factory/upstream/slurm.git", getenv("HOME"));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	t_rmtree(f->dir);
	free(f->dir);
	free(f->prefix);
	free(f->repo);
	free(f);
	return 0;
}

/* make install of the binary under test (its build directory) into f->prefix. */
static int install(struct fx *f)
{
	char *bin = xstrdup(t_bin()), *slash = strrchr(bin, '/');
	int rc;

	*slash = '\0';
	rc = t_sh(CLEAN_MAKE_ENV "make -s -C '%s' install BUILD='%s' PREFIX='%s' >/dev/null",
		  t_srcdir(), bin, f->prefix);
	free(bin);
	return rc;
}

/* Runs `script` (sh) with the source tree hidden and cwd in the test's work dir. */
static int hidden_source(struct fx *f, struct strbuf *out, const char *script)
{
	return t_sh_capture(out, "mkdir -p '%s/work' && unshare --mount sh -c '"
			    "mount -t tmpfs sf-hidden \"$0\" && cd \"$1/work\" && "
			    "test ! -e \"$0/recipes\" && %s' '%s' '%s'",
			    f->dir, script, t_srcdir(), f->dir);
}

static void install__puts_everything_the_program_reads_under_share(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(install(f), 0);
	assert_int_equal(t_sh("cd '%s' && test -x bin/slurm-factory && "
			      "test -f share/man/man1/slurm-factory.1 && "
			      "test -f share/slurm-factory/recipes/build-slurm.sh && "
			      "test -f share/slurm-factory/recipes/smoke.sh && "
			      "test -f share/slurm-factory/recipes/build-packages.txt && "
			      "test -f share/slurm-factory/recipes/runtime-packages.txt", f->prefix), 0);
	/* the installed binary, with the source tree gone: a dry run finds it all */
	assert_int_equal(hidden_source(f, &out, "\"$1/opt/sf/bin/slurm-factory\" run --dry-run "
				       "--backend lxd"), 0);
	assert_non_null(strstr(out.buf, "plan (every option checked)"));
	/* and says where it looked when a file is missing */
	assert_int_equal(t_sh("rm '%s/share/slurm-factory/recipes/smoke.sh'", f->prefix), 0);
	strbuf_reset(&out);
	assert_int_equal(hidden_source(f, &out, "\"$1/opt/sf/bin/slurm-factory\" run --dry-run"),
			 129);
	assert_non_null(strstr(out.buf, "share/slurm-factory/recipes/smoke.sh"));
	strbuf_release(&out);
}

static void install__installed_binary_builds_and_smokes_from_elsewhere(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, cmd = STRBUF_INIT;
	struct json_object *r;
	char *json = xasprintf("%s/work/build.json", f->dir);

	if (!t_exists(f->repo))
		fail_msg("no Slurm repository at %s: run scripts/slurm-sources.sh", f->repo);
	assert_int_equal(install(f), 0);
	/*
	 * A real build in LXD with the installed recipe (--no-cache: the recipe
	 * must run; ccache keeps it short where an earlier build warmed it),
	 * then smoke of what it made, in the runtime container.
	 */
	strbuf_addf(&cmd, "\"$1/opt/sf/bin/slurm-factory\" build --slurm-version 24.11 "
		    "--repo '%s' --no-cache --output-dir \"$1/work/dist\" --json build.json && "
		    "\"$1/opt/sf/bin/slurm-factory\" smoke dist/slurm-24.11.5-software.tar.gz "
		    "dist/slurm-24.11.5-module.tar.gz --prefixes 1 --reprove --json smoke.json", f->repo);
	if (hidden_source(f, &out, cmd.buf))
		fail_msg("the installed binary failed:\n%s", out.buf);
	r = t_report_load(json);
	assert_non_null(r);
	assert_int_equal(t_report_checks(r, "recipe", "pass"), 1);
	json_object_put(r);
	free(json);
	json = xasprintf("%s/work/smoke.json", f->dir);
	r = t_report_load(json);
	assert_non_null(r);
	assert_int_equal(t_report_checks(r, "prefix 1: sbatch", "pass"), 1);
	assert_int_equal(t_report_checks(r, "", "fail"), 0);
	json_object_put(r);
	free(json);
	strbuf_release(&out);
	strbuf_release(&cmd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(install__puts_everything_the_program_reads_under_share),
		T(install__installed_binary_builds_and_smokes_from_elsewhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
