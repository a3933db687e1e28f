/*
 * The documentation cannot drift: the CLI reference and the man page are
 * what scripts/gen-docs.py makes from the binary's own help, every verify
 * rule is explained in docs/relocatability.md, and the man page renders.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

static void docs__cli_reference_and_man_page_match_help(void **state)
{
	char *dir = t_mkdtemp("docs");

	(void)state;
	assert_non_null(dir);
	assert_int_equal(t_sh("/usr/bin/python3 '%s/scripts/gen-docs.py' '%s' '%s'",
			      t_srcdir(), t_bin(), dir), 0);
	/* a difference means: run scripts/gen-docs.py build/slurm-factory docs */
	assert_int_equal(t_sh("diff -u '%s/docs/cli.md' '%s/cli.md' >&2", t_srcdir(), dir), 0);
	assert_int_equal(t_sh("diff -u '%s/docs/slurm-factory.1' '%s/slurm-factory.1' >&2",
			      t_srcdir(), dir), 0);
	t_rmtree(dir);
	free(dir);
}

static void docs__every_option_in_help_is_in_the_cli_reference(void **state)
{
	struct strbuf help = STRBUF_INIT, ref = STRBUF_INIT;
	const char *cmds[] = { "resolve", "fetch", "verify", "image", "gc" };
	size_t i, checked = 0;

	(void)state;
	char *path = xasprintf("%s/docs/cli.md", t_srcdir());

	assert_int_equal(t_read(path, &ref), 0);
	free(path);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *line, *save = NULL;
		strbuf_reset(&help);
		assert_int_equal(t_sh_capture(&help, "'%s' help %s", t_bin(), cmds[i]), 0);
		for (line = strtok_r(help.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char opt[128];
			if (sscanf(line, "  --%127s", opt) != 1)
				continue;
			char *needle = xasprintf("`--%s", opt);
			if (!strstr(ref.buf, needle))
				fail_msg("--%s of '%s' is missing from docs/cli.md", opt, cmds[i]);
			free(needle);
			checked++;
		}
	}
	assert_true(checked > 20);
	strbuf_release(&help);
	strbuf_release(&ref);
}

static void docs__every_verify_rule_is_explained(void **state)
{
	struct strbuf doc = STRBUF_INIT;
	size_t n;

	(void)state;
	char *path = xasprintf("%s/docs/relocatability.md", t_srcdir());

	assert_int_equal(t_read(path, &doc), 0);
	free(path);
	for (n = 0; n < RULE_COUNT; n++) {
		const struct rule *r = &rules[n];
		char *needle;

		/* every enum value has its row, with a fix */
		if (!r->id || !r->summary || !r->fix)
			fail_msg("rule %zu of enum rule_id has no row in rules.c", n);
		assert_true(rule_find(r->id) == r);
		needle = xasprintf("| `%s` | %s |", r->id, severity_name(r->severity));
		if (!strstr(doc.buf, needle))
			fail_msg("rule %s (%s) is not in docs/relocatability.md", r->id,
				 severity_name(r->severity));
		free(needle);
	}
	assert_true(n >= 30);
	strbuf_release(&doc);
}

static void docs__man_page_renders_without_warnings(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	assert_int_equal(t_sh_capture(&out, "groff -man -Tutf8 -ww -z '%s/docs/slurm-factory.1'",
				      t_srcdir()), 0);
	assert_int_equal(out.len, 0);
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "MANWIDTH=80 man -l '%s/docs/slurm-factory.1' | col -b",
				      t_srcdir()), 0);
	assert_non_null(strstr(out.buf, "EXIT STATUS"));
	assert_non_null(strstr(out.buf, "verify"));
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docs__cli_reference_and_man_page_match_help),
		cmocka_unit_test(docs__every_option_in_help_is_in_the_cli_reference),
		cmocka_unit_test(docs__every_verify_rule_is_explained),
		cmocka_unit_test(docs__man_page_renders_without_warnings),
	};
	return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
