/*
 * images: the LXD images the rest of the walk needs, there before it needs
 * them. The build image when build runs on the lxd backend, the runtime
 * image when smoke does; a missing one is imported from its export in the
 * cache, else made (debootstrap from the Debian mirror) unless
 * --no-image-build; one named with --image or
 * --runtime-image is only looked up. One runtime image per --runtime-base
 * (bullseye,bookworm,trixie), each made like the others. Fills
 * run->pipe.images: the aliases, and the build image's packages_sha256
 * that build keys its cache on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bases.h"
#include "image.h"
#include "lxd.h"
#include "signals.h"
#include "stages.h"

const struct opt images_opts[] = {
	{ "no-image-build", OPT_FLAG, NULL, "use the LXD images as they are: a missing one is an "
	  "error, not built (for those who manage their images)" },
	{ "mirror", OPT_VALUE, "URL", "Debian mirror for debootstrap (default: debootstrap's)" },
	{ NULL, 0, NULL, NULL },
};

struct images_opts {
	int need_build, need_runtime;     /* which images the walk uses */
	struct image_spec build;
	struct image_spec *runtimes;      /* one per runtime base */
	char **bases;                     /* the runtime bases (owned) */
	size_t nr_runtimes;
	const char *build_given, *runtime_given;   /* --image, --runtime-image */
	unsigned flags;
	struct lxd_opts lxd;
};

static int lxd_backend(const struct run *run)
{
	const char *b = cli_get(&run->cli, "backend");

	return !b || !strcmp(b, "lxd");
}

void images_release(void *opts)
{
	struct images_opts *o = opts;
	size_t i;

	if (!o)
		return;
	image_spec_release(&o->build);
	for (i = 0; i < o->nr_runtimes; i++)
		image_spec_release(&o->runtimes[i]);
	free(o->runtimes);
	base_list_free(o->bases, o->nr_runtimes);
	free(o);
}

int images_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct images_opts *o = xcalloc(1, sizeof(*o));
	size_t i;
	int alone;

	*opts = o;
	strbuf_init(&o->build.pkgfile);
	strbuf_init(&o->build.alias);
	/* `images` alone: both; else those the walk's later stages use */
	alone = run->walk_first && run->walk_first == run->walk_last;

	o->need_build = (alone || run_walks(run, "build")) && lxd_backend(run);
	o->need_runtime = (alone || run_walks(run, "smoke")) && lxd_backend(run);
	o->build_given = cli_get(&run->cli, "image");
	o->runtime_given = cli_get(&run->cli, "runtime-image");
	o->flags = cli_flag(&run->cli, "no-image-build") ? 0 : IMAGE_BUILD_MISSING;
	backend_lxd_opts_from_cli(&run->cli, &o->lxd);
	if (o->need_build && image_spec_default(run, IMAGE_BUILD, NULL, &o->build, err))
		return -1;
	if (!o->need_runtime)
		return 0;
	if (run_runtime_bases(run, &o->bases, &o->nr_runtimes, err))
		return -1;
	o->runtimes = xcalloc(o->nr_runtimes, sizeof(*o->runtimes));
	for (i = 0; i < o->nr_runtimes; i++)
		if (image_spec_default(run, IMAGE_RUNTIME, o->bases[i], &o->runtimes[i], err))
			return -1;
		else
			o->runtimes[i].label_release = o->nr_runtimes > 1;
	return 0;
}

/* One image: the given alias looked up, else the default one made if missing. */
static int one_image(struct run *run, struct stage_report *s, struct lxd *lxd,
		     struct image_spec *spec, const char *given, unsigned flags,
		     char **alias, char **packages)
{
	struct strbuf sha = STRBUF_INIT;
	int ret;

	if (given) {
		strbuf_reset(&spec->alias);
		strbuf_addstr(&spec->alias, given);
		flags = 0;          /* an image the user names is theirs: never made here */
	}
	ret = image_ensure(run, s, spec, lxd, flags, &sha);
	if (!ret) {
		*alias = xstrdup(spec->alias.buf);
		*packages = strbuf_detach(&sha);
	}
	strbuf_release(&sha);
	return ret;
}

int stage_images(struct run *run, const void *opts, struct strbuf *err)
{
	struct images_opts *o = (struct images_opts *)opts;
	struct pipeline_images *im = &run->pipe.images;
	struct stage_report *s = report_add_stage(&run->report, "images");
	struct strbuf e = STRBUF_INIT;
	struct lxd lxd;
	size_t i;
	int connected = 0;

	(void)err;
	if (!o->need_build && !o->need_runtime) {
		stage_skip(s, "no stage of this run uses an LXD image (host backend, or no "
			   "build or smoke)");
		return 0;
	}
	if (lxd_connect(&lxd, &o->lxd, &e)) {
		struct check *c = stage_add_check(s, "lxd");
		check_fail(c, OUTCOME_ERROR, "%s", e.buf);
		check_finish(c);
		lxd_release(&lxd);
		goto out;
	}
	connected = 1;
	if (o->need_build &&
	    one_image(run, s, &lxd, &o->build, o->build_given, o->flags, &im->build,
		      &im->build_packages))
		goto out;
	if (o->need_runtime)
		im->runtimes = xcalloc(o->nr_runtimes, sizeof(*im->runtimes));
	for (i = 0; o->need_runtime && i < o->nr_runtimes && !signals_interrupted(); i++) {
		struct pipeline_runtime *rt = &im->runtimes[im->nr_runtimes];
		if (one_image(run, s, &lxd, &o->runtimes[i], o->runtime_given, o->flags,
			      &rt->alias, &rt->packages))
			break;
		rt->base = xstrdup(o->bases[i]);
		im->nr_runtimes++;
	}
	if (im->build)
		stage_set_prop(s, "build_image", im->build);
	for (i = 0; i < im->nr_runtimes; i++) {
		struct strbuf key = STRBUF_INIT;
		/* the first keeps its old name for the dashboards that read it */
		if (i == 0)
			stage_set_prop(s, "runtime_image", im->runtimes[i].alias);
		strbuf_addf(&key, "runtime_image.%s", im->runtimes[i].base);
		stage_set_prop(s, key.buf, im->runtimes[i].alias);
		strbuf_release(&key);
	}
out:
	if (connected)
		lxd_release(&lxd);
	if (signals_interrupted())
		s->interrupted = 1;
	stage_finish(s);
	strbuf_release(&e);
	return 0;
}
