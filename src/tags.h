/*
 * Slurm's tag grammar and version specs: pure logic, no I/O.
 *
 * SchedMD tags a release `slurm-MAJ-MIN-MICRO-REL` (slurm-24-11-5-1) and a
 * pre-release `slurm-MAJ-MIN-MICRO-RELrcN` / `...-RELpreN` (slurm-24-11-0-0rc1)
 * or, before 13.12, `slurm-MAJ-MIN-MICRO-REL-preN` / `-rcN` / `-llN`
 * (slurm-2-3-0-0-pre1). Every other tag ("start") is not a version and is
 * ignored. Versions are ordered by number, never by string:
 *   ll < pre < rc < release   (within the same MAJ.MIN.MICRO-REL)
 *
 * A spec names what a user wants:
 *   latest              the newest release (pre-releases only with allow_pre)
 *   24.11               the newest 24.11.x, highest REL
 *   24.11.5             the highest REL of 24.11.5
 *   24.11.5-1           exactly that release
 *   24.11.0-0rc1        exactly that pre-release (also 24.11.0rc1)
 *   slurm-24-11-5-1     exactly that tag
 * Naming a pre-release exactly never needs allow_pre.
 */
#ifndef SF_TAGS_H
#define SF_TAGS_H

#include <stddef.h>

#include "strbuf.h"

enum pre_kind {
	PRE_LL,       /* -ll1: old LLNL snapshots */
	PRE_PRE,      /* pre1 */
	PRE_RC,       /* rc1 */
	PRE_NONE,     /* a release: sorts after every pre-release */
};

struct slurm_version {
	unsigned long major, minor, micro, rel;
	enum pre_kind pre;
	unsigned long pre_nr;     /* the N of rcN; 0 for a release */
};

/*
 * Parses a tag name. Returns 0 and fills `v` when `tag` is a Slurm version
 * tag, -1 (v untouched) for any other name. Never allocates.
 */
int tag_parse(const char *tag, struct slurm_version *v);

/* <0, 0, >0 like strcmp, by version. */
int version_cmp(const struct slurm_version *a, const struct slurm_version *b);

/*
 * Appends the human version of a tag to `out`: "24.11.5" for REL 1,
 * "2.3.0-2" for another REL, "24.11.0-0rc1" for a pre-release. `tag` must
 * parse (tag_parse() == 0); the digits are kept as written ("24.05").
 */
void tag_version_string(const char *tag, struct strbuf *out);

struct tag_ref {
	char *name;               /* "slurm-24-11-5-1", owned */
	char *commit;             /* hex object id the tag peels to, owned */
	struct slurm_version v;
};

/* Owns its entries; sorted by version (oldest first) after tag_list_sort(). */
struct tag_list {
	struct tag_ref *items;
	size_t nr, alloc;
	size_t ignored;           /* names that were not version tags */
};

void tag_list_init(struct tag_list *l);
void tag_list_release(struct tag_list *l);
/*
 * Adds a tag (name without "refs/tags/") peeling to `commit`. A name that is
 * not a version tag only counts in `ignored`. Returns 1 when added, 0 when
 * ignored. A second entry with the same name replaces the first.
 */
int tag_list_add(struct tag_list *l, const char *name, const char *commit);
void tag_list_sort(struct tag_list *l);
/*
 * Removes `ref` (an entry of `l`) from the list, keeping the order of the
 * others: a tag that turned out not to be a version. `ref` is invalid after.
 */
void tag_list_remove(struct tag_list *l, const struct tag_ref *ref);

/*
 * Resolves `spec` against a sorted list. Returns 0 and points `*out` into
 * `l`, or -1 with `err` saying why (malformed spec, nothing matches, only
 * pre-releases match) and listing the nearest existing versions.
 */
int tags_resolve(const struct tag_list *l, const char *spec, int allow_pre,
		 const struct tag_ref **out, struct strbuf *err);

#endif
