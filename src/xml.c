#include "xml.h"

#include <string.h>

void xml_escape(struct strbuf *out, const char *s, size_t len)
{
	struct strbuf clean = STRBUF_INIT;
	size_t i;

	utf8_sanitize(&clean, s, len, 1);
	strbuf_grow(out, clean.len);
	for (i = 0; i < clean.len; i++) {
		char c = clean.buf[i];
		switch (c) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&apos;"); break;
		/* attribute values would normalise these to spaces */
		case '\n': strbuf_addstr(out, "&#10;"); break;
		case '\r': strbuf_addstr(out, "&#13;"); break;
		case '\t': strbuf_addstr(out, "&#9;"); break;
		default: strbuf_addch(out, c); break;
		}
	}
	strbuf_release(&clean);
}

void xml_escapestr(struct strbuf *out, const char *s)
{
	if (s)
		xml_escape(out, s, strlen(s));
}
