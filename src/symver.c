#include "symver.h"

#include <stdlib.h>
#include <string.h>

/* Indexed by enum symver_family. */
static const struct {
	const char *prefix;      /* of the version name, with its '_' */
	const char *key;         /* report property */
} families[SYMVER_FAMILIES] = {
	[SYMVER_GLIBC] = { "GLIBC_", "glibc_floor" },
	[SYMVER_GLIBCXX] = { "GLIBCXX_", "glibcxx_floor" },
	[SYMVER_CXXABI] = { "CXXABI_", "cxxabi_floor" },
	[SYMVER_GCC] = { "GCC_", "gcc_floor" },
};

/* Files named per family in the details, and symbols in the summary. */
#define DETAIL_FILES 20
#define SUMMARY_SYMBOLS 3

const char *symver_family_name(enum symver_family f)
{
	static const char *const names[SYMVER_FAMILIES] = {
		"GLIBC", "GLIBCXX", "CXXABI", "GCC",
	};
	return names[f];
}

const char *symver_family_key(enum symver_family f)
{
	return families[f].key;
}

int symver_parse(const char *s, struct symver *v)
{
	struct symver out;
	unsigned long x;
	size_t n;

	/* by hand: once per needed version of every file of a tree */
	memset(&out, 0, sizeof(out));
	for (;;) {
		for (x = 0, n = 0; s[n] >= '0' && s[n] <= '9'; n++)
			if ((x = x * 10 + (unsigned long)(s[n] - '0')) > 65535)
				return -1;
		if (!n || out.nr == SYMVER_PARTS)
			return -1;
		out.part[out.nr++] = (unsigned)x;
		s += n;
		if (!*s)
			break;
		if (*s++ != '.')
			return -1;
	}
	*v = out;
	return 0;
}

int symver_parse_name(const char *name, enum symver_family *f, struct symver *v)
{
	size_t i;

	for (i = 0; i < SYMVER_FAMILIES; i++) {
		size_t n = strlen(families[i].prefix);

		if (!strncmp(name, families[i].prefix, n) && !symver_parse(name + n, v)) {
			*f = (enum symver_family)i;
			return 0;
		}
	}
	return -1;
}

int symver_cmp(const struct symver *a, const struct symver *b)
{
	size_t i;

	for (i = 0; i < SYMVER_PARTS; i++) {
		unsigned x = i < a->nr ? a->part[i] : 0, y = i < b->nr ? b->part[i] : 0;

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

void symver_format(struct strbuf *out, const struct symver *v)
{
	size_t i;

	for (i = 0; i < v->nr; i++)
		strbuf_addf(out, "%s%u", i ? "." : "", v->part[i]);
}

/* --- what the targets ship ------------------------------------------- */

const struct symver_target symver_targets[] = {
	{ "rhel7", "2.17", "3.4.19" },        /* glibc-2.17, libstdc++-4.8.5 */
	{ "centos7", "2.17", "3.4.19" },      /* the same packages, rebuilt */
	{ "rhel8", "2.28", "3.4.25" },        /* glibc-2.28, libstdc++-8.5.0 */
	{ "rhel9", "2.34", "3.4.29" },        /* glibc-2.34, libstdc++-11 */
	{ "ubuntu20.04", "2.31", "3.4.28" },  /* libc6 2.31-0ubuntu9, libstdc++6 10 */
	{ "ubuntu22.04", "2.35", "3.4.30" },  /* libc6 2.35-0ubuntu3, libstdc++6 12 */
	{ "ubuntu24.04", "2.39", "3.4.33" },  /* libc6 2.39-0ubuntu8, libstdc++6 14 */
	{ "debian11", "2.31", "3.4.28" },     /* libc6 2.31-13, libstdc++6 10.2.1-6 */
	{ "debian12", "2.36", "3.4.30" },     /* libc6 2.36-9, libstdc++6 12.2.0-14 */
	{ "debian13", "2.41", "3.4.33" },     /* libc6 2.41-12, libstdc++6 14.2.0-19 */
	/* SP3 and later (SP0-SP2: 2.26); libstdc++6 follows the newest GCC in updates */
	{ "sles15", "2.31", NULL },
	{ NULL, NULL, NULL },
};

const struct symver_target *symver_target_find(const char *name)
{
	const struct symver_target *t;

	for (t = symver_targets; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

void symver_target_names(struct strbuf *out)
{
	const struct symver_target *t;

	for (t = symver_targets; t->name; t++)
		strbuf_addf(out, "%s%s", t == symver_targets ? "" : ", ", t->name);
}

/*
 * The newest GLIBCXX_ and CXXABI_ of each GCC release that added one,
 * from the libstdc++ manual ("ABI Policy and Guidelines"); a release not
 * listed has the labels of the one before it.
 */
static const struct {
	const char *glibcxx, *cxxabi;
} libstdcxx[] = {
	{ "3.4.19", "1.3.7" },    /* GCC 4.8.3 */
	{ "3.4.20", "1.3.8" },    /* GCC 4.9.0 */
	{ "3.4.21", "1.3.9" },    /* GCC 5.1.0 */
	{ "3.4.22", "1.3.10" },   /* GCC 6.1.0 */
	{ "3.4.23", "1.3.11" },   /* GCC 7.1.0 */
	{ "3.4.24", "1.3.11" },   /* GCC 7.2.0 */
	{ "3.4.25", "1.3.11" },   /* GCC 8.1.0 */
	{ "3.4.26", "1.3.12" },   /* GCC 9.1.0 */
	{ "3.4.27", "1.3.12" },   /* GCC 9.2.0 */
	{ "3.4.28", "1.3.12" },   /* GCC 9.3.0, 10.1.0 */
	{ "3.4.29", "1.3.13" },   /* GCC 11.1.0 */
	{ "3.4.30", "1.3.13" },   /* GCC 12.1.0 */
	{ "3.4.31", "1.3.14" },   /* GCC 13.1.0 */
	{ "3.4.32", "1.3.14" },   /* GCC 13.2.0 */
	{ "3.4.33", "1.3.15" },   /* GCC 14.1.0 */
};

int symver_cxxabi_for(const struct symver *glibcxx, struct symver *cxxabi)
{
	size_t n = sizeof(libstdcxx) / sizeof(libstdcxx[0]), i;
	struct symver row;

	/* beyond the table a newer CXXABI_ may exist: no limit rather than a wrong one */
	symver_parse(libstdcxx[n - 1].glibcxx, &row);
	if (symver_cmp(glibcxx, &row) > 0)
		return -1;
	for (i = n; i-- > 0;) {
		symver_parse(libstdcxx[i].glibcxx, &row);
		if (symver_cmp(&row, glibcxx) <= 0)
			return symver_parse(libstdcxx[i].cxxabi, cxxabi);
	}
	return -1;
}

/* --- limits ------------------------------------------------------------ */

void symver_limits_init(struct symver_limits *l)
{
	memset(l, 0, sizeof(*l));
}

void symver_limits_release(struct symver_limits *l)
{
	size_t i;

	for (i = 0; i < SYMVER_FAMILIES; i++)
		free(l->source[i]);
	symver_limits_init(l);
}

/* Sets family `f`'s limit to `value`, given by `option`, for reasons `source`. */
static int set_limit(struct symver_limits *l, enum symver_family f, const char *option,
		     const char *value, const char *source, struct strbuf *err)
{
	if (symver_parse(value, &l->max[f])) {
		strbuf_addf(err, "%s: '%s' is not a version number such as 2.28", option, value);
		return -1;
	}
	free(l->source[f]);
	l->source[f] = xstrdup(source);
	return 0;
}

int symver_limits_set(struct symver_limits *l, const char *max_glibc,
		      const char *max_glibcxx, const char *target, struct strbuf *err)
{
	struct strbuf source = STRBUF_INIT;
	const char *glibcxx = max_glibcxx;
	int ret = -1;

	if (target) {
		const struct symver_target *t = symver_target_find(target);

		if (!t) {
			strbuf_addf(err, "--target: unknown target '%s' (known: ", target);
			symver_target_names(err);
			strbuf_addstr(err, "; or give --max-glibc VERSION)");
			goto out;
		}
		strbuf_addf(&source, "--target %s", target);
		if (!glibcxx)
			glibcxx = t->glibcxx;
		if (set_limit(l, SYMVER_GLIBC, "--target", t->glibc, source.buf, err) ||
		    (t->glibcxx &&
		     set_limit(l, SYMVER_GLIBCXX, "--target", t->glibcxx, source.buf, err)))
			goto out;
	}
	if (max_glibc) {
		strbuf_reset(&source);
		strbuf_addf(&source, "--max-glibc %s", max_glibc);
		if (set_limit(l, SYMVER_GLIBC, "--max-glibc", max_glibc, source.buf, err))
			goto out;
	}
	if (max_glibcxx) {
		strbuf_reset(&source);
		strbuf_addf(&source, "--max-glibcxx %s", max_glibcxx);
		if (set_limit(l, SYMVER_GLIBCXX, "--max-glibcxx", max_glibcxx, source.buf, err))
			goto out;
	}
	if (l->max[SYMVER_GLIBCXX].nr &&
	    !symver_cxxabi_for(&l->max[SYMVER_GLIBCXX], &l->max[SYMVER_CXXABI])) {
		free(l->source[SYMVER_CXXABI]);
		l->source[SYMVER_CXXABI] = xasprintf("%s: the libstdc++ with GLIBCXX_%s",
						     l->source[SYMVER_GLIBCXX], glibcxx);
	}
	ret = 0;
out:
	strbuf_release(&source);
	return ret;
}

/* --- the floor of a tree --------------------------------------------- */

void symver_floor_init(struct symver_floor *fl)
{
	memset(fl, 0, sizeof(*fl));
	strmap_init(&fl->defined);
	strmap_init(&fl->defined_names);
}

void symver_floor_release(struct symver_floor *fl)
{
	free(fl->files);
	free(fl->needs);
	strmap_release(&fl->defined);
	strmap_release(&fl->defined_names);
	symver_floor_init(fl);
}

/* "soname\nversion": a version a library defines (no printf: once per need of a tree). */
static void defined_key(struct strbuf *key, const char *soname, const char *version)
{
	strbuf_reset(key);
	strbuf_addstr(key, soname);
	strbuf_addch(key, '\n');
	strbuf_addstr(key, version);
}

void symver_floor_add(struct symver_floor *fl, const char *rel, const struct elf_info *elf)
{
	const char *slash = strrchr(rel, '/');
	const char *soname = elf->soname ? elf->soname : slash ? slash + 1 : rel;
	struct strbuf key = STRBUF_INIT;
	enum symver_family f;
	struct symver v;
	size_t i, file = fl->nr_files;
	int kept = 0;

	for (i = 0; i < elf->nr_verneed; i++) {
		struct symver_need *n;

		if (symver_parse_name(elf->verneed[i].name, &f, &v))
			continue;
		xgrow((void **)&fl->needs, &fl->alloc_needs, fl->nr_needs + 1,
		      sizeof(*fl->needs));
		n = &fl->needs[fl->nr_needs++];
		n->file = file;
		n->v = &elf->verneed[i];
		n->family = f;
		n->version = v;
		n->in_tree = 0;
		kept = 1;
	}
	if (kept) {
		xgrow((void **)&fl->files, &fl->alloc_files, fl->nr_files + 1,
		      sizeof(*fl->files));
		fl->files[fl->nr_files++] = rel;
	}
	for (i = 0; i < elf->nr_verdef; i++) {
		if (symver_parse_name(elf->verdef[i], &f, &v))
			continue;
		defined_key(&key, soname, elf->verdef[i]);
		strmap_put(&fl->defined, key.buf, NULL);
		strmap_put(&fl->defined_names, elf->verdef[i], NULL);
	}
	strbuf_release(&key);
}

void symver_floor_finish(struct symver_floor *fl)
{
	struct strbuf key = STRBUF_INIT;
	size_t i;

	for (i = 0; i < fl->nr_needs; i++) {
		struct symver_need *n = &fl->needs[i];

		if (strmap_has(&fl->defined_names, n->v->name)) {
			defined_key(&key, n->v->lib, n->v->name);
			n->in_tree = strmap_has(&fl->defined, key.buf);
		}
		if (!n->in_tree && symver_cmp(&n->version, &fl->top[n->family]) > 0)
			fl->top[n->family] = n->version;
	}
	strbuf_release(&key);
}

/* 1 when need `n` is a system requirement of the newest version of its family. */
static int at_top(const struct symver_floor *fl, const struct symver_need *n)
{
	return !n->in_tree && !symver_cmp(&n->version, &fl->top[n->family]);
}

/* Appends `s` to `out` as item `*count` of a ", " list unless `seen` has it. */
static void list_once(struct strbuf *out, struct strmap *seen, const char *s, size_t *count)
{
	if (strmap_has(seen, s))
		return;
	strmap_put(seen, s, NULL);
	strbuf_addf(out, "%s%s", (*count)++ ? ", " : "", s);
}

/*
 * " for a, b, c in FILE and N more files": the first symbols and the files
 * that need the newest version of family `f`.
 */
static void top_users(const struct symver_floor *fl, enum symver_family f, struct strbuf *out)
{
	struct strmap syms, files;
	size_t i, j, nsym = 0, nfiles = 0;

	strmap_init(&syms);
	strmap_init(&files);
	strbuf_addstr(out, " for ");
	for (i = 0; i < fl->nr_needs; i++) {
		const struct symver_need *n = &fl->needs[i];

		if (n->family != f || !at_top(fl, n))
			continue;
		for (j = 0; j < n->v->nr_symbols && nsym < SUMMARY_SYMBOLS; j++)
			list_once(out, &syms, n->v->symbols[j], &nsym);
	}
	if (!nsym)
		strbuf_addstr(out, "symbols not named");
	/* the files, each once: a file may need the version from two libraries */
	for (i = 0; i < fl->nr_needs; i++) {
		const struct symver_need *n = &fl->needs[i];

		if (n->family != f || !at_top(fl, n) || strmap_has(&files, fl->files[n->file]))
			continue;
		strmap_put(&files, fl->files[n->file], NULL);
		if (!nfiles++)
			strbuf_addf(out, " in %s", fl->files[n->file]);
	}
	if (nfiles > 1)
		strbuf_addf(out, " and %zu more file%s", nfiles - 1, nfiles == 2 ? "" : "s");
	strmap_release(&syms);
	strmap_release(&files);
}

void symver_floor_summary(const struct symver_floor *fl, struct strbuf *out)
{
	const struct symver *g = &fl->top[SYMVER_GLIBC];
	size_t others = 0;
	int f;

	if (!g->nr) {
		strbuf_addstr(out, "needs no versioned glibc symbol");
	} else {
		strbuf_addstr(out, "runs on glibc \xe2\x89\xa5 ");   /* U+2265 */
		symver_format(out, g);
		strbuf_addstr(out, " (GLIBC_");
		symver_format(out, g);
		top_users(fl, SYMVER_GLIBC, out);
		strbuf_addch(out, ')');
	}
	for (f = SYMVER_GLIBCXX; f < SYMVER_FAMILIES; f++) {
		if (!fl->top[f].nr)
			continue;
		strbuf_addstr(out, others++ ? ", " : "; from the system also ");
		strbuf_addf(out, "%s_", symver_family_name((enum symver_family)f));
		symver_format(out, &fl->top[f]);
	}
}

/* "sym1, sym2 and 3 more" of need `n`, or "no symbol named". */
static void need_symbols(struct strbuf *out, const struct symver_need *n)
{
	size_t j;

	const struct elf_verneed *v = n->v;

	for (j = 0; j < v->nr_symbols; j++)
		strbuf_addf(out, "%s%s", j ? ", " : "", v->symbols[j]);
	if (!v->nr_symbols)
		strbuf_addstr(out, "no symbol named");
	else if (v->nr_refs > v->nr_symbols)
		strbuf_addf(out, " and %zu more", v->nr_refs - v->nr_symbols);
}

void symver_floor_details(const struct symver_floor *fl, struct strbuf *out)
{
	struct strmap seen;
	size_t i, count;
	int f;

	for (f = 0; f < SYMVER_FAMILIES; f++) {
		size_t listed = 0;

		if (!fl->top[f].nr)
			continue;
		for (i = count = 0; i < fl->nr_needs; i++)
			count += fl->needs[i].family == (enum symver_family)f &&
				 at_top(fl, &fl->needs[i]);
		strbuf_addf(out, "%s_", symver_family_name((enum symver_family)f));
		symver_format(out, &fl->top[f]);
		strbuf_addf(out, " is the newest %s_ version needed from the system, by:\n",
			    symver_family_name((enum symver_family)f));
		for (i = 0; i < fl->nr_needs; i++) {
			const struct symver_need *n = &fl->needs[i];

			if (n->family != (enum symver_family)f || !at_top(fl, n))
				continue;
			if (listed++ == DETAIL_FILES) {
				strbuf_addf(out, "  ... and %zu more\n", count - DETAIL_FILES);
				break;
			}
			strbuf_addf(out, "  %s (from %s): ", fl->files[n->file], n->v->lib);
			need_symbols(out, n);
			strbuf_addch(out, '\n');
		}
	}
	strmap_init(&seen);
	for (i = count = 0; i < fl->nr_needs && count < DETAIL_FILES; i++) {
		if (!fl->needs[i].in_tree)
			continue;
		if (!count)
			strbuf_addstr(out, "defined in the tree, not needed from the system: ");
		list_once(out, &seen, fl->needs[i].v->name, &count);
	}
	if (count)
		strbuf_addch(out, '\n');
	strmap_release(&seen);
}

/* Sorts the indexes of needs `idx` by version, newest first (a handful). */
static void sort_newest_first(const struct symver_floor *fl, size_t *idx, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && symver_cmp(&fl->needs[idx[j - 1]].version,
						&fl->needs[idx[j]].version) < 0; j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

/* The finding for needs `idx` (newest first) of one file over the limit of family `f`. */
static void report_too_new(const struct symver_floor *fl, const struct symver_limits *lim,
			   enum symver_family f, const size_t *idx, size_t n,
			   void (*too_new)(void *, const char *, const char *, const char *),
			   void *ctx)
{
	const struct symver_need *top = &fl->needs[idx[0]];
	struct strbuf entry = STRBUF_INIT, msg = STRBUF_INIT;
	size_t i;

	if (top->v->nr_symbols)
		strbuf_addf(&entry, "%s@", top->v->symbols[0]);
	strbuf_addstr(&entry, top->v->name);
	strbuf_addstr(&msg, "needs ");
	for (i = 0; i < n; i++) {
		const struct symver_need *x = &fl->needs[idx[i]];

		strbuf_addf(&msg, "%s%s (", i ? ", " : "", x->v->name);
		need_symbols(&msg, x);
		strbuf_addf(&msg, ") from %s", x->v->lib);
	}
	strbuf_addf(&msg, "; the system may have no newer than %s_", symver_family_name(f));
	symver_format(&msg, &lim->max[f]);
	strbuf_addf(&msg, " (%s)", lim->source[f] ? lim->source[f] : "limit");
	too_new(ctx, fl->files[top->file], entry.buf, msg.buf);
	strbuf_release(&entry);
	strbuf_release(&msg);
}

size_t symver_floor_gate(const struct symver_floor *fl, const struct symver_limits *lim,
			 void (*too_new)(void *ctx, const char *file, const char *entry,
					 const char *message),
			 void *ctx)
{
	size_t start, end, i, n, reported = 0, *idx = NULL, alloc = 0;
	int f;

	/* the needs of one file are next to each other: they were added together */
	for (start = 0; start < fl->nr_needs; start = end) {
		for (end = start; end < fl->nr_needs && fl->needs[end].file ==
						       fl->needs[start].file; end++)
			;
		for (f = 0; f < SYMVER_FAMILIES; f++) {
			if (!lim->max[f].nr)
				continue;
			for (i = start, n = 0; i < end; i++) {
				const struct symver_need *x = &fl->needs[i];
				if (x->family != (enum symver_family)f || x->in_tree ||
				    symver_cmp(&x->version, &lim->max[f]) <= 0)
					continue;
				xgrow((void **)&idx, &alloc, n + 1, sizeof(*idx));
				idx[n++] = i;
			}
			if (!n)
				continue;
			sort_newest_first(fl, idx, n);
			report_too_new(fl, lim, (enum symver_family)f, idx, n, too_new, ctx);
			reported++;
		}
	}
	free(idx);
	return reported;
}
