/*
 * gunzip.c: ISA-L's decoder behind gunzip_read(), on gzip files written at
 * test time by gzip(1) and compared byte for byte with what went in.
 */
#include "testlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gunzip.h"

/* A source serving a buffer in blocks of `block` bytes (the last one shorter). */
struct src {
	const unsigned char *data;
	size_t len, off, block;
	int fail_at;        /* fail on this call (1-based), 0: never */
	int calls;
};

static ssize_t src_read(void *ctx, const unsigned char **buf)
{
	struct src *s = ctx;
	size_t n = s->len - s->off < s->block ? s->len - s->off : s->block;

	if (++s->calls == s->fail_at)
		return -1;
	*buf = s->data + s->off;
	s->off += n;
	return (ssize_t)n;
}

/* Deterministic, half-compressible bytes: text with runs of noise. */
static void fill(struct strbuf *sb, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		strbuf_addch(sb, (i / 4096) % 2 ? (char)(x >> 24) : "slurm-factory "[i % 14]);
	}
}

/* gzip(1) of `data` (one member), into `out`. */
static void gzip_of(struct t_tmp *t, const struct strbuf *data, const char *name,
		    struct strbuf *out)
{
	char *p = xasprintf("%s/%s", t->dir, name);

	assert_int_equal(t_write(p, data->buf, data->len, 0644), 0);
	assert_int_equal(t_sh("gzip -6 -n -f '%s'", p), 0);
	free(p);
	p = xasprintf("%s/%s.gz", t->dir, name);
	assert_int_equal(t_read(p, out), 0);
	free(p);
}

/*
 * Decodes `gz` in source blocks of `block` bytes and output chunks of
 * `chunk` bytes into `out`. Returns gunzip_read()'s last result.
 */
static ssize_t decode(const struct strbuf *gz, size_t block, size_t chunk,
		      struct strbuf *out, struct strbuf *err, unsigned long *members)
{
	struct src s = { (const unsigned char *)gz->buf, gz->len, 0, block, 0, 0 };
	const unsigned char *first;
	ssize_t n = src_read(&s, &first);
	struct gunzip *g = gunzip_new(src_read, &s, first, (size_t)n);
	char *buf = xmalloc(chunk);

	assert_non_null(g);
	for (;;) {
		n = gunzip_read(g, buf, chunk, err);
		if (n <= 0)
			break;
		assert_true((size_t)n <= chunk);
		strbuf_add(out, buf, (size_t)n);
	}
	*members = gunzip_members(g);
	gunzip_free(g);
	free(buf);
	return n;
}

static int setup(void **state)
{
	struct strbuf err = STRBUF_INIT;

	if (gunzip_load(&err)) {
		/* the test machine must have libisal: a build without it is not tested here */
		print_message("# gunzip_load: %s\n", err.buf);
		strbuf_release(&err);
		return -1;
	}
	strbuf_release(&err);
	return t_tmp_setup(state);
}

static void gunzip__decodes_what_gzip_wrote_in_any_block_size(void **state)
{
	struct strbuf data = STRBUF_INIT, gz = STRBUF_INIT;
	static const size_t blocks[] = { 1, 2, 3, 7, 4096, 1 << 20 };
	static const size_t chunks[] = { 1, 5, 65536, 1 << 20 };
	size_t i, j;

	fill(&data, 300000, 1);
	gzip_of(*state, &data, "one", &gz);
	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		for (j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
			struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
			unsigned long members;

			/* one-byte blocks and one-byte chunks together take too long */
			if (blocks[i] < 8 && chunks[j] < 8)
				continue;
			assert_int_equal(decode(&gz, blocks[i], chunks[j], &out, &err, &members), 0);
			assert_int_equal(out.len, data.len);
			assert_memory_equal(out.buf, data.buf, data.len);
			assert_int_equal(members, 1);
			strbuf_release(&out);
			strbuf_release(&err);
		}
	}
	strbuf_release(&data);
	strbuf_release(&gz);
}

static void gunzip__reads_every_member_like_gzip_dc(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, gz = STRBUF_INIT, gzb = STRBUF_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, want = STRBUF_INIT;
	unsigned long members;

	fill(&a, 70000, 2);
	fill(&b, 50001, 3);
	gzip_of(*state, &a, "a", &gz);
	gzip_of(*state, &b, "b", &gzb);
	strbuf_add(&gz, gzb.buf, gzb.len);
	strbuf_add(&want, a.buf, a.len);
	strbuf_add(&want, b.buf, b.len);
	/* a block boundary one byte into the second member's header */
	assert_int_equal(decode(&gz, gz.len - gzb.len + 1, 65536, &out, &err, &members), 0);
	assert_int_equal(members, 2);
	assert_int_equal(out.len, want.len);
	assert_memory_equal(out.buf, want.buf, want.len);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&gz);
	strbuf_release(&gzb);
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&want);
}

static void gunzip__ignores_bytes_after_the_last_member(void **state)
{
	struct strbuf data = STRBUF_INIT, gz = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	unsigned long members;

	fill(&data, 10000, 4);
	gzip_of(*state, &data, "t", &gz);
	strbuf_addstr(&gz, "not a member\n");
	assert_int_equal(decode(&gz, 4096, 4096, &out, &err, &members), 0);
	assert_int_equal(members, 1);
	assert_int_equal(out.len, data.len);
	assert_memory_equal(out.buf, data.buf, data.len);
	strbuf_release(&data);
	strbuf_release(&gz);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void gunzip__wrong_crc_is_an_error_naming_the_member(void **state)
{
	struct strbuf data = STRBUF_INIT, gz = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	unsigned long members;

	fill(&data, 20000, 5);
	gzip_of(*state, &data, "c", &gz);
	gz.buf[gz.len - 8] ^= 0x55;   /* the CRC-32 of the trailer */
	assert_int_equal(decode(&gz, 4096, 65536, &out, &err, &members), -1);
	assert_non_null(strstr(err.buf, "gzip member 1"));
	assert_non_null(strstr(err.buf, "CRC-32"));
	/* the data came out before the trailer was found wrong */
	assert_int_equal(out.len, data.len);
	strbuf_release(&data);
	strbuf_release(&gz);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void gunzip__truncated_member_is_an_error(void **state)
{
	struct strbuf data = STRBUF_INIT, gz = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	unsigned long members;

	fill(&data, 200000, 6);
	gzip_of(*state, &data, "t", &gz);
	strbuf_setlen(&gz, gz.len / 2);
	assert_int_equal(decode(&gz, 4096, 65536, &out, &err, &members), -1);
	assert_non_null(strstr(err.buf, "truncated"));
	/* what could be decoded before the cut came out first */
	assert_true(out.len > 0 && out.len < data.len);
	assert_memory_equal(out.buf, data.buf, out.len);
	assert_int_equal(members, 0);
	strbuf_release(&data);
	strbuf_release(&gz);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void gunzip__damaged_deflate_data_is_an_error(void **state)
{
	struct strbuf data = STRBUF_INIT, gz = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	unsigned long members;
	size_t i;

	fill(&data, 100000, 7);
	gzip_of(*state, &data, "d", &gz);
	for (i = 20; i < gz.len - 20; i += 97)
		gz.buf[i] = (char)0xff;
	assert_int_equal(decode(&gz, 4096, 65536, &out, &err, &members), -1);
	assert_non_null(strstr(err.buf, "gzip member 1: "));
	strbuf_release(&data);
	strbuf_release(&gz);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void gunzip__source_failure_is_told_apart(void **state)
{
	struct strbuf data = STRBUF_INIT, gz = STRBUF_INIT, err = STRBUF_INIT;
	struct src s;
	const unsigned char *first;
	struct gunzip *g;
	char buf[65536];
	ssize_t n = 0;

	fill(&data, 100000, 8);
	gzip_of(*state, &data, "s", &gz);
	s = (struct src){ (const unsigned char *)gz.buf, gz.len, 0, 1000, 3, 0 };
	assert_int_equal(src_read(&s, &first), 1000);
	g = gunzip_new(src_read, &s, first, 1000);
	assert_non_null(g);
	while (n >= 0) {
		n = gunzip_read(g, buf, sizeof(buf), &err);
		assert_int_not_equal(n, 0);
	}
	/* -2: the source's own failure, not damaged data */
	assert_int_equal(n, -2);
	assert_int_equal(err.len, 0);
	gunzip_free(g);
	strbuf_release(&data);
	strbuf_release(&gz);
	strbuf_release(&err);
}

static void gunzip__not_gzip_is_an_error(void **state)
{
	struct strbuf gz = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	unsigned long members;

	(void)state;
	strbuf_addstr(&gz, "ustar and not gzip at all");
	assert_false(gunzip_magic((const unsigned char *)gz.buf, gz.len));
	assert_int_equal(decode(&gz, 4096, 4096, &out, &err, &members), -1);
	assert_string_equal(err.buf, "not gzip data");
	strbuf_release(&gz);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void gunzip_load__sf_no_isal_turns_it_off(void **state)
{
	struct strbuf err = STRBUF_INIT;

	(void)state;
	assert_int_equal(setenv("SF_NO_ISAL", "1", 1), 0);
	assert_int_equal(gunzip_load(&err), -1);
	assert_non_null(strstr(err.buf, "SF_NO_ISAL"));
	assert_int_equal(unsetenv("SF_NO_ISAL"), 0);
	strbuf_reset(&err);
	assert_int_equal(gunzip_load(&err), 0);
	strbuf_release(&err);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, t_tmp_teardown)
	const struct CMUnitTest tests[] = {
		T(gunzip__decodes_what_gzip_wrote_in_any_block_size),
		T(gunzip__reads_every_member_like_gzip_dc),
		T(gunzip__ignores_bytes_after_the_last_member),
		T(gunzip__wrong_crc_is_an_error_naming_the_member),
		T(gunzip__truncated_member_is_an_error),
		T(gunzip__damaged_deflate_data_is_an_error),
		T(gunzip__source_failure_is_told_apart),
		T(gunzip__not_gzip_is_an_error),
		T(gunzip_load__sf_no_isal_turns_it_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
