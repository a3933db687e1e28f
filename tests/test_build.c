/*
 * build, end to end through the binary.
 *
 * Fast cases run a small recipe written at test time (it compiles a program
 * and a library with cc into the tree, like the real recipe's result) with
 * the host backend, from a source tarball made at test time: packaging,
 * verify, the cache, reproducibility, a failing recipe, SIGINT. The LXD
 * cases need the daemon (scripts/check.sh starts it) and the build image:
 * SIGINT deletes the container, and the real Slurm 24.11 build from the
 * Debian-derived repository (scripts/slurm-sources.sh) is relocatable at 3
 * prefixes, a cache hit the second time, and byte-identical when rebuilt
 * with a warm ccache. The figures go to stderr.
 */
#include "testlib.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

struct fx {
	char *dir, *recipes, *recipe, *source, *cache, *json, *counter;
};

/* A recipe like the real one: a program and a library with $ORIGIN RPATHs. */
static const char fake_recipe[] =
	"#!/bin/sh\n"
	"set -eu\n"
	"exec >>\"$SF_OUT/build.log\" 2>&1\n"
	"echo \"==> fake recipe for $SF_SRC prefix $SF_PREFIX\"\n"
	"n=$(cat \"$SF_TEST_COUNTER\" 2>/dev/null || echo 0); echo $((n + 1)) > \"$SF_TEST_COUNTER\"\n"
	"test -f \"$SF_SRC/README\"\n"
	"t=$SF_OUT/software; mkdir -p \"$t/bin\" \"$t/lib/slurm\" \"$t/etc\" \"$SF_BUILD\"\n"
	"cd \"$SF_BUILD\"\n"
	"printf 'int f(void){return 42;}\\n' > f.c\n"
	"printf 'int f(void); int main(void){return f()-42;}\\n' > m.c\n"
	"cc -shared -fPIC -Wl,-soname,libf.so.1 -o \"$t/lib/libf.so.1.0\" f.c\n"
	"ln -sf libf.so.1.0 \"$t/lib/libf.so.1\"\n"
	"cc -o \"$t/bin/hello\" m.c \"$t/lib/libf.so.1.0\" -Wl,--disable-new-dtags "
	"-Wl,-rpath,'$ORIGIN/../lib'\n"
	"cp \"$SF_SRC/README\" \"$t/etc/README\"\n"
	"if [ -n \"${SF_TEST_SLEEP:-}\" ]; then echo $$ > \"$SF_TEST_SLEEP\"; sleep 60; fi\n"
	"if [ -n \"${SF_TEST_FAIL:-}\" ]; then echo 'configure: error: libfoo is missing'; exit 3; fi\n"
	"echo done\n";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("build");
	assert_non_null(f->dir);
	f->recipes = xasprintf("%s/recipes", f->dir);
	f->recipe = xasprintf("%s/recipes/build-slurm.sh", f->dir);
	f->source = xasprintf("%s/slurm-24-11-5-1.tar.gz", f->dir);
	f->cache = xasprintf("%s/cache", f->dir);
	f->json = xasprintf("%s/report.json", f->dir);
	f->counter = xasprintf("%s/counter", f->dir);
	assert_int_equal(t_mkdirs(f->recipes), 0);
	assert_int_equal(t_writestr(f->recipe, fake_recipe), 0);
	assert_int_equal(t_sh("cd '%s' && mkdir slurm-slurm-24-11-5-1 && "
			      "echo 'a Slurm source' > slurm-slurm-24-11-5-1/README && "
			      "tar -czf '%s' slurm-slurm-24-11-5-1", f->dir, f->source), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	/* a test that failed with its second LXD server up: stop it first */
	t_lxd_second_kill(f->dir);
	t_rmtree(f->dir);
	free(f->dir);
	free(f->recipes);
	free(f->recipe);
	free(f->source);
	free(f->cache);
	free(f->json);
	free(f->counter);
	free(f);
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs a host-backend build of the test source; returns the exit code. */
static int host_build(struct fx *f, const char *env, const char *extra)
{
	return t_sh("SF_TEST_COUNTER='%s' %s '%s' build --backend host --recipe '%s' "
		    "--source '%s' --cache-dir '%s' --json '%s' --quiet "
		    "--source-date-epoch 1746646020 %s >/dev/null 2>&1",
		    f->counter, env, t_bin(), f->recipe, f->source, f->cache, f->json, extra);
}

static int counter(const struct fx *f)
{
	struct strbuf sb = STRBUF_INIT;
	int n = 0;

	if (!t_read(f->counter, &sb))
		n = (int)strtol(sb.buf, NULL, 10);
	strbuf_release(&sb);
	return n;
}

static char *stage_prop(struct json_object *r, const char *stage, const char *prop)
{
	struct json_object *stages, *s, *props, *v;
	size_t i;

	if (!json_object_object_get_ex(r, "stages", &stages))
		return NULL;
	for (i = 0; i < json_object_array_length(stages); i++) {
		s = json_object_array_get_idx(stages, i);
		if (!json_object_object_get_ex(s, "name", &v) ||
		    strcmp(json_object_get_string(v), stage))
			continue;
		if (json_object_object_get_ex(s, "properties", &props) &&
		    json_object_object_get_ex(props, prop, &v))
			return xstrdup(json_object_get_string(v));
	}
	return NULL;
}

/* Findings whose rule starts with `prefix` over the whole report. */
static size_t count_rules(struct json_object *r, const char *prefix)
{
	struct json_object *stages, *checks, *findings, *v;
	size_t i, j, k, n = 0;

	if (!json_object_object_get_ex(r, "stages", &stages))
		return (size_t)-1;
	for (i = 0; i < json_object_array_length(stages); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(stages, i), "checks",
					       &checks))
			continue;
		for (j = 0; j < json_object_array_length(checks); j++) {
			if (!json_object_object_get_ex(json_object_array_get_idx(checks, j),
						       "findings", &findings))
				continue;
			for (k = 0; k < json_object_array_length(findings); k++)
				if (json_object_object_get_ex(json_object_array_get_idx(findings, k),
							      "rule", &v) &&
				    !strncmp(json_object_get_string(v), prefix, strlen(prefix)))
					n++;
		}
	}
	return n;
}

static size_t leftovers(const struct fx *f)
{
	struct strbuf out = STRBUF_INIT;
	size_t n;

	t_sh_capture(&out, "ls -A '%s/builds' 2>/dev/null | grep -c '^\\.tmp' || true", f->cache);
	n = (size_t)strtoul(out.buf, NULL, 10);
	strbuf_release(&out);
	return n;
}

/*
 * Every log the report attaches, existing after the run; how many there are
 * (at least `min`).
 */
static void expect_attachments_exist(struct json_object *r, size_t min)
{
	struct json_object *stages, *checks, *logs;
	size_t i, j, k, n = 0;

	assert_true(json_object_object_get_ex(r, "stages", &stages));
	for (i = 0; i < json_object_array_length(stages); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(stages, i), "checks",
					       &checks))
			continue;
		for (j = 0; j < json_object_array_length(checks); j++) {
			if (!json_object_object_get_ex(json_object_array_get_idx(checks, j),
						       "logs", &logs))
				continue;
			for (k = 0; k < json_object_array_length(logs); k++, n++) {
				const char *p = json_object_get_string(
					json_object_array_get_idx(logs, k));
				if (!t_exists(p))
					fail_msg("the report attaches %s, which does not exist", p);
			}
		}
	}
	assert_true(n >= min);
}

static void build__fake_recipe_is_packaged_verified_then_a_cache_hit(void **state)
{
	struct fx *f = *state;
	struct json_object *r;
	char *sha1, *sha2, *cache, *exported;
	double t;

	assert_int_equal(host_build(f, "", ""), 0);
	assert_int_equal(counter(f), 1);
	r = t_report_load(f->json);
	assert_non_null(r);
	assert_int_equal(t_report_checks(r, "recipe", "pass"), 1);
	assert_int_equal(t_report_checks(r, "needed [prefix 3]", "pass"), 1);
	assert_int_equal(count_rules(r, "rpath-") + count_rules(r, "needed-"), 0);
	sha1 = stage_prop(r, "package", "sha256");
	assert_non_null(sha1);
	/* the build log is attached where it stays: in the cache entry */
	expect_attachments_exist(r, 1);
	json_object_put(r);
	/* the reference layout, through the version link */
	assert_int_equal(t_sh("cd '%s/builds/24.11.5' && sha256sum -c --quiet SHA256SUMS && "
			      "tar -tzf slurm-24.11.5-software.tar.gz | grep -qx software/bin/hello && "
			      "tar -tzf slurm-24.11.5-module.tar.gz | grep -qx slurm/24.11.5.lua && "
			      "grep -q 'fake recipe' logs/build.log && "
			      "grep -q '\"commit\"' manifest.json", f->cache), 0);

	exported = xasprintf("--output-dir '%s/exported'", f->dir);
	t = now();
	assert_int_equal(host_build(f, "", exported), 0);
	t = now() - t;
	assert_int_equal(t_sh("cd '%s/exported' && sha256sum -c --quiet SHA256SUMS", f->dir), 0);
	free(exported);
	assert_true(t < 5.0);
	assert_int_equal(counter(f), 1);  /* the recipe did not run again */
	r = t_report_load(f->json);
	assert_non_null(r);
	cache = stage_prop(r, "build", "cache");
	sha2 = stage_prop(r, "package", "sha256");
	assert_string_equal(cache, "hit");
	assert_string_equal(sha1, sha2);
	assert_int_equal(t_report_checks(r, "launch", "pass"), 0);
	assert_int_equal(t_report_checks(r, "needed [prefix 3]", "pass"), 1);
	/* a cache hit attaches the cached build's logs */
	expect_attachments_exist(r, 1);
	json_object_put(r);
	assert_int_equal(leftovers(f), 0);
	fprintf(stderr, "# fake recipe: cache hit in %.2f s\n", t);
	free(sha1);
	free(sha2);
	free(cache);
}

static void build__no_cache_rebuild_is_byte_identical(void **state)
{
	struct fx *f = *state;
	struct json_object *r;
	char *a, *b, *m;

	assert_int_equal(host_build(f, "", ""), 0);
	r = t_report_load(f->json);
	a = stage_prop(r, "package", "sha256");
	json_object_put(r);
	assert_int_equal(t_sh("sleep 1"), 0);   /* other mtimes on disk */
	assert_int_equal(host_build(f, "", "--no-cache"), 0);
	assert_int_equal(counter(f), 2);
	r = t_report_load(f->json);
	b = stage_prop(r, "package", "sha256");
	m = stage_prop(r, "build", "cache");
	json_object_put(r);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_string_equal(m, "bypassed");
	/* another option is another cache entry, not a hit */
	assert_int_equal(host_build(f, "", "--format zst"), 0);
	assert_int_equal(counter(f), 3);
	assert_int_equal(t_sh("test -f '%s/builds/24.11.5/slurm-24.11.5-software.tar.zst'",
			      f->cache), 0);
	free(a);
	free(b);
	free(m);
}

static void build__failing_recipe_shows_the_log_tail_and_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct json_object *r;
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(host_build(f, "SF_TEST_FAIL=1", ""), 1);
	r = t_report_load(f->json);
	assert_non_null(r);
	assert_int_equal(t_report_checks(r, "recipe", "fail"), 1);
	json_object_put(r);
	assert_int_equal(t_read(f->json, &out), 0);
	assert_non_null(strstr(out.buf, "recipe failed (exit 3"));
	assert_non_null(strstr(out.buf, "configure: error: libfoo is missing"));
	assert_int_equal(leftovers(f), 0);
	assert_int_equal(t_sh("test ! -e '%s/builds/24.11.5' && ! ls '%s/builds/by-key/'* "
			      ">/dev/null 2>&1", f->cache, f->cache), 0);
	/* the log is kept for the post-mortem and named in the report */
	assert_int_equal(t_sh("grep -l 'libfoo is missing' '%s'/logs/build-24.11.5-*.log "
			      ">/dev/null", f->cache), 0);
	strbuf_release(&out);
}

/* Starts a build in the background, SIGINTs it once the recipe sleeps. */
static void interrupt_build(struct fx *f, const char *args, const char *pidfile, int *rc)
{
	struct strbuf out = STRBUF_INIT;
	int i;

	assert_int_equal(t_sh("SF_TEST_COUNTER='%s' SF_TEST_SLEEP='%s' '%s' build %s "
			      "--cache-dir '%s' --json '%s' --quiet --source-date-epoch 1 "
			      ">/dev/null 2>&1 & echo $! > '%s/sf.pid'",
			      f->counter, pidfile, t_bin(), args, f->cache, f->json, f->dir), 0);
	for (i = 0; i < 600 && !t_exists(pidfile); i++)
		usleep(100000);
	assert_true(t_exists(pidfile));
	assert_int_equal(t_sh("kill -INT $(cat '%s/sf.pid')", f->dir), 0);
	for (i = 0; i < 300; i++) {
		if (t_sh("kill -0 $(cat '%s/sf.pid') 2>/dev/null", f->dir))
			break;
		usleep(100000);
	}
	assert_true(i < 300);
	{
		struct json_object *r = t_report_load(f->json);
		*rc = r ? 0 : -1;
		if (r)
			json_object_put(r);
	}
	strbuf_release(&out);
}

static void build__sigint_during_the_recipe_leaves_nothing_partial(void **state)
{
	struct fx *f = *state;
	char *pidfile = xasprintf("%s/recipe.pid", f->dir), *args;
	struct json_object *r;
	int rc;

	args = xasprintf("--backend host --recipe '%s' --source '%s'", f->recipe, f->source);
	interrupt_build(f, args, pidfile, &rc);
	assert_int_equal(rc, 0);
	r = t_report_load(f->json);
	assert_true(json_object_get_boolean(json_object_object_get(r, "interrupted")));
	json_object_put(r);
	/* the recipe's process group was killed, nothing partial in builds/ */
	assert_int_not_equal(t_sh("kill -0 $(cat '%s') 2>/dev/null", pidfile), 0);
	assert_int_equal(leftovers(f), 0);
	assert_int_equal(t_sh("! ls '%s/builds/by-key/'* >/dev/null 2>&1", f->cache), 0);
	free(pidfile);
	free(args);
}

/* The build image's alias ('image build' reuses it when it exists). */
static char *image_alias(void)
{
	struct strbuf out = STRBUF_INIT;
	char *nl;

	if (t_sh_capture(&out, "cd '%s' && '%s' image build 2>/dev/null | tail -1",
			 t_srcdir(), t_bin()))
		return NULL;
	nl = strchr(out.buf, '\n');
	if (nl)
		*nl = '\0';
	if (strncmp(out.buf, "sf-build-", 9)) {
		strbuf_release(&out);
		return NULL;
	}
	return strbuf_detach(&out);
}

static void chomp(struct strbuf *sb)
{
	while (sb->len && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r'))
		strbuf_setlen(sb, sb->len - 1);
}

/*
 * Waits (2 min at most) until the recipe of the build whose pid is in
 * <dir>/sf.pid wrote /sf/out/pid in its container; that container's name
 * into `name`. 0, or -1.
 */
static int wait_for_recipe(const struct fx *f, struct strbuf *name)
{
	char *path = xasprintf("%s/sf.pid", f->dir);
	struct strbuf pid = STRBUF_INIT;
	char *end;
	long n;
	int ret = -1;

	if (!t_read(path, &pid)) {
		n = strtol(pid.buf, &end, 10);
		if (end != pid.buf && n > 0 && t_lxd_wait_file(n, "/sf/out/pid", 120, name))
			ret = 0;
	}
	strbuf_release(&pid);
	free(path);
	return ret;
}

/* The fake recipe for the build image: nothing of the test's environment there. */
static char *lxd_fake_recipe(void)
{
	return xasprintf("#!/bin/sh\nSF_TEST_COUNTER=/tmp/counter\n%s",
			 strchr(fake_recipe, '\n') + 1);
}

static void build__sigint_in_lxd_deletes_the_container(void **state)
{
	struct fx *f = *state;
	char *alias = image_alias(), *args;
	struct strbuf name = STRBUF_INIT;
	struct json_object *r;
	int i;

	assert_non_null(alias);
	/* in the container only the recipe's own environment exists: a recipe that waits */
	assert_int_equal(t_writestr(f->recipe, "#!/bin/sh\necho $$ > \"$SF_OUT/pid\"\n"
				    "exec >>\"$SF_OUT/build.log\" 2>&1\nsleep 120\n"), 0);
	args = xasprintf("--backend lxd --image %s --recipe '%s' --source '%s'", alias, f->recipe,
			 f->source);
	assert_int_equal(t_sh("'%s' build %s --cache-dir '%s' --json '%s' --quiet "
			      "--source-date-epoch 1 >/dev/null 2>&1 & echo $! > '%s/sf.pid'",
			      t_bin(), args, f->cache, f->json, f->dir), 0);
	/* the pid file appears in the container's /sf/out: the recipe runs */
	assert_int_equal(wait_for_recipe(f, &name), 0);
	assert_int_equal(t_sh("kill -INT $(cat '%s/sf.pid')", f->dir), 0);
	for (i = 0; i < 600; i++) {
		if (t_sh("kill -0 $(cat '%s/sf.pid') 2>/dev/null", f->dir))
			break;
		usleep(100000);
	}
	assert_true(i < 600);
	r = t_report_load(f->json);
	assert_non_null(r);
	assert_true(json_object_get_boolean(json_object_object_get(r, "interrupted")));
	assert_int_equal(t_report_checks(r, "cleanup", "pass"), 1);
	json_object_put(r);
	/* no container of this process is left, nothing partial in builds/ */
	assert_int_equal(t_sh("for c in $(lxc list --format csv -c n | grep '^sf-build-'); do "
			      "lxc config get \"$c\" user.slurm-factory.pid | "
			      "grep -qx \"$(cat '%s/sf.pid')\" && exit 1; done; exit 0", f->dir), 0);
	assert_int_equal(leftovers(f), 0);
	free(alias);
	free(args);
	strbuf_release(&name);
}

/*
 * SIGKILL: the tool cannot clean up. Its container keeps running (LXD
 * deletes an ephemeral container when it stops, not when its client dies)
 * until `gc` sees that the process that made it is gone; the cache volume
 * is intact and the next build works.
 */
static void build__sigkill_in_lxd_then_gc_and_the_next_build_works(void **state)
{
	struct fx *f = *state;
	char *alias = image_alias(), *args, *good = lxd_fake_recipe(), *api_sha;
	struct strbuf c = STRBUF_INIT, vol = STRBUF_INIT, out = STRBUF_INIT;
	struct json_object *r;
	int i;

	assert_non_null(alias);
	assert_int_equal(t_writestr(f->recipe, "#!/bin/sh\necho $$ > \"$SF_OUT/pid\"\n"
				    "exec >>\"$SF_OUT/build.log\" 2>&1\nsleep 300\n"), 0);
	args = xasprintf("--backend lxd --image %s --recipe '%s' --source '%s' --cache-dir '%s' "
			 "--json '%s' --quiet --source-date-epoch 1", alias, f->recipe, f->source,
			 f->cache, f->json);
	assert_int_equal(t_sh("'%s' build %s >/dev/null 2>&1 & echo $! > '%s/sf.pid'",
			      t_bin(), args, f->dir), 0);
	assert_int_equal(wait_for_recipe(f, &c), 0);
	assert_int_equal(t_sh_capture(&vol, "lxc config device get '%s' sf-cache source", c.buf), 0);
	chomp(&vol);
	assert_int_equal(strncmp(vol.buf, "sf-cache-", 9), 0);
	assert_int_equal(t_sh("kill -KILL $(cat '%s/sf.pid')", f->dir), 0);
	for (i = 0; i < 100 && !t_sh("kill -0 $(cat '%s/sf.pid') 2>/dev/null", f->dir); i++)
		usleep(100000);
	assert_true(i < 100);
	/* nobody cleaned up: the container is still there, then gc removes it */
	assert_int_equal(t_sh("lxc info '%s' >/dev/null 2>&1", c.buf), 0);
	assert_int_equal(t_sh_capture(&out, "'%s' gc 2>&1", t_bin()), 0);
	assert_non_null(strstr(out.buf, c.buf));
	assert_int_not_equal(t_sh("lxc info '%s' >/dev/null 2>&1", c.buf), 0);
	assert_int_equal(t_sh("lxc storage volume show default '%s' >/dev/null", vol.buf), 0);
	/* and the next build works, with the same volume */
	assert_int_equal(t_writestr(f->recipe, good), 0);
	assert_int_equal(t_sh("'%s' build %s >/dev/null 2>&1", t_bin(), args), 0);
	r = t_report_load(f->json);
	assert_non_null(r);
	assert_string_equal(t_stage_prop(r, "build", "cache_volume"), vol.buf);
	assert_string_equal(t_stage_prop(r, "build", "lxd_privileged"), "false");
	assert_string_equal(t_stage_prop(r, "build", "lxd_transfer"), "api");
	assert_int_equal(t_report_checks(r, "cleanup", "pass"), 1);
	api_sha = xstrdup(t_stage_prop(r, "package", "sha256"));
	json_object_put(r);
	assert_int_equal(t_sh("tar -tzf '%s'/builds/24.11.5/slurm-24.11.5-software.tar.gz | "
			      "grep -qx software/bin/hello", f->cache), 0);
	/* the old way on request: privileged, host directories as disk devices; same bytes */
	assert_int_equal(t_sh("'%s' build %s --no-cache --lxd-privileged --lxd-transfer disk "
			      ">/dev/null 2>&1", t_bin(), args), 0);
	r = t_report_load(f->json);
	assert_string_equal(t_stage_prop(r, "build", "lxd_transfer"), "disk");
	assert_string_equal(t_stage_prop(r, "build", "lxd_privileged"), "true");
	assert_string_equal(t_stage_prop(r, "package", "sha256"), api_sha);
	json_object_put(r);
	free(api_sha);
	free(alias);
	free(args);
	free(good);
	strbuf_release(&c);
	strbuf_release(&vol);
	strbuf_release(&out);
}

/*
 * A recipe that tries to get out of its container: write where the host's
 * files are, load a kernel module, make a block device and mount file
 * systems only the host's root may, reach a service on the host's
 * loopback. Every attempt fails inside, the host has nothing of it.
 */
static void build__hostile_recipe_cannot_reach_the_host(void **state)
{
	struct fx *f = *state;
	char *alias = image_alias(), *recipe, *probe = xasprintf("%s/host-probe", f->dir);
	struct strbuf report = STRBUF_INIT;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int lfd;
	static const char *const attempts[] = { "host-file", "host-file-via-proc",
		"kernel-module", "block-device", "mount-debugfs", "remount-sysfs-rw",
		"host-loopback", "interfaces", "uid-map", NULL };
	size_t i;

	assert_non_null(alias);
	/* a service on the host's loopback the recipe tries to reach */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	recipe = xasprintf(
		"#!/bin/bash\n"
		"try() { if bash -c \"$2\" >/dev/null 2>&1; then echo \"ESCAPED: $1\"; "
		"else echo \"blocked: $1\"; fi; }\n"
		"try host-file 'mkdir -p %s && echo pwned > %s && test -e %s && exit 1'\n"
		"try host-file-via-proc 'echo pwned > /proc/1/root%s && test -e %s && exit 1'\n"
		"try kernel-module 'perl -e \"syscall(175, \\\"\\\", 0, \\\"\\\") == 0 or "
		"exit(\\$!{EPERM} ? 1 : 0)\"'\n"
		"try block-device 'mknod /tmp/hostdisk b 8 0'\n"
		"try mount-debugfs 'mkdir -p /mnt/d && mount -t debugfs none /mnt/d'\n"
		"try remount-sysfs-rw 'mount -o remount,rw /sys && touch /sys/kernel/uevent_helper'\n"
		"try host-loopback 'exec 3<>/dev/tcp/127.0.0.1/%u'\n"
		"try interfaces 'test \"$(ls /sys/class/net)\" != lo'\n"
		"try uid-map 'read -r a b c < /proc/self/uid_map; test \"$b\" = 0'\n"
		"exit 3\n",
		f->dir, probe, probe, probe, probe, (unsigned)ntohs(sa.sin_port));
	assert_int_equal(t_writestr(f->recipe, recipe), 0);
	assert_int_equal(t_sh("'%s' build --backend lxd --image %s --recipe '%s' --source '%s' "
			      "--cache-dir '%s' --json '%s' --quiet --source-date-epoch 1 "
			      ">/dev/null 2>&1", t_bin(), alias, f->recipe, f->source, f->cache,
			      f->json), 1);
	assert_int_equal(t_read(f->json, &report), 0);
	for (i = 0; attempts[i]; i++) {
		char *want = xasprintf("blocked: %s", attempts[i]);
		if (!strstr(report.buf, want))
			fail_msg("'%s' not in the recipe's output: %s", want, report.buf);
		free(want);
	}
	assert_null(strstr(report.buf, "ESCAPED"));
	/* nothing reached the host: no file, no connection */
	assert_false(t_exists(probe));
	{
		struct pollfd pfd = { lfd, POLLIN, 0 };
		assert_int_equal(poll(&pfd, 1, 0), 0);
	}
	close(lfd);
	assert_int_equal(leftovers(f), 0);
	free(alias);
	free(recipe);
	free(probe);
	strbuf_release(&report);
}

/*
 * A real build exited `rc`: 0, and verify passed at 3 prefixes with no
 * RPATH or unresolved-library finding. Returns the report (caller puts it).
 */
static struct json_object *expect_relocatable(struct fx *f, int rc)
{
	struct json_object *r;

	if (rc)
		t_sh("cat '%s' >&2; tail -n 30 '%s'/logs/*.log >&2", f->json, f->cache);
	assert_int_equal(rc, 0);
	r = t_report_load(f->json);
	assert_non_null(r);
	assert_int_equal(t_report_checks(r, "rpath [prefix", "pass"), 3);
	assert_int_equal(t_report_checks(r, "needed [prefix", "pass"), 3);
	assert_int_equal(count_rules(r, "rpath-") + count_rules(r, "needed-"), 0);
	return r;
}

/* The real thing: Slurm 24.11 from the Debian-derived repository, in LXD. */
/* A real build of the local Slurm repository with `args`, into the test's cache; its exit status. */
static int real_build(struct fx *f, const char *args)
{
	char *repo = xasprintf("%s/.slurm-factory/upstream/slurm.git", getenv("HOME"));
	int rc = t_sh("cd '%s' && '%s' build %s --repo '%s' --cache-dir '%s' --json '%s' --quiet",
		      t_srcdir(), t_bin(), args, repo, f->cache, f->json);

	free(repo);
	return rc;
}

/*
 * Smoke of the cached build of `version` at one prefix in the runtime
 * container (`extra`: more options); its report, the run passed.
 */
static struct json_object *smoke_cached(struct fx *f, const char *version, const char *extra)
{
	struct strbuf alias = STRBUF_INIT;
	char *sj = xasprintf("%s/smoke-%s.json", f->dir, version);
	struct json_object *r;
	int rc;

	assert_int_equal(t_runtime_image(&alias), 0);
	rc = t_sh("cd '%s' && '%s' smoke '%s/builds/%s/slurm-%s-software.tar.gz' "
		  "'%s/builds/%s/slurm-%s-module.tar.gz' --runtime-image '%s' "
		  "--prefixes 1 --reprove --json '%s' --quiet %s", t_srcdir(), t_bin(), f->cache,
		  version, version, f->cache, version, version, alias.buf, sj, extra);
	if (rc)
		t_sh("cat '%s' >&2", sj);
	assert_int_equal(rc, 0);
	r = t_report_load(sj);
	assert_non_null(r);
	free(sj);
	strbuf_release(&alias);
	return r;
}

static void build__slurm_24_11_is_relocatable_cached_and_reproducible(void **state)
{
	struct fx *f = *state;
	char *repo = xasprintf("%s/.slurm-factory/upstream/slurm.git", getenv("HOME"));
	char *cold_sha, *warm_sha, *hit;
	struct json_object *r;
	struct t_lxd_https h;
	double cold, hitt, warm, xfer_cold;
	char *cmd;
	int rc;

	/*
	 * The default cache, as `make run` and a user's build use it: what
	 * this test builds is what test_pipeline_e2e's run then finds there
	 * (a cache hit: it proves the same bytes without building them twice)
	 */
	free(f->cache);
	f->cache = xasprintf("%s/.slurm-factory", getenv("HOME"));
	cmd = xasprintf("build --slurm-version 24.11 --repo '%s' --json '%s' --quiet", repo, f->json);
	assert_int_equal(t_sh("cd '%s' && test -d '%s'", t_srcdir(), repo), 0);
	/*
	 * cold: no cache volume on the server either (gc --volumes removes
	 * them), and --no-cache past what an earlier run left in the cache
	 */
	assert_int_equal(t_sh("'%s' gc --volumes --quiet", t_bin()), 0);
	assert_int_equal(t_sh("! lxc storage volume list default --format csv | grep -q sf-cache-"), 0);
	cold = now();
	rc = t_sh("cd '%s' && '%s' %s --no-cache", t_srcdir(), t_bin(), cmd);
	cold = now() - cold;
	r = expect_relocatable(f, rc);
	cold_sha = stage_prop(r, "package", "sha256");
	/* unprivileged, nothing of this machine shared: the inputs and outputs moved */
	assert_string_equal(t_stage_prop(r, "build", "lxd_privileged"), "false");
	assert_string_equal(t_stage_prop(r, "build", "lxd_transfer"), "api");
	assert_string_equal(t_stage_prop(r, "build", "cache_volume_created"), "true");
	xfer_cold = strtod(t_stage_prop(r, "build", "transfer_in_seconds"), NULL) +
		    strtod(t_stage_prop(r, "build", "transfer_out_seconds"), NULL);
	fprintf(stderr, "# cold build's transfers: in %s s (%s bytes), out %s s (%s bytes)\n",
		t_stage_prop(r, "build", "transfer_in_seconds"),
		t_stage_prop(r, "build", "transfer_in_bytes"),
		t_stage_prop(r, "build", "transfer_out_seconds"),
		t_stage_prop(r, "build", "transfer_out_bytes"));
	json_object_put(r);
	assert_int_equal(t_sh("cd '%s/builds/24.11.5' && sha256sum -c --quiet SHA256SUMS && "
			      "tar -tzf slurm-24.11.5-software.tar.gz | grep -qx "
			      "software/lib/slurm/libslurmfull.so && "
			      "tar -tzf slurm-24.11.5-software.tar.gz | grep -q '^software/lib/libmunge.so' && "
			      "! tar -tzf slurm-24.11.5-software.tar.gz | grep -q '\\.la$\\|libnss_\\|/libc\\.so'",
			      f->cache), 0);
	/*
	 * the full build has PMIx: mpi/pmix built, libpmix declared
	 * host-provided (with why) and not in the tree; the plugins check names it
	 */
	assert_int_equal(t_sh("cd '%s/builds/24.11.5' && grep -qx pmix=yes logs/features.txt && "
			      "tar -tzf slurm-24.11.5-software.tar.gz | grep -qx software/lib/slurm/mpi_pmix.so && "
			      "! tar -tzf slurm-24.11.5-software.tar.gz | grep -q 'libpmix' && "
			      "grep -q '\"name\": \"libpmix.so.2\"' manifest.json && "
			      "grep -q 'MCA components' manifest.json", f->cache), 0);
	/*
	 * every grafted library's Debian package, as the image's dpkg knows
	 * it (its package list, kept beside its export; else this host's,
	 * the same Debian release), in the manifest for an SBOM
	 */
	r = t_report_load(f->json);
	assert_int_equal(t_sh("cd '%s/builds/24.11.5' && "
			      "test $(wc -l < logs/grafted-packages.txt) -eq $(wc -l < logs/grafted.txt) && "
			      "! cut -f2 logs/grafted-packages.txt | grep -qx -- - && "
			      "v=$( (grep -h '^libmunge2=' \"$HOME/.slurm-factory/images/%s.packages\" "
			      "2>/dev/null || echo \"=$(dpkg-query -W -f '${Version}' libmunge2)\") | "
			      "head -n 1 | cut -d= -f2) && "
			      "grep -q \"^libmunge.so.2\tlibmunge2\t$v\tmunge\t\" logs/grafted-packages.txt && "
			      "grep -q '\"grafted_packages\"' manifest.json",
			      f->cache, t_stage_prop(r, "build", "image")), 0);
	json_object_put(r);
	r = t_report_load(f->json);
	assert_non_null(strstr(json_object_to_json_string(r), "mpi_pmix"));
	assert_int_equal(t_report_checks(r, "plugins", "pass"), 1);
	json_object_put(r);

	/*
	 * this bookworm package on an older system: verify gated on
	 * bullseye's glibc and a real cluster smoke in a bullseye runtime
	 * container both refuse it, naming GLIBC_2.34 (the two gates agree;
	 * test_bases proves the bullseye-built package on all three)
	 */
	{
		char *vj = xasprintf("%s/v231.json", f->dir), *sj = xasprintf("%s/s231.json", f->dir);
		assert_int_equal(t_sh("cd '%s/builds/24.11.5' && '%s' verify slurm-24.11.5-software.tar.gz "
				      "--max-glibc 2.31 --prefixes 1 --json '%s' --quiet", f->cache,
				      t_bin(), vj), 1);
		r = t_report_load(vj);
		assert_int_equal(t_report_checks(r, "glibc floor", "fail"), 1);
		assert_non_null(strstr(json_object_to_json_string(r), "GLIBC_2.34"));
		assert_non_null(strstr(json_object_to_json_string(r), "(--max-glibc 2.31)"));
		json_object_put(r);
		assert_int_equal(t_sh("cd '%s/builds/24.11.5' && '%s' smoke slurm-24.11.5-software.tar.gz "
				      "slurm-24.11.5-module.tar.gz --runtime-base bullseye --prefixes 1 "
				      "--json '%s' --quiet", f->cache, t_bin(), sj), 1);
		r = t_report_load(sj);
		assert_int_equal(t_report_checks(r, "glibc", "fail"), 1);
		assert_non_null(strstr(json_object_to_json_string(r), "the package needs GLIBC_2.34 "
				       "(its glibc floor); bullseye has glibc 2.31"));
		/* and the real run there: the loader refuses the tree's programs */
		assert_true(t_report_checks(r, "prefix 1: ", "fail") >= 1);
		assert_non_null(strstr(json_object_to_json_string(r), "not found (required by"));
		assert_string_equal(t_stage_prop(r, "smoke", "failed_on"), "bullseye");
		assert_string_equal(t_stage_prop(r, "smoke", "proven_on"), "");
		json_object_put(r);
		free(vj);
		free(sj);
	}

	hitt = now();
	assert_int_equal(t_sh("cd '%s' && '%s' %s", t_srcdir(), t_bin(), cmd), 0);
	hitt = now() - hitt;
	r = t_report_load(f->json);
	hit = stage_prop(r, "build", "cache");
	assert_string_equal(hit, "hit");
	assert_int_equal(t_report_checks(r, "launch", "pass"), 0);
	json_object_put(r);
	assert_true(hitt < 5.0);

	/*
	 * warm, through the daemon's HTTPS listener as a remote server would
	 * be reached: nothing of this machine can be shared (a disk transfer
	 * is refused), the server's cache volume makes it warm, and the bytes
	 * are the same as the local cold build's
	 */
	/* the cold build's release, for the diff against the warm one below */
	assert_int_equal(t_sh("mkdir '%s/cold' && cp -a '%s/builds/24.11.5/.' '%s/cold/'",
			      f->dir, f->cache, f->dir), 0);
	assert_int_equal(t_lxd_https_start(f->dir, "18444", &h), 0);
	assert_int_equal(t_sh("'%s' build --lxd-transfer disk --lxd-privileged %s "
			      "--slurm-version 24.11 2>/dev/null", t_bin(), h.args), 129);
	warm = now();
	rc = t_sh("cd '%s' && '%s' %s --no-cache %s", t_srcdir(), t_bin(), cmd, h.args);
	warm = now() - warm;
	r = expect_relocatable(f, rc);
	warm_sha = stage_prop(r, "package", "sha256");
	assert_string_equal(t_stage_prop(r, "build", "cache_volume_created"), "false");
	assert_string_equal(t_stage_prop(r, "build", "lxd_server"), h.url);
	json_object_put(r);
	fprintf(stderr, "# slurm 24.11.5: cold %.1f s (transfers %.2f s = %.1f %%), cache hit "
		"%.2f s, ccache-warm rebuild over HTTPS %.1f s (%.1fx); software sha256 cold %s "
		"warm %s\n", cold, xfer_cold, 100.0 * xfer_cold / cold, hitt, warm, cold / warm,
		cold_sha, warm_sha);
	assert_string_equal(cold_sha, warm_sha);
	/*
	 * cold vs warm, the same inputs: `diff` finds no change at all, and
	 * both SBOMs are byte-identical; the real SBOMs validate
	 */
	assert_int_equal(t_sh("cd '%s' && '%s' diff cold '%s/builds/24.11.5' --json diff.json --quiet",
			      f->dir, t_bin(), f->cache), 0);
	{
		char *dj = xasprintf("%s/diff.json", f->dir);
		r = t_report_load(dj);
		assert_non_null(r);
		assert_int_equal(t_report_count(r, NULL, NULL), 0);
		assert_int_equal(t_report_checks(r, "grafted libraries", "pass"), 1);
		assert_non_null(strstr(json_object_to_json_string(r), "Debian package changed: none"));
		json_object_put(r);
		free(dj);
	}
	assert_int_equal(t_sh("cd '%s' && cmp cold/slurm-24.11.5.cdx.json '%s/builds/24.11.5/slurm-24.11.5.cdx.json' && "
			      "cmp cold/slurm-24.11.5.spdx.json '%s/builds/24.11.5/slurm-24.11.5.spdx.json' && "
			      "'%s/tests/sbom-validate.sh' cdx cold/slurm-24.11.5.cdx.json && "
			      "'%s/tests/sbom-validate.sh' spdx cold/slurm-24.11.5.spdx.json",
			      f->dir, f->cache, f->cache, t_srcdir(), t_srcdir()), 0);
	/*
	 * and its smoke on a second LXD server of its own (own daemon, pool,
	 * port; nothing of this machine's LXD): the runtime image is uploaded
	 * from its export, the tree goes in through the API
	 */
	t_lxd_https_stop(&h);
	assert_int_equal(t_lxd_second_start(f->dir, "18445", &h), 0);
	r = smoke_cached(f, "24.11.5", h.args);
	assert_int_equal(t_report_checks(r, "prefix 1: srun", "pass"), 1);
	/* MPI through PMIx from the relocated tree; the real loader finds nothing missing */
	assert_int_equal(t_report_checks(r, "prefix 1: mpi", "pass"), 1);
	assert_int_equal(t_report_checks(r, "prefix 1: libraries", "pass"), 1);
	assert_int_equal(t_report_checks(r, "environment", "pass"), 1);
	assert_non_null(strstr(json_object_to_json_string(r), "unprivileged"));
	assert_int_equal(t_report_checks(r, "runtime image", "pass"), 1);
	assert_non_null(strstr(json_object_to_json_string(r), "imported from its export"));
	json_object_put(r);
	t_lxd_second_stop(f->dir, &h);
	free(repo);
	free(cmd);
	free(cold_sha);
	free(warm_sha);
	free(hit);
}

/*
 * --gpu: the GPU build image (NVML's header from Debian non-free), both GPU
 * plugins, the driver's libraries declared host-provided and never in the
 * tree; verify passes with exactly that declaration, and fails when the
 * tree ships one; the smoke runs slurmd with GresTypes=gpu and AutoDetect.
 */
static void build__slurm_24_11_gpu_has_nvml_and_rsmi_with_the_driver_declared(void **state)
{
	struct fx *f = *state;
	char *dir = xasprintf("%s/builds/24.11.5", f->cache), *vj = xasprintf("%s/v.json", f->dir);
	struct json_object *r;
	double t;
	int rc;

	/*
	 * the GPU build image made by the build, always: derived from the
	 * build image (exported from LXD: this test's cache is new), not a
	 * second debootstrap
	 */
	assert_int_equal(t_sh("for a in $(lxc image list --format csv -c l | grep '^sf-build-gpu-'); do "
			      "lxc image delete \"$a\" || exit 1; done"), 0);
	t = now();
	rc = real_build(f, "--slurm-version 24.11 --gpu");
	t = now() - t;
	r = expect_relocatable(f, rc);
	assert_non_null(strstr(t_stage_prop(r, "build", "image"), "sf-build-gpu-"));
	assert_int_equal(t_report_checks(r, "derive", "pass"), 1);
	assert_int_equal(t_report_checks(r, "debootstrap", NULL), 0);
	assert_non_null(strstr(json_object_to_json_string(r), "gpu_nvml, gpu_rsmi"));
	json_object_put(r);
	assert_int_equal(t_sh("cd '%s' && grep -qx nvml=yes logs/features.txt && "
			      "grep -qx rsmi=yes logs/features.txt && "
			      "tar -tzf slurm-24.11.5-software.tar.gz | grep -qx software/lib/slurm/gpu_nvml.so && "
			      "tar -tzf slurm-24.11.5-software.tar.gz | grep -qx software/lib/slurm/gpu_rsmi.so && "
			      "! tar -tzf slurm-24.11.5-software.tar.gz | grep -q 'libnvidia\\|libcuda\\|librocm' && "
			      "grep -q '\"name\": \"libnvidia-ml.so.1\"' manifest.json && "
			      "grep -q '\"name\": \"librocm_smi64.so\"' manifest.json", dir), 0);
	fprintf(stderr, "# slurm 24.11.5 --gpu: %.1f s (the GPU build image included)\n", t);
	/* verify with the manifest: exactly its names accepted, none in the tree */
	assert_int_equal(t_sh("'%s' verify '%s/slurm-24.11.5-software.tar.gz' --manifest '%s/manifest.json' "
			      "--prefixes 1 --json '%s' --quiet", t_bin(), dir, dir, vj), 0);
	r = t_report_load(vj);
	assert_non_null(strstr(json_object_to_json_string(r), "5 declared by the manifest"));
	assert_string_equal(t_stage_prop(r, "verify", "host_provided"),
			    "libpmix.so.2, libnvidia-ml.so.1, libnvidia-ml.so, libcuda.so.1, librocm_smi64.so");
	json_object_put(r);
	/* a tree that ships a declared driver library fails */
	assert_int_equal(t_sh("cd '%s' && mkdir -p x && tar -C x -xzf '%s/slurm-24.11.5-software.tar.gz' && "
			      "cp x/software/lib/libmunge.so.2 x/software/lib/libnvidia-ml.so.1 && "
			      "tar -C x -czf shipped.tar.gz software", f->dir, dir), 0);
	rc = t_sh("cd '%s' && '%s' verify shipped.tar.gz --manifest '%s/manifest.json' --prefixes 1 "
		  "--json '%s' --quiet", f->dir, t_bin(), dir, vj);
	assert_int_equal(rc, 1);
	r = t_report_load(vj);
	assert_non_null(strstr(json_object_to_json_string(r), "host-provided-shipped"));
	json_object_put(r);
	/* slurmd with GresTypes=gpu and the plugins; their libraries resolve in the tree or are declared */
	r = smoke_cached(f, "24.11.5", "");
	assert_int_equal(t_report_checks(r, "prefix 1: gpu", "pass"), 1);
	assert_int_equal(t_report_checks(r, "prefix 1: libraries", "pass"), 1);
	assert_int_equal(t_report_checks(r, "prefix 1: srun", "pass"), 1);
	assert_non_null(strstr(json_object_to_json_string(r), "libnvidia-ml.so.1"));
	json_object_put(r);
	/* against the default build (test 24.11's, in the default cache): what --gpu adds */
	rc = t_sh("cd '%s' && '%s' diff \"$HOME/.slurm-factory/builds/24.11.5\" '%s' --json '%s' "
		  "--markdown gpu.md --quiet", f->dir, t_bin(), dir, vj);
	r = t_report_load(vj);
	assert_non_null(r);
	fprintf(stderr, "# diff 24.11.5 default -> --gpu: exit %d, %zu findings\n", rc,
		t_report_count(r, NULL, NULL));
	assert_int_equal(rc, 0);
	assert_true(t_report_count(r, NULL, "software/lib/slurm/gpu_nvml.so") >= 1);
	assert_true(t_report_count(r, NULL, "software/lib/slurm/gpu_rsmi.so") >= 1);
	json_object_put(r);
	assert_int_equal(t_sh("grep -qF 'gpu\\_nvml\\.so' '%s/gpu.md'", f->dir), 0);
	free(dir);
	free(vj);
}

/* Slurm 22.05 (bookworm's) with --minimal: the other major version, in LXD, cold. */
static void build__slurm_22_05_minimal_is_relocatable(void **state)
{
	struct fx *f = *state;
	struct json_object *r;
	char *features;
	double t = now();
	int rc;

	rc = real_build(f, "--slurm-version 22.05 --minimal");
	t = now() - t;
	r = expect_relocatable(f, rc);
	json_object_put(r);
	/* minimal: no optional library was found, so none was grafted but munge's */
	features = xasprintf("%s/builds/22.05.8/logs/features.txt", f->cache);
	assert_int_equal(t_sh("grep -qx 'hwloc=no: --minimal' '%s' && grep -qx 'json=no: --minimal' '%s' && "
			      "grep -qx 'lua=no: --minimal' '%s' && grep -qx 'pmix=no: --minimal' '%s' && "
			      "cut -d' ' -f1 '%s/builds/22.05.8/logs/grafted.txt' | grep -qx libmunge.so.2 && "
			      "! grep -q 'libcurl\\|liblua\\|libmariadb\\|libX11\\|libgtk' "
			      "'%s/builds/22.05.8/logs/grafted.txt'",
			      features, features, features, features, f->cache, f->cache), 0);
	fprintf(stderr, "# slurm 22.05.8 --minimal: cold %.1f s\n", t);

	/*
	 * and it runs: a one-node cluster in the runtime container, whose
	 * /sys/fs/cgroup is empty and whose Slurm has no CgroupPlugin=disabled
	 * (smoke.sh picks cgroup/v1 for 22.05)
	 */
	r = smoke_cached(f, "22.05.8", "");
	assert_int_equal(t_report_checks(r, "prefix 1: daemons", "pass"), 1);
	assert_int_equal(t_report_checks(r, "prefix 1: sbatch", "pass"), 1);
	json_object_put(r);
	/*
	 * 22.05.8 --minimal against 24.11.5 default (test 24.11's, in the
	 * default cache): another libslurm, the plugins --minimal leaves out,
	 * the libraries only the full build grafts
	 */
	{
		char *dj = xasprintf("%s/diff.json", f->dir);
		rc = t_sh("cd '%s' && '%s' diff '%s/builds/22.05.8' \"$HOME/.slurm-factory/builds/24.11.5\" "
			  "--json '%s' --quiet", f->dir, t_bin(), f->cache, dj);
		r = t_report_load(dj);
		assert_non_null(r);
		fprintf(stderr, "# diff 22.05.8 --minimal -> 24.11.5: exit %d, %zu findings\n", rc,
			t_report_count(r, NULL, NULL));
		assert_int_equal(rc, 1);   /* breaking: libslurm's exports and SONAME */
		assert_true(t_report_count(r, NULL, "software/lib/slurm/mpi_pmix.so") >= 1);
		assert_non_null(strstr(json_object_to_json_string(r), "libhwloc.so.15"));
		json_object_put(r);
		free(dj);
	}
	free(features);
}

static void build__usage_errors_are_129(void **state)
{
	struct fx *f = *state;

	(void)f;
	assert_int_equal(t_run("build --backend podman 2>/dev/null"), 129);
	assert_int_equal(t_run("build --gpu --minimal 2>/dev/null"), 129);
	assert_int_equal(t_run("build --format xz 2>/dev/null"), 129);
	assert_int_equal(t_run("build --prefix relative/path 2>/dev/null"), 129);
	assert_int_equal(t_run("build --jobs 0 2>/dev/null"), 129);
	assert_int_equal(t_run("build --recipe /nonexistent/recipe.sh 2>/dev/null"), 129);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(build__usage_errors_are_129, setup, teardown),
		cmocka_unit_test_setup_teardown(build__fake_recipe_is_packaged_verified_then_a_cache_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(build__no_cache_rebuild_is_byte_identical, setup, teardown),
		cmocka_unit_test_setup_teardown(build__failing_recipe_shows_the_log_tail_and_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(build__sigint_during_the_recipe_leaves_nothing_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(build__sigint_in_lxd_deletes_the_container, setup, teardown),
		cmocka_unit_test_setup_teardown(build__sigkill_in_lxd_then_gc_and_the_next_build_works, setup, teardown),
		cmocka_unit_test_setup_teardown(build__hostile_recipe_cannot_reach_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(build__slurm_24_11_is_relocatable_cached_and_reproducible, setup, teardown),
		cmocka_unit_test_setup_teardown(build__slurm_24_11_gpu_has_nvml_and_rsmi_with_the_driver_declared, setup, teardown),
		cmocka_unit_test_setup_teardown(build__slurm_22_05_minimal_is_relocatable, setup, teardown),
	};
	/* SF_TEST_FILTER=build__fake* runs a subset (cmocka's glob) */
	if (getenv("SF_TEST_FILTER"))
		cmocka_set_test_filter(getenv("SF_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
