/*
 * The whole pipeline, end to end, as `make run` and a CI step run it:
 * resolve and fetch from the Debian-derived Slurm repository, build in LXD
 * (the default cache: a hit when the tree is unchanged, as in `make check`,
 * where test_build's 24.11 build put it there; the images made by the run
 * when missing), package, verify
 * at 3 random prefixes, smoke in a fresh runtime container, publish to a
 * directory. Needs the LXD daemon (scripts/check.sh starts it) and the
 * repository from scripts/slurm-sources.sh; fails, never skips, without.
 */
#include "testlib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static void run__whole_pipeline_publishes_what_every_gate_passed(void **state)
{
	char *dir = t_mkdtemp("pipeline"), *repo;
	struct strbuf out = STRBUF_INIT, js = STRBUF_INIT;
	struct json_object *r, *stages;
	const char *want[] = { "resolve", "fetch", "images", "build", "package", "verify", "smoke",
			       "publish" };
	size_t i, j;
	int rc;

	(void)state;
	assert_non_null(dir);
	repo = xasprintf("%s/.slurm-factory/upstream/slurm.git", getenv("HOME"));
	if (!t_exists(repo))
		fail_msg("no Slurm repository at %s: run scripts/slurm-sources.sh", repo);
	/* --reprove: the cluster runs even if an earlier run proved these bytes */
	/*
	 * signed, with --output-dir and GitHub's output file: the action's
	 * way (its sbom, provenance and signature outputs)
	 */
	assert_int_equal(t_sh("cd '%s' && '%s' keygen --out k --quiet", dir, t_bin()), 0);
	rc = t_sh_capture(&out, "cd '%s' && GITHUB_ACTIONS=true GITHUB_OUTPUT='%s/gh.out' "
			  "GITHUB_STEP_SUMMARY='%s/sum.md' '%s' run 24.11 --repo '%s' --to '%s/pub' "
			  "--reprove --sign-key '%s/k.key' --output-dir '%s/rel' "
			  "--json '%s/run.json' --junit '%s/run.xml'", t_srcdir(), dir, dir, t_bin(),
			  repo, dir, dir, dir, dir, dir);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);

	/* every stage once, in order, and every one passed */
	{
		char *path = xasprintf("%s/run.json", dir);
		r = t_report_load(path);
		free(path);
	}
	assert_non_null(r);
	assert_true(json_object_object_get_ex(r, "stages", &stages));
	/* the run made sure of its images itself: nothing was prepared by hand */
	assert_int_equal(json_object_array_length(stages), 8);
	for (i = 0; i < 8; i++) {
		struct json_object *s = json_object_array_get_idx(stages, i);
		assert_string_equal(jstr(s, "name"), want[i]);
		assert_string_equal(jstr(s, "outcome"), "pass");
	}
	assert_int_equal(t_report_checks(r, "rpath [prefix", "pass"), 3);
	assert_int_equal(t_report_checks(r, "needed [prefix", "pass"), 3);
	for (j = 1; j <= 3; j++) {
		char name[32];
		snprintf(name, sizeof(name), "prefix %zu: sbatch", j);
		assert_int_equal(t_report_checks(r, name, "pass"), 1);
		/* an MPI job through PMIx, and the real loader, at every prefix */
		snprintf(name, sizeof(name), "prefix %zu: mpi", j);
		assert_int_equal(t_report_checks(r, name, "pass"), 1);
		snprintf(name, sizeof(name), "prefix %zu: libraries", j);
		assert_int_equal(t_report_checks(r, name, "pass"), 1);
	}
	/* verify and smoke took the manifest's host-provided libpmix */
	assert_string_equal(t_stage_prop(r, "verify", "host_provided"), "libpmix.so.2");
	json_object_put(r);

	/* what was published is what was proven: checksums hold at the target */
	assert_int_equal(t_sh("cd '%s/pub' && sha256sum -c --quiet SHA256SUMS && "
			      "test -s slurm-24.11.5-software.tar.gz && "
			      "test -s slurm-24.11.5-module.tar.gz && test -s manifest.json",
			      dir), 0);
	/* its build provenance (DSSE, unsigned: no key here) names every other file it published */
	assert_int_equal(t_sh("cd '%s/pub' && jq -r .payload slurm-24.11.5.intoto.jsonl | base64 -d | "
			      "jq -r '.subject[] | \"\\(.digest.sha256)  \\(.name)\"' > ../subjects && "
			      "sha256sum -c --quiet ../subjects && "
			      "test $(wc -l < ../subjects) -eq $(($(ls | wc -l) - 1))", dir), 0);
	/*
	 * the SBOMs of the real build: valid by the official tools, in the
	 * signed SHA256SUMS, and listing exactly the grafted libraries, each
	 * at the Debian version the build image's dpkg gave (grafted-packages.txt)
	 * and with the hash of its file in the tarball
	 */
	assert_int_equal(t_sh("cd '%s/pub' && '%s/tests/sbom-validate.sh' cdx slurm-24.11.5.cdx.json && "
			      "'%s/tests/sbom-validate.sh' spdx slurm-24.11.5.spdx.json && "
			      "grep -q ' slurm-24.11.5.cdx.json$' SHA256SUMS && "
			      "grep -q ' slurm-24.11.5.spdx.json$' SHA256SUMS && "
			      "openssl pkeyutl -verify -pubin -inkey ../k.pub -rawin -in SHA256SUMS "
			      "-sigfile SHA256SUMS.sig && minisign -Vq -p ../k.minisign.pub -m SHA256SUMS",
			      dir, t_srcdir(), t_srcdir()), 0);
	assert_int_equal(t_sh("cd '%s/pub' && /usr/bin/python3 - <<'PY'\n"
			      "import json, hashlib, tarfile\n"
			      "m = json.load(open('manifest.json')); b = m['build']\n"
			      "want = {l.split()[0] for l in b['grafted']}\n"
			      "pk = {g['name']: g for g in b['grafted_packages']}\n"
			      "bom = json.load(open('slurm-24.11.5.cdx.json'))\n"
			      "prop = lambda c, n: next((p['value'] for p in c.get('properties', []) if p['name'] == n), None)\n"
			      "got = {prop(c, 'slurm-factory:library'): c for c in bom['components'] if prop(c, 'slurm-factory:shipped') == 'true'}\n"
			      "assert set(got) == want, (sorted(got), sorted(want))\n"
			      "tar = tarfile.open('slurm-24.11.5-software.tar.gz')\n"
			      "for n, c in got.items():\n"
			      "    assert c['name'] == pk[n]['package'] and c['version'] == pk[n]['version'], n\n"
			      "    assert c['purl'].startswith('pkg:deb/debian/' + pk[n]['package'] + '@'), n\n"
			      "    h = hashlib.sha256(tar.extractfile(prop(c, 'slurm-factory:path')).read()).hexdigest()\n"
			      "    assert c['hashes'][0]['content'] == h, n\n"
			      "host = [c['name'] for c in bom['components'] if prop(c, 'slurm-factory:shipped') == 'false']\n"
			      "assert 'glibc' in host and 'libpmix.so.2' in host, host\n"
			      "print(len(got), 'grafted libraries in the SBOM')\n"
			      "PY", dir), 0);
	/* --output-dir keeps the provenance and signatures; the outputs name them */
	assert_int_equal(t_sh("cd '%s' && cmp rel/slurm-24.11.5.intoto.jsonl pub/slurm-24.11.5.intoto.jsonl && "
			      "cmp rel/SHA256SUMS.sig pub/SHA256SUMS.sig && test -s rel/SHA256SUMS.minisig && "
			      "test -s rel/slurm-24.11.5.cdx.json && "
			      "grep -qx \"provenance=$PWD/rel/slurm-24.11.5.intoto.jsonl\" gh.out && "
			      "grep -qx \"signature=$PWD/rel/SHA256SUMS.sig\" gh.out && "
			      "grep -q '^sbom=.*/slurm-24.11.5.cdx.json$' gh.out && "
			      "grep -q '^sbom-spdx=.*/slurm-24.11.5.spdx.json$' gh.out", dir), 0);
	/* the private key is in no output of the run */
	assert_int_equal(t_sh("cd '%s' && k=$(sed -n 2p k.key) && test -n \"$k\" && "
			      "! grep -rqF \"$k\" run.json run.xml gh.out sum.md rel pub", dir), 0);
	/* one JUnit suite per stage, in a real consumer */
	assert_int_equal(t_sh("xmllint --noout '%s/run.xml'", dir), 0);
	assert_int_equal(t_sh_capture(&js, "'%s/tests/node_modules/.bin/junit2json' '%s/run.xml'",
				      t_srcdir(), dir), 0);
	for (i = 0; i < 8; i++) {
		char *needle = xasprintf("\"name\": \"%s\"", want[i]);
		char *compact = xasprintf("\"name\":\"%s\"", want[i]);
		assert_true(strstr(js.buf, needle) || strstr(js.buf, compact));
		free(needle);
		free(compact);
	}

	/*
	 * The same run again: a cache hit end to end. The images are reused,
	 * the build is served from the cache, smoke reports the proof of these
	 * exact bytes: no container is launched, and the same files publish.
	 */
	strbuf_reset(&out);
	rc = t_sh_capture(&out, "cd '%s' && '%s' run 24.11 --repo '%s' --to '%s/pub2' "
			  "--json '%s/again.json'", t_srcdir(), t_bin(), repo, dir, dir);
	if (rc)
		fprintf(stderr, "%s", out.buf);
	assert_int_equal(rc, 0);
	{
		char *path = xasprintf("%s/again.json", dir);
		r = t_report_load(path);
		free(path);
	}
	assert_non_null(r);
	assert_string_equal(t_stage_prop(r, "build", "cache"), "hit");
	assert_string_equal(t_stage_prop(r, "smoke", "cached"), "true");
	assert_int_equal(t_report_checks(r, "cached proof", "pass"), 1);
	assert_int_equal(t_report_checks(r, "environment", NULL), 0);
	assert_int_equal(t_report_checks(r, "debootstrap", NULL), 0);
	json_object_put(r);
	assert_int_equal(t_sh("cmp '%s/pub/SHA256SUMS' '%s/pub2/SHA256SUMS'", dir, dir), 0);
	t_rmtree(dir);
	free(dir);
	free(repo);
	strbuf_release(&out);
	strbuf_release(&js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run__whole_pipeline_publishes_what_every_gate_passed),
	};
	return cmocka_run_group_tests_name("pipeline_e2e", tests, NULL, NULL);
}
