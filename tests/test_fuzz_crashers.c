/*
 * Every input the fuzz harnesses (fuzz/) found to crash, fed to the same
 * functions, so a fix cannot silently regress. One test per crasher, named
 * after what it broke; the bytes are the minimised crasher, inline.
 */
#include "testlib.h"

#include <string.h>

#include "tags.h"

/*
 * fuzz_tags: a spec whose release number overflows parse_num's 9 digits
 * ("24.0.39-1111111111...") made spec parsing read through the NULL that
 * parse_num returned (UBSan: load of null pointer, tags.c). It must be a
 * malformed spec instead.
 */
static void tags_resolve__overlong_release_number_is_malformed_spec(void **state)
{
	struct tag_list l;
	struct strbuf err = STRBUF_INIT;
	const struct tag_ref *hit = NULL;
	char spec[128];
	int rc;

	(void)state;
	memset(spec, '1', sizeof(spec));
	memcpy(spec, "24.0.39-", 8);
	spec[94] = '\0';   /* the crasher: 86 digits after the dash */
	tag_list_init(&l);
	assert_int_equal(tag_list_add(&l, "slurm-24-0-39-1", "aaaa"), 1);
	tag_list_sort(&l);
	rc = tags_resolve(&l, spec, 0, &hit, &err);
	assert_int_equal(rc, -1);
	assert_null(hit);
	assert_non_null(strstr(err.buf, spec));
	/* ten digits: the smallest overflow */
	strbuf_reset(&err);
	assert_int_equal(tags_resolve(&l, "24.0.39-1234567890", 0, &hit, &err), -1);
	assert_true(err.len > 0);
	tag_list_release(&l);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tags_resolve__overlong_release_number_is_malformed_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
