/* The only file that includes libelf. */
#include "elf.h"

#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

void elf_info_init(struct elf_info *info)
{
	memset(info, 0, sizeof(*info));
}

void elf_info_release(struct elf_info *info)
{
	size_t i;

	free(info->interp);
	free(info->soname);
	free(info->rpath);
	free(info->runpath);
	for (i = 0; i < info->nr_needed; i++)
		free(info->needed[i]);
	free(info->needed);
	free(info->verneed);
	free(info->version_strings);
	for (i = 0; i < info->nr_verdef; i++)
		free(info->verdef[i]);
	free(info->verdef);
	free(info->sections);
	for (i = 0; i < info->nr_exports; i++)
		free(info->exports[i]);
	free(info->exports);
	elf_info_init(info);
}

int elf_is_elf(const void *data, size_t len)
{
	return len >= 4 && !memcmp(data, ELFMAG, SELFMAG);
}

/*
 * Maps a virtual address to a file offset through the PT_LOAD segments;
 * `*rest` is what the segment holds from there on in the file.
 */
static int vaddr_to_offset(const GElf_Phdr *loads, size_t nr, uint64_t vaddr,
			   uint64_t *off, uint64_t *rest)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (vaddr >= loads[i].p_vaddr &&
		    vaddr - loads[i].p_vaddr < loads[i].p_filesz) {
			*off = loads[i].p_offset + (vaddr - loads[i].p_vaddr);
			*rest = loads[i].p_filesz - (vaddr - loads[i].p_vaddr);
			return 0;
		}
	}
	return -1;
}

/* A string at `idx` in the string table [str, str+strsz), copied, or NULL. */
static char *strtab_dup(const char *str, size_t strsz, uint64_t idx)
{
	const char *s, *nul;

	if (idx >= strsz)
		return NULL;
	s = str + idx;
	nul = memchr(s, '\0', strsz - idx);
	if (!nul)
		return NULL;
	return xstrndup(s, (size_t)(nul - s));
}

static enum elf_region classify(const char *name, unsigned type)
{
	if (!name)
		return REGION_OTHER;
	if (!strcmp(name, ".dynstr"))
		return REGION_DYNSTR;
	if (!strcmp(name, ".interp"))
		return REGION_INTERP;
	if (!strncmp(name, ".debug", 6) || !strncmp(name, ".zdebug", 7) ||
	    !strcmp(name, ".comment") || !strncmp(name, ".note", 5) ||
	    !strcmp(name, ".gnu_debuglink") || !strcmp(name, ".gnu_debugaltlink"))
		return REGION_DEBUG;
	if (!strcmp(name, ".strtab") || !strcmp(name, ".symtab") || type == SHT_SYMTAB)
		return REGION_SYMTAB;
	if (!strncmp(name, ".rodata", 7) || !strncmp(name, ".data", 5) ||
	    !strcmp(name, ".init_array") || !strcmp(name, ".fini_array"))
		return REGION_RODATA;
	return REGION_OTHER;
}

static void read_sections(Elf *e, struct elf_info *info)
{
	size_t shstrndx, n = 0, alloc = 0;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(e, &shstrndx) != 0)
		return;
	while ((scn = elf_nextscn(e, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		xgrow((void **)&info->sections, &alloc, n + 1, sizeof(*info->sections));
		info->sections[n].offset = sh.sh_offset;
		info->sections[n].size = sh.sh_size;
		info->sections[n].region = classify(name, sh.sh_type);
		n++;
		if (n > 65536)
			break;
	}
	info->nr_sections = n;
}

enum elf_region elf_region_at(const struct elf_info *info, uint64_t off)
{
	size_t i;

	for (i = 0; i < info->nr_sections; i++) {
		const struct elf_section *s = &info->sections[i];
		if (off >= s->offset && off - s->offset < s->size)
			return s->region;
	}
	return REGION_OTHER;
}

/*
 * 1 when [off, off + size) lies inside a file of `len` bytes. Written so
 * that nothing can wrap: `off` and `size` come from the file.
 */
static int range_in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* The program headers parse() keeps: the loadable segments and PT_DYNAMIC. */
struct segments {
	GElf_Phdr *loads;
	size_t nr_loads, alloc_loads;
	GElf_Phdr dyn;
	int have_dyn;
	const unsigned char *data;   /* the whole file */
	size_t len;
};

/*
 * What the dynamic section names: strings as indexes into its string
 * table, tables as addresses.
 */
struct dyn_refs {
	uint64_t strtab_vaddr, strsz, rpath, runpath, soname;
	int has_strtab, has_strsz, has_rpath, has_runpath, has_soname;
	uint64_t *needed;
	size_t nr_needed, alloc_needed;
	uint64_t verneed, verneednum, verdef, verdefnum, versym, symtab, syment;
	uint64_t hash, gnu_hash;
	int has_verneed, has_verdef, has_versym, has_symtab, has_syment;
	int has_hash, has_gnu_hash;
};

/* The ELF header into `eh` and `info`, and the number of program headers. */
static int read_header(Elf *e, GElf_Ehdr *eh, size_t *phnum,
		       struct elf_info *info, struct strbuf *err)
{
	if (!gelf_getehdr(e, eh)) {
		strbuf_addf(err, "bad ELF header: %s", elf_errmsg(-1));
		return -1;
	}
	info->cls = eh->e_ident[EI_CLASS];
	info->data = eh->e_ident[EI_DATA];
	info->machine = eh->e_machine;
	info->type = eh->e_type;
	if (elf_getphdrnum(e, phnum) != 0) {
		strbuf_addf(err, "bad program headers: %s", elf_errmsg(-1));
		return -1;
	}
	return 0;
}

/* Both header tables inside the file, and program headers where ld.so needs them. */
static int check_header_tables(const GElf_Ehdr *eh, size_t len, struct strbuf *err)
{
	/* libelf quietly clamps a table that does not fit: say it is truncated */
	if (eh->e_phnum && (eh->e_phentsize == 0 ||
			    !range_in_file(eh->e_phoff,
					   (uint64_t)eh->e_phnum * eh->e_phentsize, len))) {
		strbuf_addf(err, "truncated: the program header table (%u entries at "
			    "offset %llu) goes past the end of the file (%zu bytes)",
			    (unsigned)eh->e_phnum, (unsigned long long)eh->e_phoff, len);
		return -1;
	}
	if (eh->e_shnum &&
	    !range_in_file(eh->e_shoff, (uint64_t)eh->e_shnum * eh->e_shentsize, len)) {
		strbuf_addf(err, "truncated: the section header table goes past the end "
			    "of the file (%zu bytes)", len);
		return -1;
	}
	if ((eh->e_type == ET_EXEC || eh->e_type == ET_DYN) && !eh->e_phnum) {
		strbuf_addstr(err, "an executable or shared object without program headers");
		return -1;
	}
	return 0;
}

/* PT_INTERP: a NUL-terminated path inside the file. */
static int read_interp(const void *data, size_t len, const GElf_Phdr *ph,
		       struct elf_info *info, struct strbuf *err)
{
	if (!range_in_file(ph->p_offset, ph->p_filesz, len) || ph->p_filesz == 0) {
		strbuf_addstr(err, "PT_INTERP lies outside the file");
		return -1;
	}
	info->interp = strtab_dup((const char *)data + ph->p_offset, ph->p_filesz, 0);
	if (!info->interp) {
		strbuf_addstr(err, "PT_INTERP is not a terminated string");
		return -1;
	}
	return 0;
}

/*
 * Walks the program headers: collects the PT_LOAD segments (each inside
 * the file), the first PT_DYNAMIC and the first PT_INTERP.
 */
static int read_program_headers(Elf *e, const void *data, size_t len, size_t phnum,
				struct segments *seg, struct elf_info *info,
				struct strbuf *err)
{
	size_t i;

	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			strbuf_addf(err, "program header %zu is truncated: %s", i,
				    elf_errmsg(-1));
			return -1;
		}
		if (ph.p_type == PT_LOAD && !range_in_file(ph.p_offset, ph.p_filesz, len)) {
			strbuf_addf(err, "truncated: a loadable segment ends at %llu, past the "
				    "end of the file (%zu bytes)",
				    (unsigned long long)(ph.p_offset + ph.p_filesz), len);
			return -1;
		}
		if (ph.p_type == PT_LOAD) {
			xgrow((void **)&seg->loads, &seg->alloc_loads, seg->nr_loads + 1,
			      sizeof(*seg->loads));
			seg->loads[seg->nr_loads++] = ph;
		} else if (ph.p_type == PT_DYNAMIC && !seg->have_dyn) {
			seg->dyn = ph;
			seg->have_dyn = 1;
		} else if (ph.p_type == PT_INTERP && !info->interp) {
			if (read_interp(data, len, &ph, info, err))
				return -1;
		}
	}
	return 0;
}

/* Notes one dynamic entry; the strings are read once the table is known. */
static void note_dynamic_entry(const GElf_Dyn *d, struct dyn_refs *refs,
			       struct elf_info *info)
{
	switch (d->d_tag) {
	case DT_STRTAB: refs->strtab_vaddr = d->d_un.d_ptr; refs->has_strtab = 1; break;
	case DT_STRSZ: refs->strsz = d->d_un.d_val; refs->has_strsz = 1; break;
	case DT_RPATH: refs->rpath = d->d_un.d_val; refs->has_rpath = 1; break;
	case DT_RUNPATH: refs->runpath = d->d_un.d_val; refs->has_runpath = 1; break;
	case DT_SONAME: refs->soname = d->d_un.d_val; refs->has_soname = 1; break;
	case DT_FLAGS_1:
		if (d->d_un.d_val & DF_1_NODEFLIB)
			info->nodeflib = 1;
		break;
	case DT_VERNEED: refs->verneed = d->d_un.d_ptr; refs->has_verneed = 1; break;
	case DT_VERNEEDNUM: refs->verneednum = d->d_un.d_val; break;
	case DT_VERDEF: refs->verdef = d->d_un.d_ptr; refs->has_verdef = 1; break;
	case DT_VERDEFNUM: refs->verdefnum = d->d_un.d_val; break;
	case DT_VERSYM: refs->versym = d->d_un.d_ptr; refs->has_versym = 1; break;
	case DT_SYMTAB: refs->symtab = d->d_un.d_ptr; refs->has_symtab = 1; break;
	case DT_SYMENT: refs->syment = d->d_un.d_val; refs->has_syment = 1; break;
	case DT_HASH: refs->hash = d->d_un.d_ptr; refs->has_hash = 1; break;
	case DT_GNU_HASH: refs->gnu_hash = d->d_un.d_ptr; refs->has_gnu_hash = 1; break;
	case DT_NEEDED:
		xgrow((void **)&refs->needed, &refs->alloc_needed, refs->nr_needed + 1,
		      sizeof(*refs->needed));
		refs->needed[refs->nr_needed++] = d->d_un.d_val;
		break;
	}
}

/* The entries of PT_DYNAMIC up to DT_NULL (libelf checks it is in the file). */
static int read_dynamic_section(Elf *e, const GElf_Phdr *dyn, struct dyn_refs *refs,
				struct elf_info *info, struct strbuf *err)
{
	Elf_Data *dd;
	size_t i;

	dd = elf_getdata_rawchunk(e, (int64_t)dyn->p_offset, dyn->p_filesz, ELF_T_DYN);
	if (!dd) {
		strbuf_addf(err, "PT_DYNAMIC lies outside the file: %s", elf_errmsg(-1));
		return -1;
	}
	for (i = 0;; i++) {
		GElf_Dyn d;

		if (!gelf_getdyn(dd, (int)i, &d))
			break; /* ran off the end without DT_NULL: tolerated as ld.so would not */
		if (d.d_tag == DT_NULL)
			break;
		note_dynamic_entry(&d, refs, info);
		if (i > 100000) {
			strbuf_addstr(err, "dynamic section is absurdly long");
			return -1;
		}
	}
	return 0;
}

/* "The rest of the segment": map_vaddr's size for tables of unknown length. */
#define REST_OF_SEGMENT UINT64_MAX

/*
 * `size` bytes at the loaded address `vaddr`, found as ld.so finds them:
 * mapped to a file offset through the loadable segments, and checked to
 * be inside the file. `what` names the table in the error.
 */
static int map_vaddr(const struct segments *seg, uint64_t vaddr, uint64_t size,
		     const unsigned char **p, size_t *len, const char *what, struct strbuf *err)
{
	uint64_t off, rest;

	if (vaddr_to_offset(seg->loads, seg->nr_loads, vaddr, &off, &rest)) {
		strbuf_addf(err, "%s address 0x%llx is in no loaded segment", what,
			    (unsigned long long)vaddr);
		return -1;
	}
	if (size == REST_OF_SEGMENT)
		size = rest;
	if (!size || !range_in_file(off, size, seg->len)) {
		strbuf_addf(err, "%s lies outside the file (%llu bytes at offset %llu)", what,
			    (unsigned long long)size, (unsigned long long)off);
		return -1;
	}
	*p = seg->data + off;
	*len = (size_t)size;
	return 0;
}

/* The dynamic string table: DT_STRSZ bytes at DT_STRTAB. */
static int map_dynstr(const struct segments *seg, const struct dyn_refs *refs,
		      const char **str, size_t *strsz, struct strbuf *err)
{
	const unsigned char *p;

	if (map_vaddr(seg, refs->strtab_vaddr, refs->strsz, &p, strsz,
		      "DT_STRTAB", err))
		return -1;
	*str = (const char *)p;
	return 0;
}

/* A copy of the string at `idx` of the table into `dst`, or -1 naming `what`. */
static int dup_dynstr(char **dst, const char *str, size_t strsz, uint64_t idx,
		      const char *what, struct strbuf *err)
{
	*dst = strtab_dup(str, strsz, idx);
	if (!*dst) {
		strbuf_addf(err, "%s string at index %llu is outside the string table",
			    what, (unsigned long long)idx);
		return -1;
	}
	return 0;
}

/*
 * DT_RPATH, DT_RUNPATH, DT_SONAME and every DT_NEEDED, copied into `info`;
 * the string table into *str and *strsz (NULL when there is none).
 */
static int read_dynamic_strings(const struct segments *seg,
				const struct dyn_refs *refs, struct elf_info *info,
				const char **strp, size_t *strszp, struct strbuf *err)
{
	const char *str;
	size_t strsz, i, alloc_needed = 0;

	*strp = NULL;
	*strszp = 0;
	if (!refs->has_strtab || !refs->has_strsz) {
		if (refs->nr_needed || refs->has_rpath || refs->has_runpath ||
		    refs->has_soname || refs->has_verneed || refs->has_verdef) {
			strbuf_addstr(err, "dynamic section has strings but no DT_STRTAB/DT_STRSZ");
			return -1;
		}
		return 0;
	}
	if (map_dynstr(seg, refs, &str, &strsz, err))
		return -1;
	*strp = str;
	*strszp = strsz;
	if (refs->has_rpath &&
	    dup_dynstr(&info->rpath, str, strsz, refs->rpath, "DT_RPATH", err))
		return -1;
	if (refs->has_runpath &&
	    dup_dynstr(&info->runpath, str, strsz, refs->runpath, "DT_RUNPATH", err))
		return -1;
	if (refs->has_soname &&
	    dup_dynstr(&info->soname, str, strsz, refs->soname, "DT_SONAME", err))
		return -1;
	for (i = 0; i < refs->nr_needed; i++) {
		xgrow((void **)&info->needed, &alloc_needed, info->nr_needed + 1,
		      sizeof(*info->needed));
		if (dup_dynstr(&info->needed[info->nr_needed], str, strsz,
			       refs->needed[i], "DT_NEEDED", err))
			return -1;
		info->nr_needed++;
	}
	return 0;
}

/* --- symbol versions ------------------------------------------------ */

/*
 * A table of the file read field by field in the file's byte order, so
 * that every offset is checked here against what the file holds.
 */
struct table {
	const unsigned char *p;
	size_t len;
	int msb;
};

/* The 16-bit field at `off`, which the caller has checked is inside `t`. */
static inline unsigned u16_at(const struct table *t, uint64_t off)
{
	return t->msb ? (unsigned)t->p[off] << 8 | t->p[off + 1] :
			(unsigned)t->p[off + 1] << 8 | t->p[off];
}

static inline uint32_t u32_at(const struct table *t, uint64_t off)
{
	return t->msb ? (uint32_t)u16_at(t, off) << 16 | u16_at(t, off + 2) :
			(uint32_t)u16_at(t, off + 2) << 16 | u16_at(t, off);
}

static int get_u16(const struct table *t, uint64_t off, unsigned *v)
{
	if (!range_in_file(off, 2, t->len))
		return -1;
	*v = u16_at(t, off);
	return 0;
}

static int get_u32(const struct table *t, uint64_t off, uint32_t *v)
{
	if (!range_in_file(off, 4, t->len))
		return -1;
	*v = u32_at(t, off);
	return 0;
}

static int map_table(const struct segments *seg, const struct elf_info *info,
		     uint64_t vaddr, uint64_t size, struct table *t, const char *what,
		     struct strbuf *err)
{
	t->msb = info->data == ELFDATA2MSB;
	return map_vaddr(seg, vaddr, size, &t->p, &t->len, what, err);
}

/*
 * The dynamic string table, and what the strings of the version records
 * taken from it will need once copied (version_strings).
 */
struct strtab {
	const char *str;
	size_t size;
	size_t total;
};

/*
 * The string at `idx` of the table into *s (pointing into the file until
 * copy_version_strings()), when it is inside and terminated; else -1
 * naming `what`.
 */
static int take_str(struct strtab *st, uint64_t idx, const char **s, const char *what,
		    struct strbuf *err)
{
	const char *nul = idx < st->size ? memchr(st->str + idx, '\0', st->size - idx) : NULL;

	if (!nul) {
		strbuf_addf(err, "%s string at index %llu is outside the string table", what,
			    (unsigned long long)idx);
		return -1;
	}
	*s = st->str + idx;
	st->total += (size_t)(nul - *s) + 1;
	return 0;
}

static const char *copy_str(char **to, const char *s)
{
	size_t n = strlen(s) + 1;
	const char *at = *to;

	memcpy(*to, s, n);
	*to += n;
	return at;
}

/* Every string of info->verneed, which points into the file, copied into one block. */
static void copy_version_strings(struct elf_info *info, size_t total)
{
	char *to = info->version_strings = xmalloc(total ? total : 1);
	size_t i, j;

	for (i = 0; i < info->nr_verneed; i++) {
		struct elf_verneed *v = &info->verneed[i];

		v->lib = copy_str(&to, v->lib);
		v->name = copy_str(&to, v->name);
		for (j = 0; j < v->nr_symbols; j++)
			v->symbols[j] = copy_str(&to, v->symbols[j]);
	}
}

/*
 * Elf32_Verneed/Vernaux/Verdef/Verdaux have the same layout in both
 * classes: these are their sizes and field offsets (elf.h).
 */
enum {
	VN_VERSION = 0, VN_CNT = 2, VN_FILE = 4, VN_AUX = 8, VN_NEXT = 12,
	VNA_FLAGS = 4, VNA_OTHER = 6, VNA_NAME = 8, VNA_NEXT = 12,
	VD_VERSION = 0, VD_FLAGS = 2, VD_CNT = 6, VD_AUX = 12, VD_NEXT = 16,
	VDA_NAME = 0,
};

/* One Vernaux record at `pos` of `t`, needed from the library `lib`. */
static int read_vernaux(const struct table *t, uint64_t pos, struct strtab *st,
			uint32_t lib, struct elf_info *info, size_t *alloc,
			uint32_t *next, struct strbuf *err)
{
	struct elf_verneed *v;
	unsigned other;
	uint32_t name;

	if (get_u16(t, pos + VNA_OTHER, &other) || get_u32(t, pos + VNA_NAME, &name) ||
	    get_u32(t, pos + VNA_NEXT, next)) {
		strbuf_addf(err, "DT_VERNEED: version record %zu lies outside its segment",
			    info->nr_verneed);
		return -1;
	}
	if (info->nr_verneed >= ELF_MAX_VERSIONS) {
		strbuf_addf(err, "DT_VERNEED: more than %d needed versions", ELF_MAX_VERSIONS);
		return -1;
	}
	xgrow((void **)&info->verneed, alloc, info->nr_verneed + 1, sizeof(*info->verneed));
	v = &info->verneed[info->nr_verneed];
	memset(v, 0, sizeof(*v));
	v->index = other & 0x7fff;
	if (take_str(st, lib, &v->lib, "DT_VERNEED file", err) ||
	    take_str(st, name, &v->name, "DT_VERNEED version", err))
		return -1;
	info->nr_verneed++;
	return 0;
}

/*
 * The version table `what` (DT_VERNEED, DT_VERDEF) at `vaddr`, of `num`
 * records (its DT_*NUM): what its segment holds from there on.
 */
static int map_versions(const struct segments *seg, const struct elf_info *info,
			uint64_t vaddr, uint64_t num, const char *what, struct table *t,
			struct strbuf *err)
{
	if (num > ELF_MAX_VERSIONS) {
		strbuf_addf(err, "%sNUM %llu is absurd", what, (unsigned long long)num);
		return -1;
	}
	return map_table(seg, info, vaddr, REST_OF_SEGMENT, t, what, err);
}

/*
 * DT_VERNEED: DT_VERNEEDNUM Verneed records (one per library), each with
 * vn_cnt Vernaux records (one per version). Walked as ld.so walks it, by
 * the records' own next offsets, and never further than the counts.
 */
static int read_verneed(const struct segments *seg, const struct dyn_refs *refs,
			struct strtab *st, struct elf_info *info, struct strbuf *err)
{
	struct table t;
	uint64_t pos = 0;
	size_t i, alloc = 0;

	if (!refs->has_verneed)
		return 0;
	if (map_versions(seg, info, refs->verneed, refs->verneednum, "DT_VERNEED", &t, err))
		return -1;
	for (i = 0; i < refs->verneednum; i++) {
		unsigned version, cnt, j;
		uint32_t file, aux, next, anext;
		uint64_t apos;

		if (get_u16(&t, pos + VN_VERSION, &version) || get_u16(&t, pos + VN_CNT, &cnt) ||
		    get_u32(&t, pos + VN_FILE, &file) || get_u32(&t, pos + VN_AUX, &aux) ||
		    get_u32(&t, pos + VN_NEXT, &next)) {
			strbuf_addf(err, "DT_VERNEED: library record %zu lies outside its "
				    "segment", i);
			return -1;
		}
		if (version != VER_NEED_CURRENT) {
			strbuf_addf(err, "DT_VERNEED: library record %zu has version %u "
				    "(ld.so knows %d only)", i, version, VER_NEED_CURRENT);
			return -1;
		}
		for (j = 0, apos = pos + aux; j < cnt; j++, apos += anext) {
			if (read_vernaux(&t, apos, st, file, info, &alloc, &anext, err))
				return -1;
			if (!anext)
				break;
		}
		if (!next)
			break;
		pos += next;
	}
	return 0;
}

/* DT_VERDEF: the names of the versions defined, without the base (VER_FLG_BASE). */
static int read_verdef(const struct segments *seg, const struct dyn_refs *refs,
		       const struct strtab *st, struct elf_info *info, struct strbuf *err)
{
	struct table t;
	uint64_t pos = 0;
	size_t i, alloc = 0;

	if (!refs->has_verdef)
		return 0;
	if (map_versions(seg, info, refs->verdef, refs->verdefnum, "DT_VERDEF", &t, err))
		return -1;
	for (i = 0; i < refs->verdefnum; i++) {
		unsigned version, flags, cnt;
		uint32_t aux, next, name;

		if (get_u16(&t, pos + VD_VERSION, &version) ||
		    get_u16(&t, pos + VD_FLAGS, &flags) || get_u16(&t, pos + VD_CNT, &cnt) ||
		    get_u32(&t, pos + VD_AUX, &aux) || get_u32(&t, pos + VD_NEXT, &next) ||
		    (cnt && get_u32(&t, pos + aux + VDA_NAME, &name))) {
			strbuf_addf(err, "DT_VERDEF: record %zu lies outside its segment", i);
			return -1;
		}
		if (version != VER_DEF_CURRENT) {
			strbuf_addf(err, "DT_VERDEF: record %zu has version %u (ld.so knows "
				    "%d only)", i, version, VER_DEF_CURRENT);
			return -1;
		}
		if (cnt && !(flags & VER_FLG_BASE)) {
			xgrow((void **)&info->verdef, &alloc, info->nr_verdef + 1,
			      sizeof(*info->verdef));
			if (dup_dynstr(&info->verdef[info->nr_verdef], st->str, st->size, name,
				       "DT_VERDEF version", err))
				return -1;
			info->nr_verdef++;
		}
		if (!next)
			break;
		pos += next;
	}
	return 0;
}

/* Symbols beyond this are not a real object's (the biggest have ~10^6). */
#define MAX_SYMBOLS (1u << 24)

/*
 * DT_GNU_HASH: the highest symbol index a chain reaches, plus one, and
 * *hashed 1. When no symbol is hashed (a program that exports nothing)
 * the table only says where hashed symbols would start: *hashed 0.
 */
static int count_gnu_hash(const struct table *t, int cls, uint64_t *nsyms, int *hashed,
			  struct strbuf *err)
{
	uint32_t nbuckets, symoffset, bloom, b, max = 0, v;
	uint64_t buckets, chain, i;

	if (get_u32(t, 0, &nbuckets) || get_u32(t, 4, &symoffset) || get_u32(t, 8, &bloom))
		goto bad;
	buckets = 16 + (uint64_t)bloom * (cls == ELFCLASS64 ? 8 : 4);
	chain = buckets + (uint64_t)nbuckets * 4;
	if (chain > t->len)
		goto bad;
	for (i = 0; i < nbuckets; i++) {      /* all inside: checked above */
		b = u32_at(t, buckets + i * 4);
		if (b > max)
			max = b;
	}
	*hashed = max != 0;
	if (!max) {
		*nsyms = symoffset;
		return 0;
	}
	if (max < symoffset)
		goto bad;
	/* the chain of the last bucket ends at the last symbol: bit 0 set */
	for (i = max;; i++) {
		if (i - symoffset >= MAX_SYMBOLS || get_u32(t, chain + (i - symoffset) * 4, &v))
			goto bad;
		if (v & 1)
			break;
	}
	*nsyms = i + 1;
	return 0;
bad:
	strbuf_addstr(err, "DT_GNU_HASH is truncated or inconsistent");
	return -1;
}

/*
 * The size of the SHT_DYNSYM section at the address DT_SYMTAB gives, in
 * symbols; -1 when no section says (stripped of its section headers).
 */
static int dynsym_section(Elf *e, uint64_t addr, unsigned entsize, uint64_t *nsyms)
{
	Elf_Scn *scn = NULL;
	size_t n = 0;

	while ((scn = elf_nextscn(e, scn)) != NULL && n++ < 65536) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM && sh.sh_addr == addr &&
		    sh.sh_entsize == entsize) {
			*nsyms = sh.sh_size / entsize;
			return 0;
		}
	}
	return -1;
}

/*
 * The number of dynamic symbols, which no dynamic tag gives: DT_HASH's
 * nchain, else the end of DT_GNU_HASH's last chain, else (nothing hashed)
 * the .dynsym section's size. 1 when none says (the symbols are then not
 * read).
 */
static int count_symbols(Elf *e, const struct segments *seg, const struct dyn_refs *refs,
			 const struct elf_info *info, unsigned entsize, uint64_t *nsyms,
			 struct strbuf *err)
{
	struct table t;
	uint32_t nchain;
	int hashed = 0;

	if (refs->has_hash) {
		if (map_table(seg, info, refs->hash, 8, &t, "DT_HASH", err))
			return -1;
		get_u32(&t, 4, &nchain);
		*nsyms = nchain;
		return 0;
	}
	if (refs->has_gnu_hash &&
	    (map_table(seg, info, refs->gnu_hash, REST_OF_SEGMENT, &t, "DT_GNU_HASH", err) ||
	     count_gnu_hash(&t, info->cls, nsyms, &hashed, err)))
		return -1;
	if (hashed || !dynsym_section(e, refs->symtab, entsize, nsyms))
		return 0;
	/* no section: the symbols before DT_GNU_HASH's first hashed one, or none */
	return refs->has_gnu_hash ? 0 : 1;
}

/*
 * For every needed version, the undefined dynamic symbols bound to it
 * (DT_VERSYM, one 16-bit index per DT_SYMTAB entry): counted, and the
 * first ELF_VERSION_SYMBOLS named.
 */
static int read_version_symbols(Elf *e, const struct segments *seg,
				const struct dyn_refs *refs, struct strtab *st,
				struct elf_info *info, struct strbuf *err)
{
	unsigned entsize = info->cls == ELFCLASS64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	/* st_shndx: after st_name, st_info, st_other (64) or st_value, st_size too (32) */
	unsigned shndx_at = info->cls == ELFCLASS64 ? 6 : 14;
	struct table versym, syms;
	uint16_t *slot = NULL;        /* version index -> index in info->verneed, + 1 */
	unsigned top = 0, idx;
	uint64_t nsyms = 0, i;
	size_t k;
	int ret = -1, r;

	if (!info->nr_verneed || !refs->has_versym || !refs->has_symtab)
		return 0;
	if (refs->has_syment && refs->syment != entsize) {
		strbuf_addf(err, "DT_SYMENT %llu is not the size of a symbol (%u)",
			    (unsigned long long)refs->syment, entsize);
		return -1;
	}
	r = count_symbols(e, seg, refs, info, entsize, &nsyms, err);
	if (r || nsyms < 2)       /* no count, or the null symbol alone */
		return r < 0 ? -1 : 0;
	if (nsyms > MAX_SYMBOLS) {
		strbuf_addf(err, "%llu dynamic symbols is absurd", (unsigned long long)nsyms);
		return -1;
	}
	if (map_table(seg, info, refs->versym, nsyms * 2, &versym, "DT_VERSYM", err) ||
	    map_table(seg, info, refs->symtab, nsyms * entsize, &syms, "DT_SYMTAB", err))
		return -1;
	for (k = 0; k < info->nr_verneed; k++)
		if (info->verneed[k].index > top)
			top = info->verneed[k].index;
	slot = xcalloc(top + 1, sizeof(*slot));
	for (k = 0; k < info->nr_verneed; k++)
		slot[info->verneed[k].index] = (uint16_t)(k + 1);
	/* map_table gave both tables whole (nsyms entries): no check per entry */
	for (i = 1; i < nsyms; i++) {    /* symbol 0 is the null symbol */
		struct elf_verneed *v;

		idx = u16_at(&versym, i * 2) & 0x7fff;   /* bit 15: hidden */
		if (idx > top || !slot[idx] || u16_at(&syms, i * entsize + shndx_at) != SHN_UNDEF)
			continue;
		v = &info->verneed[slot[idx] - 1];
		v->nr_refs++;
		if (v->nr_symbols == ELF_VERSION_SYMBOLS)
			continue;
		if (take_str(st, u32_at(&syms, i * entsize), &v->symbols[v->nr_symbols],
			     "dynamic symbol", err))
			goto out;
		v->nr_symbols++;
	}
	ret = 0;
out:
	free(slot);
	return ret;
}

/*
 * The dynamic symbols another object can bind to: defined (st_shndx not
 * SHN_UNDEF), bound global, weak or unique, visible by default or
 * protected, not a section or file symbol.
 */
static int read_exports(Elf *e, const struct segments *seg, const struct dyn_refs *refs,
			const char *str, size_t strsz, struct elf_info *info,
			struct strbuf *err)
{
	int is64 = info->cls == ELFCLASS64;
	unsigned entsize = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	/* Elf64_Sym: name, info, other, shndx; Elf32_Sym: name, value, size, info, other, shndx */
	unsigned info_at = is64 ? 4 : 12, other_at = is64 ? 5 : 13, shndx_at = is64 ? 6 : 14;
	struct strtab st = { str, strsz, 0 };
	struct table syms;
	uint64_t nsyms = 0, i;
	size_t alloc = 0;
	int r;

	if (!str || !refs->has_symtab)
		return 0;
	if (refs->has_syment && refs->syment != entsize) {
		strbuf_addf(err, "DT_SYMENT %llu is not the size of a symbol (%u)",
			    (unsigned long long)refs->syment, entsize);
		return -1;
	}
	r = count_symbols(e, seg, refs, info, entsize, &nsyms, err);
	if (r || nsyms < 2)
		return r < 0 ? -1 : 0;
	if (nsyms > MAX_SYMBOLS) {
		strbuf_addf(err, "%llu dynamic symbols is absurd", (unsigned long long)nsyms);
		return -1;
	}
	if (map_table(seg, info, refs->symtab, nsyms * entsize, &syms, "DT_SYMTAB", err))
		return -1;
	for (i = 1; i < nsyms; i++) {
		unsigned char sinfo = syms.p[i * entsize + info_at];
		unsigned bind = sinfo >> 4, type = sinfo & 15, vis = syms.p[i * entsize + other_at] & 3;
		const char *name;

		if (u16_at(&syms, i * entsize + shndx_at) == SHN_UNDEF ||
		    (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) ||
		    (vis != STV_DEFAULT && vis != STV_PROTECTED) ||
		    type == STT_SECTION || type == STT_FILE)
			continue;
		if (take_str(&st, u32_at(&syms, i * entsize), &name, "dynamic symbol", err))
			return -1;
		if (!*name)
			continue;
		xgrow((void **)&info->exports, &alloc, info->nr_exports + 1,
		      sizeof(*info->exports));
		info->exports[info->nr_exports++] = xstrdup(name);
	}
	return 0;
}

/* The symbol versions: what the object needs and defines, and the symbols bound. */
static int read_versions(Elf *e, const struct segments *seg, const struct dyn_refs *refs,
			 const char *str, size_t strsz, struct elf_info *info,
			 struct strbuf *err)
{
	struct strtab st = { str, strsz, 0 };

	if (!str)
		return 0;
	if (read_verneed(seg, refs, &st, info, err) ||
	    read_verdef(seg, refs, &st, info, err) ||
	    read_version_symbols(e, seg, refs, &st, info, err))
		return -1;
	copy_version_strings(info, st.total);
	return 0;
}

enum parse_what { PARSE_DYNAMIC, PARSE_SECTIONS, PARSE_EXPORTS };

static int parse(const void *data, size_t len, struct elf_info *info,
		 enum parse_what what, struct strbuf *err)
{
	struct segments seg;
	struct dyn_refs refs;
	Elf *e = NULL;
	GElf_Ehdr eh;
	const char *str;
	size_t phnum = 0, strsz;
	int ret = -1;

	elf_info_init(info);
	memset(&seg, 0, sizeof(seg));
	seg.data = data;
	seg.len = len;
	memset(&refs, 0, sizeof(refs));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		strbuf_addstr(err, "libelf is unusable");
		return -1;
	}
	if (!elf_is_elf(data, len)) {
		strbuf_addstr(err, "not an ELF file");
		return -1;
	}
	e = elf_memory((char *)data, len);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		strbuf_addf(err, "unreadable ELF: %s", elf_errmsg(-1));
		goto out;
	}
	if (read_header(e, &eh, &phnum, info, err) ||
	    check_header_tables(&eh, len, err) ||
	    read_program_headers(e, data, len, phnum, &seg, info, err))
		goto out;
	if (what == PARSE_SECTIONS)
		read_sections(e, info);
	if (!seg.have_dyn) {
		ret = 0;
		goto out;
	}
	info->dynamic = 1;
	if (read_dynamic_section(e, &seg.dyn, &refs, info, err) ||
	    read_dynamic_strings(&seg, &refs, info, &str, &strsz, err) ||
	    read_versions(e, &seg, &refs, str, strsz, info, err) ||
	    (what == PARSE_EXPORTS && read_exports(e, &seg, &refs, str, strsz, info, err)))
		goto out;
	ret = 0;
out:
	free(seg.loads);
	free(refs.needed);
	if (e)
		elf_end(e);
	return ret;
}

int elf_parse(const void *data, size_t len, struct elf_info *info,
	      struct strbuf *err)
{
	return parse(data, len, info, PARSE_SECTIONS, err);
}

int elf_parse_dynamic(const void *data, size_t len, struct elf_info *info,
		      struct strbuf *err)
{
	return parse(data, len, info, PARSE_DYNAMIC, err);
}

int elf_parse_exports(const void *data, size_t len, struct elf_info *info,
		      struct strbuf *err)
{
	return parse(data, len, info, PARSE_EXPORTS, err);
}
