/*
 * url_redact / url_scrub (strbuf.c): credentials in repository URLs never
 * reach a message, a report or stdout.
 */
#include "testlib.h"

#include <string.h>

#include "backend.h"

static void redact(const char *url, const char *want)
{
	struct strbuf out = STRBUF_INIT;

	url_redact(&out, url);
	assert_string_equal(out.buf, want);
	strbuf_release(&out);
}

static void url_redact__hides_user_and_password(void **state)
{
	(void)state;
	redact("https://ci:ghp_token@github.com/SchedMD/slurm.git",
	       "https://***@github.com/SchedMD/slurm.git");
	redact("http://token@127.0.0.1:8080/x.git", "http://***@127.0.0.1:8080/x.git");
	/* the last '@' of the authority ends the user info (a password may hold '@') */
	redact("https://u:p@ss@host/x", "https://***@host/x");
}

static void url_redact__leaves_urls_without_credentials_alone(void **state)
{
	(void)state;
	redact("https://github.com/SchedMD/slurm.git", "https://github.com/SchedMD/slurm.git");
	redact("/srv/git/slurm.git", "/srv/git/slurm.git");
	/* an '@' after the authority is part of the path, not credentials */
	redact("https://host/path@v1/x.git", "https://host/path@v1/x.git");
	redact("file:///a@b", "file:///a@b");
	redact("https://@host/x", "https://@host/x");
	redact("", "");
}

static void url_redact__hides_query_strings_and_fragments_of_urls(void **state)
{
	(void)state;
	/* a pre-signed URL's signature, a GitLab private token */
	redact("https://bucket.s3.example/x.tar.gz?X-Amz-Signature=abc&X-Amz-Credential=k",
	       "https://bucket.s3.example/x.tar.gz?...");
	redact("https://u:p@host/api?private_token=glpat-1#frag", "https://***@host/api?...");
	redact("https://host/x#token=t", "https://host/x#...");
	redact("https://user:secret@host:8443/bucket/key?X-Amz-Signature=abc",
	       "https://***@host:8443/bucket/key?...");
	/* a local path keeps its '?' and '#': they are file names */
	redact("/srv/git/a?b#c.git", "/srv/git/a?b#c.git");
}

static void url_scrub__replaces_every_occurrence(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	const char *url = "https://ci:s3cr3t@host/x.git";

	(void)state;
	strbuf_addstr(&sb, "cannot reach https://ci:s3cr3t@host/x.git: auth ci:s3cr3t refused");
	url_scrub(&sb, url);
	assert_string_equal(sb.buf, "cannot reach https://***@host/x.git: auth *** refused");
	assert_null(strstr(sb.buf, "s3cr3t"));
	/* no credentials in the URL: the text is untouched */
	url_scrub(&sb, "https://host/x.git");
	assert_string_equal(sb.buf, "cannot reach https://***@host/x.git: auth *** refused");
	/* a query string is a credential too, wherever a message repeats it */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "PUT https://h/x?sig=SECRET failed: sig=SECRET expired");
	url_scrub(&sb, "https://h/x?sig=SECRET");
	assert_null(strstr(sb.buf, "SECRET"));
	strbuf_release(&sb);
}

static void env_is_secret__names_credentials_and_nothing_else(void **state)
{
	static const char *const secret[] = {
		"GITHUB_TOKEN=ghp_x", "GH_TOKEN=x", "CI_JOB_TOKEN=x", "GITLAB_TOKEN", "AWS_SECRET_ACCESS_KEY=x",
		"AWS_SESSION_TOKEN=x", "AWS_ACCESS_KEY_ID=AKIA", "my_password=x", "DB_PASSWD=x",
		"ACTIONS_RUNTIME_TOKEN=x", "SSH_PRIVATE_KEY=x", "GOOGLE_APPLICATION_CREDENTIALS=/k", NULL };
	static const char *const plain[] = {
		"PATH=/usr/bin", "HOME=/root", "GITHUB_ACTIONS=true", "CI=true", "SLURM_CONF=/x",
		"AWS_REGION=eu", "TOK=TOKEN", "LANG=C", NULL };
	size_t i;

	(void)state;
	for (i = 0; secret[i]; i++)
		assert_true(env_is_secret(secret[i]));
	for (i = 0; plain[i]; i++)
		assert_false(env_is_secret(plain[i]));
}

/* str_next_line (strbuf.c): every line once, empty ones too, a last line without '\n' */
static void str_next_line__every_line_once_with_and_without_a_final_newline(void **unused)
{
	const char *texts[] = { "a=1\n\nbb\nlast", "a=1\n\nbb\nlast\n" };
	const char *want[] = { "a=1", "", "bb", "last" };
	size_t t;

	(void)unused;
	for (t = 0; t < 2; t++) {
		const char *pos = texts[t], *line = NULL;
		size_t n = 0, i = 0;
		while (str_next_line(&pos, &line, &n)) {
			assert_true(i < 4);
			assert_int_equal(n, strlen(want[i]));
			assert_memory_equal(line, want[i], n);
			i++;
		}
		assert_int_equal(i, 4);
		assert_int_equal(*pos, '\0');
	}
	{
		const char *pos = "", *line;
		size_t n;
		assert_int_equal(str_next_line(&pos, &line, &n), 0);
		pos = NULL;
		assert_int_equal(str_next_line(&pos, &line, &n), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(url_redact__hides_user_and_password),
		cmocka_unit_test(url_redact__leaves_urls_without_credentials_alone),
		cmocka_unit_test(url_redact__hides_query_strings_and_fragments_of_urls),
		cmocka_unit_test(url_scrub__replaces_every_occurrence),
		cmocka_unit_test(env_is_secret__names_credentials_and_nothing_else),
		cmocka_unit_test(str_next_line__every_line_once_with_and_without_a_final_newline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
