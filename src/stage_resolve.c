/*
 * resolve: a version spec to one tag and commit of Slurm's git repository,
 * by listing the remote's tags (no clone).
 */
#include <stdio.h>
#include <string.h>

#include "git.h"
#include "source.h"
#include "stages.h"
#include "tags.h"

const struct opt resolve_opts[] = {
	{ "repo", OPT_VALUE | OPTF_INPUT, "URL", "Slurm git repository, any URL or path "
	  "(default " SOURCE_DEFAULT_REPO ")" },
	{ "pre", OPT_FLAG, NULL, "let latest and MAJ.MIN[.MICRO] pick pre-releases" },
	{ "timeout", OPT_VALUE, "SECONDS", "give up on a silent server after this "
	  "long (default 60)" },
	{ NULL, 0, NULL, NULL },
};

int source_resolve(struct run *run, const char *spec, const char *repo,
		   int allow_pre, unsigned timeout, struct source_ref *out)
{
	struct stage_report *stage = report_add_stage(&run->report, "resolve");
	struct remote_opts ro = { timeout, NULL, NULL };
	struct remote_tags rt;
	struct tag_list tags;
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT, shown = STRBUF_INIT;
	const struct tag_ref *hit = NULL;
	const char *commit;
	struct check *c;
	size_t i;
	int ret = -1;

	remote_tags_init(&rt);
	tag_list_init(&tags);
	stage_set_prop(stage, "spec", spec);
	url_redact(&shown, repo);   /* credentials never reach the report */
	stage_set_prop(stage, "repo", shown.buf);
	stage_set_prop(stage, "pre", allow_pre ? "true" : "false");

	c = stage_add_check(stage, "list-tags");
	if (remote_ls_tags(repo, &ro, &rt, &err)) {
		url_scrub(&err, repo);
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
	strbuf_reset(&err);
	if (tags_resolve(&tags, spec, allow_pre, &hit, &err)) {
		check_fail(c, OUTCOME_FAIL, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	/* a local repository's tags come unpeeled: peel the one chosen */
	commit = hit->commit;
	for (i = 0; i < rt.nr; i++) {
		if (strcmp(rt.items[i].name, hit->name))
			continue;
		if (remote_tags_peel(&rt, &rt.items[i], &err)) {
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
			check_finish(c);
			goto out;
		}
		commit = rt.items[i].commit;
		break;
	}
	strbuf_reset(&sb);
	tag_version_string(hit->name, &sb);
	out->repo = xstrdup(repo);
	out->tag = xstrdup(hit->name);
	out->version = strbuf_detach(&sb);
	out->commit = xstrdup(commit);
	stage_set_prop(stage, "tag", out->tag);
	stage_set_prop(stage, "version", out->version);
	stage_set_prop(stage, "commit", out->commit);
	check_set_message(c, "'%s' is %s (%s) at %s", spec, out->tag, out->version,
			  out->commit);
	check_finish(c);
	ret = 0;
out:
	stage_finish(stage);
	remote_tags_release(&rt);
	tag_list_release(&tags);
	strbuf_release(&err);
	strbuf_release(&sb);
	strbuf_release(&shown);
	return ret;
}

int stage_resolve(struct run *run, struct strbuf *err)
{
	struct source_ref src = { NULL, NULL, NULL, NULL };
	const char *repo = cli_get(&run->cli, "repo");
	unsigned timeout;

	if (source_timeout(run, &timeout, err))
		return -1;
	if (!source_resolve(run, run->cli.args[0], repo ? repo : SOURCE_DEFAULT_REPO,
			    cli_flag(&run->cli, "pre"), timeout, &src)) {
		struct strbuf shown = STRBUF_INIT;

		url_redact(&shown, src.repo);
		printf("tag: %s\nversion: %s\ncommit: %s\nrepo: %s\n", src.tag,
		       src.version, src.commit, shown.buf);
		fflush(stdout);
		strbuf_release(&shown);
	}
	source_ref_release(&src);
	return 0;
}
