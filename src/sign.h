/*
 * Signing a release's SHA256SUMS (stage_sign.c), shared by the sign
 * command and publish --sign-key. Formats: see stage_sign.c.
 */
#ifndef SF_SIGN_H
#define SF_SIGN_H

#include "cli.h"
#include "strbuf.h"

/* The environment variable holding the private key's PEM text. */
#define SIGN_KEY_ENV "SLURM_FACTORY_SIGNING_KEY"

/*
 * The private key's PEM into `key` (grown first, wipe it with
 * strbuf_wipe()): from the option `opt` (a file) when given, else from
 * $SLURM_FACTORY_SIGNING_KEY. 0 with *have set to 1 when a key was read,
 * 0 with *have 0 when neither says one, -1 with `err` when the file cannot
 * be read or does not hold an Ed25519 private key.
 */
int sign_key_read(const struct cli *cli, const char *opt, struct strbuf *key, int *have,
		  struct strbuf *err);

/*
 * Signs the SHA256SUMS text `sums` with `key`: the raw signature (64
 * bytes) appended to `sig`, the .minisig file's text to `minisig`, the key
 * id into `id_hex`. -1 with `err` (never quoting the key).
 */
int sign_sums(const struct strbuf *key, const struct strbuf *sums, struct strbuf *sig,
	      struct strbuf *minisig, char id_hex[17], struct strbuf *err);

/*
 * Signs `len` bytes of `msg` with `key` (Ed25519, no prehash): the raw
 * signature into `sig`, the key id (as in the .minisig) into `id_hex`.
 */
int sign_bytes(const struct strbuf *key, const void *msg, size_t len, unsigned char sig[64],
	       char id_hex[17], struct strbuf *err);

#endif
