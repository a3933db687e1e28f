/*
 * libFuzzer harness: the loader simulation (ldso.c) with arbitrary
 * elf_info inputs. The bytes, split at NUL, describe up to 6 objects of a
 * virtual tree rooted at /r: each a path, RPATH, RUNPATH, SONAME and a
 * comma list of DT_NEEDED names (a leading '-' means "absent"). Every
 * object is resolved as a root; expansion and normalisation are run on
 * every entry. Nothing touches the file system.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldso.h"

#define ROOT "/r"
#define MAX_OBJS 6

struct tree {
	struct ldso_object objs[MAX_OBJS];
	struct elf_info infos[MAX_OBJS];
	size_t nr;
	size_t misses;
};

static const struct ldso_object *lookup(void *ctx, const char *path, int cls,
					unsigned machine, enum ldso_miss *why)
{
	struct tree *t = ctx;
	struct strbuf norm = STRBUF_INIT;
	const struct ldso_object *hit = NULL;
	size_t i;

	*why = LDSO_MISSING;
	if (path_normalize(path, &norm) || strncmp(norm.buf, ROOT "/", 3)) {
		*why = LDSO_OUTSIDE;
		goto out;
	}
	for (i = 0; i < t->nr; i++) {
		if (strcmp(norm.buf + 3, t->objs[i].rel))
			continue;
		if (t->infos[i].cls != cls || t->infos[i].machine != machine) {
			*why = LDSO_WRONG_CLASS;
			goto out;
		}
		hit = &t->objs[i];
		break;
	}
out:
	strbuf_release(&norm);
	return hit;
}

static void unresolved(void *ctx, const struct ldso_object *req, const char *needed,
		       enum rule_id rule, const char *why, const struct ldso_object *root)
{
	struct tree *t = ctx;

	if (!req || !needed || rule >= RULE_COUNT || !why || !root)
		abort();
	(void)strlen(req->rel);
	(void)strlen(root->rel);
	t->misses++;
}

static char *opt(const char *s)
{
	return s[0] == '-' ? NULL : xstrdup(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), **pieces;
	size_t nr = 0, next = 0, start = 0, i, k;
	struct tree t;
	struct ldso_env env;
	struct strmap seen;
	struct strbuf out = STRBUF_INIT;
	char *allow[] = { "libc.so.*", "lib*m.so.6" };

	memcpy(text, data, size);
	text[size] = '\0';
	pieces = calloc(size + 1, sizeof(*pieces));
	for (i = 0; i <= size; i++)
		if (text[i] == '\0') {
			pieces[nr++] = text + start;
			start = i + 1;
		}
	memset(&t, 0, sizeof(t));
	t.nr = 1 + (size ? data[0] % MAX_OBJS : 0);
	for (i = 0; i < t.nr; i++) {
		struct elf_info *e = &t.infos[i];
		const char *rel = next < nr ? pieces[next++] : "bin/x";
		const char *needed = next < nr ? pieces[next++] : "";
		char *list, *tok, *save = NULL;

		elf_info_init(e);
		e->cls = (rel[0] & 1) ? ELFCLASS32 : ELFCLASS64;
		e->machine = (rel[0] & 2) ? EM_386 : EM_X86_64;
		e->type = ET_DYN;
		e->dynamic = 1;
		e->rpath = next < nr ? opt(pieces[next++]) : NULL;
		e->runpath = next < nr ? opt(pieces[next++]) : NULL;
		e->soname = next < nr ? opt(pieces[next++]) : NULL;
		list = xstrdup(needed);
		for (tok = strtok_r(list, ",", &save); tok && e->nr_needed < 16;
		     tok = strtok_r(NULL, ",", &save)) {
			e->needed = xrealloc(e->needed, (e->nr_needed + 1) * sizeof(*e->needed));
			e->needed[e->nr_needed++] = xstrdup(tok);
		}
		free(list);
		t.objs[i].rel = rel;
		t.objs[i].elf = e;
		/* expansion and normalisation on their own */
		if (e->rpath) {
			strbuf_reset(&out);
			ldso_expand(e->rpath, ROOT "/o", e->cls, e->machine, NULL, &out);
			strbuf_reset(&out);
			(void)path_normalize(e->rpath, &out);
		}
	}
	memset(&env, 0, sizeof(env));
	env.root = ROOT;
	env.allow = allow;
	env.nr_allow = 2;
	env.lookup = lookup;
	env.unresolved = unresolved;
	env.ctx = &t;
	strmap_init(&seen);
	for (i = 0; i < t.nr; i++)
		(void)ldso_resolve(&env, &t.objs[i], &seen);
	strmap_release(&seen);
	for (i = 0; i < t.nr; i++) {
		for (k = 0; k < t.infos[i].nr_needed; k++)
			(void)ldso_allowed(&env, t.infos[i].needed[k]);
		elf_info_release(&t.infos[i]);
	}
	strbuf_release(&out);
	free(pieces);
	free(text);
	return 0;
}
