/*
 * The one XML escaper. Output is always valid XML 1.0 whatever the input:
 * invalid UTF-8 and forbidden control characters are replaced by "\xNN"
 * text (see utf8_sanitize), markup characters by entities. No CDATA is
 * ever written, so "]]>" in a log needs no special case.
 */
#ifndef SF_XML_H
#define SF_XML_H

#include "strbuf.h"

/* Escapes for element content and for attribute values alike. */
void xml_escape(struct strbuf *out, const char *s, size_t len);
void xml_escapestr(struct strbuf *out, const char *s);

#endif
