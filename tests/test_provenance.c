/*
 * Build provenance (provenance.c) and its place in publish
 * (stage_publish.c): an in-toto Statement v1 with SLSA provenance v1 in a
 * DSSE envelope. The signed envelope is checked by an implementation of
 * its own here (python3 for PAE and base64, openssl pkeyutl for Ed25519),
 * and its subjects against sha256sum of the published files.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "provenance.h"

static const char manifest[] =
	"{\"schema\": \"slurm-factory-manifest/1\", \"version\": \"24.11.5\", "
	"\"tag\": \"slurm-24-11-5-1\", \"commit\": \"0123456789abcdef0123456789abcdef01234567\", "
	"\"build\": {\"key\": \"4b25dbd45cd273dcb830808f59b1d2de\", \"recipe_sha256\": "
	"\"67b09099d5bd0d22b6cb86c8a3b7b380b19d339916487093630e7f0db367f935\", \"image\": "
	"\"sf-build-bookworm-a3a67dcb278ef27b\", \"image_packages_sha256\": "
	"\"ac6c16114415e09545415d1ff4438211711329395cea9523e048a7048d55e7c1\", \"backend\": \"lxd\", \"prefix\": "
	"\"/opt/slurm/software\", \"gpu\": \"false\", \"minimal\": \"true\", "
	"\"configure_args\": [\"--with-x=/y\"]}}";

/* A member path ("a.b.c", array elements as numbers) of `o`, as a string, or NULL. */
static const char *at(struct json_object *o, const char *path)
{
	char *copy = xstrdup(path), *tok, *save = NULL;
	struct json_object *cur = o;

	for (tok = strtok_r(copy, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(cur, json_type_array))
			cur = json_object_array_get_idx(cur, strtoul(tok, NULL, 10));
		else if (!json_object_object_get_ex(cur, tok, &cur))
			cur = NULL;
	}
	free(copy);
	return cur ? json_object_get_string(cur) : NULL;
}

static void prov_statement__subjects_sorted_and_the_build_from_the_manifest(void **unused)
{
	struct prov_subject subj[] = {
		{ "slurm-24.11.5-software.tar.gz", "bb" },
		{ "SHA256SUMS", "aa" },
		{ "manifest.json", "cc" },
	};
	struct prov_params p = { manifest, subj, 3, "0.1.0", "https://ci.example/job/1",
				 "https://ci.example/job/1", "2026-12-03T10:00:00Z",
				 "2026-12-03T10:30:00Z" };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *st;

	(void)unused;
	assert_int_equal(prov_statement(&p, &out, &err), 0);
	/* one line: what a .jsonl payload must be */
	assert_null(strchr(out.buf, '\n'));
	st = json_tokener_parse(out.buf);
	assert_non_null(st);
	assert_string_equal(at(st, "_type"), PROV_STATEMENT_TYPE);
	assert_string_equal(at(st, "predicateType"), PROV_PREDICATE_TYPE);
	assert_string_equal(at(st, "subject.0.name"), "SHA256SUMS");
	assert_string_equal(at(st, "subject.0.digest.sha256"), "aa");
	assert_string_equal(at(st, "subject.1.name"), "manifest.json");
	assert_string_equal(at(st, "subject.2.digest.sha256"), "bb");
	assert_null(at(st, "subject.3"));
	assert_string_equal(at(st, "predicate.buildDefinition.buildType"), PROV_BUILD_TYPE);
	assert_string_equal(at(st, "predicate.buildDefinition.externalParameters.version"), "24.11.5");
	assert_string_equal(at(st, "predicate.buildDefinition.externalParameters.minimal"), "true");
	assert_string_equal(at(st, "predicate.buildDefinition.externalParameters.configure_args.0"),
			    "--with-x=/y");
	assert_string_equal(at(st, "predicate.buildDefinition.resolvedDependencies.0.digest.gitCommit"),
			    "0123456789abcdef0123456789abcdef01234567");
	assert_string_equal(at(st, "predicate.buildDefinition.resolvedDependencies.0.uri"),
			    "pkg:github/schedmd/slurm@slurm-24-11-5-1");
	assert_string_equal(at(st, "predicate.buildDefinition.resolvedDependencies.1.uri"),
			    "urn:slurm-factory:lxd-image:sf-build-bookworm-a3a67dcb278ef27b");
	assert_string_equal(at(st, "predicate.buildDefinition.resolvedDependencies.1.digest.sha256"),
			    "ac6c16114415e09545415d1ff4438211711329395cea9523e048a7048d55e7c1");
	assert_string_equal(at(st, "predicate.buildDefinition.resolvedDependencies.2.digest.sha256"),
			    "67b09099d5bd0d22b6cb86c8a3b7b380b19d339916487093630e7f0db367f935");
	assert_string_equal(at(st, "predicate.runDetails.builder.id"), "https://ci.example/job/1");
	assert_string_equal(at(st, "predicate.runDetails.builder.version.slurm-factory"), "0.1.0");
	assert_string_equal(at(st, "predicate.runDetails.metadata.finishedOn"), "2026-12-03T10:30:00Z");
	/* URLs stay readable: no "\/" */
	assert_null(strstr(out.buf, "\\/"));
	json_object_put(st);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void prov_statement__refuses_what_is_not_a_manifest(void **unused)
{
	const char *bad[] = { "", "[]", "{\"schema\": \"other/1\", \"version\": \"1\"}",
			      "{\"schema\": \"slurm-factory-manifest/1\"}", "{\"schema\": " };
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prov_params p = { bad[i], NULL, 0, "0.1.0", "urn:x", NULL, NULL, NULL };
		struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
		assert_int_equal(prov_statement(&p, &out, &err), -1);
		assert_non_null(strstr(err.buf, "not a slurm-factory manifest"));
		assert_int_equal(out.len, 0);
		strbuf_release(&out);
		strbuf_release(&err);
	}
}

static void prov_builder_id__github_then_gitlab_then_local(void **unused)
{
	struct strbuf b = STRBUF_INIT;

	(void)unused;
	prov_builder_id("https://github.com", "o/r", "42", "https://gitlab/j/7", &b);
	assert_string_equal(b.buf, "https://github.com/o/r/actions/runs/42");
	strbuf_reset(&b);
	prov_builder_id("https://github.com", "", "42", "https://gitlab/j/7", &b);
	assert_string_equal(b.buf, "https://gitlab/j/7");
	strbuf_reset(&b);
	prov_builder_id(NULL, NULL, NULL, "", &b);
	assert_string_equal(b.buf, "urn:slurm-factory:builder:local");
	strbuf_release(&b);
}

static void dsse_pae__is_the_spec_s_byte_string(void **unused)
{
	struct strbuf out = STRBUF_INIT;

	(void)unused;
	/* the example of the DSSE specification (protocol.md) */
	dsse_pae("http://example.com/HelloWorld", "hello world", 11, &out);
	assert_string_equal(out.buf, "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
	strbuf_release(&out);
}

/* A packaged release in tmp/rel (a real `package` run) and a key pair tmp/k.* */
static void release_and_key(const struct t_tmp *t)
{
	assert_int_equal(t_sh("cd '%s' && mkdir -p tree/bin rel && cp /bin/true tree/bin/ && "
			      "'%s' package tree --slurm-version 24.11.5 --tag slurm-24-11-5-1 "
			      "--commit 0123456789abcdef0123456789abcdef01234567 --output-dir rel --quiet && "
			      "'%s' keygen --out k --quiet", t->dir, t_bin(), t_bin()), 0);
}

/*
 * The independent check: python3 reads the envelope, builds PAE itself,
 * openssl verifies the Ed25519 signature with the public key; then every
 * subject is a published file with the sha256 sha256sum gives, and every
 * published file but the envelope is a subject.
 */
static const char checker[] =
	"import base64, json, subprocess, sys, os, hashlib\n"
	"d, pub = sys.argv[1], sys.argv[2]\n"
	"env = json.loads(open(os.path.join(d, 'slurm-24.11.5.intoto.jsonl')).readline())\n"
	"t = env['payloadType'].encode(); body = base64.b64decode(env['payload'])\n"
	"pae = b'DSSEv1 %d %s %d %s' % (len(t), t, len(body), body)\n"
	"open('pae.bin', 'wb').write(pae)\n"
	"open('sig.bin', 'wb').write(base64.b64decode(env['signatures'][0]['sig']))\n"
	"subprocess.run(['openssl', 'pkeyutl', '-verify', '-rawin', '-pubin', '-inkey', pub,\n"
	"                '-in', 'pae.bin', '-sigfile', 'sig.bin'], check=True,\n"
	"               stdout=subprocess.DEVNULL)\n"
	"st = json.loads(body)\n"
	"assert st['predicateType'] == 'https://slsa.dev/provenance/v1'\n"
	"names = [s['name'] for s in st['subject']]\n"
	"assert len(names) == len(set(names)), names\n"
	"subj = {s['name']: s['digest']['sha256'] for s in st['subject']}\n"
	"files = set(os.listdir(d)) - {'slurm-24.11.5.intoto.jsonl'}\n"
	"assert set(subj) == files, (sorted(subj), sorted(files))\n"
	"for n, h in subj.items():\n"
	"    assert hashlib.sha256(open(os.path.join(d, n), 'rb').read()).hexdigest() == h, n\n"
	"for line in open(os.path.join(d, 'SHA256SUMS')):\n"
	"    h, n = line.split()\n"
	"    assert subj[n] == h, n\n"
	"print('ok', len(subj))\n";

static void publish__signed_provenance_verifies_independently_and_a_changed_byte_fails(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf out = STRBUF_INIT;
	char *py = xasprintf("%s/check.py", t->dir);

	release_and_key(t);
	assert_int_equal(t_writestr(py, checker), 0);
	free(py);
	assert_int_equal(t_sh("cd '%s' && mkdir dest && GITHUB_SERVER_URL=https://github.com "
			      "GITHUB_REPOSITORY=o/r GITHUB_RUN_ID=77 '%s' publish rel --to dest "
			      "--sign-key k.key --json p.json --quiet", t->dir, t_bin()), 0);
	assert_int_equal(t_sh_capture(&out, "cd '%s' && python3 check.py dest k.pub", t->dir), 0);
	/* tarballs, manifest, both SBOMs, SHA256SUMS and its two signatures */
	assert_non_null(strstr(out.buf, "ok 8"));
	/* the CI job is the builder; the key never leaves */
	assert_int_equal(t_sh("cd '%s' && python3 -c \"import json,base64; e=json.loads(open("
			      "'dest/slurm-24.11.5.intoto.jsonl').read()); s=json.loads(base64."
			      "b64decode(e['payload'])); assert s['predicate']['runDetails']['builder']"
			      "['id']=='https://github.com/o/r/actions/runs/77'\"", t->dir), 0);
	assert_int_equal(t_sh("cd '%s' && k=$(sed -n 2p k.key) && ! grep -rqF \"$k\" dest p.json",
			      t->dir), 0);
	assert_int_equal(t_sh("cd '%s' && grep -q 'signed (DSSE, key ' p.json", t->dir), 0);
	/* one byte of the payload changed: the independent check fails */
	assert_int_equal(t_sh("cd '%s' && python3 -c \"import json,base64; p='dest/slurm-24.11.5."
			      "intoto.jsonl'; e=json.loads(open(p).read()); b=bytearray(base64.b64decode("
			      "e['payload'])); b[-3]^=1; e['payload']=base64.b64encode(bytes(b)).decode(); "
			      "open(p,'w').write(json.dumps(e)+'\\n')\"", t->dir), 0);
	assert_int_not_equal(t_sh("cd '%s' && python3 check.py dest k.pub >/dev/null 2>&1", t->dir), 0);
	/* another key: fails */
	assert_int_equal(t_sh("cd '%s' && '%s' keygen --out k2 --quiet && rm -rf dest && mkdir dest && "
			      "'%s' publish rel --to dest --sign-key k.key --quiet", t->dir, t_bin(),
			      t_bin()), 0);
	assert_int_equal(t_sh("cd '%s' && python3 check.py dest k.pub >/dev/null", t->dir), 0);
	assert_int_not_equal(t_sh("cd '%s' && python3 check.py dest k2.pub >/dev/null 2>&1", t->dir), 0);
	/*
	 * a release directory that kept an earlier publish's signatures and
	 * provenance (as --output-dir does), published again with another key:
	 * each name once, the new ones, and the provenance is not its own subject
	 */
	strbuf_reset(&out);
	assert_int_equal(t_sh("cd '%s' && cp dest/SHA256SUMS.sig dest/SHA256SUMS.minisig "
			      "dest/slurm-24.11.5.intoto.jsonl rel/ && mkdir dest2 && "
			      "'%s' publish rel --to dest2 --sign-key k2.key --quiet && "
			      "test $(ls dest2 | wc -l) = 9", t->dir, t_bin()), 0);
	assert_int_equal(t_sh_capture(&out, "cd '%s' && python3 check.py dest2 k2.pub", t->dir), 0);
	assert_non_null(strstr(out.buf, "ok 8"));
	assert_int_equal(t_sh("cd '%s' && openssl pkeyutl -verify -pubin -inkey k2.pub -rawin "
			      "-in dest2/SHA256SUMS -sigfile dest2/SHA256SUMS.sig", t->dir), 0);
	strbuf_release(&out);
}

static void publish__unsigned_without_a_key_and_none_for_a_directory_without_a_manifest(void **state)
{
	struct t_tmp *t = *state;

	release_and_key(t);
	assert_int_equal(t_sh("cd '%s' && mkdir dest && '%s' publish rel --to dest --json p.json "
			      "--quiet", t->dir, t_bin()), 0);
	assert_int_equal(t_sh("cd '%s' && python3 -c \"import json; e=json.loads(open("
			      "'dest/slurm-24.11.5.intoto.jsonl').read()); assert e['signatures']==[]\" && "
			      "grep -q 'unsigned (no --sign-key)' p.json", t->dir), 0);
	/* a plain directory of files: published, no provenance, the check says why */
	assert_int_equal(t_sh("cd '%s' && mkdir plain dest2 && echo x > plain/a.txt && "
			      "'%s' publish plain --to dest2 --json p2.json --quiet && "
			      "test -z \"$(ls dest2 | grep intoto)\" && test -s dest2/a.txt && "
			      "grep -q 'not a slurm-factory release, no provenance' p2.json",
			      t->dir, t_bin()), 0);
	/* a manifest whose schema is null (not a string): published as plain files, no crash */
	assert_int_equal(t_sh("cd '%s' && mkdir nul dest4 && echo x > nul/a.txt && "
			      "printf '{\"schema\": null, \"version\": \"1\"}' > nul/manifest.json && "
			      "'%s' publish nul --to dest4 --json p4.json --quiet && test -s dest4/a.txt && "
			      "grep -q 'is not a slurm-factory manifest: no provenance' p4.json",
			      t->dir, t_bin()), 0);
	/* a manifest whose version could name a path: refused, nothing published */
	assert_int_equal(t_sh("cd '%s' && mkdir bad dest3 && echo x > bad/a.txt && "
			      "printf '{\"schema\": \"slurm-factory-manifest/1\", \"version\": \"../x\"}' "
			      "> bad/manifest.json && ! '%s' publish bad --to dest3 --json p3.json --quiet "
			      "2>/dev/null && test -z \"$(ls -A dest3)\" && test ! -e x.intoto.jsonl",
			      t->dir, t_bin()), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, t_tmp_setup, t_tmp_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prov_statement__subjects_sorted_and_the_build_from_the_manifest),
		cmocka_unit_test(prov_statement__refuses_what_is_not_a_manifest),
		cmocka_unit_test(prov_builder_id__github_then_gitlab_then_local),
		cmocka_unit_test(dsse_pae__is_the_spec_s_byte_string),
		T(publish__signed_provenance_verifies_independently_and_a_changed_byte_fails),
		T(publish__unsigned_without_a_key_and_none_for_a_directory_without_a_manifest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
