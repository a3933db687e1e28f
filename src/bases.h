/*
 * The Debian releases slurm-factory builds on and proves on: one table,
 * the one place that says what each base is (its number, the glibc its
 * libc6 ships, the distributions a package built there reaches). Build
 * images, runtime images, the SBOM's purls, verify's default limit and
 * the docs read it. No I/O.
 */
#ifndef SF_BASES_H
#define SF_BASES_H

#include <stddef.h>

#include "strbuf.h"

struct base {
	const char *name;        /* "bullseye" */
	const char *number;      /* "11" */
	const char *target;      /* its row in symver_targets: "debian11" (glibc, libstdc++) */
	const char *distro;      /* the purl qualifier: "debian-11" */
	const char *reaches;     /* what a package built on it runs on (docs, --help) */
};

/* NULL-name terminated, oldest first. */
extern const struct base bases[];

/* The row of `name`, or NULL for a release the table does not know. */
const struct base *base_find(const char *name);

/* The glibc `name`'s libc6 ships ("2.31"), or NULL when unknown. */
const char *base_glibc(const char *name);

/* 1 when `name` looks like a Debian release name (lower-case letters only). */
int base_name_ok(const char *name);

/*
 * Splits a comma-separated list ("bullseye,bookworm,trixie") into names,
 * each checked with base_name_ok and listed once. -1 with `err` for an
 * empty list, an empty item, a bad name or a repeated one. `*names` (an
 * array of *nr strings) is the caller's: base_list_free().
 */
int base_list_parse(const char *list, char ***names, size_t *nr, struct strbuf *err);
void base_list_free(char **names, size_t nr);

/*
 * The oldest glibc among `names` and the name that ships it, for
 * verify's default --max-glibc: -1 when one of them is not in the table
 * (its glibc is unknown).
 */
int base_min_glibc(char *const *names, size_t nr, const char **glibc, const char **which);

#endif
