/*
 * Build prefixes verify was not told about, inferred from the tree itself.
 * Pure logic (no I/O): the caller hands in what it read.
 *
 * An absolute path in an RPATH/RUNPATH, a #! line, a .pc, .la, *-config,
 * .cmake file or a configuration file, whose tail names something that
 * exists in the tree, tells where the tree was built: "/b/app/lib/private"
 * in a tree with lib/private is the build prefix "/b/app". A .pc file's
 * `prefix=` is one by definition. System locations (/usr, /etc, /lib...)
 * and one-component prefixes are never inferred: too many trees name them
 * on purpose.
 */
#ifndef SF_INFER_H
#define SF_INFER_H

#include <stddef.h>
#include <sys/types.h>

#include "strmap.h"

struct infer_cand {
	char *path;          /* the absolute path as found */
	char *rel;           /* the file it is in */
	const char *kind;    /* "RPATH", "#! line", ".pc prefix", ... (static) */
	unsigned min_tail;   /* components the tail must have to count */
};

struct infer_prefix {
	char *prefix;
	char *rel;           /* where it was first seen */
	const char *kind;
	char *evidence;      /* the path that gave it away */
};

struct infer {
	struct infer_cand *cands;
	size_t nr_cands, alloc_cands;
	struct strmap have;  /* "kind\npath": each candidate once */
	struct infer_prefix *found;
	size_t nr_found, alloc_found;
};

void infer_init(struct infer *inf);
void infer_release(struct infer *inf);

/* One absolute path found in `rel`; paths not starting with '/' are ignored. */
void infer_add(struct infer *inf, const char *path, const char *rel, const char *kind,
	       unsigned min_tail);

/*
 * The candidates of a text file: its #! interpreter, a .pc file's prefix=,
 * every absolute path of .pc, .la, *-config and .cmake files (tail of one
 * component) and of configuration files (`config`: tail of two).
 */
void infer_scan_text(struct infer *inf, const char *rel, const char *buf, size_t len,
		     int config);

/* The candidates of an RPATH/RUNPATH list (absolute entries). */
void infer_scan_rpath(struct infer *inf, const char *rel, const char *list, const char *tag);

/*
 * Turns the candidates into prefixes: for each, the longest tail that
 * `paths` (every path of the tree, relative) holds, and the rest as the
 * prefix, when plausible and neither the candidate nor the prefix is one
 * of `known` or under one (already looked for).
 * Fills inf->found, each prefix once, sorted.
 */
void infer_resolve(struct infer *inf, const struct strmap *paths, char *const *known,
		   size_t nr_known);

/* 1 when `prefix` could be a build prefix: two components or more, not a system place. */
int infer_plausible(const char *prefix);

/*
 * 1 when `interp`, a #! interpreter, is an absolute path outside the
 * system's usual directories (/bin, /usr/bin, /sbin, /usr/sbin,
 * /usr/local/bin, /usr/local/sbin, /usr/libexec): it exists on the build
 * machine only.
 */
int infer_shebang_foreign(const char *interp);

/* The interpreter of a #! line into `out` ("" when not one). */
void infer_shebang(const char *buf, size_t len, char *out, size_t size);

#endif
