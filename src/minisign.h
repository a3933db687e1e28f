/*
 * minisign's file formats (pure: no I/O, no crypto). A release signed by
 * `slurm-factory sign` can be checked with Debian's `minisign -V`:
 *
 *   public key:  untrusted comment: minisign public key <KEY ID>
 *                base64("Ed" || key id (8) || Ed25519 public key (32))
 *   signature:   untrusted comment: <text>
 *                base64("ED" || key id (8) || Ed25519 sig of BLAKE2b-512(file) (64))
 *                trusted comment: <text>
 *                base64(Ed25519 sig of (the 64-byte signature || trusted text))
 *
 * The key id is not random, as minisign's own is, but the first 8 bytes of
 * the BLAKE2b-512 of the public key: the PEM key pair carries no id, and
 * the same key always gets the same one. It is printed as minisign prints
 * it: the 8 bytes read as a little-endian number, in upper-case hex.
 */
#ifndef SF_MINISIGN_H
#define SF_MINISIGN_H

#include <stddef.h>

#include "strbuf.h"

#define MINISIGN_ID_SIZE 8
#define MINISIGN_TRUSTED_MAX 1024

struct minisig {
	unsigned char alg[2];             /* "ED" (prehashed) or "Ed" */
	unsigned char id[MINISIGN_ID_SIZE];
	unsigned char sig[64];
	char trusted[MINISIGN_TRUSTED_MAX]; /* the trusted comment's text */
	unsigned char global[64];
};

/* Standard base64 with padding, appended to `out`. */
void base64_encode(const void *data, size_t len, struct strbuf *out);
/*
 * Decodes standard base64 (padding required, nothing else allowed) into
 * `out` (room for `max` bytes); *n gets the length. 0, or -1 when `text`
 * is not base64 or does not fit.
 */
int base64_decode(const char *text, size_t len, unsigned char *out, size_t max, size_t *n);

/* The public key file, two lines. */
void minisign_pubkey(const unsigned char id[MINISIGN_ID_SIZE], const unsigned char pub[32],
		     struct strbuf *out);
/* The bytes the global signature covers: the signature, then the trusted text. */
void minisign_global_message(const unsigned char sig[64], const char *trusted,
			     struct strbuf *out);
/* The .minisig file, four lines; `untrusted` and `trusted` must hold no newline. */
void minisign_signature(const struct minisig *s, const char *untrusted, struct strbuf *out);
/* Parses a .minisig file. -1 with `err` naming what is wrong. */
int minisign_parse(const char *text, size_t len, struct minisig *s, struct strbuf *err);
/* The key id as minisign prints it (16 upper-case hex digits and the NUL). */
void minisign_id_hex(const unsigned char id[MINISIGN_ID_SIZE], char hex[17]);

#endif
