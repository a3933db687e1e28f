/* The Debian bases: see bases.h. */
#include <stdlib.h>
#include <string.h>

#include "bases.h"
#include "symver.h"

const struct base bases[] = {
	{ "bullseye", "11", "debian11", "debian-11",
	  "Debian 11+, Ubuntu 20.04+, RHEL/Rocky 9+, SLES 15 SP3+ (glibc 2.31)" },
	{ "bookworm", "12", "debian12", "debian-12",
	  "Debian 12+, Ubuntu 24.04+, RHEL/Rocky 10 (glibc 2.36)" },
	{ "trixie", "13", "debian13", "debian-13",
	  "Debian 13+, Ubuntu 25.04+ (glibc 2.41)" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct base *base_find(const char *name)
{
	const struct base *b;

	for (b = bases; name && b->name; b++)
		if (!strcmp(b->name, name))
			return b;
	return NULL;
}

const char *base_glibc(const char *name)
{
	const struct base *b = base_find(name);
	const struct symver_target *t = b ? symver_target_find(b->target) : NULL;

	return t ? t->glibc : NULL;
}

int base_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 32 && strspn(name, "abcdefghijklmnopqrstuvwxyz") == len;
}

void base_list_free(char **names, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

int base_list_parse(const char *list, char ***names, size_t *nr, struct strbuf *err)
{
	const char *p = list, *comma;
	char **out = NULL;
	size_t n = 0, i;

	*names = NULL;
	*nr = 0;
	for (;;) {
		size_t len;
		char *name;

		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		name = xstrndup(p, len);
		if (!base_name_ok(name)) {
			strbuf_addf(err, "'%s' is not a Debian release name (lower-case letters, "
				    "comma-separated: bullseye,bookworm,trixie)", name);
			free(name);
			goto fail;
		}
		for (i = 0; i < n; i++)
			if (!strcmp(out[i], name))
				break;
		if (i < n) {
			strbuf_addf(err, "'%s' is listed twice", name);
			free(name);
			goto fail;
		}
		out = xrealloc(out, (n + 1) * sizeof(*out));
		out[n++] = name;
		if (!comma)
			break;
		p = comma + 1;
	}
	*names = out;
	*nr = n;
	return 0;
fail:
	base_list_free(out, n);
	return -1;
}

int base_min_glibc(char *const *names, size_t nr, const char **glibc, const char **which)
{
	struct symver best, v;
	size_t i;

	*glibc = NULL;
	*which = NULL;
	for (i = 0; i < nr; i++) {
		const char *g = base_glibc(names[i]);
		if (!g || symver_parse(g, &v))
			return -1;
		if (!*glibc || symver_cmp(&v, &best) < 0) {
			best = v;
			*glibc = g;
			*which = names[i];
		}
	}
	return *glibc ? 0 : -1;
}
