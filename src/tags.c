#include "tags.h"

#include <stdlib.h>
#include <string.h>

/* At most 9 digits: no overflow in an unsigned long, and no tag has more. */
static const char *parse_num(const char *s, unsigned long *out)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i == 9)
			return NULL;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	if (!i)
		return NULL;
	*out = n;
	return s + i;
}

static const struct {
	const char *word;
	enum pre_kind kind;
} pre_words[] = {
	{ "rc", PRE_RC },
	{ "pre", PRE_PRE },
	{ "ll", PRE_LL },
};

/* "rc1" → PRE_RC, 1; returns the end, or NULL when `s` is no pre-release word. */
static const char *parse_pre(const char *s, enum pre_kind *kind, unsigned long *nr)
{
	size_t i;

	for (i = 0; i < sizeof(pre_words) / sizeof(pre_words[0]); i++) {
		size_t len = strlen(pre_words[i].word);
		if (!strncmp(s, pre_words[i].word, len)) {
			const char *end = parse_num(s + len, nr);
			if (!end)
				return NULL;
			*kind = pre_words[i].kind;
			return end;
		}
	}
	return NULL;
}

static const char *pre_word(enum pre_kind k)
{
	size_t i;

	for (i = 0; i < sizeof(pre_words) / sizeof(pre_words[0]); i++)
		if (pre_words[i].kind == k)
			return pre_words[i].word;
	return "";
}

int tag_parse(const char *tag, struct slurm_version *v)
{
	struct slurm_version t = { 0, 0, 0, 0, PRE_NONE, 0 };
	unsigned long *nums[4] = { &t.major, &t.minor, &t.micro, &t.rel };
	const char *p;
	int i;

	if (strncmp(tag, "slurm-", 6))
		return -1;
	p = tag + 6;
	for (i = 0; i < 4; i++) {
		if (i && *p++ != '-')
			return -1;
		p = parse_num(p, nums[i]);
		if (!p)
			return -1;
	}
	if (*p) {
		/* new style "0rc1" right after REL, old style "0-pre1" after a dash */
		if (*p == '-')
			p++;
		p = parse_pre(p, &t.pre, &t.pre_nr);
		if (!p || *p)
			return -1;
	}
	*v = t;
	return 0;
}

static int cmp_ul(unsigned long a, unsigned long b)
{
	return a < b ? -1 : a > b;
}

int version_cmp(const struct slurm_version *a, const struct slurm_version *b)
{
	int c;

	if ((c = cmp_ul(a->major, b->major)) || (c = cmp_ul(a->minor, b->minor)) ||
	    (c = cmp_ul(a->micro, b->micro)) || (c = cmp_ul(a->rel, b->rel)))
		return c;
	if ((c = cmp_ul((unsigned long)a->pre, (unsigned long)b->pre)))
		return c;
	return cmp_ul(a->pre_nr, b->pre_nr);
}

void tag_version_string(const char *tag, struct strbuf *out)
{
	struct slurm_version v;
	const char *p = tag + 6, *end;
	int i;

	if (tag_parse(tag, &v))
		return;
	/* MAJ.MIN.MICRO with the digits as written: "24.05.1", not "24.5.1" */
	for (i = 0; i < 3; i++) {
		end = strchr(p, '-');
		if (i)
			strbuf_addch(out, '.');
		strbuf_add(out, p, (size_t)(end - p));
		p = end + 1;
	}
	if (v.pre != PRE_NONE)
		strbuf_addf(out, "-%lu%s%lu", v.rel, pre_word(v.pre), v.pre_nr);
	else if (v.rel != 1)
		strbuf_addf(out, "-%lu", v.rel);
}

void tag_list_init(struct tag_list *l)
{
	memset(l, 0, sizeof(*l));
}

void tag_list_release(struct tag_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		free(l->items[i].name);
		free(l->items[i].commit);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

int tag_list_add(struct tag_list *l, const char *name, const char *commit)
{
	struct slurm_version v;
	size_t i;

	if (tag_parse(name, &v)) {
		l->ignored++;
		return 0;
	}
	for (i = 0; i < l->nr; i++) {
		if (!strcmp(l->items[i].name, name)) {
			free(l->items[i].commit);
			l->items[i].commit = xstrdup(commit);
			return 1;
		}
	}
	xgrow((void **)&l->items, &l->alloc, l->nr + 1, sizeof(*l->items));
	l->items[l->nr].name = xstrdup(name);
	l->items[l->nr].commit = xstrdup(commit);
	l->items[l->nr].v = v;
	l->nr++;
	return 1;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct tag_ref *x = a, *y = b;
	int c = version_cmp(&x->v, &y->v);

	return c ? c : strcmp(x->name, y->name);
}

void tag_list_sort(struct tag_list *l)
{
	if (l->nr)
		qsort(l->items, l->nr, sizeof(*l->items), cmp_ref);
}

void tag_list_remove(struct tag_list *l, const struct tag_ref *ref)
{
	size_t i = (size_t)(ref - l->items);

	if (i >= l->nr)
		return;
	free(l->items[i].name);
	free(l->items[i].commit);
	memmove(&l->items[i], &l->items[i + 1], (l->nr - i - 1) * sizeof(*l->items));
	l->nr--;
}

/* What a version spec asks for; unset parts match anything. */
struct spec {
	int latest;
	const char *tag;           /* an exact tag name */
	struct slurm_version v;
	int have_micro, have_rel, have_pre;
};

static int spec_parse(const char *s, struct spec *sp)
{
	const char *p;

	memset(sp, 0, sizeof(*sp));
	sp->v.pre = PRE_NONE;
	if (!strcmp(s, "latest")) {
		sp->latest = 1;
		return 0;
	}
	if (!strncmp(s, "slurm-", 6)) {
		sp->tag = s;
		return 0;
	}
	p = parse_num(s, &sp->v.major);
	if (!p || *p++ != '.' || !(p = parse_num(p, &sp->v.minor)))
		return -1;
	if (!*p)
		return 0;
	if (*p++ != '.' || !(p = parse_num(p, &sp->v.micro)))
		return -1;
	sp->have_micro = 1;
	if (*p == '-' && p[1] >= '0' && p[1] <= '9') {
		p = parse_num(p + 1, &sp->v.rel);
		if (!p) /* out of range: parse_num gives NULL */
			return -1;
		sp->have_rel = 1;
	}
	if (*p) {
		if (*p == '-' || *p == '.')
			p++;
		p = parse_pre(p, &sp->v.pre, &sp->v.pre_nr);
		if (!p)
			return -1;
		sp->have_pre = 1;
	}
	return *p ? -1 : 0;
}

static int spec_matches(const struct spec *sp, const struct tag_ref *t, int allow_pre)
{
	if (sp->tag)
		return !strcmp(sp->tag, t->name);
	if (sp->have_pre) {
		if (t->v.pre != sp->v.pre || t->v.pre_nr != sp->v.pre_nr)
			return 0;
	} else if (t->v.pre != PRE_NONE && !allow_pre) {
		return 0;
	}
	if (sp->latest)
		return 1;
	return t->v.major == sp->v.major && t->v.minor == sp->v.minor &&
	       (!sp->have_micro || t->v.micro == sp->v.micro) &&
	       (!sp->have_rel || t->v.rel == sp->v.rel);
}

static void add_ref(struct strbuf *out, const struct tag_ref *t, int *first)
{
	strbuf_addstr(out, *first ? " " : ", ");
	tag_version_string(t->name, out);
	strbuf_addf(out, " (%s)", t->name);
	*first = 0;
}

/* Index of the newest release of each MAJ.MIN series, oldest series first. */
static size_t series_heads(const struct tag_list *l, int allow_pre, size_t *heads)
{
	size_t i, n = 0;

	for (i = 0; i < l->nr; i++) {
		const struct tag_ref *t = &l->items[i];
		if (t->v.pre != PRE_NONE && !allow_pre)
			continue;
		if (n && l->items[heads[n - 1]].v.major == t->v.major &&
		    l->items[heads[n - 1]].v.minor == t->v.minor)
			heads[n - 1] = i;
		else
			heads[n++] = i;
	}
	return n;
}

/*
 * The nearest versions to what `sp` asked for: series heads around MAJ.MIN,
 * or the releases around MAJ.MIN.MICRO, or the newest series when the spec
 * says nothing usable.
 */
static void add_nearest(struct strbuf *out, const struct tag_list *l,
			const struct spec *sp, int have_nums, int allow_pre)
{
	size_t *idx = xcalloc(l->nr + 1, sizeof(*idx));
	size_t n = 0, i, pos, from, to;
	int first = 1;

	if (have_nums && sp->have_micro) {
		for (i = 0; i < l->nr; i++)
			if (l->items[i].v.pre == PRE_NONE || allow_pre)
				idx[n++] = i;
	} else {
		n = series_heads(l, allow_pre, idx);
	}
	if (!n) {
		strbuf_addstr(out, "; the repository has no matching versions at all");
		goto out;
	}
	pos = n;
	if (have_nums) {
		struct slurm_version key = sp->v;
		key.rel = 0;
		key.pre = PRE_LL;
		key.pre_nr = 0;
		if (!sp->have_micro)
			key.micro = 0;
		for (pos = 0; pos < n; pos++)
			if (version_cmp(&l->items[idx[pos]].v, &key) >= 0)
				break;
	}
	from = pos >= 3 ? pos - 3 : 0;
	to = pos + 3 <= n ? pos + 3 : n;
	if (!have_nums)
		from = n >= 3 ? n - 3 : 0;
	strbuf_addstr(out, "; nearest versions:");
	for (i = from; i < to; i++)
		add_ref(out, &l->items[idx[i]], &first);
out:
	free(idx);
}

int tags_resolve(const struct tag_list *l, const char *spec, int allow_pre,
		 const struct tag_ref **out, struct strbuf *err)
{
	const struct tag_ref *best = NULL;
	struct spec sp;
	size_t i, pre_only = 0;
	int have_nums;

	if (spec_parse(spec, &sp)) {
		strbuf_addf(err, "'%s' is not a version spec (use latest, MAJ.MIN, "
			    "MAJ.MIN.MICRO, MAJ.MIN.MICRO-REL, a pre-release such as "
			    "24.11.0-0rc1, or a tag name such as slurm-24-11-5-1)", spec);
		add_nearest(err, l, &sp, 0, allow_pre);
		return -1;
	}
	for (i = 0; i < l->nr; i++) {
		if (spec_matches(&sp, &l->items[i], allow_pre))
			best = &l->items[i];   /* sorted: the last match is the newest */
		else if (!allow_pre && spec_matches(&sp, &l->items[i], 1))
			pre_only++;
	}
	if (best) {
		*out = best;
		return 0;
	}
	if (sp.tag) {
		struct slurm_version v;
		have_nums = !tag_parse(sp.tag, &v);
		if (have_nums) {
			sp.v = v;
			sp.have_micro = 1;
		}
		strbuf_addf(err, "no tag named '%s'", spec);
		if (!have_nums)
			strbuf_addstr(err, " (not a Slurm version tag)");
	} else if (pre_only) {
		strbuf_addf(err, "only pre-releases match '%s' (add --pre to allow them)",
			    spec);
		have_nums = !sp.latest;
	} else {
		strbuf_addf(err, "no Slurm version matches '%s'", spec);
		have_nums = !sp.latest;
	}
	add_nearest(err, l, &sp, have_nums, allow_pre || pre_only);
	return -1;
}
