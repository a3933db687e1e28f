/*
 * libFuzzer harness: the report writers (report_json.c, report_junit.c,
 * xml.c, utf8_sanitize). Arbitrary bytes become the names, messages,
 * findings, properties, details and log paths of a report; the JUnit XML
 * must then be well-formed XML 1.0 (libxml2, no network, no entities) and
 * the JSON must parse with json-c and be valid UTF-8.
 */
#include <json-c/json.h>
#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_write.h"

/* Pieces of the input, split at NUL bytes; cycles when exhausted. */
struct pieces {
	char **p;
	size_t nr, next;
};

static const char *take(struct pieces *ps)
{
	if (!ps->nr)
		return "";
	return ps->p[ps->next++ % ps->nr];
}

static int valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], n, cp, k;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1; cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2; cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3; cp = c & 0x07;
		} else {
			return 0;
		}
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct pieces ps = { NULL, 0, 0 };
	struct report r;
	struct strbuf json = STRBUF_INIT, xml = STRBUF_INIT;
	size_t i, nr_stages, start = 0;
	json_object *parsed;
	xmlDocPtr doc;

	memcpy(text, data, size);
	text[size] = '\0';
	ps.p = calloc(size + 1, sizeof(*ps.p));
	for (i = 0; i <= size; i++) {
		if (text[i] == '\0') {
			ps.p[ps.nr++] = text + start;
			start = i + 1;
		}
	}
	nr_stages = size ? 1 + data[0] % 3 : 1;

	report_init(&r, take(&ps));
	report_set_prop(&r, take(&ps), take(&ps));
	for (i = 0; i < nr_stages; i++) {
		struct stage_report *s = report_add_stage(&r, take(&ps));
		struct check *c;
		const char *sel = take(&ps);

		stage_set_prop(s, take(&ps), take(&ps));
		if (sel[0] == 's') {
			stage_skip(s, take(&ps));
			continue;
		}
		c = stage_add_check(s, take(&ps));
		check_set_message(c, "%s", take(&ps));
		check_add_finding(c, take(&ps), (enum severity)((unsigned char)sel[0] % 3),
				  take(&ps), sel[0] & 8 ? NULL : take(&ps), take(&ps),
				  sel[0] & 32 ? NULL : take(&ps));
		strbuf_addstr(&c->details, take(&ps));
		check_attach_log(c, take(&ps));
		if (sel[0] & 16)
			check_fail(c, sel[0] & 32 ? OUTCOME_ERROR : OUTCOME_FAIL, "%s", take(&ps));
		check_finish(c);
		c = stage_add_check(s, take(&ps));
		check_finish(c);
		if (sel[0] & 64)
			s->interrupted = 1;
		stage_finish(s);
	}
	report_finish(&r);

	report_json_string(&r, &json);
	if (!valid_utf8((const unsigned char *)json.buf, json.len))
		abort();
	parsed = json_tokener_parse(json.buf);
	if (!parsed)
		abort();
	json_object_put(parsed);

	report_junit_string(&r, &xml);
	if (!valid_utf8((const unsigned char *)xml.buf, xml.len))
		abort();
	doc = xmlReadMemory(xml.buf, (int)xml.len, "junit.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		abort(); /* not well-formed */
	xmlFreeDoc(doc);

	report_release(&r);
	strbuf_release(&json);
	strbuf_release(&xml);
	free(ps.p);
	free(text);
	return 0;
}
