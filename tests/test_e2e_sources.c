/*
 * End to end on the real Slurm source: the repository that
 * scripts/slurm-sources.sh builds from Debian's slurm-wlm orig tarballs.
 * When it is missing the tests fail (they never skip): run the script.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct e2e {
	char *cache_root;      /* ${SLURM_FACTORY_CACHE_DIR:-$HOME/.slurm-factory} */
	char *repo;            /* .../upstream/slurm.git */
	char *tmp;
};

static int setup(void **state)
{
	struct e2e *e = xcalloc(1, sizeof(*e));
	const char *c = getenv("SLURM_FACTORY_CACHE_DIR");
	const char *home = getenv("HOME");

	e->cache_root = c && *c ? xstrdup(c) : xasprintf("%s/.slurm-factory", home ? home : "");
	e->repo = xasprintf("%s/upstream/slurm.git", e->cache_root);
	e->tmp = t_mkdtemp("e2e");
	*state = e;
	return e->tmp ? 0 : -1;
}

static int teardown(void **state)
{
	struct e2e *e = *state;

	t_rmtree(e->tmp);
	free(e->tmp);
	free(e->repo);
	free(e->cache_root);
	free(e);
	return 0;
}

static void need_repo(const struct e2e *e)
{
	struct strbuf head = STRBUF_INIT;
	char *p = xasprintf("%s/HEAD", e->repo);

	if (t_read(p, &head))
		fail_msg("no Slurm source repository at %s: run scripts/slurm-sources.sh "
			 "(it builds it from Debian's slurm-wlm source package)", e->repo);
	free(p);
	strbuf_release(&head);
}

/* The commit `tag` names in the repository, by git itself. */
static void commit_of(const struct e2e *e, const char *tag, struct strbuf *out)
{
	strbuf_reset(out);
	assert_int_equal(t_sh_capture(out, "git --git-dir=%s rev-parse '%s^{commit}'",
				      e->repo, tag), 0);
	strbuf_setlen(out, strcspn(out->buf, "\n"));
	assert_int_equal(out->len, 40);
}

static void expect_resolve(const struct e2e *e, const char *spec, const char *tag)
{
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT, commit = STRBUF_INIT;

	commit_of(e, tag, &commit);
	assert_int_equal(t_sh_capture(&out, "%s resolve %s --repo %s", t_bin(), spec,
				      e->repo), 0);
	strbuf_addf(&want, "tag: %s\n", tag);
	if (!strstr(out.buf, want.buf))
		fail_msg("resolve %s: wanted %s, got:\n%s", spec, tag, out.buf);
	strbuf_reset(&want);
	strbuf_addf(&want, "commit: %s\n", commit.buf);
	assert_non_null(strstr(out.buf, want.buf));
	strbuf_release(&out);
	strbuf_release(&want);
	strbuf_release(&commit);
}

static void resolve__debian_derived_repository(void **state)
{
	struct e2e *e = *state;

	need_repo(e);
	expect_resolve(e, "latest", "slurm-24-11-5-1");
	expect_resolve(e, "24.11", "slurm-24-11-5-1");
	expect_resolve(e, "24.11.5", "slurm-24-11-5-1");
	expect_resolve(e, "22.05", "slurm-22-05-8-1");
	expect_resolve(e, "slurm-22-05-8-1", "slurm-22-05-8-1");
}

static void fetch__24_11_5_is_the_debian_tarball_and_then_a_cache_hit(void **state)
{
	struct e2e *e = *state;
	struct strbuf out = STRBUF_INIT, commit = STRBUF_INIT;
	char *tarball = xasprintf("%s/upstream/debian/src/slurm-wlm_24.11.5.orig.tar.gz",
				  e->cache_root);

	need_repo(e);
	commit_of(e, "slurm-24-11-5-1", &commit);
	assert_int_equal(t_sh_capture(&out, "%s fetch 24.11 --repo %s --cache-dir %s/c "
				      "--json %s/f.json", t_bin(), e->repo, e->tmp, e->tmp), 0);
	assert_non_null(strstr(out.buf, "cache: miss\n"));
	/* the fetched tree is exactly the upstream tarball's content */
	if (!t_exists(tarball))
		fail_msg("%s is missing: run scripts/slurm-sources.sh", tarball);
	assert_int_equal(t_sh("mkdir %s/x && tar -xf %s -C %s/x && diff -r --no-dereference "
			      "%s/x/slurm-slurm-24-11-5-1 %s/c/sources/%s/src >&2", e->tmp,
			      tarball, e->tmp, e->tmp, e->tmp, commit.buf), 0);
	assert_int_equal(t_sh("grep -Eq '^[[:space:]]*Micro:[[:space:]]*5$' %s/c/sources/%s/src/META", e->tmp,
			      commit.buf), 0);
	/* pinned and cached: a hit even though the repository URL leads nowhere */
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "%s fetch slurm-24-11-5-1 --commit %s --repo "
				      "%s/no-such.git --cache-dir %s/c", t_bin(), commit.buf,
				      e->tmp, e->tmp), 0);
	assert_non_null(strstr(out.buf, "cache: hit\n"));
	free(tarball);
	strbuf_release(&out);
	strbuf_release(&commit);
}

static void fetch__relative_cache_dir_works_for_a_nested_tree(void **state)
{
	struct e2e *e = *state;
	struct strbuf out = STRBUF_INIT, file = STRBUF_INIT;
	char *p;

	need_repo(e);
	/* a CI job keeps its cache inside the project: --cache-dir .cache */
	assert_int_equal(t_sh_capture(&out, "cd '%s' && '%s' fetch 22.05 --repo '%s' "
				      "--cache-dir rel-cache --quiet", e->tmp, t_bin(), e->repo), 0);
	strbuf_reset(&out);
	commit_of(e, "slurm-22-05-8-1", &out);
	p = xasprintf("%s/rel-cache/sources/%s/src/auxdir/Makefile.am", e->tmp, out.buf);
	assert_int_equal(t_read(p, &file), 0);
	assert_true(file.len > 0);
	free(p);
	strbuf_release(&out);
	strbuf_release(&file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(resolve__debian_derived_repository, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__24_11_5_is_the_debian_tarball_and_then_a_cache_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch__relative_cache_dir_works_for_a_nested_tree, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
