/*
 * gzip decoding with ISA-L (libisal), the only file that includes it.
 *
 * zlib, which libarchive inflates with, decodes a .tar.gz at about half the
 * speed of ISA-L's igzip on the same machine; the extraction's decoder
 * thread is bound by it. So when libisal is there, archive.c undoes a gzip
 * layer with this decoder and leaves the rest (further filters, the tar
 * reader) to libarchive; when it is not, libarchive's own gzip filter
 * (zlib) does the work, with the same verdicts.
 *
 * libisal is loaded with dlopen() on first use (lazylib.h), by the soname
 * of the development library the program was built against; a build
 * without libisal-dev has no ISA-L decoder and says so.
 *
 * The decoder reads what gzip -dc reads: one or more members, each with its
 * CRC-32 and length checked; after the last member, bytes that do not
 * start another member are ignored (as libarchive and gzip do).
 */
#ifndef SF_GUNZIP_H
#define SF_GUNZIP_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

/*
 * Loads libisal. 0 when the ISA-L decoder can be used, -1 with `err`
 * saying why not (not built in, library missing, SF_NO_ISAL set in the
 * environment). Call it on the main thread before any decoder runs
 * (lazylib.h): gunzip_new() is valid only after it returned 0.
 */
int gunzip_load(struct strbuf *err);

/*
 * Where the compressed bytes come from: sets `*buf` to the next block and
 * returns its length, 0 at the end of the input, -1 on an error (the
 * source keeps its own message). A block stays valid until the next call.
 */
typedef ssize_t (*gunzip_source_fn)(void *ctx, const unsigned char **buf);

struct gunzip;

/*
 * A decoder reading from `source`. `first`/`first_len`: bytes the caller
 * already took from the source (its first block, or a part of it), decoded
 * before the source is asked for more; borrowed, they must stay valid
 * until the decoder has asked the source for its next block. NULL when out
 * of memory. Free with gunzip_free().
 */
struct gunzip *gunzip_new(gunzip_source_fn source, void *ctx,
			  const unsigned char *first, size_t first_len);

/*
 * Decodes up to `cap` bytes into `out`. Returns how many (> 0), 0 at the
 * end of the last member, -1 with `err` on damaged or truncated data, or
 * -2 when the source failed (its own message says why).
 */
ssize_t gunzip_read(struct gunzip *g, void *out, size_t cap, struct strbuf *err);

/* Members decoded to their end so far. */
unsigned long gunzip_members(const struct gunzip *g);

void gunzip_free(struct gunzip *g);

/* The first bytes of a gzip member (RFC 1952: ID1 ID2 CM=deflate). */
int gunzip_magic(const unsigned char *p, size_t len);

#endif
