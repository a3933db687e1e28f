/*
 * sha256: FIPS 180-4 vectors, every split of the input into two updates,
 * and files made at test time compared with sha256sum(1).
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

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

static void update__any_split_gives_the_same_digest(void **state)
{
	unsigned char data[200], d[SHA256_DIGEST_SIZE];
	char whole[SHA256_HEX_SIZE], split[SHA256_HEX_SIZE];
	size_t len, cut;

	(void)state;
	for (len = 0; len < sizeof(data); len++)
		data[len] = (unsigned char)(len * 7 + 3);
	for (len = 0; len <= 150; len++) {
		sha256_hex_of(data, len, whole);
		for (cut = 0; cut <= len; cut++) {
			struct sha256 c;
			sha256_init(&c);
			sha256_update(&c, data, cut);
			sha256_update(&c, data + cut, len - cut);
			sha256_final(&c, d);
			sha256_hex(d, split);
			if (strcmp(whole, split))
				fail_msg("len %zu cut %zu: %s != %s", len, cut, split, whole);
		}
	}
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
		cmocka_unit_test(update__any_split_gives_the_same_digest),
		cmocka_unit_test(file__matches_sha256sum),
		cmocka_unit_test(file__missing_file_is_an_error_naming_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
