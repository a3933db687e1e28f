/*
 * libFuzzer harness: Slurm's tag grammar and spec resolution (tags.c).
 * Input: first line the spec, then one "NAME COMMIT" per line. Checks the
 * order is consistent (antisymmetric, reflexive) and that resolving either
 * succeeds with a listed tag or fails with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tags.h"

static int sign(int x)
{
	return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL, *spec = NULL;
	struct tag_list l;
	struct strbuf err = STRBUF_INIT, vs = STRBUF_INIT;
	const struct tag_ref *hit = NULL;
	int allow_pre = size && (data[0] & 1);
	size_t i;

	memcpy(text, data, size);
	text[size] = '\0';
	tag_list_init(&l);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		struct slurm_version v;

		if (!spec) {
			spec = line;
			continue;
		}
		if (sp)
			*sp = '\0';
		if (tag_parse(line, &v) == 0) {
			strbuf_reset(&vs);
			tag_version_string(line, &vs);
			if (!vs.len || version_cmp(&v, &v))
				abort();
		}
		tag_list_add(&l, line, sp ? sp + 1 : "0000");
	}
	tag_list_sort(&l);
	for (i = 0; i + 1 < l.nr; i++) {
		if (version_cmp(&l.items[i].v, &l.items[i + 1].v) > 0)
			abort(); /* sort order broken */
		if (sign(version_cmp(&l.items[i].v, &l.items[i + 1].v)) !=
		    -sign(version_cmp(&l.items[i + 1].v, &l.items[i].v)))
			abort();
	}
	if (spec) {
		if (tags_resolve(&l, spec, allow_pre, &hit, &err) == 0) {
			if (!hit || hit < l.items || hit >= l.items + l.nr)
				abort();
		} else if (!err.len) {
			abort();
		}
	}
	tag_list_release(&l);
	strbuf_release(&err);
	strbuf_release(&vs);
	free(text);
	return 0;
}
