/* The only file that includes ISA-L: gzip members decoded with igzip. */
#include "gunzip.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gunzip_magic(const unsigned char *p, size_t len)
{
	return len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

#ifndef SF_LIBISAL_SONAME

int gunzip_load(struct strbuf *err)
{
	strbuf_addstr(err, "built without ISA-L (libisal-dev): gzip is inflated with zlib");
	return -1;
}

struct gunzip *gunzip_new(gunzip_source_fn source, void *ctx,
			  const unsigned char *first, size_t first_len)
{
	(void)source, (void)ctx, (void)first, (void)first_len;
	return NULL;
}

ssize_t gunzip_read(struct gunzip *g, void *out, size_t cap, struct strbuf *err)
{
	(void)g, (void)out, (void)cap;
	strbuf_addstr(err, "built without ISA-L");
	return -1;
}

unsigned long gunzip_members(const struct gunzip *g)
{
	(void)g;
	return 0;
}

void gunzip_free(struct gunzip *g)
{
	(void)g;
}

#else

#include <isa-l/igzip_lib.h>

#include "lazylib.h"

#define ISAL_FUNCS(X) \
	X(isal_inflate) \
	X(isal_inflate_init) \
	X(isal_inflate_reset)

LAZYLIB_DEFINE(isal, isal_load, ISAL_FUNCS, SF_LIBISAL_SONAME, "libisal2")

int gunzip_load(struct strbuf *err)
{
	const char *no = getenv("SF_NO_ISAL");

	if (no && *no) {
		strbuf_addstr(err, "SF_NO_ISAL is set: gzip is inflated with zlib");
		return -1;
	}
	return isal_load(err);
}

struct gunzip {
	struct inflate_state st;
	gunzip_source_fn source;
	void *ctx;
	const unsigned char *in;    /* input not yet given to the decoder */
	size_t in_len;
	const unsigned char *rest;  /* the block `carry` took its head from */
	size_t rest_len;
	unsigned char carry[4];     /* a member's first bytes, split over two blocks */
	int src_eof, in_member, done;
	unsigned long members;
	/* an error met after some output: told on the next call */
	ssize_t failed;
	char failed_msg[160];
};

struct gunzip *gunzip_new(gunzip_source_fn source, void *ctx,
			  const unsigned char *first, size_t first_len)
{
	struct gunzip *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	isal.isal_inflate_init(&g->st);
	g->source = source;
	g->ctx = ctx;
	g->in = first;
	g->in_len = first_len;
	return g;
}

void gunzip_free(struct gunzip *g)
{
	free(g);
}

unsigned long gunzip_members(const struct gunzip *g)
{
	return g->members;
}

/* The next block of input into g->in: 1, 0 at the end, -1 when the source failed. */
static int next_block(struct gunzip *g, const unsigned char **buf, size_t *len)
{
	ssize_t n;

	if (g->rest_len) {
		*buf = g->rest;
		*len = g->rest_len;
		g->rest_len = 0;
		return 1;
	}
	if (g->src_eof)
		return 0;
	n = g->source(g->ctx, buf);
	if (n < 0)
		return -1;
	if (n == 0) {
		g->src_eof = 1;
		return 0;
	}
	*len = (size_t)n;
	return 1;
}

/*
 * At least `need` (<= sizeof(carry)) contiguous bytes at g->in, unless the
 * input ends first: bytes of the next block are copied behind the few
 * left of this one. 0, or -1 when the source failed.
 */
static int ensure(struct gunzip *g, size_t need)
{
	while (g->in_len < need) {
		const unsigned char *b;
		size_t bl, take;
		int r = next_block(g, &b, &bl);

		if (r <= 0)
			return r;
		if (!g->in_len) {
			g->in = b;
			g->in_len = bl;
			continue;
		}
		memmove(g->carry, g->in, g->in_len);
		take = need - g->in_len < bl ? need - g->in_len : bl;
		memcpy(g->carry + g->in_len, b, take);
		g->in = g->carry;
		g->in_len += take;
		g->rest = b + take;
		g->rest_len = bl - take;
	}
	return 0;
}

static const char *isal_error(int rc)
{
	switch (rc) {
	case ISAL_INVALID_BLOCK: return "invalid deflate block";
	case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
	case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance";
	case ISAL_INVALID_WRAPPER: return "invalid gzip header";
	case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
	case ISAL_INCORRECT_CHECKSUM: return "CRC-32 or length does not match the data";
	case ISAL_NEED_DICT: return "the stream needs a preset dictionary";
	default: return "the decoder failed";
	}
}

static ssize_t gunzip_step(struct gunzip *g, void *out, size_t cap, struct strbuf *err);

/*
 * What was decoded before an error is returned first, the error on the
 * next call: the bytes before damage reach the reader, as with zlib.
 */
ssize_t gunzip_read(struct gunzip *g, void *out, size_t cap, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	ssize_t n;

	if (g->failed) {
		if (g->failed == -1)
			strbuf_addstr(err, g->failed_msg);
		return g->failed;
	}
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	g->st.avail_out = (uint32_t)cap;
	n = gunzip_step(g, out, cap, &why);
	if (n < 0) {
		size_t produced = cap - g->st.avail_out;

		g->failed = n;
		snprintf(g->failed_msg, sizeof(g->failed_msg), "%s", why.buf);
		if (produced) {
			n = (ssize_t)produced;
		} else if (n == -1) {
			strbuf_addstr(err, why.buf);
		}
	}
	strbuf_release(&why);
	return n;
}

static ssize_t gunzip_step(struct gunzip *g, void *out, size_t cap, struct strbuf *err)
{
	struct inflate_state *st = &g->st;

	if (g->done)
		return 0;
	st->next_out = out;
	st->avail_out = (uint32_t)cap;
	while (st->avail_out) {
		uint32_t in_before, out_before;
		int rc;

		if (!g->in_member) {
			if (ensure(g, 3))
				return -2;
			if (!gunzip_magic(g->in, g->in_len)) {
				if (!g->members) {
					strbuf_addstr(err, "not gzip data");
					return -1;
				}
				/* the end, or bytes after the last member: ignored */
				g->done = 1;
				break;
			}
			isal.isal_inflate_reset(st);
			st->crc_flag = ISAL_GZIP;
			g->in_member = 1;
		}
		if (!g->in_len) {
			int r = next_block(g, &g->in, &g->in_len);

			if (r < 0)
				return -2;
			if (!r) {
				strbuf_addf(err, "truncated: the data ends inside gzip member %lu",
					    g->members + 1);
				return -1;
			}
		}
		st->next_in = (uint8_t *)g->in;
		st->avail_in = g->in_len > UINT32_MAX ? UINT32_MAX : (uint32_t)g->in_len;
		in_before = st->avail_in;
		out_before = st->avail_out;
		rc = isal.isal_inflate(st);
		g->in += in_before - st->avail_in;
		g->in_len -= in_before - st->avail_in;
		if (rc != ISAL_DECOMP_OK) {
			strbuf_addf(err, "gzip member %lu: %s", g->members + 1, isal_error(rc));
			return -1;
		}
		if (st->block_state == ISAL_BLOCK_FINISH) {
			g->in_member = 0;
			g->members++;
			continue;
		}
		if (st->avail_in == in_before && st->avail_out == out_before && st->avail_in) {
			strbuf_addf(err, "gzip member %lu: the decoder made no progress",
				    g->members + 1);
			return -1;
		}
	}
	return (ssize_t)(cap - st->avail_out);
}

#endif
