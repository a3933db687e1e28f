/*
 * build: fetch → an ephemeral container from the build image (or the host)
 * → recipes/build-slurm.sh → package → verify.
 *
 * Cache (under --cache-dir, default ~/.slurm-factory):
 *   builds/by-key/<key>/          one complete build: both tarballs,
 *                                 SHA256SUMS, manifest.json, logs/
 *   builds/<version>              symlink to by-key/<key> (the reference
 *                                 tool's layout: builds/<version>/slurm-...)
 *   builds/.tmp-*                 a build in progress; renamed into by-key/
 *                                 in one rename(), removed on failure or
 *                                 interruption: nothing partial is ever read
 *   ccache/                       the compiler cache, kept across builds
 *   configure-cache/<key>/        configured source trees (the recipe's
 *                                 configure cache: the 4 newest are kept)
 *   logs/                         logs of failed builds
 * <key> is a sha256 over the commit, the recipe's bytes, the image alias
 * (itself a hash of the image inputs), the options and SOURCE_DATE_EPOCH.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "fsutil.h"
#include "ldso.h"
#include "modulefile.h"
#include "package.h"
#include "crypto.h"
#include "signals.h"
#include "source.h"
#include "stages.h"

#define DEFAULT_PREFIX "/opt/slurm/software"
#define RECIPE_NAME "build-slurm.sh"
#define KEY_FORMAT "slurm-factory-build/1"
/* the mtime of artifacts when neither SOURCE_DATE_EPOCH nor a commit time is known */
#define FALLBACK_EPOCH 315532800LL

const struct opt build_opts[] = {
	{ "slurm-version", OPT_VALUE, "SPEC", "latest, 24.11, 24.11.5 or a tag (default latest)" },
	{ "repo", OPT_VALUE | OPTF_INPUT, "URL", "Slurm git repository, any URL or path "
	  "(default " SOURCE_DEFAULT_REPO ")" },
	{ "pre", OPT_FLAG, NULL, "let latest and MAJ.MIN[.MICRO] pick pre-releases" },
	{ "commit", OPT_VALUE, "ID", "the commit an earlier resolve printed for the tag SPEC" },
	{ "source", OPT_VALUE | OPTF_INPUT, "TARBALL", "build a source tarball instead of a git tag" },
	{ "timeout", OPT_VALUE, "SECONDS", "network silence limit for fetch (default 60)" },
	{ "gpu", OPT_FLAG, NULL, "GPU plugins Debian main allows (ROCm SMI; NVML is not there)" },
	{ "minimal", OPT_FLAG, NULL, "no optional plugins (munge and the toolchain only)" },
	{ "jobs", OPT_VALUE, "N", "parallel make jobs (default: the machine's cores)" },
	{ "configure-arg", OPT_LIST, "ARG", "extra configure argument" },
	{ "prefix", OPT_VALUE, "PATH", "install prefix the build is configured for "
	  "(default " DEFAULT_PREFIX ")" },
	{ "backend", OPT_VALUE, "KIND", "where the recipe runs: lxd (default) or host" },
	{ "image", OPT_VALUE, "ALIAS", "build image (default: the alias 'image build' makes)" },
	{ "release", OPT_VALUE, "NAME", "Debian release of the default image (default bookworm)" },
	{ "recipe", OPT_VALUE | OPTF_INPUT, "FILE", "the build recipe (default recipes/" RECIPE_NAME ")" },
	{ "format", OPT_VALUE, "FMT", "tarball compression: gz (default) or zst" },
	{ "source-date-epoch", OPT_VALUE, "SECONDS",
	  "mtime in the tarballs (default $SOURCE_DATE_EPOCH, else the commit's time)" },
	{ "no-cache", OPT_FLAG, NULL, "rebuild even when the artifacts are cached" },
	{ "no-verify", OPT_FLAG, NULL, "do not run the verify gate on the result" },
	{ "verify", OPT_FLAG, NULL, "run the verify gate (the default; for compatibility)" },
	{ "prefixes", OPT_VALUE, "N", "verify: random prefixes to check at (default 3)" },
	{ "build-timeout", OPT_VALUE, "SECONDS", "limit for the recipe (default 14400)" },
	BACKEND_LXD_OPTS,
	{ NULL, 0, NULL, NULL },
};

struct bopts {
	const char *spec, *prefix, *backend, *image_opt, *release, *format_name;
	char *recipe;                 /* owned: absolute path */
	char *recipes_dir;            /* owned */
	char *const *cargs;
	size_t nr_cargs;
	unsigned long jobs, prefixes, timeout;
	enum pack_format format;
	int gpu, minimal, no_cache, no_verify;
	long long epoch;
	int have_epoch;
};

/* The fetched source, read back from the report's fetch stage. */
struct fetched_src {
	const char *path, *tag, *version, *commit, *commit_time;
};

static const struct stage_report *find_stage(const struct report *r, const char *name)
{
	size_t i;

	for (i = r->nr_stages; i-- > 0;)
		if (!strcmp(r->stages[i]->name, name))
			return r->stages[i];
	return NULL;
}

static int is_file(const char *p)
{
	struct stat st;
	return !stat(p, &st) && S_ISREG(st.st_mode);
}

/* recipes/ next to the binary's directory (build/../recipes), else ./recipes. */
static char *default_recipe(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *p, *cand;

	if (n > 0) {
		exe[n] = '\0';
		p = strrchr(exe, '/');
		if (p) {
			*p = '\0';
			cand = xasprintf("%s/../recipes/" RECIPE_NAME, exe);
			if (is_file(cand))
				return cand;
			free(cand);
			cand = xasprintf("%s/../share/slurm-factory/recipes/" RECIPE_NAME, exe);
			if (is_file(cand))
				return cand;
			free(cand);
		}
	}
	return xstrdup("recipes/" RECIPE_NAME);
}

static int parse_opts(struct run *run, struct bopts *o, struct strbuf *err)
{
	const char *s;
	char *rec;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->spec = cli_get(&run->cli, "slurm-version");
	if (!o->spec)
		o->spec = "latest";
	o->prefix = cli_get(&run->cli, "prefix");
	if (!o->prefix)
		o->prefix = DEFAULT_PREFIX;
	if (o->prefix[0] != '/' || strlen(o->prefix) < 2 || strstr(o->prefix, "..") ||
	    strpbrk(o->prefix, " \t\n'\"\\$`|")) {
		strbuf_addf(err, "--prefix '%s' must be a plain absolute path", o->prefix);
		return -1;
	}
	o->backend = cli_get(&run->cli, "backend");
	if (!o->backend)
		o->backend = "lxd";
	if (strcmp(o->backend, "lxd") && strcmp(o->backend, "host")) {
		strbuf_addf(err, "--backend '%s' is not lxd or host", o->backend);
		return -1;
	}
	o->image_opt = cli_get(&run->cli, "image");
	o->release = cli_get(&run->cli, "release");
	if (!o->release)
		o->release = "bookworm";
	o->format_name = cli_get(&run->cli, "format");
	if (!o->format_name)
		o->format_name = "gz";
	if (package_format_parse(o->format_name, &o->format)) {
		strbuf_addf(err, "--format '%s' is not gz or zst", o->format_name);
		return -1;
	}
	if (cli_get_ulong(&run->cli, "jobs", 1, 1024, nproc > 0 ? (unsigned long)nproc : 1,
			  &o->jobs, err) ||
	    cli_get_ulong(&run->cli, "prefixes", 1, 100, 3, &o->prefixes, err) ||
	    cli_get_ulong(&run->cli, "build-timeout", 60, 7 * 86400, 14400, &o->timeout, err))
		return -1;
	o->cargs = cli_get_all(&run->cli, "configure-arg", &o->nr_cargs);
	o->gpu = cli_flag(&run->cli, "gpu");
	o->minimal = cli_flag(&run->cli, "minimal");
	if (o->gpu && o->minimal) {
		strbuf_addstr(err, "--gpu and --minimal exclude each other");
		return -1;
	}
	o->no_cache = cli_flag(&run->cli, "no-cache");
	o->no_verify = cli_flag(&run->cli, "no-verify");
	if (o->no_verify && cli_flag(&run->cli, "verify")) {
		strbuf_addstr(err, "--verify and --no-verify exclude each other");
		return -1;
	}
	s = cli_get(&run->cli, "source-date-epoch");
	if (!s)
		s = getenv("SOURCE_DATE_EPOCH");
	if (s && *s) {
		if (package_parse_epoch(s, &o->epoch)) {
			strbuf_addf(err, "source date epoch '%s' is not a number of seconds", s);
			return -1;
		}
		o->have_epoch = 1;
	}
	s = cli_get(&run->cli, "recipe");
	rec = s ? xstrdup(s) : default_recipe();
	o->recipe = realpath(rec, NULL);
	if (!o->recipe) {
		strbuf_addf(err, "no build recipe at '%s': %s (give --recipe FILE)", rec,
			    strerror(errno));
		free(rec);
		return -1;
	}
	free(rec);
	o->recipes_dir = xstrdup(o->recipe);
	*strrchr(o->recipes_dir, '/') = '\0';
	return 0;
}

static void bopts_release(struct bopts *o)
{
	free(o->recipe);
	free(o->recipes_dir);
}

/* Runs fetch (unless the pipeline already did) and reads its result back. */
static int run_fetch(struct run *run, const struct bopts *o, struct fetched_src *f,
		     struct strbuf *err)
{
	const struct stage_report *s = find_stage(&run->report, "fetch");

	if (!s) {
		char *args[1];
		char **saved = run->cli.args;
		size_t saved_nr = run->cli.nr_args;
		int ret;

		args[0] = (char *)o->spec;
		run->cli.args = args;
		run->cli.nr_args = cli_get(&run->cli, "source") &&
				   !cli_get(&run->cli, "slurm-version") ? 0 : 1;
		ret = stage_fetch(run, err);
		run->cli.args = saved;
		run->cli.nr_args = saved_nr;
		if (ret)
			return -1;
		s = find_stage(&run->report, "fetch");
	}
	memset(f, 0, sizeof(*f));
	if (!s || s->skip_reason || s->outcome != OUTCOME_PASS)
		return 1;
	f->path = stage_get_prop(s, "path");
	f->tag = stage_get_prop(s, "tag");
	f->version = stage_get_prop(s, "version");
	f->commit = stage_get_prop(s, "commit");
	f->commit_time = stage_get_prop(s, "commit_time");
	if (!f->commit)
		f->commit = stage_get_prop(s, "sha256");
	return f->path && f->version && f->commit ? 0 : 1;
}

static void add_env(char ***env, size_t *nr, size_t *alloc, char *s)
{
	xgrow((void **)env, alloc, *nr + 2, sizeof(**env));
	(*env)[(*nr)++] = s;
	(*env)[*nr] = NULL;
}

static void free_env(char **env)
{
	size_t i;
	for (i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

/* Configure arguments as the recipe takes them: one a line. */
static void cargs_lines(const struct bopts *o, struct strbuf *out)
{
	size_t i;
	for (i = 0; i < o->nr_cargs; i++)
		strbuf_addf(out, "%s\n", o->cargs[i]);
}

static void build_key(const struct bopts *o, const struct fetched_src *f,
		      const char *recipe_sha, const char *image, struct strbuf *text,
		      char key[SHA256_HEX_SIZE])
{
	strbuf_addf(text, KEY_FORMAT "\ncommit=%s\nrecipe=%s\nimage=%s\nprefix=%s\n"
		    "gpu=%d\nminimal=%d\nformat=%s\nsource_date_epoch=%lld\nconfigure_args=\n",
		    f->commit, recipe_sha, image, o->prefix, o->gpu, o->minimal,
		    o->format == PACK_ZST ? "zst" : "gz", o->epoch);
	cargs_lines(o, text);
	sha256_hex_of(text->buf, text->len, key);
}

/* The last `lines` lines of a file, for a failed check's message and details. */
static void log_tail(const char *path, size_t lines, struct strbuf *out)
{
	struct strbuf all = STRBUF_INIT;
	FILE *fp = fopen(path, "r");
	char buf[8192];
	size_t n, pos;

	if (!fp)
		return;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		strbuf_add(&all, buf, n);
		if (all.len > (1u << 20)) {
			/* keep the end only */
			memmove(all.buf, all.buf + all.len - (1u << 19), 1u << 19);
			strbuf_setlen(&all, 1u << 19);
		}
	}
	fclose(fp);
	pos = all.len;
	while (pos > 0 && all.buf[pos - 1] == '\n')
		pos--;
	while (pos > 0 && lines) {
		pos--;
		if (all.buf[pos] == '\n')
			lines--;
	}
	if (pos < all.len && all.buf[pos] == '\n')
		pos++;
	strbuf_add(out, all.buf + pos, all.len - pos);
	strbuf_release(&all);
}

/* Points builds/<version> at by-key/<key> in one rename(). */
static int link_version(const char *builds, const char *version, const char *key,
			struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, dst = STRBUF_INIT, target = STRBUF_INIT;
	struct stat st;
	int ret = -1;

	strbuf_addf(&tmp, "%s/.tmp-link-", builds);
	fs_random_name(&tmp, 12);
	strbuf_addf(&dst, "%s/%s", builds, version);
	strbuf_addf(&target, "by-key/%s", key);
	if (!lstat(dst.buf, &st) && !S_ISLNK(st.st_mode)) {
		strbuf_addf(err, "%s exists and is not a link this tool made: move it away",
			    dst.buf);
		goto out;
	}
	if (symlink(target.buf, tmp.buf) || rename(tmp.buf, dst.buf)) {
		strbuf_addf(err, "cannot point %s at %s: %s", dst.buf, target.buf,
			    strerror(errno));
		unlink(tmp.buf);
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&tmp);
	strbuf_release(&dst);
	strbuf_release(&target);
	return ret;
}

/* The pipeline's verify stage on the software tarball, with this build's options. */
static void run_verify(struct run *run, const struct bopts *o, const char *tarball,
		       struct strbuf *err)
{
	struct cli vcli, saved;
	char n[32];
	char *argv[] = { (char *)tarball, "--build-prefix", (char *)o->prefix,
			 "--prefixes", n, NULL };

	snprintf(n, sizeof(n), "%lu", o->prefixes);
	memset(&vcli, 0, sizeof(vcli));
	if (cli_parse(&vcli, verify_opts, 5, argv, err)) {
		cli_release(&vcli);
		return;
	}
	saved = run->cli;
	run->cli = vcli;
	stage_verify(run, err);
	vcli = run->cli;
	run->cli = saved;
	cli_release(&vcli);
}

struct build_ctx {
	struct run *run;
	const struct bopts *o;
	const struct fetched_src *src;
	struct stage_report *s;
	const char *cache, *image, *key, *recipe_sha;
	struct strbuf builds, entry, tmp;
	int finished;                 /* stage_finish(s) done */
};

/* Reads a small text file whole ("" when absent). */
static void slurp(const char *path, struct strbuf *out)
{
	FILE *f = fopen(path, "r");
	char buf[4096];
	size_t n;

	if (!f)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(out, buf, n);
	fclose(f);
}

/* Runs the recipe; 0 when it succeeded and out/software exists. */
static int run_recipe(struct build_ctx *b)
{
	const struct bopts *o = b->o;
	int host = !strcmp(o->backend, "host");
	struct strbuf out = STRBUF_INIT, ccache = STRBUF_INIT, err = STRBUF_INIT,
		      cfgcache = STRBUF_INIT,
		      sys = STRBUF_INIT, cargs = STRBUF_INIT, hostbuild = STRBUF_INIT,
		      logp = STRBUF_INIT, tail = STRBUF_INIT, line = STRBUF_INIT;
	struct backend_mount mounts[5];
	struct backend_config cfg;
	struct backend_cmd cmd;
	struct backend_result res;
	struct backend be;
	struct check *c;
	char **env = NULL, *argv[3];
	size_t nr_env = 0, alloc_env = 0, i;
	int ret = -1, inited = 0;
	double t;

	backend_result_init(&res);
	strbuf_addf(&out, "%s/out", b->tmp.buf);
	strbuf_addf(&ccache, "%s/ccache", b->cache);
	strbuf_addf(&cfgcache, "%s/configure-cache", b->cache);
	strbuf_addf(&hostbuild, "%s/work/host-build", b->cache);
	if (fs_mkdirs(out.buf, &err) || fs_mkdirs(ccache.buf, &err) ||
	    fs_mkdirs(cfgcache.buf, &err)) {
		c = stage_add_check(b->s, "launch");
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	for (i = 0; ldso_default_allow[i]; i++)
		strbuf_addf(&sys, "%s%s", i ? " " : "", ldso_default_allow[i]);
	cargs_lines(o, &cargs);
	memset(mounts, 0, sizeof(mounts));
	mounts[0].source = b->src->path;
	mounts[0].path = "/sf/src";
	mounts[0].readonly = 1;
	mounts[1].source = o->recipes_dir;
	mounts[1].path = "/sf/recipes";
	mounts[1].readonly = 1;
	mounts[2].source = out.buf;
	mounts[2].path = "/sf/out";
	mounts[3].source = ccache.buf;
	mounts[3].path = "/sf/ccache";
	mounts[4].source = cfgcache.buf;
	mounts[4].path = "/sf/configure-cache";
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_SRC=%s", host ? b->src->path : "/sf/src"));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_BUILD=%s", host ? hostbuild.buf : "/sf/build"));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_OUT=%s", host ? out.buf : "/sf/out"));
	add_env(&env, &nr_env, &alloc_env, xasprintf("CCACHE_DIR=%s", host ? ccache.buf : "/sf/ccache"));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_CONFIGURE_CACHE=%s",
						     host ? cfgcache.buf : "/sf/configure-cache"));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_SOURCE_ID=%s", b->src->commit));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_PREFIX=%s", o->prefix));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_JOBS=%lu", o->jobs));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_MINIMAL=%d", o->minimal));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_GPU=%d", o->gpu));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_CONFIGURE_ARGS=%s", cargs.buf));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SF_SYSTEM_LIBS=%s", sys.buf));
	add_env(&env, &nr_env, &alloc_env, xasprintf("SOURCE_DATE_EPOCH=%lld", o->epoch));
	add_env(&env, &nr_env, &alloc_env, xstrdup("PATH=/usr/local/sbin:/usr/local/bin:"
						   "/usr/sbin:/usr/bin:/sbin:/bin"));
	add_env(&env, &nr_env, &alloc_env, xstrdup("HOME=/root"));
	add_env(&env, &nr_env, &alloc_env, xstrdup("LC_ALL=C"));

	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = o->backend;
	backend_lxd_opts_from_cli(&b->run->cli, &cfg.lxd);
	cfg.image = b->image;
	cfg.purpose = "build";
	cfg.mounts = mounts;
	cfg.nr_mounts = 5;
	c = stage_add_check(b->s, "launch");
	if (backend_init(&be, &cfg, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	inited = 1;
	t = monotonic_now();
	if (backend_prepare(&be, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto cleanup;
	}
	if (host)
		check_set_message(c, "host backend: the recipe runs on this machine "
				  "(no container; build dependencies of the host are used)");
	else
		check_set_message(c, "%s from %s in %.2f s", be.container, b->image,
				  monotonic_now() - t);
	check_finish(c);

	c = stage_add_check(b->s, "recipe");
	strbuf_addf(&logp, "%s/build.log", out.buf);
	argv[0] = "sh";
	argv[1] = host ? o->recipe : "/sf/recipes/" RECIPE_NAME;
	argv[2] = NULL;
	{
		char *rname = strrchr(o->recipe, '/') + 1;
		if (!host)
			argv[1] = xasprintf("/sf/recipes/%s", rname);
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.env = env;
	cmd.timeout = (double)o->timeout;
	if (!b->run->quiet)
		fprintf(stderr, "build: %s %s (%s) with %lu jobs on %s%s%s; log %s\n",
			b->src->version, b->src->tag ? b->src->tag : "", b->src->commit, o->jobs,
			o->backend, host ? "" : " ", host ? "" : b->image, logp.buf);
	if (backend_exec(&be, &cmd, &res, &err)) {
		/* backend_exec fails for a recipe that ran out of disk, too */
		check_fail(c, OUTCOME_ERROR, "%s: %s",
			   strstr(err.buf, "no space left") ? "the recipe ran out of disk"
							    : "the recipe could not run", err.buf);
	} else if (signals_interrupted()) {
		check_fail(c, OUTCOME_ERROR, "interrupted by signal %d", signals_interrupted());
	} else if (res.exit_code) {
		log_tail(logp.buf, 40, &tail);
		strbuf_last_line(&line, tail.buf, 300);
		check_fail(c, OUTCOME_FAIL, "recipe failed (exit %d%s) after %.0f s: %s",
			   res.exit_code, res.timed_out ? ", timed out" : "", res.duration,
			   line.len ? line.buf : "(empty log)");
		strbuf_add(&c->details, tail.buf, tail.len);
	} else {
		struct strbuf cc = STRBUF_INIT, state = STRBUF_INIT;

		ret = 0;
		/* "hit KEY", "miss KEY" or "off" from the recipe's configure cache */
		strbuf_addf(&cc, "%s/configure-cache.txt", out.buf);
		slurp(cc.buf, &state);
		strbuf_setlen(&state, strcspn(state.buf, " \n"));
		stage_set_prop(b->s, "configure_cache", state.len ? state.buf : "off");
		check_set_message(c, "%s, make -j%lu, install and relocation in %.1f s",
				  !strcmp(state.buf, "hit") ? "configured tree from the configure cache"
							    : "configure",
				  o->jobs, res.duration);
		strbuf_release(&cc);
		strbuf_release(&state);
	}
	strbuf_add(&c->details, res.out.buf, res.out.len);
	strbuf_add(&c->details, res.errout.buf, res.errout.len);
	if (!host)
		free(argv[1]);
	{
		struct strbuf v = STRBUF_INIT;
		strbuf_addf(&v, "%.1f", res.duration);
		stage_set_prop(b->s, "recipe_seconds", v.buf);
		strbuf_release(&v);
	}
	/* keep the log: with the artifacts when it worked, in logs/ when not */
	if (ret) {
		struct strbuf keep = STRBUF_INIT, e2 = STRBUF_INIT;
		strbuf_addf(&keep, "%s/logs", b->cache);
		if (!fs_mkdirs(keep.buf, &e2)) {
			strbuf_addf(&keep, "/build-%s-%.16s-%s.log", b->src->version, b->key,
				    be.run_id);
			if (!fs_copy_file(logp.buf, keep.buf, 0644, 0, &e2))
				check_attach_log(c, keep.buf);
		}
		strbuf_release(&keep);
		strbuf_release(&e2);
	}
	check_finish(c);
cleanup:
	if (inited) {
		struct check *cc = stage_add_check(b->s, "cleanup");
		int was = be.ops == &backend_lxd_ops;
		strbuf_reset(&err);
		if (backend_cleanup(&be, &err))
			check_fail(cc, OUTCOME_ERROR, "containers left: %s", err.buf);
		else
			check_set_message(cc, was ? "run %s: container deleted" :
					  "run %s: nothing to delete", be.run_id);
		check_finish(cc);
		backend_release(&be);
		if (host) {
			strbuf_reset(&err);
			fs_rmtree(hostbuild.buf, &err);
		}
	}
out:
	free_env(env);
	backend_result_release(&res);
	strbuf_release(&out);
	strbuf_release(&ccache);
	strbuf_release(&cfgcache);
	strbuf_release(&err);
	strbuf_release(&sys);
	strbuf_release(&cargs);
	strbuf_release(&hostbuild);
	strbuf_release(&logp);
	strbuf_release(&tail);
	strbuf_release(&line);
	return ret;
}

/* Moves out/{build,make,install}.log etc. into <tmp>/logs and packs. */
static int package_build(struct build_ctx *b, struct package_output *po)
{
	const struct bopts *o = b->o;
	struct stage_report *ps = report_add_stage(&b->run->report, "package");
	struct package_input in;
	struct strbuf tree = STRBUF_INIT, mod = STRBUF_INIT, logs = STRBUF_INIT,
		      err = STRBUF_INIT, feat = STRBUF_INIT, graft = STRBUF_INIT,
		      cargs = STRBUF_INIT, from = STRBUF_INIT, to = STRBUF_INIT;
	static const char *const kept[] = { "build.log", "make.log", "install.log",
					    "ccache.txt", "configure-cache.txt", "features.txt",
					    "grafted.txt", NULL };
	char *meta[12], *lists[4];
	size_t i, nm = 0;
	int ret;

	strbuf_addf(&tree, "%s/out/software", b->tmp.buf);
	strbuf_addf(&mod, "%s/out/module", b->tmp.buf);
	strbuf_addf(&logs, "%s/logs", b->tmp.buf);
	fs_mkdirs(logs.buf, &err);
	for (i = 0; kept[i]; i++) {
		strbuf_reset(&from);
		strbuf_reset(&to);
		strbuf_addf(&from, "%s/out/%s", b->tmp.buf, kept[i]);
		strbuf_addf(&to, "%s/%s", logs.buf, kept[i]);
		if (!rename(from.buf, to.buf) && strstr(kept[i], ".log"))
			check_attach_log(b->s->checks[b->s->nr_checks - 1], to.buf);
	}
	/* the modulefiles (smoke's generator): slurm/<version>.lua, Tcl, .modulerc.lua */
	{
		struct modulefile_spec ms = { b->src->version, o->prefix, NULL };
		struct check *mc = stage_add_check(ps, "modulefiles");
		strbuf_reset(&err);
		if (modulefile_write_tree(&ms, mod.buf, &err))
			check_fail(mc, OUTCOME_ERROR, "%s", err.buf);
		else
			check_set_message(mc, "slurm/%s.lua, slurm/%s, slurm/.modulerc.lua "
					  "(root: $SLURM_INSTALL_PREFIX, else %s)",
					  b->src->version, b->src->version, o->prefix);
		check_finish(mc);
	}
	strbuf_reset(&from);
	strbuf_addf(&from, "%s/features.txt", logs.buf);
	slurp(from.buf, &feat);
	strbuf_reset(&from);
	strbuf_addf(&from, "%s/grafted.txt", logs.buf);
	slurp(from.buf, &graft);
	cargs_lines(o, &cargs);

	meta[nm++] = xasprintf("key=%s", b->key);
	meta[nm++] = xasprintf("recipe_sha256=%s", b->recipe_sha);
	meta[nm++] = xasprintf("image=%s", b->image);
	meta[nm++] = xasprintf("backend=%s", o->backend);
	meta[nm++] = xasprintf("prefix=%s", o->prefix);
	meta[nm++] = xasprintf("gpu=%s", o->gpu ? "true" : "false");
	meta[nm++] = xasprintf("minimal=%s", o->minimal ? "true" : "false");
	meta[nm++] = xasprintf("left_out=%s", o->gpu ?
			       "nvml (NVIDIA NVML is not in Debian main), oneapi" :
			       "nvml, rsmi, oneapi (no --gpu)");
	meta[nm++] = xasprintf("rpath=DT_RPATH, $ORIGIN-relative (patchelf --force-rpath)");
	meta[nm++] = xasprintf("debug=stripped (strip --strip-debug)");
	meta[nm] = NULL;
	lists[0] = xasprintf("configure_args=%s", cargs.buf);
	lists[1] = xasprintf("features=%s", feat.buf);
	lists[2] = xasprintf("grafted=%s", graft.buf);
	lists[3] = NULL;

	memset(&in, 0, sizeof(in));
	in.tree = tree.buf;
	in.module_dir = mod.buf;
	in.out_dir = b->tmp.buf;
	in.version = b->src->version;
	in.tag = b->src->tag;
	in.commit = b->src->commit;
	in.mtime = o->epoch;
	in.format = o->format;
	in.build_meta = meta;
	in.lists = lists;
	ret = package_tree(ps, &in, po);
	if (signals_interrupted())
		ps->interrupted = 1;
	stage_finish(ps);
	for (i = 0; i < nm; i++)
		free(meta[i]);
	for (i = 0; i < 3; i++)
		free(lists[i]);
	strbuf_release(&tree);
	strbuf_release(&mod);
	strbuf_release(&logs);
	strbuf_release(&err);
	strbuf_release(&feat);
	strbuf_release(&graft);
	strbuf_release(&cargs);
	strbuf_release(&from);
	strbuf_release(&to);
	return ret;
}

/* Artifacts of a complete entry as build/package properties. */
static int entry_props(struct stage_report *s, const char *entry, const char *version,
		       enum pack_format f, char sha[SHA256_HEX_SIZE], struct strbuf *software)
{
	struct strbuf p = STRBUF_INIT, e = STRBUF_INIT;
	const char *ext = package_format_ext(f);
	int ret = -1;

	strbuf_addf(software, "%s/slurm-%s-software%s", entry, version, ext);
	strbuf_addf(&p, "%s/manifest.json", entry);
	if (!is_file(p.buf) || sha256_file(software->buf, sha, NULL, &e))
		goto out;
	stage_set_prop(s, "software", software->buf);
	stage_set_prop(s, "sha256", sha);
	stage_set_prop(s, "manifest", p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/slurm-%s-module%s", entry, version, ext);
	if (!is_file(p.buf))
		goto out;
	stage_set_prop(s, "module", p.buf);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/SHA256SUMS", entry);
	stage_set_prop(s, "sums", p.buf);
	/* what publish uploads: the tarballs, SHA256SUMS and the manifest */
	stage_set_prop(s, "artifacts_dir", entry);
	ret = 0;
out:
	strbuf_release(&p);
	strbuf_release(&e);
	return ret;
}

/* --output-dir: the artifacts also there (hard links where possible). */
static int export_artifacts(const char *entry, const char *version, enum pack_format f,
			    const char *dir, struct strbuf *err)
{
	const char *ext = package_format_ext(f);
	char *names[4];
	size_t i;
	int ret = 0;

	names[0] = xasprintf("slurm-%s-software%s", version, ext);
	names[1] = xasprintf("slurm-%s-module%s", version, ext);
	names[2] = xstrdup("SHA256SUMS");
	names[3] = xstrdup("manifest.json");
	if (fs_mkdirs(dir, err))
		ret = -1;
	for (i = 0; i < 4 && !ret; i++) {
		char *from = xasprintf("%s/%s", entry, names[i]);
		char *to = xasprintf("%s/%s", dir, names[i]);
		if (fs_copy_file(from, to, 0, 1, err))
			ret = -1;
		free(from);
		free(to);
	}
	for (i = 0; i < 4; i++)
		free(names[i]);
	return ret;
}

static void build_with(struct build_ctx *b)
{
	const struct bopts *o = b->o;
	struct package_output po;
	struct strbuf err = STRBUF_INIT, old = STRBUF_INIT, software = STRBUF_INIT;
	struct check *c;
	char sha[SHA256_HEX_SIZE];
	int committed = 0;

	memset(&po, 0, sizeof(po));
	c = stage_add_check(b->s, "cache");
	strbuf_addf(&b->entry, "%s/by-key/%s", b->builds.buf, b->key);
	if (!o->no_cache && !entry_props(b->s, b->entry.buf, b->src->version, o->format, sha,
					 &software)) {
		stage_set_prop(b->s, "cache", "hit");
		check_set_message(c, "hit: %s (no container started)", b->entry.buf);
		check_finish(c);
		c = stage_add_check(b->s, "publish");
		if (link_version(b->builds.buf, b->src->version, b->key, &err))
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		else
			check_set_message(c, "%s/%s -> by-key/%s", b->builds.buf,
					  b->src->version, b->key);
		check_finish(c);
		stage_finish(b->s);
		b->finished = 1;
		{
			struct stage_report *ps = report_add_stage(&b->run->report, "package");
			struct check *pc = stage_add_check(ps, "cache");
			entry_props(ps, b->entry.buf, b->src->version, o->format, sha, &old);
			stage_set_prop(ps, "version", b->src->version);
			if (b->src->tag)
				stage_set_prop(ps, "tag", b->src->tag);
			check_set_message(pc, "reused %s (sha256 %s)", software.buf, sha);
			check_finish(pc);
			stage_finish(ps);
		}
		committed = 1;
		goto verify;
	}
	stage_set_prop(b->s, "cache", o->no_cache ? "bypassed" : "miss");
	check_set_message(c, "%s: %s", o->no_cache ? "--no-cache" : "miss", b->entry.buf);
	check_finish(c);

	strbuf_addf(&err, "%s/by-key", b->builds.buf);
	if (fs_mkdirs(err.buf, &err)) {
		c = stage_add_check(b->s, "launch");
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	strbuf_reset(&err);
	strbuf_addf(&b->tmp, "%s/.tmp-%.16s-XXXXXX", b->builds.buf, b->key);
	/* mkdtemp makes it 0700: the published entry is for every user */
	if (!mkdtemp(b->tmp.buf) || chmod(b->tmp.buf, 0755)) {
		c = stage_add_check(b->s, "launch");
		check_fail(c, OUTCOME_ERROR, "cannot create %s: %s", b->tmp.buf, strerror(errno));
		check_finish(c);
		strbuf_reset(&b->tmp);
		goto out;
	}
	if (run_recipe(b) || signals_interrupted())
		goto out;
	stage_finish(b->s);
	b->finished = 1;
	if (package_build(b, &po) || signals_interrupted())
		goto out;
	{
		/* the tree is in the tarball now; the entry keeps artifacts and logs */
		struct strbuf outdir = STRBUF_INIT;
		strbuf_addf(&outdir, "%s/out", b->tmp.buf);
		fs_rmtree(outdir.buf, NULL);
		strbuf_release(&outdir);
	}
	/* publish: one rename; a --no-cache rebuild replaces the old entry */
	if (rename(b->tmp.buf, b->entry.buf)) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			strbuf_addf(&err, "cannot move %s to %s: %s", b->tmp.buf, b->entry.buf,
				    strerror(errno));
			goto publish_failed;
		}
		strbuf_addf(&old, "%s/.old-%.16s-", b->builds.buf, b->key);
		fs_random_name(&old, 8);
		if (rename(b->entry.buf, old.buf) || rename(b->tmp.buf, b->entry.buf)) {
			strbuf_addf(&err, "cannot replace %s: %s", b->entry.buf, strerror(errno));
			goto publish_failed;
		}
		fs_rmtree(old.buf, NULL);
	}
	strbuf_reset(&b->tmp);
	committed = 1;
	if (link_version(b->builds.buf, b->src->version, b->key, &err))
		goto publish_failed;
	strbuf_reset(&software);
	entry_props(b->s, b->entry.buf, b->src->version, o->format, sha, &software);
	{
		/* the package stage's paths moved with the entry */
		struct stage_report *ps = (struct stage_report *)find_stage(&b->run->report,
									    "package");
		struct strbuf tmp = STRBUF_INIT;
		if (ps)
			entry_props(ps, b->entry.buf, b->src->version, o->format, sha, &tmp);
		strbuf_release(&tmp);
	}
	goto verify;
publish_failed:
	{
		struct stage_report *ps = report_add_stage(&b->run->report, "publish-cache");
		c = stage_add_check(ps, "rename");
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		stage_finish(ps);
	}
	goto out;
verify:
	if (cli_get(&b->run->cli, "output-dir")) {
		const char *dir = cli_get(&b->run->cli, "output-dir");
		c = stage_add_check(b->s, "output-dir");
		strbuf_reset(&err);
		if (export_artifacts(b->entry.buf, b->src->version, o->format, dir, &err))
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		else
			check_set_message(c, "artifacts also in %s", dir);
		check_finish(c);
		stage_finish(b->s);   /* again: the outcome counts this check */
	}
	if (!b->run->quiet)
		printf("version: %s\ntag: %s\ncommit: %s\nsoftware: %s\nsha256: %s\n"
		       "module: %s/slurm-%s-module%s\nbuild: %s/%s\ncache: %s\n",
		       b->src->version, b->src->tag ? b->src->tag : "", b->src->commit,
		       software.buf, sha, b->entry.buf, b->src->version,
		       package_format_ext(o->format), b->builds.buf, b->src->version,
		       stage_get_prop(b->s, "cache"));
	fflush(stdout);
	if (o->no_verify) {
		stage_skip(report_add_stage(&b->run->report, "verify"), "--no-verify");
	} else if (!signals_interrupted()) {
		strbuf_reset(&err);
		run_verify(b->run, o, software.buf, &err);
	}
out:
	if (!committed && b->tmp.len) {
		strbuf_reset(&err);
		fs_rmtree(b->tmp.buf, &err);
	}
	/* a signal after the recipe interrupts package or verify, not build */
	if (signals_interrupted() && !b->finished)
		b->s->interrupted = 1;
	if (!b->finished)
		stage_finish(b->s);
	package_output_release(&po);
	strbuf_release(&err);
	strbuf_release(&old);
	strbuf_release(&software);
}

int stage_build(struct run *run, struct strbuf *err)
{
	struct bopts o;
	struct fetched_src src;
	struct build_ctx b;
	struct strbuf cache = STRBUF_INIT, alias = STRBUF_INIT, pkgfile = STRBUF_INIT,
		      keytext = STRBUF_INIT, e = STRBUF_INIT;
	char recipe_sha[SHA256_HEX_SIZE], key[SHA256_HEX_SIZE];
	struct stage_report *s;
	struct check *c;
	int ret = -1, r;

	memset(&b, 0, sizeof(b));
	if (parse_opts(run, &o, err) || source_cache_dir(run, &cache, err))
		goto out;
	r = run_fetch(run, &o, &src, err);
	if (r < 0)
		goto out;
	s = report_add_stage(&run->report, "build");
	ret = 0;
	if (r > 0) {
		stage_skip(s, "fetch did not pass");
		goto out;
	}
	if (!o.have_epoch) {
		unsigned long v;
		o.epoch = FALLBACK_EPOCH;
		if (src.commit_time && !parse_ulong(src.commit_time, 0, 253402300799UL, &v))
			o.epoch = (long long)v;
	}
	stage_set_prop(s, "version", src.version);
	if (src.tag)
		stage_set_prop(s, "tag", src.tag);
	stage_set_prop(s, "commit", src.commit);
	stage_set_prop(s, "backend", o.backend);
	stage_set_prop(s, "recipe", o.recipe);

	c = stage_add_check(s, "inputs");
	if (sha256_file(o.recipe, recipe_sha, NULL, &e)) {
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		check_finish(c);
		stage_finish(s);
		goto out;
	}
	if (!strcmp(o.backend, "host")) {
		strbuf_addstr(&alias, "host");
	} else if (o.image_opt) {
		strbuf_addstr(&alias, o.image_opt);
	} else {
		strbuf_addf(&pkgfile, "%s/build-packages.txt", o.recipes_dir);
		if (image_alias(o.release, pkgfile.buf, &alias, NULL, &e)) {
			check_fail(c, OUTCOME_ERROR, "%s", e.buf);
			check_finish(c);
			stage_finish(s);
			goto out;
		}
	}
	build_key(&o, &src, recipe_sha, alias.buf, &keytext, key);
	key[32] = '\0';
	stage_set_prop(s, "image", alias.buf);
	stage_set_prop(s, "recipe_sha256", recipe_sha);
	stage_set_prop(s, "key", key);
	{
		struct strbuf v = STRBUF_INIT;
		strbuf_addf(&v, "%lld", o.epoch);
		stage_set_prop(s, "source_date_epoch", v.buf);
		strbuf_release(&v);
	}
	check_set_message(c, "key %s: commit %.12s, recipe %.12s, image %s, gpu=%d minimal=%d, "
			  "%zu configure args, SOURCE_DATE_EPOCH %lld", key, src.commit,
			  recipe_sha, alias.buf, o.gpu, o.minimal, o.nr_cargs, o.epoch);
	check_finish(c);

	b.run = run;
	b.o = &o;
	b.src = &src;
	b.s = s;
	b.cache = cache.buf;
	b.image = alias.buf;
	b.key = key;
	b.recipe_sha = recipe_sha;
	strbuf_init(&b.builds);
	strbuf_init(&b.entry);
	strbuf_init(&b.tmp);
	strbuf_addf(&b.builds, "%s/builds", cache.buf);
	build_with(&b);
	strbuf_release(&b.builds);
	strbuf_release(&b.entry);
	strbuf_release(&b.tmp);
out:
	bopts_release(&o);
	strbuf_release(&cache);
	strbuf_release(&alias);
	strbuf_release(&pkgfile);
	strbuf_release(&keytext);
	strbuf_release(&e);
	return ret;
}
