/*
 * Tool commands around the LXD backend:
 *   image build [--release R] [--packages-file F]   debootstrap → tarball → LXD
 *   image check ALIAS [--command CMD]                launch, run CMD, delete
 *   gc                                               delete leftover containers
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "crypto.h"
#include "fsutil.h"
#include "lxd.h"
#include "proc.h"
#include "signals.h"
#include "stages.h"

const struct opt image_opts[] = {
	{ "release", OPT_VALUE, "NAME", "Debian release of the image (default bookworm)" },
	{ "packages-file", OPT_VALUE | OPTF_INPUT, "FILE",
	  "packages baked into the image (default recipes/build-packages.txt)" },
	{ "mirror", OPT_VALUE, "URL", "Debian mirror for debootstrap (default: debootstrap's)" },
	{ "image", OPT_VALUE, "ALIAS", "image check: the image (instead of ALIAS)" },
	{ "command", OPT_VALUE, "CMD", "shell command the new or checked image must pass (default: tool check)" },
	{ "timeout", OPT_VALUE, "SECONDS", "image check: limit for the command (default 600)" },
	{ "force", OPT_FLAG, NULL, "image build: rebuild even if the alias exists" },
	BACKEND_LXD_OPTS,
	{ NULL, 0, NULL, NULL },
};

const struct opt gc_opts[] = {
	{ "all", OPT_FLAG, NULL, "also containers of runs still alive on this host" },
	{ "run-id", OPT_VALUE, "ID", "only the containers of this run" },
	BACKEND_LXD_OPTS,
	{ NULL, 0, NULL, NULL },
};

/* Stops when its container is stopped (SIGPWR from LXD, or SIGTERM). */
static const char init_script[] =
	"#!/bin/sh\n"
	"# slurm-factory image init: keep the container up until LXD stops it\n"
	"trap 'exit 0' PWR TERM INT\n"
	"while :; do sleep 3600 & wait $!; done\n";

/* Bumped when the way the image is made changes. */
#define IMAGE_FORMAT "1"
#define DEFAULT_CHECK "for t in sh timeout cc make pkg-config; do " \
	"command -v $t >/dev/null || { echo missing: $t; exit 1; }; done; echo ok"

static int run_cmd(char *const argv[], double timeout, const char *log,
		   struct check *c, const char *what)
{
	struct proc_opts po;
	struct proc_result pr;
	struct strbuf err = STRBUF_INIT, d = STRBUF_INIT;
	int ret = -1;

	memset(&po, 0, sizeof(po));
	po.timeout = timeout;
	po.log_path = log;
	proc_result_init(&pr);
	if (proc_run(argv, &po, &pr, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s: %s", what, err.buf);
		goto out;
	}
	if (!pr.exited || pr.status) {
		proc_describe(&pr, &d);
		check_fail(c, OUTCOME_ERROR, "%s: %s", what, d.buf);
		strbuf_add(&c->details, pr.out.buf, pr.out.len);
		goto out;
	}
	ret = 0;
out:
	proc_result_release(&pr);
	strbuf_release(&err);
	strbuf_release(&d);
	return ret;
}

/* Reads a package list: one or more names a line, '#' starts a comment. */
static int read_packages(const char *path, struct strbuf *list, struct strbuf *err)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f) {
		strbuf_addf(err, "cannot read the package list %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '#'), *tok, *save = NULL;
		if (p)
			*p = '\0';
		for (tok = strtok_r(line, " \t\r\n", &save); tok;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			const char *q;
			for (q = tok; *q; q++)
				if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789+-.:", *q)) {
					strbuf_addf(err, "%s: '%s' is not a package name", path, tok);
					fclose(f);
					return -1;
				}
			if (list->len)
				strbuf_addch(list, ',');
			strbuf_addstr(list, tok);
		}
	}
	fclose(f);
	return 0;
}

int image_alias(const char *release, const char *pkgfile, struct strbuf *alias,
		struct strbuf *pkgs, struct strbuf *err)
{
	struct strbuf list = STRBUF_INIT, inputs = STRBUF_INIT;
	char hex[SHA256_HEX_SIZE];

	if (!pkgs)
		pkgs = &list;
	if (read_packages(pkgfile, pkgs, err)) {
		strbuf_release(&list);
		return -1;
	}
	/* the alias names a hash of everything that goes into the image */
	strbuf_addf(&inputs, "format=%s\nrelease=%s\npackages=%s\ninit=", IMAGE_FORMAT, release,
		    pkgs->buf);
	strbuf_addstr(&inputs, init_script);
	sha256_hex_of(inputs.buf, inputs.len, hex);
	strbuf_addf(alias, "sf-build-%s-%.16s", release, hex);
	strbuf_release(&inputs);
	strbuf_release(&list);
	return 0;
}

/* Launches `image`, runs `command` in it, deletes it: the image works. */
static void image_check(struct run *run, struct stage_report *s, const char *image,
			const char *command, double timeout)
{
	struct backend b;
	struct backend_config cfg;
	struct backend_cmd cmd;
	struct backend_result res;
	struct strbuf err = STRBUF_INIT;
	struct check *c;
	char *argv[] = { "sh", "-c", (char *)command, NULL };
	double t;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = "lxd";
	backend_lxd_opts_from_cli(&run->cli, &cfg.lxd);
	cfg.image = image;
	cfg.purpose = "check";
	backend_result_init(&res);
	backend_init(&b, &cfg, &err);
	stage_set_prop(s, "backend", b.ops->name);
	c = stage_add_check(s, "launch");
	t = monotonic_now();
	if (backend_prepare(&b, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	check_set_message(c, "%s from %s in %.2f s (LXD %s)", b.container, image,
			  monotonic_now() - t, b.lxd.server_version);
	check_finish(c);
	c = stage_add_check(s, "exec");
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.timeout = timeout;
	if (backend_exec(&b, &cmd, &res, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
	} else if (res.timed_out) {
		/* a check that never answers says the image or the host is wrong */
		check_fail(c, OUTCOME_ERROR, "timed out after %.0f s (exit %d): the image "
			   "or the host is not usable", timeout, res.exit_code);
	} else if (res.exit_code) {
		check_fail(c, OUTCOME_FAIL, "exit %d", res.exit_code);
	} else {
		check_set_message(c, "exit 0 in %.3f s", res.duration);
	}
	strbuf_add(&c->details, res.out.buf, res.out.len);
	strbuf_add(&c->details, res.errout.buf, res.errout.len);
	check_finish(c);
out:
	c = stage_add_check(s, "cleanup");
	strbuf_reset(&err);
	if (backend_cleanup(&b, &err))
		check_fail(c, OUTCOME_ERROR, "containers left: %s", err.buf);
	else
		check_set_message(c, "run %s: no container left", b.run_id);
	check_finish(c);
	backend_release(&b);
	backend_result_release(&res);
	strbuf_release(&err);
}

static int image_build(struct run *run, struct stage_report *s, struct strbuf *uerr)
{
	const char *release = cli_get(&run->cli, "release");
	const char *pkgfile = cli_get(&run->cli, "packages-file");
	const char *mirror = cli_get(&run->cli, "mirror");
	struct strbuf pkgs = STRBUF_INIT, alias = STRBUF_INIT, dir = STRBUF_INIT;
	struct strbuf rootfs = STRBUF_INIT, tarball = STRBUF_INIT, log = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT, meta = STRBUF_INIT;
	struct strbuf include = STRBUF_INIT;
	struct lxd_opts lo;
	struct lxd lxd;
	struct check *c;
	int exists = 0, connected = 0, ret = 0;
	double t;

	if (!release)
		release = "bookworm";
	if (!pkgfile)
		pkgfile = "recipes/build-packages.txt";
	if (strspn(release, "abcdefghijklmnopqrstuvwxyz") != strlen(release) || !*release) {
		strbuf_addf(uerr, "'%s' is not a Debian release name", release);
		ret = -1;
		goto out;
	}
	c = stage_add_check(s, "inputs");
	if (image_alias(release, pkgfile, &alias, &pkgs, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	check_set_message(c, "%s: %s", alias.buf, pkgs.buf);
	check_finish(c);
	stage_set_prop(s, "image", alias.buf);
	stage_set_prop(s, "backend", "lxd");

	c = stage_add_check(s, "lookup");
	backend_lxd_opts_from_cli(&run->cli, &lo);
	if (lxd_connect(&lxd, &lo, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		lxd_release(&lxd);
		goto out;
	}
	connected = 1;
	if (lxd_image_exists(&lxd, alias.buf, &exists, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	if (exists && !cli_flag(&run->cli, "force")) {
		check_set_message(c, "%s exists: reused", alias.buf);
		check_finish(c);
		goto check;
	}
	check_set_message(c, "%s %s: building", alias.buf, exists ? "rebuilt (--force)" : "absent");
	check_finish(c);

	{
		const char *cache;
		if (run_cache_dir(run, &cache, &err)) {
			c = stage_add_check(s, "debootstrap");
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
			check_finish(c);
			goto out;
		}
		strbuf_addstr(&dir, cache);
	}
	strbuf_addf(&dir, "/images/%s", alias.buf);
	strbuf_addf(&rootfs, "%s/rootfs", dir.buf);
	strbuf_addf(&tarball, "%s.tar.gz", dir.buf);
	strbuf_addf(&log, "%s.log", dir.buf);
	{
		char *rm[] = { "rm", "-rf", dir.buf, NULL };
		c = stage_add_check(s, "debootstrap");
		if (run_cmd(rm, 600, NULL, c, "cleaning the work directory") ||
		    fs_mkdirs(dir.buf, &err)) {
			if (err.len)
				check_fail(c, OUTCOME_ERROR, "%s", err.buf);
			check_finish(c);
			goto out;
		}
	}
	strbuf_addf(&include, "--include=%s", pkgs.buf);
	{
		char *argv[] = { "debootstrap", "--variant=minbase", include.buf,
				 (char *)release, rootfs.buf, (char *)mirror, NULL };
		t = monotonic_now();
		check_attach_log(c, log.buf);
		if (run_cmd(argv, 3600, log.buf, c, "debootstrap")) {
			check_finish(c);
			goto out;
		}
		check_set_message(c, "%s minbase + packages in %.0f s", release,
				  monotonic_now() - t);
		check_finish(c);
	}

	c = stage_add_check(s, "pack");
	t = monotonic_now();
	strbuf_addf(&path, "%s/usr/sbin/init", rootfs.buf);
	strbuf_addf(&meta, "architecture: x86_64\ncreation_date: %ld\nproperties:\n"
		    "  description: slurm-factory build image %s\n  os: debian\n"
		    "  release: %s\n", (long)time(NULL), alias.buf, release);
	{
		struct strbuf mp = STRBUF_INIT;
		char *clean[] = { "find", rootfs.buf, "-path", "*/var/cache/apt/archives/*.deb",
				  "-delete", NULL };
		char *tar[] = { "tar", "--numeric-owner", "--xattrs", "-C", dir.buf, "-czf",
				tarball.buf, "metadata.yaml", "rootfs", NULL };
		strbuf_addf(&mp, "%s/metadata.yaml", dir.buf);
		if (fs_put_file(path.buf, init_script, strlen(init_script), 0755, &err) ||
		    fs_put_file(mp.buf, meta.buf, meta.len, 0644, &err)) {
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
			strbuf_release(&mp);
			check_finish(c);
			goto out;
		}
		strbuf_release(&mp);
		if (run_cmd(clean, 600, NULL, c, "removing downloaded packages") ||
		    run_cmd(tar, 3600, NULL, c, "tar")) {
			check_finish(c);
			goto out;
		}
	}
	check_set_message(c, "%s in %.1f s", tarball.buf, monotonic_now() - t);
	check_finish(c);

	c = stage_add_check(s, "import");
	t = monotonic_now();
	if (lxd_image_import(&lxd, tarball.buf, alias.buf, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	check_set_message(c, "%s imported in %.1f s", alias.buf, monotonic_now() - t);
	check_finish(c);
	{
		char *rm[] = { "rm", "-rf", dir.buf, tarball.buf, NULL };
		c = stage_add_check(s, "tidy");
		run_cmd(rm, 600, NULL, c, "removing the work directory");
		check_finish(c);
	}
check:
	if (!signals_interrupted())
		image_check(run, s, alias.buf, cli_get(&run->cli, "command") ?
			    cli_get(&run->cli, "command") : DEFAULT_CHECK, 120);
	if (!run->quiet)
		printf("%s\n", alias.buf);
out:
	if (connected)
		lxd_release(&lxd);
	strbuf_release(&pkgs);
	strbuf_release(&alias);
	strbuf_release(&dir);
	strbuf_release(&rootfs);
	strbuf_release(&tarball);
	strbuf_release(&log);
	strbuf_release(&path);
	strbuf_release(&err);
	strbuf_release(&meta);
	strbuf_release(&include);
	return ret;
}

int stage_image(struct run *run, const void *opts, struct strbuf *err)
{
	(void)opts;
	struct stage_report *s;
	const char *sub = run->cli.nr_args ? run->cli.args[0] : NULL;
	unsigned long timeout;

	if (!sub) {
		strbuf_addstr(err, "image needs a sub-command: build or check");
		return -1;
	}
	if (!strcmp(sub, "build")) {
		if (run->cli.nr_args != 1) {
			strbuf_addstr(err, "image build takes no arguments");
			return -1;
		}
		s = report_add_stage(&run->report, "image");
		if (image_build(run, s, err))
			return -1;
		stage_finish(s);
		return 0;
	}
	if (!strcmp(sub, "check")) {
		const char *alias = run->cli.nr_args > 1 ? run->cli.args[1] :
				    cli_get(&run->cli, "image");
		const char *command = cli_get(&run->cli, "command");
		if (!alias || run->cli.nr_args > 2) {
			strbuf_addstr(err, "image check takes one image alias");
			return -1;
		}
		if (cli_get_ulong(&run->cli, "timeout", 1, 86400, 600, &timeout, err))
			return -1;
		s = report_add_stage(&run->report, "image");
		stage_set_prop(s, "image", alias);
		image_check(run, s, alias, command ? command : DEFAULT_CHECK,
			    (double)timeout);
		if (signals_interrupted())
			s->interrupted = 1;
		stage_finish(s);
		return 0;
	}
	strbuf_addf(err, "'%s' is not an image sub-command (build, check)", sub);
	return -1;
}

int stage_gc(struct run *run, const void *opts, struct strbuf *err)
{
	(void)opts;
	struct stage_report *s = report_add_stage(&run->report, "gc");
	const char *only = cli_get(&run->cli, "run-id");
	int all = cli_flag(&run->cli, "all");
	struct lxd_instance *list = NULL;
	struct lxd_opts lo;
	struct lxd lxd;
	struct check *c;
	char hostname[256];
	size_t nr = 0, i, deleted = 0, kept = 0;

	(void)err;
	if (gethostname(hostname, sizeof(hostname)))
		hostname[0] = '\0';
	hostname[sizeof(hostname) - 1] = '\0';
	stage_set_prop(s, "backend", "lxd");
	c = stage_add_check(s, "list");
	backend_lxd_opts_from_cli(&run->cli, &lo);
	if (lxd_connect(&lxd, &lo, err) || lxd_list_own(&lxd, &list, &nr, err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err->buf);
		strbuf_reset(err);
		check_finish(c);
		goto out;
	}
	check_set_message(c, "%zu container(s) of the tool", nr);
	check_finish(c);
	for (i = 0; i < nr; i++) {
		struct strbuf m = STRBUF_INIT;
		if (only && strcmp(list[i].run_id, only))
			continue;
		/* a run still alive on this host owns its containers */
		if (!all && !only && list[i].host && !strcmp(list[i].host, hostname) &&
		    list[i].pid && (pid_t)list[i].pid != getpid() &&
		    kill((pid_t)list[i].pid, 0) == 0) {
			kept++;
			continue;
		}
		c = stage_add_check(s, list[i].name);
		if (lxd_delete(&lxd, list[i].name, &m))
			check_fail(c, OUTCOME_ERROR, "%s", m.buf);
		else
			check_set_message(c, "deleted (run %s, %s)", list[i].run_id,
					  list[i].status);
		deleted++;
		check_finish(c);
		strbuf_release(&m);
	}
	if (kept)
		stage_set_prop(s, "kept-live-runs", kept == 1 ? "1" : "several");
out:
	(void)deleted;
	lxd_instances_free(list, nr);
	lxd_release(&lxd);
	stage_finish(s);
	return 0;
}
