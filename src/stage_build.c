/*
 * build: the source that fetch left → an ephemeral container from the build
 * image (or this machine) → recipes/build-slurm.sh → an installed, relocated
 * tree for package (run->pipe.build).
 *
 * The artifacts are cached (buildcache.h) by a key over the source, the
 * recipe's bytes, the image alias (itself a hash of the image inputs), the
 * options and SOURCE_DATE_EPOCH: a complete entry is a hit that starts no
 * container, and package reuses it. On a miss the recipe writes into a
 * fresh builds/.tmp-* directory that package turns into the entry.
 * ccache and the recipe's configure cache persist in <cache>/ccache and
 * <cache>/configure-cache.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "buildcache.h"
#include "clock.h"
#include "crypto.h"
#include "fsutil.h"
#include "image.h"
#include "ldso.h"
#include "package.h"
#include "progress.h"
#include "signals.h"
#include "stages.h"

#define RECIPE_NAME "build-slurm.sh"
/* bumped when the key's inputs or what an entry holds change (3: the manifest
 * records the glibc floor) */
#define KEY_FORMAT "slurm-factory-build/3"
/* the mtime of artifacts when neither SOURCE_DATE_EPOCH nor a commit time is known */
#define FALLBACK_EPOCH 315532800LL

const struct opt build_opts[] = {
	{ "slurm-version", OPT_VALUE, "SPEC", "latest, 24.11, 24.11.5 or a tag (default "
	  SF_DEFAULT_SPEC ")" },
	{ "gpu", OPT_FLAG, NULL, "the GPU plugins: NVIDIA NVML and AMD ROCm SMI, built in the GPU "
	  "build image (NVML headers from Debian non-free); the driver libraries stay the node's "
	  "(declared host-provided in the manifest, never in the tree)" },
	{ "minimal", OPT_FLAG, NULL, "no optional plugins (munge and the toolchain only)" },
	{ "jobs", OPT_VALUE, "N", "parallel make jobs (default: the machine's cores)" },
	{ "configure-arg", OPT_LIST, "ARG", "extra configure argument" },
	{ "prefix", OPT_VALUE, "PATH", "install prefix the build is configured for "
	  "(default " SF_DEFAULT_PREFIX ")" },
	{ "backend", OPT_VALUE, "KIND", "where the recipe runs: lxd (default) or host" },
	{ "image", OPT_VALUE, "ALIAS", "build image (default: the alias 'image build' makes)" },
	BASE_OPTS,
	{ "recipe", OPT_VALUE | OPTF_INPUT, "FILE", "the build recipe (default recipes/"
	  RECIPE_NAME ")" },
	{ "format", OPT_VALUE, "FMT", "tarball compression: gz (default) or zst" },
	{ "source-date-epoch", OPT_VALUE, "SECONDS",
	  "mtime in the tarballs (default $SOURCE_DATE_EPOCH, else the commit's time)" },
	{ "no-cache", OPT_FLAG, NULL, "rebuild even when the artifacts are cached" },
	{ "ccache-dir", OPT_VALUE, "DIR", "the compiler cache, shared by builds (default "
	  "<cache-dir>/ccache; a runner's persistent volume, say)" },
	{ "no-verify", OPT_FLAG, NULL, "do not run the verify gate on the result" },
	{ "verify", OPT_FLAG, NULL, "run the verify gate (the default; for compatibility)" },
	{ "build-timeout", OPT_VALUE, "SECONDS", "limit for the recipe (default 14400)" },
	BACKEND_LXD_OPTS,
	BACKEND_LXD_LAUNCH_OPTS,
	{ NULL, 0, NULL, NULL },
};

struct build_opts {
	const char *prefix, *backend, *image, *release, *cache;
	const char *ccache;           /* --ccache-dir, or NULL */
	struct strbuf recipe;         /* absolute path */
	struct strbuf default_image;  /* the build image's alias when --image is not given */
	char *recipes_dir;            /* owned */
	char *const *cargs;
	size_t nr_cargs;
	unsigned long jobs, timeout;
	enum pack_format format;
	int gpu, minimal, no_cache, host;
	long long epoch;
	int have_epoch;
	struct lxd_opts lxd;
};

int build_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct build_opts *o = xcalloc(1, sizeof(*o));
	const char *s, *fmt;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);

	*opts = o;
	strbuf_init(&o->recipe);
	strbuf_init(&o->default_image);
	o->prefix = cli_get(&run->cli, "prefix");
	if (!o->prefix)
		o->prefix = SF_DEFAULT_PREFIX;
	if (o->prefix[0] != '/' || strlen(o->prefix) < 2 || strstr(o->prefix, "..") ||
	    strpbrk(o->prefix, " \t\n'\"\\$`|")) {
		strbuf_addf(err, "--prefix '%s' must be a plain absolute path", o->prefix);
		return -1;
	}
	o->backend = cli_get(&run->cli, "backend");
	if (!o->backend)
		o->backend = SF_DEFAULT_BACKEND;
	if (strcmp(o->backend, "lxd") && strcmp(o->backend, "host")) {
		strbuf_addf(err, "--backend '%s' is not lxd or host", o->backend);
		return -1;
	}
	o->host = !strcmp(o->backend, "host");
	o->image = cli_get(&run->cli, "image");
	if (run_base(run, &o->release, err))
		return -1;
	fmt = cli_get(&run->cli, "format");
	if (package_format_parse(fmt ? fmt : "gz", &o->format)) {
		strbuf_addf(err, "--format '%s' is not gz or zst", fmt);
		return -1;
	}
	if (cli_get_ulong(&run->cli, "jobs", 1, 1024, nproc > 0 ? (unsigned long)nproc : 1,
			  &o->jobs, err) ||
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
	o->ccache = cli_get(&run->cli, "ccache-dir");
	if (o->ccache && o->ccache[0] != '/') {
		strbuf_addf(err, "--ccache-dir '%s' must be an absolute path", o->ccache);
		return -1;
	}
	if (cli_flag(&run->cli, "no-verify") && cli_flag(&run->cli, "verify")) {
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
	if (s) {
		char *real = realpath(s, NULL);
		if (!real || !fs_is_file(real)) {
			strbuf_addf(err, "no build recipe at '%s'%s%s (give --recipe FILE)", s,
				    real ? "" : ": ", real ? "" : strerror(errno));
			free(real);
			return -1;
		}
		strbuf_addstr(&o->recipe, real);
		free(real);
	} else if (fs_data_file("recipes/" RECIPE_NAME, &o->recipe, err)) {
		strbuf_addstr(err, ": give --recipe FILE");
		return -1;
	}
	o->recipes_dir = xstrdup(o->recipe.buf);
	*strrchr(o->recipes_dir, '/') = '\0';
	if (!o->host && !o->image) {
		struct image_spec spec;
		int r = image_spec_default(run, IMAGE_BUILD, NULL, &spec, err);
		strbuf_addstr(&o->default_image, spec.alias.buf);
		image_spec_release(&spec);
		if (r)
			return -1;
	}
	backend_lxd_opts_from_cli(&run->cli, &o->lxd);
	if (!o->host && backend_lxd_opts_check(&o->lxd, err))
		return -1;
	return run_cache_dir(run, &o->cache, err);
}

void build_release(void *opts)
{
	struct build_opts *o = opts;

	if (!o)
		return;
	strbuf_release(&o->recipe);
	strbuf_release(&o->default_image);
	free(o->recipes_dir);
	free(o);
}

/* --- inputs: the key --------------------------------------------------- */

/* Configure arguments as the recipe takes them: one a line. */
static void cargs_lines(const struct build_opts *o, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < o->nr_cargs; i++)
		strbuf_addf(out, "%s\n", o->cargs[i]);
}

/* The image the recipe runs in: --image, the default image's alias, or "host". */
static void image_of(const struct build_opts *o, struct strbuf *alias)
{
	strbuf_addstr(alias, o->host ? "host" : o->image ? o->image : o->default_image.buf);
}

/*
 * Fills run->pipe.build's key, image, prefix, epoch and cache paths from
 * the options and the fetched source; the "inputs" check says what went in.
 */
static int compute_key(struct run *run, const struct build_opts *o, struct stage_report *s)
{
	struct pipeline *p = &run->pipe;
	struct build_result *b = &p->build;
	struct strbuf alias = STRBUF_INIT, text = STRBUF_INIT, e = STRBUF_INIT;
	char recipe_sha[SHA256_HEX_SIZE], key[SHA256_HEX_SIZE];
	struct check *c = stage_add_check(s, "inputs");
	int ret = -1;

	if (sha256_file(o->recipe.buf, recipe_sha, NULL, &e)) {
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		goto out;
	}
	/* the image images made sure of, else the one the options name */
	if (p->images.build && !o->host)
		strbuf_addstr(&alias, p->images.build);
	else
		image_of(o, &alias);
	b->epoch = o->have_epoch ? o->epoch : p->commit_time >= 0 ? p->commit_time :
		   FALLBACK_EPOCH;
	/* the image's installed packages too: a rebuilt image with newer ones is a new key */
	strbuf_addf(&text, KEY_FORMAT "\ncommit=%s\nrecipe=%s\nimage=%s\nimage_packages=%s\n"
		    "prefix=%s\ngpu=%d\nminimal=%d\nformat=%s\nsource_date_epoch=%lld\n"
		    "configure_args=\n", p->src.commit, recipe_sha, alias.buf,
		    !o->host && p->images.build_packages ? p->images.build_packages : "",
		    o->prefix, o->gpu, o->minimal, o->format == PACK_ZST ? "zst" : "gz", b->epoch);
	cargs_lines(o, &text);
	sha256_hex_of(text.buf, text.len, key);
	key[32] = '\0';
	b->key = xstrdup(key);
	b->recipe_sha256 = xstrdup(recipe_sha);
	b->image = strbuf_detach(&alias);
	b->prefix = xstrdup(o->prefix);
	b->format = o->format;
	b->builds = xasprintf("%s/builds", o->cache);
	b->entry = xasprintf("%s/by-key/%s", b->builds, key);
	stage_set_prop(s, "image", b->image);
	stage_set_prop(s, "recipe_sha256", recipe_sha);
	stage_set_prop(s, "key", key);
	strbuf_reset(&text);
	strbuf_addf(&text, "%lld", b->epoch);
	stage_set_prop(s, "source_date_epoch", text.buf);
	check_set_message(c, "key %s: commit %.12s, recipe %.12s, image %s, gpu=%d minimal=%d, "
			  "%zu configure args, SOURCE_DATE_EPOCH %lld", key, p->src.commit,
			  recipe_sha, b->image, o->gpu, o->minimal, o->nr_cargs, b->epoch);
	ret = 0;
out:
	check_finish(c);
	strbuf_release(&alias);
	strbuf_release(&text);
	strbuf_release(&e);
	return ret;
}

/* --- the recipe -------------------------------------------------------- */

/* Where the build cache volume appears in the container. */
#define LXD_CACHE_PATH "/sf/cache"

/*
 * The custom volume that keeps ccache and the configure cache on the LXD
 * server, one per (Debian release of the default build images, or the
 * --image given; privileged or not): "sf-cache-" and 16 hex digits. The
 * default, --gpu and --minimal builds and their configure arguments share
 * it: ccache tells compilers apart by content and the configure cache keys
 * its entries by everything configure sees. (The recipe turns off Slurm's
 * default -ggdb3: it kept config.h's #defines in the preprocessed text, and
 * a --gpu build found 67 of 517 objects.)
 */
static void cache_volume_name(const struct build_opts *o, const char *image,
			      struct strbuf *name)
{
	struct strbuf text = STRBUF_INIT;
	char hex[SHA256_HEX_SIZE];

	/*
	 * privileged and unprivileged containers see different owners: LXD
	 * refuses (or shifts the whole volume) when one volume is used by both
	 */
	strbuf_addf(&text, "slurm-factory-cache/2\n%s %s\n%s", o->image ? "image" : "release",
		    o->image ? image : o->release, o->lxd.privileged ? "privileged\n" : "");
	sha256_hex_of(text.buf, text.len, hex);
	strbuf_addf(name, BUILD_CACHE_VOLUME_PREFIX "%.16s", hex);
	strbuf_release(&text);
}

/* What the recipe runs with: the container's paths, or the host's. */
struct recipe_paths {
	const char *src, *recipes, *out, *ccache, *cfgcache;   /* on this machine */
	const char *hostbuild;                                 /* host backend's build dir */
};

static void add_env(struct strbuf_list *env, const char *name, const char *value)
{
	strbuf_list_addf(env, "%s=%s", name, value);
}

/* The recipe's environment: one row per variable, the path as the recipe sees it. */
static void recipe_env(const struct build_opts *o, const struct pipeline *p,
		       const struct recipe_paths *rp, struct strbuf_list *env)
{
	struct strbuf v = STRBUF_INIT, sys = STRBUF_INIT;
	const struct { const char *name, *host, *lxd; } paths[] = {
		{ "SF_SRC", rp->src, "/sf/src" },
		{ "SF_BUILD", rp->hostbuild, "/sf/build" },
		{ "SF_OUT", rp->out, "/sf/out" },
		{ "CCACHE_DIR", rp->ccache, LXD_CACHE_PATH "/ccache" },
		{ "SF_CONFIGURE_CACHE", rp->cfgcache, LXD_CACHE_PATH "/configure-cache" },
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		add_env(env, paths[i].name, o->host ? paths[i].host : paths[i].lxd);
	ldso_default_allow_join(&sys);
	add_env(env, "SF_SOURCE_ID", p->src.commit);
	add_env(env, "SF_VERSION", p->src.version);
	add_env(env, "SF_PREFIX", o->prefix);
	strbuf_addf(&v, "%lu", o->jobs);
	add_env(env, "SF_JOBS", v.buf);
	add_env(env, "SF_MINIMAL", o->minimal ? "1" : "0");
	add_env(env, "SF_GPU", o->gpu ? "1" : "0");
	strbuf_reset(&v);
	cargs_lines(o, &v);
	add_env(env, "SF_CONFIGURE_ARGS", v.buf);
	add_env(env, "SF_SYSTEM_LIBS", sys.buf);
	strbuf_reset(&v);
	strbuf_addf(&v, "%lld", p->build.epoch);
	add_env(env, "SOURCE_DATE_EPOCH", v.buf);
	add_env(env, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	add_env(env, "HOME", "/root");
	add_env(env, "LC_ALL", "C");
	strbuf_release(&v);
	strbuf_release(&sys);
}

/* The last lines of a log, for a failed check's message and details. */
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

/* The features configure left out, with why: "a (why); b (why)" from features.txt. */
static char *left_out(const char *features)
{
	struct strbuf out = STRBUF_INIT;
	const char *pos = features, *s, *eq;
	size_t n;

	while (str_next_line(&pos, &s, &n)) {
		eq = memchr(s, '=', n);
		if (eq && (size_t)(s + n - eq) > 4 && !strncmp(eq, "=no: ", 5)) {
			strbuf_addf(&out, "%s%.*s (%.*s)", out.len ? "; " : "", (int)(eq - s), s,
				    (int)(s + n - eq - 5), eq + 5);
		}
	}
	return strbuf_detach(&out);
}

/* The "recipe" check from the command's result; 0 when it built. */
static int judge_recipe(struct check *c, const struct build_opts *o, const char *out,
			int exec_failed, const struct backend_result *res, const char *err,
			struct stage_report *s)
{
	struct strbuf logp = STRBUF_INIT, tail = STRBUF_INIT, line = STRBUF_INIT,
		      cc = STRBUF_INIT, state = STRBUF_INIT;
	int ret = -1;

	strbuf_addf(&logp, "%s/build.log", out);
	if (exec_failed) {
		check_fail(c, OUTCOME_ERROR, "%s: %s", res->no_space ?
			   "the recipe ran out of disk" : "the recipe could not run", err);
	} else if (signals_interrupted()) {
		check_fail(c, OUTCOME_ERROR, "interrupted by signal %d", signals_interrupted());
	} else if (res->exit_code) {
		log_tail(logp.buf, 40, &tail);
		strbuf_last_line(&line, tail.buf, 300);
		check_fail(c, OUTCOME_FAIL, "recipe failed (exit %d%s) after %.0f s: %s",
			   res->exit_code, res->timed_out ? ", timed out" : "", res->duration,
			   line.len ? line.buf : "(empty log)");
		strbuf_add(&c->details, tail.buf, tail.len);
	} else {
		/* "hit KEY", "miss KEY" or "off" from the recipe's configure cache */
		strbuf_addf(&cc, "%s/configure-cache.txt", out);
		slurp(cc.buf, &state);
		strbuf_setlen(&state, strcspn(state.buf, " \n"));
		stage_set_prop(s, "configure_cache", state.len ? state.buf : "off");
		check_set_message(c, "%s, make -j%lu, install and relocation in %.1f s",
				  !strcmp(state.buf, "hit") ? "configured tree from the configure cache"
							    : "configure",
				  o->jobs, res->duration);
		ret = 0;
	}
	strbuf_release(&logp);
	strbuf_release(&tail);
	strbuf_release(&line);
	strbuf_release(&cc);
	strbuf_release(&state);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The "plugins" check: the plugins the tree has (the .so files of lib/slurm), the GPU
 * and MPI ones by name, and the features configure left out with why
 * (features.txt). Its details list every plugin.
 */
static void plugins_check(struct stage_report *s, const char *out)
{
	struct check *c = stage_add_check(s, "plugins");
	struct strbuf dir = STRBUF_INIT, feat = STRBUF_INIT, named = STRBUF_INIT;
	char **names = NULL, *lo;
	size_t nr = 0, alloc = 0, i;
	struct dirent *de;
	DIR *d;

	strbuf_addf(&dir, "%s/software/lib/slurm", out);
	d = opendir(dir.buf);
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 3 && !strcmp(de->d_name + n - 3, ".so")) {
			xgrow((void **)&names, &alloc, nr + 1, sizeof(*names));
			names[nr++] = xstrndup(de->d_name, n - 3);
		}
	}
	if (d)
		closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	for (i = 0; i < nr; i++) {
		strbuf_addf(&c->details, "%s\n", names[i]);
		if (!strncmp(names[i], "gpu_", 4) || !strncmp(names[i], "mpi_", 4))
			strbuf_addf(&named, "%s%s", named.len ? ", " : "", names[i]);
	}
	strbuf_reset(&dir);
	strbuf_addf(&dir, "%s/features.txt", out);
	slurp(dir.buf, &feat);
	lo = left_out(feat.buf);
	strbuf_addf(&c->details, "\nfeatures (features.txt):\n%s", feat.buf);
	check_set_message(c, "%zu plugins built (GPU and MPI: %s); left out: %s", nr,
			  named.len ? named.buf : "none", *lo ? lo : "nothing");
	check_finish(c);
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	free(lo);
	strbuf_release(&dir);
	strbuf_release(&feat);
	strbuf_release(&named);
}

/* A failed build's log, kept as <cache>/logs/build-<version>-<key>-<run>.log. */
static void keep_failed_log(struct check *c, const struct build_opts *o,
			    const struct pipeline *p, const char *out, const char *run_id)
{
	struct strbuf keep = STRBUF_INIT, logp = STRBUF_INIT, e = STRBUF_INIT;

	strbuf_addf(&logp, "%s/build.log", out);
	strbuf_addf(&keep, "%s/logs", o->cache);
	if (!fs_mkdirs(keep.buf, &e)) {
		strbuf_addf(&keep, "/build-%s-%.16s-%s.log", p->src.version, p->build.key, run_id);
		if (!fs_copy_file(logp.buf, keep.buf, 0644, 0, &e))
			check_attach_log(c, keep.buf);
	}
	strbuf_release(&keep);
	strbuf_release(&logp);
	strbuf_release(&e);
}

/* How the lxd backend moved the inputs and outputs, as stage properties. */
static void transfer_props(const struct backend *be, struct stage_report *s)
{
	struct strbuf v = STRBUF_INIT;

	if (be->ops != &backend_lxd_ops)
		return;
	stage_set_prop(s, "lxd_server", be->cfg.lxd.remote ? be->cfg.lxd.remote : "local socket");
	stage_set_prop(s, "lxd_transfer", be->api_transfer ? "api" : "disk");
	stage_set_prop(s, "lxd_privileged", be->cfg.lxd.privileged ? "true" : "false");
	if (be->api_transfer) {
		strbuf_addf(&v, "%.2f", be->xfer_in_seconds);
		stage_set_prop(s, "transfer_in_seconds", v.buf);
		strbuf_reset(&v);
		strbuf_addf(&v, "%llu", be->xfer_in_bytes);
		stage_set_prop(s, "transfer_in_bytes", v.buf);
		strbuf_reset(&v);
		strbuf_addf(&v, "%.2f", be->xfer_out_seconds);
		stage_set_prop(s, "transfer_out_seconds", v.buf);
		strbuf_reset(&v);
		strbuf_addf(&v, "%llu", be->xfer_out_bytes);
		stage_set_prop(s, "transfer_out_bytes", v.buf);
		stage_set_prop(s, "cache_volume_created", be->volume_created ? "true" : "false");
	}
	strbuf_release(&v);
}

/*
 * The recipe's build.log and make.log copied out of the container while it
 * runs (api transfer: its /sf/out comes back only at the end), for the
 * progress lines: through a connection of its own (the progress thread's),
 * at most every few seconds, quietly (a log not there yet is no error).
 */
struct live_logs {
	const struct lxd_opts *opts;
	const char *container;
	const char *dir;            /* the copies, on this machine */
	struct lxd lxd;
	int connected, broken;
	double last;
};

#define LIVE_LOGS_EVERY 5.0

static void live_logs_refresh(void *ctx)
{
	static const char *const names[] = { "build.log", "make.log" };
	struct live_logs *l = ctx;
	struct strbuf e = STRBUF_INIT, local = STRBUF_INIT, path = STRBUF_INIT;
	double now = monotonic_now();
	size_t i;

	if (l->broken || (l->last && now - l->last < LIVE_LOGS_EVERY))
		return;
	l->last = now;
	if (!l->connected) {
		if (lxd_connect(&l->lxd, l->opts, &e)) {
			lxd_release(&l->lxd);
			l->broken = 1;
			goto out;
		}
		l->connected = 1;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		strbuf_reset(&local);
		strbuf_reset(&path);
		strbuf_reset(&e);
		strbuf_addf(&local, "%s/%s", l->dir, names[i]);
		strbuf_addf(&path, "/sf/out/%s", names[i]);
		lxd_file_pull(&l->lxd, l->container, path.buf, local.buf, &e);
	}
out:
	strbuf_release(&e);
	strbuf_release(&local);
	strbuf_release(&path);
}

/* Starts the backend: the "launch" check. 0 when it is ready. */
static int launch(struct backend *be, const struct backend_config *cfg, struct stage_report *s,
		  int *inited)
{
	struct check *c = stage_add_check(s, "launch");
	struct strbuf err = STRBUF_INIT;
	double t = monotonic_now();
	int ret = -1;

	if (backend_init(be, cfg, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	*inited = 1;
	if (backend_prepare(be, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	if (be->ops == &backend_lxd_ops)
		check_set_message(c, "%s (%s) from %s in %.2f s; %s", be->container,
				  cfg->lxd.privileged ? "privileged" : "unprivileged", cfg->image,
				  monotonic_now() - t, be->api_transfer ?
				  "inputs through the files API, outputs back as a tarball" :
				  "host directories as disk devices");
	else
		check_set_message(c, "host backend: the recipe runs on this machine "
				  "(no container; build dependencies of the host are used)");
	ret = 0;
out:
	check_finish(c);
	strbuf_release(&err);
	return ret;
}

static void cleanup(struct backend *be, struct stage_report *s)
{
	struct check *c = stage_add_check(s, "cleanup");
	struct strbuf err = STRBUF_INIT;
	int lxd = be->ops == &backend_lxd_ops;

	if (backend_cleanup(be, &err))
		check_fail(c, OUTCOME_ERROR, "containers left: %s", err.buf);
	else
		check_set_message(c, lxd ? "run %s: container deleted" :
				  "run %s: nothing to delete", be->run_id);
	check_finish(c);
	strbuf_release(&err);
}

/* Runs the recipe into work/out; 0 when it succeeded. */
static int run_recipe(struct run *run, const struct build_opts *o, struct stage_report *s,
		      const char *work, struct check **recipe)
{
	struct pipeline *p = &run->pipe;
	struct strbuf out = STRBUF_INIT, ccache = STRBUF_INIT, cfgcache = STRBUF_INIT,
		      hostbuild = STRBUF_INIT, err = STRBUF_INIT, script = STRBUF_INIT,
		      v = STRBUF_INIT;
	struct strbuf_list env = STRBUF_LIST_INIT;
	struct recipe_paths rp;
	struct backend_mount mounts[5];
	struct lxd_volume_dev vol;
	struct strbuf volname = STRBUF_INIT;
	struct backend_config cfg;
	struct backend_cmd cmd;
	struct backend_result res;
	struct backend be;
	struct check *c;
	char *argv[3];
	int ret = -1, inited = 0, failed;

	backend_result_init(&res);
	strbuf_addf(&out, "%s/out", work);
	if (o->ccache)
		strbuf_addstr(&ccache, o->ccache);
	else
		strbuf_addf(&ccache, "%s/ccache", o->cache);
	strbuf_addf(&cfgcache, "%s/configure-cache", o->cache);
	strbuf_addf(&hostbuild, "%s/work/host-build", o->cache);
	if (fs_mkdirs(out.buf, &err) || fs_mkdirs(ccache.buf, &err) ||
	    fs_mkdirs(cfgcache.buf, &err)) {
		c = stage_add_check(s, "launch");
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	rp.src = p->source_dir;
	rp.recipes = o->recipes_dir;
	rp.out = out.buf;
	rp.ccache = ccache.buf;
	rp.cfgcache = cfgcache.buf;
	rp.hostbuild = hostbuild.buf;
	recipe_env(o, p, &rp, &env);
	/*
	 * lxd: the sources in, the results out, ccache and the configure cache
	 * in the server's volume. The cache directories on this machine seed a
	 * volume this run creates (a new CI runner with a restored cache) and,
	 * the tool's own ones, get its contents back after the build.
	 */
	memset(mounts, 0, sizeof(mounts));
	mounts[0] = (struct backend_mount){ rp.src, "/sf/src", 1, 0, 0 };
	mounts[1] = (struct backend_mount){ rp.recipes, "/sf/recipes", 1, 0, 0 };
	mounts[2] = (struct backend_mount){ rp.out, "/sf/out", 0, 1, 0 };
	mounts[3] = (struct backend_mount){ rp.ccache, LXD_CACHE_PATH "/ccache", 0,
					    !o->ccache, 1 };
	mounts[4] = (struct backend_mount){ rp.cfgcache, LXD_CACHE_PATH "/configure-cache",
					    0, 1, 1 };
	memset(&cfg, 0, sizeof(cfg));
	cfg.kind = o->backend;
	cfg.lxd = o->lxd;
	cfg.image = p->build.image;
	cfg.purpose = "build";
	cfg.mounts = mounts;
	cfg.nr_mounts = 5;
	if (!o->host) {
		cache_volume_name(o, p->build.image, &volname);
		vol.name = "sf-cache";
		vol.volume = volname.buf;
		vol.path = LXD_CACHE_PATH;
		cfg.volumes = &vol;
		cfg.nr_volumes = 1;
		stage_set_prop(s, "cache_volume", volname.buf);
	}
	if (launch(&be, &cfg, s, &inited))
		goto cleanup;

	c = *recipe = stage_add_check(s, "recipe");
	if (o->host)
		strbuf_addstr(&script, o->recipe.buf);
	else
		strbuf_addf(&script, "/sf/recipes/%s", strrchr(o->recipe.buf, '/') + 1);
	argv[0] = "sh";
	argv[1] = script.buf;
	argv[2] = NULL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.env = env.items;
	cmd.timeout = (double)o->timeout;
	cmd.pull = 1;
	if (!run->quiet)
		fprintf(stderr, "build: %s %s (%s) with %lu jobs on %s%s%s; log %s%s/build.log\n",
			p->src.version, p->src.tag ? p->src.tag : "", p->src.commit, o->jobs,
			o->backend, o->host ? "" : " ", o->host ? "" : p->build.image,
			be.api_transfer ? "(copied out of the container when the recipe ends) " :
			"", out.buf);
	{
		/* the phases and objects on stderr; the last build of this version
		 * says how many objects to expect */
		struct build_progress bp;
		struct progress pr;
		struct live_logs ll;
		char *last = xasprintf("%s/builds/%s/logs/make.log", o->cache, p->src.version);
		char *copies = xasprintf("%s/live-logs", work);

		memset(&bp, 0, sizeof(bp));
		memset(&ll, 0, sizeof(ll));
		bp.out = out.buf;
		bp.expect = build_progress_count(last);
		free(last);
		if (be.api_transfer && !run->quiet && !fs_mkdirs(copies, NULL)) {
			ll.opts = &be.cfg.lxd;
			ll.container = be.container;
			ll.dir = copies;
			bp.out = copies;
			bp.refresh = live_logs_refresh;
			bp.refresh_ctx = &ll;
		}
		progress_start(&pr, "build", "launch", build_progress_poll, &bp, run->quiet);
		failed = backend_exec(&be, &cmd, &res, &err);
		progress_stop(&pr);
		if (ll.connected)
			lxd_release(&ll.lxd);
		if (bp.refresh)
			fs_rmtree(copies, NULL);
		free(copies);
	}
	ret = judge_recipe(c, o, out.buf, failed, &res, err.buf, s);
	strbuf_add(&c->details, res.out.buf, res.out.len);
	strbuf_add(&c->details, res.errout.buf, res.errout.len);
	strbuf_addf(&v, "%.1f", res.duration);
	stage_set_prop(s, "recipe_seconds", v.buf);
	transfer_props(&be, s);
	if (ret)
		keep_failed_log(c, o, p, out.buf, be.run_id);
	check_finish(c);
	if (!ret)
		plugins_check(s, out.buf);
cleanup:
	if (inited) {
		cleanup(&be, s);
		backend_release(&be);
		if (o->host)
			fs_rmtree(hostbuild.buf, NULL);
	}
out:
	strbuf_list_release(&env);
	backend_result_release(&res);
	strbuf_release(&out);
	strbuf_release(&ccache);
	strbuf_release(&cfgcache);
	strbuf_release(&hostbuild);
	strbuf_release(&volname);
	strbuf_release(&err);
	strbuf_release(&script);
	strbuf_release(&v);
	return ret;
}

/* --- what package needs ---------------------------------------------- */

/*
 * The recipe's side files (build, make and install logs, what it grafted
 * and found) move to work/logs; the ones named *.log are attached to the
 * recipe check where they will stay once the entry is complete.
 */
static void keep_logs(struct build_result *b, struct check *recipe)
{
	static const char *const kept[] = { "build.log", "make.log", "install.log",
					    "ccache.txt", "configure-cache.txt", "features.txt",
					    "grafted.txt", "host-provided.txt",
					    "grafted-packages.txt", "toolchain.txt", NULL };
	struct strbuf from = STRBUF_INIT, to = STRBUF_INIT, err = STRBUF_INIT;
	size_t i;

	b->logs = xasprintf("%s/logs", b->work);
	fs_mkdirs(b->logs, &err);
	for (i = 0; kept[i]; i++) {
		strbuf_reset(&from);
		strbuf_reset(&to);
		strbuf_addf(&from, "%s/out/%s", b->work, kept[i]);
		strbuf_addf(&to, "%s/%s", b->logs, kept[i]);
		if (!rename(from.buf, to.buf) && strstr(kept[i], ".log")) {
			/* the path it will have in the entry */
			strbuf_reset(&to);
			strbuf_addf(&to, "%s/logs/%s", b->entry, kept[i]);
			check_attach_log(recipe, to.buf);
		}
	}
	strbuf_release(&from);
	strbuf_release(&to);
	strbuf_release(&err);
}

static char *list_of(const char *key, const char *logs, const char *file)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;

	strbuf_addf(&path, "%s/%s", logs, file);
	slurp(path.buf, &text);
	strbuf_release(&path);
	path = text;
	strbuf_init(&text);
	strbuf_addf(&text, "%s=%s", key, path.buf);
	strbuf_release(&path);
	return strbuf_detach(&text);
}

/* The manifest's "build" section: how this tree was made. */
static void manifest_meta(struct build_result *b, const struct build_opts *o,
			  const struct pipeline *p)
{
	struct strbuf cargs = STRBUF_INIT, path = STRBUF_INIT, text = STRBUF_INIT;
	size_t n = 0;

	strbuf_addf(&path, "%s/features.txt", b->logs);
	slurp(path.buf, &text);   /* read once: left_out and the features list */
	b->meta = xcalloc(16, sizeof(*b->meta));
	b->meta[n++] = xasprintf("key=%s", b->key);
	b->meta[n++] = xasprintf("recipe_sha256=%s", b->recipe_sha256);
	b->meta[n++] = xasprintf("image=%s", b->image);
	if (!o->image && !o->host)   /* the default image: debootstrapped from this release */
		b->meta[n++] = xasprintf("release=%s", o->release);
	if (!o->host && p->images.build_packages)
		b->meta[n++] = xasprintf("image_packages_sha256=%s", p->images.build_packages);
	if (p->source_key && !strncmp(p->source_key, "sha256-", 7))
		b->meta[n++] = xasprintf("source_sha256=%s", p->source_key + 7);
	b->meta[n++] = xasprintf("backend=%s", o->backend);
	b->meta[n++] = xasprintf("prefix=%s", o->prefix);
	b->meta[n++] = xasprintf("gpu=%s", o->gpu ? "true" : "false");
	b->meta[n++] = xasprintf("minimal=%s", o->minimal ? "true" : "false");
	{
		char *lo = left_out(text.buf);
		b->meta[n++] = xasprintf("left_out=%s", lo);
		free(lo);
	}
	b->meta[n++] = xstrdup("rpath=DT_RPATH, $ORIGIN-relative (patchelf --force-rpath)");
	b->meta[n++] = xstrdup("debug=stripped (strip --strip-debug)");
	cargs_lines(o, &cargs);
	b->lists = xcalloc(5, sizeof(*b->lists));
	b->lists[0] = xasprintf("configure_args=%s", cargs.buf);
	b->lists[1] = xasprintf("features=%s", text.buf);
	b->lists[2] = list_of("grafted", b->logs, "grafted.txt");
	b->lists[3] = list_of("toolchain", b->logs, "toolchain.txt");
	strbuf_reset(&path);
	strbuf_reset(&text);
	strbuf_addf(&path, "%s/host-provided.txt", b->logs);
	slurp(path.buf, &text);
	b->host_provided = strbuf_detach(&text);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/grafted-packages.txt", b->logs);
	slurp(path.buf, &text);
	b->grafted_packages = strbuf_detach(&text);
	strbuf_release(&cargs);
	strbuf_release(&path);
}

/* --- the stage ---------------------------------------------------------- */

int stage_build(struct run *run, const void *opts, struct strbuf *err)
{
	const struct build_opts *o = opts;
	struct pipeline *p = &run->pipe;
	struct build_result *b = &p->build;
	struct stage_report *s;
	struct strbuf e = STRBUF_INIT;
	struct check *c, *recipe = NULL;
	const char *ext = package_format_ext(o->format);

	if (!p->source_dir) {
		strbuf_addstr(err, "build needs a fetched source (fetch did not run)");
		return -1;
	}
	s = report_add_stage(&run->report, "build");
	stage_set_prop(s, "version", p->src.version);
	if (p->src.tag)
		stage_set_prop(s, "tag", p->src.tag);
	stage_set_prop(s, "commit", p->src.commit);
	stage_set_prop(s, "backend", o->backend);
	stage_set_prop(s, "recipe", o->recipe.buf);
	if (compute_key(run, o, s))
		goto out;
	c = stage_add_check(s, "cache");
	if (!o->no_cache && buildcache_complete(b->entry, p->src.version, ext)) {
		b->cache_hit = 1;
		b->logs = xasprintf("%s/logs", b->entry);
		stage_set_prop(s, "cache", "hit");
		check_set_message(c, "hit: %s (no container started)", b->entry);
		check_finish(c);
		p->built = 1;
		goto out;
	}
	stage_set_prop(s, "cache", o->no_cache ? "bypassed" : "miss");
	check_set_message(c, "%s: %s", o->no_cache ? "--no-cache" : "miss", b->entry);
	check_finish(c);
	if (buildcache_begin(b->builds, b->key, &b->work, &e)) {
		c = stage_add_check(s, "launch");
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		check_finish(c);
		goto out;
	}
	if (run_recipe(run, o, s, b->work, &recipe) || signals_interrupted()) {
		fs_rmtree(b->work, NULL);
		free(b->work);
		b->work = NULL;
		goto out;
	}
	keep_logs(b, recipe);
	b->tree = xasprintf("%s/out/software", b->work);
	manifest_meta(b, o, p);
	p->built = 1;
out:
	if (signals_interrupted())
		s->interrupted = 1;
	stage_finish(s);
	strbuf_release(&e);
	return 0;
}
