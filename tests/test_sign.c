/*
 * keygen, sign, verify-signature (stage_sign.c), minisign's formats
 * (minisign.c) and Ed25519 (crypto.c): every signature the tool writes is
 * checked by the standard tools, openssl pkeyutl and Debian's minisign.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "crypto.h"
#include "minisign.h"

/* The release directory tmp/rel: two files and their SHA256SUMS; keys in tmp/k.* */
static void release(const struct t_tmp *t)
{
	assert_int_equal(t_sh("cd '%s' && mkdir -p rel && printf 'slurm tarball\\n' > rel/slurm-24.11.5.tar.gz && "
			      "head -c 100000 /dev/urandom > rel/slurm-modules.tar.gz && "
			      "(cd rel && sha256sum slurm-24.11.5.tar.gz slurm-modules.tar.gz > SHA256SUMS)",
			      t->dir), 0);
}

static void keygen(const struct t_tmp *t, const char *name)
{
	assert_int_equal(t_sh("cd '%s' && '%s' keygen --out %s --quiet", t->dir, t_bin(), name), 0);
}

static int sign(const struct t_tmp *t, const char *key)
{
	return t_sh("cd '%s' && SOURCE_DATE_EPOCH=1700000000 '%s' sign rel --key %s --quiet",
		    t->dir, t_bin(), key);
}

static int verify_sig(const struct t_tmp *t, const char *pub)
{
	return t_sh("cd '%s' && '%s' verify-signature rel --pubkey %s --quiet --json v.json",
		    t->dir, t_bin(), pub);
}

static void base64__matches_rfc4648_and_round_trips(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	unsigned char buf[256], back[256];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		struct strbuf sb = STRBUF_INIT;
		base64_encode(vec[i][0], strlen(vec[i][0]), &sb);
		assert_string_equal(sb.buf, vec[i][1]);
		assert_int_equal(base64_decode(sb.buf, sb.len, back, sizeof(back), &n), 0);
		assert_int_equal(n, strlen(vec[i][0]));
		assert_memory_equal(back, vec[i][0], n);
		strbuf_release(&sb);
	}
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	for (i = 0; i <= sizeof(buf); i += 17) {
		struct strbuf sb = STRBUF_INIT;
		base64_encode(buf, i, &sb);
		assert_int_equal(base64_decode(sb.buf, sb.len, back, sizeof(back), &n), 0);
		assert_int_equal(n, i);
		assert_memory_equal(back, buf, i);
		strbuf_release(&sb);
	}
}

static void base64_decode__refuses_what_is_not_base64(void **state)
{
	static const char *const bad[] = { "Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg=", "Zm 9" };
	unsigned char out[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n), -1);
	/* and what does not fit */
	assert_int_equal(base64_decode("Zm9vYmFy", 8, out, 5, &n), -1);
}

static void minisign_parse__reads_what_it_wrote_and_refuses_damage(void **state)
{
	struct minisig s, back;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	char *p;

	(void)state;
	memset(&s, 0, sizeof(s));
	memcpy(s.alg, "ED", 2);
	memset(s.id, 0xa5, sizeof(s.id));
	memset(s.sig, 0x11, sizeof(s.sig));
	memset(s.global, 0x22, sizeof(s.global));
	snprintf(s.trusted, sizeof(s.trusted), "timestamp:1\tfile:SHA256SUMS\thashed");
	minisign_signature(&s, "signature from a test", &text);
	assert_int_equal(minisign_parse(text.buf, text.len, &back, &err), 0);
	assert_memory_equal(back.alg, "ED", 2);
	assert_memory_equal(back.id, s.id, sizeof(s.id));
	assert_memory_equal(back.sig, s.sig, sizeof(s.sig));
	assert_memory_equal(back.global, s.global, sizeof(s.global));
	assert_string_equal(back.trusted, s.trusted);
	/* the second line cut by one character */
	p = strchr(text.buf, '\n') + 1;
	memmove(p + 5, p + 6, strlen(p + 6) + 1);
	assert_int_equal(minisign_parse(text.buf, strlen(text.buf), &back, &err), -1);
	assert_non_null(strstr(err.buf, "line 2"));
	strbuf_release(&text);
	strbuf_release(&err);
}

static void keygen__private_key_is_mode_0600_and_never_replaced(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf out = STRBUF_INIT;
	char *key = xasprintf("%s/k.key", t->dir);
	struct stat st;

	keygen(t, "k");
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* openssl reads both halves as Ed25519 */
	assert_int_equal(t_sh_capture(&out, "cd '%s' && openssl pkey -in k.key -noout -text && "
				      "openssl pkey -pubin -in k.pub -noout -text", t->dir), 0);
	assert_non_null(strstr(out.buf, "ED25519"));
	/* a second keygen to the same prefix fails and leaves the key alone */
	strbuf_reset(&out);
	assert_int_equal(t_sh("cd '%s' && cp k.key k.key.before", t->dir), 0);
	assert_int_not_equal(t_sh_capture(&out, "cd '%s' && '%s' keygen --out k", t->dir, t_bin()), 0);
	assert_non_null(strstr(out.buf, "never replaces"));
	assert_int_equal(t_sh("cd '%s' && cmp k.key k.key.before", t->dir), 0);
	free(key);
	strbuf_release(&out);
}

static void sign__signatures_verify_with_openssl_and_minisign(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf out = STRBUF_INIT;

	release(t);
	keygen(t, "k");
	assert_int_equal(sign(t, "k.key"), 0);
	assert_int_equal(t_sh("cd '%s' && openssl pkeyutl -verify -pubin -inkey k.pub -rawin "
			      "-in rel/SHA256SUMS -sigfile rel/SHA256SUMS.sig", t->dir), 0);
	assert_int_equal(t_sh_capture(&out, "cd '%s' && minisign -V -p k.minisign.pub -m rel/SHA256SUMS",
				      t->dir), 0);
	assert_non_null(strstr(out.buf, "timestamp:1700000000"));
	assert_int_equal(verify_sig(t, "k.pub"), 0);
	strbuf_release(&out);
}

static void sign__same_key_and_files_give_the_same_bytes(void **state)
{
	struct t_tmp *t = *state;

	release(t);
	keygen(t, "k");
	assert_int_equal(sign(t, "k.key"), 0);
	assert_int_equal(t_sh("cd '%s' && cp rel/SHA256SUMS.sig s1 && cp rel/SHA256SUMS.minisig m1",
			      t->dir), 0);
	assert_int_equal(sign(t, "k.key"), 0);
	assert_int_equal(t_sh("cd '%s' && cmp s1 rel/SHA256SUMS.sig && cmp m1 rel/SHA256SUMS.minisig",
			      t->dir), 0);
}

static void sign__refuses_files_that_do_not_match_their_sums(void **state)
{
	struct t_tmp *t = *state;

	release(t);
	keygen(t, "k");
	assert_int_equal(t_sh("cd '%s' && echo more >> rel/slurm-24.11.5.tar.gz", t->dir), 0);
	assert_int_equal(sign(t, "k.key"), 1);
	assert_int_equal(t_sh("cd '%s' && test ! -e rel/SHA256SUMS.sig && "
			      "test ! -e rel/SHA256SUMS.minisig", t->dir), 0);
}

static void sign__key_from_the_environment_never_reaches_output_or_reports(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf key = STRBUF_INIT, all = STRBUF_INIT, body = STRBUF_INIT;
	char *p, *line;

	release(t);
	keygen(t, "k");
	p = xasprintf("%s/k.key", t->dir);
	assert_int_equal(t_read(p, &key), 0);
	free(p);
	/* the base64 lines of the PEM: what a leak would show */
	for (line = strtok(key.buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "-----", 5))
			strbuf_addstr(&body, line);
	assert_true(body.len > 40);
	assert_int_equal(t_sh("cd '%s' && SLURM_FACTORY_SIGNING_KEY=\"$(cat k.key)\" '%s' sign rel "
			      "--verbose --json r.json --junit r.xml > out.log 2>&1", t->dir, t_bin()), 0);
	assert_int_equal(t_sh_capture(&all, "cd '%s' && cat out.log r.json r.xml rel/*", t->dir), 0);
	assert_null(strstr(all.buf, body.buf));
	assert_int_equal(verify_sig(t, "k.pub"), 0);
	strbuf_wipe(&key);
	strbuf_release(&all);
	strbuf_release(&body);
}

static void verify_signature__a_changed_byte_anywhere_fails(void **state)
{
	struct t_tmp *t = *state;
	/*
	 * every change changes a byte for sure: writing a fixed value missed
	 * when the byte already held it (1 run in 256 for the signature)
	 */
#define FLIP(file, off) "b=$(od -An -tu1 -j" off " -N1 " file " | tr -d ' ') && " \
	"printf \"\\$(printf %03o $((b ^ 1)))\" | dd of=" file " bs=1 seek=" off \
	" conv=notrunc 2>/dev/null"
	static const char *const change[] = {
		/* a file of the release, the sums, each signature, the trusted comment */
		FLIP("rel/slurm-modules.tar.gz", "5000"),
		"sed -i '1{s/^0/1/;t;s/^./0/}' rel/SHA256SUMS",
		FLIP("rel/SHA256SUMS.sig", "10"),
		"sed -i 's/timestamp:1700000000/timestamp:1700000001/' rel/SHA256SUMS.minisig",
		"rm rel/slurm-24.11.5.tar.gz",
		"rm rel/SHA256SUMS.sig rel/SHA256SUMS.minisig",
	};
	size_t i;
	int rc;

	release(t);
	keygen(t, "k");
	assert_int_equal(t_sh("cd '%s' && cp -a rel good", t->dir), 0);
	for (i = 0; i < sizeof(change) / sizeof(change[0]); i++) {
		assert_int_equal(t_sh("cd '%s' && rm -rf rel && cp -a good rel", t->dir), 0);
		assert_int_equal(sign(t, "k.key"), 0);
		assert_int_equal(verify_sig(t, "k.pub"), 0);
		assert_int_equal(t_sh("cd '%s' && %s", t->dir, change[i]), 0);
		rc = verify_sig(t, "k.pub");
		if (rc != 1)
			print_message("# not caught: %s\n", change[i]);
		assert_int_equal(rc, 1);
	}
#undef FLIP
}

static void verify_signature__another_key_fails(void **state)
{
	struct t_tmp *t = *state;
	struct json_object *r;
	char *json = xasprintf("%s/v.json", ((struct t_tmp *)*state)->dir);

	release(t);
	keygen(t, "k");
	keygen(t, "other");
	assert_int_equal(sign(t, "k.key"), 0);
	assert_int_equal(verify_sig(t, "other.pub"), 1);
	r = t_report_load(json);
	assert_non_null(r);
	/* both formats refused, and the checksums not vouched for */
	assert_int_equal(t_report_count(r, "signature-invalid", NULL), 2);
	assert_int_equal(t_report_checks(r, "checksums", "skipped"), 1);
	json_object_put(r);
	free(json);
}

static void publish__uploads_the_signatures_after_the_sums(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf out = STRBUF_INIT;
	const char *sums, *sig, *minisig;

	release(t);
	keygen(t, "k");
	assert_int_equal(sign(t, "k.key"), 0);
	assert_int_equal(t_sh_capture(&out, "cd '%s' && mkdir dest && '%s' publish rel --to dest --verbose",
				      t->dir, t_bin()), 0);
	sums = strstr(out.buf, "publish: SHA256SUMS (");
	sig = strstr(out.buf, "SHA256SUMS.sig");
	minisig = strstr(out.buf, "SHA256SUMS.minisig");
	if (!sums || !sig || !minisig)
		print_message("# publish said:\n%s\n", out.buf);
	assert_true(sums && sig && minisig && sums < sig && sums < minisig);
	assert_int_equal(t_sh("cd '%s' && cmp rel/SHA256SUMS.minisig dest/SHA256SUMS.minisig", t->dir), 0);
	strbuf_release(&out);
}

static void publish__signs_with_the_environment_key_without_writing_dir(void **state)
{
	struct t_tmp *t = *state;

	release(t);
	keygen(t, "k");
	assert_int_equal(t_sh("cd '%s' && mkdir dest && SLURM_FACTORY_SIGNING_KEY=\"$(cat k.key)\" "
			      "'%s' publish rel --to dest --quiet", t->dir, t_bin()), 0);
	/* the release directory is only read */
	assert_int_equal(t_sh("cd '%s' && test ! -e rel/SHA256SUMS.sig && "
			      "test ! -e rel/SHA256SUMS.minisig", t->dir), 0);
	assert_int_equal(t_sh("cd '%s' && '%s' verify-signature dest --pubkey k.pub --quiet && "
			      "minisign -Vq -p k.minisign.pub -m dest/SHA256SUMS", t->dir, t_bin()), 0);
	/* a key that cannot sign stops publish before anything is uploaded */
	assert_int_equal(t_sh("cd '%s' && mkdir dest2 && '%s' publish rel --to dest2 "
			      "--sign-key k.pub --quiet 2>/dev/null", t->dir, t_bin()), 129);
	assert_int_equal(t_sh("cd '%s' && test -z \"$(ls -A dest2)\"", t->dir), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, t_tmp_setup, t_tmp_teardown)
	const struct CMUnitTest tests[] = {
		T(base64__matches_rfc4648_and_round_trips),
		T(base64_decode__refuses_what_is_not_base64),
		T(minisign_parse__reads_what_it_wrote_and_refuses_damage),
		T(keygen__private_key_is_mode_0600_and_never_replaced),
		T(sign__signatures_verify_with_openssl_and_minisign),
		T(sign__same_key_and_files_give_the_same_bytes),
		T(sign__refuses_files_that_do_not_match_their_sums),
		T(sign__key_from_the_environment_never_reaches_output_or_reports),
		T(verify_signature__a_changed_byte_anywhere_fails),
		T(verify_signature__another_key_fails),
		T(publish__uploads_the_signatures_after_the_sums),
		T(publish__signs_with_the_environment_key_without_writing_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
