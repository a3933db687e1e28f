/*
 * Build provenance: in-toto Statement v1, SLSA provenance v1, DSSE (see
 * provenance.h). json-c builds the Statement; nothing here reads files.
 */
#include "provenance.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonutil.h"

#include "minisign.h"

void prov_builder_id(const char *gh_server, const char *gh_repo, const char *gh_run_id,
		     const char *ci_job_url, struct strbuf *out)
{
	if (gh_server && *gh_server && gh_repo && *gh_repo && gh_run_id && *gh_run_id)
		strbuf_addf(out, "%s/%s/actions/runs/%s", gh_server, gh_repo, gh_run_id);
	else if (ci_job_url && *ci_job_url)
		strbuf_addstr(out, ci_job_url);
	else
		strbuf_addstr(out, "urn:slurm-factory:builder:local");
}

static int cmp_subjects(const void *a, const void *b)
{
	return strcmp(((const struct prov_subject *)a)->name,
		      ((const struct prov_subject *)b)->name);
}

static struct json_object *digest(const char *algo, const char *value)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, algo, json_object_new_string(value));
	return d;
}

/* A ResourceDescriptor: name, uri (may be NULL) and one digest (may be NULL). */
static struct json_object *resource(const char *name, const char *uri, const char *algo,
				    const char *value)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "name", json_object_new_string(name));
	if (uri)
		json_object_object_add(r, "uri", json_object_new_string(uri));
	if (value)
		json_object_object_add(r, "digest", digest(algo, value));
	return r;
}

int prov_statement(const struct prov_params *p, struct strbuf *out, struct strbuf *err)
{
	struct json_object *man = json_tokener_parse(p->manifest), *build = NULL, *v;
	struct json_object *st, *subjects, *pred, *def, *ext, *deps, *run, *builder, *meta;
	struct prov_subject *sorted;
	const char *version, *tag, *commit;
	size_t i;
	static const char *const options[] = { "prefix", "gpu", "minimal", "backend" };

	if (!man || !json_object_is_type(man, json_type_object) ||
	    !json_member_str(man, "schema") || strcmp(json_member_str(man, "schema"), "slurm-factory-manifest/1") ||
	    !(version = json_member_str(man, "version"))) {
		strbuf_addstr(err, "the manifest is not a slurm-factory manifest (schema "
			      "slurm-factory-manifest/1 with a version)");
		json_object_put(man);
		return -1;
	}
	tag = json_member_str(man, "tag");
	commit = json_member_str(man, "commit");
	if (json_object_object_get_ex(man, "build", &v) && json_object_is_type(v, json_type_object))
		build = v;

	st = json_object_new_object();
	json_object_object_add(st, "_type", json_object_new_string(PROV_STATEMENT_TYPE));
	subjects = json_object_new_array();
	sorted = xcalloc(p->nr_subjects ? p->nr_subjects : 1, sizeof(*sorted));
	if (p->nr_subjects)
		memcpy(sorted, p->subjects, p->nr_subjects * sizeof(*sorted));
	qsort(sorted, p->nr_subjects, sizeof(*sorted), cmp_subjects);
	for (i = 0; i < p->nr_subjects; i++) {
		struct json_object *s = json_object_new_object();
		json_object_object_add(s, "name", json_object_new_string(sorted[i].name));
		json_object_object_add(s, "digest", digest("sha256", sorted[i].sha256));
		json_object_array_add(subjects, s);
	}
	free(sorted);
	json_object_object_add(st, "subject", subjects);
	json_object_object_add(st, "predicateType", json_object_new_string(PROV_PREDICATE_TYPE));

	/* buildDefinition: what was asked for, and what it resolved to */
	def = json_object_new_object();
	json_object_object_add(def, "buildType", json_object_new_string(PROV_BUILD_TYPE));
	ext = json_object_new_object();
	json_object_object_add(ext, "version", json_object_new_string(version));
	if (tag)
		json_object_object_add(ext, "tag", json_object_new_string(tag));
	for (i = 0; build && i < sizeof(options) / sizeof(options[0]); i++)
		if (json_member_str(build, options[i]))
			json_object_object_add(ext, options[i],
					       json_object_new_string(json_member_str(build, options[i])));
	if (build && json_object_object_get_ex(build, "configure_args", &v))
		json_object_object_add(ext, "configure_args", json_object_get(v));
	json_object_object_add(def, "externalParameters", ext);
	deps = json_object_new_array();
	if (commit) {
		struct strbuf uri = STRBUF_INIT;
		if (tag)
			strbuf_addf(&uri, "pkg:github/schedmd/slurm@%s", tag);
		json_object_array_add(deps, resource("slurm", tag ? uri.buf : NULL, "gitCommit",
						     commit));
		strbuf_release(&uri);
	}
	if (build && json_member_str(build, "image")) {
		struct strbuf uri = STRBUF_INIT;
		strbuf_addf(&uri, "urn:slurm-factory:lxd-image:%s", json_member_str(build, "image"));
		/* its digest: the sha256 of its installed package list, as the build key has it */
		json_object_array_add(deps, resource("build-image", uri.buf, "sha256",
						     json_member_str(build, "image_packages_sha256")));
		strbuf_release(&uri);
	}
	if (build && json_member_str(build, "recipe_sha256"))
		json_object_array_add(deps, resource("recipe", NULL, "sha256",
						     json_member_str(build, "recipe_sha256")));
	json_object_object_add(def, "resolvedDependencies", deps);
	if (build && json_member_str(build, "key")) {
		struct json_object *in = json_object_new_object();
		json_object_object_add(in, "build_key", json_object_new_string(json_member_str(build, "key")));
		json_object_object_add(def, "internalParameters", in);
	}

	/* runDetails: who ran it, when */
	run = json_object_new_object();
	builder = json_object_new_object();
	json_object_object_add(builder, "id", json_object_new_string(p->builder_id));
	v = json_object_new_object();
	json_object_object_add(v, "slurm-factory", json_object_new_string(p->tool_version));
	json_object_object_add(builder, "version", v);
	json_object_object_add(run, "builder", builder);
	meta = json_object_new_object();
	if (p->invocation_id && *p->invocation_id)
		json_object_object_add(meta, "invocationId", json_object_new_string(p->invocation_id));
	if (p->started)
		json_object_object_add(meta, "startedOn", json_object_new_string(p->started));
	if (p->finished)
		json_object_object_add(meta, "finishedOn", json_object_new_string(p->finished));
	json_object_object_add(run, "metadata", meta);

	pred = json_object_new_object();
	json_object_object_add(pred, "buildDefinition", def);
	json_object_object_add(pred, "runDetails", run);
	json_object_object_add(st, "predicate", pred);
	strbuf_addstr(out, json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(st);
	json_object_put(man);
	return 0;
}

void dsse_pae(const char *type, const void *body, size_t len, struct strbuf *out)
{
	strbuf_addf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, len);
	strbuf_add(out, body, len);
}

void dsse_envelope(const struct strbuf *payload, const unsigned char *sig, const char *keyid,
		   struct strbuf *out)
{
	struct json_object *env = json_object_new_object(), *sigs = json_object_new_array();
	struct strbuf b64 = STRBUF_INIT;

	base64_encode(payload->buf, payload->len, &b64);
	json_object_object_add(env, "payloadType", json_object_new_string(PROV_PAYLOAD_TYPE));
	json_object_object_add(env, "payload", json_object_new_string(b64.buf));
	if (sig) {
		struct json_object *s = json_object_new_object();
		strbuf_reset(&b64);
		base64_encode(sig, 64, &b64);
		if (keyid)
			json_object_object_add(s, "keyid", json_object_new_string(keyid));
		json_object_object_add(s, "sig", json_object_new_string(b64.buf));
		json_object_array_add(sigs, s);
	}
	json_object_object_add(env, "signatures", sigs);
	strbuf_addstr(out, json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	strbuf_addch(out, '\n');
	strbuf_release(&b64);
	json_object_put(env);
}
