#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char strbuf_empty[1];

static void die_oom(void)
{
	static const char msg[] = "slurm-factory: out of memory\n";
	fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

void xgrow(void **arr, size_t *alloc, size_t need, size_t size)
{
	size_t n;

	if (need <= *alloc)
		return;
	n = *alloc ? *alloc : 8;
	while (n < need) {
		if (n > ((size_t)-1) / 2 / size)
			die_oom();
		n *= 2;
	}
	*arr = xrealloc(*arr, n * size);
	*alloc = n;
}

char *xstrdup(const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p)
		die_oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb);
}

void strbuf_init(struct strbuf *sb)
{
	sb->buf = strbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb);
}

void strbuf_wipe(struct strbuf *sb)
{
	if (sb->alloc)
		explicit_bzero(sb->buf, sb->alloc);
	strbuf_release(sb);
}

char *strbuf_detach(struct strbuf *sb)
{
	char *p = sb->alloc ? sb->buf : xstrdup("");
	strbuf_init(sb);
	return p;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need < sb->len)
		die_oom();
	if (need <= sb->alloc)
		return;
	if (!sb->alloc)
		sb->buf = NULL;
	xgrow((void **)&sb->buf, &sb->alloc, need, 1);
	if (sb->len == 0)
		sb->buf[0] = '\0';
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (!sb->alloc)
		return;
	if (len > sb->len)
		len = sb->len;
	sb->len = len;
	sb->buf[len] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (!len)
		return;
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

int parse_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out)
{
	char *end;
	unsigned long v;

	/* strtoul would skip leading blanks and accept a sign */
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v, mul = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	case 't': case 'T': mul = 1ULL << 40; end++; break;
	default: return -1;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || (v && mul > ~0ULL / v))
		return -1;
	*out = v * mul;
	return 0;
}

/* Length of the well-formed UTF-8 sequence at s, or 0. Sets *cp. */
static size_t utf8_seq(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c = s[0];
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

void utf8_sanitize(struct strbuf *out, const char *s, size_t len, int xml)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	strbuf_grow(out, len);
	while (i < len) {
		unsigned cp;
		size_t n = utf8_seq(p + i, len - i, &cp);

		if (!n) {
			strbuf_addf(out, "\\x%02X", p[i]);
			i++;
			continue;
		}
		if (xml && ((cp < 0x20 && cp != 0x09 && cp != 0x0A && cp != 0x0D) ||
			    cp == 0xFFFE || cp == 0xFFFF)) {
			if (cp < 0x20)
				strbuf_addf(out, "\\x%02X", cp);
			else
				strbuf_addf(out, "\\u{%04X}", cp);
		} else {
			strbuf_add(out, p + i, n);
		}
		i += n;
	}
}

void strbuf_list_add(struct strbuf_list *l, const char *s)
{
	xgrow((void **)&l->items, &l->alloc, l->nr + 2, sizeof(*l->items));
	l->items[l->nr++] = xstrdup(s);
	l->items[l->nr] = NULL;
}

void strbuf_list_addf(struct strbuf_list *l, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	xgrow((void **)&l->items, &l->alloc, l->nr + 2, sizeof(*l->items));
	l->items[l->nr++] = strbuf_detach(&sb);
	l->items[l->nr] = NULL;
}

void strbuf_list_release(struct strbuf_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

const char *strbuf_last_line(struct strbuf *out, const char *text, size_t max)
{
	size_t end = strlen(text), start;

	while (end > 0 && text[end - 1] == '\n')
		end--;
	start = end;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	strbuf_reset(out);
	strbuf_add(out, text + start, end - start > max ? max : end - start);
	return out->buf;
}

void strbuf_add_console(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t len = strlen((const char *)p), i = 0, lead;
	struct strbuf sb = STRBUF_INIT;

	while (i < len) {
		unsigned cp;
		size_t n = utf8_seq(p + i, len - i, &cp);

		if (!n) {
			strbuf_addf(&sb, "\\x%02X", p[i]);
			i++;
			continue;
		}
		if (cp == '\n')
			strbuf_addstr(&sb, "\\n");
		else if (cp == '\r')
			strbuf_addstr(&sb, "\\r");
		else if (cp == '\t')
			strbuf_addstr(&sb, "\\t");
		else if (cp < 0x20 || cp == 0x7F)
			strbuf_addf(&sb, "\\x%02x", cp);
		else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)
			strbuf_addf(&sb, "\\u{%04X}", cp);   /* C1 controls (CSI), line separators */
		else
			strbuf_add(&sb, p + i, n);
		i += n;
	}
	/* printed at the start of a line, it must not read as a CI workflow command */
	lead = strspn(sb.buf, " ");
	if (!strncmp(sb.buf + lead, "::", 2) || !strncmp(sb.buf + lead, "##[", 3)) {
		strbuf_add(out, sb.buf, lead);
		strbuf_addch(out, '\\');
		strbuf_addstr(out, sb.buf + lead);
	} else {
		strbuf_add(out, sb.buf, sb.len);
	}
	strbuf_release(&sb);
}

const char *console_str(struct strbuf *tmp, const char *s)
{
	strbuf_reset(tmp);
	strbuf_add_console(tmp, s);
	return tmp->buf;
}

/* The user[:password] of `url`: *start and length, 0 when it has none. */
static size_t url_userinfo(const char *url, const char **start)
{
	const char *a = strstr(url, "://"), *end, *at;

	if (!a)
		return 0;
	a += 3;
	end = a + strcspn(a, "/?#");
	at = memrchr(a, '@', (size_t)(end - a));
	if (!at || at == a)
		return 0;
	*start = a;
	return (size_t)(at - a);
}

/* The query string of a URL ("a=b&c=d", without '?' and fragment): *start and length. */
static size_t url_query(const char *url, const char **start)
{
	const char *a = strstr(url, "://"), *q;

	if (!a)
		return 0;
	q = strchr(a + 3, '?');
	if (!q || !q[1])
		return 0;
	*start = q + 1;
	return strcspn(q + 1, "#");
}

void url_redact(struct strbuf *out, const char *url)
{
	const char *u = NULL, *rest = url, *q;
	size_t n = url_userinfo(url, &u);

	if (n) {
		strbuf_add(out, url, (size_t)(u - url));
		strbuf_addstr(out, "***");
		rest = u + n;
	}
	if (!strstr(url, "://")) {
		/* a local path: nothing more can hide a credential */
		strbuf_addstr(out, rest);
		return;
	}
	/* a query string or fragment may carry a token or a signature */
	q = rest + strcspn(rest, "?#");
	strbuf_add(out, rest, (size_t)(q - rest));
	if (*q == '?')
		strbuf_addstr(out, "?...");
	else if (*q == '#')
		strbuf_addstr(out, "#...");
}

/* Replaces every occurrence of `secret` (`n` bytes) in `sb` by `with`. */
static void scrub(struct strbuf *sb, const char *secret, size_t n, const char *with)
{
	struct strbuf res = STRBUF_INIT;
	const char *p, *hit;

	if (!n || !sb->len)
		return;
	p = sb->buf;
	while ((hit = memmem(p, sb->len - (size_t)(p - sb->buf), secret, n))) {
		strbuf_add(&res, p, (size_t)(hit - p));
		strbuf_addstr(&res, with);
		p = hit + n;
	}
	strbuf_addstr(&res, p);
	strbuf_release(sb);
	*sb = res;
}

void url_scrub(struct strbuf *sb, const char *url)
{
	const char *u = NULL, *q = NULL;
	size_t n = url_userinfo(url, &u), nq = url_query(url, &q);
	char *user = n ? xstrndup(u, n) : NULL, *query = nq ? xstrndup(q, nq) : NULL;

	if (user)
		scrub(sb, user, n, "***");
	if (query)
		scrub(sb, query, nq, "...");
	free(user);
	free(query);
}

int str_next_line(const char **pos, const char **line, size_t *len)
{
	const char *s = *pos, *nl;

	if (!s || !*s)
		return 0;
	nl = strchr(s, '\n');
	*line = s;
	*len = nl ? (size_t)(nl - s) : strlen(s);
	*pos = s + *len + (nl ? 1 : 0);
	return 1;
}
