/*
 * keygen, sign, verify-signature: Ed25519 signatures of a release's
 * SHA256SUMS, in two formats checked by standard tools:
 *   SHA256SUMS.sig      the raw 64-byte signature of SHA256SUMS
 *                       (openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin)
 *   SHA256SUMS.minisig  minisign's prehashed signature (minisign -V)
 * The keys are PEM (PKCS#8 / SubjectPublicKeyInfo), made by keygen; the
 * private key is read from --key FILE or from SLURM_FACTORY_SIGNING_KEY
 * (the PEM itself), never from the command line, and never printed.
 */
#include "stages.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "fsutil.h"
#include "minisign.h"
#include "sign.h"

#define SUMS "SHA256SUMS"
#define SUMS_MAX (16u << 20)
#define KEY_MAX (64u << 10)
#define KEY_ENV SIGN_KEY_ENV

const struct opt keygen_opts[] = {
	{ "out", OPT_VALUE, "PREFIX",
	  "write PREFIX.key (private, mode 0600), PREFIX.pub and PREFIX.minisign.pub" },
	{ NULL, 0, NULL, NULL },
};

const struct opt sign_opts[] = {
	{ "key", OPT_VALUE | OPTF_INPUT, "FILE",
	  "the Ed25519 private key in PEM (default: the PEM in $" KEY_ENV ")" },
	{ NULL, 0, NULL, NULL },
};

const struct opt verify_signature_opts[] = {
	{ "pubkey", OPT_VALUE | OPTF_INPUT, "FILE", "the release's Ed25519 public key in PEM" },
	{ NULL, 0, NULL, NULL },
};

/* minisign's key id of `pub`: the first 8 bytes of its BLAKE2b-512 (minisign.h). */
static void key_id(const unsigned char pub[ED25519_PUB_SIZE], unsigned char id[MINISIGN_ID_SIZE])
{
	unsigned char h[BLAKE2B512_SIZE];

	blake2b512_of(pub, ED25519_PUB_SIZE, h);
	memcpy(id, h, MINISIGN_ID_SIZE);
}

/* Creates `path` with `data`, never replacing anything there (O_EXCL, then link). */
static int write_new(const char *path, const char *data, size_t len, mode_t mode,
		     struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd = fs_create_temp(path, mode, &tmp, err), ret = -1;
	size_t off = 0;

	if (fd < 0)
		goto out;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			strbuf_addf(err, "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || link(tmp.buf, path) < 0) {
		strbuf_addf(err, "cannot create %s: %s", path,
			    errno == EEXIST ? "it exists (keygen never replaces a key)" :
			    strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.buf);
	}
	strbuf_release(&tmp);
	return ret;
}

int stage_keygen(struct run *run, const void *opts, struct strbuf *err)
{
	const char *prefix = cli_get(&run->cli, "out");
	struct strbuf key = STRBUF_INIT, pub = STRBUF_INIT, mpub = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT;
	unsigned char raw[ED25519_PUB_SIZE], id[MINISIGN_ID_SIZE];
	static const char *const ext[] = { ".key", ".pub", ".minisign.pub" };
	struct stage_report *s;
	struct check *c;
	char hex[17];
	size_t i;
	int ret = -1;

	(void)opts;
	if (!prefix) {
		strbuf_addstr(err, "keygen needs --out PREFIX");
		return -1;
	}
	for (i = 0; i < 3; i++) {
		struct stat st;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s%s", prefix, ext[i]);
		if (!lstat(path.buf, &st)) {
			strbuf_addf(err, "%s exists: keygen never replaces a key", path.buf);
			goto out;
		}
	}
	s = report_add_stage(&run->report, "keygen");
	c = stage_add_check(s, "key pair");
	if (ed25519_keygen(&key, &pub, raw, err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err->buf);
		strbuf_reset(err);
		goto done;
	}
	key_id(raw, id);
	minisign_id_hex(id, hex);
	minisign_pubkey(id, raw, &mpub);
	for (i = 0; i < 3; i++) {
		const struct strbuf *data = i == 0 ? &key : i == 1 ? &pub : &mpub;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s%s", prefix, ext[i]);
		if (write_new(path.buf, data->buf, data->len, i == 0 ? 0600 : 0644, err)) {
			check_fail(c, OUTCOME_ERROR, "%s", err->buf);
			strbuf_reset(err);
			goto done;
		}
	}
	stage_set_prop(s, "key-id", hex);
	check_set_message(c, "Ed25519 key %s: %s.key (private, 0600), %s.pub, %s.minisign.pub",
			  hex, prefix, prefix, prefix);
	if (!run->quiet)
		printf("%s.key\n%s.pub\n%s.minisign.pub\n%s", prefix, prefix, prefix, mpub.buf);
done:
	check_finish(c);
	stage_finish(s);
	ret = 0;
out:
	strbuf_wipe(&key);
	strbuf_release(&pub);
	strbuf_release(&mpub);
	strbuf_release(&path);
	return ret;
}

/*
 * Checks every line of the SHA256SUMS text `sums` against the files of
 * `dir` (regular files, not through a symlink). Findings go to `c`.
 */
static void check_sums_lines(const char *dir, const struct strbuf *sums, struct check *c)
{
	struct strbuf copy = STRBUF_INIT, path = STRBUF_INIT, why = STRBUF_INIT;
	char *line, *next;
	size_t listed = 0, bad = 0;

	strbuf_add(&copy, sums->buf, sums->len);
	for (line = copy.buf; line && *line; line = next) {
		char *hex, *name, got[SHA256_HEX_SIZE];
		struct stat st;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sums_parse_line(line, &hex, &name)) {
			check_add_finding(c, "sums-bad-line", SEV_ERROR, SUMS, line,
					  "not a \"HEX  NAME\" line of sha256sum", NULL);
			bad++;
			continue;
		}
		listed++;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, name);
		strbuf_reset(&why);
		if (strchr(name, '/') || lstat(path.buf, &st) || !S_ISREG(st.st_mode)) {
			check_add_finding(c, "sums-missing-file", SEV_ERROR, name, NULL,
					  "SHA256SUMS lists a file that is not a regular file "
					  "of the directory", "download the release whole");
			bad++;
		} else if (sha256_file(path.buf, got, NULL, &why)) {
			check_add_finding(c, "sums-missing-file", SEV_ERROR, name, NULL, why.buf,
					  NULL);
			bad++;
		} else if (strcmp(got, hex)) {
			check_add_finding(c, "sums-mismatch", SEV_ERROR, name, got,
					  "the file does not match its SHA256SUMS line",
					  "download it again; if it still differs, do not install it");
			bad++;
		}
	}
	if (!listed && !bad)
		check_add_finding(c, "sums-empty", SEV_ERROR, SUMS, NULL,
				  "SHA256SUMS lists no file", NULL);
	check_set_message(c, "%zu files listed, %zu do not match", listed, bad);
	strbuf_release(&copy);
	strbuf_release(&path);
	strbuf_release(&why);
}

int sign_key_read(const struct cli *cli, const char *opt, struct strbuf *key, int *have,
		  struct strbuf *err)
{
	const char *file = cli_get(cli, opt);
	const char *env = getenv(KEY_ENV);
	unsigned char sig[ED25519_SIG_SIZE], pub[ED25519_PUB_SIZE];
	struct strbuf why = STRBUF_INIT;
	int ret = -1;

	*have = 0;
	strbuf_grow(key, KEY_MAX + 1);
	if (file) {
		if (fs_read_small(file, KEY_MAX, key, &why)) {
			strbuf_addf(err, "--%s: %s", opt, why.buf);
			goto out;
		}
	} else if (env && *env) {
		if (strlen(env) > KEY_MAX) {
			strbuf_addstr(err, "$" KEY_ENV " is too long for a key");
			goto out;
		}
		strbuf_addstr(key, env);
	} else {
		ret = 0;
		goto out;
	}
	/* a key that cannot sign is found now, not after the build */
	if (ed25519_sign(key->buf, key->len, "", 0, sig, pub, &why)) {
		strbuf_addf(err, "%s: %s", file ? file : "$" KEY_ENV, why.buf);
		goto out;
	}
	*have = 1;
	ret = 0;
out:
	strbuf_release(&why);
	return ret;
}

/* The trusted comment: when, and what (SOURCE_DATE_EPOCH keeps it reproducible). */
static void trusted_comment(char *out, size_t size)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	unsigned long long t = (unsigned long long)time(NULL);
	char *end;

	if (sde && *sde) {
		unsigned long long v;
		errno = 0;
		v = strtoull(sde, &end, 10);
		if (!errno && !*end)
			t = v;
	}
	snprintf(out, size, "timestamp:%llu\tfile:" SUMS "\thashed", t);
}

int sign_bytes(const struct strbuf *key, const void *msg, size_t len, unsigned char sig[64],
	       char id_hex[17], struct strbuf *err)
{
	unsigned char pub[ED25519_PUB_SIZE], id[MINISIGN_ID_SIZE];

	if (ed25519_sign(key->buf, key->len, msg, len, sig, pub, err))
		return -1;
	key_id(pub, id);
	minisign_id_hex(id, id_hex);
	return 0;
}

int sign_sums(const struct strbuf *key, const struct strbuf *sums, struct strbuf *sig,
	      struct strbuf *minisig, char id_hex[17], struct strbuf *err)
{
	unsigned char pub[ED25519_PUB_SIZE], raw[ED25519_SIG_SIZE], h[BLAKE2B512_SIZE];
	struct strbuf msg = STRBUF_INIT, untrusted = STRBUF_INIT;
	struct minisig ms;
	int ret = -1;

	memset(&ms, 0, sizeof(ms));
	if (ed25519_sign(key->buf, key->len, sums->buf, sums->len, raw, pub, err))
		goto out;
	memcpy(ms.alg, "ED", 2);
	key_id(pub, ms.id);
	blake2b512_of(sums->buf, sums->len, h);
	trusted_comment(ms.trusted, sizeof(ms.trusted));
	if (ed25519_sign(key->buf, key->len, h, sizeof(h), ms.sig, pub, err))
		goto out;
	minisign_global_message(ms.sig, ms.trusted, &msg);
	if (ed25519_sign(key->buf, key->len, msg.buf, msg.len, ms.global, pub, err))
		goto out;
	minisign_id_hex(ms.id, id_hex);
	strbuf_addf(&untrusted, "signature from slurm-factory key %s", id_hex);
	strbuf_add(sig, raw, sizeof(raw));
	minisign_signature(&ms, untrusted.buf, minisig);
	ret = 0;
out:
	strbuf_release(&msg);
	strbuf_release(&untrusted);
	return ret;
}

int stage_sign(struct run *run, const void *opts, struct strbuf *err)
{
	const char *dir = run->cli.nr_args ? run->cli.args[0] : NULL;
	struct strbuf key = STRBUF_INIT, sums = STRBUF_INIT, path = STRBUF_INIT;
	struct strbuf sig = STRBUF_INIT, msig = STRBUF_INIT;
	struct stage_report *s;
	struct check *c;
	char hex[17];
	int have, ret = -1;

	(void)opts;
	if (sign_key_read(&run->cli, "key", &key, &have, err))
		goto out;
	if (!have) {
		strbuf_addstr(err, "sign needs a private key: --key FILE or the PEM in $" KEY_ENV);
		goto out;
	}
	s = report_add_stage(&run->report, "sign");
	stage_set_prop(s, "directory", dir);
	strbuf_addf(&path, "%s/" SUMS, dir);
	c = stage_add_check(s, SUMS);
	if (fs_read_small(path.buf, SUMS_MAX, &sums, err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err->buf);
		strbuf_reset(err);
		goto done;
	}
	/* a signature vouches for the files: they must match first */
	check_sums_lines(dir, &sums, c);
	if (c->outcome != OUTCOME_PASS)
		goto done;
	check_finish(c);
	c = stage_add_check(s, "signatures");
	if (sign_sums(&key, &sums, &sig, &msig, hex, err))
		goto sign_failed;
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/" SUMS ".sig", dir);
	if (fs_write_output(path.buf, sig.buf, sig.len, err))
		goto sign_failed;
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/" SUMS ".minisig", dir);
	if (fs_write_output(path.buf, msig.buf, msig.len, err))
		goto sign_failed;
	stage_set_prop(s, "key-id", hex);
	check_set_message(c, "key %s: " SUMS ".sig (Ed25519) and " SUMS ".minisig (minisign)",
			  hex);
	goto done;
sign_failed:
	check_fail(c, OUTCOME_ERROR, "%s", err->buf);
	strbuf_reset(err);
done:
	check_finish(c);
	stage_finish(s);
	ret = 0;
out:
	strbuf_wipe(&key);
	strbuf_release(&sums);
	strbuf_release(&path);
	strbuf_release(&sig);
	strbuf_release(&msig);
	return ret;
}

/* Checks DIR/SHA256SUMS.minisig: key id, signature, trusted comment. */
static void check_minisig(const char *path, const unsigned char pub[ED25519_PUB_SIZE],
			  const struct strbuf *sums, struct check *c)
{
	struct strbuf text = STRBUF_INIT, why = STRBUF_INIT, msg = STRBUF_INIT;
	unsigned char id[MINISIGN_ID_SIZE], h[BLAKE2B512_SIZE];
	struct minisig ms;
	int prehashed;

	if (fs_read_small(path, 65536, &text, &why) ||
	    minisign_parse(text.buf, text.len, &ms, &why)) {
		check_add_finding(c, "signature-invalid", SEV_ERROR, SUMS ".minisig", NULL,
				  why.buf, NULL);
		goto out;
	}
	key_id(pub, id);
	prehashed = !memcmp(ms.alg, "ED", 2);
	if (prehashed)
		blake2b512_of(sums->buf, sums->len, h);
	minisign_global_message(ms.sig, ms.trusted, &msg);
	if (memcmp(id, ms.id, sizeof(id)))
		check_add_finding(c, "signature-invalid", SEV_ERROR, SUMS ".minisig", NULL,
				  "made with another key (its key id is not this key's)",
				  "check the public key belongs to this release");
	else if (!ed25519_verify(pub, prehashed ? (const void *)h : sums->buf,
				 prehashed ? sizeof(h) : sums->len, ms.sig))
		check_add_finding(c, "signature-invalid", SEV_ERROR, SUMS ".minisig", NULL,
				  "the signature does not match " SUMS,
				  "do not install: " SUMS " changed after signing");
	else if (!ed25519_verify(pub, msg.buf, msg.len, ms.global))
		check_add_finding(c, "signature-invalid", SEV_ERROR, SUMS ".minisig", NULL,
				  "the trusted comment was changed after signing", NULL);
out:
	strbuf_release(&text);
	strbuf_release(&why);
	strbuf_release(&msg);
}

int stage_verify_signature(struct run *run, const void *opts, struct strbuf *err)
{
	const char *dir = run->cli.nr_args ? run->cli.args[0] : NULL;
	const char *pubfile = cli_get(&run->cli, "pubkey");
	struct strbuf pem = STRBUF_INIT, sums = STRBUF_INIT, path = STRBUF_INIT;
	struct strbuf sig = STRBUF_INIT, why = STRBUF_INIT;
	unsigned char pub[ED25519_PUB_SIZE], id[MINISIGN_ID_SIZE];
	struct stage_report *s;
	struct check *c;
	char hex[17];
	int have_sig, have_minisig, ret = -1;

	(void)opts;
	if (!pubfile) {
		strbuf_addstr(err, "verify-signature needs --pubkey FILE");
		goto out;
	}
	if (fs_read_small(pubfile, KEY_MAX, &pem, &why) ||
	    ed25519_pub_from_pem(pem.buf, pem.len, pub, &why)) {
		strbuf_addf(err, "--pubkey %s: %s", pubfile, why.buf);
		goto out;
	}
	key_id(pub, id);
	minisign_id_hex(id, hex);
	s = report_add_stage(&run->report, "verify-signature");
	stage_set_prop(s, "directory", dir);
	stage_set_prop(s, "key-id", hex);
	c = stage_add_check(s, "signature");
	strbuf_addf(&path, "%s/" SUMS, dir);
	if (fs_read_small(path.buf, SUMS_MAX, &sums, &why)) {
		check_add_finding(c, "sums-missing-file", SEV_ERROR, SUMS, NULL, why.buf,
				  "download the release whole");
		check_finish(c);
		goto done;
	}
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/" SUMS ".sig", dir);
	have_sig = fs_is_file(path.buf);
	if (have_sig) {
		strbuf_reset(&why);
		if (fs_read_small(path.buf, 4096, &sig, &why) || sig.len != ED25519_SIG_SIZE)
			check_add_finding(c, "signature-invalid", SEV_ERROR, SUMS ".sig", NULL,
					  why.len ? why.buf : "not a 64-byte Ed25519 signature",
					  NULL);
		else if (!ed25519_verify(pub, sums.buf, sums.len, (unsigned char *)sig.buf))
			check_add_finding(c, "signature-invalid", SEV_ERROR, SUMS ".sig", NULL,
					  "the signature does not match " SUMS " and this key",
					  "do not install: the release or the key is not the one signed");
	}
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/" SUMS ".minisig", dir);
	have_minisig = fs_is_file(path.buf);
	if (have_minisig)
		check_minisig(path.buf, pub, &sums, c);
	if (!have_sig && !have_minisig)
		check_add_finding(c, "signature-missing", SEV_ERROR, SUMS, NULL,
				  "neither " SUMS ".sig nor " SUMS ".minisig is there",
				  "download the signatures with the release");
	check_set_message(c, "key %s:%s%s", hex, have_sig ? " " SUMS ".sig" : "",
			  have_minisig ? " " SUMS ".minisig" : "");
	check_finish(c);
	/* the checksums only mean something once their signature held */
	c = stage_add_check(s, "checksums");
	if (s->checks[0]->outcome != OUTCOME_PASS) {
		c->outcome = OUTCOME_SKIPPED;
		check_set_message(c, "not checked: the signature did not verify");
	} else
		check_sums_lines(dir, &sums, c);
	check_finish(c);
done:
	stage_finish(s);
	ret = 0;
out:
	strbuf_release(&pem);
	strbuf_release(&sums);
	strbuf_release(&path);
	strbuf_release(&sig);
	strbuf_release(&why);
	return ret;
}
