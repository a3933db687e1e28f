/*
 * package: deterministic artifacts from an install tree, in the reference
 * tool's layout:
 *   slurm-<version>-software.tar.gz   the tree under the top directory software/
 *   slurm-<version>-module.tar.gz     the modulefiles (slurm/<version>.lua)
 *   SHA256SUMS                        "<hex>  <name>" lines (sha256sum -c)
 *   manifest.json                     what was built from what, every file
 *                                     of the software tree with size and hash
 * (.tar.zst with --format zst). The same inputs give the same bytes: the
 * manifest holds no time of packing, host or user names.
 */
#ifndef SF_PACKAGE_H
#define SF_PACKAGE_H

#include <stddef.h>

#include "archive.h"
#include "stages.h"
#include "strbuf.h"

struct package_input {
	const char *tree;            /* install tree: becomes software/ */
	/*
	 * Holds slurm/<version>.lua (the "module tarball" check fails when it
	 * does not); NULL: none, the module tarball holds an empty slurm/.
	 */
	const char *module_dir;
	const char *out_dir;         /* existing directory the artifacts go to */
	const char *version;         /* "24.11.5": names the files */
	const char *tag, *commit;    /* may be NULL */
	long long mtime;             /* SOURCE_DATE_EPOCH */
	enum pack_format format;
	char *const *build_meta;     /* "key=value" for the manifest's "build", NULL-terminated or NULL */
	char *const *lists;          /* "key=a\nb\n" lists for the manifest, NULL-terminated or NULL */
	/*
	 * "name reason" lines or NULL: the libraries the node provides (never
	 * in the tree), the manifest's "host_provided" [{name, reason}]
	 */
	const char *host_provided;
	/*
	 * The recipe's grafted-packages.txt or NULL: tab-separated lines (name,
	 * package, version, source, source version, architecture, licences),
	 * the manifest's build.grafted_packages [{...}]
	 */
	const char *grafted_packages;
};

/* What was written; every string owned (package_output_release). */
struct package_output {
	char *software, *module, *sums, *manifest;   /* paths */
	char *cdx, *spdx;            /* the SBOMs' paths */
	char software_sha256[65], module_sha256[65];
	unsigned long long software_size, module_size;
	size_t nr_files;             /* entries of the software tarball */
};

void package_output_release(struct package_output *o);

/*
 * Packs into in->out_dir and records its checks in stage `s` (software
 * tarball, module tarball, manifest). Returns 0 when everything was
 * written, -1 when not (the checks say why; nothing but this run's own
 * temporary files is ever removed, and they are).
 */
int package_tree(struct stage_report *s, const struct package_input *in,
		 struct package_output *out);

/*
 * The names of a manifest's "host_provided" libraries into `names` (each
 * xstrdup()ed, the array too: the caller frees them). A manifest without
 * the key gives none. With `glibc_floor` non-NULL, the manifest's
 * "glibc_floor" ("2.34", the caller frees; NULL when it has none or it is
 * not a version). -1 with `err` when the file cannot be read, is not a
 * manifest, or a name is not a plain library file name.
 */
int package_manifest_host_provided(const char *manifest, char **glibc_floor,
				   char ***names, size_t *nr,
				   struct strbuf *err);

/* "gz" / "zst" → the format; -1 for anything else. */
int package_format_parse(const char *s, enum pack_format *out);
/* ".tar.gz" / ".tar.zst" */
const char *package_format_ext(enum pack_format f);
/* A SOURCE_DATE_EPOCH value (decimal seconds); -1 on junk. */
int package_parse_epoch(const char *s, long long *out);

#endif
