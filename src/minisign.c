/* minisign's key and signature files: see minisign.h. */
#include "minisign.h"

#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const void *data, size_t len, struct strbuf *out)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		strbuf_addch(out, b64[v >> 18]);
		strbuf_addch(out, b64[(v >> 12) & 63]);
		strbuf_addch(out, b64[(v >> 6) & 63]);
		strbuf_addch(out, b64[v & 63]);
	}
	if (len - i == 1) {
		strbuf_addch(out, b64[p[i] >> 2]);
		strbuf_addch(out, b64[(p[i] & 3) << 4]);
		strbuf_addstr(out, "==");
	} else if (len - i == 2) {
		unsigned v = (unsigned)p[i] << 8 | p[i + 1];
		strbuf_addch(out, b64[v >> 10]);
		strbuf_addch(out, b64[(v >> 4) & 63]);
		strbuf_addch(out, b64[(v << 2) & 63]);
		strbuf_addch(out, '=');
	}
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int base64_decode(const char *text, size_t len, unsigned char *out, size_t max, size_t *n)
{
	size_t i, o = 0;

	*n = 0;
	if (len % 4)
		return -1;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		unsigned w;

		for (k = 0; k < 4; k++) {
			if (text[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)   /* a digit after '=' */
				return -1;
			v[k] = b64_value(text[i + k]);
			if (v[k] < 0)
				return -1;
		}
		w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
		if (o + 3 - (size_t)pad > max)
			return -1;
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	*n = o;
	return 0;
}

void minisign_id_hex(const unsigned char id[MINISIGN_ID_SIZE], char hex[17])
{
	static const char digits[] = "0123456789ABCDEF";
	int i;

	/* little-endian: the last byte is printed first */
	for (i = 0; i < MINISIGN_ID_SIZE; i++) {
		hex[2 * i] = digits[id[MINISIGN_ID_SIZE - 1 - i] >> 4];
		hex[2 * i + 1] = digits[id[MINISIGN_ID_SIZE - 1 - i] & 15];
	}
	hex[16] = '\0';
}

void minisign_pubkey(const unsigned char id[MINISIGN_ID_SIZE], const unsigned char pub[32],
		     struct strbuf *out)
{
	unsigned char raw[2 + MINISIGN_ID_SIZE + 32];
	char hex[17];

	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, id, MINISIGN_ID_SIZE);
	memcpy(raw + 2 + MINISIGN_ID_SIZE, pub, 32);
	minisign_id_hex(id, hex);
	strbuf_addf(out, "untrusted comment: minisign public key %s\n", hex);
	base64_encode(raw, sizeof(raw), out);
	strbuf_addch(out, '\n');
}

void minisign_global_message(const unsigned char sig[64], const char *trusted,
			     struct strbuf *out)
{
	strbuf_add(out, sig, 64);
	strbuf_addstr(out, trusted);
}

void minisign_signature(const struct minisig *s, const char *untrusted, struct strbuf *out)
{
	unsigned char raw[2 + MINISIGN_ID_SIZE + 64];

	memcpy(raw, s->alg, 2);
	memcpy(raw + 2, s->id, MINISIGN_ID_SIZE);
	memcpy(raw + 2 + MINISIGN_ID_SIZE, s->sig, 64);
	strbuf_addf(out, "untrusted comment: %s\n", untrusted);
	base64_encode(raw, sizeof(raw), out);
	strbuf_addf(out, "\ntrusted comment: %s\n", s->trusted);
	base64_encode(s->global, 64, out);
	strbuf_addch(out, '\n');
}

/* The next line of text[*pos..len) without its newline; -1 at the end. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return -1;
	*line = text + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*n = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *n + (nl != NULL);
	if (*n && (*line)[*n - 1] == '\r')
		(*n)--;
	return 0;
}

int minisign_parse(const char *text, size_t len, struct minisig *s, struct strbuf *err)
{
	static const char upre[] = "untrusted comment: ", tpre[] = "trusted comment: ";
	unsigned char raw[2 + MINISIGN_ID_SIZE + 64];
	const char *line;
	size_t pos = 0, n, got;

	memset(s, 0, sizeof(*s));
	if (next_line(text, len, &pos, &line, &n) || n < sizeof(upre) - 1 ||
	    memcmp(line, upre, sizeof(upre) - 1)) {
		strbuf_addstr(err, "line 1 is not an untrusted comment");
		return -1;
	}
	if (next_line(text, len, &pos, &line, &n) ||
	    base64_decode(line, n, raw, sizeof(raw), &got) || got != sizeof(raw)) {
		strbuf_addstr(err, "line 2 is not a base64 signature of 74 bytes");
		return -1;
	}
	memcpy(s->alg, raw, 2);
	memcpy(s->id, raw + 2, MINISIGN_ID_SIZE);
	memcpy(s->sig, raw + 2 + MINISIGN_ID_SIZE, 64);
	if (memcmp(s->alg, "ED", 2) && memcmp(s->alg, "Ed", 2)) {
		strbuf_addstr(err, "line 2: not an Ed25519 signature (algorithm ED or Ed)");
		return -1;
	}
	if (next_line(text, len, &pos, &line, &n) || n < sizeof(tpre) - 1 ||
	    memcmp(line, tpre, sizeof(tpre) - 1) ||
	    n - (sizeof(tpre) - 1) >= MINISIGN_TRUSTED_MAX ||
	    memchr(line, '\0', n)) {
		strbuf_addstr(err, "line 3 is not a trusted comment (of fewer than 1024 bytes)");
		return -1;
	}
	memcpy(s->trusted, line + sizeof(tpre) - 1, n - (sizeof(tpre) - 1));
	if (next_line(text, len, &pos, &line, &n) ||
	    base64_decode(line, n, s->global, sizeof(s->global), &got) || got != 64) {
		strbuf_addstr(err, "line 4 is not a base64 global signature of 64 bytes");
		return -1;
	}
	return 0;
}
