/*
 * smoke: the relocated package runs. For each random prefix, in a fresh
 * runtime container (lxd backend) or under a private mount and pid
 * namespace (host backend), recipes/smoke.sh loads the module with Lmod in
 * a clean environment and runs a real one-node cluster from the tree on
 * 127.0.0.1. Each of its steps becomes a check; its output is attached to
 * the check when the step fails. A module of the reference tool's form is
 * loaded at the first prefix too and must be caught.
 *
 * The tree is extracted once (secure mode) into a work directory that the
 * container sees at the same path; it moves between prefixes by rename(),
 * so its build location and every earlier prefix are gone.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "bases.h"
#include "backend.h"
#include "clock.h"
#include "crypto.h"
#include "fsutil.h"
#include "image.h"
#include "ldso.h"
#include "modulefile.h"
#include "package.h"
#include "signals.h"
#include "stages.h"
#include "symver.h"

#define SCRIPT_TIMEOUT 300.0

const struct opt smoke_opts[] = {
	{ "prefixes", OPT_VALUE, "N", "random prefixes to run the cluster at (default 3)" },
	{ "backend", OPT_VALUE, "lxd|host",
	  "lxd (default): a fresh container of the runtime image; host: a private "
	  "mount/pid namespace" },
	{ "runtime-image", OPT_VALUE, "ALIAS", "the runtime image (default: the alias "
	  "'image build --kind runtime' makes)" },
	BASE_OPTS,
	{ "runtime-base", OPT_VALUE, "LIST", "the Debian releases to prove the package on, "
	  "comma-separated (bullseye,bookworm,trixie): the whole smoke runs in a runtime image "
	  "of each (default: --base)" },
	{ "slurm-version", OPT_VALUE | OPTF_ALONE, "VERSION",
	  "the version --version must report (default: from the module tarball or the name)" },
	{ "build-prefix", OPT_VALUE, "PATH", "the tree's build prefix, the modules' fallback "
	  "(default " SF_DEFAULT_PREFIX ")" },
	{ "work-dir", OPT_VALUE, "DIR", "where to extract (default $TMPDIR or /tmp)" },
	{ "script", OPT_VALUE | OPTF_INPUT, "FILE", "the per-prefix script (default recipes/smoke.sh)" },
	{ "reprove", OPT_FLAG, NULL, "run the cluster even when these exact tarballs already "
	  "passed with this script on this runtime image (a cached proof)" },
	{ "gpu-job", OPT_FLAG, NULL, "a GPU package on a node with an NVIDIA GPU and its driver "
	  "(--backend host): the node gets Gres=gpu:1 and a job runs srun --gres=gpu:1 nvidia-smi -L" },
	BACKEND_LXD_OPTS,
	BACKEND_LXD_LAUNCH_OPTS,
	{ NULL, 0, NULL, NULL },
};

struct smoke {
	struct stage_report *s;
	const char *tag;            /* the runtime base in check names (several runtimes), or NULL */
	int first;                  /* the first runtime: the reference-form module runs here */
	struct backend b;
	struct backend_mount mount;  /* b's mount of `work`: b keeps a pointer to it */
	int have_backend;
	const char *backend_kind;
	const char *build_prefix;
	const char *image;          /* the runtime image (lxd) */
	char *version;              /* owned */
	struct strbuf work;         /* the scratch directory */
	struct strbuf tree;         /* the tree's current place */
	struct strbuf modules;      /* MODULEPATH of the modules under test */
	struct strbuf refmods;      /* MODULEPATH of the reference-form module */
	struct strbuf script;       /* the script, at its place in the work dir */
	struct strbuf system_libs;  /* SF_SYSTEM_LIBS: verify's default allowlist */
	struct strbuf host_libs;    /* SF_HOST_LIBS: the manifest's host-provided names */
	char *glibc_floor;          /* the manifest's, or NULL (owned) */
	unsigned long nr_prefixes;
	int gpu_job;                /* --gpu-job: SF_GPU_JOB=1 */
};

/* `name` as this runtime's: "<base><sep>NAME" when several runtimes run, into `out`. */
static void tagged(const struct smoke *sm, char sep, const char *name, struct strbuf *out)
{
	if (sm->tag)
		strbuf_addf(out, "%s%c", sm->tag, sep);
	strbuf_addstr(out, name);
}

/* A check of this runtime's smoke: "<base> NAME" when several runtimes run. */
static struct check *add_check(struct smoke *sm, const char *name)
{
	struct strbuf n = STRBUF_INIT;
	struct check *c;

	tagged(sm, ' ', name, &n);
	c = stage_add_check(sm->s, n.buf);
	strbuf_release(&n);
	return c;
}

/* A property of this runtime's smoke: "<base>.KEY" when several runtimes run. */
static void set_prop(struct smoke *sm, const char *key, const char *value)
{
	struct strbuf k = STRBUF_INIT;

	tagged(sm, '.', key, &k);
	stage_set_prop(sm->s, k.buf, value);
	strbuf_release(&k);
}

static struct check *fail_check(struct smoke *sm, const char *name, enum outcome o,
				const char *msg)
{
	struct check *c = add_check(sm, name);

	check_fail(c, o, "%s", msg);
	check_finish(c);
	return c;
}

/* Extracts `tarball` into `dest` (created); a refused entry fails the check. */
static int extract(struct smoke *sm, const char *what, const char *tarball,
		   const char *dest)
{
	struct extract_limits lim = EXTRACT_LIMITS_DEFAULT;
	struct extract_stats st;
	struct extract_sink sink = { rule_report_entry, NULL };
	struct strbuf err = STRBUF_INIT, name = STRBUF_INIT;
	struct check *c;
	int ret = -1;

	strbuf_addf(&name, "extract %s", what);
	c = add_check(sm, name.buf);
	sink.ctx = c;
	if (fs_mkdirs(dest, &err) ||
	    archive_extract_secure(tarball, dest, &lim, &st, &sink, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	if (st.refused || st.stopped) {
		check_fail(c, OUTCOME_FAIL, "%s: %zu entries refused%s", tarball, st.refused,
			   st.stopped ? ", extraction stopped" : "");
		goto out;
	}
	check_set_message(c, "%s (%s): %zu files, %llu bytes", tarball, st.format, st.files,
			  st.bytes);
	ret = 0;
out:
	check_finish(c);
	strbuf_release(&err);
	strbuf_release(&name);
	return ret;
}

/* The version of the only slurm/<v>.lua under `dir`, or NULL; caller frees. */
static char *module_version(const char *dir)
{
	struct strbuf p = STRBUF_INIT;
	struct dirent *e;
	char *found = NULL;
	int n = 0;
	DIR *d;

	strbuf_addf(&p, "%s/slurm", dir);
	d = opendir(p.buf);
	strbuf_release(&p);
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".lua"))
			continue;
		if (n++ == 0)
			found = xstrndup(e->d_name, len - 4);
	}
	closedir(d);
	if (n != 1) {
		free(found);
		return NULL;
	}
	return found;
}

/* "slurm-24.11.5-software.tar.gz" -> "24.11.5"; NULL otherwise. */
static char *version_from_name(const char *tarball)
{
	const char *b = strrchr(tarball, '/'), *end;

	b = b ? b + 1 : tarball;
	if (strncmp(b, "slurm-", 6))
		return NULL;
	b += 6;
	end = strstr(b, "-software");
	if (!end || end == b)
		return NULL;
	return xstrndup(b, (size_t)(end - b));
}

/* Steps whose failure says the machine, not the package, is wrong. */
static enum outcome step_failure(const char *step)
{
	return !strcmp(step, "prepare") || !strcmp(step, "munge") ? OUTCOME_ERROR : OUTCOME_FAIL;
}

/*
 * Turns the script's "@@sf-step NAME" ... "@@sf-end NAME RC MS" blocks into
 * checks "<label>: NAME". Returns the number of failed steps; *seconds is
 * the sum of the steps' times.
 */
static size_t record_steps(struct stage_report *s, const char *label, const char *out,
			   double *seconds)
{
	struct strbuf body = STRBUF_INIT, name = STRBUF_INIT, tmp = STRBUF_INIT;
	const char *p = out, *nl;
	size_t failed = 0;

	*seconds = 0;
	while (*p) {
		char line[512];
		size_t len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 11 && !strncmp(p, "@@sf-step ", 10)) {
			strbuf_reset(&body);
		} else if (len > 9 && len < sizeof(line) && !strncmp(p, "@@sf-end ", 9)) {
			char step[128];
			int rc;
			unsigned long ms;
			struct check *c;

			memcpy(line, p, len);
			line[len] = '\0';
			if (sscanf(line, "@@sf-end %127s %d %lu", step, &rc, &ms) == 3) {
				strbuf_reset(&name);
				strbuf_addf(&name, "%s: %s", label, step);
				c = stage_add_check(s, name.buf);
				if (rc) {
					check_fail(c, step_failure(step), "%s", strbuf_last_line(&tmp, body.buf, 300));
					strbuf_add(&c->details, body.buf, body.len);
					failed++;
				} else {
					check_set_message(c, "%s", strbuf_last_line(&tmp, body.buf, 300));
				}
				check_finish(c);
				c->duration = (double)ms / 1000.0;
				*seconds += c->duration;
			}
			strbuf_reset(&body);
		} else {
			strbuf_add(&body, p, len);
			strbuf_addch(&body, '\n');
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	strbuf_release(&body);
	strbuf_release(&name);
	strbuf_release(&tmp);
	return failed;
}

/* Runs the script for the tree at `prefix`; fills `res`. */
static int run_script(struct smoke *sm, const char *prefix, const char *modpath,
		      const char *cluster_dir, int module_only, struct backend_result *res,
		      struct strbuf *err)
{
	struct strbuf e_prefix = STRBUF_INIT, e_mods = STRBUF_INIT, e_mod = STRBUF_INIT,
		      e_ver = STRBUF_INIT, e_work = STRBUF_INIT, e_hide = STRBUF_INIT,
		      e_sys = STRBUF_INIT, e_host = STRBUF_INIT;
	char *env[13];
	size_t n = 0;
	int host = !strcmp(sm->backend_kind, "host"), ret;
	char *host_argv[] = { "unshare", "--mount", "--pid", "--fork", "--kill-child",
			      "--mount-proc", "/bin/bash", sm->script.buf, NULL };
	char *lxd_argv[] = { "/bin/bash", sm->script.buf, NULL };
	struct backend_cmd cmd;

	strbuf_addf(&e_prefix, "SF_PREFIX=%s", prefix);
	strbuf_addf(&e_mods, "SF_MODULEPATH=%s", modpath);
	strbuf_addf(&e_mod, "SF_MODULE=slurm/%s", sm->version);
	strbuf_addf(&e_ver, "SF_VERSION=%s", sm->version);
	strbuf_addf(&e_work, "SF_WORK=%s", cluster_dir);
	env[n++] = e_prefix.buf;
	env[n++] = e_mods.buf;
	env[n++] = e_mod.buf;
	env[n++] = e_ver.buf;
	env[n++] = e_work.buf;
	strbuf_addf(&e_sys, "SF_SYSTEM_LIBS=%s", sm->system_libs.buf);
	env[n++] = e_sys.buf;
	strbuf_addf(&e_host, "SF_HOST_LIBS=%s", sm->host_libs.buf);
	env[n++] = e_host.buf;
	env[n++] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	if (module_only)
		env[n++] = "SF_STEPS=module";
	if (sm->gpu_job)
		env[n++] = "SF_GPU_JOB=1";
	if (host) {
		/* the build prefix may exist here: hide it from the tree */
		strbuf_addf(&e_hide, "SF_HIDE=%s", sm->build_prefix);
		env[n++] = e_hide.buf;
	}
	env[n] = NULL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = host ? host_argv : lxd_argv;
	cmd.env = env;
	cmd.timeout = SCRIPT_TIMEOUT;
	ret = backend_exec(&sm->b, &cmd, res, err);
	strbuf_release(&e_prefix);
	strbuf_release(&e_mods);
	strbuf_release(&e_mod);
	strbuf_release(&e_ver);
	strbuf_release(&e_work);
	strbuf_release(&e_hide);
	strbuf_release(&e_sys);
	strbuf_release(&e_host);
	return ret;
}

/*
 * The libraries the script's loader check accepts from outside the tree:
 * verify's default allowlist, and the host-provided names of the package's
 * manifest (the one package wrote in this run, else manifest.json beside
 * the software tarball). "host-provided" check.
 */
static void smoke_libs(struct smoke *sm, const char *manifest, const char *software)
{
	struct check *c = add_check(sm, "host-provided");
	struct strbuf beside = STRBUF_INIT, err = STRBUF_INIT;
	char **names = NULL;
	size_t nr = 0, i;

	ldso_default_allow_join(&sm->system_libs);
	if (!manifest) {
		const char *slash = strrchr(software, '/');
		if (slash)
			strbuf_add(&beside, software, (size_t)(slash - software + 1));
		strbuf_addstr(&beside, "manifest.json");
		if (fs_is_file(beside.buf))
			manifest = beside.buf;
	}
	if (!manifest) {
		check_set_message(c, "no manifest beside the tarball: no library declared host-provided");
	} else if (package_manifest_host_provided(manifest, &sm->glibc_floor, &names, &nr, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
	} else {
		for (i = 0; i < nr; i++)
			strbuf_addf(&sm->host_libs, "%s%s", i ? " " : "", names[i]);
		check_set_message(c, "%s: %s", manifest, nr ? sm->host_libs.buf :
				  "no library declared host-provided");
	}
	check_finish(c);
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	strbuf_release(&beside);
	strbuf_release(&err);
}

static void smoke_prefix(struct smoke *sm, unsigned long i)
{
	struct strbuf next = STRBUF_INIT, err = STRBUF_INIT, label = STRBUF_INIT,
		      cluster = STRBUF_INIT, key = STRBUF_INIT, all = STRBUF_INIT,
		      steps = STRBUF_INIT;
	struct backend_result res;
	double seconds, t0 = monotonic_now();
	size_t failed;
	char *slash;

	backend_result_init(&res);
	strbuf_addf(&label, "prefix %lu", i + 1);
	fs_random_prefix(&next, sm->work.buf, i);
	slash = strrchr(next.buf, '/');
	*slash = '\0';
	if (fs_mkdirs(next.buf, &err)) {
		fail_check(sm, label.buf, OUTCOME_ERROR, err.buf);
		goto out;
	}
	*slash = '/';
	if (rename(sm->tree.buf, next.buf)) {
		strbuf_addf(&err, "cannot move the tree to %s: %s", next.buf, strerror(errno));
		fail_check(sm, label.buf, OUTCOME_ERROR, err.buf);
		goto out;
	}
	if (backend_rename(&sm->b, sm->tree.buf, next.buf, &err)) {
		fail_check(sm, label.buf, OUTCOME_ERROR, err.buf);
		goto out;
	}
	strbuf_reset(&sm->tree);
	strbuf_addstr(&sm->tree, next.buf);
	strbuf_addf(&key, "prefix.%lu", i + 1);
	set_prop(sm, key.buf, next.buf);
	strbuf_addf(&cluster, "%s/c%lu", sm->work.buf, i + 1);

	if (run_script(sm, next.buf, sm->modules.buf, cluster.buf, 0, &res, &err)) {
		fail_check(sm, label.buf, OUTCOME_ERROR, err.buf);
		goto out;
	}
	strbuf_add(&all, res.out.buf, res.out.len);
	strbuf_add(&all, res.errout.buf, res.errout.len);
	tagged(sm, ' ', label.buf, &steps);
	failed = record_steps(sm->s, steps.buf, all.buf, &seconds);
	if (res.exit_code && !failed) {
		struct check *c = add_check(sm, label.buf);
		check_fail(c, res.timed_out ? OUTCOME_FAIL : OUTCOME_ERROR, "the script %s (exit %d)",
			   res.timed_out ? "timed out" : "failed", res.exit_code);
		strbuf_add(&c->details, all.buf, all.len);
		check_finish(c);
	}
	strbuf_reset(&key);
	strbuf_addf(&key, "prefix.%lu.seconds", i + 1);
	strbuf_reset(&label);
	strbuf_addf(&label, "%.2f", monotonic_now() - t0);
	set_prop(sm, key.buf, label.buf);

	/* the reference tool's module form, once: it must not find srun */
	if (i == 0 && sm->first && !signals_interrupted()) {
		struct check *c = add_check(sm, "reference-form module is caught");
		const char *hit;
		backend_result_release(&res);
		backend_result_init(&res);
		strbuf_addstr(&cluster, "-ref");
		strbuf_reset(&err);
		if (run_script(sm, next.buf, sm->refmods.buf, cluster.buf, 1, &res, &err)) {
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		} else if (!res.exit_code) {
			check_fail(c, OUTCOME_FAIL, "a ${SLURM_INSTALL_PREFIX:-...} module "
				   "found srun in the prefix: the check cannot tell good "
				   "modules from broken ones");
			strbuf_add(&c->details, res.out.buf, res.out.len);
		} else if ((hit = strstr(res.out.buf, "\nsrun: "))) {
			const char *eol = strchr(hit + 1, '\n');
			check_set_message(c, "%.*s", (int)(eol ? eol - hit - 1 : 300), hit + 1);
		} else {
			check_fail(c, OUTCOME_ERROR, "the module step failed for another reason");
			strbuf_add(&c->details, res.out.buf, res.out.len);
		}
		check_finish(c);
	}
out:
	backend_result_release(&res);
	strbuf_release(&next);
	strbuf_release(&err);
	strbuf_release(&label);
	strbuf_release(&cluster);
	strbuf_release(&key);
	strbuf_release(&all);
	strbuf_release(&steps);
}

/* Nothing of the work directory may still run on this machine. */
static void check_nothing_left(struct smoke *sm)
{
	struct check *c = add_check(sm, "nothing left running");
	struct strbuf path = STRBUF_INIT, left = STRBUF_INIT;
	struct dirent *e;
	char exe[PATH_MAX];
	DIR *d = opendir("/proc");
	int bad = 0;

	while (d && (e = readdir(d))) {
		ssize_t n;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "/proc/%s/exe", e->d_name);
		n = readlink(path.buf, exe, sizeof(exe) - 1);
		if (n <= 0)
			continue;
		exe[n] = '\0';
		if (!strncmp(exe, sm->work.buf, sm->work.len)) {
			strbuf_addf(&left, " %s:%s", e->d_name, exe);
			bad = 1;
		}
	}
	if (d)
		closedir(d);
	if (bad)
		check_fail(c, OUTCOME_FAIL, "still running:%s", left.buf);
	else
		check_set_message(c, "no process of the tree left on this machine");
	check_finish(c);
	strbuf_release(&path);
	strbuf_release(&left);
}

struct smoke_opts {
	unsigned long nr_prefixes;
	const char *backend;
	/* --runtime-base (default --base), "host" for the host; no packages: owned */
	struct pipeline_runtime *runtimes;
	size_t nr_runtimes;
	const char *version;          /* --slurm-version (alone) */
	const char *build_prefix;     /* --build-prefix, or NULL */
	const char *work_dir;
	struct strbuf script;         /* absolute path of smoke.sh */
	int reprove;                  /* --reprove */
	int gpu_job;                  /* --gpu-job */
	struct lxd_opts lxd;
};

void smoke_release(void *opts)
{
	struct smoke_opts *o = opts;

	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->nr_runtimes; i++) {
		free(o->runtimes[i].base);
		free(o->runtimes[i].alias);
	}
	free(o->runtimes);
	strbuf_release(&o->script);
	free(o);
}

int smoke_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct smoke_opts *o = xcalloc(1, sizeof(*o));
	char **names = NULL;
	size_t nr = 0, i;
	const char *s;

	*opts = o;
	strbuf_init(&o->script);
	if (cli_get_ulong(&run->cli, "prefixes", 1, 100, SF_DEFAULT_PREFIXES, &o->nr_prefixes,
			  err))
		return -1;
	o->backend = cli_get(&run->cli, "backend");
	if (!o->backend)
		o->backend = SF_DEFAULT_BACKEND;
	if (strcmp(o->backend, "lxd") && strcmp(o->backend, "host")) {
		strbuf_addf(err, "--backend: '%s' is not lxd or host", o->backend);
		return -1;
	}
	s = cli_get(&run->cli, "script");
	if (s) {
		char *real = realpath(s, NULL);
		if (!real || access(real, R_OK)) {
			strbuf_addf(err, "cannot read the smoke script %s: %s", s, strerror(errno));
			free(real);
			return -1;
		}
		strbuf_addstr(&o->script, real);
		free(real);
	} else if (fs_data_file("recipes/smoke.sh", &o->script, err)) {
		strbuf_addstr(err, ": give --script FILE");
		return -1;
	}
	if (!strcmp(o->backend, "host")) {
		if (cli_get(&run->cli, "runtime-base")) {
			strbuf_addstr(err, "--runtime-base needs the lxd backend (the host is the "
				      "release it is)");
			return -1;
		}
		names = xcalloc(1, sizeof(*names));
		names[nr++] = xstrdup("host");
	} else if (run_runtime_bases(run, &names, &nr, err)) {
		return -1;
	}
	s = cli_get(&run->cli, "runtime-image");
	o->runtimes = xcalloc(nr, sizeof(*o->runtimes));
	for (i = 0; i < nr; i++) {
		struct pipeline_runtime *rt = &o->runtimes[o->nr_runtimes++];

		rt->base = names[i];
		names[i] = NULL;
		if (s) {
			rt->alias = xstrdup(s);
		} else if (!strcmp(o->backend, "lxd")) {
			/* the runtime image's alias, computed as images and 'image build' do */
			struct image_spec spec;
			int r = image_spec_default(run, IMAGE_RUNTIME, rt->base, &spec, err);

			rt->alias = xstrdup(spec.alias.buf);
			image_spec_release(&spec);
			if (r) {
				base_list_free(names, nr);
				return -1;
			}
		}
	}
	base_list_free(names, nr);
	o->build_prefix = cli_get(&run->cli, "build-prefix");
	if (o->build_prefix && o->build_prefix[0] != '/') {
		strbuf_addf(err, "--build-prefix: '%s' is not an absolute path", o->build_prefix);
		return -1;
	}
	o->reprove = cli_flag(&run->cli, "reprove");
	o->gpu_job = cli_flag(&run->cli, "gpu-job");
	o->work_dir = cli_get(&run->cli, "work-dir");
	if (!o->work_dir)
		o->work_dir = fs_tmpdir();
	if (run->pipe.nr_args)
		o->version = cli_get(&run->cli, "slurm-version");
	backend_lxd_opts_from_cli(&run->cli, &o->lxd);
	if (!strcmp(o->backend, "lxd") && backend_lxd_opts_check(&o->lxd, err))
		return -1;
	return 0;
}

/*
 * Where the Slurm tree is in an extracted tarball: the directory holding
 * bin/srun, at the top ("./bin/srun") or under one top directory of any
 * name (software/, slurm-24.11.5/, slurm/). NULL when there is none.
 */
static char *find_tree(const char *dir)
{
	struct strbuf p = STRBUF_INIT;
	struct dirent *de;
	char *found = NULL;
	DIR *d;

	strbuf_addf(&p, "%s/bin/srun", dir);
	if (fs_is_file(p.buf)) {
		strbuf_release(&p);
		return xstrdup(dir);
	}
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s/bin/srun", dir, de->d_name);
		if (!fs_is_file(p.buf))
			continue;
		if (found) {            /* two trees: which one is meant? */
			free(found);
			found = NULL;
			break;
		}
		found = xasprintf("%s/%s", dir, de->d_name);
	}
	if (d)
		closedir(d);
	strbuf_release(&p);
	return found;
}

/* The tree, extracted into the work dir and found by its bin/srun. */
static int prepare_tree(struct smoke *sm, const char *software)
{
	struct strbuf path = STRBUF_INIT;
	char *root = NULL;
	int ret = -1;

	strbuf_addf(&path, "%s/x", sm->work.buf);
	if (extract(sm, "software", software, path.buf))
		goto out;
	root = find_tree(path.buf);
	if (!root) {
		fail_check(sm, "tree layout", OUTCOME_FAIL,
			   "no Slurm tree in the software tarball: no bin/srun at its top or "
			   "under one top directory");
		goto out;
	}
	strbuf_addstr(&sm->tree, root);
	set_prop(sm, "tree", root + path.len);
	ret = 0;
out:
	free(root);
	strbuf_release(&path);
	return ret;
}

/*
 * The modules under test (from the module tarball, else generated) and the
 * reference tool's form, which must be caught. The version comes from the
 * pipeline, else --slurm-version, the module tarball or the file name.
 */
static int prepare_modules(struct smoke *sm, const struct run *run,
			   const struct smoke_opts *o, const char *software, const char *modtar)
{
	struct modulefile_spec spec;
	struct strbuf e = STRBUF_INIT, path = STRBUF_INIT, text = STRBUF_INIT;
	int ret = -1;

	strbuf_addf(&sm->modules, "%s/modules", sm->work.buf);
	if (run->pipe.packaged && !run->pipe.nr_args)
		sm->version = xstrdup(run->pipe.art.version);
	else if (o->version)
		sm->version = xstrdup(o->version);
	if (modtar) {
		if (extract(sm, "modules", modtar, sm->modules.buf))
			goto out;
		if (!sm->version)
			sm->version = module_version(sm->modules.buf);
	}
	if (!sm->version)
		sm->version = version_from_name(software);
	if (!sm->version || modulefile_check_version(sm->version, &e)) {
		fail_check(sm, "version", OUTCOME_ERROR,
			   "no Slurm version: give --slurm-version (the module tarball holds "
			   "no single slurm/<version>.lua and the name says none)");
		goto out;
	}
	set_prop(sm, "version", sm->version);
	memset(&spec, 0, sizeof(spec));
	spec.version = sm->version;
	spec.build_prefix = sm->build_prefix;
	if (!modtar) {
		struct check *c = add_check(sm, "generate modules");
		if (modulefile_write_tree(&spec, sm->modules.buf, &e))
			check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		else
			check_set_message(c, "slurm/%s.lua, slurm/%s, slurm/.modulerc.lua",
					  sm->version, sm->version);
		check_finish(c);
		if (c->outcome != OUTCOME_PASS)
			goto out;
	}
	strbuf_addf(&sm->refmods, "%s/refmods/slurm", sm->work.buf);
	strbuf_addf(&path, "%s/%s.lua", sm->refmods.buf, sm->version);
	if (fs_mkdirs(sm->refmods.buf, &e) || modulefile_reference_lua(&spec, &text, &e) ||
	    fs_write_output(path.buf, text.buf, text.len, &e)) {
		fail_check(sm, "reference-form module", OUTCOME_ERROR, e.buf);
		goto out;
	}
	strbuf_setlen(&sm->refmods, sm->refmods.len - strlen("/slurm"));
	ret = 0;
out:
	strbuf_release(&e);
	strbuf_release(&path);
	strbuf_release(&text);
	return ret;
}

/* A container that sees the work directory at the same path (or the host). */
static int start_backend(struct smoke *sm, const struct smoke_opts *o)
{
	struct backend_config cfg;
	struct check *c = add_check(sm, "environment");
	struct strbuf e = STRBUF_INIT;
	double t0 = monotonic_now();
	int ret = -1;

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = o->backend;
	cfg.lxd = o->lxd;
	cfg.image = sm->image;
	cfg.purpose = "smoke";
	sm->mount.source = sm->work.buf;
	sm->mount.path = sm->work.buf;
	sm->mount.readonly = 0;
	cfg.mounts = &sm->mount;
	cfg.nr_mounts = 1;
	if (backend_init(&sm->b, &cfg, &e)) {
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		goto out;
	}
	sm->have_backend = 1;
	strbuf_addf(&sm->script, "%s/smoke.sh", sm->work.buf);
	if (backend_prepare(&sm->b, &e) ||
	    backend_push(&sm->b, o->script.buf, sm->script.buf, 0755, &e)) {
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		goto out;
	}
	if (!strcmp(o->backend, "lxd"))
		check_set_message(c, "container %s (%s) from %s in %.2f s%s", sm->b.container,
				  o->lxd.privileged ? "privileged" : "unprivileged", sm->image,
				  monotonic_now() - t0, sm->b.api_transfer ?
				  "; the tree went in through the files API" :
				  "; the work directory is a disk device");
	else
		check_set_message(c, "host: a private mount and pid namespace per prefix");
	ret = 0;
out:
	check_finish(c);
	strbuf_release(&e);
	return ret;
}

/* No container, no process, no work directory left. */
static void finish_smoke(struct smoke *sm, int have_work)
{
	struct strbuf e = STRBUF_INIT;

	if (sm->have_backend) {
		struct check *c = add_check(sm, "cleanup");
		if (backend_cleanup(&sm->b, &e))
			check_fail(c, OUTCOME_ERROR, "containers left: %s", e.buf);
		else
			check_set_message(c, "no container left");
		check_finish(c);
		backend_release(&sm->b);
	}
	if (have_work) {
		check_nothing_left(sm);
		strbuf_reset(&e);
		fs_rmtree(sm->work.buf, &e);
	}
	strbuf_release(&e);
}

/*
 * Cached proofs. A pass is a fact about bytes: these tarballs, this script,
 * this runtime image (its packages_sha256), these options. The key of all
 * of them names a file under <cache>/proofs; a later smoke of the same key
 * reports the earlier pass instead of launching a container (--reprove runs
 * it again). Only the lxd backend is cached: the host can change under it.
 * 0 with `key` set when the run can be cached.
 */
#define PROOF_FORMAT "slurm-factory-smoke-proof/1"

static int tarball_sha(const char *path, const char *known_path, const char *known,
		       char hex[SHA256_HEX_SIZE])
{
	struct strbuf e = STRBUF_INIT;
	int ret = 0;

	if (known_path && known[0] && !strcmp(path, known_path))
		memcpy(hex, known, SHA256_HEX_SIZE);
	else if (sha256_file(path, hex, NULL, &e))
		ret = -1;
	strbuf_release(&e);
	return ret;
}

static int proof_key(const struct run *run, const struct smoke_opts *o, const struct smoke *sm,
		     const char *runtime_packages, const char *software, const char *modtar,
		     struct strbuf *key)
{
	const struct pipeline *p = &run->pipe;
	const char *art_sw = p->packaged ? p->art.software : NULL;
	const char *art_mod = p->packaged ? p->art.module : NULL;
	char sw[SHA256_HEX_SIZE], mod[SHA256_HEX_SIZE] = "", script[SHA256_HEX_SIZE],
	     hex[SHA256_HEX_SIZE];
	struct strbuf in = STRBUF_INIT, e = STRBUF_INIT;
	int ret = -1;

	if (strcmp(o->backend, "lxd") || o->gpu_job || !runtime_packages || !runtime_packages[0])
		goto out;
	if (tarball_sha(software, art_sw, p->art.software_sha256, sw) ||
	    (modtar && tarball_sha(modtar, art_mod, p->art.module_sha256, mod)) ||
	    sha256_file(o->script.buf, script, NULL, &e))
		goto out;
	strbuf_addf(&in, "%s\ntool %s\nsoftware %s\nmodule %s\nscript %s\nimage %s\n"
		    "prefixes %lu\nbuild-prefix %s\nversion %s\nhost-provided %s\n", PROOF_FORMAT,
		    SF_VERSION, sw, mod, script, runtime_packages, o->nr_prefixes,
		    sm->build_prefix, o->version ? o->version : "", sm->host_libs.buf);
	sha256_hex_of(in.buf, in.len, hex);
	strbuf_addstr(key, hex);
	ret = 0;
out:
	strbuf_release(&in);
	strbuf_release(&e);
	return ret;
}

static void proof_path(const char *cache, const char *key, struct strbuf *path)
{
	strbuf_addf(path, "%s/proofs/smoke-%.32s", cache, key);
}

/* 1 when the proof is there: the stage reports it and is done. */
static int proof_cached(struct run *run, struct smoke *sm, const char *key)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, e = STRBUF_INIT;
	const char *cache;
	struct check *c;
	int hit = 0;

	if (run_cache_dir(run, &cache, &e))
		goto out;
	proof_path(cache, key, &path);
	if (fs_read_small(path.buf, 4096, &text, &e))
		goto out;
	while (text.len && text.buf[text.len - 1] == '\n')
		strbuf_setlen(&text, text.len - 1);
	c = add_check(sm, "cached proof");
	check_set_message(c, "these exact tarballs passed with this script on runtime image "
			  "%s (%s); no container launched: --reprove runs it again",
			  sm->image, text.buf);
	check_finish(c);
	set_prop(sm, "cached", "true");
	hit = 1;
out:
	strbuf_release(&path);
	strbuf_release(&text);
	strbuf_release(&e);
	return hit;
}

static void proof_store(struct run *run, struct smoke *sm, const char *key)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, e = STRBUF_INIT,
		      dir = STRBUF_INIT;
	const char *cache;

	if (run_cache_dir(run, &cache, &e))
		goto out;
	proof_path(cache, key, &path);
	strbuf_addf(&text, "passed at %lu random prefixes on %s\n", sm->nr_prefixes,
		    sm->s->timestamp);
	strbuf_addf(&dir, "%s/proofs", cache);
	if (fs_mkdirs(dir.buf, &e) || fs_put_file(path.buf, text.buf, text.len, 0644, &e))
		goto out;
	set_prop(sm, "proof", path.buf);
out:
	strbuf_release(&dir);
	strbuf_release(&path);
	strbuf_release(&text);
	strbuf_release(&e);
}

/*
 * The package's glibc floor against this runtime's glibc (the bases
 * table): a floor above it cannot run there, and the cluster below shows
 * how it fails. Nothing to say when either is unknown.
 */
static void check_glibc(struct smoke *sm, const char *base)
{
	const char *have = base_glibc(base);
	const struct base *b = base_find(base);
	struct symver need, got;
	struct check *c;

	if (!have || !sm->glibc_floor || symver_parse(sm->glibc_floor, &need) ||
	    symver_parse(have, &got))
		return;
	c = add_check(sm, "glibc");
	if (symver_cmp(&need, &got) > 0)
		check_fail(c, OUTCOME_FAIL, "the package needs GLIBC_%s (its glibc floor); %s "
			   "has glibc %s: it cannot run there (verify --max-glibc %s, or --target "
			   "%s, refuses it)", sm->glibc_floor, base, have, have, b->target);
	else
		check_set_message(c, "the package needs glibc %s (its floor); %s has %s",
				  sm->glibc_floor, base, have);
	check_finish(c);
}

/*
 * The whole smoke of the package in one runtime: its own work directory,
 * container and random prefixes; a cached proof instead when these exact
 * inputs passed there before. 1 when it passed.
 */
static int smoke_runtime(struct run *run, const struct smoke_opts *o, struct smoke *sm,
			 const char *base, const char *packages, const char *software,
			 const char *modtar)
{
	struct strbuf e = STRBUF_INIT, key = STRBUF_INIT;
	size_t before = sm->s->nr_checks, i;
	int have_work = 0, hit = 0, passed;
	unsigned long k;

	strbuf_init(&sm->work);
	strbuf_init(&sm->tree);
	strbuf_init(&sm->modules);
	strbuf_init(&sm->refmods);
	strbuf_init(&sm->script);
	memset(&sm->b, 0, sizeof(sm->b));
	sm->have_backend = 0;
	if (strcmp(base, "host"))
		check_glibc(sm, base);
	if (!proof_key(run, o, sm, packages, software, modtar, &key) && !o->reprove &&
	    (hit = proof_cached(run, sm, key.buf)))
		goto done;
	strbuf_addf(&sm->work, "%s/sf-smoke-XXXXXX", o->work_dir);
	if (!mkdtemp(sm->work.buf)) {
		strbuf_addf(&e, "cannot create a work directory in %s: %s", o->work_dir,
			    strerror(errno));
		fail_check(sm, "work directory", OUTCOME_ERROR, e.buf);
		goto done;
	}
	have_work = 1;
	set_prop(sm, "work-dir", sm->work.buf);
	if (prepare_tree(sm, software) || prepare_modules(sm, run, o, software, modtar) ||
	    start_backend(sm, o))
		goto done;
	for (k = 0; k < sm->nr_prefixes && !signals_interrupted(); k++)
		smoke_prefix(sm, k);
done:
	if (!hit)
		finish_smoke(sm, have_work);
	/* passed: no check of this runtime failed, and nothing interrupted it */
	passed = !signals_interrupted();
	for (i = before; i < sm->s->nr_checks && passed; i++)
		passed = sm->s->checks[i]->outcome != OUTCOME_FAIL &&
			 sm->s->checks[i]->outcome != OUTCOME_ERROR;
	if (passed && !hit && key.len)
		proof_store(run, sm, key.buf);
	free(sm->version);
	sm->version = NULL;
	strbuf_release(&key);
	strbuf_release(&sm->work);
	strbuf_release(&sm->tree);
	strbuf_release(&sm->modules);
	strbuf_release(&sm->refmods);
	strbuf_release(&sm->script);
	strbuf_release(&e);
	return passed;
}

int stage_smoke(struct run *run, const void *opts, struct strbuf *err)
{
	const struct smoke_opts *o = opts;
	const struct pipeline *p = &run->pipe;
	const char *software, *modtar;
	struct smoke sm;
	struct strbuf proven = STRBUF_INIT, failed = STRBUF_INIT, all = STRBUF_INIT;
	const struct pipeline_runtime *rts;
	size_t i, nr;

	if (p->nr_args) {
		software = p->args[0];
		modtar = p->nr_args > 1 ? p->args[1] : NULL;
	} else if (p->packaged) {
		software = p->art.software;
		modtar = p->art.module;
	} else {
		strbuf_addstr(err, "smoke needs SOFTWARE_TARBALL (no earlier stage packaged one)");
		return -1;
	}
	memset(&sm, 0, sizeof(sm));
	strbuf_init(&sm.system_libs);
	strbuf_init(&sm.host_libs);
	sm.nr_prefixes = o->nr_prefixes;
	sm.gpu_job = o->gpu_job;
	sm.backend_kind = o->backend;
	sm.build_prefix = o->build_prefix ? o->build_prefix :
			  p->built ? p->build.prefix : SF_DEFAULT_PREFIX;
	sm.s = report_add_stage(&run->report, "smoke");
	stage_set_prop(sm.s, "backend", sm.backend_kind);
	stage_set_prop(sm.s, "software-tarball", software);
	if (modtar)
		stage_set_prop(sm.s, "module-tarball", modtar);

	smoke_libs(&sm, p->nr_args || !p->packaged ? NULL : p->art.manifest, software);
	/* the runtime images images made sure of, else those the options name */
	rts = p->images.nr_runtimes ? p->images.runtimes : o->runtimes;
	nr = p->images.nr_runtimes ? p->images.nr_runtimes : o->nr_runtimes;
	for (i = 0; i < nr; i++)
		strbuf_addf(&all, "%s%s", i ? ", " : "", rts[i].base);
	for (i = 0; i < nr && !signals_interrupted(); i++) {
		sm.image = rts[i].alias;
		sm.tag = nr > 1 ? rts[i].base : NULL;
		sm.first = i == 0;
		if (smoke_runtime(run, o, &sm, rts[i].base, rts[i].packages, software, modtar))
			strbuf_addf(&proven, "%s%s", proven.len ? ", " : "", rts[i].base);
		else
			strbuf_addf(&failed, "%s%s", failed.len ? ", " : "", rts[i].base);
	}
	sm.tag = NULL;
	stage_set_prop(sm.s, "runtime_bases", all.buf);
	stage_set_prop(sm.s, "proven_on", proven.buf);
	if (failed.len)
		stage_set_prop(sm.s, "failed_on", failed.buf);
	if (signals_interrupted())
		sm.s->interrupted = 1;
	stage_finish(sm.s);
	free(sm.glibc_floor);
	strbuf_release(&sm.system_libs);
	strbuf_release(&sm.host_libs);
	strbuf_release(&proven);
	strbuf_release(&failed);
	strbuf_release(&all);
	return 0;
}
