/*
 * The LXD adapter against the real daemon (scripts/lxd-setup.sh starts it).
 * These tests FAIL, never skip, when the daemon does not answer.
 *
 * The image is a busybox-static rootfs built once and cached under
 * $HOME/.slurm-factory/test-images (1 MB, imports in a few ms).
 */
#include "testlib.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "lxd.h"
#include "proc.h"
#include "report.h"

#define ALIAS "sf-test-busybox-1"
#define HTTPS_PORT "18443"

static void connect_local(struct lxd *lxd)
{
	struct lxd_opts o;
	struct strbuf err = STRBUF_INIT;

	memset(&o, 0, sizeof(o));
	if (lxd_connect(lxd, &o, &err))
		fail_msg("LXD is required for these tests and does not answer: %s\n"
			 "start it with: scripts/lxd-setup.sh", err.buf);
	strbuf_release(&err);
}

static int group_setup(void **state)
{
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;
	struct lxd_opts o;
	char *tar;
	int exists = 0;

	(void)state;
	memset(&o, 0, sizeof(o));
	if (lxd_connect(&lxd, &o, &err)) {
		fprintf(stderr, "LXD is required for the live tests and does not answer: %s\n"
			"start it with: scripts/lxd-setup.sh\n", err.buf);
		lxd_release(&lxd);
		strbuf_release(&err);
		return -1;
	}
	tar = t_busybox_image();
	if (lxd_image_exists(&lxd, ALIAS, &exists, &err) ||
	    (!exists && lxd_image_import(&lxd, tar, ALIAS, &err))) {
		fprintf(stderr, "cannot import the test image: %s\n", err.buf);
		free(tar);
		lxd_release(&lxd);
		strbuf_release(&err);
		return -1;
	}
	free(tar);
	lxd_release(&lxd);
	strbuf_release(&err);
	return 0;
}

static void launch(struct lxd *lxd, const char *name, const struct lxd_disk *disks,
		   size_t nr)
{
	const char *config[] = { LXD_LABEL_PREFIX "run=live-test", NULL };
	struct lxd_launch l;
	struct strbuf err = STRBUF_INIT;

	memset(&l, 0, sizeof(l));
	l.name = name;
	l.image = ALIAS;
	l.config = config;
	l.disks = disks;
	l.nr_disks = nr;
	l.ephemeral = 1;
	l.privileged = 1;
	if (lxd_launch(lxd, &l, &err))
		fail_msg("launch %s: %s", name, err.buf);
	strbuf_release(&err);
}

static int exists_container(struct lxd *lxd, const char *name)
{
	struct lxd_instance *list;
	struct strbuf err = STRBUF_INIT;
	size_t nr, i;
	int found = 0;

	if (lxd_list_own(lxd, &list, &nr, &err))
		fail_msg("list: %s", err.buf);
	for (i = 0; i < nr; i++)
		if (!strncmp(list[i].name, name, strlen(name)))
			found = 1;
	lxd_instances_free(list, nr);
	strbuf_release(&err);
	return found;
}

/* The same checks over any connection: exec, push/pull, disk, delete. */
static void exercise(struct lxd *lxd, const char *name, int measure)
{
	struct strbuf err = STRBUF_INIT, got = STRBUF_INIT;
	struct lxd_exec x;
	struct lxd_exec_result r;
	struct lxd_disk disk;
	char *dir = t_mkdtemp("lxd-live");
	char *src = xasprintf("%s/in.txt", dir), *dst = xasprintf("%s/out.txt", dir);
	char *shared = xasprintf("%s/shared", dir), *through = xasprintf("%s/shared/w", dir);
	char *fail_argv[] = { "sh", "-c", "echo to-out; echo to-err >&2; exit 7", NULL };
	char *env_argv[] = { "sh", "-c", "echo \"$SF_X\" > /mnt/shared/w; pwd", NULL };
	char *true_argv[] = { "true", NULL };
	char *env[] = { "SF_X=through-the-disk", NULL };
	double t, t_launch, t_exec = 0, t_lxc = 0;
	int i, n = 10;

	assert_int_equal(t_mkdirs(shared), 0);
	memset(&disk, 0, sizeof(disk));
	disk.name = "shared";
	disk.source = shared;
	disk.path = "/mnt/shared";
	if (lxd_is_remote(lxd)) {
		/* a remote server cannot see this machine: a host directory is refused */
		struct lxd_launch l;
		memset(&l, 0, sizeof(l));
		l.name = name;
		l.image = ALIAS;
		l.disks = &disk;
		l.nr_disks = 1;
		assert_int_equal(lxd_launch(lxd, &l, &err), -1);
		assert_non_null(strstr(err.buf, "cannot see this machine's directories"));
		assert_false(exists_container(lxd, name));
		strbuf_reset(&err);
	}
	t = monotonic_now();
	launch(lxd, name, lxd_is_remote(lxd) ? NULL : &disk, lxd_is_remote(lxd) ? 0 : 1);
	t_launch = monotonic_now() - t;
	assert_true(exists_container(lxd, name));

	lxd_exec_result_init(&r);
	memset(&x, 0, sizeof(x));
	x.argv = fail_argv;
	x.timeout = 30;
	assert_int_equal(lxd_exec(lxd, name, &x, &r, &err), 0);
	assert_int_equal(r.exit_code, 7);
	assert_string_equal(r.out.buf, "to-out\n");
	assert_string_equal(r.errout.buf, "to-err\n");

	lxd_exec_result_release(&r);
	lxd_exec_result_init(&r);
	x.argv = env_argv;
	x.env = env;
	x.cwd = "/tmp";
	if (lxd_is_remote(lxd)) {
		char *mk[] = { "mkdir", "-p", "/mnt/shared", NULL };
		struct lxd_exec m = x;
		m.argv = mk;
		m.env = NULL;
		assert_int_equal(lxd_exec(lxd, name, &m, &r, &err), 0);
		lxd_exec_result_release(&r);
		lxd_exec_result_init(&r);
	}
	assert_int_equal(lxd_exec(lxd, name, &x, &r, &err), 0);
	assert_int_equal(r.exit_code, 0);
	assert_string_equal(r.out.buf, "/tmp\n");
	if (lxd_is_remote(lxd) &&
	    lxd_file_pull(lxd, name, "/mnt/shared/w", through, &err))
		fail_msg("pull: %s", err.buf);
	assert_int_equal(t_read(through, &got), 0);
	assert_string_equal(got.buf, "through-the-disk\n");

	/* a command that outlives its timeout is stopped by timeout(1) */
	lxd_exec_result_release(&r);
	lxd_exec_result_init(&r);
	{
		char *slow[] = { "sleep", "30", NULL };
		x.argv = slow;
		x.env = NULL;
		x.timeout = 1;
		assert_int_equal(lxd_exec(lxd, name, &x, &r, &err), 0);
		assert_true(r.timed_out);
		assert_true(r.duration < 15);
	}
	x.timeout = 0;

	assert_int_equal(t_writestr(src, "pushed\nbytes\n"), 0);
	if (lxd_file_push(lxd, name, src, "/root/pushed.txt", 0600, 0, 0, &err))
		fail_msg("push: %s", err.buf);
	if (lxd_file_pull(lxd, name, "/root/pushed.txt", dst, &err))
		fail_msg("pull: %s", err.buf);
	strbuf_reset(&got);
	assert_int_equal(t_read(dst, &got), 0);
	assert_string_equal(got.buf, "pushed\nbytes\n");
	assert_int_equal(lxd_file_pull(lxd, name, "/no/such/file", dst, &err), -1);
	assert_non_null(strstr(err.buf, "404"));
	strbuf_reset(&err);

	if (measure) {
		x.argv = true_argv;
		x.cwd = NULL;
		for (i = 0; i < n; i++) {
			lxd_exec_result_release(&r);
			lxd_exec_result_init(&r);
			t = monotonic_now();
			assert_int_equal(lxd_exec(lxd, name, &x, &r, &err), 0);
			t_exec += monotonic_now() - t;
		}
		for (i = 0; i < n; i++) {
			t = monotonic_now();
			assert_int_equal(t_sh("lxc exec %s -- true", name), 0);
			t_lxc += monotonic_now() - t;
		}
		fprintf(stderr, "MEASURE launch %.3f s; exec round trip (true, recorded output, "
			"logs fetched+deleted) %.1f ms; lxc exec -- true %.1f ms (mean of %d)\n",
			t_launch, t_exec / n * 1000, t_lxc / n * 1000, n);
	}

	t = monotonic_now();
	if (lxd_delete(lxd, name, &err))
		fail_msg("delete: %s", err.buf);
	if (measure)
		fprintf(stderr, "MEASURE delete %.3f s\n", monotonic_now() - t);
	assert_false(exists_container(lxd, name));
	/* deleting what is gone is fine */
	assert_int_equal(lxd_delete(lxd, name, &err), 0);

	lxd_exec_result_release(&r);
	t_rmtree(dir);
	free(dir);
	free(src);
	free(dst);
	free(shared);
	free(through);
	strbuf_release(&err);
	strbuf_release(&got);
}

/* Runs `script` with sh in `name`; its stdout into `out` (reset). */
static int sh_in(struct lxd *lxd, const char *name, const char *script, struct strbuf *out)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct strbuf err = STRBUF_INIT;
	struct lxd_exec_result r;
	struct lxd_exec x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.argv = argv;
	x.timeout = 30;
	lxd_exec_result_init(&r);
	if (lxd_exec(lxd, name, &x, &r, &err))
		fail_msg("exec %s: %s", script, err.buf);
	strbuf_reset(out);
	strbuf_add(out, r.out.buf, r.out.len);
	rc = r.exit_code;
	lxd_exec_result_release(&r);
	strbuf_release(&err);
	return rc;
}

/*
 * What build and smoke containers are: unprivileged (root inside is an
 * unprivileged uid of the host), no interface but lo, ephemeral (gone once
 * stopped, whoever stops it), a custom volume that outlives them.
 */
static void live__unprivileged_nicless_ephemeral_with_a_volume(void **state)
{
	const char *config[] = { LXD_LABEL_PREFIX "run=live-test", NULL };
	struct lxd_volume_dev vol = { "cache", "sf-cache-livetest0000000", "/cache" };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct lxd_launch l;
	struct lxd lxd;
	char **names;
	size_t nr, i;
	int created = 0, found = 0;

	(void)state;
	connect_local(&lxd);
	lxd_volume_delete(&lxd, vol.volume, &err);
	strbuf_reset(&err);
	if (lxd_volume_ensure(&lxd, vol.volume, &created, &err))
		fail_msg("volume: %s", err.buf);
	assert_true(created);
	assert_int_equal(lxd_volume_ensure(&lxd, vol.volume, &created, &err), 0);
	assert_false(created);
	memset(&l, 0, sizeof(l));
	l.name = "sf-live-unpriv";
	l.image = ALIAS;
	l.config = config;
	l.volumes = &vol;
	l.nr_volumes = 1;
	l.ephemeral = 1;
	if (lxd_launch(&lxd, &l, &err))
		fail_msg("launch: %s", err.buf);
	/* root inside maps to an unprivileged range of the host */
	assert_int_equal(sh_in(&lxd, l.name, "head -n1 /proc/self/uid_map", &out), 0);
	fprintf(stderr, "uid_map: %s", out.buf);
	{
		unsigned long inside = 1, outside = 0, count = 0;
		assert_int_equal(sscanf(out.buf, "%lu %lu %lu", &inside, &outside, &count), 3);
		assert_int_equal(inside, 0);
		assert_true(outside >= 65536);
	}
	assert_int_equal(sh_in(&lxd, l.name, "ls /sys/class/net", &out), 0);
	assert_string_equal(out.buf, "lo\n");
	assert_int_equal(sh_in(&lxd, l.name, "echo kept > /cache/f && cat /cache/f", &out), 0);
	assert_string_equal(out.buf, "kept\n");
	/* ephemeral: stopped from outside, it is gone */
	assert_int_equal(t_sh("lxc stop --force %s", l.name), 0);
	assert_false(exists_container(&lxd, l.name));
	/* the volume outlived it */
	l.name = "sf-live-unpriv2";
	if (lxd_launch(&lxd, &l, &err))
		fail_msg("launch: %s", err.buf);
	assert_int_equal(sh_in(&lxd, l.name, "cat /cache/f", &out), 0);
	assert_string_equal(out.buf, "kept\n");
	/* in use: not deleted */
	assert_int_equal(lxd_volume_delete(&lxd, vol.volume, &err), -1);
	strbuf_reset(&err);
	assert_int_equal(lxd_delete(&lxd, l.name, &err), 0);
	assert_int_equal(lxd_volume_list(&lxd, "sf-cache-livetest", &names, &nr, &err), 0);
	for (i = 0; i < nr; i++) {
		found |= !strcmp(names[i], vol.volume);
		free(names[i]);
	}
	free(names);
	assert_true(found);
	assert_int_equal(lxd_volume_delete(&lxd, vol.volume, &err), 0);
	assert_int_equal(lxd_volume_list(&lxd, "sf-cache-livetest", &names, &nr, &err), 0);
	assert_int_equal(nr, 0);
	free(names);
	/* deleting what is gone is fine */
	assert_int_equal(lxd_volume_delete(&lxd, vol.volume, &err), 0);
	lxd_release(&lxd);
	strbuf_release(&err);
	strbuf_release(&out);
}

static void live__launch_exec_files_disk_delete_over_the_socket(void **state)
{
	struct lxd lxd;

	(void)state;
	connect_local(&lxd);
	exercise(&lxd, "sf-live-socket", 1);
	lxd_release(&lxd);
}

static void live__sigterm_mid_exec_leaves_no_container(void **state)
{
	char *argv[] = { (char *)t_bin(), "image", "check", ALIAS, "--command",
			 "sleep 120", "--quiet", NULL };
	struct strbuf err = STRBUF_INIT;
	struct lxd lxd;
	pid_t pid;
	int status, i, seen = 0;
	double t;

	(void)state;
	connect_local(&lxd);
	assert_int_equal(proc_spawn_bg(argv, NULL, &pid, &err), 0);
	for (i = 0; i < 100 && !seen; i++) {
		usleep(100 * 1000);
		seen = exists_container(&lxd, "sf-check-");
	}
	assert_true(seen);
	usleep(800 * 1000);   /* well inside the exec of sleep 120 */
	t = monotonic_now();
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	fprintf(stderr, "MEASURE SIGTERM to clean exit %.3f s\n", monotonic_now() - t);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	/*
	 * The tool saw GET /1.0/instances/<name> answer 404 before it exited;
	 * LXD's recursive listing can lag behind its ephemeral clean-up by a
	 * moment, so give the listing up to 2 s to agree.
	 */
	for (i = 0; i < 20 && exists_container(&lxd, "sf-check-"); i++)
		usleep(100 * 1000);
	if (i)
		fprintf(stderr, "listing lagged %d00 ms behind the delete\n", i);
	assert_false(exists_container(&lxd, "sf-check-"));
	lxd_release(&lxd);
	strbuf_release(&err);
}

static void live__image_check_command_passes(void **state)
{
	struct strbuf out = STRBUF_INIT;
	char *dir = t_mkdtemp("lxd-check");

	(void)state;
	/* the report goes to a file of the test's own, never the system's /dev/null */
	assert_int_equal(t_sh_capture(&out, "%s image check %s --command 'echo hi; true' "
				      "--json '%s/check.json'", t_bin(), ALIAS, dir), 0);
	assert_int_equal(t_sh("grep -q '\"exit_code\": 0' '%s/check.json'", dir), 0);
	assert_int_equal(t_sh_capture(&out, "%s gc --quiet", t_bin()), 0);
	t_rmtree(dir);
	free(dir);
	strbuf_release(&out);
}

/*
 * lxd_image_export: the image as LXD holds it (the tarball whose sha256 is
 * its fingerprint); a missing alias is a clear error and leaves no file.
 */
static void live__image_export_is_the_fingerprinted_tarball_and_a_missing_alias_is_named(void **state)
{
	struct lxd lxd;
	struct strbuf err = STRBUF_INIT;
	char *dir = t_mkdtemp("lxd-export"), *tar = xasprintf("%s/export.tar.gz", dir),
	     *none = xasprintf("%s/none.tar.gz", dir);
	int exists = 0;

	(void)state;
	connect_local(&lxd);
	assert_int_equal(lxd_image_export(&lxd, ALIAS, tar, &err), 0);
	assert_int_equal(t_sh("tar -tzf '%s' | grep -qx metadata.yaml && "
			      "tar -tzf '%s' | grep -q '^rootfs/bin/busybox$'", tar, tar), 0);
	/* the very bytes LXD holds: a unified image's fingerprint is their sha256 */
	assert_int_equal(t_sh("test \"$(sha256sum '%s' | cut -c1-64)\" = "
			      "\"$(lxc image list " ALIAS " -c F --format csv)\"", tar), 0);
	assert_int_equal(lxd_image_exists(&lxd, ALIAS, &exists, &err), 0);
	assert_true(exists);
	strbuf_reset(&err);
	assert_int_equal(lxd_image_export(&lxd, "sf-test-no-such-image", none, &err), -1);
	assert_non_null(strstr(err.buf, "no image 'sf-test-no-such-image'"));
	assert_false(t_exists(none));
	lxd_release(&lxd);
	t_rmtree(dir);
	free(dir);
	free(tar);
	free(none);
	strbuf_release(&err);
}

/*
 * A second LXD server on this machine (own daemon, LXD_DIR in a test
 * directory, pool, HTTPS port): an unprivileged container starts there and
 * the tool drives it as a remote; nothing of it is left afterwards.
 */
static void live__second_server_runs_an_unprivileged_container(void **state)
{
	struct t_tmp *tmp = *state;
	struct strbuf out = STRBUF_INIT;
	struct t_lxd_https h;
	char *dir = tmp->dir, *tar = t_busybox_image();

	if (t_lxd_second_start(dir, "18447", &h))
		fail_msg("the second LXD server did not start (log: %s/lxd.log)", dir);
	assert_int_equal(t_sh("LXD_DIR='%s/lxd' lxc image import '%s' --alias %s >/dev/null",
			      dir, tar, ALIAS), 0);
	if (t_sh_capture(&out, "%s image check %s --command 'id -u; ls /sys/class/net' "
			 "--json '%s/check.json' %s 2>&1", t_bin(), ALIAS, dir, h.args))
		fail_msg("image check on the second server: %s", out.buf);
	assert_int_equal(t_sh("grep -q '\"exit_code\": 0' '%s/check.json'", dir), 0);
	assert_int_equal(t_sh("LXD_DIR='%s/lxd' lxc list --format csv | grep -q . && exit 1; "
			      "exit 0", dir), 0);
	t_lxd_second_stop(dir, &h);
	assert_int_equal(t_sh("! findmnt -rn -o TARGET | grep -qF '%s/'", dir), 0);
	free(tar);
	strbuf_release(&out);
}

/* t_tmp_teardown, after stopping a second server a failed test left running */
static int second_teardown(void **state)
{
	struct t_tmp *tmp = *state;

	t_lxd_second_kill(tmp->dir);
	return t_tmp_teardown(state);
}

/*
 * Ubuntu runners have LXD as a snap: its socket is at the snap's path. In
 * a mount namespace of our own, /var is a fresh tmpfs (Debian's
 * /var/lib/lxd is gone) with the daemon's socket bound at the snap's path:
 * the tool finds it with no option and no LXD_DIR; and with nothing there,
 * the error names every place it looked.
 */
static void live__socket_found_at_the_snap_path_with_no_option(void **state)
{
	struct strbuf out = STRBUF_INIT;
	char *dir = t_mkdtemp("lxd-snap");

	(void)state;
	assert_int_equal(t_sh_capture(&out, "env -u LXD_DIR -u LXD_SOCKET unshare --mount sh -c '"
				      "set -e; touch \"$1/sock\"; "
				      "mount --bind /var/lib/lxd/unix.socket \"$1/sock\"; "
				      "mount -t tmpfs sf-test /var; mkdir -p /var/snap/lxd/common/lxd; "
				      "touch /var/snap/lxd/common/lxd/unix.socket; "
				      "mount --bind \"$1/sock\" /var/snap/lxd/common/lxd/unix.socket; "
				      "test ! -e /var/lib/lxd; "
				      "\"$0\" image check %s --command true --quiet' '%s' '%s'",
				      ALIAS, t_bin(), dir), 0);
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "env -u LXD_DIR -u LXD_SOCKET unshare --mount sh -c '"
				      "mount -t tmpfs sf-test /var; \"$0\" gc' '%s'", t_bin()), 2);
	assert_non_null(strstr(out.buf, "/var/snap/lxd/common/lxd/unix.socket"));
	assert_non_null(strstr(out.buf, "/var/lib/lxd/unix.socket"));
	t_rmtree(dir);
	free(dir);
	strbuf_release(&out);
}

static void live__https_with_a_trusted_client_certificate(void **state)
{
	char *dir = t_mkdtemp("lxd-tls");
	struct strbuf err = STRBUF_INIT;
	struct t_lxd_https h;
	struct lxd lxd;
	struct lxd_opts o;
	char *bad = xasprintf("%s/other.crt", dir), *badkey = xasprintf("%s/other.key", dir);

	(void)state;
	assert_int_equal(t_lxd_https_start(dir, HTTPS_PORT, &h), 0);
	assert_int_equal(t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 "
			      "-nodes -days 2 -subj /CN=sf-other -keyout %s -out %s 2>/dev/null",
			      badkey, bad), 0);

	memset(&o, 0, sizeof(o));
	o.remote = h.url;
	o.client_cert = h.cert;
	o.client_key = h.key;
	o.server_cert = h.server;
	if (lxd_connect(&lxd, &o, &err))
		fail_msg("HTTPS connect: %s", err.buf);
	exercise(&lxd, "sf-live-https", 0);
	lxd_release(&lxd);

	/* an untrusted client certificate: the server answers, but not as trusted */
	o.client_cert = bad;
	o.client_key = badkey;
	strbuf_reset(&err);
	assert_int_equal(lxd_connect(&lxd, &o, &err), -1);
	fprintf(stderr, "untrusted client: %s\n", err.buf);
	assert_non_null(strstr(err.buf, "does not trust"));
	lxd_release(&lxd);

	/* the wrong server certificate pinned: TLS refuses the server */
	o.client_cert = h.cert;
	o.client_key = h.key;
	o.server_cert = bad;
	strbuf_reset(&err);
	assert_int_equal(lxd_connect(&lxd, &o, &err), -1);
	fprintf(stderr, "wrong server pin: %s\n", err.buf);
	lxd_release(&lxd);

	t_lxd_https_stop(&h);
	t_rmtree(dir);
	free(dir);
	free(bad);
	free(badkey);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(live__launch_exec_files_disk_delete_over_the_socket),
		cmocka_unit_test(live__sigterm_mid_exec_leaves_no_container),
		cmocka_unit_test(live__image_check_command_passes),
		cmocka_unit_test(live__image_export_is_the_fingerprinted_tarball_and_a_missing_alias_is_named),
		cmocka_unit_test(live__socket_found_at_the_snap_path_with_no_option),
		cmocka_unit_test(live__https_with_a_trusted_client_certificate),
		cmocka_unit_test(live__unprivileged_nicless_ephemeral_with_a_volume),
		cmocka_unit_test_setup_teardown(live__second_server_runs_an_unprivileged_container,
						t_tmp_setup, second_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
