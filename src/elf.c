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
	free(info->sections);
	elf_info_init(info);
}

int elf_is_elf(const void *data, size_t len)
{
	return len >= 4 && !memcmp(data, ELFMAG, SELFMAG);
}

/* Maps a virtual address to a file offset through the PT_LOAD segments. */
static int vaddr_to_offset(const GElf_Phdr *loads, size_t nr, uint64_t vaddr,
			   uint64_t *off)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (vaddr >= loads[i].p_vaddr &&
		    vaddr - loads[i].p_vaddr < loads[i].p_filesz) {
			*off = loads[i].p_offset + (vaddr - loads[i].p_vaddr);
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
};

/* What the dynamic section names, as indexes into its string table. */
struct dyn_refs {
	uint64_t strtab_vaddr, strsz, rpath, runpath, soname;
	int has_strtab, has_strsz, has_rpath, has_runpath, has_soname;
	uint64_t *needed;
	size_t nr_needed, alloc_needed;
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

/*
 * The dynamic string table, found as ld.so finds it: DT_STRTAB is an
 * address, mapped to a file offset through the loadable segments; libelf
 * checks that DT_STRSZ bytes from there are inside the file.
 */
static int map_dynstr(Elf *e, const struct segments *seg, const struct dyn_refs *refs,
		      const char **str, size_t *strsz, struct strbuf *err)
{
	uint64_t off;
	Elf_Data *sd;

	if (vaddr_to_offset(seg->loads, seg->nr_loads, refs->strtab_vaddr, &off)) {
		strbuf_addf(err, "DT_STRTAB address 0x%llx is in no loaded segment",
			    (unsigned long long)refs->strtab_vaddr);
		return -1;
	}
	sd = elf_getdata_rawchunk(e, (int64_t)off, refs->strsz, ELF_T_BYTE);
	if (!sd || !sd->d_buf) {
		strbuf_addf(err, "dynamic string table lies outside the file: %s",
			    elf_errmsg(-1));
		return -1;
	}
	*str = sd->d_buf;
	*strsz = sd->d_size;
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

/* DT_RPATH, DT_RUNPATH, DT_SONAME and every DT_NEEDED, copied into `info`. */
static int read_dynamic_strings(Elf *e, const struct segments *seg,
				const struct dyn_refs *refs, struct elf_info *info,
				struct strbuf *err)
{
	const char *str;
	size_t strsz, i, alloc_needed = 0;

	if (!refs->has_strtab || !refs->has_strsz) {
		if (refs->nr_needed || refs->has_rpath || refs->has_runpath ||
		    refs->has_soname) {
			strbuf_addstr(err, "dynamic section has strings but no DT_STRTAB/DT_STRSZ");
			return -1;
		}
		return 0;
	}
	if (map_dynstr(e, seg, refs, &str, &strsz, err))
		return -1;
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

static int parse(const void *data, size_t len, struct elf_info *info,
		 int sections, struct strbuf *err)
{
	struct segments seg;
	struct dyn_refs refs;
	Elf *e = NULL;
	GElf_Ehdr eh;
	size_t phnum = 0;
	int ret = -1;

	elf_info_init(info);
	memset(&seg, 0, sizeof(seg));
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
	if (sections)
		read_sections(e, info);
	if (!seg.have_dyn) {
		ret = 0;
		goto out;
	}
	info->dynamic = 1;
	if (read_dynamic_section(e, &seg.dyn, &refs, info, err) ||
	    read_dynamic_strings(e, &seg, &refs, info, err))
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
	return parse(data, len, info, 1, err);
}

int elf_parse_dynamic(const void *data, size_t len, struct elf_info *info,
		      struct strbuf *err)
{
	return parse(data, len, info, 0, err);
}
