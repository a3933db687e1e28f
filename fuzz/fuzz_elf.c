/*
 * libFuzzer harness: the ELF scanner (elf.c) on arbitrary bytes. Both entry
 * points verify runs (with and without the section map) must return 0 or
 * -1 with a message, never crash or read out of bounds; what they return
 * must be self-consistent (strings NUL-terminated, region lookups in range,
 * symbol versions within their limits).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"

static void use(const struct elf_info *info)
{
	volatile size_t sink = 0;
	size_t i;

	if (info->interp)
		sink += strlen(info->interp);
	if (info->soname)
		sink += strlen(info->soname);
	if (info->rpath)
		sink += strlen(info->rpath);
	if (info->runpath)
		sink += strlen(info->runpath);
	for (i = 0; i < info->nr_needed; i++)
		sink += strlen(info->needed[i]);
	if (info->nr_verneed > ELF_MAX_VERSIONS || info->nr_verdef > ELF_MAX_VERSIONS)
		abort();
	for (i = 0; i < info->nr_verneed; i++) {
		const struct elf_verneed *v = &info->verneed[i];
		size_t j;

		if (v->nr_symbols > ELF_VERSION_SYMBOLS || v->nr_symbols > v->nr_refs ||
		    v->index > 0x7fff)
			abort();
		sink += strlen(v->lib) + strlen(v->name);
		for (j = 0; j < v->nr_symbols; j++)
			sink += strlen(v->symbols[j]);
	}
	for (i = 0; i < info->nr_verdef; i++)
		sink += strlen(info->verdef[i]);
	for (i = 0; i < info->nr_sections; i++) {
		sink += elf_region_at(info, info->sections[i].offset);
		sink += elf_region_at(info, info->sections[i].offset + info->sections[i].size);
	}
	sink += elf_region_at(info, 0) + elf_region_at(info, UINT64_MAX);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info info;
	struct strbuf err = STRBUF_INIT;
	/* a private copy: exactly `size` bytes, so ASan sees any overread */
	uint8_t *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	(void)elf_is_elf(copy, size);
	elf_info_init(&info);
	if (elf_parse(copy, size, &info, &err) == 0)
		use(&info);
	else if (!err.len)
		abort(); /* -1 must say why */
	elf_info_release(&info);
	strbuf_reset(&err);

	elf_info_init(&info);
	if (elf_parse_dynamic(copy, size, &info, &err) == 0)
		use(&info);
	else if (!err.len)
		abort();
	elf_info_release(&info);
	strbuf_reset(&err);

	elf_info_init(&info);
	if (elf_parse_exports(copy, size, &info, &err) == 0) {
		size_t i, total = 0;

		use(&info);
		for (i = 0; i < info.nr_exports; i++)
			total += strlen(info.exports[i]);   /* every name readable and terminated */
		(void)total;
	} else if (!err.len) {
		abort();
	}
	elf_info_release(&info);
	strbuf_release(&err);
	free(copy);
	return 0;
}
