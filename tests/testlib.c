#include "testlib.h"

#include "clock.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *t_mkdtemp(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path = xasprintf("%s/sf-test-%s-XXXXXX", base && *base ? base : "/tmp", tag);

	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

int t_rmtree(const char *path)
{
	if (!path)
		return 0;
	return fs_rmtree(path, NULL);
}

int t_write(const char *path, const char *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode ? mode : 0644);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

int t_writestr(const char *path, const char *s)
{
	return t_write(path, s, strlen(s), 0644);
}

int t_read(const char *path, struct strbuf *out)
{
	char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

int t_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int sh_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

int t_sh(const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	va_list ap;
	int st;

	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	fflush(NULL);
	st = system(cmd.buf);
	st = sh_status(st);
	if (st && getenv("SF_TEST_VERBOSE"))
		fprintf(stderr, "# command exited %d: %s\n", st, cmd.buf);
	strbuf_release(&cmd);
	return st;
}

int t_sh_capture(struct strbuf *out, const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	char buf[4096];
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	strbuf_addstr(&cmd, " 2>&1");
	fflush(NULL);
	p = popen(cmd.buf, "r");
	if (!p) {
		strbuf_release(&cmd);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		strbuf_add(out, buf, n);
	st = sh_status(pclose(p));
	strbuf_release(&cmd);
	return st;
}

const char *t_bin(void)
{
	const char *b = getenv("SF_BIN");
	return b && *b ? b : "build/slurm-factory";
}

const char *t_shared(void)
{
	const char *s = getenv("SF_SHARED");
	return s && *s ? s : "../shared";
}

const char *t_srcdir(void)
{
	const char *s = getenv("SF_SRCDIR");
	return s && *s ? s : ".";
}

int t_mkdirs(const char *path)
{
	return fs_mkdirs(path, NULL);
}

#include <json-c/json.h>

struct json_object *t_report_load(const char *path)
{
	return json_object_from_file(path);
}

static void each_check(struct json_object *report,
		       void (*fn)(struct json_object *check, void *ctx), void *ctx)
{
	struct json_object *stages, *checks;
	size_t i, j;

	if (!report || !json_object_object_get_ex(report, "stages", &stages))
		return;
	for (i = 0; i < json_object_array_length(stages); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(stages, i),
					       "checks", &checks))
			continue;
		for (j = 0; j < json_object_array_length(checks); j++)
			fn(json_object_array_get_idx(checks, j), ctx);
	}
}

struct count_ctx {
	const char *a, *b;
	size_t n;
};

static const char *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void count_findings(struct json_object *check, void *ctx)
{
	struct count_ctx *c = ctx;
	struct json_object *fs;
	size_t i;

	if (!json_object_object_get_ex(check, "findings", &fs))
		return;
	for (i = 0; i < json_object_array_length(fs); i++) {
		struct json_object *f = json_object_array_get_idx(fs, i);
		const char *rule = jget(f, "rule"), *file = jget(f, "file");
		if ((!c->a || (rule && !strcmp(rule, c->a))) &&
		    (!c->b || (file && strstr(file, c->b))))
			c->n++;
	}
}

size_t t_report_count(struct json_object *report, const char *rule, const char *file)
{
	struct count_ctx c = { rule, file, 0 };

	each_check(report, count_findings, &c);
	return c.n;
}

static void count_checks(struct json_object *check, void *ctx)
{
	struct count_ctx *c = ctx;
	const char *name = jget(check, "name"), *outcome = jget(check, "outcome");

	if (name && outcome && strstr(name, c->a) && (!c->b || !strcmp(outcome, c->b)))
		c->n++;
}

size_t t_report_checks(struct json_object *report, const char *name, const char *outcome)
{
	struct count_ctx c = { name, outcome, 0 };

	each_check(report, count_checks, &c);
	return c.n;
}

const char *t_stage_prop(struct json_object *report, const char *stage, const char *name)
{
	struct json_object *stages, *s, *props, *v;
	size_t i;

	if (!json_object_object_get_ex(report, "stages", &stages))
		return NULL;
	for (i = 0; i < json_object_array_length(stages); i++) {
		s = json_object_array_get_idx(stages, i);
		if (!jget(s, "name") || strcmp(jget(s, "name"), stage))
			continue;
		if (!json_object_object_get_ex(s, "properties", &props) ||
		    !json_object_object_get_ex(props, name, &v))
			return NULL;
		return json_object_get_string(v);
	}
	return NULL;
}

int t_objdump_newest(const char *dir, const char *family, struct strbuf *out)
{
	strbuf_reset(out);
	return t_sh_capture(out, "find '%s' -type f -exec objdump -T {} + 2>/dev/null | "
			    "grep '[*]UND[*]' | grep -o '(%s_[0-9.]*)' | tr -d '()' | "
			    "sed 's/^%s_//' | sort -V | tail -n 1 | tr -d '\\n'",
			    dir, family, family) ? -1 : 0;
}

int t_run(const char *fmt, ...)
{
	struct strbuf args = STRBUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	strbuf_vaddf(&args, fmt, ap);
	va_end(ap);
	rc = t_sh("'%s' %s", t_bin(), args.buf);
	strbuf_release(&args);
	return rc;
}

/* Moved here from test_lxd_live.c: test_signals.c and test_faults.c use it too. */
char *t_busybox_image(void)
{
	const char *home = getenv("HOME");
	char *dir = xasprintf("%s/.slurm-factory/test-images", home && *home ? home : "/root");
	char *tar = xasprintf("%s/busybox-1.tar.gz", dir);

	if (!t_exists(tar)) {
		int rc = t_sh(
			"set -e; d=%s; rm -rf \"$d/work\"; mkdir -p \"$d/work/rootfs\"; cd \"$d/work/rootfs\";"
			"mkdir -p bin sbin etc tmp dev proc sys root mnt; cp /bin/busybox bin/;"
			"for a in $(bin/busybox --list); do [ -e bin/$a ] || ln -s busybox bin/$a; done;"
			"rm -f sbin/init; printf '#!/bin/sh\\ntrap \"exit 0\" PWR TERM INT\\n"
			"while :; do sleep 3600 & wait $!; done\\n' > sbin/init; chmod 755 sbin/init;"
			"cd ..; printf 'architecture: x86_64\\ncreation_date: 1700000000\\n"
			"properties:\\n  description: slurm-factory test image\\n  os: busybox\\n' > metadata.yaml;"
			"tar --numeric-owner -czf %s metadata.yaml rootfs; cd ..; rm -rf work", dir, tar);
		if (rc)
			fail_msg("cannot build the busybox test image (is busybox-static installed?)");
	}
	free(dir);
	return tar;
}

int t_image_build(const char *args, struct strbuf *alias)
{
	struct strbuf out = STRBUF_INIT;
	char *nl;
	int ret = -1;

	if (t_sh_capture(&out, "cd '%s' && '%s' image build %s 2>/dev/null", t_srcdir(),
			 t_bin(), args))
		goto out;
	while (out.len && out.buf[out.len - 1] == '\n')
		strbuf_setlen(&out, out.len - 1);
	nl = strrchr(out.buf, '\n');
	nl = nl ? nl + 1 : out.buf;
	if (strncmp(nl, "sf-build-", 9) && strncmp(nl, "sf-runtime-", 11))
		goto out;
	strbuf_addstr(alias, nl);
	ret = 0;
out:
	strbuf_release(&out);
	return ret;
}

char *t_build_image(void)
{
	struct strbuf alias = STRBUF_INIT;

	if (t_image_build("", &alias)) {
		strbuf_release(&alias);
		return NULL;
	}
	return strbuf_detach(&alias);
}

int t_runtime_image(struct strbuf *alias)
{
	return t_image_build("--kind runtime", alias);
}

/* Fills `h` for a server on 127.0.0.1:port; the client's files are <dir>/<name>.crt, .key. */
static void https_fill(struct t_lxd_https *h, const char *dir, const char *name,
		       const char *port, const char *lxd_dir)
{
	memset(h, 0, sizeof(*h));
	h->url = xasprintf("https://127.0.0.1:%s", port);
	h->cert = xasprintf("%s/%s.crt", dir, name);
	h->key = xasprintf("%s/%s.key", dir, name);
	h->server = xasprintf("%s/server.crt", lxd_dir);
	h->args = xasprintf("--lxd-remote %s --lxd-client-cert '%s' --lxd-client-key '%s' "
			    "--lxd-server-cert '%s'", h->url, h->cert, h->key, h->server);
}

static void https_free(struct t_lxd_https *h)
{
	free(h->url);
	free(h->cert);
	free(h->key);
	free(h->server);
	free(h->args);
	memset(h, 0, sizeof(*h));
}

int t_lxd_https_start(const char *dir, const char *port, struct t_lxd_https *h)
{
	const char *lxd_dir = getenv("LXD_DIR");

	https_fill(h, dir, "client", port, lxd_dir && *lxd_dir ? lxd_dir : "/var/lib/lxd");
	if (t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -days 2 "
		 "-subj /CN=sf-test -keyout '%s' -out '%s' 2>/dev/null", h->key, h->cert) ||
	    t_sh("lxc config set core.https_address 127.0.0.1:%s", port) ||
	    t_sh("lxc config trust add '%s' --name sf-test-client >/dev/null 2>&1 || "
		 "lxc config trust add '%s'", h->cert, h->cert))
		return -1;
	return 0;
}

void t_lxd_https_stop(struct t_lxd_https *h)
{
	if (h->cert)
		t_sh("lxc config trust remove $(openssl x509 -in '%s' -noout -fingerprint -sha256 "
		     "| cut -d= -f2 | tr -d : | tr A-F a-f | cut -c1-12) 2>/dev/null", h->cert);
	t_sh("lxc config unset core.https_address");
	https_free(h);
}

int t_lxd_second_start(const char *dir, const char *port, struct t_lxd_https *h)
{
	char *lxd_dir = xasprintf("%s/lxd", dir);

	https_fill(h, dir, "client2", port, lxd_dir);
	free(lxd_dir);
	/*
	 * an unprivileged container's root (uid 100000 here) must traverse
	 * every directory above the daemon's LXD_DIR to start; mkdtemp made
	 * `dir` 0700
	 */
	if (chmod(dir, 0711))
		return -1;
	/* the proxy variables: LXD fetches a file from an image server at start */
	if (t_sh("mkdir -p '%s/lxd' && cd / && env http_proxy=http://127.0.0.1:9 "
		 "https_proxy=http://127.0.0.1:9 LXD_DIR='%s/lxd' setsid /usr/bin/lxd "
		 "--group lxd --logfile='%s/lxd.log' </dev/null >>'%s/lxd.log' 2>&1 & "
		 "echo $! > '%s/lxd.pid'", dir, dir, dir, dir, dir) ||
	    t_sh("LXD_DIR='%s/lxd' timeout 60 lxd waitready --timeout=45", dir) ||
	    t_sh("printf '%%s\n' 'config:' '  core.proxy_http: http://127.0.0.1:9' "
		 "'  core.proxy_https: http://127.0.0.1:9' '  images.auto_update_interval: \"0\"' "
		 "'  core.https_address: 127.0.0.1:%s' 'networks: []' 'storage_pools:' "
		 "'- name: default' '  driver: btrfs' '  config:' '    size: 8GiB' 'profiles:' "
		 "'- name: default' '  devices:' '    root:' '      path: /' "
		 "'      pool: default' '      type: disk' | LXD_DIR='%s/lxd' lxd init --preseed",
		 port, dir) ||
	    t_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -days 2 "
		 "-subj /CN=sf-test-2 -keyout '%s' -out '%s' 2>/dev/null", h->key, h->cert) ||
	    t_sh("LXD_DIR='%s/lxd' lxc config trust add '%s' --name sf-test-2 >/dev/null 2>&1 || "
		 "LXD_DIR='%s/lxd' lxc config trust add '%s'", dir, h->cert, dir, h->cert))
		return -1;
	return 0;
}

void t_lxd_second_kill(const char *dir)
{
	/* its own daemon only: by the pid this test recorded */
	t_sh("pid=$(cat '%s/lxd.pid' 2>/dev/null) || exit 0; "
	     "LXD_DIR='%s/lxd' timeout 90 lxd shutdown --timeout=60 >/dev/null 2>&1 || "
	     "kill \"$pid\" 2>/dev/null; i=0; while kill -0 \"$pid\" 2>/dev/null && "
	     "[ $i -lt 100 ]; do sleep 0.3; i=$((i+1)); done; kill -0 \"$pid\" 2>/dev/null && kill -9 \"$pid\"; "
	     "for m in $(findmnt -rn -o TARGET | grep -F '%s/lxd/' | sort -r); do "
	     "umount -l \"$m\"; done; true", dir, dir, dir);
	t_sh("test -e '%s/lxd.pid' || exit 0; rm -rf '%s/lxd' '%s/lxd.pid'", dir, dir, dir);
}

void t_lxd_second_stop(const char *dir, struct t_lxd_https *h)
{
	t_lxd_second_kill(dir);
	https_free(h);
}

int t_lxd_wait_file(long pid, const char *path, double secs, struct strbuf *name)
{
	double end = monotonic_now() + secs;

	while (monotonic_now() < end) {
		strbuf_reset(name);
		if (!t_sh_capture(name, "for c in $(lxc list --format csv -c n | grep '^sf-build-'); "
				  "do [ \"$(lxc config get $c user.slurm-factory.pid)\" = %ld ] && "
				  "printf %%s $c && lxc exec $c -- test -s '%s' 2>/dev/null && exit 0; "
				  "done; exit 1", pid, path))
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

/* SF_TEST_FILTER=pattern runs only the tests whose names match (cmocka's '*', '?'). */
__attribute__((constructor)) static void t_filter(void)
{
	const char *f = getenv("SF_TEST_FILTER");

	if (f && *f)
		cmocka_set_test_filter(f);
}

int t_tmp_setup(void **state)
{
	struct t_tmp *t = xcalloc(1, sizeof(*t));

	t->dir = t_mkdtemp("t");
	if (!t->dir) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int t_tmp_teardown(void **state)
{
	struct t_tmp *t = *state;

	t_rmtree(t->dir);
	free(t->dir);
	free(t);
	return 0;
}

/* libarchive's own headers: -iquote keeps src/archive.h (the adapter) out of <> */
#include <archive.h>
#include <archive_entry.h>

void t_ar_member(struct archive *a, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();

	assert_non_null(e);
	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (len)
		assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}
