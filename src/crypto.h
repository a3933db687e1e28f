/*
 * The libcrypto (OpenSSL) adapter: SHA-256 of artifacts (checksums,
 * publish's x-amz-content-sha256, upload confirmation, cache keys). The
 * rest of the project never includes OpenSSL's headers. OpenSSL picks the
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

#endif
