/*
 * The libcrypto (OpenSSL) adapter: SHA-256 of artifacts (checksums,
 * publish's x-amz-content-sha256, upload confirmation, cache keys), and
 * Ed25519 keys and signatures of releases (with BLAKE2b-512, minisign's
 * prehash). The rest of the project never includes OpenSSL's headers. OpenSSL picks the
 * fastest implementation of the machine (SHA-NI, AVX2).
 */
#ifndef SF_CRYPTO_H
#define SF_CRYPTO_H

#include <stddef.h>

#include "strbuf.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE 65   /* 64 hex digits and the NUL */

/* Lower-case hex of a digest into `hex` (65 bytes with the NUL). */
void sha256_hex(const unsigned char digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE]);
/* Digest of `len` bytes in memory, as hex. */
void sha256_hex_of(const void *data, size_t len, char hex[SHA256_HEX_SIZE]);
/*
 * Digest of everything read from `fd` until end of file, as hex; each chunk
 * is also handed to `sink` (may be NULL), whose non-zero return stops with
 * -1 (the sink fills `err`). `name` is for messages; *size (may be NULL)
 * gets the byte count. Used to hash a file while it is being packed.
 */
int sha256_fd(int fd, const char *name, char hex[SHA256_HEX_SIZE],
	      unsigned long long *size,
	      int (*sink)(void *ctx, const void *buf, size_t len, struct strbuf *err),
	      void *ctx, struct strbuf *err);
/*
 * Digest of the file at `path` as hex; its size into *size when not NULL.
 * -1 and `err` when it cannot be read.
 */
int sha256_file(const char *path, char hex[SHA256_HEX_SIZE], unsigned long long *size,
		struct strbuf *err);

/*
 * Splits a line of sha256sum's output ("HEX  NAME", "HEX *NAME" or
 * "HEX NAME"; no newline) in place: *hex (64 lower-case digits) and
 * *name point into `line`. -1 when it is not such a line.
 */
int sums_parse_line(char *line, char **hex, char **name);

/* ---- Ed25519 ------------------------------------------------------------ */

#define ED25519_PUB_SIZE 32
#define ED25519_SIG_SIZE 64
#define BLAKE2B512_SIZE 64

/*
 * A new key pair: the private key as PKCS#8 PEM into `key_pem` (the
 * caller wipes it with strbuf_wipe() when done), the public key as
 * SubjectPublicKeyInfo PEM into `pub_pem` and raw into `pub`.
 */
int ed25519_keygen(struct strbuf *key_pem, struct strbuf *pub_pem,
		   unsigned char pub[ED25519_PUB_SIZE], struct strbuf *err);
/*
 * Signs `msg` with the PEM private key `key_pem` (`key_len` bytes, not
 * NUL-terminated). `pub` gets its raw public key. Messages never quote
 * the key.
 */
int ed25519_sign(const char *key_pem, size_t key_len, const void *msg, size_t len,
		 unsigned char sig[ED25519_SIG_SIZE], unsigned char pub[ED25519_PUB_SIZE],
		 struct strbuf *err);
/*
 * Reads an Ed25519 public key in PEM (`pub_pem`, `pub_len` bytes) into
 * `pub`. -1 with `err` when it is not one.
 */
int ed25519_pub_from_pem(const char *pub_pem, size_t pub_len,
			 unsigned char pub[ED25519_PUB_SIZE], struct strbuf *err);
/* 1 when `sig` is the signature of `msg` by `pub`, else 0. */
int ed25519_verify(const unsigned char pub[ED25519_PUB_SIZE], const void *msg, size_t len,
		   const unsigned char sig[ED25519_SIG_SIZE]);
/* BLAKE2b-512 of `len` bytes (what minisign signs for a prehashed signature). */
void blake2b512_of(const void *data, size_t len, unsigned char out[BLAKE2B512_SIZE]);

#endif
