/*
 * A static simulation of glibc's dynamic loader (elf/dl-load.c), without
 * executing anything. Pure logic: the file system is reached only through
 * the `lookup` callback, so tests can drive it with any tree.
 *
 * Search order for a DT_NEEDED name without a slash, requested by object O
 * loaded through the chain root -> ... -> O:
 *   1. when O has no DT_RUNPATH: DT_RPATH of O, then of each loader up to
 *      the root (objects that have DT_RUNPATH contribute no DT_RPATH: glibc
 *      drops DT_RPATH when DT_RUNPATH is present);
 *   2. (LD_LIBRARY_PATH: never set for a relocatable tree, not simulated)
 *   3. DT_RUNPATH of O only: it is never inherited by O's dependencies;
 *   4. the system: a name matching the allowlist counts as provided by the
 *      base system.
 * A name already loaded in this process (by DT_SONAME or by the name it was
 * loaded under) is not searched again. $ORIGIN is the directory of the path
 * an object was found under; for the root it is its directory in the tree.
 * Entries that are empty, relative or outside the tree are not searched
 * (they cannot be relied on at an unknown prefix); the RPATH checks report
 * them. $PLATFORM depends on the CPU the tree will run on (glibc sets it
 * from the CPU's features: x86_64, haswell or xeon_phi on x86-64): the
 * caller resolves once per value of ldso_platforms() when an entry uses it.
 */
#ifndef SF_LDSO_H
#define SF_LDSO_H

#include <stddef.h>

#include "elf.h"
#include "rules.h"
#include "strbuf.h"
#include "strmap.h"

/* An ELF file of the tree as the loader sees it. */
struct ldso_object {
	const char *rel;              /* path in the tree, e.g. "lib/libfoo.so.1" */
	const struct elf_info *elf;
};

enum ldso_miss {
	LDSO_FOUND,
	LDSO_MISSING,                 /* no such file */
	LDSO_OUTSIDE,                 /* resolves outside the tree */
	LDSO_WRONG_CLASS,             /* an ELF of another class/machine, or not ELF */
};

struct ldso_env {
	const char *root;             /* absolute tree root at the current prefix */
	char *const *allow;           /* fnmatch(3) patterns of system libraries */
	size_t nr_allow;
	/*
	 * Looks up the absolute path `path`; returns the tree object it
	 * resolves to (following symlinks) when it is an ELF of class `cls`
	 * and `machine`, else NULL with *why set.
	 */
	const struct ldso_object *(*lookup)(void *ctx, const char *path, int cls,
					    unsigned machine, enum ldso_miss *why);
	void *ctx;
	/* The value of $PLATFORM for this resolution; NULL: the baseline value. */
	const char *platform;
	/* Called once per (requester, name) that does not resolve. */
	void (*unresolved)(void *ctx, const struct ldso_object *requester,
			   const char *needed, enum rule_id rule, const char *why,
			   const struct ldso_object *root);
	/* Optional: `obj` of the tree was loaded, needed by `loader`. */
	void (*loaded)(void *ctx, const struct ldso_object *obj,
		       const struct ldso_object *loader);
	/*
	 * Optional: `needed`, which `requester` needs, was found only in the
	 * DT_RPATH of `loader`, an object above it in the chain that loaded it.
	 */
	void (*via_loader)(void *ctx, const struct ldso_object *requester,
			   const char *needed, const struct ldso_object *loader);
};

/* Default allowlist: glibc's own libraries, the loader, libgcc_s, libstdc++. */
extern const char *const ldso_default_allow[];

struct strbuf;
/* Appends the default allowlist to `out`, space-separated (for a recipe's or script's environment). */
void ldso_default_allow_join(struct strbuf *out);

/* 1 when `name` (a DT_NEEDED value) matches one of the patterns. */
int ldso_allowed(const struct ldso_env *env, const char *name);

/*
 * Every value glibc can give $PLATFORM for objects of `cls` and `machine`,
 * NULL-terminated; the first is the baseline (AT_PLATFORM of the kernel).
 */
const char *const *ldso_platforms(int cls, unsigned machine);

/*
 * Expands $ORIGIN/${ORIGIN}, $LIB and $PLATFORM in `entry` into `out`, with
 * `platform` as $PLATFORM (NULL: the baseline value). Returns a bit set:
 * 1 when $ORIGIN was used, 2 when an unknown $TOKEN was left as it is,
 * 4 when $PLATFORM was used (the result depends on the CPU).
 */
#define LDSO_USES_ORIGIN 1
#define LDSO_UNKNOWN_TOKEN 2
#define LDSO_USES_PLATFORM 4
int ldso_expand(const char *entry, const char *origin, int cls, unsigned machine,
		const char *platform, struct strbuf *out);

/*
 * Lexically normalises an absolute or relative path (collapses "//", "."
 * and ".."). Returns -1 when ".." climbs above the start of a relative
 * path or above "/".
 */
int path_normalize(const char *path, struct strbuf *out);

/*
 * Resolves every DT_NEEDED of `root` and, recursively, of what it loads.
 * `seen` (owned by the caller, shared between roots of one prefix) holds
 * "requester\nname" keys already reported so each miss is reported once.
 * Returns the number of libraries found inside the tree.
 */
size_t ldso_resolve(const struct ldso_env *env, const struct ldso_object *root,
		    struct strmap *seen);

#endif
