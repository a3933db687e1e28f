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

static int parse(const void *data, size_t len, struct elf_info *info,
		 int sections, struct strbuf *err)
{
	Elf *e = NULL;
	GElf_Ehdr eh;
	GElf_Phdr *loads = NULL, dyn_ph;
	size_t phnum = 0, i, nr_loads = 0, alloc_loads = 0, alloc_needed = 0;
	int have_dyn = 0, ret = -1;
	uint64_t strtab_vaddr = 0, strsz = 0, rpath_i = 0, runpath_i = 0, soname_i = 0;
	int has_strtab = 0, has_strsz = 0, has_rpath = 0, has_runpath = 0, has_soname = 0;
	uint64_t *needed_i = NULL;
	size_t nr_needed_i = 0, alloc_needed_i = 0;
	Elf_Data *dd;

	elf_info_init(info);
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
	if (!gelf_getehdr(e, &eh)) {
		strbuf_addf(err, "bad ELF header: %s", elf_errmsg(-1));
		goto out;
	}
	info->cls = eh.e_ident[EI_CLASS];
	info->data = eh.e_ident[EI_DATA];
	info->machine = eh.e_machine;
	info->type = eh.e_type;
	if (elf_getphdrnum(e, &phnum) != 0) {
		strbuf_addf(err, "bad program headers: %s", elf_errmsg(-1));
		goto out;
	}
	/* libelf quietly clamps a table that does not fit: say it is truncated */
	if (eh.e_phnum && (eh.e_phoff > len || eh.e_phentsize == 0 ||
			   (uint64_t)eh.e_phnum * eh.e_phentsize > len - eh.e_phoff)) {
		strbuf_addf(err, "truncated: the program header table (%u entries at "
			    "offset %llu) goes past the end of the file (%zu bytes)",
			    (unsigned)eh.e_phnum, (unsigned long long)eh.e_phoff, len);
		goto out;
	}
	if (eh.e_shnum && (eh.e_shoff > len ||
			   (uint64_t)eh.e_shnum * eh.e_shentsize > len - eh.e_shoff)) {
		strbuf_addf(err, "truncated: the section header table goes past the end "
			    "of the file (%zu bytes)", len);
		goto out;
	}
	if ((eh.e_type == ET_EXEC || eh.e_type == ET_DYN) && !eh.e_phnum) {
		strbuf_addstr(err, "an executable or shared object without program headers");
		goto out;
	}
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			strbuf_addf(err, "program header %zu is truncated: %s", i,
				    elf_errmsg(-1));
			goto out;
		}
		if (ph.p_type == PT_LOAD && (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)) {
			strbuf_addf(err, "truncated: a loadable segment ends at %llu, past the "
				    "end of the file (%zu bytes)",
				    (unsigned long long)(ph.p_offset + ph.p_filesz), len);
			goto out;
		}
		if (ph.p_type == PT_LOAD) {
			xgrow((void **)&loads, &alloc_loads, nr_loads + 1, sizeof(*loads));
			loads[nr_loads++] = ph;
		} else if (ph.p_type == PT_DYNAMIC && !have_dyn) {
			dyn_ph = ph;
			have_dyn = 1;
		} else if (ph.p_type == PT_INTERP && !info->interp) {
			if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset ||
			    ph.p_filesz == 0) {
				strbuf_addstr(err, "PT_INTERP lies outside the file");
				goto out;
			}
			info->interp = strtab_dup((const char *)data + ph.p_offset,
						  ph.p_filesz, 0);
			if (!info->interp) {
				strbuf_addstr(err, "PT_INTERP is not a terminated string");
				goto out;
			}
		}
	}
	if (sections)
		read_sections(e, info);
	if (!have_dyn) {
		ret = 0;
		goto out;
	}
	info->dynamic = 1;
	dd = elf_getdata_rawchunk(e, (int64_t)dyn_ph.p_offset, dyn_ph.p_filesz, ELF_T_DYN);
	if (!dd) {
		strbuf_addf(err, "PT_DYNAMIC lies outside the file: %s", elf_errmsg(-1));
		goto out;
	}
	for (i = 0;; i++) {
		GElf_Dyn d;

		if (!gelf_getdyn(dd, (int)i, &d))
			break; /* ran off the end without DT_NULL: tolerated as ld.so would not */
		if (d.d_tag == DT_NULL)
			break;
		switch (d.d_tag) {
		case DT_STRTAB: strtab_vaddr = d.d_un.d_ptr; has_strtab = 1; break;
		case DT_STRSZ: strsz = d.d_un.d_val; has_strsz = 1; break;
		case DT_RPATH: rpath_i = d.d_un.d_val; has_rpath = 1; break;
		case DT_RUNPATH: runpath_i = d.d_un.d_val; has_runpath = 1; break;
		case DT_SONAME: soname_i = d.d_un.d_val; has_soname = 1; break;
		case DT_FLAGS_1:
			if (d.d_un.d_val & DF_1_NODEFLIB)
				info->nodeflib = 1;
			break;
		case DT_NEEDED:
			xgrow((void **)&needed_i, &alloc_needed_i, nr_needed_i + 1,
			      sizeof(*needed_i));
			needed_i[nr_needed_i++] = d.d_un.d_val;
			break;
		}
		if (i > 100000) {
			strbuf_addstr(err, "dynamic section is absurdly long");
			goto out;
		}
	}
	if (!has_strtab || !has_strsz) {
		if (nr_needed_i || has_rpath || has_runpath || has_soname) {
			strbuf_addstr(err, "dynamic section has strings but no DT_STRTAB/DT_STRSZ");
			goto out;
		}
		ret = 0;
		goto out;
	} else {
		uint64_t off;
		Elf_Data *sd;
		const char *str;

		if (vaddr_to_offset(loads, nr_loads, strtab_vaddr, &off)) {
			strbuf_addf(err, "DT_STRTAB address 0x%llx is in no loaded segment",
				    (unsigned long long)strtab_vaddr);
			goto out;
		}
		sd = elf_getdata_rawchunk(e, (int64_t)off, strsz, ELF_T_BYTE);
		if (!sd || !sd->d_buf) {
			strbuf_addf(err, "dynamic string table lies outside the file: %s",
				    elf_errmsg(-1));
			goto out;
		}
		str = sd->d_buf;
		strsz = sd->d_size;
#define GETSTR(dst, idx, what)                                                   \
	do {                                                                     \
		(dst) = strtab_dup(str, strsz, (idx));                           \
		if (!(dst)) {                                                    \
			strbuf_addf(err, "%s string at index %llu is outside the " \
				    "string table", what, (unsigned long long)(idx)); \
			goto out;                                                \
		}                                                                \
	} while (0)
		if (has_rpath)
			GETSTR(info->rpath, rpath_i, "DT_RPATH");
		if (has_runpath)
			GETSTR(info->runpath, runpath_i, "DT_RUNPATH");
		if (has_soname)
			GETSTR(info->soname, soname_i, "DT_SONAME");
		for (i = 0; i < nr_needed_i; i++) {
			xgrow((void **)&info->needed, &alloc_needed, info->nr_needed + 1,
			      sizeof(*info->needed));
			GETSTR(info->needed[info->nr_needed], needed_i[i], "DT_NEEDED");
			info->nr_needed++;
		}
#undef GETSTR
	}
	ret = 0;
out:
	free(loads);
	free(needed_i);
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
