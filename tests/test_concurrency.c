/*
 * Concurrency, end to end through the binary: many verify runs sharing one
 * --work-dir (each must see only its own tree and give its own verdict),
 * and fetches of the same commit / the same tarball into one --cache-dir
 * at once (the per-key lock makes one wait for the other: both succeed,
 * one entry, complete, nothing temporary left).
 */
#include "testlib.h"
#include "sigtest.h"

#include <json-c/json.h>
#include <sys/stat.h>

#define TAG "slurm-24-11-5-1"
#define NR_VERIFY 8

struct fx {
	char *dir, *work, *cache;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("concurrency");
	assert_non_null(f->dir);
	f->work = xasprintf("%s/work", f->dir);
	f->cache = xasprintf("%s/cache", f->dir);
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
	free(f->cache);
	free(f);
	return 0;
}

static void verify__parallel_runs_sharing_a_work_dir_do_not_interfere(void **state)
{
	struct fx *f = *state;
	pid_t pids[NR_VERIFY];
	int i;

	/* two trees: good ($ORIGIN RUNPATH) and bad (absolute RUNPATH) */
	assert_int_equal(t_sh("set -e; cd '%s'; "
			      "printf 'int foo(void){return 1;}\\n' > foo.c; "
			      "printf 'int foo(void); int main(void){return foo()-1;}\\n' > main.c; "
			      "for v in good bad; do mkdir -p $v/software/lib $v/software/bin; "
			      "cc -shared -fPIC -o $v/software/lib/libfoo.so.1 -Wl,-soname,libfoo.so.1 foo.c; "
			      "ln -s libfoo.so.1 $v/software/lib/libfoo.so; done; "
			      "cc -o good/software/bin/app main.c -Lgood/software/lib -lfoo "
			      "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'; "
			      "cc -o bad/software/bin/app main.c -Lbad/software/lib -lfoo "
			      "-Wl,--enable-new-dtags,-rpath,/opt/slurm/software/lib; "
			      "tar -C good -czf good.tar.gz software; tar -C bad -czf bad.tar.gz software",
			      f->dir), 0);
	for (i = 0; i < NR_VERIFY; i++) {
		char tar[512], json[512], out[512];
		char *argv[] = { "sf", "verify", tar, "--work-dir", f->work, "--json", json,
				 "--prefixes", "4", "--quiet", NULL };
		snprintf(tar, sizeof(tar), "%s/%s.tar.gz", f->dir, i % 2 ? "bad" : "good");
		snprintf(json, sizeof(json), "%s/r%d.json", f->dir, i);
		snprintf(out, sizeof(out), "%s/o%d.txt", f->dir, i);
		pids[i] = st_spawn(argv, out);
	}
	for (i = 0; i < NR_VERIFY; i++) {
		char json[512];
		struct json_object *r;
		int status = st_wait(pids[i], 120);

		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), i % 2 ? 1 : 0);
		snprintf(json, sizeof(json), "%s/r%d.json", f->dir, i);
		r = t_report_load(json);
		assert_non_null(r);
		/* its own verdict: only the bad tree has the absolute RUNPATH */
		assert_int_equal(t_report_count(r, "rpath-absolute-outside", "bin/app") > 0,
				 i % 2);
		/* and libfoo resolves in the good tree only (4 prefixes: 4 misses) */
		assert_int_equal(t_report_count(r, "needed-unresolved", "bin/app"), i % 2 ? 4 : 0);
		json_object_put(r);
	}
	assert_int_equal(st_count_entries(f->work, ""), 0);   /* every scratch dir gone */
	st_assert_no_leftover_children();
}

/* Starts `n` fetches with the same arguments; each must exit 0. Returns how many hit. */
static int fetch_parallel(struct fx *f, char *const argv[], int n)
{
	pid_t pids[8];
	int i, hits = 0;

	for (i = 0; i < n; i++) {
		char out[512];
		snprintf(out, sizeof(out), "%s/fetch%d.txt", f->dir, i);
		pids[i] = st_spawn(argv, out);
	}
	for (i = 0; i < n; i++) {
		char out[512];
		struct strbuf o = STRBUF_INIT;
		int status = st_wait(pids[i], 300);

		snprintf(out, sizeof(out), "%s/fetch%d.txt", f->dir, i);
		assert_int_equal(t_read(out, &o), 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_msg("fetch %d failed: %s", i, o.buf);
		if (strstr(o.buf, "cache: hit"))
			hits++;
		else
			assert_non_null(strstr(o.buf, "cache: miss"));
		strbuf_release(&o);
	}
	return hits;
}

static void assert_cache_clean(struct fx *f, size_t entries)
{
	struct strbuf src = STRBUF_INIT;
	size_t n;

	/* the lock files live in locks/, never among the entries */
	strbuf_addf(&src, "%s/locks", f->cache);
	assert_true(st_count_entries(src.buf, "") >= 1);
	strbuf_reset(&src);
	strbuf_addf(&src, "%s/sources", f->cache);
	assert_int_equal(st_count_entries(src.buf, ".tmp-"), 0);
	n = st_count_entries(src.buf, "");
	assert_int_equal(n, entries);
	strbuf_release(&src);
}

static void fetch__same_commit_at_once_into_one_cache(void **state)
{
	struct fx *f = *state;
	struct strbuf commit = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	char repo[512];
	int hits;

	snprintf(repo, sizeof(repo), "%s/repo", f->dir);
	/* a repository with some weight: 300 files, so the fetches overlap */
	assert_int_equal(t_sh("set -e; mkdir -p '%s'; cd '%s'; git init -q; "
			      "for i in $(seq 1 300); do head -c 2048 /dev/urandom | od -An -tx1 "
			      "> f$i.txt; done; git add .; "
			      "git -c user.name=t -c user.email=t@t commit -qm one; "
			      "git tag -a -m rel %s", repo, repo, TAG), 0);
	assert_int_equal(t_sh_capture(&commit, "git -C '%s' rev-parse '%s^{commit}'", repo, TAG),
			 0);
	strbuf_setlen(&commit, 40);
	{
		char *argv[] = { "sf", "fetch", TAG, "--commit", commit.buf, "--repo", repo,
				 "--cache-dir", f->cache, NULL };
		hits = fetch_parallel(f, argv, 4);
	}
	/* the lock: exactly one downloaded, the others waited and hit */
	assert_int_equal(hits, 3);
	assert_cache_clean(f, 1);
	/* the cached tree is exactly the commit's */
	assert_int_equal(t_sh_capture(&a, "cd '%s/sources/%s/src' && find . -type f | sort | "
				      "xargs sha256sum", f->cache, commit.buf), 0);
	assert_int_equal(t_sh_capture(&b, "cd '%s' && git ls-files | sed 's|^|./|' | sort | "
				      "xargs sha256sum", repo), 0);
	assert_string_equal(a.buf, b.buf);
	st_assert_no_leftover_children();
	strbuf_release(&commit);
	strbuf_release(&a);
	strbuf_release(&b);
}

static void fetch__same_tarball_at_once_into_one_cache(void **state)
{
	struct fx *f = *state;
	char tarball[512];
	int hits;

	snprintf(tarball, sizeof(tarball), "%s/slurm-24.11.5.tar.gz", f->dir);
	assert_int_equal(t_sh("set -e; cd '%s'; mkdir -p slurm-slurm-24-11-5-1; "
			      "head -c 3000000 /dev/urandom > slurm-slurm-24-11-5-1/blob; "
			      "tar -czf '%s' slurm-slurm-24-11-5-1", f->dir, tarball), 0);
	{
		char *argv[] = { "sf", "fetch", "--source", tarball, "--cache-dir", f->cache,
				 NULL };
		hits = fetch_parallel(f, argv, 4);
	}
	assert_int_equal(hits, 3);
	assert_cache_clean(f, 1);
	assert_int_equal(t_sh("cd '%s' && cmp slurm-slurm-24-11-5-1/blob "
			      "\"$(ls -d '%s'/sources/sha256-*)/src/blob\"", f->dir, f->cache), 0);
	st_assert_no_leftover_children();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			verify__parallel_runs_sharing_a_work_dir_do_not_interfere, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__same_commit_at_once_into_one_cache,
						setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__same_tarball_at_once_into_one_cache,
						setup, teardown),
	};
	st_become_subreaper();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
