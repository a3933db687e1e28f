/*
 * smoke, end to end, on a real relocatable Slurm tree: the output of
 * `slurm-factory build` in the default cache when there is one, else
 * tests/slurm-fixture.sh's build of Slurm 24.11.5 from the real upstream
 * source (once per machine, cached under ~/.slurm-factory/test-fixtures).
 * Every case reuses the one tree.
 * Each case runs the real binary, which runs munged, slurmctld and slurmd
 * from the relocated tree on 127.0.0.1, and reads its JSON report.
 * Cases that need Lmod, munge, unshare or LXD fail here when those are
 * missing: they never skip.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "testlib.h"

#include "modulefile.h"

#define VERSION "24.11.5"

struct fx {
	char *dir;
	struct strbuf tarball;   /* the fixture, relocatable */
	struct strbuf modules;   /* module tarball from modulefile.c */
};

static struct fx *fixture;

static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, p = STRBUF_INIT;
	struct modulefile_spec s = { VERSION, "/opt/slurm/software", NULL };
	char *nl;

	(void)state;
	if (!f)
		return -1;
	strbuf_init(&f->tarball);
	strbuf_init(&f->modules);
	f->dir = t_mkdtemp("smoke");
	/*
	 * The tree: what `slurm-factory build` left in the default cache when
	 * it ran on this machine, else the fixture (built once per machine).
	 */
	if (t_sh_capture(&out, "b=\"$HOME/.slurm-factory/builds/" VERSION "/slurm-" VERSION
			 "-software.tar.gz\"; if [ -s \"$b\" ]; then echo \"$b\"; else "
			 "'%s/tests/slurm-fixture.sh' " VERSION "; fi", t_srcdir())) {
		fprintf(stderr, "cannot build the Slurm fixture:\n%s\n", out.buf);
		return -1;
	}
	while (out.len && out.buf[out.len - 1] == '\n')
		strbuf_setlen(&out, out.len - 1);
	nl = strrchr(out.buf, '\n');
	strbuf_addstr(&f->tarball, nl ? nl + 1 : out.buf);
	strbuf_addf(&p, "%s/mods", f->dir);
	if (modulefile_write_tree(&s, p.buf, &err)) {
		fprintf(stderr, "%s\n", err.buf);
		return -1;
	}
	strbuf_addf(&f->modules, "%s/slurm-" VERSION "-module.tar.gz", f->dir);
	if (t_sh("tar -C '%s' -czf '%s' slurm", p.buf, f->modules.buf))
		return -1;
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&p);
	fixture = f;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (!fixture)
		return 0;
	t_rmtree(fixture->dir);
	free(fixture->dir);
	strbuf_release(&fixture->tarball);
	strbuf_release(&fixture->modules);
	free(fixture);
	return 0;
}

/* Prints the report's failing checks, to make a failure readable. */
static void show_failures(const char *json)
{
	struct strbuf out = STRBUF_INIT;

	t_sh_capture(&out, "python3 -c 'import json,sys\n"
		     "r=json.load(open(sys.argv[1]))\n"
		     "for s in r[\"stages\"]:\n"
		     "  for c in s.get(\"checks\",[]):\n"
		     "    if c[\"outcome\"]!=\"pass\": print(c[\"name\"],c[\"outcome\"],c.get(\"message\"),c.get(\"details\",\"\")[-1500:])' '%s'",
		     json);
	fprintf(stderr, "%s", out.buf);
	strbuf_release(&out);
}

static const char *stage_prop(struct json_object *r, const char *name)
{
	return t_stage_prop(r, "smoke", name);
}

/* A copy of the fixture tarball changed by the shell command `edit` run in software/. */
static void edited_tarball(const char *edit, struct strbuf *out)
{
	strbuf_addf(out, "%s/edited.tar.gz", fixture->dir);
	assert_int_equal(t_sh("set -e; cd '%s'; rm -rf e; mkdir e; tar -xzf '%s' -C e; "
			      "cd e/software; %s; cd ..; tar -czf '%s' software; cd ..; rm -rf e",
			      fixture->dir, fixture->tarball.buf, edit, out->buf), 0);
}

/* Runs smoke on the fixture with `extra` options; it must pass. The report, loaded. */
static struct json_object *smoke_passes(const char *extra, const char *json)
{
	struct json_object *r;
	int rc;

	rc = t_run("smoke '%s' '%s' %s --json '%s'", fixture->tarball.buf,
		   fixture->modules.buf, extra, json);
	if (rc)
		show_failures(json);
	assert_int_equal(rc, 0);
	r = t_report_load(json);
	assert_non_null(r);
	return r;
}

static void smoke__runs_a_cluster_at_three_prefixes_on_the_host(void **state)
{
	struct strbuf json = STRBUF_INIT, junit = STRBUF_INIT, extra = STRBUF_INIT;
	struct json_object *r;
	int i;

	(void)state;
	strbuf_addf(&json, "%s/ok.json", fixture->dir);
	strbuf_addf(&junit, "%s/ok.xml", fixture->dir);
	strbuf_addf(&extra, "--backend host --prefixes 3 --junit '%s'", junit.buf);
	r = smoke_passes(extra.buf, json.buf);
	for (i = 0; i < 3; i++) {
		char key[32];
		snprintf(key, sizeof(key), "prefix.%d.seconds", i + 1);
		assert_non_null(stage_prop(r, key));
		fprintf(stderr, "smoke: prefix %d took %s s\n", i + 1, stage_prop(r, key));
	}
	assert_int_equal(t_report_checks(r, ": module", "pass"), 3);
	assert_int_equal(t_report_checks(r, ": srun", "pass"), 3);
	assert_int_equal(t_report_checks(r, ": sbatch", "pass"), 3);
	assert_int_equal(t_report_checks(r, ": squeue", "pass"), 3);
	assert_int_equal(t_report_checks(r, ": scontrol", "pass"), 3);
	assert_int_equal(t_report_checks(r, ": sockets", "pass"), 3);
	assert_int_equal(t_report_checks(r, ": stop", "pass"), 3);
	assert_int_equal(t_report_checks(r, "reference-form module is caught", "pass"), 1);
	assert_int_equal(t_report_checks(r, "nothing left running", "pass"), 1);
	json_object_put(r);
	/* the JUnit file has one testcase per step */
	assert_int_equal(t_sh("test $(grep -c '<testcase' '%s') -ge 27", junit.buf), 0);
	strbuf_release(&json);
	strbuf_release(&junit);
	strbuf_release(&extra);
}

/* The same tree under another top directory, and under none, is found by its bin/srun. */
static void smoke__finds_the_tree_under_any_top_directory(void **state)
{
	static const char *const tops[] = { "slurm-" VERSION, "." };
	struct strbuf json = STRBUF_INIT, tar = STRBUF_INIT;
	struct json_object *r;
	size_t i;

	(void)state;
	strbuf_addf(&json, "%s/top.json", fixture->dir);
	strbuf_addf(&tar, "%s/top.tar.gz", fixture->dir);
	for (i = 0; i < 2; i++) {
		assert_int_equal(t_sh("set -e; cd '%s'; rm -rf t; mkdir t; tar -xzf '%s' -C t; "
				      "cd t; if [ '%s' = . ]; then tar -czf '%s' -C software .; "
				      "else mv software '%s'; tar -czf '%s' '%s'; fi; cd ..; rm -rf t",
				      fixture->dir, fixture->tarball.buf, tops[i], tar.buf, tops[i],
				      tar.buf, tops[i]), 0);
		assert_int_equal(t_run("smoke '%s' '%s' --backend host --prefixes 1 --quiet "
				       "--json '%s'", tar.buf, fixture->modules.buf, json.buf), 0);
		r = t_report_load(json.buf);
		assert_non_null(r);
		assert_string_equal(stage_prop(r, "tree"), i ? "" : "/slurm-" VERSION);
		assert_int_equal(t_report_checks(r, ": sbatch", "pass"), 1);
		json_object_put(r);
	}
	strbuf_release(&json);
	strbuf_release(&tar);
}

static void expect_failure(const char *tarball, const char *modules, const char *step,
			   const char *words)
{
	struct strbuf json = STRBUF_INIT, out = STRBUF_INIT;
	struct json_object *r;
	int rc;

	strbuf_addf(&json, "%s/bad.json", fixture->dir);
	rc = t_run("smoke '%s' '%s' --backend host --prefixes 1 --json '%s' >/dev/null 2>&1",
		   tarball, modules, json.buf);
	assert_int_equal(rc, 1);
	r = t_report_load(json.buf);
	assert_non_null(r);
	if (t_report_checks(r, step, "fail") != 1)
		show_failures(json.buf);
	assert_int_equal(t_report_checks(r, step, "fail"), 1);
	assert_int_equal(t_report_checks(r, "nothing left running", "pass"), 1);
	json_object_put(r);
	/* the failing step's output is in the report */
	assert_int_equal(t_sh_capture(&out, "grep -c '%s' '%s'", words, json.buf), 0);
	strbuf_release(&json);
	strbuf_release(&out);
}

static void smoke__fails_when_a_library_is_removed(void **state)
{
	struct strbuf tar = STRBUF_INIT;

	(void)state;
	edited_tarball("rm lib/slurm/libslurmfull.so", &tar);
	expect_failure(tar.buf, fixture->modules.buf, "prefix 1: module", "libslurmfull.so");
	strbuf_release(&tar);
}

static void smoke__fails_on_a_plugin_with_an_absolute_rpath(void **state)
{
	struct strbuf tar = STRBUF_INIT;

	(void)state;
	/*
	 * The auth plugin needs a library shipped in the tree that it finds
	 * only through an absolute RPATH at the build prefix: fine where it
	 * was built, missing after relocation (no executable's $ORIGIN RPATH
	 * names that directory, so nothing else finds it either).
	 */
	edited_tarball("mkdir lib/slurm/private && "
		       "cp lib/libslurm.so.42.0.0 lib/slurm/private/libsfextra.so.1 && "
		       "patchelf --set-soname libsfextra.so.1 lib/slurm/private/libsfextra.so.1 && "
		       "patchelf --force-rpath --set-rpath /opt/slurm/software/lib/slurm/private "
		       "--add-needed libsfextra.so.1 lib/slurm/auth_munge.so", &tar);
	expect_failure(tar.buf, fixture->modules.buf, "prefix 1: module", "libsfextra.so.1");
	strbuf_release(&tar);
}

static void smoke__fails_on_a_module_with_a_wrong_path(void **state)
{
	struct strbuf mods = STRBUF_INIT;

	(void)state;
	strbuf_addf(&mods, "%s/wrong-module.tar.gz", fixture->dir);
	assert_int_equal(t_sh("set -e; cd '%s'; mkdir -p wrong/slurm; "
			      "printf 'prepend_path(\"PATH\", \"/opt/slurm/software/bin\")\\n' "
			      "> wrong/slurm/" VERSION ".lua; tar -C wrong -czf '%s' slurm",
			      fixture->dir, mods.buf), 0);
	expect_failure(fixture->tarball.buf, mods.buf, "prefix 1: module", "srun: not found");
	strbuf_release(&mods);
}

static void smoke__reference_form_module_does_not_find_srun(void **state)
{
	struct strbuf mods = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT, p = STRBUF_INIT;
	struct modulefile_spec s = { VERSION, "/opt/slurm/software", NULL };

	(void)state;
	assert_int_equal(modulefile_reference_lua(&s, &text, &err), 0);
	strbuf_addf(&p, "%s/ref/slurm", fixture->dir);
	assert_int_equal(t_mkdirs(p.buf), 0);
	strbuf_addstr(&p, "/" VERSION ".lua");
	assert_int_equal(t_writestr(p.buf, text.buf), 0);
	strbuf_addf(&mods, "%s/ref-module.tar.gz", fixture->dir);
	assert_int_equal(t_sh("tar -C '%s/ref' -czf '%s' slurm", fixture->dir, mods.buf), 0);
	expect_failure(fixture->tarball.buf, mods.buf, "prefix 1: module", "srun: not found");
	strbuf_release(&mods);
	strbuf_release(&text);
	strbuf_release(&err);
	strbuf_release(&p);
}

static void smoke__runs_in_a_fresh_runtime_container(void **state)
{
	struct strbuf json = STRBUF_INIT, alias = STRBUF_INIT, out = STRBUF_INIT,
		      extra = STRBUF_INIT;
	struct json_object *r;

	(void)state;
	assert_int_equal(t_runtime_image(&alias), 0);
	strbuf_addf(&json, "%s/lxd.json", fixture->dir);
	/* a cache of its own: the first run cannot find an earlier proof */
	strbuf_addf(&extra, "--runtime-image '%s' --prefixes 1 --cache-dir '%s/proofcache'",
		    alias.buf, fixture->dir);
	r = smoke_passes(extra.buf, json.buf);
	assert_string_equal(stage_prop(r, "backend"), "lxd");
	fprintf(stderr, "smoke (lxd): prefix 1 took %s s\n", stage_prop(r, "prefix.1.seconds"));
	assert_int_equal(t_report_checks(r, ": sbatch", "pass"), 1);
	assert_int_equal(t_report_checks(r, ": sockets", "pass"), 1);
	assert_int_equal(t_report_checks(r, "cleanup", "pass"), 1);
	assert_non_null(stage_prop(r, "proof"));
	json_object_put(r);
	/* no container of this run is left */
	assert_int_equal(t_sh_capture(&out, "lxc list --format csv -c n | grep -c '^sf-smoke-' || true"), 0);
	assert_string_equal(out.buf, "0\n");

	/* the same bytes again: the proof is reported, no container launched */
	r = smoke_passes(extra.buf, json.buf);
	assert_string_equal(stage_prop(r, "cached"), "true");
	assert_int_equal(t_report_checks(r, "cached proof", "pass"), 1);
	assert_int_equal(t_report_checks(r, "environment", NULL), 0);
	assert_null(stage_prop(r, "prefix.1.seconds"));
	json_object_put(r);
	/* --reprove: the cluster runs again */
	strbuf_addstr(&extra, " --reprove");
	r = smoke_passes(extra.buf, json.buf);
	assert_null(stage_prop(r, "cached"));
	assert_int_equal(t_report_checks(r, ": sbatch", "pass"), 1);
	json_object_put(r);
	strbuf_release(&json);
	strbuf_release(&alias);
	strbuf_release(&out);
	strbuf_release(&extra);
}

/* 1 when a process runs a program from under `dir`. */
static int something_runs_under(const char *dir)
{
	return t_sh("for p in /proc/[0-9]*; do case \"$(readlink $p/exe 2>/dev/null)\" in "
		    "'%s'/*) exit 0;; esac; done; exit 1", dir) == 0;
}

static void smoke__sigterm_stops_the_cluster_and_marks_the_report(void **state)
{
	struct strbuf json = STRBUF_INIT, work = STRBUF_INIT, log = STRBUF_INIT;
	struct json_object *r, *v;
	pid_t pid;
	int status, i, up = 0;

	(void)state;
	strbuf_addf(&json, "%s/int.json", fixture->dir);
	strbuf_addf(&work, "%s/intwork", fixture->dir);
	strbuf_addf(&log, "%s/int.log", fixture->dir);
	assert_int_equal(t_mkdirs(work.buf), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(t_bin(), t_bin(), "smoke", fixture->tarball.buf, fixture->modules.buf,
		      "--backend", "host", "--prefixes", "2", "--work-dir", work.buf,
		      "--json", json.buf, (char *)NULL);
		_exit(127);
	}
	/* wait (bounded) until slurmd from the tree runs, then interrupt */
	for (i = 0; i < 600 && !up; i++) {
		struct timespec ts = { 0, 100000000 };
		up = t_sh("for p in /proc/[0-9]*; do case \"$(readlink $p/exe 2>/dev/null)\" in "
			  "'%s'/*/sbin/slurmd) exit 0;; esac; done; exit 1", work.buf) == 0;
		if (!up)
			nanosleep(&ts, NULL);
	}
	assert_true(up);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	assert_false(something_runs_under(work.buf));
	r = t_report_load(json.buf);
	assert_non_null(r);
	assert_true(json_object_object_get_ex(r, "interrupted", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(r);
	/* the work directory is gone too */
	assert_int_equal(t_sh("test -z \"$(ls -A '%s')\"", work.buf), 0);
	strbuf_release(&json);
	strbuf_release(&work);
	strbuf_release(&log);
}

static void smoke__usage_errors_exit_129(void **state)
{
	(void)state;
	assert_int_equal(t_run("smoke >/dev/null 2>&1"), 129);
	assert_int_equal(t_run("smoke a b c >/dev/null 2>&1"), 129);
	assert_int_equal(t_run("smoke x.tar.gz --backend vm >/dev/null 2>&1"), 129);
	/* lxd needs no alias: the runtime image's is computed; the tarball is missing */
	assert_int_equal(t_run("smoke x.tar.gz --backend lxd >/dev/null 2>&1"), 2);
	assert_int_equal(t_run("smoke x.tar.gz --prefixes 0 >/dev/null 2>&1"), 129);
}

static void smoke__missing_tarball_is_an_environment_error(void **state)
{
	(void)state;
	assert_int_equal(t_run("smoke /nonexistent/slurm-1.2.3-software.tar.gz --backend host "
			       ">/dev/null 2>&1"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(smoke__usage_errors_exit_129),
		cmocka_unit_test(smoke__missing_tarball_is_an_environment_error),
		cmocka_unit_test(smoke__runs_a_cluster_at_three_prefixes_on_the_host),
		cmocka_unit_test(smoke__finds_the_tree_under_any_top_directory),
		cmocka_unit_test(smoke__fails_when_a_library_is_removed),
		cmocka_unit_test(smoke__fails_on_a_plugin_with_an_absolute_rpath),
		cmocka_unit_test(smoke__fails_on_a_module_with_a_wrong_path),
		cmocka_unit_test(smoke__reference_form_module_does_not_find_srun),
		cmocka_unit_test(smoke__sigterm_stops_the_cluster_and_marks_the_report),
		cmocka_unit_test(smoke__runs_in_a_fresh_runtime_container),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
