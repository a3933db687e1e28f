/*
 * run, end to end through the binary: the pipeline walked from the stage
 * table, gated. Fixtures made here: a git repository tagged like Slurm's,
 * a tree the verify gate passes (a copy of /bin/true) and one it fails (an
 * ELF with an absolute RUNPATH outside the tree). CI output checked with the
 * GitHub environment files pointed at temporary files and GitLab variables.
 */
#include "testlib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"
#include "sigtest.h"

struct fx {
	char *dir;
	char *repo;        /* git repository with tag slurm-24-11-5-1 */
	char *good;        /* a tree verify passes */
	char *bad;         /* a tree verify fails */
	char *dest;        /* publish target (must stay absent) */
	char *json;
	struct strbuf out, err;
	struct json_object *report;
	int rc;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("run");
	assert_non_null(f->dir);
	f->repo = xasprintf("%s/repo", f->dir);
	f->good = xasprintf("%s/good", f->dir);
	f->bad = xasprintf("%s/bad", f->dir);
	f->dest = xasprintf("%s/published", f->dir);
	f->json = xasprintf("%s/report.json", f->dir);
	strbuf_init(&f->out);
	strbuf_init(&f->err);
	assert_int_equal(t_sh("set -e; git init -q '%s'; cd '%s'; echo 'slurm' > README; "
			      "git add README; git -c user.name=t -c user.email=t@t commit -q -m s; "
			      "git tag slurm-24-11-5-1; git tag slurm-22-05-8-1",
			      f->repo, f->repo), 0);
	assert_int_equal(t_sh("set -e; mkdir -p '%s/bin' '%s/bin'; cp /bin/true '%s/bin/'; "
			      "printf 'int main(void){return 0;}\\n' > '%s/m.c'; "
			      "cc -o '%s/bin/app' '%s/m.c' -Wl,--enable-new-dtags,-rpath,/opt/elsewhere/lib",
			      f->good, f->bad, f->good, f->dir, f->bad, f->dir), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->report)
		json_object_put(f->report);
	t_rmtree(f->dir);
	free(f->dir);
	free(f->repo);
	free(f->good);
	free(f->bad);
	free(f->dest);
	free(f->json);
	strbuf_release(&f->out);
	strbuf_release(&f->err);
	free(f);
	return 0;
}

/* "--skip smoke" while a smoke stage exists: the gating tests stop at verify. */
static const char *skip_smoke(void)
{
	return stage_find("smoke") ? "--skip smoke" : "";
}

/* env ENV slurm-factory run ARGS, stdout/stderr kept, JSON report loaded. */
static int run(struct fx *f, const char *env, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int run(struct fx *f, const char *env, const char *fmt, ...)
{
	struct strbuf args = STRBUF_INIT;
	char *o = xasprintf("%s/stdout", f->dir), *e = xasprintf("%s/stderr", f->dir);
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&args, fmt, ap);
	va_end(ap);
	f->rc = t_sh("env -u GITHUB_ACTIONS -u GITLAB_CI %s '%s' run %s --json '%s' "
		     ">'%s' 2>'%s'", env ? env : "", t_bin(), args.buf, f->json, o, e);
	strbuf_reset(&f->out);
	strbuf_reset(&f->err);
	t_read(o, &f->out);
	t_read(e, &f->err);
	if (f->report)
		json_object_put(f->report);
	f->report = t_report_load(f->json);
	free(o);
	free(e);
	strbuf_release(&args);
	return f->rc;
}

/* The JSON stage `name`'s field `key` (a string), or NULL. */
static const char *stage_field(struct fx *f, const char *name, const char *key)
{
	struct json_object *arr, *s, *n, *v;
	size_t i;

	assert_non_null(f->report);
	assert_true(json_object_object_get_ex(f->report, "stages", &arr));
	for (i = 0; i < json_object_array_length(arr); i++) {
		s = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(s, "name", &n) &&
		    !strcmp(json_object_get_string(n), name) &&
		    json_object_object_get_ex(s, key, &v))
			return json_object_get_string(v);
	}
	return NULL;
}

#define GATED(tree) "24.11 --repo '%s' --cache-dir '%s/cache' --skip fetch --skip build " \
		    "--skip package --tree '%s' --to '%s'"

static void run__dry_run_prints_the_plan_and_touches_nothing(void **state)
{
	struct fx *f = *state;
	const struct stage *s;
	char *cache = xasprintf("%s/cache", f->dir);

	assert_int_equal(run(f, NULL, "24.11 --dry-run --repo http://127.0.0.1:1/nothing "
			     "--cache-dir '%s/cache' --to 'https://user:pa55word@127.0.0.1:1/x' "
			     "--to '%s'", f->dir, f->dest), 0);
	for (s = stages; s->name; s++)
		if ((s->flags & STAGE_PIPELINE))
			assert_non_null(strstr(f->out.buf, s->name));
	assert_non_null(strstr(f->out.buf, "version spec: 24.11"));
	assert_non_null(strstr(f->out.buf, "backend: lxd"));
	assert_non_null(strstr(f->out.buf, "prefixes: 3"));
	assert_non_null(strstr(f->out.buf, "publish target: https://***@127.0.0.1:1/x"));
	assert_null(strstr(f->out.buf, "pa55word"));
	assert_false(t_exists(cache));
	assert_false(t_exists(f->dest));
	free(cache);
}

static void run__positional_spec_is_the_version_every_stage_sees(void **state)
{
	struct fx *f = *state;

	/* build reads --slurm-version: the positional SPEC must reach it too */
	assert_int_equal(run(f, NULL, "22.05 --repo '%s' --cache-dir '%s/cache' --until resolve",
			     f->repo, f->dir), 0);
	assert_string_equal(stage_field(f, "resolve", "outcome"), "pass");
	assert_non_null(strstr(f->out.buf, "slurm-22-05-8-1"));
	assert_int_equal(run(f, NULL, "--dry-run"), 0);
	assert_non_null(strstr(f->out.buf, "version spec: latest"));
	assert_int_equal(run(f, "SLURM_FACTORY_SLURM_VERSION=24.11", "--dry-run"), 0);
	assert_non_null(strstr(f->out.buf, "version spec: 24.11"));
	assert_int_equal(run(f, NULL, "22.05 --slurm-version 24.11 --dry-run"), 129);
}

static void run__failing_verify_stops_the_pipeline_and_publishes_nothing(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, NULL, GATED() " %s", f->repo, f->dir, f->bad, f->dest,
			     skip_smoke()), 1);
	assert_non_null(strstr(f->err.buf, "stopped by the gate 'verify'"));
	assert_string_equal(stage_field(f, "resolve", "outcome"), "pass");
	assert_string_equal(stage_field(f, "verify", "outcome"), "fail");
	assert_string_equal(stage_field(f, "publish", "outcome"), "skipped");
	assert_non_null(strstr(stage_field(f, "publish", "skip_reason"), "verify"));
	assert_false(t_exists(f->dest));
	/* one progress line per stage start and end, with its duration */
	assert_non_null(strstr(f->err.buf, "run: [1/"));
	assert_non_null(strstr(f->err.buf, "] resolve started"));
	assert_non_null(strstr(f->err.buf, "run: verify fail in "));
}

static void run__a_skipped_gate_keeps_publish_from_running(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, NULL, GATED() " --skip verify %s", f->repo, f->dir, f->good,
			     f->dest, skip_smoke()), 0);
	assert_string_equal(stage_field(f, "publish", "outcome"), "skipped");
	assert_non_null(strstr(stage_field(f, "publish", "skip_reason"),
			       "the gate 'verify' did not run"));
	assert_false(t_exists(f->dest));
}

static void run__until_stops_after_the_named_stage(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, NULL, GATED() " --until resolve", f->repo, f->dir, f->good,
			     f->dest), 0);
	assert_string_equal(stage_field(f, "resolve", "outcome"), "pass");
	assert_string_equal(stage_field(f, "verify", "skip_reason"), "after --until resolve");
	assert_string_equal(stage_field(f, "publish", "outcome"), "skipped");
	assert_false(t_exists(f->dest));
}

static void run__unknown_stage_is_a_usage_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, NULL, "--skip image"), 129);
	assert_non_null(strstr(f->err.buf, "--skip image: not a pipeline stage"));
	assert_int_equal(run(f, NULL, "--until nosuch --dry-run"), 129);
}

static void run__github_actions_groups_annotations_summary_outputs(void **state)
{
	struct fx *f = *state;
	struct strbuf sum = STRBUF_INIT, out = STRBUF_INIT, env = STRBUF_INIT;
	char *files = xasprintf("GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY='%s/summary.md' "
				"GITHUB_OUTPUT='%s/output' GITHUB_ENV='%s/env'",
				f->dir, f->dir, f->dir);
	char *summary = xasprintf("%s/summary.md", f->dir);
	char *output = xasprintf("%s/output", f->dir), *envfile = xasprintf("%s/env", f->dir);

	/* an earlier step's summary stays */
	assert_int_equal(t_writestr(summary, "# earlier step\n"), 0);
	assert_int_equal(run(f, files, GATED() " %s", f->repo, f->dir, f->bad, f->dest,
			     skip_smoke()), 1);
	assert_non_null(strstr(f->out.buf, "::group::resolve\n"));
	assert_non_null(strstr(f->out.buf, "::endgroup::\n"));
	assert_non_null(strstr(f->out.buf, "::error file=bin/app,title=verify%3A rpath-"));
	assert_int_equal(t_read(summary, &sum), 0);
	assert_int_equal(strncmp(sum.buf, "# earlier step\n", 15), 0);
	assert_non_null(strstr(sum.buf, "## slurm-factory run: FAILED (exit 1)"));
	assert_non_null(strstr(sum.buf, "Stopped by the gate **verify**"));
	assert_non_null(strstr(sum.buf, "| publish | skipped |"));
	assert_int_equal(t_read(output, &out), 0);
	assert_non_null(strstr(out.buf, "exit-code=1\n"));
	assert_non_null(strstr(out.buf, "tag=slurm-24-11-5-1\n"));
	assert_non_null(strstr(out.buf, "version=24.11.5\n"));
	assert_non_null(strstr(out.buf, "stopped-by=verify\n"));
	assert_non_null(strstr(out.buf, "report-json="));
	assert_int_equal(t_read(envfile, &env), 0);
	assert_non_null(strstr(env.buf, "SLURM_FACTORY_RESULT_TAG=slurm-24-11-5-1\n"));
	assert_non_null(strstr(env.buf, "SLURM_FACTORY_RESULT_EXIT_CODE=1\n"));
	strbuf_release(&sum);
	strbuf_release(&out);
	strbuf_release(&env);
	free(files);
	free(summary);
	free(output);
	free(envfile);
}

static void run__gitlab_sections_and_dotenv(void **state)
{
	struct fx *f = *state;
	struct strbuf dotenv = STRBUF_INIT;
	char *path = xasprintf("%s/build.env", f->dir);

	assert_int_equal(run(f, "GITLAB_CI=true", GATED() " %s --dotenv '%s'", f->repo,
			     f->dir, f->bad, f->dest, skip_smoke(), path), 1);
	assert_non_null(strstr(f->out.buf, "\033[0Ksection_start:"));
	assert_non_null(strstr(f->out.buf, ":slurm_factory_verify[collapsed=true]\r\033[0Kverify\n"));
	assert_non_null(strstr(f->out.buf, ":slurm_factory_verify\r\033[0K\n"));
	assert_int_equal(t_read(path, &dotenv), 0);
	assert_non_null(strstr(dotenv.buf, "SLURM_FACTORY_RESULT_EXIT_CODE=1\n"));
	assert_non_null(strstr(dotenv.buf, "SLURM_FACTORY_RESULT_VERSION=24.11.5\n"));
	assert_non_null(strstr(dotenv.buf, "SLURM_FACTORY_RESULT_STOPPED_BY=verify\n"));
	assert_null(strstr(f->out.buf, "::group::"));
	strbuf_release(&dotenv);
	free(path);
}

/*
 * The Python tool's users type global options before the command, and
 * `build --verify`: both work, on the host backend with a tiny recipe.
 */
static void build__global_options_first_and_verify_flag(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, quiet = STRBUF_INIT;
	char *d = xasprintf("%s/b", f->dir), *args;
	struct json_object *r;
	int rc;

	st_pipeline_make(d);
	args = xasprintf("build --slurm-version 24.11 --verify --repo '%s/repo' --backend host "
			 "--recipe '%s/recipes/build-slurm.sh' --cache-dir '%s/cache' --no-cache "
			 "--json '%s/b.json'", d, d, d, d);
	rc = t_sh_capture(&out, "'%s' --verbose %s 2>&1", t_bin(), args);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);
	{
		char *path = xasprintf("%s/b.json", d);
		r = t_report_load(path);
		free(path);
	}
	assert_non_null(r);
	/* build verified what it built, at the random prefixes */
	assert_true(t_report_checks(r, "rpath [prefix", "pass") >= 1);
	assert_true(t_report_checks(r, "needed [prefix", "pass") >= 1);
	json_object_put(r);
	/* --verbose said more than --quiet, in the same place on the line */
	assert_int_equal(t_sh_capture(&quiet, "'%s' --quiet %s 2>&1", t_bin(), args), 0);
	assert_true(out.len > quiet.len);
	/* and a contradiction is a usage error, wherever the options are */
	assert_int_equal(t_sh("'%s' --verbose %s --no-verify >/dev/null 2>&1", t_bin(), args), 129);
	free(args);
	free(d);
	strbuf_release(&out);
	strbuf_release(&quiet);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(run__dry_run_prints_the_plan_and_touches_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(run__positional_spec_is_the_version_every_stage_sees, setup, teardown),
		cmocka_unit_test_setup_teardown(run__failing_verify_stops_the_pipeline_and_publishes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(run__a_skipped_gate_keeps_publish_from_running, setup, teardown),
		cmocka_unit_test_setup_teardown(run__until_stops_after_the_named_stage, setup, teardown),
		cmocka_unit_test_setup_teardown(run__unknown_stage_is_a_usage_error, setup, teardown),
		cmocka_unit_test_setup_teardown(run__github_actions_groups_annotations_summary_outputs, setup, teardown),
		cmocka_unit_test_setup_teardown(run__gitlab_sections_and_dotenv, setup, teardown),
		cmocka_unit_test_setup_teardown(build__global_options_first_and_verify_flag, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
