/*
 * The Debian bases (bases.c): the table, --runtime-base lists, the oldest
 * glibc of a list; then the real thing: Slurm 24.11 built on bullseye,
 * gated on glibc 2.31 by verify and proven by a whole cluster smoke in
 * bullseye, bookworm and trixie runtime containers, with what it grafted
 * being bullseye's. (The other direction, a bookworm package that verify
 * and a bullseye smoke both refuse, is in test_build, which builds it.)
 * Needs the LXD daemon and the repository from scripts/slurm-sources.sh;
 * fails, never skips, without.
 */
#include "testlib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bases.h"
#include "symver.h"

static void base_find__every_row_has_a_target_with_its_glibc(void **state)
{
	const struct base *b;
	struct symver prev = { { 0 }, 0 }, v;
	size_t n = 0;

	(void)state;
	for (b = bases; b->name; b++, n++) {
		const struct symver_target *t = symver_target_find(b->target);
		assert_non_null(t);
		assert_ptr_equal(base_find(b->name), b);
		assert_string_equal(base_glibc(b->name), t->glibc);
		/* "debian-11" from "11", "debian11" too */
		assert_int_equal(strcmp(b->distro + strlen("debian-"), b->number), 0);
		assert_int_equal(strcmp(b->target + strlen("debian"), b->number), 0);
		/* oldest first, each newer than the last */
		assert_int_equal(symver_parse(t->glibc, &v), 0);
		assert_true(symver_cmp(&v, &prev) > 0);
		prev = v;
		/* the glibc it reaches is said where users read it */
		assert_non_null(strstr(b->reaches, t->glibc));
	}
	assert_int_equal(n, 3);
	assert_null(base_find("sid"));
	assert_null(base_glibc("sid"));
	assert_null(base_find(NULL));
}

static void base_list_parse__splits_checks_and_refuses_repeats(void **state)
{
	struct strbuf err = STRBUF_INIT;
	char **names;
	size_t nr;

	(void)state;
	assert_int_equal(base_list_parse("bullseye,bookworm,trixie", &names, &nr, &err), 0);
	assert_int_equal(nr, 3);
	assert_string_equal(names[0], "bullseye");
	assert_string_equal(names[2], "trixie");
	base_list_free(names, nr);
	/* a release the table does not know is still a release name */
	assert_int_equal(base_list_parse("forky", &names, &nr, &err), 0);
	assert_int_equal(nr, 1);
	base_list_free(names, nr);
	/* an empty item, a path, upper case, a blank, a repeat */
	assert_int_equal(base_list_parse("bullseye,,trixie", &names, &nr, &err), -1);
	assert_null(names);
	assert_int_equal(nr, 0);
	assert_non_null(strstr(err.buf, "'' is not a Debian release name"));
	strbuf_reset(&err);
	assert_int_equal(base_list_parse("../x", &names, &nr, &err), -1);
	assert_int_equal(base_list_parse("Bookworm", &names, &nr, &err), -1);
	assert_int_equal(base_list_parse("bookworm, trixie", &names, &nr, &err), -1);
	strbuf_reset(&err);
	assert_int_equal(base_list_parse("trixie,bookworm,trixie", &names, &nr, &err), -1);
	assert_non_null(strstr(err.buf, "'trixie' is listed twice"));
	assert_int_equal(base_list_parse("", &names, &nr, &err), -1);
	strbuf_release(&err);
}

static void base_min_glibc__the_oldest_release_and_none_for_an_unknown_one(void **state)
{
	char *three[] = { "trixie", "bullseye", "bookworm" }, *other[] = { "bookworm", "forky" };
	const char *glibc, *which;

	(void)state;
	assert_int_equal(base_min_glibc(three, 3, &glibc, &which), 0);
	assert_string_equal(glibc, "2.31");
	assert_string_equal(which, "bullseye");
	assert_int_equal(base_min_glibc(three, 1, &glibc, &which), 0);
	assert_string_equal(glibc, "2.41");
	assert_int_equal(base_min_glibc(other, 2, &glibc, &which), -1);
	assert_int_equal(base_min_glibc(other, 0, &glibc, &which), -1);
}

/* The usage mistakes of --base and --runtime-base: exit 129, before anything runs. */
static void bases__usage_errors_are_129(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	assert_int_equal(t_sh_capture(&out, "'%s' run 24.11 --base Bullseye --dry-run 2>&1",
				      t_bin()), 129);
	if (!strstr(out.buf, "'Bullseye' is not a Debian release name"))
		fail_msg("%s", out.buf);
	assert_int_equal(t_sh_capture(&out, "'%s' run 24.11 --base bullseye --release bookworm "
				      "--dry-run 2>&1", t_bin()), 129);
	assert_non_null(strstr(out.buf, "disagree"));
	assert_int_equal(t_sh_capture(&out, "'%s' smoke x.tar.gz --runtime-base bookworm,bookworm "
				      "2>&1", t_bin()), 129);
	assert_non_null(strstr(out.buf, "listed twice"));
	assert_int_equal(t_sh_capture(&out, "'%s' smoke x.tar.gz --runtime-base bullseye,trixie "
				      "--runtime-image sf-x 2>&1", t_bin()), 129);
	assert_non_null(strstr(out.buf, "--runtime-image names one image"));
	assert_int_equal(t_sh_capture(&out, "'%s' smoke x.tar.gz --backend host --runtime-base "
				      "trixie 2>&1", t_bin()), 129);
	assert_non_null(strstr(out.buf, "needs the lxd backend"));
	/* --release is --base's old name: the same run */
	assert_int_equal(t_sh("'%s' run 24.11 --release bullseye --dry-run >/dev/null 2>&1",
			      t_bin()), 0);
	strbuf_release(&out);
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

/*
 * One package, built on bullseye, proven on three Debian releases: the
 * whole pipeline as a CI step runs it, from another directory, with verify
 * gated on bullseye's glibc by --runtime-base alone.
 */
static void bases__bullseye_package_is_proven_on_bullseye_bookworm_and_trixie(void **state)
{
	char *dir = t_mkdtemp("bases"), *repo, *path, *image;
	const char *runtimes[] = { "bullseye", "bookworm", "trixie" };
	struct strbuf out = STRBUF_INIT, floor = STRBUF_INIT;
	struct json_object *r;
	struct symver fv, max;
	size_t i;
	int rc;

	(void)state;
	assert_non_null(dir);
	repo = xasprintf("%s/.slurm-factory/upstream/slurm.git", getenv("HOME"));
	if (!t_exists(repo))
		fail_msg("no Slurm repository at %s: run scripts/slurm-sources.sh", repo);
	rc = t_sh_capture(&out, "cd '%s' && GITHUB_ACTIONS=true GITHUB_OUTPUT='%s/gh.out' "
			  "GITHUB_STEP_SUMMARY='%s/sum.md' '%s' run 24.11 --repo '%s' --base bullseye "
			  "--runtime-base bullseye,bookworm,trixie --prefixes 1 --reprove "
			  "--cache-dir '%s/cache' --output-dir '%s/rel' --json '%s/run.json' 2>&1",
			  dir, dir, dir, t_bin(), repo, dir, dir, dir);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);
	path = xasprintf("%s/run.json", dir);
	r = t_report_load(path);
	free(path);
	assert_non_null(r);

	/* built in the bullseye image; verify gated on its glibc by --runtime-base */
	assert_non_null(strstr(t_stage_prop(r, "build", "image"), "sf-build-bullseye-"));
	image = xstrdup(t_stage_prop(r, "build", "image"));
	assert_true(t_report_checks(r, "glibc floor", "pass") >= 1);
	assert_int_equal(t_report_checks(r, "glibc floor", "fail"), 0);
	assert_non_null(strstr(json_object_to_json_string(r),
			       "within GLIBC_2.31 (--runtime-base bullseye: --target debian11)"));
	assert_int_equal(symver_parse(t_stage_prop(r, "verify", "glibc_floor"), &fv), 0);
	assert_int_equal(symver_parse("2.31", &max), 0);
	assert_true(symver_cmp(&fv, &max) <= 0);
	strbuf_addstr(&floor, t_stage_prop(r, "verify", "glibc_floor"));

	/* the whole smoke, MPI and munge included, in each release's runtime */
	for (i = 0; i < 3; i++) {
		const char *steps[] = { "srun", "squeue", "sbatch", "scontrol", "mpi", "munge",
					"libraries", "module" };
		char name[96];
		size_t k;

		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			snprintf(name, sizeof(name), "%s prefix 1: %s", runtimes[i], steps[k]);
			if (t_report_checks(r, name, "pass") != 1)
				fail_msg("%s did not pass", name);
		}
		snprintf(name, sizeof(name), "%s glibc", runtimes[i]);
		assert_int_equal(t_report_checks(r, name, "pass"), 1);
		snprintf(name, sizeof(name), "%s environment", runtimes[i]);
		assert_int_equal(t_report_checks(r, name, "pass"), 1);
		snprintf(name, sizeof(name), "runtime image %s", runtimes[i]);
		assert_int_equal(t_report_checks(r, name, "pass"), 1);
	}
	/* the reference-form module is tried once, in the first runtime */
	assert_int_equal(t_report_checks(r, "reference-form module is caught", "pass"), 1);
	assert_string_equal(t_stage_prop(r, "smoke", "proven_on"), "bullseye, bookworm, trixie");
	assert_null(t_stage_prop(r, "smoke", "failed_on"));
	/* each runtime's own munged served the package's libmunge; the system is that release */
	assert_int_equal(t_sh("cd '%s' && /usr/bin/python3 - <<'PY'\n"
			      "import json\n"
			      "r = json.load(open('run.json'))\n"
			      "s = next(s for s in r['stages'] if s['name'] == 'smoke')\n"
			      "msg = {c['name']: c.get('message', '') for c in s['checks']}\n"
			      "for rel, num in (('bullseye', '11'), ('bookworm', '12'), ('trixie', '13')):\n"
			      "    m = msg[rel + ' prefix 1: munge']\n"
			      "    assert \"this node's munged (munge-0.5.\" in m and \"the package's lib/libmunge.so.2\" in m, m\n"
			      "    m = msg[rel + ' prefix 1: prepare']\n"
			      "    assert ('Debian GNU/Linux ' + num) in m, m\n"
			      "print('munge and system checked')\n"
			      "PY", dir), 0);

	/* the report, the console and the step summary say what was proven */
	{
		struct strbuf line = STRBUF_INIT;
		strbuf_addf(&line, "glibc \xe2\x89\xa5 %s; proven on: bullseye, bookworm, trixie",
			    floor.buf);
		struct json_object *props;
		assert_true(json_object_object_get_ex(r, "properties", &props));
		assert_string_equal(jstr(props, "proven") ? jstr(props, "proven") : "", line.buf);
		assert_non_null(strstr(out.buf, line.buf));
		assert_int_equal(t_sh("grep -q 'proven on: bullseye, bookworm, trixie' '%s/sum.md' && "
				      "grep -qx 'proven=glibc \xe2\x89\xa5 %s; proven on: bullseye, bookworm, trixie' "
				      "'%s/gh.out'", dir, floor.buf, dir), 0);
		strbuf_release(&line);
	}
	json_object_put(r);

	/*
	 * what was grafted is bullseye's: the manifest says the base, each
	 * grafted library's package is at the version the bullseye image's dpkg
	 * has (its package list beside its export), the SBOM's purls say
	 * debian-11, and the SBOMs validate
	 */
	assert_int_equal(t_sh("cd '%s/rel' && /usr/bin/python3 - '%s/cache' '%s' '%s' <<'PY'\n"
			      "import json, sys, glob\n"
			      "m = json.load(open('manifest.json')); b = m['build']\n"
			      "assert b['release'] == 'bullseye', b['release']\n"
			      "pk = [g for g in b['grafted_packages'] if g.get('package')]\n"
			      "assert len(pk) > 20, len(pk)\n"
			      "lists = glob.glob(sys.argv[1] + '/images/' + sys.argv[3] + '.packages') + glob.glob(sys.argv[2] + '/.slurm-factory/images/' + sys.argv[3] + '.packages')\n"
			      "assert len(lists) >= 1, lists\n"
			      "have = dict(l.strip().split('=', 1) for l in open(lists[0]) if '=' in l)\n"
			      "for g in pk:\n"
			      "    assert have.get(g['package']) == g['version'], (g, have.get(g['package']))\n"
			      "bom = json.load(open('slurm-24.11.5.cdx.json'))\n"
			      "purls = [c['purl'] for c in bom['components'] if c.get('purl', '').startswith('pkg:deb/')]\n"
			      "assert purls and all('distro=debian-11' in p for p in purls), purls[:3]\n"
			      "print(len(pk), 'grafted packages at bullseye versions')\n"
			      "PY", dir, dir, getenv("HOME"), image), 0);
	assert_int_equal(t_sh("cd '%s/rel' && '%s/tests/sbom-validate.sh' cdx slurm-24.11.5.cdx.json && "
			      "'%s/tests/sbom-validate.sh' spdx slurm-24.11.5.spdx.json",
			      dir, t_srcdir(), t_srcdir()), 0);
	t_rmtree(dir);
	free(dir);
	free(repo);
	free(image);
	strbuf_release(&out);
	strbuf_release(&floor);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base_find__every_row_has_a_target_with_its_glibc),
		cmocka_unit_test(base_list_parse__splits_checks_and_refuses_repeats),
		cmocka_unit_test(base_min_glibc__the_oldest_release_and_none_for_an_unknown_one),
		cmocka_unit_test(bases__usage_errors_are_129),
		cmocka_unit_test(bases__bullseye_package_is_proven_on_bullseye_bookworm_and_trixie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
