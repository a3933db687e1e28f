/*
 * The LXD images: the build image (toolchain and build dependencies) and
 * the runtime image (Lmod and munge, no compiler). An image's alias is a
 * hash of what goes into it (release, package list, init); its property
 * packages_sha256 is a hash of the packages debootstrap installed, which
 * builds are keyed on. `image build` (stage_image.c) and the pipeline stage
 * `images` (stage_images.c) make them the same way.
 */
#ifndef SF_IMAGE_H
#define SF_IMAGE_H

#include "lxd.h"
#include "stages.h"
#include "strbuf.h"

enum image_kind {
	IMAGE_BUILD,
	IMAGE_RUNTIME,
};

struct image_spec {
	enum image_kind kind;
	int gpu;                    /* build image for --gpu: the "gpu:" lines too, non-free */
	const char *release;
	int label_release;          /* name its checks "<kind> image <release>" (several runtimes) */
	struct strbuf pkgfile;      /* the package list */
	struct strbuf alias;        /* sf-build[-gpu]-<release>-<hash> */
	const char *check;          /* shell command a new image must pass */
	const char *mirror;         /* debootstrap's mirror, or NULL */
};

/*
 * The default image of `kind` for this run: the package list beside a
 * --recipe (build) or --script (runtime) given, else the installed one;
 * the Debian `release` (NULL: the run's base, run_base()); --gpu (build
 * kind: the GPU variant); its alias. -1 with `err` (a usage mistake: a bad
 * release, no package list). image_spec_release() in every case.
 */
int image_spec_default(const struct run *run, enum image_kind kind, const char *release,
		       struct image_spec *spec, struct strbuf *err);
void image_spec_release(struct image_spec *spec);

enum image_flag {
	IMAGE_BUILD_MISSING = 1,    /* make the image when it is not in LXD */
	IMAGE_FORCE = 2,            /* make it even when it is */
};

/*
 * Makes sure `spec`'s image is in LXD: looks it up and, with
 * IMAGE_BUILD_MISSING, makes a missing one (debootstrap, pack, import, then
 * its check command in a container). Its packages_sha256 into
 * `packages_sha`. Checks "<kind> image", and those of the making, in `s`;
 * 0 when the image is there.
 */
int image_ensure(struct run *run, struct stage_report *s, const struct image_spec *spec,
		 struct lxd *lxd, unsigned flags, struct strbuf *packages_sha);

#endif
