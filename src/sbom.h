/*
 * Software bills of materials of a package: CycloneDX 1.6 JSON and SPDX 2.3
 * JSON, both made from the package's manifest.json alone (pure logic: the
 * caller reads and writes the files, stage_package.c).
 *
 * What they list (docs/sbom.md):
 *   - Slurm: version, tag (pkg:github/schedmd/slurm@TAG), commit, the source
 *     tarball's sha256 when one was used, the software tarball's sha256;
 *   - every grafted library: the Debian binary package that provided it,
 *     its version, source package, pkg:deb purl, licences (Debian short
 *     names mapped to SPDX ids by sbom_spdx_license()), and the sha256 of
 *     the file as it sits in the tarball;
 *   - the libraries the node provides (glibc at the tree's floor, the
 *     manifest's host_provided ones), marked as not shipped;
 *   - the build tools: slurm-factory, the compiler/linker packages, the
 *     build image.
 *
 * Reproducible: the same manifest gives byte-identical documents; the
 * serial number / document namespace is a UUID made from the manifest's
 * sha256, the timestamp is its source_date_epoch.
 */
#ifndef SF_SBOM_H
#define SF_SBOM_H

#include <stddef.h>

#include "strbuf.h"

#define SBOM_CDX_SUFFIX ".cdx.json"
#define SBOM_SPDX_SUFFIX ".spdx.json"

struct sbom_params {
	const char *manifest;         /* manifest.json's text (slurm-factory-manifest/1) */
	const char *tool_version;     /* slurm-factory's version */
};

/* The CycloneDX 1.6 document (pretty JSON, trailing newline) into `out`. */
int sbom_cyclonedx(const struct sbom_params *p, struct strbuf *out, struct strbuf *err);

/* The SPDX 2.3 document (pretty JSON, trailing newline) into `out`. */
int sbom_spdx(const struct sbom_params *p, struct strbuf *out, struct strbuf *err);

/*
 * The SPDX licence id of a Debian copyright short name ("GPL-2+" →
 * "GPL-2.0-or-later", "Expat" → "MIT"; case-insensitive), NULL when the
 * table does not have it: such a name is never guessed.
 */
const char *sbom_spdx_license(const char *debian);

/* Entry `i` of that table (Debian name, its SPDX id into *spdx); NULL past the end. */
const char *sbom_license_entry(size_t i, const char **spdx);

/*
 * pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=DISTRO into `out`, the
 * version percent-encoded (every byte but A-Z a-z 0-9 . - _ ~); arch and
 * distro may be NULL (left out).
 */
void sbom_deb_purl(const char *name, const char *version, const char *arch,
		   const char *distro, struct strbuf *out);

/* "debian-12" for "bookworm" (bullseye 11, trixie 13); NULL for others. */
const char *sbom_debian_distro(const char *release);

#endif
