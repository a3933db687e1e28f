/*
 * Command-line options: one table per command, one parser for all.
 *
 * Every long option `--foo-bar` may also come from the environment as
 * SLURM_FACTORY_FOO_BAR (the command line wins), so CI templates stay one
 * line. Parsing never prints or exits: it fills `err` and returns -1, and
 * main turns that into exit 129 with a hint.
 */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <stddef.h>

#include "strbuf.h"

enum opt_kind {
	OPT_FLAG,     /* --verbose */
	OPT_VALUE,    /* --json FILE (last one wins) */
	OPT_LIST,     /* --build-prefix PATH (may repeat) */
};

struct opt {
	const char *name;      /* long name without the dashes */
	enum opt_kind kind;
	const char *arg;       /* "FILE", for help */
	const char *help;
};

/* The options every command accepts; NULL-name terminated. */
extern const struct opt common_opts[];

struct opt_value {
	const struct opt *opt;
	char **values;         /* owned; empty for an unset option */
	size_t nr, alloc;
	int from_env;
};

struct cli {
	struct opt_value *vals;   /* one per known option, owned */
	size_t nr_vals;
	char **args;              /* positional arguments (borrowed from argv) */
	size_t nr_args;
};

/*
 * Parses argv (after the command word) against `opts` plus common_opts.
 * "--" ends options; "--opt=value" and "--opt value" both work; unknown
 * options and missing values are errors.
 */
int cli_parse(struct cli *cli, const struct opt *opts, int argc, char **argv,
	      struct strbuf *err);
void cli_release(struct cli *cli);

/* Last value of a VALUE option, or NULL. */
const char *cli_get(const struct cli *cli, const char *name);
/* Every value of a LIST option; *nr set. Never NULL when *nr > 0. */
char *const *cli_get_all(const struct cli *cli, const char *name, size_t *nr);
int cli_flag(const struct cli *cli, const char *name);
/* Checked unsigned value of an option; `def` when unset. -1 and err on junk. */
int cli_get_ulong(const struct cli *cli, const char *name, unsigned long min,
		  unsigned long max, unsigned long def, unsigned long *out,
		  struct strbuf *err);

/* Prints "  --name ARG   help" lines for `opts` into `out`. */
void cli_usage_opts(struct strbuf *out, const struct opt *opts);

#endif
