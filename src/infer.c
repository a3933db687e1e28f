#include "infer.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* At most this many candidates per tree: a hostile tree cannot make it slow. */
#define INFER_MAX_CANDS 20000
/* and this many per file */
#define INFER_MAX_PER_FILE 256

void infer_init(struct infer *inf)
{
	memset(inf, 0, sizeof(*inf));
	strmap_init(&inf->have);
}

void infer_release(struct infer *inf)
{
	size_t i;

	for (i = 0; i < inf->nr_cands; i++) {
		free(inf->cands[i].path);
		free(inf->cands[i].rel);
	}
	free(inf->cands);
	for (i = 0; i < inf->nr_found; i++) {
		free(inf->found[i].prefix);
		free(inf->found[i].rel);
		free(inf->found[i].evidence);
	}
	free(inf->found);
	strmap_release(&inf->have);
	memset(inf, 0, sizeof(*inf));
}

void infer_add(struct infer *inf, const char *path, const char *rel, const char *kind,
	       unsigned min_tail)
{
	struct strbuf key = STRBUF_INIT;
	struct infer_cand *c;

	if (path[0] != '/' || path[1] == '\0' || inf->nr_cands >= INFER_MAX_CANDS)
		return;
	strbuf_addf(&key, "%s\n%s", kind, path);
	if (!strmap_has(&inf->have, key.buf)) {
		strmap_put(&inf->have, key.buf, NULL);
		xgrow((void **)&inf->cands, &inf->alloc_cands, inf->nr_cands + 1,
		      sizeof(*inf->cands));
		c = &inf->cands[inf->nr_cands++];
		c->path = xstrdup(path);
		c->rel = xstrdup(rel);
		c->kind = kind;
		c->min_tail = min_tail;
	}
	strbuf_release(&key);
}

static int path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == '@';
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

void infer_shebang(const char *buf, size_t len, char *out, size_t size)
{
	size_t i = 2, n = 0;

	out[0] = '\0';
	if (len < 3 || buf[0] != '#' || buf[1] != '!' || !size)
		return;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	while (i < len && n + 1 < size && buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\t' &&
	       buf[i] != '\r' && buf[i] != '\0')
		out[n++] = buf[i++];
	out[n] = '\0';
}

/* Every maximal absolute path token of buf (a '/' after a non-path character). */
static void add_tokens(struct infer *inf, const char *rel, const char *buf, size_t len,
		       const char *kind, unsigned min_tail)
{
	struct strbuf tok = STRBUF_INIT;
	size_t i, j, nr = 0;

	for (i = 0; i < len && nr < INFER_MAX_PER_FILE; i++) {
		/* a path starts after a non-path character, or after a flag: -I/x, -L/x */
		if (buf[i] != '/' || (i > 0 && path_char(buf[i - 1]) &&
				      !(i > 1 && buf[i - 2] == '-' && buf[i - 1] >= 'A' &&
					buf[i - 1] <= 'Z')))
			continue;
		for (j = i; j < len && path_char(buf[j]) && j - i < 4096; j++)
			;
		strbuf_reset(&tok);
		strbuf_add(&tok, buf + i, j - i);
		while (tok.len > 1 && (tok.buf[tok.len - 1] == '/' || tok.buf[tok.len - 1] == '.'))
			strbuf_setlen(&tok, tok.len - 1);
		if (tok.len > 1) {
			infer_add(inf, tok.buf, rel, kind, min_tail);
			nr++;
		}
		i = j;
	}
	strbuf_release(&tok);
}

/* A .pc file's "prefix=VALUE" line. */
static void pc_prefix(struct infer *inf, const char *rel, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		if (n > 8 && !strncmp(line, "prefix=", 7) && line[7] == '/') {
			char *v = xstrndup(line + 7, n - 7);
			size_t k = strlen(v);
			while (k > 1 && (v[k - 1] == ' ' || v[k - 1] == '\r' || v[k - 1] == '/'))
				v[--k] = '\0';
			infer_add(inf, v, rel, ".pc prefix", 0);
			free(v);
		}
		i += n + 1;
	}
}

void infer_scan_text(struct infer *inf, const char *rel, const char *buf, size_t len,
		     int config)
{
	char interp[4096];

	infer_shebang(buf, len, interp, sizeof(interp));
	if (interp[0] == '/')
		infer_add(inf, interp, rel, "#! line", 2);
	if (has_suffix(rel, ".pc")) {
		pc_prefix(inf, rel, buf, len);
		add_tokens(inf, rel, buf, len, ".pc file", 1);
	} else if (has_suffix(rel, ".la")) {
		add_tokens(inf, rel, buf, len, ".la file", 1);
	} else if (has_suffix(rel, "-config") || has_suffix(rel, ".cmake")) {
		add_tokens(inf, rel, buf, len, has_suffix(rel, ".cmake") ? ".cmake file" :
			   "*-config script", 1);
	} else if (config) {
		add_tokens(inf, rel, buf, len, "configuration file", 2);
	}
}

void infer_scan_rpath(struct infer *inf, const char *rel, const char *list, const char *tag)
{
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *entry = xstrndup(p, n);

		while (n > 1 && entry[n - 1] == '/')
			entry[--n] = '\0';
		infer_add(inf, entry, rel, tag, 1);
		free(entry);
		p = end ? end + 1 : NULL;
	}
}

int infer_plausible(const char *prefix)
{
	static const char *const system[] = { "usr", "lib", "lib32", "lib64", "libx32", "bin",
					      "sbin", "etc", "var", "dev", "proc", "sys",
					      "run", "boot", "srv", NULL };
	const char *second = strchr(prefix + 1, '/');
	size_t first = second ? (size_t)(second - prefix - 1) : strlen(prefix + 1), i;

	if (prefix[0] != '/' || !second || !second[1])
		return 0;
	for (i = 0; system[i]; i++)
		if (strlen(system[i]) == first && !strncmp(prefix + 1, system[i], first))
			return 0;
	return 1;
}

int infer_shebang_foreign(const char *interp)
{
	static const char *const dirs[] = { "/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/",
					    "/usr/local/bin/", "/usr/local/sbin/",
					    "/usr/libexec/", NULL };
	size_t i;

	if (interp[0] != '/')
		return 0;
	for (i = 0; dirs[i]; i++)
		if (!strncmp(interp, dirs[i], strlen(dirs[i])) && !strchr(interp + strlen(dirs[i]), '/'))
			return 0;
	return 1;
}

/* 1 when `p` is one of `known` or under one: already looked for. */
static int known_prefix(const char *p, char *const *known, size_t nr)
{
	size_t i, n;

	for (i = 0; i < nr; i++) {
		n = strlen(known[i]);
		if (!strncmp(p, known[i], n) && (p[n] == '\0' || p[n] == '/'))
			return 1;
	}
	return 0;
}

static int cmp_found(const void *a, const void *b)
{
	return strcmp(((const struct infer_prefix *)a)->prefix,
		      ((const struct infer_prefix *)b)->prefix);
}

/* The prefix `c` gives away, into `out`; 0 when it gives none. */
static int prefix_of(const struct infer_cand *c, const struct strmap *paths, struct strbuf *out)
{
	const char *p = c->path + 1;
	unsigned tail_parts;

	strbuf_reset(out);
	if (c->min_tail == 0) {
		strbuf_addstr(out, c->path);
		return 1;
	}
	/* the longest tail first: "/b/app/lib/private" tries app/lib/private, lib/private, ... */
	for (; (p = strchr(p, '/')) != NULL; p++) {
		const char *q;
		if (!strmap_has(paths, p + 1))
			continue;
		for (tail_parts = 1, q = p + 1; (q = strchr(q, '/')) != NULL; q++)
			tail_parts++;
		if (tail_parts < c->min_tail)
			return 0;
		strbuf_add(out, c->path, (size_t)(p - c->path));
		return 1;
	}
	return 0;
}

void infer_resolve(struct infer *inf, const struct strmap *paths, char *const *known,
		   size_t nr_known)
{
	struct strbuf pre = STRBUF_INIT;
	struct strmap seen;
	size_t i;

	strmap_init(&seen);
	for (i = 0; i < inf->nr_cands; i++) {
		const struct infer_cand *c = &inf->cands[i];
		struct infer_prefix *f;

		if (known_prefix(c->path, known, nr_known) || !prefix_of(c, paths, &pre) ||
		    !infer_plausible(pre.buf) || known_prefix(pre.buf, known, nr_known) ||
		    strmap_has(&seen, pre.buf))
			continue;
		strmap_put(&seen, pre.buf, NULL);
		xgrow((void **)&inf->found, &inf->alloc_found, inf->nr_found + 1,
		      sizeof(*inf->found));
		f = &inf->found[inf->nr_found++];
		f->prefix = xstrdup(pre.buf);
		f->rel = xstrdup(c->rel);
		f->kind = c->kind;
		f->evidence = xstrdup(c->path);
	}
	if (inf->nr_found > 1)
		qsort(inf->found, inf->nr_found, sizeof(*inf->found), cmp_found);
	strmap_release(&seen);
	strbuf_release(&pre);
}
