/*
 * SBOMs: CycloneDX 1.6 and SPDX 2.3 documents of a real `package_tree` run
 * (a tree with an executable and a shared library built by cc), validated
 * with the official CycloneDX 1.6 JSON schema (npm's
 * @cyclonedx/cyclonedx-library, Debian's python3-jsonschema) and SPDX's own
 * validator (pyspdxtools, scripts/spdx-tools.sh); what they list checked
 * against the tarball itself.
 */
#include "testlib.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package.h"
#include "report.h"
#include "sbom.h"

static int setup(void **state)
{
	struct t_tmp *t = calloc(1, sizeof(*t));

	t->dir = t_mkdtemp("sbom");
	assert_non_null(t->dir);
	/* bin/tool needs lib/libfoo.so.1 (grafted), lib/libbar.so.0 (no Debian package) */
	assert_int_equal(t_sh("cd '%s' && mkdir -p tree/bin tree/lib mod/slurm && "
			      "echo 'int foo(void){return 1;}' > foo.c && "
			      "echo 'int bar(void){return 2;}' > bar.c && "
			      "echo 'int foo(void); int main(void){return foo()-1;}' > m.c && "
			      "cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o tree/lib/libfoo.so.1 foo.c && "
			      "cc -shared -fPIC -Wl,-soname,libbar.so.0 -o tree/lib/libbar.so.0 bar.c && "
			      "cc -o tree/bin/tool m.c -Ltree/lib -l:libfoo.so.1 "
			      "-Wl,-rpath,'$ORIGIN/../lib' && echo 'whatis(\"x\")' > mod/slurm/24.11.5.lua",
			      t->dir), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t_tmp *t = *state;

	t_rmtree(t->dir);
	free(t->dir);
	free(t);
	return 0;
}

static char *meta[] = {
	"key=0123456789abcdef0123456789abcdef", "image=sf-build-bookworm-a3a67dcb278ef27b",
	"release=bookworm", "image_packages_sha256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"source_sha256=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	"prefix=/opt/slurm/software", "gpu=false", "minimal=false", "backend=lxd", NULL
};
static char *lists[] = {
	"grafted=libfoo.so.1 /usr/lib/x86_64-linux-gnu/libfoo.so.1\nlibbar.so.0 /opt/x/libbar.so.0\n",
	"toolchain=binutils=2.40-2\ngcc=4:12.2.0-3\ngcc-12=12.2.0-14+deb12u1\nlibc6-dev=2.36-9+deb12u10\n",
	NULL
};

/* One package run of tmp/tree into tmp/OUT. */
static void package(const struct t_tmp *t, const char *outname, const char *grafted)
{
	struct package_input in;
	struct package_output out;
	struct report r;
	struct stage_report *s;
	char *tree = xasprintf("%s/tree", t->dir), *mod = xasprintf("%s/mod", t->dir);
	char *outdir = xasprintf("%s/%s", t->dir, outname);

	assert_int_equal(t_mkdirs(outdir), 0);
	report_init(&r, "package");
	s = report_add_stage(&r, "package");
	memset(&in, 0, sizeof(in));
	in.tree = tree;
	in.module_dir = mod;
	in.out_dir = outdir;
	in.version = "24.11.5";
	in.tag = "slurm-24-11-5-1";
	in.commit = "611190f5d05ceee7ca71cc6ca6d57860a3bde639";
	in.mtime = 1746646020;
	in.build_meta = meta;
	in.lists = lists;
	in.host_provided = "libpmix.so.2 the node's PMIx\n";
	in.grafted_packages = grafted;
	assert_int_equal(package_tree(s, &in, &out), 0);
	stage_finish(s);
	assert_int_equal(s->outcome, OUTCOME_PASS);
	assert_non_null(strstr(out.cdx, "/slurm-24.11.5.cdx.json"));
	assert_non_null(strstr(out.spdx, "/slurm-24.11.5.spdx.json"));
	package_output_release(&out);
	report_release(&r);
	free(tree);
	free(mod);
	free(outdir);
}

static const char grafted[] =
	"libfoo.so.1\tlibfoo1\t1:2.0.1-3+b1\tfoo\t1:2.0.1-3\tamd64\tGPL-2+ LGPL-2.1+ public-domain\n"
	"libbar.so.0\t-\t-\t-\t-\t-\t-\n";

/* tests/sbom-validate.sh: the official validators */
static int validate_cdx(const struct t_tmp *t, const char *doc)
{
	(void)t;
	return t_sh("'%s/tests/sbom-validate.sh' cdx '%s'", t_srcdir(), doc);
}

static int validate_spdx(const char *doc)
{
	return t_sh("'%s/tests/sbom-validate.sh' spdx '%s'", t_srcdir(), doc);
}

static const char *str_at(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static const char *prop(struct json_object *c, const char *name)
{
	struct json_object *props;
	size_t i;

	if (!json_object_object_get_ex(c, "properties", &props))
		return NULL;
	for (i = 0; i < json_object_array_length(props); i++) {
		struct json_object *p = json_object_array_get_idx(props, i);
		if (!strcmp(str_at(p, "name"), name))
			return str_at(p, "value");
	}
	return NULL;
}

/* sha256 of the file at `path` in the software tarball */
static void tar_sha(const struct t_tmp *t, const char *path, struct strbuf *out)
{
	strbuf_reset(out);
	assert_int_equal(t_sh_capture(out, "cd '%s' && tar -xzOf out/slurm-24.11.5-software.tar.gz "
				      "'%s' | sha256sum | cut -c1-64", t->dir, path), 0);
	strbuf_setlen(out, 64);
}

static void package_tree__sboms_validate_and_list_exactly_the_grafted_libraries(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf path = STRBUF_INIT, sha = STRBUF_INIT;
	struct json_object *doc, *comps, *meta_c, *v;
	size_t i, seen = 0, host = 0;

	package(t, "out", grafted);
	strbuf_addf(&path, "%s/out/slurm-24.11.5.cdx.json", t->dir);
	assert_int_equal(validate_cdx(t, path.buf), 0);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/out/slurm-24.11.5.spdx.json", t->dir);
	assert_int_equal(validate_spdx(path.buf), 0);
	/* both are in SHA256SUMS, which checks */
	assert_int_equal(t_sh("cd '%s/out' && test $(wc -l < SHA256SUMS) = 4 && "
			      "grep -q ' slurm-24.11.5.cdx.json$' SHA256SUMS && "
			      "grep -q ' slurm-24.11.5.spdx.json$' SHA256SUMS && "
			      "sha256sum -c --quiet SHA256SUMS", t->dir), 0);

	/* CycloneDX: exactly the grafted files, each hash the tarball's */
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/out/slurm-24.11.5.cdx.json", t->dir);
	doc = json_object_from_file(path.buf);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "metadata", &v));
	assert_string_equal(str_at(v, "timestamp"), "2025-05-07T19:27:00Z");
	assert_true(json_object_object_get_ex(v, "component", &meta_c));
	assert_string_equal(str_at(meta_c, "purl"), "pkg:github/schedmd/slurm@slurm-24-11-5-1");
	assert_true(json_object_object_get_ex(doc, "components", &comps));
	for (i = 0; i < json_object_array_length(comps); i++) {
		struct json_object *c = json_object_array_get_idx(comps, i), *h;
		const char *lib = prop(c, "slurm-factory:library");
		if (prop(c, "slurm-factory:shipped") && !strcmp(prop(c, "slurm-factory:shipped"),
								 "false")) {
			host++;
			continue;
		}
		assert_non_null(lib);
		assert_true(json_object_object_get_ex(c, "hashes", &h));
		tar_sha(t, prop(c, "slurm-factory:path"), &sha);
		assert_string_equal(str_at(json_object_array_get_idx(h, 0), "content"), sha.buf);
		if (!strcmp(lib, "libfoo.so.1")) {
			struct json_object *l;
			assert_string_equal(str_at(c, "name"), "libfoo1");
			assert_string_equal(str_at(c, "version"), "1:2.0.1-3+b1");
			assert_string_equal(str_at(c, "purl"), "pkg:deb/debian/libfoo1@1%3A2.0.1-3%2Bb1"
					    "?arch=amd64&distro=debian-12");
			assert_string_equal(prop(c, "slurm-factory:path"), "software/lib/libfoo.so.1");
			assert_true(json_object_object_get_ex(c, "licenses", &l));
			assert_int_equal(json_object_array_length(l), 3);
			assert_non_null(strstr(json_object_to_json_string(l), "\"GPL-2.0-or-later\""));
			/* not in the table: a name, never an id */
			assert_non_null(strstr(json_object_to_json_string(l),
					       "{ \"license\": { \"name\": \"public-domain\" } }"));
		} else {
			assert_string_equal(lib, "libbar.so.0");
			assert_null(str_at(c, "purl"));
		}
		seen++;
	}
	assert_int_equal(seen, 2);
	assert_int_equal(host, 2);   /* glibc at the floor, libpmix.so.2 */
	assert_non_null(strstr(json_object_to_json_string(doc), "\"name\": \"gcc-12\""));
	json_object_put(doc);

	/* SPDX: the same libraries, CONTAINS; the unknown licence a LicenseRef with its text */
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/out/slurm-24.11.5.spdx.json", t->dir);
	doc = json_object_from_file(path.buf);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "packages", &comps));
	seen = 0;
	for (i = 0; i < json_object_array_length(comps); i++) {
		struct json_object *p = json_object_array_get_idx(comps, i);
		if (strncmp(str_at(p, "SPDXID"), "SPDXRef-grafted-", 16))
			continue;
		seen++;
		if (!strcmp(str_at(p, "SPDXID"), "SPDXRef-grafted-libfoo.so.1"))
			assert_string_equal(str_at(p, "licenseDeclared"), "GPL-2.0-or-later AND "
					    "LGPL-2.1-or-later AND LicenseRef-Debian-public-domain");
	}
	assert_int_equal(seen, 2);
	assert_true(json_object_object_get_ex(doc, "hasExtractedLicensingInfos", &v));
	assert_string_equal(str_at(json_object_array_get_idx(v, 0), "licenseId"),
			    "LicenseRef-Debian-public-domain");
	assert_int_equal(t_sh("grep -c '\"relationshipType\": \"CONTAINS\"' '%s' | grep -qx 2 && "
			      "grep -c '\"relationshipType\": \"DEPENDS_ON\"' '%s' | grep -qx 2",
			      path.buf, path.buf), 0);
	json_object_put(doc);

	/* the validators are not rubber stamps: a broken document fails each */
	assert_int_equal(t_sh("cd '%s/out' && sed 's/\"specVersion\": \"1.6\"/\"specVersion\": 1.6/' "
			      "slurm-24.11.5.cdx.json > ../bad.cdx.json && "
			      "sed 's/SPDXRef-grafted-libfoo.so.1\"/SPDXRef-grafted_libfoo\"/' "
			      "slurm-24.11.5.spdx.json > ../bad.spdx.json", t->dir), 0);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/bad.cdx.json", t->dir);
	assert_int_not_equal(validate_cdx(t, path.buf), 0);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/bad.spdx.json", t->dir);
	assert_int_not_equal(validate_spdx(path.buf), 0);
	strbuf_release(&path);
	strbuf_release(&sha);
}

static void package_tree__same_tree_gives_byte_identical_sboms(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf a = STRBUF_INIT;

	package(t, "a", grafted);
	package(t, "b", grafted);
	assert_int_equal(t_sh("cd '%s' && cmp a/slurm-24.11.5.cdx.json b/slurm-24.11.5.cdx.json && "
			      "cmp a/slurm-24.11.5.spdx.json b/slurm-24.11.5.spdx.json", t->dir), 0);
	/* another tree: another serial number and namespace */
	assert_int_equal(t_sh("cd '%s' && echo more > tree/bin/extra", t->dir), 0);
	package(t, "c", grafted);
	assert_int_equal(t_sh_capture(&a, "cd '%s' && grep -h serialNumber a/*.cdx.json c/*.cdx.json "
				      "| sort -u | wc -l", t->dir), 0);
	assert_int_equal(a.buf[0], '2');
	strbuf_release(&a);
}

/*
 * Names that collide once made ids (libstdc++ / libstdc__), repeated
 * entries, a host library called glibc, a tool called slurm-factory, a tag
 * and version with spaces and '#': unique ids, every tool's validator
 * passes, the tag is percent-encoded; another tool version is another
 * serial number.
 */
static const char odd_names[] =
	"{\"schema\": \"slurm-factory-manifest/1\", \"version\": \"1.0 #x\", \"tag\": \"v1 2\", "
	"\"source_date_epoch\": 0, \"glibc_floor\": \"2.34\", "
	"\"host_provided\": [{\"name\": \"libpmix.so.2\"}, {\"name\": \"libpmix.so.2\"}, "
	"{\"name\": \"glibc\"}], "
	"\"build\": {\"toolchain\": [\"gcc=1\", \"gcc=2\", \"slurm-factory=9\", \"g++=1\", \"g--=1\"], "
	"\"grafted_packages\": ["
	"{\"name\": \"libstdc++.so.6\", \"package\": \"libstdc++6\", \"version\": \"12-1\", "
	"\"licenses\": [\"foo+\", \"foo_\", \"Expat\", \"MIT\", \"\", 7]}, "
	"{\"name\": \"libstdc__.so.6\", \"licenses\": [\"foo+\"]}, "
	"{\"name\": \"libstdc++.so.6\", \"package\": \"other\"}]}}";

static void sbom__colliding_and_repeated_names_give_unique_ids_and_valid_documents(void **state)
{
	struct t_tmp *t = *state;
	struct sbom_params p = { odd_names, "1.0" };
	struct strbuf cdx = STRBUF_INIT, spdx = STRBUF_INIT, err = STRBUF_INIT, path = STRBUF_INIT;
	struct strbuf other = STRBUF_INIT;

	assert_int_equal(sbom_cyclonedx(&p, &cdx, &err), 0);
	assert_int_equal(sbom_spdx(&p, &spdx, &err), 0);
	strbuf_addf(&path, "%s/odd.cdx.json", t->dir);
	assert_int_equal(t_writestr(path.buf, cdx.buf), 0);
	assert_int_equal(validate_cdx(t, path.buf), 0);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/odd.spdx.json", t->dir);
	assert_int_equal(t_writestr(path.buf, spdx.buf), 0);
	assert_int_equal(validate_spdx(path.buf), 0);
	assert_non_null(strstr(spdx.buf, "\"SPDXRef-grafted-libstdc--.so.6\""));
	assert_non_null(strstr(spdx.buf, "\"SPDXRef-grafted-libstdc--.so.6-2\""));
	assert_non_null(strstr(spdx.buf, "\"LicenseRef-Debian-foo-\""));
	assert_non_null(strstr(spdx.buf, "\"LicenseRef-Debian-foo--2\""));
	/* Expat and MIT are one licence; each item once */
	assert_non_null(strstr(spdx.buf, "\"licenseDeclared\": \"LicenseRef-Debian-foo- AND "
			       "LicenseRef-Debian-foo--2 AND MIT\""));
	/* the repeated library, host and tool are listed once */
	assert_null(strstr(cdx.buf, "\"other\""));
	assert_int_equal(t_sh("test $(grep -c '\"bom-ref\": \"host:libpmix.so.2\"' '%s/odd.cdx.json') = 1 "
			      "&& test $(grep -c '\"bom-ref\": \"host:glibc\"' '%s/odd.cdx.json') = 1 "
			      "&& test $(grep -c '\"bom-ref\": \"tool:gcc\"' '%s/odd.cdx.json') = 1 "
			      "&& test $(grep -c '\"bom-ref\": \"tool:slurm-factory\"' '%s/odd.cdx.json') = 1",
			      t->dir, t->dir, t->dir, t->dir), 0);
	/* the tag and version percent-encoded where they make a URI */
	assert_non_null(strstr(cdx.buf, "\"pkg:github/schedmd/slurm@v1%202\""));
	assert_non_null(strstr(spdx.buf, "slurm-factory/slurm-1.0%20%23x-"));
	/* the tool's version is part of what the serial number is made from */
	p.tool_version = "1.1";
	assert_int_equal(sbom_cyclonedx(&p, &other, &err), 0);
	assert_string_not_equal(strstr(cdx.buf, "urn:uuid:"), strstr(other.buf, "urn:uuid:"));
	strbuf_release(&cdx);
	strbuf_release(&spdx);
	strbuf_release(&err);
	strbuf_release(&path);
	strbuf_release(&other);
}

static void sbom_spdx_license__the_documented_table_is_the_code_s_and_every_id_is_spdx(void **u)
{
	struct strbuf doc = STRBUF_INIT, ids = STRBUF_INIT, want = STRBUF_INIT;
	const char *deb, *spdx, *p;
	size_t i, rows = 0;

	(void)u;
	assert_int_equal(t_read("/usr/share/nodejs/spdx-license-ids/index.json", &ids), 0);
	strbuf_addf(&want, "%s/docs/sbom.md", t_srcdir());
	assert_int_equal(t_read(want.buf, &doc), 0);
	for (i = 0; (deb = sbom_license_entry(i, &spdx)); i++) {
		strbuf_reset(&want);
		strbuf_addf(&want, "\"%s\"", spdx);
		assert_non_null(strstr(ids.buf, want.buf));
		strbuf_reset(&want);
		strbuf_addf(&want, "| `%s` | `%s` |\n", deb, spdx);
		if (!strstr(doc.buf, want.buf))
			fail_msg("docs/sbom.md has no row %s", want.buf);
		assert_string_equal(sbom_spdx_license(deb), spdx);
	}
	/* and no row the code lacks: every "| `A` | `B` |" line */
	for (p = doc.buf; (p = strstr(p, "\n| `")); p++) {
		const char *eol = strchr(p + 1, '\n'), *mid = strstr(p, "` | `");
		if (eol && mid && mid < eol && eol - p > 5 && !memcmp(eol - 3, "` |", 3) &&
		    !memchr(mid + 5, '|', (size_t)(eol - 3 - (mid + 5))))
			rows++;
	}
	assert_int_equal(rows, i);
	assert_true(i >= 30);
	strbuf_release(&doc);
	strbuf_release(&ids);
	strbuf_release(&want);
}

static void sbom_spdx_license__case_insensitive_and_unknown_never_guessed(void **u)
{
	(void)u;
	assert_string_equal(sbom_spdx_license("bsd-3-CLAUSE"), "BSD-3-Clause");
	assert_string_equal(sbom_spdx_license("Expat"), "MIT");
	assert_null(sbom_spdx_license("public-domain"));
	assert_null(sbom_spdx_license("GPL-2+-with-OpenSSL-exception"));
	assert_null(sbom_spdx_license("GPL"));
	assert_null(sbom_spdx_license(""));
}

static void sbom_deb_purl__percent_encodes_the_version(void **u)
{
	struct strbuf p = STRBUF_INIT;

	(void)u;
	sbom_deb_purl("libaudit1", "1:3.0.9-1", "amd64", "debian-12", &p);
	assert_string_equal(p.buf, "pkg:deb/debian/libaudit1@1%3A3.0.9-1?arch=amd64&distro=debian-12");
	strbuf_reset(&p);
	sbom_deb_purl("libb64-0d", "1.2-5+b1~x", NULL, NULL, &p);
	assert_string_equal(p.buf, "pkg:deb/debian/libb64-0d@1.2-5%2Bb1~x");
	strbuf_reset(&p);
	sbom_deb_purl("gcc", "4:12.2.0-3", NULL, "debian-11", &p);
	assert_string_equal(p.buf, "pkg:deb/debian/gcc@4%3A12.2.0-3?distro=debian-11");
	assert_string_equal(sbom_debian_distro("trixie"), "debian-13");
	assert_null(sbom_debian_distro("sid"));
	strbuf_release(&p);
}

static void sbom_cyclonedx__refuses_what_is_not_a_manifest_and_survives_odd_ones(void **u)
{
	static const char *const odd[] = {
		"{\"schema\": \"slurm-factory-manifest/1\", \"version\": \"1\"}",
		"{\"schema\": \"slurm-factory-manifest/1\", \"version\": \"1\", \"build\": 7, "
		"\"files\": {}, \"host_provided\": [1, {\"name\": 2}], \"artifacts\": [3]}",
		"{\"schema\": \"slurm-factory-manifest/1\", \"version\": \"1\", \"build\": "
		"{\"grafted_packages\": [null, 1, {\"name\": \"a.so\", \"licenses\": [1, null]}], "
		"\"toolchain\": [\"=\", \"x\", 5]}, \"source_date_epoch\": -99999999999999}",
		"{\"schema\": \"slurm-factory-manifest/1\", \"version\": \"1\", "
		"\"source_date_epoch\": 253402300800}",
		"{\"schema\": \"slurm-factory-manifest/1\", \"version\": \"1\", \"artifacts\": "
		"[{\"name\": \"x\", \"sha256\": \"nothex\"}], \"schema2\": null}",
		"{\"schema\": null, \"version\": \"1\"}",
	};
	struct sbom_params p = { "[]", "t" };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	size_t i;

	(void)u;
	assert_int_equal(sbom_cyclonedx(&p, &out, &err), -1);
	assert_non_null(strstr(err.buf, "not a slurm-factory manifest"));
	strbuf_reset(&err);
	p.manifest = "{\"schema\": \"other\", \"version\": \"1\"}";
	assert_int_equal(sbom_spdx(&p, &out, &err), -1);
	assert_int_equal(out.len, 0);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct json_object *d;
		int a, b;
		strbuf_reset(&out);
		strbuf_reset(&err);
		p.manifest = odd[i];
		a = sbom_cyclonedx(&p, &out, &err);
		if (!a) {
			d = json_tokener_parse(out.buf);
			assert_non_null(d);
			json_object_put(d);
		} else {
			assert_true(err.len > 0);
		}
		strbuf_reset(&out);
		b = sbom_spdx(&p, &out, &err);
		assert_int_equal(a, b);
		/* a date before 1970 or after 9999, no schema: refused, not written */
		if (i == 2 || i == 3 || i == 5) {
			assert_int_equal(a, -1);
			assert_non_null(strstr(err.buf, i == 5 ? "not a slurm-factory manifest" :
					       "is not a date from 1970 to 9999"));
		}
		/* a checksum that is not one is left out, not copied */
		if (i == 4) {
			assert_int_equal(a, 0);
			assert_null(strstr(out.buf, "nothex"));
		}
	}
	strbuf_release(&out);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			package_tree__sboms_validate_and_list_exactly_the_grafted_libraries, setup,
			teardown),
		cmocka_unit_test_setup_teardown(package_tree__same_tree_gives_byte_identical_sboms,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			sbom__colliding_and_repeated_names_give_unique_ids_and_valid_documents,
			t_tmp_setup, t_tmp_teardown),
		cmocka_unit_test(sbom_spdx_license__the_documented_table_is_the_code_s_and_every_id_is_spdx),
		cmocka_unit_test(sbom_spdx_license__case_insensitive_and_unknown_never_guessed),
		cmocka_unit_test(sbom_deb_purl__percent_encodes_the_version),
		cmocka_unit_test(sbom_cyclonedx__refuses_what_is_not_a_manifest_and_survives_odd_ones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
