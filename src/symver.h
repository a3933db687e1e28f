/*
 * The glibc floor: which versions of the system's C and C++ runtime a tree
 * needs, from the symbol versions its ELF files need (DT_VERNEED, read by
 * elf.c). Pure logic: version names and numbers, their order, the floor of
 * a tree, the gate's limits and the table of known targets. No I/O; the
 * callers (verify, package) feed it the ELF files they have parsed.
 *
 * Families: GLIBC_ (libc, libm, ld.so, ...), GLIBCXX_ and CXXABI_
 * (libstdc++), GCC_ (libgcc_s). Other version names (GLIBC_PRIVATE,
 * GLIBC_ABI_DT_RELR, a library's own LIBFOO_1.0) belong to no family and
 * are ignored. A version defined (DT_VERDEF) by a library of the tree whose
 * soname is the one the need names is satisfied in the tree: it is no
 * system requirement (a grafted libstdc++ carries its GLIBCXX_ versions;
 * what it needs from glibc still counts).
 */
#ifndef SF_SYMVER_H
#define SF_SYMVER_H

#include <stddef.h>

#include "elf.h"
#include "strbuf.h"
#include "strmap.h"

enum symver_family {
	SYMVER_GLIBC,
	SYMVER_GLIBCXX,
	SYMVER_CXXABI,
	SYMVER_GCC,
	SYMVER_FAMILIES
};

#define SYMVER_PARTS 4

/* A version number: 2.2.5 is { 2, 2, 5 }, nr 3. nr 0: none. */
struct symver {
	unsigned part[SYMVER_PARTS];
	unsigned nr;
};

/* "GLIBC", "GLIBCXX", "CXXABI", "GCC". */
const char *symver_family_name(enum symver_family f);
/* What the family's floor is called in reports: "glibc_floor", "glibcxx_floor", ... */
const char *symver_family_key(enum symver_family f);

/* "2.34" -> { 2, 34 }: 1 to SYMVER_PARTS decimal numbers up to 65535 joined by dots. */
int symver_parse(const char *s, struct symver *v);
/* "GLIBC_2.34" -> SYMVER_GLIBC, 2.34; -1 for a name of no family. */
int symver_parse_name(const char *name, enum symver_family *f, struct symver *v);
/* <0, 0, >0 by number, missing parts counting as 0 (3.4 == 3.4.0). */
int symver_cmp(const struct symver *a, const struct symver *b);
/* Appends "2.34" (nothing for nr 0). */
void symver_format(struct strbuf *out, const struct symver *v);

/*
 * A distribution release and the runtime its base system ships: glibc
 * (and libstdc++, NULL where the release updates it within its life).
 * docs/relocatability.md says where each number comes from.
 */
struct symver_target {
	const char *name;        /* "rhel8" */
	const char *glibc;       /* "2.28" */
	const char *glibcxx;     /* "3.4.25", or NULL: not fixed */
};
/* NULL-name terminated. */
extern const struct symver_target symver_targets[];
const struct symver_target *symver_target_find(const char *name);
/* Appends "rhel7, centos7, ..." */
void symver_target_names(struct strbuf *out);

/*
 * The newest CXXABI_ of a libstdc++ whose newest GLIBCXX_ is `glibcxx`,
 * from the libstdc++ manual's table of GCC releases; -1 when `glibcxx` is
 * older than the table (then CXXABI_ is not limited).
 */
int symver_cxxabi_for(const struct symver *glibcxx, struct symver *cxxabi);

/* What the gate allows, per family; nr 0: no limit. */
struct symver_limits {
	struct symver max[SYMVER_FAMILIES];
	char *source[SYMVER_FAMILIES];  /* what set it: "--max-glibc 2.28", owned */
};

void symver_limits_init(struct symver_limits *l);
void symver_limits_release(struct symver_limits *l);
/*
 * The limits from --max-glibc, --max-glibcxx and --target (each may be
 * NULL): the target gives both numbers, an explicit option replaces its
 * number; a GLIBCXX_ limit also limits CXXABI_ (symver_cxxabi_for). -1
 * with `err` for a malformed number or an unknown target (naming the
 * known ones).
 */
int symver_limits_set(struct symver_limits *l, const char *max_glibc,
		      const char *max_glibcxx, const char *target, struct strbuf *err);

/* One version of a family that one file of the tree needs. */
struct symver_need {
	size_t file;                 /* index into symver_floor.files */
	const struct elf_verneed *v; /* the record: library, name, symbols (borrowed) */
	enum symver_family family;
	struct symver version;
	int in_tree;                 /* defined by a library of the tree */
};

/*
 * The floor of one tree. The ELF files added are borrowed (a tree holds
 * thousands of versions: copying them cost more than reading them): each
 * must outlive the floor. top[f] (after symver_floor_finish) is the newest
 * version of family f the tree needs from the system, nr 0 when none.
 */
struct symver_floor {
	const char **files;          /* paths in the tree (borrowed) */
	size_t nr_files, alloc_files;
	struct symver_need *needs;   /* owned */
	size_t nr_needs, alloc_needs;
	struct strmap defined;       /* "soname\nversion" defined in the tree */
	struct strmap defined_names; /* the versions alone, to look up the pair only for them */
	struct symver top[SYMVER_FAMILIES];
};

void symver_floor_init(struct symver_floor *fl);
void symver_floor_release(struct symver_floor *fl);
/* Adds what the ELF file at `rel` needs and defines; `rel` and `elf` must outlive `fl`. */
void symver_floor_add(struct symver_floor *fl, const char *rel, const struct elf_info *elf);
/* Sets apart what the tree defines itself and computes top[]. Call once, after every add. */
void symver_floor_finish(struct symver_floor *fl);

/*
 * One line: "runs on glibc ≥ 2.34 (__libc_start_main@GLIBC_2.34 in bin/app
 * and 2 more files); from the system also GLIBCXX_3.4.30, CXXABI_1.3.13, GCC_3.0".
 */
void symver_floor_summary(const struct symver_floor *fl, struct strbuf *out);
/* Per family, the files that need its top version and their symbols, a line each. */
void symver_floor_details(const struct symver_floor *fl, struct strbuf *out);

/*
 * Calls `too_new` once per file and family that needs more from the system
 * than `lim` allows: `entry` is "symbol@VERSION" (or the version when no
 * symbol is known), `message` names the versions, symbols and the limit.
 * Returns the number of calls.
 */
size_t symver_floor_gate(const struct symver_floor *fl, const struct symver_limits *lim,
			 void (*too_new)(void *ctx, const char *file, const char *entry,
					 const char *message),
			 void *ctx);

#endif
