/*
 * libFuzzer harness: the LXD reply envelope and operation parsers (lxd.c)
 * on arbitrary bytes. The first two bytes pick the HTTP status the reply
 * came with; the rest is the body. A parse returns 0 or -1 with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lxd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lxd_envelope env;
	struct lxd_operation op;
	struct strbuf err = STRBUF_INIT;
	long status = 200;
	char *body;

	if (size >= 2) {
		status = 100 + ((data[0] << 8 | data[1]) % 500);
		data += 2;
		size -= 2;
	}
	/* exactly `size` bytes, no terminator: the parser must not read past */
	body = malloc(size ? size : 1);
	memcpy(body, data, size);
	lxd_envelope_init(&env);
	if (lxd_parse_envelope(body, size, status, &env, &err) == 0) {
		if (env.error)
			(void)strlen(env.error);
		if (env.operation)
			(void)strlen(env.operation);
		lxd_operation_init(&op);
		strbuf_reset(&err);
		if (lxd_parse_operation(&env, &op, &err) == 0) {
			(void)lxd_operation_done(&op);
			if (op.status)
				(void)strlen(op.status);
			if (op.stdout_log)
				(void)strlen(op.stdout_log);
		} else if (!err.len) {
			abort();
		}
		lxd_operation_release(&op);
	} else if (!err.len) {
		abort();
	}
	lxd_envelope_release(&env);
	strbuf_release(&err);
	free(body);
	return 0;
}
