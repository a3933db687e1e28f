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
#include "sigtest.h"

#include <json-c/json.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define BUSYBOX_ALIAS "sf-test-busybox-1"
#define TAG "slurm-24-11-5-1"

struct fx {
	char *dir, *mnt, *json, *junit, *out, *repo, *tarball;
	char commit[41];
	int mounted;
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

/* A 2 MiB tmpfs at f->mnt: the test runs as root (make check does). */
static void mount_small(struct fx *f)
{
	assert_int_equal(t_mkdirs(f->mnt), 0);
	if (mount("tmpfs", f->mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=2m,mode=0755"))
		fail_msg("cannot mount a tmpfs at %s (root needed): %s", f->mnt, strerror(errno));
	f->mounted = 1;
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
	/* tar says it: "Wrote only 8704 of 10240 bytes" */
	assert_non_null(strstr(out.buf, "cannot unpack"));
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
	/* clear enough to act on, though it does not name the socket */
	assert_non_null(strstr(out.buf, "Couldn't connect to server"));
	strbuf_release(&out);
}

static void lxd__exec_that_never_returns_times_out_no_container(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, list = STRBUF_INIT;
	const char *name, *end;
	char *mine;
	double t = monotonic_now();
	int rc;

	st_ensure_image(BUSYBOX_ALIAS);
	rc = t_sh_capture(&out, "'%s' image check %s --command 'sleep 600' --timeout 2 "
			  "--json '%s'", t_bin(), BUSYBOX_ALIAS, f->json);
	fprintf(stderr, "MEASURE exec timeout 2 s: ended after %.2f s\n", monotonic_now() - t);
	/*
	 * image check reports the timed-out command as its failed check (1);
	 * the environment did answer. Never 0, never a hang.
	 */
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out.buf, "timed out"));
	assert_true(monotonic_now() - t < 60);
	name = strstr(out.buf, "sf-check-");
	assert_non_null(name);
	end = name + strcspn(name, " \n");
	mine = xstrndup(name, (size_t)(end - name));
	assert_int_equal(t_sh_capture(&list, "lxc list --format csv -c n"), 0);
	if (strstr(list.buf, mine))
		fail_msg("container %s left behind", mine);
	free(mine);
	st_assert_no_leftover_children();
	strbuf_release(&out);
	strbuf_release(&list);
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
		cmocka_unit_test_setup_teardown(lxd__exec_that_never_returns_times_out_no_container,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			secrets__token_in_repo_url_never_printed_or_reported, setup, teardown),
	};
	st_become_subreaper();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
