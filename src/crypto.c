/* The only file that includes OpenSSL: SHA-256, BLAKE2b and Ed25519 through EVP. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sha256_hex(const unsigned char digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < SHA256_DIGEST_SIZE; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[64] = '\0';
}

void sha256_hex_of(const void *data, size_t len, char hex[SHA256_HEX_SIZE])
{
	unsigned char d[SHA256_DIGEST_SIZE];
	unsigned int n = 0;

	/* a one-shot digest of memory cannot fail but for out of memory */
	if (!EVP_Digest(data, len, d, &n, EVP_sha256(), NULL) || n != SHA256_DIGEST_SIZE)
		abort();
	sha256_hex(d, hex);
}

int sha256_fd(int fd, const char *name, char hex[SHA256_HEX_SIZE],
	      unsigned long long *size,
	      int (*sink)(void *ctx, const void *buf, size_t len, struct strbuf *err),
	      void *ctx, struct strbuf *err)
{
	unsigned char *buf = xmalloc(1 << 18), d[SHA256_DIGEST_SIZE];
	unsigned long long total = 0;
	unsigned int dlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ssize_t n;
	int ret = -1;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		strbuf_addstr(err, "cannot start a SHA-256 digest (libcrypto)");
		goto out;
	}
	while ((n = read(fd, buf, 1 << 18)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "cannot read %s: %s", name, strerror(errno));
			goto out;
		}
		if (!EVP_DigestUpdate(md, buf, (size_t)n)) {
			strbuf_addstr(err, "SHA-256 digest failed (libcrypto)");
			goto out;
		}
		total += (unsigned long long)n;
		if (sink && sink(ctx, buf, (size_t)n, err))
			goto out;
	}
	if (!EVP_DigestFinal_ex(md, d, &dlen) || dlen != SHA256_DIGEST_SIZE) {
		strbuf_addstr(err, "SHA-256 digest failed (libcrypto)");
		goto out;
	}
	sha256_hex(d, hex);
	if (size)
		*size = total;
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return ret;
}

int sha256_file(const char *path, char hex[SHA256_HEX_SIZE],
		unsigned long long *size, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), ret;

	if (fd < 0) {
		strbuf_addf(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	ret = sha256_fd(fd, path, hex, size, NULL, NULL, err);
	close(fd);
	return ret;
}

int sums_parse_line(char *line, char **hex, char **name)
{
	char *n = line + 64;

	if (strlen(line) < 66 || strspn(line, "0123456789abcdef") != 64 || n[0] != ' ')
		return -1;
	n += (n[1] == ' ' || n[1] == '*') ? 2 : 1;
	if (!*n)
		return -1;
	line[64] = '\0';
	*hex = line;
	*name = n;
	return 0;
}

/* ---- Ed25519 ------------------------------------------------------------ */


/* A read-only memory BIO over `len` bytes (PEM need not be NUL-terminated). */
static BIO *mem_in(const char *data, size_t len)
{
	return len > (size_t)INT_MAX ? NULL : BIO_new_mem_buf(data, (int)len);
}

/* Appends what a memory BIO holds to `out`. */
static void bio_drain(BIO *b, struct strbuf *out)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);

	if (n > 0)
		strbuf_add(out, p, (size_t)n);
}

static int raw_pub(EVP_PKEY *k, unsigned char pub[ED25519_PUB_SIZE])
{
	size_t n = ED25519_PUB_SIZE;

	return EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == ED25519_PUB_SIZE ? 0 : -1;
}

int ed25519_keygen(struct strbuf *key_pem, struct strbuf *pub_pem,
		   unsigned char pub[ED25519_PUB_SIZE], struct strbuf *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;
	BIO *kb = BIO_new(BIO_s_secmem()), *pb = BIO_new(BIO_s_mem());
	int ret = -1;

	if (!ctx || !kb || !pb || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, &k) != 1) {
		strbuf_addstr(err, "cannot generate an Ed25519 key (libcrypto)");
		goto out;
	}
	if (PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pb, k) != 1 || raw_pub(k, pub)) {
		strbuf_addstr(err, "cannot write the Ed25519 key as PEM (libcrypto)");
		goto out;
	}
	strbuf_grow(key_pem, 4096);
	bio_drain(kb, key_pem);
	bio_drain(pb, pub_pem);
	ret = 0;
out:
	BIO_free(kb);   /* a secmem BIO clears its memory */
	BIO_free(pb);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int ed25519_sign(const char *key_pem, size_t key_len, const void *msg, size_t len,
		 unsigned char sig[ED25519_SIG_SIZE], unsigned char pub[ED25519_PUB_SIZE],
		 struct strbuf *err)
{
	BIO *b = mem_in(key_pem, key_len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	EVP_MD_CTX *md = NULL;
	size_t n = ED25519_SIG_SIZE;
	int ret = -1;

	if (!k || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		strbuf_addstr(err, "the signing key is not an Ed25519 private key in PEM "
			      "(make one with slurm-factory keygen)");
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(md, sig, &n, msg, len) != 1 || n != ED25519_SIG_SIZE ||
	    raw_pub(k, pub)) {
		strbuf_addstr(err, "Ed25519 signing failed (libcrypto)");
		goto out;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	BIO_free(b);
	return ret;
}

int ed25519_pub_from_pem(const char *pub_pem, size_t pub_len,
			 unsigned char pub[ED25519_PUB_SIZE], struct strbuf *err)
{
	BIO *b = mem_in(pub_pem, pub_len);
	EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	int ret = -1;

	if (!k || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519 || raw_pub(k, pub))
		strbuf_addstr(err, "not an Ed25519 public key in PEM");
	else
		ret = 0;
	EVP_PKEY_free(k);
	BIO_free(b);
	return ret;
}

int ed25519_verify(const unsigned char pub[ED25519_PUB_SIZE], const void *msg, size_t len,
		   const unsigned char sig[ED25519_SIG_SIZE])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
						  ED25519_PUB_SIZE);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
		 EVP_DigestVerify(md, sig, ED25519_SIG_SIZE, msg, len) == 1;

	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ok;
}

void blake2b512_of(const void *data, size_t len, unsigned char out[BLAKE2B512_SIZE])
{
	unsigned int n = 0;

	/* like sha256_hex_of: only out of memory makes a one-shot digest fail */
	if (!EVP_Digest(data, len, out, &n, EVP_blake2b512(), NULL) || n != BLAKE2B512_SIZE)
		abort();
}
