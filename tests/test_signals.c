/*
 * Signals, end to end through the binary: SIGINT/SIGTERM during verify of
 * a large tarball, during resolve and fetch against a server that accepts
 * and never answers, and during an LXD exec. Each time: the documented exit
 * code (2, or 1 when a check had already failed), the report written and
 * marked interrupted, scratch directories gone, no process left behind
 * (this test is the subreaper of everything the binary starts). A second
 * signal ends the process at once; a closed stdout pipe is no crash.
 */
#include "testlib.h"
#include "clock.h"
#include "sigtest.h"

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <sys/stat.h>

#define BUSYBOX_ALIAS "sf-test-busybox-1"

struct fx {
	char *dir, *work, *tarball, *json, *junit, *out;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("signals");
	assert_non_null(f->dir);
	f->work = xasprintf("%s/work", f->dir);
	f->tarball = xasprintf("%s/big.tar", f->dir);
	f->json = xasprintf("%s/report.json", f->dir);
	f->junit = xasprintf("%s/report.xml", f->dir);
	f->out = xasprintf("%s/out.txt", f->dir);
	assert_int_equal(t_mkdirs(f->work), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	t_rmtree(f->dir);
	free(f->dir);
	free(f->work);
	free(f->tarball);
	free(f->json);
	free(f->junit);
	free(f->out);
	free(f);
	return 0;
}

/*
 * A tarball of `nfiles` small files in 100 directories (extraction costs
 * one create per file: seconds for 20000). With `hostile`, the first entry
 * climbs out with "..", which is a failed check before the signal comes.
 */
static void make_tarball(const char *path, size_t nfiles, int hostile)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char name[128], data[512];
	size_t i;

	memset(data, 'x', sizeof(data));
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	if (hostile) {
		archive_entry_set_pathname(e, "software/../../escape");
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 4);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, "evil", 4), 4);
	}
	for (i = 0; i < nfiles; i++) {
		archive_entry_clear(e);
		snprintf(name, sizeof(name), "software/d%03zu/f%06zu.txt", i % 100, i);
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, sizeof(data));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data, sizeof(data)), (la_ssize_t)sizeof(data));
	}
	archive_entry_free(e);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static struct json_object *load_interrupted(const char *json, int *interrupted)
{
	struct json_object *r = t_report_load(json), *v;

	if (!r)
		fail_msg("no JSON report at %s after the signal", json);
	*interrupted = json_object_object_get_ex(r, "interrupted", &v) &&
		       json_object_get_boolean(v);
	return r;
}

/* Exited with `code`, and the JSON report says interrupted. */
static void assert_interrupted_exit(int status, int code, const char *json)
{
	struct json_object *r;
	int interrupted;

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
	r = load_interrupted(json, &interrupted);
	assert_true(interrupted);
	json_object_put(r);
}

/* Starts verify, waits until it is extracting, sends `sig`; returns the status. */
static int verify_and_signal(struct fx *f, int sig, int twice, double *latency)
{
	char *argv[] = { "sf", "verify", f->tarball, "--work-dir", f->work, "--json", f->json,
			 "--junit", f->junit, "--quiet", NULL };
	pid_t pid = st_spawn(argv, f->out);
	double t;
	int status;

	if (!st_wait_entry(f->work, "sf-verify-", 30)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("verify never created its scratch directory");
	}
	usleep(50 * 1000);   /* inside extraction */
	t = monotonic_now();
	assert_int_equal(kill(pid, sig), 0);
	if (twice) {
		usleep(20 * 1000);
		kill(pid, sig);
	}
	status = st_wait(pid, 120);
	*latency = monotonic_now() - t;
	return status;
}

static void verify__sigint_mid_extraction_exits_2_report_interrupted_no_scratch(void **state)
{
	struct fx *f = *state;
	struct strbuf xml = STRBUF_INIT;
	double lat;
	int status;

	make_tarball(f->tarball, 20000, 0);
	status = verify_and_signal(f, SIGINT, 0, &lat);
	fprintf(stderr, "MEASURE verify SIGINT to exit: %.2f s\n", lat);
	assert_interrupted_exit(status, 2, f->json);
	assert_int_equal(t_read(f->junit, &xml), 0);
	assert_non_null(strstr(xml.buf, "interrupted"));
	assert_int_equal(st_count_entries(f->work, ""), 0);   /* scratch removed */
	st_assert_no_leftover_children();
	strbuf_release(&xml);
}

static void verify__sigterm_after_a_failed_check_exits_1(void **state)
{
	struct fx *f = *state;
	struct json_object *r;
	double lat;
	int status;

	make_tarball(f->tarball, 20000, 1);
	status = verify_and_signal(f, SIGTERM, 0, &lat);
	assert_interrupted_exit(status, 1, f->json);
	r = t_report_load(f->json);
	assert_int_equal(t_report_count(r, "extract-path-traversal", NULL), 1);
	json_object_put(r);
	assert_int_equal(st_count_entries(f->work, ""), 0);
	st_assert_no_leftover_children();
}

static void verify__second_signal_ends_the_process_at_once(void **state)
{
	struct fx *f = *state;
	double lat;
	int status;

	make_tarball(f->tarball, 20000, 0);
	status = verify_and_signal(f, SIGINT, 1, &lat);
	fprintf(stderr, "MEASURE verify second SIGINT to exit: %.2f s\n", lat);
	/* either killed by the second SIGINT, or it had already finished cleanly */
	if (WIFSIGNALED(status))
		assert_int_equal(WTERMSIG(status), SIGINT);
	else
		assert_int_equal(WEXITSTATUS(status), 2);
	assert_true(lat < 5);
	st_assert_no_leftover_children();
	/* what a forced exit leaves is only the scratch directory: clean it */
	t_rmtree(f->work);
}

/* resolve / fetch against a server that accepts and never answers */
static void net_and_signal(struct fx *f, const char *cmd, int sig)
{
	struct st_hang h;
	char url[128], cache[512];
	double t, lat;
	int status, i;
	pid_t pid;

	st_hang_start(&h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slurm.git", h.port);
	snprintf(cache, sizeof(cache), "%s/cache", f->dir);
	{
		char *argv[] = { "sf", (char *)cmd, "latest", "--repo", url, "--timeout", "100",
				 "--cache-dir", cache, "--json", f->json, "--junit", f->junit,
				 "--quiet", NULL };
		pid = st_spawn(argv, f->out);
	}
	for (i = 0; i < 200 && !h.nr; i++)   /* until it has connected */
		usleep(25 * 1000);
	assert_true(h.nr > 0);
	usleep(200 * 1000);
	t = monotonic_now();
	assert_int_equal(kill(pid, sig), 0);
	status = st_wait(pid, 30);
	lat = monotonic_now() - t;
	fprintf(stderr, "MEASURE %s %s against a hanging server to exit: %.2f s\n", cmd,
		sig == SIGINT ? "SIGINT" : "SIGTERM", lat);
	st_hang_stop(&h);
	assert_true(lat < 10);
	assert_interrupted_exit(status, 2, f->json);
	assert_true(t_exists(f->junit));
	/* nothing half-written in the cache */
	snprintf(cache, sizeof(cache), "%s/cache/sources", f->dir);
	assert_int_equal(st_count_entries(cache, ""), 0);
	st_assert_no_leftover_children();
}

static void resolve__sigint_against_a_hanging_server_exits_2(void **state)
{
	net_and_signal(*state, "resolve", SIGINT);
}

static void fetch__sigterm_against_a_hanging_server_exits_2(void **state)
{
	net_and_signal(*state, "fetch", SIGTERM);
}

/* Appends the names of the sf-check-* containers `lxc list` shows to `out`. */
static void lxc_check_containers(struct strbuf *out)
{
	struct strbuf o = STRBUF_INIT;

	if (t_sh_capture(&o, "lxc list --format csv -c n 2>&1") != 0)
		fail_msg("lxc list failed: %s", o.buf);
	strbuf_reset(out);
	if (strstr(o.buf, "sf-check-"))
		strbuf_add(out, o.buf, o.len);
	strbuf_release(&o);
}

/*
 * The sf-check-* container that is in `now` and not in `before` (other
 * developers' tests may run their own at the same time), or NULL.
 */
static char *new_container(const char *before, const char *now)
{
	const char *p = now;

	while ((p = strstr(p, "sf-check-"))) {
		size_t n = strcspn(p, "\n,");
		char *name = xstrndup(p, n);
		if (!strstr(before, name))
			return name;
		free(name);
		p += n;
	}
	return NULL;
}

static void image_check__sigint_during_lxd_exec_exits_2_no_container(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "sf", "image", "check", BUSYBOX_ALIAS, "--command", "sleep 120",
			 "--json", f->json, "--quiet", NULL };
	struct strbuf before = STRBUF_INIT, now = STRBUF_INIT;
	char *mine = NULL;
	int status, i;
	double t, lat;
	pid_t pid;

	st_ensure_image(BUSYBOX_ALIAS);
	lxc_check_containers(&before);
	pid = st_spawn(argv, f->out);
	for (i = 0; i < 100 && !mine; i++) {
		usleep(100 * 1000);
		lxc_check_containers(&now);
		mine = new_container(before.buf, now.buf);
	}
	assert_non_null(mine);
	usleep(800 * 1000);   /* inside the exec of sleep 120 */
	t = monotonic_now();
	assert_int_equal(kill(pid, SIGINT), 0);
	status = st_wait(pid, 60);
	lat = monotonic_now() - t;
	fprintf(stderr, "MEASURE image check SIGINT mid-exec to exit: %.2f s\n", lat);
	assert_interrupted_exit(status, 2, f->json);
	for (i = 0; i < 20; i++) {   /* LXD's listing may lag its delete */
		lxc_check_containers(&now);
		if (!strstr(now.buf, mine))
			break;
		usleep(100 * 1000);
	}
	if (strstr(now.buf, mine))
		fail_msg("container %s left behind", mine);
	free(mine);
	strbuf_release(&before);
	strbuf_release(&now);
	st_assert_no_leftover_children();
}

/* --- SIGINT and SIGTERM walked through every stage of `run` ------------ */

static const char *const pipeline[] = { "resolve", "fetch", "build", "package", "verify",
					"smoke", "publish" };
#define NR_PIPELINE (sizeof(pipeline) / sizeof(pipeline[0]))

static struct json_object *stage_obj(struct json_object *r, const char *name)
{
	struct json_object *arr, *s, *v;
	size_t i;

	if (!json_object_object_get_ex(r, "stages", &arr))
		return NULL;
	for (i = 0; i < json_object_array_length(arr); i++) {
		s = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(s, "name", &v) &&
		    !strcmp(json_object_get_string(v), name))
			return s;
	}
	return NULL;
}

static const char *field(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* The container (sf-build-*) whose pid label is `pid`, through `lxc`; "" when none. */
static void container_of(pid_t pid, struct strbuf *name)
{
	strbuf_reset(name);
	assert_int_equal(t_sh_capture(name, "for c in $(lxc list --format csv -c n | "
				      "grep '^sf-build-'); do [ \"$(lxc config get $c "
				      "user.slurm-factory.pid)\" = %d ] && printf %%s $c; done; true",
				      (int)pid), 0);
}

/*
 * One `run` of the fake pipeline (fixture in sigtest.h) that gets `sig`
 * while pipeline[k] runs; `alias` set: the build runs in LXD. Checks the
 * exit code, the report (that stage interrupted, the ones before passed,
 * the ones after not run), nothing published, no scratch, nothing partial
 * cached, no process and no container left. Returns the signal-to-exit time.
 */
static double run_signalled_at(struct fx *f, size_t k, int sig, const char *alias)
{
	const char *stage = pipeline[k];
	char *dir = xasprintf("%s/%s-%d%s", f->dir, stage, sig, alias ? "-lxd" : "");
	char *cache = xasprintf("%s/cache", dir), *tmp = xasprintf("%s/tmp", dir);
	char *pub = xasprintf("%s/pub", dir), *json = xasprintf("%s/run.json", dir);
	char *junit = xasprintf("%s/run.xml", dir), *out = xasprintf("%s/out.txt", dir);
	char *marks = xasprintf("%s/marks", f->dir), *repo = xasprintf("%s/repo", f->dir);
	char *recipe = xasprintf("%s/%s/build-slurm.sh", f->dir, alias ? "lxd-recipes" : "recipes");
	char *script = xasprintf("%s/smoke.sh", f->dir), *src = xasprintf("%s/src.tar", f->dir);
	char *argv[48], *url = NULL, *pattern = NULL, *mark = NULL;
	struct strbuf xml = STRBUF_INIT, name = STRBUF_INIT;
	struct json_object *r;
	struct st_hang h;
	size_t n = 0, i;
	int status, hang = !strcmp(stage, "resolve") || !strcmp(stage, "publish"), ready;
	double t, lat;
	pid_t pid;

	assert_int_equal(t_mkdirs(tmp), 0);
	assert_int_equal(t_sh("rm -f '%s'/*", marks), 0);
	if (hang) {
		st_hang_start(&h);
		url = xasprintf("http://127.0.0.1:%d/%s", h.port,
				k == 0 ? "slurm.git" : "upload");
	}
	argv[n++] = "sf";
	argv[n++] = "run";
	argv[n++] = "24.11";
	argv[n++] = "--repo";
	argv[n++] = k == 0 ? url : repo;
	argv[n++] = "--timeout";
	argv[n++] = "100";
	if (!strcmp(stage, "fetch")) {
		argv[n++] = "--source";     /* thousands of files to unpack */
		argv[n++] = src;
	}
	argv[n++] = "--backend";
	argv[n++] = alias ? "lxd" : "host";
	if (alias) {
		argv[n++] = "--image";
		argv[n++] = (char *)alias;
	}
	argv[n++] = "--recipe";
	argv[n++] = recipe;
	argv[n++] = "--script";
	argv[n++] = script;
	argv[n++] = "--prefixes";
	argv[n++] = "1";
	argv[n++] = "--cache-dir";
	argv[n++] = cache;
	if (!strcmp(stage, "publish")) {
		argv[n++] = "--to";         /* accepts and never answers */
		argv[n++] = url;
		argv[n++] = "--upload-timeout";
		argv[n++] = "100";
	}
	argv[n++] = "--to";
	argv[n++] = pub;
	argv[n++] = "--json";
	argv[n++] = json;
	argv[n++] = "--junit";
	argv[n++] = junit;
	argv[n] = NULL;

	/* what makes the stage take long enough to be hit */
	setenv("TMPDIR", tmp, 1);
	setenv("SF_TEST_MARKS", marks, 1);
	if (!strcmp(stage, "build") || !strcmp(stage, "smoke"))
		setenv("SF_TEST_HOLD", stage, 1);
	if (!strcmp(stage, "package"))
		setenv("SF_TEST_BLOB_MB", "64", 1);
	if (!strcmp(stage, "verify"))
		setenv("SF_TEST_FILES", "200", 1);
	pid = st_spawn(argv, out);
	unsetenv("TMPDIR");
	unsetenv("SF_TEST_MARKS");
	unsetenv("SF_TEST_HOLD");
	unsetenv("SF_TEST_BLOB_MB");
	unsetenv("SF_TEST_FILES");

	/* until the stage is under way */
	if (hang) {
		for (i = 0; i < 2400 && !h.nr; i++)
			usleep(25 * 1000);
		ready = h.nr > 0;
	} else if (!strcmp(stage, "fetch")) {
		ready = st_wait_text(out, "fetch started", 60);
	} else if (!strcmp(stage, "build") && alias) {
		ready = t_lxd_wait_file(pid, "/sf/out/pid", 120, &name);
	} else if (!strcmp(stage, "build")) {
		pattern = xasprintf("%s/recipe", marks);
		ready = st_wait_glob(pattern, 120);
	} else if (!strcmp(stage, "package")) {
		pattern = xasprintf("%s/builds/.tmp-*/.slurm-*-software.tar.gz.*", cache);
		ready = st_wait_glob(pattern, 60);
	} else if (!strcmp(stage, "verify")) {
		pattern = xasprintf("%s/sf-verify-*", tmp);
		ready = st_wait_glob(pattern, 60);
	} else {
		mark = xasprintf("%s/smoke", marks);
		ready = st_wait_glob(mark, 60);
	}
	if (!ready) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		t_sh("cat '%s' >&2", out);
		fail_msg("%s never started", stage);
	}
	if (alias)
		container_of(pid, &name);
	usleep(100 * 1000);             /* inside it */
	t = monotonic_now();
	assert_int_equal(kill(pid, sig), 0);
	status = st_wait(pid, 60);
	lat = monotonic_now() - t;
	if (hang)
		st_hang_stop(&h);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2)
		t_sh("cat '%s' >&2", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);

	r = t_report_load(json);
	if (!r)
		fail_msg("%s: no JSON report after the signal", stage);
	assert_true(json_object_get_boolean(json_object_object_get(r, "interrupted")));
	for (i = 0; i < NR_PIPELINE; i++) {
		struct json_object *so = stage_obj(r, pipeline[i]);
		const char *o = field(so, "outcome");
		if (!so)
			fail_msg("signal at %s: no stage %s in the report", stage, pipeline[i]);
		/* with --source (the fetch case) there is nothing to resolve */
		if (i < k && strcmp(o, "pass") &&
		    !(!strcmp(stage, "fetch") && i == 0 && !strcmp(o, "skipped") &&
		      strstr(field(so, "skip_reason"), "--source")))
			fail_msg("signal at %s: the earlier %s is %s", stage, pipeline[i], o);
		if (i == k && (strcmp(o, "error") ||
			       !json_object_get_boolean(json_object_object_get(so, "interrupted"))))
			fail_msg("signal at %s: that stage is %s, not marked interrupted", stage, o);
		if (i > k && strcmp(o, "skipped"))
			fail_msg("signal at %s: the later %s ran (%s)", stage, pipeline[i], o);
		/* skipped because of the signal, not because a gate "did not pass" */
		if (i > k && !strstr(field(so, "skip_reason"), "interrupted by signal"))
			fail_msg("signal at %s: %s skipped for '%s'", stage, pipeline[i],
				 field(so, "skip_reason"));
	}
	json_object_put(r);
	assert_int_equal(t_read(junit, &xml), 0);
	assert_non_null(strstr(xml.buf, "interrupted"));
	/* nothing published, no scratch, nothing partial in the cache */
	assert_false(t_exists(pub));
	if (st_count_entries(tmp, ""))
		fail_msg("signal at %s: scratch left in %s", stage, tmp);
	{
		char *builds = xasprintf("%s/builds", cache), *sources = xasprintf("%s/sources", cache);
		assert_int_equal(st_count_entries(builds, ".tmp-"), 0);
		assert_int_equal(st_count_entries(sources, ".tmp-"), 0);
		free(builds);
		free(sources);
	}
	st_assert_no_leftover_children();
	if (alias) {
		assert_true(name.len > 9);   /* it was there while the recipe ran */
		for (i = 0; i < 20; i++) {   /* LXD's listing may lag its delete */
			container_of(pid, &name);
			if (!name.len)
				break;
			usleep(100 * 1000);
		}
		if (name.len) {
			t_sh("lxc delete --force '%s' >/dev/null 2>&1", name.buf);
			fail_msg("container %s left behind", name.buf);
		}
	}
	fprintf(stderr, "MEASURE run %s at %s%s: exit 2 after %.2f s\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM", stage, alias ? " (lxd)" : "", lat);
	t_rmtree(dir);
	free(dir);
	free(cache);
	free(tmp);
	free(pub);
	free(json);
	free(junit);
	free(out);
	free(marks);
	free(repo);
	free(recipe);
	free(script);
	free(src);
	free(url);
	free(pattern);
	free(mark);
	strbuf_release(&xml);
	strbuf_release(&name);
	return lat;
}

static void run__sigint_and_sigterm_at_every_stage_exit_2_leave_nothing(void **state)
{
	struct fx *f = *state;
	char *src = xasprintf("%s/src.tar", f->dir), *alias, *lxd_recipe;
	double t0 = monotonic_now(), worst = 0, lat;
	size_t k;

	st_pipeline_make(f->dir);
	make_tarball(src, 20000, 0);
	/* the pipeline as such passes: what follows is the signals, not the fixture */
	{
		struct strbuf out = STRBUF_INIT;
		int rc = t_sh_capture(&out, "'%s' run 24.11 --repo '%s/repo' --backend host --recipe "
				      "'%s/recipes/build-slurm.sh' --script '%s/smoke.sh' --prefixes 1 "
				      "--cache-dir '%s/cache' --to '%s/pub' --quiet 2>&1 && "
				      "test -s '%s/pub/SHA256SUMS' && rm -rf '%s/cache' '%s/pub'",
				      t_bin(), f->dir, f->dir, f->dir, f->dir, f->dir, f->dir,
				      f->dir, f->dir);
		if (rc)
			fprintf(stderr, "%s", out.buf);
		assert_int_equal(rc, 0);
		strbuf_release(&out);
	}
	for (k = 0; k < NR_PIPELINE; k++) {
		lat = run_signalled_at(f, k, SIGINT, NULL);
		worst = lat > worst ? lat : worst;
		lat = run_signalled_at(f, k, SIGTERM, NULL);
		worst = lat > worst ? lat : worst;
	}
	/* the build stage once more in LXD: the container goes too */
	alias = t_build_image();
	assert_non_null(alias);
	lxd_recipe = xasprintf("%s/lxd-recipes/build-slurm.sh", f->dir);
	assert_int_equal(t_sh("mkdir -p '%s/lxd-recipes'", f->dir), 0);
	assert_int_equal(t_writestr(lxd_recipe, "#!/bin/sh\necho $$ > \"$SF_OUT/pid\"\n"
				    "exec >>\"$SF_OUT/build.log\" 2>&1\nsleep 120\n"), 0);
	lat = run_signalled_at(f, 2, SIGTERM, alias);
	worst = lat > worst ? lat : worst;
	fprintf(stderr, "MEASURE run signal walk: 15 runs in %.1f s, slowest exit %.2f s\n",
		monotonic_now() - t0, worst);
	assert_true(worst < 10);
	free(src);
	free(alias);
	free(lxd_recipe);
}

/* stdout is a pipe whose reader is gone: writes fail, nothing crashes */
static void help__closed_stdout_pipe_is_no_crash(void **state)
{
	const char *const cmds[][3] = { { "help", NULL, NULL }, { "help", "verify", NULL },
					{ "--version", NULL, NULL } };
	size_t k;

	(void)state;
	for (k = 0; k < 3; k++) {
		char *args[4] = { (char *)t_bin(), (char *)cmds[k][0], (char *)cmds[k][1], NULL };
		posix_spawn_file_actions_t fa;
		posix_spawnattr_t at;
		sigset_t def;
		int fds[2], status;
		pid_t pid;

		assert_int_equal(pipe(fds), 0);
		close(fds[0]);   /* the reader went away, as after `| head -c1` */
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		/* SIGPIPE at its default action, whatever ours is */
		posix_spawnattr_init(&at);
		sigemptyset(&def);
		sigaddset(&def, SIGPIPE);
		posix_spawnattr_setsigdefault(&at, &def);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
		assert_int_equal(posix_spawn(&pid, t_bin(), &fa, &at, args, environ), 0);
		posix_spawnattr_destroy(&at);
		posix_spawn_file_actions_destroy(&fa);
		close(fds[1]);
		status = st_wait(pid, 30);
		if (WIFSIGNALED(status))
			fail_msg("'%s %s' with a closed stdout died of signal %d",
				 cmds[k][0], cmds[k][1] ? cmds[k][1] : "", WTERMSIG(status));
		assert_true(WIFEXITED(status));
	}
	/* and the shell pipeline of the issue: never killed by SIGPIPE (141) */
	for (k = 0; k < 5; k++) {
		struct fx *f = *state;
		struct strbuf rc = STRBUF_INIT;
		char *rcpath = xasprintf("%s/rc", f->dir);

		assert_int_equal(t_sh("( '%s' help; echo $? > '%s' ) | head -c1 >/dev/null",
				      t_bin(), rcpath), 0);
		assert_int_equal(t_read(rcpath, &rc), 0);
		assert_string_not_equal(rc.buf, "141\n");
		strbuf_release(&rc);
		free(rcpath);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			verify__sigint_mid_extraction_exits_2_report_interrupted_no_scratch,
			setup, teardown),
		cmocka_unit_test_setup_teardown(verify__sigterm_after_a_failed_check_exits_1,
						setup, teardown),
		cmocka_unit_test_setup_teardown(verify__second_signal_ends_the_process_at_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(resolve__sigint_against_a_hanging_server_exits_2,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__sigterm_against_a_hanging_server_exits_2,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			image_check__sigint_during_lxd_exec_exits_2_no_container, setup, teardown),
		cmocka_unit_test_setup_teardown(help__closed_stdout_pipe_is_no_crash, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			run__sigint_and_sigterm_at_every_stage_exit_2_leave_nothing, setup,
			teardown),
	};
	/* SF_TEST_FILTER=run__* runs a subset (cmocka's glob) */
	if (getenv("SF_TEST_FILTER"))
		cmocka_set_test_filter(getenv("SF_TEST_FILTER"));
	st_become_subreaper();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
