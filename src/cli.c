#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"

const struct opt common_opts[] = {
	{ "json", OPT_VALUE | OPTF_OUTPUT, "FILE", "write the report as JSON to FILE" },
	{ "junit", OPT_VALUE | OPTF_OUTPUT, "FILE", "write the report as JUnit XML to FILE" },
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

	if (OPT_KIND(v->opt) != OPT_LIST) {
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
		if (OPT_KIND(v->opt) == OPT_FLAG) {
			if (eq) {
				strbuf_addf(err, "option '--%s' takes no value", v->opt->name);
				return -1;
			}
			set_value(v, "1");
			continue;
		}
		if (eq || a + 1 < argc) {
			const char *value = eq ? eq + 1 : argv[++a];
			if (!*value) {
				strbuf_addf(err, "option '--%s' was given an empty value (an unset "
					    "variable?)", v->opt->name);
				return -1;
			}
			set_value(v, value);
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
			if (OPT_KIND(v->opt) == OPT_FLAG) {
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
			    OPT_KIND(&opts[i]) == OPT_LIST ? " (repeatable)" : "");
		strbuf_release(&left);
	}
}

void cli_describe(const struct cli *cli, const char *name, struct strbuf *out)
{
	struct opt_value *v = find(cli, name, strlen(name));

	strbuf_addf(out, "--%s", name);
	if (v && v->from_env) {
		strbuf_addstr(out, " (from ");
		env_name(out, name);
		strbuf_addch(out, ')');
	}
}

struct named_path {
	const char *path;
	const char *opt;     /* option name, or NULL for a positional argument */
};

static void describe_path(const struct cli *cli, const struct named_path *p,
			  struct strbuf *out)
{
	if (p->opt)
		cli_describe(cli, p->opt, out);
	else
		strbuf_addf(out, "argument '%s'", p->path);
}

int cli_check_paths(const struct cli *cli, int args_are_inputs, struct strbuf *err)
{
	struct named_path *in = NULL, *out = NULL;
	size_t nr_in = 0, alloc_in = 0, nr_out = 0, alloc_out = 0, i, j;
	int ret = -1;

	for (i = 0; i < cli->nr_vals; i++) {
		const struct opt_value *v = &cli->vals[i];
		for (j = 0; j < v->nr; j++) {
			if (v->opt->kind & OPTF_INPUT) {
				xgrow((void **)&in, &alloc_in, nr_in + 1, sizeof(*in));
				in[nr_in].path = v->values[j];
				in[nr_in++].opt = v->opt->name;
			}
			if (v->opt->kind & OPTF_OUTPUT) {
				xgrow((void **)&out, &alloc_out, nr_out + 1, sizeof(*out));
				out[nr_out].path = v->values[j];
				out[nr_out++].opt = v->opt->name;
			}
		}
	}
	for (i = 0; args_are_inputs && i < cli->nr_args; i++) {
		xgrow((void **)&in, &alloc_in, nr_in + 1, sizeof(*in));
		in[nr_in].path = cli->args[i];
		in[nr_in++].opt = NULL;
	}
	for (i = 0; i < nr_in; i++) {
		struct strbuf why = STRBUF_INIT;
		if (fs_check_input(in[i].path, &why)) {
			if (in[i].opt) {
				cli_describe(cli, in[i].opt, err);
				strbuf_addstr(err, ": ");
			}
			strbuf_add(err, why.buf, why.len);
			strbuf_release(&why);
			goto out;
		}
		strbuf_release(&why);
	}
	for (i = 0; i < nr_out; i++) {
		struct stat st;
		if (!stat(out[i].path, &st) && S_ISDIR(st.st_mode)) {
			describe_path(cli, &out[i], err);
			strbuf_addf(err, ": '%s' is a directory, not a file", out[i].path);
			goto out;
		}
		for (j = 0; j < nr_in; j++) {
			if (!fs_same_file(out[i].path, in[j].path))
				continue;
			describe_path(cli, &out[i], err);
			strbuf_addf(err, " '%s' names the input ", out[i].path);
			describe_path(cli, &in[j], err);
			strbuf_addstr(err, ": writing it would destroy the input");
			goto out;
		}
		for (j = i + 1; j < nr_out; j++) {
			if (!fs_same_file(out[i].path, out[j].path))
				continue;
			describe_path(cli, &out[i], err);
			strbuf_addstr(err, " and ");
			describe_path(cli, &out[j], err);
			strbuf_addf(err, " name the same file ('%s'): give each its own",
				    out[i].path);
			goto out;
		}
	}
	ret = 0;
out:
	free(in);
	free(out);
	return ret;
}

void cli_env_note(const struct cli *cli, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < cli->nr_vals; i++) {
		const struct opt_value *v = &cli->vals[i];
		if (!v->from_env || !v->nr)
			continue;
		strbuf_addstr(out, out->len ? ", " : "");
		env_name(out, v->opt->name);
		if (OPT_KIND(v->opt) != OPT_FLAG) {
			/* a repository or target URL may hold a credential */
			strbuf_addch(out, '=');
			url_redact(out, v->values[v->nr - 1]);
		}
	}
}
