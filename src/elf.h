/*
 * The libelf adapter: reads what the dynamic loader reads from an ELF file
 * (ELF header, program headers, PT_INTERP, PT_DYNAMIC and its string
 * table, the symbol versions: DT_VERNEED, DT_VERDEF, DT_VERSYM and the
 * dynamic symbols bound to them) plus the section map used to grade where a
 * string sits.
 *
 * The dynamic section is found through the program headers, as ld.so does,
 * not through the section headers a hostile file may fake. Every offset is
 * bounds-checked by libelf (elf_getdata_rawchunk) or here; a malformed or
 * truncated file is an error message, never a crash. Chains that the file
 * links itself (version records) are walked no further than the counts the
 * dynamic section gives, and never past ELF_MAX_VERSIONS records.
 */
#ifndef SF_ELF_H
#define SF_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum elf_region {
	REGION_OTHER,      /* in no section, or an unclassified one */
	REGION_DYNSTR,     /* .dynstr: RPATH, NEEDED, SONAME strings */
	REGION_INTERP,
	REGION_RODATA,     /* .rodata, .data and friends: used at run time */
	REGION_DEBUG,      /* .debug_*, .comment, notes: information only */
	REGION_SYMTAB,     /* .strtab / .symtab */
};

struct elf_section {
	uint64_t offset, size;
	enum elf_region region;
};

/* Undefined symbols named per needed version: the first ones in .dynsym order. */
#define ELF_VERSION_SYMBOLS 4
/* More version records than a .gnu.version index (15 bits) can name: malformed. */
#define ELF_MAX_VERSIONS 0x7fff

/*
 * One version an object needs from a library (DT_VERNEED: one Vernaux
 * record). Its strings are in elf_info.version_strings.
 */
struct elf_verneed {
	const char *lib;       /* vn_file: "libc.so.6" */
	const char *name;      /* vna_name: "GLIBC_2.34" */
	unsigned index;        /* vna_other: the .gnu.version value of its symbols */
	size_t nr_refs;        /* undefined dynamic symbols bound to it */
	const char *symbols[ELF_VERSION_SYMBOLS];   /* the first of them */
	size_t nr_symbols;
};

struct elf_info {
	int cls;               /* ELFCLASS32 / ELFCLASS64 */
	int data;              /* ELFDATA2LSB / MSB */
	unsigned machine;
	unsigned type;         /* ET_EXEC, ET_DYN, ET_REL, ... */
	int dynamic;           /* has PT_DYNAMIC */
	char *interp;          /* PT_INTERP, owned, or NULL */
	char *soname;          /* owned, or NULL */
	char *rpath;           /* DT_RPATH string, owned, or NULL */
	char *runpath;         /* DT_RUNPATH string, owned, or NULL */
	char **needed;         /* DT_NEEDED strings, owned */
	size_t nr_needed;
	int nodeflib;          /* DF_1_NODEFLIB */
	struct elf_verneed *verneed;   /* DT_VERNEED records in file order, owned */
	size_t nr_verneed;
	char *version_strings; /* every string of verneed, one block, owned */
	char **verdef;         /* DT_VERDEF: the versions it defines, without its base name */
	size_t nr_verdef;
	struct elf_section *sections;
	size_t nr_sections;
	/*
	 * elf_parse_exports() only: the names of the dynamic symbols other
	 * objects can bind to (defined; global, weak or unique; default or
	 * protected visibility), in symbol table order, owned.
	 */
	char **exports;
	size_t nr_exports;
};

void elf_info_init(struct elf_info *info);
void elf_info_release(struct elf_info *info);

/* 1 when the buffer starts with the ELF magic. */
int elf_is_elf(const void *data, size_t len);

/*
 * Parses an ELF image held in memory (the caller keeps `data` alive during
 * the call only; everything in `info` is copied). Returns 0, or -1 with
 * `err` describing what is malformed; elf_info_release() `info` either way
 * (after -1 nothing else in it may be used).
 */
int elf_parse(const void *data, size_t len, struct elf_info *info,
	      struct strbuf *err);
/* The same, without the section map (elf_region_at then says REGION_OTHER). */
int elf_parse_dynamic(const void *data, size_t len, struct elf_info *info,
		      struct strbuf *err);

/* elf_parse_dynamic(), and the exported dynamic symbols (info->exports). */
int elf_parse_exports(const void *data, size_t len, struct elf_info *info,
		      struct strbuf *err);

/* The region holding file offset `off`. */
enum elf_region elf_region_at(const struct elf_info *info, uint64_t off);

#endif
