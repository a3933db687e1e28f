/*
 * publish, end to end through the binary, against real servers on
 * loopback started here: a directory, nginx with WebDAV PUT, s3rver (npm),
 * a SigV4-verifying store (botocore), fakes of the GitHub and GitLab APIs
 * that check the request shape, and a fault server (500, 403, stall, cut).
 */
#include "testlib.h"
#include "clock.h"
#include "testsrv.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "publish.h"
#include "crypto.h"

#define TOKEN "ghp_SECRETtokenVALUE1234567890"
#define AWS_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
#define AWS_SESSION "FQoGZXIvYXdzSESSIONTOKENvalue987"
#define GL_TOKEN "glcbt-JOBTOKENsecret4242"

struct fx {
	char *dir;       /* scratch */
	char *art;       /* dir/art: what is published */
	char *out;       /* dir/stdout, dir/stderr */
	char *err;
	struct strbuf errtext;
	struct tsrv srv;
	int rc;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("publish");
	assert_non_null(f->dir);
	f->art = xasprintf("%s/art", f->dir);
	f->out = xasprintf("%s/stdout", f->dir);
	f->err = xasprintf("%s/stderr", f->dir);
	strbuf_init(&f->errtext);
	assert_int_equal(t_sh("mkdir '%s' && cd '%s' && "
			      "head -c 300000 /dev/urandom > slurm-24.11.5-software.tar.gz && "
			      "head -c 2000 /dev/urandom > slurm-24.11.5-module.tar.gz && "
			      "printf '{\"version\":\"24.11.5\"}\\n' > manifest.json && "
			      "sha256sum slurm-*.tar.gz manifest.json > SHA256SUMS",
			      f->art, f->art), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	tsrv_stop(&f->srv);
	t_rmtree(f->dir);
	free(f->dir);
	free(f->art);
	free(f->out);
	free(f->err);
	strbuf_release(&f->errtext);
	free(f);
	return 0;
}

/* Runs `env ENV slurm-factory publish ART ARGS`; stdout and stderr kept. */
static int pub(struct fx *f, const char *env, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int pub(struct fx *f, const char *env, const char *fmt, ...)
{
	struct strbuf args = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&args, fmt, ap);
	va_end(ap);
	f->rc = t_sh("env -u GITHUB_ACTIONS -u GITLAB_CI %s '%s' publish '%s' %s --json '%s/report.json' --junit "
		     "'%s/report.xml' >>'%s' 2>>'%s'", env ? env : "", t_bin(), f->art,
		     args.buf, f->dir, f->dir, f->out, f->err);
	strbuf_release(&args);
	strbuf_reset(&f->errtext);
	t_read(f->err, &f->errtext);
	return f->rc;
}

/* Every file of the artifacts directory equals the one under `dir`. */
static void assert_same_files(const char *art, const char *dir)
{
	static const char *const names[] = { "slurm-24.11.5-software.tar.gz",
		"slurm-24.11.5-module.tar.gz", "manifest.json", "SHA256SUMS", NULL };
	const char *const *n;

	for (n = names; *n; n++) {
		struct strbuf e = STRBUF_INIT;
		char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE];
		char *pa = xasprintf("%s/%s", art, *n), *pb = xasprintf("%s/%s", dir, *n);

		assert_int_equal(sha256_file(pa, a, NULL, &e), 0);
		if (sha256_file(pb, b, NULL, &e))
			fail_msg("%s was not published: %s", *n, e.buf);
		assert_string_equal(a, b);
		free(pa);
		free(pb);
		strbuf_release(&e);
	}
}

static void publish__directory_target_is_atomic_and_a_rerun_is_harmless(void **state)
{
	struct fx *f = *state;
	struct strbuf ls = STRBUF_INIT;
	char *dest = xasprintf("%s/dest/sub", f->dir);

	assert_int_equal(pub(f, NULL, "--to '%s'", dest), 0);
	assert_same_files(f->art, dest);
	assert_int_equal(pub(f, NULL, "--to 'file://%s'", dest), 0);
	assert_same_files(f->art, dest);
	/* no temporary names left behind */
	assert_int_equal(t_sh_capture(&ls, "ls -A '%s'", dest), 0);
	assert_null(strstr(ls.buf, ".tmp-"));
	/* SHA256SUMS goes last: a reader that sees it sees everything */
	assert_true(strstr(f->errtext.buf, "SHA256SUMS (") >
		    strstr(f->errtext.buf, "manifest.json ("));
	strbuf_release(&ls);
	free(dest);
}

static void publish__checksum_mismatch_uploads_nothing(void **state)
{
	struct fx *f = *state;
	char *dest = xasprintf("%s/dest", f->dir);
	char *json = xasprintf("%s/report.json", f->dir);
	struct json_object *r;

	assert_int_equal(t_sh("echo tampered >> '%s/slurm-24.11.5-module.tar.gz'", f->art), 0);
	assert_int_equal(pub(f, NULL, "--to '%s'", dest), 1);
	assert_false(t_exists(dest));
	r = t_report_load(json);
	free(json);
	assert_non_null(r);
	assert_int_equal(t_report_count(r, "publish-sums-mismatch",
					"slurm-24.11.5-module.tar.gz"), 1);
	json_object_put(r);
	free(dest);
}

/*
 * A directory without SHA256SUMS: one is written aside (the directory is
 * left as it was), listing every file, and uploaded last, so the target
 * passes sha256sum -c; a second run changes nothing.
 */
static void publish__directory_without_sums_gets_one_at_the_target(void **state)
{
	struct fx *f = *state;
	char *dest = xasprintf("%s/dest", f->dir), *json = xasprintf("%s/report.json", f->dir);
	char *tmp = xasprintf("%s/tmp", f->dir), *env = xasprintf("TMPDIR='%s'", tmp);
	char *at_dest = xasprintf("%s/SHA256SUMS", dest);
	struct strbuf ls = STRBUF_INIT, sums = STRBUF_INIT, want = STRBUF_INIT;
	static const char *const names[] = { "manifest.json", "slurm-24.11.5-module.tar.gz",
					     "slurm-24.11.5-software.tar.gz" };
	const char *last, *p;
	struct json_object *r;
	size_t i;

	assert_int_equal(t_sh("rm '%s/SHA256SUMS' && mkdir '%s'", f->art, tmp), 0);
	assert_int_equal(pub(f, env, "--to '%s'", dest), 0);
	assert_int_equal(t_sh("cd '%s' && sha256sum -c --quiet SHA256SUMS", dest), 0);
	/* it lists exactly the files of the directory, by name */
	assert_int_equal(t_sh_capture(&want, "cd '%s' && sha256sum manifest.json "
				      "slurm-24.11.5-module.tar.gz slurm-24.11.5-software.tar.gz",
				      f->art), 0);
	assert_int_equal(t_read(at_dest, &sums), 0);
	assert_string_equal(sums.buf, want.buf);
	/* the directory published is not written to, and nothing is left aside */
	assert_int_equal(t_sh_capture(&ls, "ls -A '%s'", f->art), 0);
	assert_string_equal(ls.buf, "manifest.json\nslurm-24.11.5-module.tar.gz\n"
			    "slurm-24.11.5-software.tar.gz\n");
	strbuf_reset(&ls);
	assert_int_equal(t_sh_capture(&ls, "ls -A '%s'", tmp), 0);
	assert_string_equal(ls.buf, "");
	/* uploaded last: after every file it lists */
	last = strstr(f->errtext.buf, "publish: SHA256SUMS (");
	assert_non_null(last);
	for (i = 0; i < 3; i++) {
		strbuf_reset(&ls);
		strbuf_addf(&ls, "publish: %s (", names[i]);
		p = strstr(f->errtext.buf, ls.buf);
		assert_non_null(p);
		assert_true(p < last);
	}
	r = t_report_load(json);
	assert_non_null(r);
	assert_string_equal(t_stage_prop(r, "publish", "sums"), "written");
	json_object_put(r);
	/* an identical rerun writes the same SHA256SUMS */
	assert_int_equal(pub(f, env, "--to 'file://%s'", dest), 0);
	strbuf_reset(&want);
	assert_int_equal(t_read(at_dest, &want), 0);
	assert_string_equal(want.buf, sums.buf);
	strbuf_release(&ls);
	strbuf_release(&sums);
	strbuf_release(&want);
	free(dest);
	free(json);
	free(tmp);
	free(env);
	free(at_dest);
}

static void publish__webdav_put_to_nginx_reads_back(void **state)
{
	struct fx *f = *state;
	char *conf = xasprintf("%s/nginx.conf", f->dir), *cmd, *get;
	int port = tsrv_free_port();

	assert_true(port > 0);
	assert_int_equal(t_sh("mkdir -p '%s/dav' '%s/ngx' && cat > '%s' <<EOF\n"
			      "%s\nworker_processes 1;\npid %s/ngx/nginx.pid;\n"
			      "error_log %s/ngx/error.log;\nevents {}\nhttp {\n"
			      " access_log %s/ngx/access.log;\n client_body_temp_path %s/ngx;\n"
			      " client_max_body_size 0;\n"
			      " server {\n  listen 127.0.0.1:%d;\n  root %s/dav;\n"
			      "  location / { dav_methods PUT DELETE; create_full_put_path on; }\n"
			      " }\n}\nEOF", f->dir, f->dir, conf,
			      getuid() == 0 ? "user root;" : "", f->dir, f->dir, f->dir, f->dir,
			      port, f->dir), 0);
	cmd = xasprintf("exec nginx -p '%s/ngx' -c '%s' -g 'daemon off;'", f->dir, conf);
	assert_int_equal(tsrv_spawn(&f->srv, cmd, NULL), 0);
	if (tsrv_wait_port(port, 10))
		fail_msg("nginx did not listen on 127.0.0.1:%d", port);
	assert_int_equal(pub(f, NULL, "--to http://127.0.0.1:%d/slurm/24.11.5/", port), 0);
	/* read back over HTTP with another client */
	get = xasprintf("%s/get", f->dir);
	assert_int_equal(t_sh("mkdir '%s' && cd '%s' && for n in slurm-24.11.5-software.tar.gz "
			      "slurm-24.11.5-module.tar.gz manifest.json SHA256SUMS; do "
			      "curl -sf -o \"$n\" http://127.0.0.1:%d/slurm/24.11.5/\"$n\" || exit 1; "
			      "done", get, get, port), 0);
	assert_same_files(f->art, get);
	/* again: PUT overwrites, nothing breaks */
	assert_int_equal(pub(f, NULL, "--to http://127.0.0.1:%d/slurm/24.11.5", port), 0);
	free(conf);
	free(cmd);
	free(get);
}

static void publish__s3_signature_is_verified_by_botocore(void **state)
{
	struct fx *f = *state;
	char *env;

	tsrv_fake(&f->srv, f->dir, "sigv4", "--access-key AKIDLOOPBACK --secret '" AWS_SECRET
		  "' --session '" AWS_SESSION "' --region eu-central-1");
	env = xasprintf("AWS_ACCESS_KEY_ID=AKIDLOOPBACK AWS_SECRET_ACCESS_KEY='%s' "
			"AWS_SESSION_TOKEN='%s' AWS_REGION=eu-central-1", AWS_SECRET, AWS_SESSION);
	assert_int_equal(pub(f, env, "--to s3://artifacts/slurm/24.11.5 --s3-endpoint "
			     "http://127.0.0.1:%d --retries 0", f->srv.port), 0);
	/* 4 PUTs and 4 HEADs, each signature recomputed and accepted */
	assert_int_equal(tsrv_count(&f->srv, "\"verdict\": \"ok\""), 8);
	assert_int_equal(tsrv_count(&f->srv, "\"verdict\": \"mismatch\""), 0);
	assert_int_equal(tsrv_count(&f->srv, ";x-amz-security-token, Signature="), 8);
	assert_int_equal(tsrv_count(&f->srv, "\"path\": \"/artifacts/slurm/24.11.5/SHA256SUMS\""), 2);
	free(env);
}

static void publish__s3_wrong_secret_is_refused_and_not_printed(void **state)
{
	struct fx *f = *state;
	char *env;
	struct strbuf all = STRBUF_INIT;

	tsrv_fake(&f->srv, f->dir, "sigv4", "--access-key AKIDLOOPBACK --secret right-secret");
	env = xasprintf("AWS_ACCESS_KEY_ID=AKIDLOOPBACK AWS_SECRET_ACCESS_KEY='%s'", AWS_SECRET);
	assert_int_equal(pub(f, env, "--to s3://artifacts/x --s3-endpoint http://127.0.0.1:%d "
			     "--retries 3 --retry-delay 10", f->srv.port), 2);
	assert_non_null(strstr(f->errtext.buf, "SignatureDoesNotMatch"));
	/* a 403 is not retried */
	assert_int_equal(tsrv_count(&f->srv, "\"method\": \"PUT\""), 1);
	/* every file of the test: outputs, reports, server logs */
	assert_int_equal(t_sh_capture(&all, "find '%s' -type f -exec cat {} +", f->dir), 0);
	assert_null(strstr(all.buf, AWS_SECRET));
	strbuf_release(&all);
	free(env);
}

static void publish__s3rver_stores_what_s3cmd_reads_back(void **state)
{
	struct fx *f = *state;
	int port = tsrv_free_port();
	char *cmd, *get, *s3cfg, *out = xasprintf("%s/s3rver.out", f->dir);

	assert_true(port > 0);
	cmd = xasprintf("%s/tests/node_modules/.bin/s3rver", t_srcdir());
	if (!t_exists(cmd))
		fail_msg("s3rver is not installed: scripts/setup.sh --test installs it");
	free(cmd);
	cmd = xasprintf("exec '%s/tests/node_modules/.bin/s3rver' -d '%s/s3' -a 127.0.0.1 -p %d "
			"--configure-bucket artifacts --silent", t_srcdir(), f->dir, port);
	assert_int_equal(t_sh("mkdir '%s/s3'", f->dir), 0);
	assert_int_equal(tsrv_spawn(&f->srv, cmd, out), 0);
	if (tsrv_wait_port(port, 20))
		fail_msg("s3rver did not listen on 127.0.0.1:%d", port);
	assert_int_equal(pub(f, "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER",
			     "--to s3://artifacts/slurm/24.11.5 --s3-endpoint http://127.0.0.1:%d",
			     port), 0);
	get = xasprintf("%s/get", f->dir);
	s3cfg = xasprintf("%s/s3cfg", f->dir);
	assert_int_equal(t_sh("printf '[default]\\naccess_key = S3RVER\\nsecret_key = S3RVER\\n"
			      "host_base = 127.0.0.1:%d\\nhost_bucket = 127.0.0.1:%d\\n"
			      "use_https = False\\nsignature_v2 = False\\n' > '%s' && mkdir '%s' && "
			      "s3cmd -q -c '%s' get --recursive s3://artifacts/slurm/24.11.5/ '%s/'",
			      port, port, s3cfg, get, s3cfg, get), 0);
	assert_same_files(f->art, get);
	free(cmd);
	free(get);
	free(s3cfg);
	free(out);
}

static void faults__500_then_success_is_retried(void **state)
{
	struct fx *f = *state;

	tsrv_fake(&f->srv, f->dir, "faults", "--script 500,503,ok");
	assert_int_equal(pub(f, NULL, "--to http://127.0.0.1:%d/a --retries 3 --retry-delay 20",
			     f->srv.port), 0);
	assert_int_equal(tsrv_count(&f->srv, "\"action\": \"50"), 2);
	assert_non_null(strstr(f->errtext.buf, "2 retried"));
}

static void publish_retry_wait__honours_retry_after_up_to_a_minute(void **state)
{
	struct http_response res;

	(void)state;
	http_response_init(&res);
	res.retry_after = -1;
	assert_int_equal(publish_retry_wait(250, &res), 250);
	assert_int_equal(publish_retry_wait(250, NULL), 250);
	res.retry_after = 3;
	assert_int_equal(publish_retry_wait(250, &res), 3000);
	assert_int_equal(publish_retry_wait(8000, &res), 8000);   /* the longer wait */
	res.retry_after = 0;
	assert_int_equal(publish_retry_wait(250, &res), 250);
	res.retry_after = 3600;
	assert_int_equal(publish_retry_wait(250, &res), PUBLISH_MAX_RETRY_AFTER_MS);
	http_response_release(&res);
}

/* 503 with "Retry-After: 1": the next attempt waits a second, not the 10 ms backoff */
static void faults__503_retry_after_is_honoured(void **state)
{
	struct fx *f = *state;
	double t0 = monotonic_now(), took;

	tsrv_fake(&f->srv, f->dir, "faults", "--script 503ra1,ok");
	assert_int_equal(pub(f, NULL, "--to http://127.0.0.1:%d/a --retries 2 --retry-delay 10",
			     f->srv.port), 0);
	took = monotonic_now() - t0;
	assert_int_equal(tsrv_count(&f->srv, "\"action\": \"503ra1\""), 1);
	if (took < 1.0)
		fail_msg("the retry came after %.2f s, before the 1 s Retry-After", took);
	assert_true(took < 10);
}

static void faults__403_fails_fast_with_the_servers_message(void **state)
{
	struct fx *f = *state;
	double t0 = monotonic_now();

	tsrv_fake(&f->srv, f->dir, "faults", "--script 403");
	assert_int_equal(pub(f, NULL, "--to http://127.0.0.1:%d/a --retries 4 --retry-delay 2000",
			     f->srv.port), 2);
	assert_true(monotonic_now() - t0 < 10);
	assert_int_equal(tsrv_count(&f->srv, "\"method\": \"PUT\""), 1);
	assert_non_null(strstr(f->errtext.buf, "HTTP 403: fake: access denied to this bucket"));
}

static void faults__connection_refused_is_an_environment_error(void **state)
{
	struct fx *f = *state;
	int port = tsrv_free_port();

	assert_int_equal(pub(f, NULL, "--to http://127.0.0.1:%d/a --retries 1 --retry-delay 10",
			     port), 2);
	assert_non_null(strstr(f->errtext.buf, "(after 2 attempts)"));
	assert_non_null(strstr(f->errtext.buf, "127.0.0.1"));
}

static void faults__a_stalled_server_times_out(void **state)
{
	struct fx *f = *state;
	double t0 = monotonic_now(), took;

	tsrv_fake(&f->srv, f->dir, "faults", "--script stall,stall --stall 30");
	assert_int_equal(pub(f, NULL, "--to http://127.0.0.1:%d/a --retries 1 --retry-delay 10 "
			     "--upload-timeout 1", f->srv.port), 2);
	took = monotonic_now() - t0;
	assert_true(took < 10);
	assert_non_null(strstr(f->errtext.buf, "timed out"));
	assert_int_equal(tsrv_count(&f->srv, "\"action\": \"stall\""), 2);
}

static void faults__a_cut_upload_is_retried_and_confirmed(void **state)
{
	struct fx *f = *state;

	tsrv_fake(&f->srv, f->dir, "faults", "--script cut");
	assert_int_equal(pub(f, NULL, "--to http://127.0.0.1:%d/a --retries 2 --retry-delay 10",
			     f->srv.port), 0);
	assert_int_equal(tsrv_count(&f->srv, "\"action\": \"cut\""), 1);
	/* the HEAD after each upload saw the full size */
	assert_int_equal(tsrv_count(&f->srv, "\"method\": \"HEAD\""), 4);
}

static void github__release_made_starter_asset_cleaned_rerun_harmless(void **state)
{
	struct fx *f = *state;
	char *env = xasprintf("GITHUB_TOKEN='%s'", TOKEN);

	tsrv_fake(&f->srv, f->dir, "github", "--token '" TOKEN "' --repo acme/slurm-builds "
		  "--tag slurm-24-11-5-1 --script 502");
	assert_int_equal(pub(f, env, "--to github://acme/slurm-builds@slurm-24-11-5-1 "
			     "--github-api http://127.0.0.1:%d --retry-delay 10", f->srv.port), 0);
	assert_int_equal(tsrv_count(&f->srv, "violation"), 0);
	assert_int_equal(tsrv_count(&f->srv, "\"method\": \"POST\", \"path\": "
				    "\"/repos/acme/slurm-builds/releases\""), 1);
	/* the 502 left a starter asset: deleted before the retry */
	assert_int_equal(tsrv_count(&f->srv, "\"method\": \"DELETE\""), 1);
	assert_int_equal(tsrv_count(&f->srv, "\"name\": \"SHA256SUMS\""), 1);
	/* the same publish again: the assets hold the same bytes, nothing re-sent */
	assert_int_equal(pub(f, env, "--to github://acme/slurm-builds@slurm-24-11-5-1 "
			     "--github-api http://127.0.0.1:%d --retry-delay 10", f->srv.port), 0);
	assert_int_equal(tsrv_count(&f->srv, "\"name\": \"SHA256SUMS\""), 1);
	/* a changed file replaces its asset: delete first, then upload */
	assert_int_equal(t_sh("cd '%s' && echo 2 > manifest.json && sha256sum slurm-*.tar.gz "
			      "manifest.json > SHA256SUMS", f->art), 0);
	assert_int_equal(pub(f, env, "--to github://acme/slurm-builds@slurm-24-11-5-1 "
			     "--github-api http://127.0.0.1:%d --retry-delay 10", f->srv.port), 0);
	assert_int_equal(tsrv_count(&f->srv, "\"method\": \"DELETE\""), 3);
	assert_int_equal(tsrv_count(&f->srv, "violation"), 0);
	free(env);
}

/*
 * A release with 250 other assets and a half-uploaded SHA256SUMS after
 * them (page 3 of 100): found, deleted, uploaded again.
 */
static void github__stale_asset_beyond_the_first_page_is_replaced(void **state)
{
	struct fx *f = *state;
	char *env = xasprintf("GITHUB_TOKEN='%s'", TOKEN);

	tsrv_fake(&f->srv, f->dir, "github", "--token '" TOKEN "' --repo acme/slurm-builds "
		  "--tag slurm-24-11-5-1 --existing-assets 250 --stale-asset SHA256SUMS");
	assert_int_equal(pub(f, env, "--to github://acme/slurm-builds@slurm-24-11-5-1 "
			     "--github-api http://127.0.0.1:%d --retry-delay 10", f->srv.port), 0);
	assert_int_equal(tsrv_count(&f->srv, "violation"), 0);
	assert_true(tsrv_count(&f->srv, "\"page\": 3, \"per_page\": 100") >= 1);
	assert_int_equal(tsrv_count(&f->srv, "\"method\": \"DELETE\""), 1);
	assert_int_equal(tsrv_count(&f->srv, "\"name\": \"SHA256SUMS\""), 1);
	free(env);
}

static void github__missing_token_is_an_environment_error(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pub(f, "-u GITHUB_TOKEN -u GH_TOKEN",
			     "--to github://acme/x@v1 --github-api http://127.0.0.1:1"), 2);
	assert_non_null(strstr(f->errtext.buf, "GITHUB_TOKEN"));
}

static void gitlab__serial_uploads_to_the_encoded_project(void **state)
{
	struct fx *f = *state;

	tsrv_fake(&f->srv, f->dir, "gitlab", "--token '" GL_TOKEN "' --repo hpc/builds/slurm");
	assert_int_equal(pub(f, "CI_JOB_TOKEN='" GL_TOKEN "'",
			     "--to gitlab://hpc/builds/slurm/slurm@24.11.5 --gitlab-api "
			     "http://127.0.0.1:%d/api/v4", f->srv.port), 0);
	assert_int_equal(tsrv_count(&f->srv, "violation"), 0);
	assert_int_equal(tsrv_count(&f->srv, "/api/v4/projects/hpc%2Fbuilds%2Fslurm/packages/"
				    "generic/slurm/24.11.5/"), 4);
	assert_int_equal(tsrv_count(&f->srv, "\"job-token\": \"" GL_TOKEN "\""), 4);
}

static void secrets__no_token_in_any_output_or_report(void **state)
{
	struct fx *f = *state;
	struct strbuf all = STRBUF_INIT;
	struct tsrv gl;
	char *env;

	tsrv_fake(&f->srv, f->dir, "github", "--token wrong-token --repo a/b --tag v1");
	tsrv_fake(&gl, f->dir, "gitlab", "--token wrong-token --repo a/b");
	env = xasprintf("GITHUB_TOKEN='%s' CI_JOB_TOKEN='%s' AWS_ACCESS_KEY_ID=AKID "
			"AWS_SECRET_ACCESS_KEY='%s' AWS_SESSION_TOKEN='%s'",
			TOKEN, GL_TOKEN, AWS_SECRET, AWS_SESSION);
	/* every target refuses: the tokens travel into error paths */
	assert_int_equal(pub(f, env, "--to github://a/b@v1 --github-api http://127.0.0.1:%d "
			     "--to gitlab://a/b/p@1.0 --gitlab-api http://127.0.0.1:%d "
			     "--to s3://bkt/p --s3-endpoint http://127.0.0.1:%d --retries 0 --verbose",
			     f->srv.port, gl.port, gl.port), 2);
	assert_non_null(strstr(f->errtext.buf, "Bad credentials"));
	tsrv_stop(&gl);
	assert_int_equal(t_sh_capture(&all, "cat '%s'/report.json '%s'/report.xml '%s' '%s'",
				      f->dir, f->dir, f->out, f->err), 0);
	assert_true(all.len > 100);
	assert_null(strstr(all.buf, TOKEN));
	assert_null(strstr(all.buf, GL_TOKEN));
	assert_null(strstr(all.buf, AWS_SECRET));
	assert_null(strstr(all.buf, AWS_SESSION));
	strbuf_release(&all);
	free(env);
}

static void secrets__github_actions_masks_them_and_nothing_else_shows_them(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	char *env = xasprintf("GITHUB_ACTIONS=true GITHUB_TOKEN='%s'", TOKEN);

	assert_int_equal(pub(f, env, "--to github://a/b@v1 --github-api http://127.0.0.1:%d "
			     "--retries 0", tsrv_free_port()), 2);
	assert_int_equal(t_read(f->out, &out), 0);
	assert_non_null(strstr(out.buf, "::add-mask::" TOKEN "\n"));
	/* the only place: once, in the mask command */
	assert_null(strstr(strstr(out.buf, TOKEN) + 1, TOKEN));
	assert_null(strstr(f->errtext.buf, TOKEN));
	strbuf_release(&out);
	free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(publish__directory_target_is_atomic_and_a_rerun_is_harmless, setup, teardown),
		cmocka_unit_test_setup_teardown(publish__checksum_mismatch_uploads_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(publish__directory_without_sums_gets_one_at_the_target, setup, teardown),
		cmocka_unit_test_setup_teardown(publish__webdav_put_to_nginx_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(publish__s3_signature_is_verified_by_botocore, setup, teardown),
		cmocka_unit_test_setup_teardown(publish__s3_wrong_secret_is_refused_and_not_printed, setup, teardown),
		cmocka_unit_test_setup_teardown(publish__s3rver_stores_what_s3cmd_reads_back, setup, teardown),
		cmocka_unit_test_setup_teardown(faults__500_then_success_is_retried, setup, teardown),
		cmocka_unit_test(publish_retry_wait__honours_retry_after_up_to_a_minute),
		cmocka_unit_test_setup_teardown(faults__503_retry_after_is_honoured, setup, teardown),
		cmocka_unit_test_setup_teardown(faults__403_fails_fast_with_the_servers_message, setup, teardown),
		cmocka_unit_test_setup_teardown(faults__connection_refused_is_an_environment_error, setup, teardown),
		cmocka_unit_test_setup_teardown(faults__a_stalled_server_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(faults__a_cut_upload_is_retried_and_confirmed, setup, teardown),
		cmocka_unit_test_setup_teardown(github__release_made_starter_asset_cleaned_rerun_harmless, setup, teardown),
		cmocka_unit_test_setup_teardown(github__stale_asset_beyond_the_first_page_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(github__missing_token_is_an_environment_error, setup, teardown),
		cmocka_unit_test_setup_teardown(gitlab__serial_uploads_to_the_encoded_project, setup, teardown),
		cmocka_unit_test_setup_teardown(secrets__no_token_in_any_output_or_report, setup, teardown),
		cmocka_unit_test_setup_teardown(secrets__github_actions_masks_them_and_nothing_else_shows_them, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
