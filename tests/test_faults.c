/*
 * Fault injection, end to end through the binary: a full disk (a 2 MiB
 * tmpfs this test mounts and unmounts) as verify's --work-dir and fetch's
 * --cache-dir; a cache entry left half-written by a fetch killed with
 * SIGKILL; no LXD daemon at the socket; an LXD exec that never returns;
 * and a token in a repository URL that must never be printed or written.
 * Each case: the documented exit code, a clear message, the report
 * written, nothing partial cached as good, nothing left running.
 */
#include "testlib.h"
#include "clock.h"
#include "sigtest.h"

#include <json-c/json.h>
#include "lxd.h"
#include <sys/mount.h>
#include <sys/stat.h>

#define BUSYBOX_ALIAS "sf-test-busybox-1"
#define TAG "slurm-24-11-5-1"

struct fx {
	char *dir, *mnt, *json, *junit, *out, *repo, *tarball;
	char commit[41];
	int mounted;
	struct st_proxy proxy;     /* the LXD socket proxy, when started */
	char *container;           /* a container this test made and must delete */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("faults");
	assert_non_null(f->dir);
	f->mnt = xasprintf("%s/full", f->dir);
	f->json = xasprintf("%s/report.json", f->dir);
	f->junit = xasprintf("%s/report.xml", f->dir);
	f->out = xasprintf("%s/out.txt", f->dir);
	f->repo = xasprintf("%s/repo", f->dir);
	f->tarball = xasprintf("%s/big.tar.gz", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	st_proxy_kill(&f->proxy);
	if (f->container) {
		/* only the container this test's own run made, by name */
		t_sh("lxc delete --force '%s' >/dev/null 2>&1", f->container);
		free(f->container);
	}
	if (f->mounted)
		umount2(f->mnt, MNT_DETACH);
	t_rmtree(f->dir);
	free(f->dir);
	free(f->mnt);
	free(f->json);
	free(f->junit);
	free(f->out);
	free(f->repo);
	free(f->tarball);
	free(f);
	return 0;
}

/* A tmpfs of `size` ("2m") at f->mnt: the test runs as root (make check does). */
static void mount_sized(struct fx *f, const char *size)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "size=%s,mode=0755", size);
	assert_int_equal(t_mkdirs(f->mnt), 0);
	if (mount("tmpfs", f->mnt, "tmpfs", MS_NOSUID | MS_NODEV, opts))
		fail_msg("cannot mount a tmpfs at %s (root needed): %s", f->mnt, strerror(errno));
	f->mounted = 1;
}

static void mount_small(struct fx *f)
{
	mount_sized(f, "2m");
}

/* A tarball whose tree (6 MiB of incompressible data) cannot fit in 2 MiB. */
static void make_big_tarball(struct fx *f)
{
	assert_int_equal(t_sh("cd '%s' && mkdir -p software/bin && "
			      "head -c 6291456 /dev/urandom > software/bin/blob && "
			      "tar -czf '%s' software && rm -rf software", f->dir, f->tarball), 0);
}

static struct json_object *report_of(const char *json)
{
	struct json_object *r = t_report_load(json);

	if (!r)
		fail_msg("no report at %s", json);
	return r;
}

static void verify__full_work_dir_exits_2_with_report(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	struct json_object *r;
	int rc;

	make_big_tarball(f);
	mount_small(f);
	rc = t_sh_capture(&out, "'%s' verify '%s' --work-dir '%s' --json '%s' --junit '%s'",
			  t_bin(), f->tarball, f->mnt, f->json, f->junit);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out.buf, "No space left on device"));
	r = report_of(f->json);
	assert_true(t_report_checks(r, "extract", "error") >= 1);
	json_object_put(r);
	assert_true(t_exists(f->junit));
	assert_int_equal(st_count_entries(f->mnt, ""), 0);   /* scratch removed */
	strbuf_release(&out);
}

static void fetch__full_cache_dir_exits_2_nothing_cached(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, src = STRBUF_INIT;
	struct json_object *r;
	int rc;

	make_big_tarball(f);
	mount_small(f);
	rc = t_sh_capture(&out, "'%s' fetch --source '%s' --cache-dir '%s' --json '%s'",
			  t_bin(), f->tarball, f->mnt, f->json);
	assert_int_equal(rc, 2);
	/* the secure extraction says it, naming the entry */
	assert_non_null(strstr(out.buf, "cannot write 'software/bin/blob': No space left on device"));
	r = report_of(f->json);
	assert_true(t_report_checks(r, "unpack", "error") >= 1);
	json_object_put(r);
	/* nothing under sources/: no entry, no temporary left */
	strbuf_addf(&src, "%s/sources", f->mnt);
	assert_int_equal(st_count_entries(src.buf, ""), 0);
	strbuf_release(&out);
	strbuf_release(&src);
}

/* A local repository with one commit tagged TAG; fills f->commit. */
static void make_repo(struct fx *f)
{
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(t_sh("set -e; mkdir -p '%s'; cd '%s'; git init -q; "
			      "printf 'slurm source\\n' > README; mkdir src; "
			      "printf 'int main(void){return 0;}\\n' > src/main.c; "
			      "git add .; git -c user.name=t -c user.email=t@t commit -qm one; "
			      "git tag -a -m rel %s", f->repo, f->repo, TAG), 0);
	assert_int_equal(t_sh_capture(&out, "git -C '%s' rev-parse '%s^{commit}'", f->repo, TAG), 0);
	assert_true(out.len >= 40);
	memcpy(f->commit, out.buf, 40);
	f->commit[40] = '\0';
	strbuf_release(&out);
}

static void fetch__entry_half_written_by_a_killed_run_is_not_a_hit(void **state)
{
	struct fx *f = *state;
	struct st_hang h;
	struct strbuf out = STRBUF_INIT, path = STRBUF_INIT;
	char url[128], cache[512];
	int i, status;
	pid_t pid;

	make_repo(f);
	snprintf(cache, sizeof(cache), "%s/cache", f->dir);
	/* 1: a fetch that hangs mid-transfer, killed with SIGKILL (no clean-up at all) */
	st_hang_start(&h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slurm.git", h.port);
	{
		char *argv[] = { "sf", "fetch", TAG, "--commit", f->commit, "--repo", url,
				 "--cache-dir", cache, "--timeout", "100", "--quiet", NULL };
		pid = st_spawn(argv, f->out);
	}
	for (i = 0; i < 200 && !h.nr; i++)
		usleep(25 * 1000);
	assert_true(h.nr > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	status = st_wait(pid, 10);
	assert_true(WIFSIGNALED(status));
	st_hang_stop(&h);
	strbuf_addf(&path, "%s/sources", cache);
	assert_true(st_count_entries(path.buf, ".tmp-") > 0);   /* it did leave debris */
	/* 2: the entry's final name holds a half tree without its SOURCE marker */
	strbuf_addf(&path, "/%s/src", f->commit);
	assert_int_equal(t_mkdirs(path.buf), 0);
	strbuf_addstr(&path, "/README");
	assert_int_equal(t_writestr(path.buf, "trunc"), 0);
	/* 3: the next fetch is a miss, fetches, and ends with the complete tree */
	assert_int_equal(t_sh_capture(&out, "'%s' fetch %s --commit %s --repo '%s' "
				      "--cache-dir '%s' --json '%s'", t_bin(), TAG, f->commit,
				      f->repo, cache, f->json), 0);
	assert_non_null(strstr(out.buf, "cache: miss"));
	strbuf_reset(&out);
	assert_int_equal(t_read(path.buf, &out), 0);
	assert_string_equal(out.buf, "slurm source\n");
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/sources/%s/src/src/main.c", cache, f->commit);
	assert_true(t_exists(path.buf));
	/* 4: and then a hit */
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "'%s' fetch %s --commit %s --repo '%s' "
				      "--cache-dir '%s'", t_bin(), TAG, f->commit, f->repo,
				      cache), 0);
	assert_non_null(strstr(out.buf, "cache: hit"));
	st_assert_no_leftover_children();
	strbuf_release(&out);
	strbuf_release(&path);
}

static void lxd__no_daemon_at_the_socket_exits_2_clear_message(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	struct json_object *r;

	/* a socket path with no daemon: the shared daemon is never stopped */
	assert_int_equal(t_sh_capture(&out, "'%s' image check %s --lxd-socket '%s/none.sock' "
				      "--json '%s'", t_bin(), BUSYBOX_ALIAS, f->dir, f->json), 2);
	assert_non_null(strstr(out.buf, "LXD is not running"));
	assert_non_null(strstr(out.buf, "none.sock"));
	r = report_of(f->json);
	assert_true(t_report_checks(r, "launch", "error") == 1);
	json_object_put(r);
	strbuf_reset(&out);
	/* a socket that exists but nobody accepts on: same answer, no hang */
	assert_int_equal(t_sh("python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); "
			      "s.bind(sys.argv[1])' '%s/dead.sock'", f->dir), 0);
	assert_int_equal(t_sh_capture(&out, "timeout 60 '%s' gc --lxd-socket '%s/dead.sock'",
				      t_bin(), f->dir), 2);
	/* it names LXD and the socket, then the transport's own words */
	assert_non_null(strstr(out.buf, "LXD at "));
	assert_non_null(strstr(out.buf, "dead.sock did not answer"));
	assert_non_null(strstr(out.buf, "Couldn't connect to server"));
	strbuf_release(&out);
}

static void image_check__command_past_its_timeout_exits_2_no_container(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, list = STRBUF_INIT;
	struct json_object *r;
	const char *name, *end;
	char *mine;
	double t = monotonic_now();
	int rc;

	st_ensure_image(BUSYBOX_ALIAS);
	rc = t_sh_capture(&out, "'%s' image check %s --command 'sleep 600' --timeout 2 "
			  "--json '%s'", t_bin(), BUSYBOX_ALIAS, f->json);
	fprintf(stderr, "MEASURE exec timeout 2 s: ended after %.2f s\n", monotonic_now() - t);
	/*
	 * A check command that never answers is the environment failing (the
	 * image or the host is unusable), not a verdict on an artifact: 2,
	 * never 1, never 0, never a hang.
	 */
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out.buf, "timed out after 2 s"));
	assert_true(monotonic_now() - t < 60);
	r = report_of(f->json);
	assert_int_equal(t_report_checks(r, "exec", "error"), 1);
	assert_int_equal(t_report_checks(r, "cleanup", "pass"), 1);
	json_object_put(r);
	name = strstr(out.buf, "sf-check-");
	assert_non_null(name);
	end = name + strcspn(name, " \n");
	mine = xstrndup(name, (size_t)(end - name));
	assert_int_equal(t_sh_capture(&list, "lxc list --format csv -c n"), 0);
	if (strstr(list.buf, mine))
		fail_msg("container %s left behind", mine);
	free(mine);
	/* a command that ends with a non-zero status in time is still a failed check */
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "'%s' image check %s --command 'exit 3' --timeout 20",
				      t_bin(), BUSYBOX_ALIAS), 1);
	assert_non_null(strstr(out.buf, "exit 3"));
	st_assert_no_leftover_children();
	strbuf_release(&out);
	strbuf_release(&list);
}

/* --- a build whose environment fails under it ------------------------- */

/* A Slurm-like source tarball (the top directory named after the tag); returns its path. */
static char *make_source(struct fx *f)
{
	char *src = xasprintf("%s/slurm-24-11-5-1.tar.gz", f->dir);

	assert_int_equal(t_sh("cd '%s' && mkdir slurm-slurm-24-11-5-1 && "
			      "echo 'a Slurm source' > slurm-slurm-24-11-5-1/README && "
			      "tar -czf '%s' slurm-slurm-24-11-5-1 && rm -r slurm-slurm-24-11-5-1",
			      f->dir, src), 0);
	return src;
}

/* Writes `text` as the recipe f->dir/recipes/build-slurm.sh; returns its path. */
static char *write_recipe(struct fx *f, const char *text)
{
	char *dir = xasprintf("%s/recipes", f->dir), *path = xasprintf("%s/build-slurm.sh", dir);

	assert_int_equal(t_mkdirs(dir), 0);
	assert_int_equal(t_writestr(path, text), 0);
	free(dir);
	return path;
}

/* builds/ of the cache holds no build in progress and no entry. */
static void assert_nothing_cached(const char *cache)
{
	char *builds = xasprintf("%s/builds", cache), *bykey = xasprintf("%s/builds/by-key", cache);

	assert_int_equal(st_count_entries(builds, ".tmp-"), 0);
	assert_int_equal(st_count_entries(builds, "24.11"), 0);
	assert_int_equal(st_count_entries(bykey, ""), 0);
	free(builds);
	free(bykey);
}

/* The stage `name`'s "outcome" in a JSON report, or "" when absent. */
static const char *stage_outcome(struct json_object *r, const char *name)
{
	struct json_object *arr, *s, *v;
	size_t i;

	if (!json_object_object_get_ex(r, "stages", &arr))
		return "";
	for (i = 0; i < json_object_array_length(arr); i++) {
		s = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(s, "name", &v) &&
		    !strcmp(json_object_get_string(v), name) &&
		    json_object_object_get_ex(s, "outcome", &v))
			return json_object_get_string(v);
	}
	return "";
}

/*
 * LXD goes away while the recipe runs in its container. The shared daemon
 * is never touched: the binary talks to it through a proxy socket of this
 * test, and killing the proxy is, to the binary, the daemon stopping.
 */
static void lxd__daemon_gone_mid_build_exits_2_then_gc_removes_the_container(void **state)
{
	struct fx *f = *state;
	const char *lxd_dir = getenv("LXD_DIR");
	char *alias = t_build_image(), *src = make_source(f), *recipe;
	char *real = xasprintf("%s/unix.socket", lxd_dir && *lxd_dir ? lxd_dir : LXD_DEFAULT_DIR);
	char *sock = xasprintf("%s/lxd.sock", f->dir), *cache = xasprintf("%s/cache", f->dir);
	char *said;
	struct strbuf out = STRBUF_INIT, name = STRBUF_INIT, run = STRBUF_INIT;
	struct json_object *r;
	double t;
	int status, i;
	pid_t pid;

	assert_non_null(alias);
	recipe = write_recipe(f, "#!/bin/sh\necho $$ > \"$SF_OUT/pid\"\n"
			      "exec >>\"$SF_OUT/build.log\" 2>&1\nsleep 120\n");
	st_proxy_start(&f->proxy, sock, real);
	{
		char *argv[] = { "sf", "build", "--backend", "lxd", "--image", alias, "--recipe",
				 recipe, "--source", src, "--cache-dir", cache, "--lxd-socket", sock,
				 "--json", f->json, "--junit", f->junit, "--source-date-epoch", "1",
				 NULL };
		pid = st_spawn(argv, f->out);
	}
	/*
	 * this run's container, by the label with the binary's pid (through
	 * the real socket), once the recipe wrote its pid there: the outputs
	 * stay in the container until the recipe ends
	 */
	if (!t_lxd_wait_file(pid, "/sf/out/pid", 120, &name)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the recipe never started in its container");
	}
	assert_true(name.len > 9);
	f->container = xstrdup(name.buf);

	t = monotonic_now();
	st_proxy_kill(&f->proxy);            /* LXD stops answering mid-exec */
	status = st_wait(pid, 120);
	fprintf(stderr, "MEASURE LXD gone mid-build to exit: %.2f s\n", monotonic_now() - t);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	assert_int_equal(t_read(f->out, &out), 0);
	said = xasprintf("LXD at %s did not answer", sock);
	if (!strstr(out.buf, said))
		fail_msg("no message naming LXD and its socket: %s", out.buf);
	free(said);
	/* what is left cannot be deleted now: the report says how to remove it */
	assert_non_null(strstr(out.buf, "containers left"));
	assert_non_null(strstr(out.buf, "gc --run-id"));
	r = report_of(f->json);
	assert_string_equal(stage_outcome(r, "build"), "error");
	assert_int_equal(t_report_checks(r, "recipe", "error"), 1);
	assert_int_equal(t_report_checks(r, "cleanup", "error"), 1);
	json_object_put(r);
	assert_true(t_exists(f->junit));
	assert_nothing_cached(cache);

	/* LXD answers again (the real socket): the container is there, gc of the run removes it */
	assert_int_equal(t_sh("lxc info '%s' >/dev/null 2>&1", f->container), 0);
	assert_int_equal(t_sh_capture(&run, "lxc config get '%s' user.slurm-factory.run",
				      f->container), 0);
	assert_true(run.len > 1 && run.buf[run.len - 1] == '\n');
	strbuf_setlen(&run, run.len - 1);
	assert_non_null(strstr(f->container, run.buf));
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "'%s' gc --run-id '%s'", t_bin(), run.buf), 0);
	assert_non_null(strstr(out.buf, "deleted"));
	for (i = 0; i < 20 && !t_sh("lxc info '%s' >/dev/null 2>&1", f->container); i++)
		usleep(100 * 1000);   /* the listing may lag the delete */
	if (!t_sh("lxc info '%s' >/dev/null 2>&1", f->container))
		fail_msg("gc left %s", f->container);
	free(f->container);
	f->container = NULL;
	st_assert_no_leftover_children();
	free(alias);
	free(src);
	free(recipe);
	free(real);
	free(sock);
	free(cache);
	strbuf_release(&out);
	strbuf_release(&name);
	strbuf_release(&run);
}

/* A host-backend build into the small tmpfs as --cache-dir; returns the exit code. */
static int build_into_mnt(struct fx *f, const char *recipe_text, struct strbuf *out)
{
	char *src = make_source(f), *recipe = write_recipe(f, recipe_text);
	int rc;

	rc = t_sh_capture(out, "'%s' build --backend host --recipe '%s' --source '%s' "
			  "--cache-dir '%s' --json '%s' --junit '%s' --source-date-epoch 1",
			  t_bin(), recipe, src, f->mnt, f->json, f->junit);
	free(src);
	free(recipe);
	return rc;
}

static void build__cache_full_during_the_recipe_exits_2_nothing_cached(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	struct json_object *r;

	mount_small(f);
	/* the recipe's writes fill the disk: its failure is the machine's, not the source's */
	assert_int_equal(build_into_mnt(f, "#!/bin/sh\nset -e\nmkdir -p \"$SF_OUT/software/bin\"\n"
					"head -c 4194304 /dev/urandom > \"$SF_OUT/software/bin/blob\"\n",
					&out), 2);
	if (!strstr(out.buf, "no space left on device in"))
		fail_msg("no message saying the disk is full: %s", out.buf);
	/* the kind came from the backend (no_space), and the message reads cleanly */
	assert_non_null(strstr(out.buf, "the recipe ran out of disk: no space left on device in"));
	r = report_of(f->json);
	assert_string_equal(stage_outcome(r, "build"), "error");
	assert_int_equal(t_report_checks(r, "recipe", "error"), 1);
	assert_int_equal(t_report_checks(r, "recipe", "fail"), 0);
	json_object_put(r);
	assert_true(t_exists(f->junit));
	assert_nothing_cached(f->mnt);
	st_assert_no_leftover_children();
	strbuf_release(&out);
}

static void build__cache_full_while_packaging_exits_2_nothing_cached(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	struct json_object *r;

	mount_sized(f, "4m");
	/* the tree fits (2.5 MiB of 4); its tarball beside it does not */
	assert_int_equal(build_into_mnt(f, "#!/bin/sh\nset -e\nmkdir -p \"$SF_OUT/software/bin\"\n"
					"head -c 2621440 /dev/urandom > \"$SF_OUT/software/bin/blob\"\n",
					&out), 2);
	/* libarchive says only "Write error"; the errno is added */
	assert_non_null(strstr(out.buf, "cannot write data of"));
	assert_non_null(strstr(out.buf, "No space left on device"));
	r = report_of(f->json);
	assert_string_equal(stage_outcome(r, "build"), "pass");
	assert_string_equal(stage_outcome(r, "package"), "error");
	assert_int_equal(t_report_checks(r, "software tarball", "error"), 1);
	json_object_put(r);
	assert_true(t_exists(f->junit));
	assert_nothing_cached(f->mnt);
	strbuf_release(&out);
}

/* Every byte the binary wrote: stdout+stderr, JSON, JUnit. */
static void assert_secret_absent(struct fx *f, const char *secret, const char *out)
{
	struct strbuf s = STRBUF_INIT;

	if (strstr(out, secret))
		fail_msg("the token was printed: %s", out);
	if (!t_read(f->json, &s) && strstr(s.buf, secret))
		fail_msg("the token is in the JSON report");
	strbuf_reset(&s);
	if (!t_read(f->junit, &s) && strstr(s.buf, secret))
		fail_msg("the token is in the JUnit report");
	strbuf_release(&s);
}

static void secrets__token_in_repo_url_never_printed_or_reported(void **state)
{
	struct fx *f = *state;
	const char *secret = "ghp_S3cr3tT0kenValue0123456789";
	const char *cmds[] = { "resolve latest", "fetch latest" };
	struct st_hang h;
	struct strbuf out = STRBUF_INIT;
	size_t k;
	int rc;

	st_hang_start(&h);
	for (k = 0; k < 2; k++) {
		strbuf_reset(&out);
		unlink(f->json);
		unlink(f->junit);
		/* the URL with credentials comes from the environment, as in CI */
		rc = t_sh_capture(&out, "SF_TOKEN='%s' GITHUB_TOKEN='%s' "
				  "SLURM_FACTORY_REPO=\"http://ci:${SF_TOKEN}@127.0.0.1:%d/slurm.git\" "
				  "'%s' %s --timeout 2 --cache-dir '%s/cache' --json '%s' --junit '%s' "
				  "--verbose", secret, secret, h.port, t_bin(), cmds[k], f->dir,
				  f->json, f->junit);
		assert_int_equal(rc, 2);
		assert_true(t_exists(f->json));
		assert_true(t_exists(f->junit));
		assert_secret_absent(f, secret, out.buf);
	}
	assert_true(h.nr >= 2);   /* the runs did reach the server */
	st_hang_stop(&h);
	strbuf_release(&out);
}

/*
 * Under GitHub Actions a token in the environment is masked before it is
 * used, and that mask command is the only place it ever appears: a whole
 * run (host backend, every stage) whose publish to GitHub uses the token
 * and fails, with every output GitHub reads written.
 */
static void secrets__github_actions_run_masks_the_token_nothing_else_holds_it(void **state)
{
	struct fx *f = *state;
	const char *secret = "ghp_Gh4ctionsT0kenValue0123456789abc";
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, hits = STRBUF_INIT;
	struct st_hang h;
	char *env;
	int port, rc;

	st_pipeline_make(f->dir);
	st_hang_start(&h);      /* a port that was in use a moment ago: refused now */
	port = h.port;
	st_hang_stop(&h);
	env = xasprintf("GITHUB_ACTIONS=true GITHUB_TOKEN='%s' GITHUB_STEP_SUMMARY='%s/summary.md' "
			"GITHUB_OUTPUT='%s/gh-output' GITHUB_ENV='%s/gh-env' TMPDIR='%s/marks'",
			secret, f->dir, f->dir, f->dir, f->dir);
	rc = t_sh("env -u GITLAB_CI %s '%s' run 24.11 --repo '%s/repo' --backend host "
		  "--recipe '%s/recipes/build-slurm.sh' --script '%s/smoke.sh' --prefixes 1 "
		  "--cache-dir '%s/cache' --to github://a/b@v1 --github-api http://127.0.0.1:%d "
		  "--retries 0 --verbose --json '%s' --junit '%s' >'%s/stdout' 2>'%s/stderr'",
		  env, t_bin(), f->dir, f->dir, f->dir, f->dir, port, f->json, f->junit, f->dir,
		  f->dir);
	/* every gate passed; the upload could not connect: an environment error */
	assert_int_equal(rc, 2);
	{
		struct json_object *r = report_of(f->json);
		assert_string_equal(stage_outcome(r, "smoke"), "pass");
		assert_string_equal(stage_outcome(r, "publish"), "error");
		json_object_put(r);
	}
	assert_int_equal(t_sh("cd '%s' && test -s summary.md && test -s gh-output && "
			      "test -s gh-env && test -s report.xml", f->dir), 0);
	{
		char *o = xasprintf("%s/stdout", f->dir), *e = xasprintf("%s/stderr", f->dir);
		assert_int_equal(t_read(o, &out), 0);
		assert_int_equal(t_read(e, &err), 0);
		free(o);
		free(e);
	}
	{
		const char *mask = strstr(out.buf, "::add-mask::");
		char *line = xasprintf("::add-mask::%s\n", secret);
		assert_non_null(mask);
		assert_int_equal(strncmp(mask, line, strlen(line)), 0);
		/* the mask comes before anything that could use the token */
		assert_non_null(strstr(out.buf, "::group::publish"));
		assert_true(mask > strstr(out.buf, "::group::publish"));
		/* once, and nowhere else in stdout */
		assert_null(strstr(strstr(out.buf, secret) + 1, secret));
		free(line);
	}
	assert_null(strstr(err.buf, secret));
	/* every file under the test's directory (reports, GitHub's files, cache, logs) but stdout */
	assert_int_equal(t_sh_capture(&hits, "grep -rlF -- '%s' '%s' | grep -vx '%s/stdout'; true",
				      secret, f->dir, f->dir), 0);
	if (hits.len)
		fail_msg("the token is written in: %s", hits.buf);
	st_assert_no_leftover_children();
	free(env);
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&hits);
}

/*
 * The host backend runs the recipe with this process's environment, minus
 * credentials: a recipe that dumps its environment into the kept build log
 * (and onto stdout, which the report keeps) shows no token, while an
 * ordinary variable comes through.
 */
static void secrets__host_backend_recipe_never_sees_a_token(void **state)
{
	struct fx *f = *state;
	const char *tokens[] = { "ghp_HostRecipeT0ken0123456789", "AwsS3cretKeyValue/abcdef0123",
				 "glpat-HostRecipeGitlab0123", NULL };
	char *src = make_source(f), *recipe, *cache = xasprintf("%s/cache", f->dir);
	struct strbuf hits = STRBUF_INIT, out = STRBUF_INIT;
	size_t i;

	recipe = write_recipe(f, "#!/bin/sh\nset -e\nmkdir -p \"$SF_OUT/software/bin\"\n"
				 "env > \"$SF_OUT/build.log\"\nenv\n"
				 "printf '#!/bin/sh\\n' > \"$SF_OUT/software/bin/f\"\n");
	assert_int_equal(t_sh_capture(&out, "GITHUB_TOKEN='%s' AWS_SECRET_ACCESS_KEY='%s' "
				      "CI_JOB_TOKEN='%s' SF_TEST_PLAIN=visible-0123 "
				      "'%s' build --backend host --recipe '%s' --source '%s' "
				      "--cache-dir '%s' --json '%s' --junit '%s' --source-date-epoch 1",
				      tokens[0], tokens[1], tokens[2], t_bin(), recipe, src, cache,
				      f->json, f->junit), 0);
	/* the dump happened and was kept */
	assert_int_equal(t_sh("grep -rqx 'SF_TEST_PLAIN=visible-0123' '%s/builds'", cache), 0);
	for (i = 0; tokens[i]; i++) {
		strbuf_reset(&hits);
		assert_int_equal(t_sh_capture(&hits, "grep -rlF -- '%s' '%s'; true", tokens[i],
					      f->dir), 0);
		if (hits.len)
			fail_msg("token %zu is written in: %s", i, hits.buf);
		assert_null(strstr(out.buf, tokens[i]));
	}
	free(src);
	free(recipe);
	free(cache);
	strbuf_release(&hits);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(verify__full_work_dir_exits_2_with_report,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__full_cache_dir_exits_2_nothing_cached,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			fetch__entry_half_written_by_a_killed_run_is_not_a_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(lxd__no_daemon_at_the_socket_exits_2_clear_message,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			image_check__command_past_its_timeout_exits_2_no_container, setup, teardown),
		cmocka_unit_test_setup_teardown(
			secrets__token_in_repo_url_never_printed_or_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(
			lxd__daemon_gone_mid_build_exits_2_then_gc_removes_the_container, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			build__cache_full_during_the_recipe_exits_2_nothing_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(
			build__cache_full_while_packaging_exits_2_nothing_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(
			secrets__github_actions_run_masks_the_token_nothing_else_holds_it, setup,
			teardown),
		cmocka_unit_test_setup_teardown(secrets__host_backend_recipe_never_sees_a_token,
						setup, teardown),
	};
	/* SF_TEST_FILTER=build__* runs a subset (cmocka's glob) */
	if (getenv("SF_TEST_FILTER"))
		cmocka_set_test_filter(getenv("SF_TEST_FILTER"));
	st_become_subreaper();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
