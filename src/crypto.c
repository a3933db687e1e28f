/* The only file that includes OpenSSL: SHA-256 through the EVP digest API. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
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
