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
#include "bases.h"
#include "image.h"
#include "lxd.h"
#include "proc.h"
#include "progress.h"
#include "signals.h"
#include "stages.h"

const struct opt image_opts[] = {
	BASE_OPTS,
	{ "packages-file", OPT_VALUE | OPTF_INPUT, "FILE",
	  "packages baked into the image (default: the installed recipes/build-packages.txt, "
	  "or runtime-packages.txt with --kind runtime)" },
	{ "mirror", OPT_VALUE, "URL", "Debian mirror for debootstrap (default: debootstrap's)" },
	{ "image", OPT_VALUE, "ALIAS", "image check: the image (instead of ALIAS)" },
	{ "command", OPT_VALUE, "CMD", "shell command the new or checked image must pass (default: tool check)" },
	{ "timeout", OPT_VALUE, "SECONDS", "image check: limit for the command (default 600)" },
	{ "force", OPT_FLAG, NULL, "image build: rebuild even if the alias exists" },
	{ "kind", OPT_VALUE, "KIND", "image build: build (default: the build image) or runtime "
	  "(the smoke stage's image: Lmod, munge and OpenMPI)" },
	{ "gpu", OPT_FLAG, NULL, "image build: the build image for --gpu builds (adds the \"gpu:\" "
	  "lines of the list, from Debian main and non-free: ROCm SMI and NVML headers)" },
	BACKEND_LXD_OPTS,
	BACKEND_LXD_LAUNCH_OPTS,
	{ NULL, 0, NULL, NULL },
};

const struct opt gc_opts[] = {
	{ "all", OPT_FLAG, NULL, "also containers of runs still alive on this host" },
	{ "run-id", OPT_VALUE, "ID", "only the containers of this run" },
	{ "volumes", OPT_FLAG, NULL, "also delete the build cache volumes (" BUILD_CACHE_VOLUME_PREFIX
	  "*: ccache and configure cache on the server) no container uses" },
	BACKEND_LXD_OPTS,
	{ NULL, 0, NULL, NULL },
};

/* Stops when its container is stopped (SIGPWR from LXD, or SIGTERM). */
static const char init_script[] =
	"#!/bin/sh\n"
	"# slurm-factory image init: keep the container up until LXD stops it\n"
	"trap 'exit 0' PWR TERM INT\n"
	"while :; do sleep 3600 & wait $!; done\n";

/*
 * Run in the new root file system (chroot) with the "gpu-nodeps:" packages
 * as $1: downloads them from Debian non-free of the image's own mirror and
 * release and installs them without their dependencies (dpkg
 * --force-depends), then removes what apt fetched. They appear in the
 * image's package list like every other package.
 */
static const char nodeps_script[] =
	"set -eu\n"
	"src=$(awk '$1 == \"deb\" { print $2; exit }' /etc/apt/sources.list)\n"
	"rel=$(awk '$1 == \"deb\" { print $3; exit }' /etc/apt/sources.list)\n"
	"d=$(mktemp -d /tmp/sf-nodeps-XXXXXX)\n"
	"mkdir -p \"$d/lists/partial\"\n"
	"echo \"deb $src $rel non-free\" >\"$d/sources.list\"\n"
	"set -- -q -o Dir::Etc::sourcelist=\"$d/sources.list\" -o Dir::Etc::sourceparts=- "
	"-o Dir::State::Lists=\"$d/lists\" -o APT::Sandbox::User=root\n"
	"apt-get \"$@\" update\n"
	"cd \"$d\"\n"
	"# shellcheck disable=SC2086\n"
	"apt-get \"$@\" download $SF_NODEPS\n"
	"dpkg --force-depends -i ./*.deb\n"
	"cd /\n"
	"rm -rf \"$d\"\n";

/*
 * Run in a copy of the build image's root file system (chroot) with the
 * "gpu:" packages as $SF_PKGS: the GPU build image is the build image plus
 * those (and the "gpu-nodeps:" ones, nodeps_script), so it is derived from
 * the build image's export instead of a second debootstrap (~1 min instead
 * of ~5). No service starts (policy-rc.d), apt's lists are not kept.
 */
static const char derive_script[] =
	"set -eu\n"
	"export DEBIAN_FRONTEND=noninteractive\n"
	"printf '#!/bin/sh\\nexit 101\\n' >/usr/sbin/policy-rc.d\n"
	"chmod 0755 /usr/sbin/policy-rc.d\n"
	"trap 'rm -f /usr/sbin/policy-rc.d' EXIT\n"
	"apt-get -q -o APT::Sandbox::User=root update\n"
	"# shellcheck disable=SC2086\n"
	"apt-get -q -o APT::Sandbox::User=root install -y --no-install-recommends $SF_PKGS\n"
	"apt-get clean\n"
	"rm -rf /var/lib/apt/lists/*\n";

/* Bumped when the way the image is made changes. */
#define IMAGE_FORMAT "2"
/* What a new runtime image must pass: Lmod, munged and OpenMPI's mpicc there. */
#define RUNTIME_CHECK "test -x /usr/sbin/munged && test -r /usr/share/lmod/lmod/init/bash " \
	"&& command -v mpicc >/dev/null && command -v mpirun >/dev/null"
#define DEFAULT_CHECK "for t in sh timeout cc make pkg-config; do " \
	"command -v $t >/dev/null || { echo missing: $t; exit 1; }; done; echo ok"

/*
 * Runs argv; with ROOT, as root: itself when this process is root, else
 * through "sudo -n" (the only commands of an image build that need root:
 * debootstrap, and writing, packing and removing the root file system it
 * made). Fails the check with what to do when sudo asks for a password.
 */
#define ROOT 1
static int run_cmd(char *const argv[], int root, double timeout, const char *log,
		   struct check *c, const char *what)
{
	struct proc_opts po;
	struct proc_result pr;
	struct strbuf err = STRBUF_INIT, d = STRBUF_INIT;
	char **av = NULL;
	size_t n = 0, i;
	int sudo = root && geteuid() != 0, ret = -1;

	while (argv[n])
		n++;
	av = xcalloc(n + 4, sizeof(*av));
	i = 0;
	if (sudo) {
		av[i++] = "sudo";
		av[i++] = "-n";
		av[i++] = "--";
	}
	memcpy(av + i, argv, (n + 1) * sizeof(*av));
	memset(&po, 0, sizeof(po));
	po.timeout = timeout;
	po.log_path = log;
	proc_result_init(&pr);
	if (proc_run(av, &po, &pr, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s: %s", what, err.buf);
		goto out;
	}
	if (!pr.exited || pr.status) {
		proc_describe(&pr, &d);
		if (sudo)
			strbuf_addstr(&d, " (run through 'sudo -n': making an image needs root; "
				      "run the tool as root or give this user passwordless sudo)");
		check_fail(c, OUTCOME_ERROR, "%s: %s", what, d.buf);
		strbuf_add(&c->details, pr.out.buf, pr.out.len);
		goto out;
	}
	ret = 0;
out:
	free(av);
	proc_result_release(&pr);
	strbuf_release(&err);
	strbuf_release(&d);
	return ret;
}

/* Removes an image work directory, whose root file system root owns. */
static int remove_work(const char *dir, struct check *c)
{
	struct strbuf err = STRBUF_INIT;
	char *argv[] = { "rm", "-rf", "--one-file-system", "--", (char *)dir, NULL };
	int ret = 0;

	if (geteuid() != 0)
		return run_cmd(argv, ROOT, 600, NULL, c, "removing the image work directory");
	if (fs_rmtree(dir, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		ret = -1;
	}
	strbuf_release(&err);
	return ret;
}

/*
 * Reads a package list: one or more names a line, '#' starts a comment,
 * into `list` (comma-separated, for debootstrap). Lines of the GPU build
 * image only (`gpu` set): "gpu:" names packages of Debian main installed
 * with their dependencies like the others; "gpu-nodeps:" names packages of
 * Debian non-free installed after debootstrap without their dependencies
 * (into `nodeps`): a header package whose library belongs to the node's
 * driver (libnvidia-ml-dev needs the driver's libnvidia-ml1, whose
 * pre-dependencies reach into contrib and cannot be installed by
 * debootstrap). `gpu_main` (may be NULL) gets the "gpu:" names again,
 * space-separated.
 */
static int read_packages(const char *path, int gpu, struct strbuf *list, struct strbuf *nodeps,
			 struct strbuf *gpu_main, struct strbuf *err)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f) {
		strbuf_addf(err, "cannot read the package list %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '#'), *tok, *save = NULL, *start = line;
		struct strbuf *to = list, *also = NULL;
		if (p)
			*p = '\0';
		start += strspn(start, " \t");
		if (!strncmp(start, "gpu:", 4) || !strncmp(start, "gpu-nodeps:", 11)) {
			if (!gpu)
				continue;
			if (start[3] == '-')
				to = nodeps;
			else
				also = gpu_main;
			start = strchr(start, ':') + 1;
		}
		for (tok = strtok_r(start, " \t\r\n", &save); tok;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			const char *q;
			for (q = tok; *q; q++)
				if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789+-.:", *q)) {
					strbuf_addf(err, "%s: '%s' is not a package name", path, tok);
					fclose(f);
					return -1;
				}
			if (to->len)
				strbuf_addch(to, to == nodeps ? ' ' : ',');
			strbuf_addstr(to, tok);
			if (also) {
				if (also->len)
					strbuf_addch(also, ' ');
				strbuf_addstr(also, tok);
			}
		}
	}
	fclose(f);
	return 0;
}

/*
 * The alias of an image of `kind` (`gpu`: the GPU build variant) for Debian
 * `release` and the package list `pkgfile`:
 * "sf-<kind>[-gpu]-<release>-<hash of the inputs>", appended to `alias`.
 * `pkgs` (may be NULL) gets the packages, comma-separated. -1 with `err`
 * when the list cannot be read or holds a bad name.
 */
static int image_alias(enum image_kind kind, int gpu, const char *release, const char *pkgfile,
		       struct strbuf *alias, struct strbuf *err)
{
	struct strbuf list = STRBUF_INIT, nodeps = STRBUF_INIT, inputs = STRBUF_INIT;
	char hex[SHA256_HEX_SIZE];

	if (read_packages(pkgfile, gpu, &list, &nodeps, NULL, err)) {
		strbuf_release(&list);
		strbuf_release(&nodeps);
		return -1;
	}
	/* the alias names a hash of everything that goes into the image */
	strbuf_addf(&inputs, "format=%s\nrelease=%s\npackages=%s\n", IMAGE_FORMAT, release,
		    list.buf);
	if (nodeps.len)
		strbuf_addf(&inputs, "non-free-nodeps=%s\nnodeps-script=%s\n", nodeps.buf,
			    nodeps_script);
	if (gpu)
		strbuf_addf(&inputs, "derive-script=%s\n", derive_script);
	strbuf_addstr(&inputs, "init=");
	strbuf_addstr(&inputs, init_script);
	sha256_hex_of(inputs.buf, inputs.len, hex);
	strbuf_addf(alias, "sf-%s%s-%s-%.16s", kind == IMAGE_RUNTIME ? "runtime" : "build",
		    gpu ? "-gpu" : "", release, hex);
	strbuf_release(&inputs);
	strbuf_release(&list);
	strbuf_release(&nodeps);
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

int image_spec_default(const struct run *run, enum image_kind kind, const char *release,
		       struct image_spec *spec, struct strbuf *err)
{
	const char *beside = kind == IMAGE_RUNTIME ? cli_get(&run->cli, "script") :
			     cli_get(&run->cli, "recipe");
	const char *name = kind == IMAGE_RUNTIME ? "runtime-packages.txt" : "build-packages.txt";
	char *real = beside ? realpath(beside, NULL) : NULL;

	memset(spec, 0, sizeof(*spec));
	strbuf_init(&spec->pkgfile);
	strbuf_init(&spec->alias);
	if (!release && run_base(run, &release, err)) {
		free(real);
		return -1;
	}
	spec->kind = kind;
	spec->gpu = kind == IMAGE_BUILD && cli_flag(&run->cli, "gpu");
	spec->release = release;
	spec->mirror = cli_get(&run->cli, "mirror");
	spec->check = kind == IMAGE_RUNTIME ? RUNTIME_CHECK : DEFAULT_CHECK;
	/* the package list beside a --recipe/--script given, else the installed one */
	if (real) {
		strbuf_add(&spec->pkgfile, real, (size_t)(strrchr(real, '/') - real));
		strbuf_addf(&spec->pkgfile, "/%s", name);
	}
	free(real);
	if (!fs_is_file(spec->pkgfile.buf)) {
		struct strbuf rel = STRBUF_INIT;
		strbuf_addf(&rel, "recipes/%s", name);
		if (fs_data_file(rel.buf, &spec->pkgfile, err)) {
			strbuf_release(&rel);
			return -1;
		}
		strbuf_release(&rel);
	}
	if (!base_name_ok(spec->release)) {
		strbuf_addf(err, "'%s' is not a Debian release name", spec->release);
		return -1;
	}
	return image_alias(kind, spec->gpu, spec->release, spec->pkgfile.buf, &spec->alias, err);
}

void image_spec_release(struct image_spec *spec)
{
	strbuf_release(&spec->pkgfile);
	strbuf_release(&spec->alias);
}

/* The installed packages of a root file system, "name=version" lines, sorted. */
static int installed_packages(const char *rootfs, struct strbuf *out, struct strbuf *err)
{
	struct strbuf admin = STRBUF_INIT;
	struct proc_result pr;
	int ret = -1;
	char *argv[] = { "dpkg-query", NULL, "-W", "-f", "${Package}=${Version}\n", NULL };

	strbuf_addf(&admin, "--admindir=%s/var/lib/dpkg", rootfs);
	argv[1] = admin.buf;
	proc_result_init(&pr);
	if (proc_run(argv, NULL, &pr, err))
		goto out;
	if (!pr.exited || pr.status) {
		strbuf_addstr(err, "dpkg-query: ");
		proc_describe(&pr, err);
		goto out;
	}
	strbuf_add(out, pr.out.buf, pr.out.len);
	ret = 0;
out:
	proc_result_release(&pr);
	strbuf_release(&admin);
	return ret;
}

/*
 * debootstrap → pack → import: a new image for `spec` under its alias; a
 * GPU build image with `base` (the build image's export, may be NULL) is
 * that root file system plus the `gpu_main` packages instead of a new
 * debootstrap.
 * Its installed packages (name=version) are hashed into the image property
 * packages_sha256, which builds are keyed on: an image rebuilt with newer
 * packages gives new artifacts. Checks "debootstrap" (or "derive"), "pack",
 * "import".
 */
static int image_make(struct run *run, struct stage_report *s, const struct image_spec *spec,
		      const char *pkgs, const char *nodeps, const char *base,
		      const char *gpu_main, struct lxd *lxd)
{
	struct strbuf dir = STRBUF_INIT, rootfs = STRBUF_INIT, tarball = STRBUF_INIT,
		      log = STRBUF_INIT, path = STRBUF_INIT, err = STRBUF_INIT,
		      meta = STRBUF_INIT, include = STRBUF_INIT, list = STRBUF_INIT,
		      mp = STRBUF_INIT, init = STRBUF_INIT, export = STRBUF_INIT;
	char sha[SHA256_HEX_SIZE];
	const char *cache;
	struct check *c = stage_add_check(s, base ? "derive" : "debootstrap");
	double t;
	int ret = -1;

	if (run_cache_dir(run, &cache, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	strbuf_addf(&dir, "%s/images/%s", cache, spec->alias.buf);
	strbuf_addf(&rootfs, "%s/rootfs", dir.buf);
	strbuf_addf(&tarball, "%s/image.tar.gz", dir.buf);
	strbuf_addf(&export, "%s.tar.gz", dir.buf);
	strbuf_addf(&log, "%s.log", dir.buf);
	if (remove_work(dir.buf, c))
		goto out;
	if (fs_mkdirs(dir.buf, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	strbuf_addf(&include, "--include=%s", pkgs);
	if (base) {
		struct strbuf script = STRBUF_INIT;
		int rc;

		t = monotonic_now();
		check_attach_log(c, log.buf);
		if (!run->quiet)
			fprintf(stderr, "image: building %s (the build image's export %s plus %s; "
				"log %s)\n", spec->alias.buf, base, gpu_main, log.buf);
		/* the names are checked package names (read_packages) */
		strbuf_addf(&script, "SF_PKGS='%s'\n%s", gpu_main, derive_script);
		char *untar[] = { "tar", "--numeric-owner", "--xattrs", "-C", dir.buf, "-xzf",
				  (char *)base, "rootfs", NULL };
		char *install[] = { "chroot", rootfs.buf, "/bin/sh", "-c", script.buf, NULL };
		rc = run_cmd(untar, ROOT, 1200, log.buf, c, "unpacking the build image's export") ||
		     run_cmd(install, ROOT, 1800, log.buf, c, "installing the gpu: packages");
		strbuf_release(&script);
		if (rc)
			goto out;
	} else {
		char *argv[] = { "debootstrap", "--variant=minbase", include.buf,
				 (char *)spec->release, rootfs.buf, (char *)spec->mirror, NULL };
		t = monotonic_now();
		check_attach_log(c, log.buf);
		if (!run->quiet)
			fprintf(stderr, "image: building %s (debootstrap %s; log %s)\n",
				spec->alias.buf, spec->release, log.buf);
		struct image_progress ip;
		struct progress pr;
		int rc;

		memset(&ip, 0, sizeof(ip));
		ip.log = log.buf;
		progress_start(&pr, "image", "debootstrap", image_progress_poll, &ip, run->quiet);
		rc = run_cmd(argv, ROOT, 3600, log.buf, c, "debootstrap");
		progress_stop(&pr);
		if (rc)
			goto out;
	}
	if (*nodeps) {
		struct strbuf script = STRBUF_INIT;
		int rc;

		/* the names are checked package names (read_packages) */
		strbuf_addf(&script, "SF_NODEPS='%s'\n%s", nodeps, nodeps_script);
		char *argv[] = { "chroot", rootfs.buf, "/bin/sh", "-c", script.buf, NULL };
		rc = run_cmd(argv, ROOT, 1200, log.buf, c, "installing the non-free packages "
			     "without their dependencies");
		strbuf_release(&script);
		if (rc)
			goto out;
	}
	if (installed_packages(rootfs.buf, &list, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	sha256_hex_of(list.buf, list.len, sha);
	{
		size_t n = 0, i;
		for (i = 0; i < list.len; i++)
			n += list.buf[i] == '\n';
		if (base)
			check_set_message(c, "the build image's export + %s in %.0f s: %zu packages "
					  "installed, sha256 %.16s", gpu_main, monotonic_now() - t, n,
					  sha);
		else
			check_set_message(c, "%s minbase + packages in %.0f s: %zu packages "
					  "installed, sha256 %.16s", spec->release,
					  monotonic_now() - t, n, sha);
	}
	check_finish(c);

	c = stage_add_check(s, "pack");
	t = monotonic_now();
	strbuf_addf(&path, "%s/init", dir.buf);
	strbuf_addf(&init, "%s/usr/sbin/init", rootfs.buf);
	strbuf_addf(&meta, "architecture: x86_64\ncreation_date: %ld\nproperties:\n"
		    "  description: slurm-factory %s image %s\n  os: debian\n"
		    "  release: %s\n  packages_sha256: %s\n", (long)time(NULL),
		    spec->kind == IMAGE_RUNTIME ? "runtime" : "build", spec->alias.buf,
		    spec->release, sha);
	strbuf_addf(&mp, "%s/metadata.yaml", dir.buf);
	{
		/* install(1) unlinks what is there first: a link is replaced, not followed */
		char *put_init[] = { "install", "-m", "0755", "-o", "0", "-g", "0", path.buf,
				     init.buf, NULL };
		char *clean[] = { "find", rootfs.buf, "-path", "*/var/cache/apt/archives/*.deb",
				  "-delete", NULL };
		char *tar[] = { "tar", "--numeric-owner", "--xattrs", "-C", dir.buf, "-czf",
				tarball.buf, "metadata.yaml", "rootfs", NULL };
		if (fs_put_file(path.buf, init_script, strlen(init_script), 0755, &err) ||
		    fs_put_file(mp.buf, meta.buf, meta.len, 0644, &err)) {
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
			goto out;
		}
		struct progress pr;
		int rc;

		progress_start(&pr, "image", "pack", NULL, NULL, run->quiet);
		rc = run_cmd(put_init, ROOT, 60, NULL, c, "installing the init script") ||
		     run_cmd(clean, ROOT, 600, NULL, c, "removing downloaded packages") ||
		     run_cmd(tar, ROOT, 3600, NULL, c, "tar");
		progress_stop(&pr);
		if (rc)
			goto out;
	}
	check_set_message(c, "%s in %.1f s", tarball.buf, monotonic_now() - t);
	check_finish(c);

	c = stage_add_check(s, "import");
	t = monotonic_now();
	{
		struct progress pr;
		int rc;

		progress_start(&pr, "image", "import", NULL, NULL, run->quiet);
		rc = lxd_image_import(lxd, tarball.buf, spec->alias.buf, &err);
		progress_stop(&pr);
		if (rc) {
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
			goto out;
		}
	}
	check_set_message(c, "%s imported in %.1f s", spec->alias.buf, monotonic_now() - t);
	/*
	 * The package list stays, for what is grafted from the image; the
	 * tarball too, as the export a fresh LXD (a new CI runner with the
	 * cache restored) imports instead of running debootstrap again.
	 */
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/images/%s.packages", cache, spec->alias.buf);
	if (fs_put_file(path.buf, list.buf, list.len, 0644, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	if (rename(tarball.buf, export.buf)) {
		check_fail(c, OUTCOME_ERROR, "cannot keep the image export %s: %s", export.buf,
			   strerror(errno));
		goto out;
	}
	if (geteuid() != 0) {
		/* tar ran as root: the user's cache holds only the user's files */
		char owner[64];
		char *chown[] = { "chown", owner, "--", export.buf, NULL };
		snprintf(owner, sizeof(owner), "%ld:%ld", (long)geteuid(), (long)getegid());
		if (run_cmd(chown, ROOT, 60, NULL, c, "chown of the image export"))
			goto out;
	}
	ret = 0;
out:
	check_finish(c);
	if (dir.len) {
		struct check *rm = stage_add_check(s, "remove work directory");
		if (!remove_work(dir.buf, rm))
			check_set_message(rm, "%s removed", dir.buf);
		check_finish(rm);
	}
	unlink(tarball.buf);
	strbuf_release(&dir);
	strbuf_release(&rootfs);
	strbuf_release(&tarball);
	strbuf_release(&log);
	strbuf_release(&path);
	strbuf_release(&err);
	strbuf_release(&meta);
	strbuf_release(&include);
	strbuf_release(&list);
	strbuf_release(&mp);
	strbuf_release(&init);
	strbuf_release(&export);
	return ret;
}

/*
 * A missing image from its export <cache>/images/<alias>.tar.gz (kept by
 * the build that made it, restored with the cache on a new runner): 0 with
 * the check's message set; -1 when there is none or LXD refused it (a
 * damaged export is removed, and the image is made anew).
 */
static int import_export(struct run *run, const struct image_spec *spec, struct lxd *lxd,
			 struct check *c)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	const char *cache;
	struct stat st;
	double t = monotonic_now();
	int ret = -1;

	if (run_cache_dir(run, &cache, &err))
		goto out;
	strbuf_addf(&path, "%s/images/%s.tar.gz", cache, spec->alias.buf);
	if (lstat(path.buf, &st) || !S_ISREG(st.st_mode))
		goto out;
	if (lxd_image_import(lxd, path.buf, spec->alias.buf, &err)) {
		strbuf_addf(&c->details, "the export %s was not imported (%s): removed, the "
			    "image is made anew\n", path.buf, err.buf);
		unlink(path.buf);
		goto out;
	}
	check_set_message(c, "%s absent: imported from its export %s (%.0f MB) in %.1f s",
			  spec->alias.buf, path.buf, (double)st.st_size / 1e6, monotonic_now() - t);
	ret = 0;
out:
	strbuf_release(&path);
	strbuf_release(&err);
	return ret;
}

/*
 * Into `path`: the export of the build image a GPU build image derives
 * from: the one in this cache (kept by the run that made the build image),
 * else exported from LXD into the cache when the image is there. -1 (and
 * `path` empty) when there is none; a failed export is a note in `c`.
 */
static int base_export(struct run *run, const struct image_spec *spec, struct lxd *lxd,
		       struct check *c, struct strbuf *path)
{
	struct strbuf alias = STRBUF_INIT, err = STRBUF_INIT, tmp = STRBUF_INIT;
	const char *cache;
	struct stat st;
	int exists = 0, ret = -1;

	if (!spec->gpu || run_cache_dir(run, &cache, &err) ||
	    image_alias(IMAGE_BUILD, 0, spec->release, spec->pkgfile.buf, &alias, &err))
		goto out;
	strbuf_addf(path, "%s/images/%s.tar.gz", cache, alias.buf);
	if (!lstat(path->buf, &st) && S_ISREG(st.st_mode)) {
		ret = 0;
		goto out;
	}
	if (lxd_image_exists(lxd, alias.buf, &exists, &err) || !exists)
		goto out;
	/* whole or not at all: a temporary name renamed into place */
	strbuf_addf(&tmp, "%s/images", cache);
	if (fs_mkdirs(tmp.buf, &err))
		goto out;
	strbuf_addf(&tmp, "/.%s.tar.gz.%ld", alias.buf, (long)getpid());
	if (lxd_image_export(lxd, alias.buf, tmp.buf, &err) || rename(tmp.buf, path->buf)) {
		if (!err.len)
			strbuf_addf(&err, "cannot rename %s: %s", tmp.buf, strerror(errno));
		unlink(tmp.buf);
		goto out;
	}
	ret = 0;
out:
	if (ret) {
		if (err.len)
			strbuf_addf(&c->details, "the build image %s could not be exported (%s): "
				    "debootstrap instead\n", alias.buf, err.buf);
		strbuf_reset(path);
	}
	strbuf_release(&alias);
	strbuf_release(&err);
	strbuf_release(&tmp);
	return ret;
}

/*
 * One maker of an image at a time on this machine: two runs (two CI jobs
 * on one runner, or a test beside a set-up script) that need the same
 * missing image take turns on /run/lock/slurm-factory-<alias>.lock, and
 * the second finds the image the first made. An image is made in minutes:
 * a lock held for hours is someone else's, and an error.
 */
#define IMAGE_LOCK_TIMEOUT (2 * 3600.0)

/* 0 with *fd the held lock (-1: no lock file could be opened: unlocked, as before); -1 with `err`. */
static int image_lock(const char *alias, int *fd, double *waited, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;

	strbuf_addf(&path, "%s/slurm-factory-%s.lock", fs_is_dir("/run/lock") ? "/run/lock" :
		    fs_tmpdir(), alias);
	*fd = fs_lock_file(path.buf, IMAGE_LOCK_TIMEOUT, waited, err);
	strbuf_release(&path);
	if (*fd == -2) {
		strbuf_reset(err);
		*fd = -1;
		return 0;
	}
	return *fd < 0 ? -1 : 0;
}

int image_ensure(struct run *run, struct stage_report *s, const struct image_spec *spec,
		 struct lxd *lxd, unsigned flags, struct strbuf *packages_sha)
{
	struct strbuf pkgs = STRBUF_INIT, nodeps = STRBUF_INIT, err = STRBUF_INIT,
		      name = STRBUF_INIT, gpu_main = STRBUF_INIT, base = STRBUF_INIT;
	const char *kind = spec->kind == IMAGE_RUNTIME ? "runtime" : "build";
	struct check *c;
	double waited = 0;
	int exists = 0, ret = -1, lock = -1;

	strbuf_addf(&name, "%s image", kind);
	if (spec->label_release)
		strbuf_addf(&name, " %s", spec->release);
	c = stage_add_check(s, name.buf);
	if (read_packages(spec->pkgfile.buf, spec->gpu, &pkgs, &nodeps, &gpu_main, &err) ||
	    (flags & IMAGE_BUILD_MISSING && image_lock(spec->alias.buf, &lock, &waited, &err)) ||
	    lxd_image_exists(lxd, spec->alias.buf, &exists, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	if (exists && !(flags & IMAGE_FORCE)) {
		check_set_message(c, "%s exists: reused%s", spec->alias.buf, waited >= 1 ?
				  " (made by another run while this one waited)" : "");
		check_finish(c);
	} else if (!(flags & IMAGE_FORCE) && !import_export(run, spec, lxd, c)) {
		check_finish(c);
	} else if (!(flags & IMAGE_BUILD_MISSING)) {
		check_fail(c, OUTCOME_ERROR, "the %s image %s is missing (built from %s): build it "
			   "with 'slurm-factory image build --base %s%s%s%s', or drop "
			   "--no-image-build", kind, spec->alias.buf, spec->pkgfile.buf,
			   spec->release, spec->gpu ? " --gpu" : "",
			   spec->kind == IMAGE_RUNTIME ? " --packages-file " : "",
			   spec->kind == IMAGE_RUNTIME ? spec->pkgfile.buf : "");
		check_finish(c);
		goto out;
	} else {
		base_export(run, spec, lxd, c, &base);
		check_set_message(c, "%s %s: building from %s%s%s", spec->alias.buf,
				  exists ? "rebuilt (--force)" : "absent", spec->pkgfile.buf,
				  base.len ? ", derived from the build image's export " : "", base.buf);
		check_finish(c);
		if (image_make(run, s, spec, pkgs.buf, nodeps.buf, base.len ? base.buf : NULL,
			       gpu_main.buf, lxd))
			goto out;
		if (!signals_interrupted())
			image_check(run, s, spec->alias.buf, spec->check, 120);
		if (s->nr_checks && s->checks[s->nr_checks - 1]->outcome != OUTCOME_PASS)
			goto out;
	}
	strbuf_reset(&err);
	if (lxd_image_property(lxd, spec->alias.buf, "packages_sha256", packages_sha, &err)) {
		c = stage_add_check(s, name.buf);
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	ret = 0;
out:
	if (lock >= 0)
		close(lock);
	strbuf_release(&pkgs);
	strbuf_release(&nodeps);
	strbuf_release(&gpu_main);
	strbuf_release(&base);
	strbuf_release(&err);
	strbuf_release(&name);
	return ret;
}

/* image build: the command. */
static int image_build(struct run *run, struct stage_report *s, struct strbuf *uerr)
{
	struct image_spec spec;
	struct strbuf err = STRBUF_INIT, sha = STRBUF_INIT;
	const char *pkgfile = cli_get(&run->cli, "packages-file");
	const char *check = cli_get(&run->cli, "command");
	const char *kind = cli_get(&run->cli, "kind");
	struct lxd_opts lo;
	struct lxd lxd;
	int ret = -1;

	if (kind && strcmp(kind, "build") && strcmp(kind, "runtime")) {
		strbuf_addf(uerr, "--kind '%s' is not build or runtime", kind);
		return -1;
	}
	if (image_spec_default(run, kind && !strcmp(kind, "runtime") ? IMAGE_RUNTIME :
			       IMAGE_BUILD, NULL, &spec, uerr))
		goto out;
	if (pkgfile) {
		/* a list of our own: a runtime list makes a runtime image */
		strbuf_reset(&spec.pkgfile);
		strbuf_addstr(&spec.pkgfile, pkgfile);
		strbuf_reset(&spec.alias);
		if (image_alias(spec.kind, spec.gpu, spec.release, pkgfile, &spec.alias, uerr))
			goto out;
	}
	if (check)
		spec.check = check;
	ret = 0;
	stage_set_prop(s, "image", spec.alias.buf);
	stage_set_prop(s, "backend", "lxd");
	backend_lxd_opts_from_cli(&run->cli, &lo);
	if (lxd_connect(&lxd, &lo, &err)) {
		struct check *c = stage_add_check(s, "lookup");
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		lxd_release(&lxd);
		goto out;
	}
	if (!image_ensure(run, s, &spec, &lxd,
			  IMAGE_BUILD_MISSING | (cli_flag(&run->cli, "force") ? IMAGE_FORCE : 0),
			  &sha)) {
		stage_set_prop(s, "packages_sha256", sha.buf);
		if (!run->quiet)
			printf("%s\n", spec.alias.buf);
	}
	lxd_release(&lxd);
out:
	image_spec_release(&spec);
	strbuf_release(&err);
	strbuf_release(&sha);
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

/*
 * The build cache volumes: every one no container uses is deleted (LXD
 * refuses to delete one that is attached: that one is kept and said so).
 */
static void gc_volumes(struct lxd *lxd, struct stage_report *s)
{
	struct strbuf e = STRBUF_INIT;
	struct check *c = stage_add_check(s, "volumes");
	char **names = NULL;
	size_t nr = 0, i, deleted = 0;

	if (lxd_volume_list(lxd, BUILD_CACHE_VOLUME_PREFIX, &names, &nr, &e)) {
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		check_finish(c);
		goto out;
	}
	check_set_message(c, "%zu build cache volume(s) on pool %s", nr, lxd->pool);
	check_finish(c);
	for (i = 0; i < nr; i++) {
		struct check *v = stage_add_check(s, names[i]);
		strbuf_reset(&e);
		if (lxd_volume_delete(lxd, names[i], &e)) {
			check_fail(v, OUTCOME_ERROR, "kept: %s", e.buf);
		} else {
			check_set_message(v, "volume deleted");
			deleted++;
		}
		check_finish(v);
	}
	stage_set_prop(s, "volumes-deleted", deleted ? "yes" : "no");
out:
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	strbuf_release(&e);
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
	if (cli_flag(&run->cli, "volumes"))
		gc_volumes(&lxd, s);
out:
	(void)deleted;
	lxd_instances_free(list, nr);
	lxd_release(&lxd);
	stage_finish(s);
	return 0;
}
