/*
 * strbuf: the one growable string of the project.
 *
 * A strbuf owns its buffer; `buf` is always NUL-terminated (also when empty,
 * when it points at a shared empty string that must not be written).
 * Allocation failure aborts: every caller would otherwise have to carry an
 * out-of-memory path that is never exercised.
 */
#ifndef SF_STRBUF_H
#define SF_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { strbuf_empty, 0, 0 }
extern char strbuf_empty[];

void strbuf_init(struct strbuf *sb);
/* Frees the buffer; `sb` is empty and reusable afterwards. */
void strbuf_release(struct strbuf *sb);
/*
 * strbuf_release() after zeroing the whole allocation: for secrets (a
 * private key). Grow such a buffer once, before filling it, so that no
 * realloc() leaves a copy behind.
 */
void strbuf_wipe(struct strbuf *sb);
/* Hands the buffer to the caller (free() it); `sb` is empty afterwards. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);

/* Duplicates `s` (never NULL unless `s` is NULL); aborts on out of memory. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows `*arr` (of `*alloc` elements of `size`) to hold at least `need`. */
void xgrow(void **arr, size_t *alloc, size_t need, size_t size);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The last non-empty line of `text` (trailing newlines skipped), at most
 * `max` bytes of it, into `out` (reset first); returns out->buf. For a
 * failed command's one-line message.
 */
const char *strbuf_last_line(struct strbuf *out, const char *text, size_t max);

/*
 * Walks `text` line by line: the line at *pos into *line and *len (without
 * its '\n'), *pos moved past it; 0 at the end of the text.
 *   const char *pos = text, *line; size_t n;
 *   while (str_next_line(&pos, &line, &n)) ...
 */
int str_next_line(const char **pos, const char **line, size_t *len);

/*
 * A NULL-terminated list of owned strings (an argv or an environment):
 * `items` is NULL until the first add, then always NULL-terminated.
 */
struct strbuf_list {
	char **items;
	size_t nr, alloc;
};
#define STRBUF_LIST_INIT { NULL, 0, 0 }
void strbuf_list_add(struct strbuf_list *l, const char *s);
void strbuf_list_addf(struct strbuf_list *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_list_release(struct strbuf_list *l);

/*
 * Checked number parsing: the whole string must be a number in range.
 * Return 0 on success, -1 (and leave *out alone) otherwise.
 */
int parse_ulong(const char *s, unsigned long min, unsigned long max,
		unsigned long *out);
/* Sizes with an optional K, M, G or T suffix (powers of 1024). */
int parse_size(const char *s, unsigned long long *out);

/*
 * Appends `s` (`len` bytes) to `out` as valid UTF-8: every byte that is not
 * part of a well-formed UTF-8 sequence becomes the text "\xNN". When
 * `xml` is set, characters XML 1.0 forbids (C0 controls but tab, LF, CR;
 * U+FFFE, U+FFFF) become "\xNN" / "\u{FFFE}" too.
 */
void utf8_sanitize(struct strbuf *out, const char *s, size_t len, int xml);

/*
 * Appends `s` (text that came from an input: an entry or file name, an ELF
 * string, a log line, a server reply) as it may appear on a console or in
 * a CI log: one line of valid UTF-8, control characters shown as \n, \r,
 * \t, \x1b, C1 controls and line separators as \u{009B}, invalid bytes as
 * \xFF; and when the result would start (after spaces) with a GitHub or
 * Azure workflow command ("::", "##["), a backslash goes first.
 */
void strbuf_add_console(struct strbuf *out, const char *s);
/* strbuf_add_console into `tmp` (reset first); returns tmp->buf. For printf. */
const char *console_str(struct strbuf *tmp, const char *s);

/*
 * Credentials in URLs are never printed or written to reports. Appends
 * `url` to `out` with the user[:password] part of its authority replaced
 * by "***" (user:token@host becomes ***@host) and, for a URL with a
 * scheme, its query string and fragment by "?..." / "#..." (a pre-signed
 * URL's signature, a ?private_token=). A local path is appended as is but
 * for the user part.
 */
void url_redact(struct strbuf *out, const char *url);
/*
 * Replaces every occurrence of `url`'s user[:password] part in `sb` by
 * "***" and of its query string by "...".
 */
void url_scrub(struct strbuf *sb, const char *url);

#endif
