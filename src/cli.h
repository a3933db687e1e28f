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

/* What an option's value names, for the checks of cli_check_paths; or'ed into kind. */
enum opt_flag {
	OPTF_INPUT = 0x100,    /* a file or directory the tool reads */
	OPTF_OUTPUT = 0x200,   /* a file the tool writes (a report) */
	OPTF_ALONE = 0x400,    /* only for the stage run as its own command (package TREE) */
};
#define OPT_KIND(o) ((enum opt_kind)((o)->kind & 0xff))

struct opt {
	const char *name;      /* long name without the dashes */
	unsigned kind;         /* an enum opt_kind, | enum opt_flag bits */
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
 * options, missing values and empty values (--output-dir "" from an unset
 * shell variable) are errors. An empty environment variable counts as unset.
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

/*
 * The path checks every command gets before it runs: no input (an
 * OPTF_INPUT option, and the positional arguments when `args_are_inputs`)
 * is a FIFO, socket or device; no output (OPTF_OUTPUT) is a directory, and
 * no output names the same file as an input or as another output. -1 with
 * `err` naming the options (and the environment variable a value came
 * from) otherwise.
 */
int cli_check_paths(const struct cli *cli, int args_are_inputs, struct strbuf *err);

/* "--json" or "--json (from SLURM_FACTORY_JSON)": where a value came from. */
void cli_describe(const struct cli *cli, const char *name, struct strbuf *out);

/*
 * "SLURM_FACTORY_BACKEND=foo, SLURM_FACTORY_GPU": the options that came
 * from the environment, appended to `out` (nothing when none did). A usage
 * error shows them, so a value nobody typed is found.
 */
void cli_env_note(const struct cli *cli, struct strbuf *out);

/* Prints "  --name ARG   help" lines for `opts` into `out`. */
void cli_usage_opts(struct strbuf *out, const struct opt *opts);

#endif
