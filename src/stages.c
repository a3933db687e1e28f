#include "stages.h"

#include <string.h>

/* Pipeline stages in pipeline order, then tool commands. */
const struct stage stages[] = {
	{ "verify", 1, "prove a tarball's tree works when unpacked anywhere",
	  "TARBALL... [options]  |  --tree DIR [options]",
	  "Extracts each TARBALL once in secure mode, moves the tree to N random\n"
	  "prefixes by rename(), and at each prefix checks every ELF file's\n"
	  "RPATH/RUNPATH and resolves every DT_NEEDED the way ld.so would.\n"
	  "Build-prefix strings left in files are graded by where they sit.\n"
	  "Nothing from the tarball is executed.",
	  verify_opts, 0, (size_t)-1, stage_verify },
	{ NULL, 0, NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct stage *stage_find(const char *name)
{
	const struct stage *s;

	for (s = stages; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}
