#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const struct opt common_opts[] = {
	{ "json", OPT_VALUE, "FILE", "write the report as JSON to FILE" },
	{ "junit", OPT_VALUE, "FILE", "write the report as JUnit XML to FILE" },
	{ "output-dir", OPT_VALUE, "DIR", "where artifacts and logs go" },
	{ "cache-dir", OPT_VALUE, "DIR", "caches (default ~/.slurm-factory)" },
	{ "verbose", OPT_FLAG, NULL, "say more on stderr" },
	{ "quiet", OPT_FLAG, NULL, "print only errors on stderr" },
	{ NULL, 0, NULL, NULL },
};

static size_t count_opts(const struct opt *opts)
{
	size_t n = 0;

	while (opts && opts[n].name)
		n++;
	return n;
}

static struct opt_value *find(const struct cli *cli, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cli->nr_vals; i++) {
		const char *n = cli->vals[i].opt->name;
		if (strlen(n) == len && !strncmp(n, name, len))
			return &cli->vals[i];
	}
	return NULL;
}

static void set_value(struct opt_value *v, const char *value)
{
	size_t i;

	if (v->opt->kind != OPT_LIST) {
		for (i = 0; i < v->nr; i++)
			free(v->values[i]);
		v->nr = 0;
	}
	xgrow((void **)&v->values, &v->alloc, v->nr + 1, sizeof(*v->values));
	v->values[v->nr++] = xstrdup(value);
}

static void env_name(struct strbuf *sb, const char *opt)
{
	strbuf_addstr(sb, "SLURM_FACTORY_");
	for (; *opt; opt++)
		strbuf_addch(sb, *opt == '-' ? '_' : (char)toupper((unsigned char)*opt));
}

int cli_parse(struct cli *cli, const struct opt *opts, int argc, char **argv,
	      struct strbuf *err)
{
	size_t n1 = count_opts(opts), n2 = count_opts(common_opts), i;
	int a, only_args = 0;

	memset(cli, 0, sizeof(*cli));
	cli->vals = xcalloc(n1 + n2, sizeof(*cli->vals));
	for (i = 0; i < n1; i++)
		cli->vals[cli->nr_vals++].opt = &opts[i];
	for (i = 0; i < n2; i++)
		if (!find(cli, common_opts[i].name, strlen(common_opts[i].name)))
			cli->vals[cli->nr_vals++].opt = &common_opts[i];
	cli->args = xcalloc((size_t)argc + 1, sizeof(*cli->args));

	for (a = 0; a < argc; a++) {
		const char *s = argv[a], *eq;
		struct opt_value *v;

		if (only_args || s[0] != '-' || !s[1]) {
			cli->args[cli->nr_args++] = argv[a];
			continue;
		}
		if (!strcmp(s, "--")) {
			only_args = 1;
			continue;
		}
		if (s[1] != '-') {
			strbuf_addf(err, "unknown option '%s' (options are long: --name)", s);
			return -1;
		}
		s += 2;
		eq = strchr(s, '=');
		v = find(cli, s, eq ? (size_t)(eq - s) : strlen(s));
		if (!v) {
			strbuf_addf(err, "unknown option '--%.*s'",
				    (int)(eq ? (size_t)(eq - s) : strlen(s)), s);
			return -1;
		}
		if (v->from_env) {
			/* the command line replaces what the environment said */
			for (i = 0; i < v->nr; i++)
				free(v->values[i]);
			v->nr = 0;
			v->from_env = 0;
		}
		if (v->opt->kind == OPT_FLAG) {
			if (eq) {
				strbuf_addf(err, "option '--%s' takes no value", v->opt->name);
				return -1;
			}
			set_value(v, "1");
			continue;
		}
		if (eq) {
			set_value(v, eq + 1);
		} else if (a + 1 < argc) {
			set_value(v, argv[++a]);
		} else {
			strbuf_addf(err, "option '--%s' needs a value (%s)", v->opt->name,
				    v->opt->arg ? v->opt->arg : "VALUE");
			return -1;
		}
	}

	/* the environment fills what the command line left unset */
	for (i = 0; i < cli->nr_vals; i++) {
		struct opt_value *v = &cli->vals[i];
		struct strbuf name = STRBUF_INIT;
		const char *e;

		if (v->nr)
			continue;
		env_name(&name, v->opt->name);
		e = getenv(name.buf);
		if (e && *e) {
			if (v->opt->kind == OPT_FLAG) {
				if (strcmp(e, "0") && strcasecmp(e, "false") &&
				    strcasecmp(e, "no"))
					set_value(v, "1");
			} else {
				set_value(v, e);
			}
			v->from_env = 1;
		}
		strbuf_release(&name);
	}
	return 0;
}

void cli_release(struct cli *cli)
{
	size_t i, j;

	for (i = 0; i < cli->nr_vals; i++) {
		for (j = 0; j < cli->vals[i].nr; j++)
			free(cli->vals[i].values[j]);
		free(cli->vals[i].values);
	}
	free(cli->vals);
	free(cli->args);
	memset(cli, 0, sizeof(*cli));
}

const char *cli_get(const struct cli *cli, const char *name)
{
	struct opt_value *v = find(cli, name, strlen(name));

	return v && v->nr ? v->values[v->nr - 1] : NULL;
}

char *const *cli_get_all(const struct cli *cli, const char *name, size_t *nr)
{
	struct opt_value *v = find(cli, name, strlen(name));

	*nr = v ? v->nr : 0;
	return v ? v->values : NULL;
}

int cli_flag(const struct cli *cli, const char *name)
{
	return cli_get(cli, name) != NULL;
}

int cli_get_ulong(const struct cli *cli, const char *name, unsigned long min,
		  unsigned long max, unsigned long def, unsigned long *out,
		  struct strbuf *err)
{
	const char *s = cli_get(cli, name);

	if (!s) {
		*out = def;
		return 0;
	}
	if (parse_ulong(s, min, max, out)) {
		strbuf_addf(err, "--%s: '%s' is not a number from %lu to %lu", name, s,
			    min, max);
		return -1;
	}
	return 0;
}

void cli_usage_opts(struct strbuf *out, const struct opt *opts)
{
	size_t i;

	for (i = 0; opts && opts[i].name; i++) {
		struct strbuf left = STRBUF_INIT;
		strbuf_addf(&left, "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
			    opts[i].arg ? opts[i].arg : "");
		strbuf_addf(out, "  %-28s %s%s\n", left.buf, opts[i].help,
			    opts[i].kind == OPT_LIST ? " (repeatable)" : "");
		strbuf_release(&left);
	}
}
