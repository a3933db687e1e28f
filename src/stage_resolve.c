/*
 * resolve: a version spec to one tag and commit of Slurm's git repository,
 * by listing the remote's tags (no clone). Fills run->pipe.src.
 *
 * Nothing to resolve, and no network: with --commit (the tag and commit an
 * earlier resolve printed) the source is taken as given; with --source the
 * version comes from the tarball's name (fetch reads it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "git.h"
#include "stages.h"
#include "tags.h"

const struct opt resolve_opts[] = {
	{ "repo", OPT_VALUE | OPTF_INPUT, "URL", "Slurm git repository, any URL or path "
	  "(default " SF_DEFAULT_REPO ")" },
	{ "pre", OPT_FLAG, NULL, "let latest and MAJ.MIN[.MICRO] pick pre-releases" },
	{ "timeout", OPT_VALUE, "SECONDS", "give up on a silent server after this "
	  "long (default 60)" },
	{ "commit", OPT_VALUE, "ID", "the commit an earlier resolve printed for the "
	  "tag SPEC: no resolving, and no network at all on a cache hit" },
	{ NULL, 0, NULL, NULL },
};

struct resolve_opts {
	const char *repo;
	const char *commit;          /* --commit: the source is given */
	int from_tarball;            /* --source: nothing to resolve */
	int pre;
	unsigned timeout;
};

static int is_commit_id(const char *s)
{
	return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

int resolve_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct resolve_opts *o = xcalloc(1, sizeof(*o));
	unsigned long t;
	struct slurm_version sv;

	*opts = o;
	o->repo = cli_get(&run->cli, "repo");
	if (!o->repo)
		o->repo = SF_DEFAULT_REPO;
	o->pre = cli_flag(&run->cli, "pre");
	o->commit = cli_get(&run->cli, "commit");
	o->from_tarball = cli_get(&run->cli, "source") != NULL;
	if (cli_get_ulong(&run->cli, "timeout", 1, 86400, 60, &t, err))
		return -1;
	o->timeout = (unsigned)t;
	if (o->commit && o->from_tarball) {
		strbuf_addstr(err, "--source and --commit exclude each other");
		return -1;
	}
	if (o->commit && (!run->pipe.spec || tag_parse(run->pipe.spec, &sv))) {
		strbuf_addstr(err, "with --commit, SPEC is the exact tag an earlier "
			      "resolve printed (slurm-MAJ-MIN-MICRO-REL)");
		return -1;
	}
	if (o->commit && !is_commit_id(o->commit)) {
		strbuf_addf(err, "--commit '%s' is not a 40-digit hex commit id", o->commit);
		return -1;
	}
	if (!o->commit && !o->from_tarball && !run->pipe.spec) {
		strbuf_addf(err, "%s needs SPEC (or --source TARBALL)", run->command);
		return -1;
	}
	return 0;
}

/*
 * Resolves `spec` in `tags` to a tag that peels to a commit: a tag naming a
 * tree or a blob is not a version, so it leaves the list (a note in
 * `skipped`) and the spec is resolved again. A local repository's tags come
 * unpeeled: each one chosen is peeled here. Over the network the listing
 * says nothing of what a tag names; fetch finds out. 0 with `*hit` and
 * `*commit` (into `rt` or `tags`); -1 with `err`, and `*hit` set when the
 * failure is the repository's (a tag that cannot be peeled).
 */
static int pick_commit(struct remote_tags *rt, struct tag_list *tags, const char *spec,
		       int pre, const struct tag_ref **hit, const char **commit,
		       struct strbuf *skipped, struct strbuf *err)
{
	size_t i;

	for (;;) {
		struct remote_tag *t = NULL;

		*hit = NULL;
		strbuf_reset(err);
		if (tags_resolve(tags, spec, pre, hit, err)) {
			*hit = NULL;
			return -1;
		}
		for (i = 0; i < rt->nr && !t; i++)
			if (!strcmp(rt->items[i].name, (*hit)->name))
				t = &rt->items[i];
		*commit = (*hit)->commit;
		if (!t)
			return 0;
		if (remote_tags_peel(rt, t, err))
			return -1;
		*commit = t->commit;
		if (!t->kind || !strcmp(t->kind, "commit"))
			return 0;
		strbuf_addf(skipped, "; skipped %s: it points at a %s (%s), not a commit", t->name,
			    t->kind, t->commit);
		tag_list_remove(tags, *hit);
	}
}

/* The remote's tags, the spec's tag among them, peeled to its commit. */
static int list_and_pick(struct stage_report *stage, const char *spec,
			 const struct resolve_opts *o, struct source_ref *out)
{
	struct remote_opts ro = { o->timeout, NULL, NULL };
	struct remote_tags rt;
	struct tag_list tags;
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT, shown = STRBUF_INIT,
		      skipped = STRBUF_INIT;
	const struct tag_ref *hit = NULL;
	const char *commit = NULL;
	struct check *c;
	size_t i;
	int ret = -1;

	remote_tags_init(&rt);
	tag_list_init(&tags);
	url_redact(&shown, o->repo);
	c = stage_add_check(stage, "list-tags");
	if (remote_ls_tags(o->repo, &ro, &rt, &err)) {
		url_scrub(&err, o->repo);
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	for (i = 0; i < rt.nr; i++)
		tag_list_add(&tags, rt.items[i].name, rt.items[i].commit);
	tag_list_sort(&tags);
	strbuf_addf(&sb, "%zu", tags.nr);
	stage_set_prop(stage, "slurm_tags", sb.buf);
	if (!tags.nr) {
		check_fail(c, OUTCOME_ERROR, "%s has no Slurm version tags "
			   "(slurm-MAJ-MIN-MICRO-REL) among its %zu refs and %zu tags: "
			   "is it Slurm's repository?", shown.buf, rt.nr_refs, rt.nr);
		check_finish(c);
		goto out;
	}
	check_set_message(c, "%zu Slurm version tags, %zu other tags, %zu refs in all",
			  tags.nr, tags.ignored, rt.nr_refs);
	check_finish(c);

	/* a spec that matches nothing is the caller's mistake: a failed check */
	c = stage_add_check(stage, "resolve-spec");
	if (pick_commit(&rt, &tags, spec, o->pre, &hit, &commit, &skipped, &err)) {
		check_fail(c, hit ? OUTCOME_ERROR : OUTCOME_FAIL, "%s%s", err.buf, skipped.buf);
		check_finish(c);
		goto out;
	}
	strbuf_reset(&sb);
	tag_version_string(hit->name, &sb);
	out->tag = xstrdup(hit->name);
	out->version = strbuf_detach(&sb);
	out->commit = xstrdup(commit);
	check_set_message(c, "'%s' is %s (%s) at %s%s", spec, out->tag, out->version,
			  out->commit, skipped.buf);
	check_finish(c);
	ret = 0;
out:
	remote_tags_release(&rt);
	tag_list_release(&tags);
	strbuf_release(&err);
	strbuf_release(&sb);
	strbuf_release(&shown);
	strbuf_release(&skipped);
	return ret;
}

int stage_resolve(struct run *run, const void *opts, struct strbuf *err)
{
	const struct resolve_opts *o = opts;
	struct pipeline *p = &run->pipe;
	struct stage_report *stage;
	struct strbuf shown = STRBUF_INIT;

	(void)err;
	stage = report_add_stage(&run->report, "resolve");
	if (o->from_tarball) {
		stage_skip(stage, "--source: the version comes from the tarball");
		goto out;
	}
	if (p->spec)
		stage_set_prop(stage, "spec", p->spec);
	url_redact(&shown, o->repo);   /* credentials never reach the report */
	stage_set_prop(stage, "repo", shown.buf);
	stage_set_prop(stage, "pre", o->pre ? "true" : "false");
	source_ref_release(&p->src);
	if (o->commit) {
		/* an earlier resolve's answer: taken as given, no network */
		struct strbuf v = STRBUF_INIT;
		tag_version_string(p->spec, &v);
		p->src.tag = xstrdup(p->spec);
		p->src.version = strbuf_detach(&v);
		p->src.commit = xstrdup(o->commit);
		p->src.repo = xstrdup(o->repo);
		p->resolved = 1;
		stage_skip(stage, "--commit gives the tag and commit: nothing to resolve");
		goto out;
	}
	if (list_and_pick(stage, p->spec, o, &p->src)) {
		source_ref_release(&p->src);
		stage_finish(stage);
		goto out;
	}
	p->src.repo = xstrdup(o->repo);
	p->resolved = 1;
	stage_set_prop(stage, "tag", p->src.tag);
	stage_set_prop(stage, "version", p->src.version);
	stage_set_prop(stage, "commit", p->src.commit);
	stage_finish(stage);
out:
	strbuf_release(&shown);
	return 0;
}

void resolve_print(const struct run *run)
{
	const struct source_ref *s = &run->pipe.src;
	struct strbuf shown = STRBUF_INIT;

	if (!run->pipe.resolved)
		return;
	url_redact(&shown, s->repo);
	printf("tag: %s\nversion: %s\ncommit: %s\nrepo: %s\n", s->tag, s->version, s->commit,
	       shown.buf);
	fflush(stdout);
	strbuf_release(&shown);
}
