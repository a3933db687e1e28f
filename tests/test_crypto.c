/*
 * crypto (libcrypto): SHA-256 FIPS 180-4 vectors, descriptors hashed while
 * a sink sees every chunk, files made at test time compared with sha256sum(1).
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"

static void hex_of__known_vectors(void **state)
{
	char hex[SHA256_HEX_SIZE];
	char *million = malloc(1000000);

	(void)state;
	sha256_hex_of("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_hex_of("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	assert_non_null(million);
	memset(million, 'a', 1000000);
	sha256_hex_of(million, 1000000, hex);
	free(million);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

struct chunks {
	struct strbuf seen;
	size_t calls;
	int fail_at;          /* the call that fails, 0: none */
};

static int sink(void *ctx, const void *buf, size_t len, struct strbuf *err)
{
	struct chunks *c = ctx;

	strbuf_add(&c->seen, buf, len);
	if (++c->calls == (size_t)c->fail_at) {
		strbuf_addstr(err, "sink stops");
		return -1;
	}
	return 0;
}

static void fd__sink_sees_every_byte_and_can_stop(void **state)
{
	static const size_t sizes[] = { 0, 1, 64, 262143, 262144, 262145, 1048579 };
	char *dir = t_mkdtemp("crypto");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct chunks c = { STRBUF_INIT, 0, 0 };
		struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
		char *path = xasprintf("%s/f%zu", dir, i);
		char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE];
		unsigned long long size = 7;
		int fd;

		assert_int_equal(t_sh("head -c %zu /dev/urandom > '%s'", sizes[i], path), 0);
		assert_int_equal(t_read(path, &data), 0);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(sha256_fd(fd, path, a, &size, sink, &c, &err), 0);
		close(fd);
		sha256_hex_of(data.buf, data.len, b);
		assert_string_equal(a, b);
		assert_int_equal(size, sizes[i]);
		assert_int_equal(c.seen.len, data.len);
		assert_memory_equal(c.seen.buf, data.buf, data.len);
		/* a sink that fails stops the digest with its message */
		if (sizes[i] > 262144) {
			struct chunks stop = { STRBUF_INIT, 0, 1 };
			fd = open(path, O_RDONLY);
			assert_int_equal(sha256_fd(fd, path, a, NULL, sink, &stop, &err), -1);
			close(fd);
			assert_non_null(strstr(err.buf, "sink stops"));
			strbuf_release(&stop.seen);
		}
		strbuf_release(&c.seen);
		strbuf_release(&data);
		strbuf_release(&err);
		free(path);
	}
	t_rmtree(dir);
	free(dir);
}

static void file__matches_sha256sum(void **state)
{
	static const size_t sizes[] = { 0, 1, 55, 56, 63, 64, 65, 119, 65536, 65537, 1048579 };
	char *dir = t_mkdtemp("sha256");
	size_t i;

	(void)state;
	assert_non_null(dir);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
		char *path = xasprintf("%s/f%zu", dir, i);
		char hex[SHA256_HEX_SIZE];
		unsigned long long size = 12345;

		assert_int_equal(t_sh("head -c %zu /dev/urandom > '%s'", sizes[i], path), 0);
		assert_int_equal(t_sh_capture(&out, "sha256sum < '%s'", path), 0);
		assert_int_equal(sha256_file(path, hex, &size, &err), 0);
		assert_true(out.len >= 64);
		out.buf[64] = '\0';
		assert_string_equal(hex, out.buf);
		assert_int_equal(size, sizes[i]);
		strbuf_release(&out);
		strbuf_release(&err);
		free(path);
	}
	t_rmtree(dir);
	free(dir);
}

static void file__missing_file_is_an_error_naming_it(void **state)
{
	struct strbuf err = STRBUF_INIT;
	char hex[SHA256_HEX_SIZE];

	(void)state;
	assert_int_equal(sha256_file("/nonexistent/sf-sha256-test", hex, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "/nonexistent/sf-sha256-test"));
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hex_of__known_vectors),
		cmocka_unit_test(fd__sink_sees_every_byte_and_can_stop),
		cmocka_unit_test(file__matches_sha256sum),
		cmocka_unit_test(file__missing_file_is_an_error_naming_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
