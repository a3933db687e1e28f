/*
 * CycloneDX 1.6 and SPDX 2.3 documents from a manifest (see sbom.h).
 * json-c builds both; nothing here reads or writes files.
 */
#include "sbom.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "bases.h"
#include "jsonutil.h"
#include "strmap.h"

#include "crypto.h"

/* --- licences ------------------------------------------------------------ */

/*
 * Debian copyright-format 1.0 short names (and the variants Debian's
 * copyright files use) → SPDX licence ids. docs/sbom.md prints this table;
 * test_sbom checks every id against Debian's node-spdx-license-ids.
 */
static const char *const license_map[][2] = {
	{ "AGPL-3", "AGPL-3.0-only" },         { "AGPL-3+", "AGPL-3.0-or-later" },
	{ "Apache-2", "Apache-2.0" },          { "Apache-2.0", "Apache-2.0" },
	{ "Artistic-2.0", "Artistic-2.0" },    { "BSL-1.0", "BSL-1.0" },
	{ "BSD-2-clause", "BSD-2-Clause" },    { "BSD-3-clause", "BSD-3-Clause" },
	{ "BSD-4-clause", "BSD-4-Clause" },    { "CC0-1.0", "CC0-1.0" },
	{ "curl", "curl" },                    { "Expat", "MIT" },
	{ "FSFAP", "FSFAP" },                  { "FSFUL", "FSFUL" },
	{ "FSFULLR", "FSFULLR" },              { "GFDL-1.2", "GFDL-1.2-only" },
	{ "GFDL-1.2+", "GFDL-1.2-or-later" },  { "GFDL-1.3", "GFDL-1.3-only" },
	{ "GFDL-1.3+", "GFDL-1.3-or-later" },  { "GPL-1", "GPL-1.0-only" },
	{ "GPL-1+", "GPL-1.0-or-later" },      { "GPL-2", "GPL-2.0-only" },
	{ "GPL-2+", "GPL-2.0-or-later" },      { "GPL-3", "GPL-3.0-only" },
	{ "GPL-3+", "GPL-3.0-or-later" },      { "ISC", "ISC" },
	{ "LGPL-2", "LGPL-2.0-only" },         { "LGPL-2+", "LGPL-2.0-or-later" },
	{ "LGPL-2.1", "LGPL-2.1-only" },       { "LGPL-2.1+", "LGPL-2.1-or-later" },
	{ "LGPL-3", "LGPL-3.0-only" },         { "LGPL-3+", "LGPL-3.0-or-later" },
	{ "MIT", "MIT" },                      { "MPL-1.1", "MPL-1.1" },
	{ "MPL-2.0", "MPL-2.0" },              { "OpenSSL", "OpenSSL" },
	{ "PSF-2", "PSF-2.0" },                { "Unicode-DFS-2016", "Unicode-DFS-2016" },
	{ "X11", "X11" },                      { "Zlib", "Zlib" },
	/* Debian names that are SPDX ids themselves (seen in the grafted packages) */
	{ "AFL-2.1", "AFL-2.1" },              { "Beerware", "Beerware" },
	{ "BSD-4-clause-UC", "BSD-4-Clause-UC" }, { "CPL-1.0", "CPL-1.0" },
	{ "Latex2e", "Latex2e" },              { "MIT-CMU", "MIT-CMU" },
	{ "OLDAP-2.8", "OLDAP-2.8" },          { "RSA-MD", "RSA-MD" },
};

const char *sbom_spdx_license(const char *debian)
{
	size_t i;

	for (i = 0; i < sizeof(license_map) / sizeof(license_map[0]); i++)
		if (!strcasecmp(license_map[i][0], debian))
			return license_map[i][1];
	return NULL;
}

const char *sbom_license_entry(size_t i, const char **spdx)
{
	if (i >= sizeof(license_map) / sizeof(license_map[0]))
		return NULL;
	*spdx = license_map[i][1];
	return license_map[i][0];
}

/* --- identifiers --------------------------------------------------------- */

static void pct_encode(const char *s, struct strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '-' || c == '_' || c == '~') {
			strbuf_addch(out, (char)c);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
		}
	}
}

void sbom_deb_purl(const char *name, const char *version, const char *arch,
		   const char *distro, struct strbuf *out)
{
	strbuf_addstr(out, "pkg:deb/debian/");
	pct_encode(name, out);
	if (version) {
		strbuf_addch(out, '@');
		pct_encode(version, out);
	}
	if (arch) {
		strbuf_addstr(out, "?arch=");
		pct_encode(arch, out);
	}
	if (distro) {
		strbuf_addstr(out, arch ? "&distro=" : "?distro=");
		pct_encode(distro, out);
	}
}

const char *sbom_debian_distro(const char *release)
{
	const struct base *b = base_find(release);

	return b ? b->distro : NULL;
}

/*
 * A UUID (RFC 4122 layout, version 5) from the sha256 of `what`, the tool's
 * version and the manifest: everything the document is made from.
 */
static void content_uuid(const char *what, const char *tool, const char *manifest,
			 struct strbuf *out)
{
	struct strbuf in = STRBUF_INIT;
	char hex[SHA256_HEX_SIZE];
	static const char v[] = "89ab";

	strbuf_addf(&in, "%s\n%s\n", what, tool);
	strbuf_addstr(&in, manifest);
	sha256_hex_of(in.buf, in.len, hex);
	hex[12] = '5';                                    /* version */
	hex[16] = v[strchr("0123456789abcdef", hex[16]) ? (hex[16] - '0') & 3 : 0];
	strbuf_addf(out, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
	strbuf_release(&in);
}

/* Element `i` of array `arr` when it is a string, else NULL. */
static const char *str_at(struct json_object *arr, size_t i)
{
	struct json_object *v = json_object_array_get_idx(arr, i);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* 1 when `s` is 64 lower-case hex digits (a sha256 as the manifest writes it). */
static int is_sha256(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* pkg:github/schedmd/slurm@TAG, the tag percent-encoded. */
static void slurm_purl(const char *tag, struct strbuf *out)
{
	strbuf_addstr(out, "pkg:github/schedmd/slurm@");
	pct_encode(tag, out);
}

/*
 * An SPDX id: `prefix` and `name` with [^A-Za-z0-9.-] as '-'; when `used`
 * already has it (two names that differ only there), "-2", "-3", … is
 * appended. The id is added to `used`.
 */
static void spdx_id(struct strmap *used, const char *prefix, const char *name,
		    struct strbuf *out)
{
	size_t len, n = 1;

	strbuf_addstr(out, prefix);
	for (; *name; name++) {
		char c = *name;
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			 c == '.' || c == '-';
		strbuf_addch(out, ok ? c : '-');
	}
	len = out->len;
	while (strmap_has(used, out->buf)) {
		strbuf_setlen(out, len);
		strbuf_addf(out, "-%zu", ++n);
	}
	strmap_put(used, out->buf, NULL);
}

/* --- the manifest, read ------------------------------------------------ */

struct grafted {
	const char *name, *package, *version, *source, *source_version, *arch;
	const char *path, *sha256;    /* in the tarball; NULL when not found */
	struct json_object *licenses; /* array of strings (borrowed) */
};

struct model {
	struct json_object *man, *build, *files;
	const char *version, *tag, *commit, *floor, *release, *distro;
	const char *image, *image_packages, *source_sha256, *software, *software_sha256;
	char timestamp[32];
	struct grafted *grafted;
	size_t nr_grafted;
	struct json_object *host;     /* [{name, reason}] or NULL */
	struct json_object *toolchain;/* ["package=version"] or NULL */
};



/* The tarball file of grafted library `name`: a regular file named so in a lib directory. */
static void find_file(struct json_object *files, const char *name, struct grafted *g)
{
	size_t i, n = files ? json_object_array_length(files) : 0, len = strlen(name);

	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(files, i);
		const char *path = json_member_str(f, "path"), *type = json_member_str(f, "type");
		size_t pl = path ? strlen(path) : 0;
		if (!path || !type || strcmp(type, "file") || pl < len + 5 ||
		    strcmp(path + pl - len, name) || strncmp(path + pl - len - 5, "/lib/", 5))
			continue;
		g->path = path;
		g->sha256 = json_member_str(f, "sha256");
		return;
	}
}

static void model_release(struct model *m)
{
	free(m->grafted);
	json_object_put(m->man);
}

static int model_read(const char *manifest, struct model *m, struct strbuf *err)
{
	struct json_object *arr, *v;
	long long epoch = 0;
	time_t t;
	struct tm tm;
	size_t i, n;

	memset(m, 0, sizeof(*m));
	m->man = json_tokener_parse(manifest);
	if (!m->man || !json_object_is_type(m->man, json_type_object) ||
	    !json_member_str(m->man, "schema") || strcmp(json_member_str(m->man, "schema"), "slurm-factory-manifest/1") ||
	    !(m->version = json_member_str(m->man, "version"))) {
		strbuf_addstr(err, "the manifest is not a slurm-factory manifest (schema "
			      "slurm-factory-manifest/1 with a version)");
		return -1;
	}
	m->tag = json_member_str(m->man, "tag");
	m->commit = json_member_str(m->man, "commit");
	m->floor = json_member_str(m->man, "glibc_floor");
	if (json_object_object_get_ex(m->man, "build", &v) && json_object_is_type(v, json_type_object))
		m->build = v;
	m->files = json_member_array(m->man, "files");
	m->release = json_member_str(m->build, "release");
	m->distro = sbom_debian_distro(m->release);
	m->image = json_member_str(m->build, "image");
	m->image_packages = json_member_str(m->build, "image_packages_sha256");
	m->source_sha256 = json_member_str(m->build, "source_sha256");
	m->host = json_member_array(m->man, "host_provided");
	m->toolchain = json_member_array(m->build, "toolchain");
	if ((arr = json_member_array(m->man, "artifacts")) && json_object_array_length(arr)) {
		m->software = json_member_str(json_object_array_get_idx(arr, 0), "name");
		m->software_sha256 = json_member_str(json_object_array_get_idx(arr, 0), "sha256");
	}
	if (!is_sha256(m->software_sha256))
		m->software_sha256 = NULL;
	if (!is_sha256(m->source_sha256))
		m->source_sha256 = NULL;
	if (json_object_object_get_ex(m->man, "source_date_epoch", &v))
		epoch = json_object_get_int64(v);
	t = (time_t)epoch;
	/* SOURCE_DATE_EPOCH's range (package_parse_epoch): a four-digit year */
	if (epoch < 0 || epoch > 253402300799LL || !gmtime_r(&t, &tm) ||
	    !strftime(m->timestamp, sizeof(m->timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		strbuf_addf(err, "the manifest's source_date_epoch %lld is not a date from 1970 "
			    "to 9999", epoch);
		return -1;
	}
	arr = json_member_array(m->build, "grafted_packages");
	n = arr ? json_object_array_length(arr) : 0;
	m->grafted = xcalloc(n ? n : 1, sizeof(*m->grafted));
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct grafted *g = &m->grafted[m->nr_grafted];
		size_t k;
		int seen = 0;
		if (!(g->name = json_member_str(o, "name")))
			continue;
		for (k = 0; k < m->nr_grafted && !seen; k++)
			seen = !strcmp(m->grafted[k].name, g->name);
		if (seen)
			continue;   /* one component per library file */
		g->package = json_member_str(o, "package");
		g->version = json_member_str(o, "version");
		g->source = json_member_str(o, "source");
		g->source_version = json_member_str(o, "source_version");
		g->arch = json_member_str(o, "architecture");
		g->licenses = json_member_array(o, "licenses");
		find_file(m->files, g->name, g);
		if (!is_sha256(g->sha256))
			g->sha256 = NULL;
		m->nr_grafted++;
	}
	return 0;
}

/* The "package=version" entry `s` split: name into `name`, the version returned. */
static const char *split_tool(const char *s, struct strbuf *name)
{
	const char *eq = strchr(s, '=');

	strbuf_reset(name);
	strbuf_add(name, s, eq ? (size_t)(eq - s) : strlen(s));
	return eq ? eq + 1 : NULL;
}

/*
 * Toolchain entry `i`'s name into `name` and its version returned; NULL
 * (skip it) when it is not a string, has no name, names a tool listed
 * already (slurm-factory and the build image are always), or repeats one.
 */
static const char *tool_at(struct json_object *tc, size_t i, struct strbuf *name,
			   const char **version)
{
	struct strbuf other = STRBUF_INIT;
	const char *e = str_at(tc, i);
	size_t k;
	int dup;

	if (!e)
		return NULL;
	*version = split_tool(e, name);
	dup = !name->len || !strcmp(name->buf, "slurm-factory") || !strcmp(name->buf, "build-image");
	for (k = 0; k < i && !dup; k++) {
		const char *o = str_at(tc, k);
		if (o) {
			split_tool(o, &other);
			dup = !strcmp(other.buf, name->buf);
		}
	}
	strbuf_release(&other);
	return dup ? NULL : e;
}

/* Host-provided entry `i`'s name, or NULL (skip it): no name, "glibc" (listed at the floor), or a repeat. */
static const char *host_at(struct json_object *host, size_t i)
{
	const char *name = json_member_str(json_object_array_get_idx(host, i), "name");
	size_t k;

	if (!name || !strcmp(name, "glibc"))
		return NULL;
	for (k = 0; k < i; k++) {
		const char *o = json_member_str(json_object_array_get_idx(host, k), "name");
		if (o && !strcmp(o, name))
			return NULL;
	}
	return name;
}

static void json_text(struct json_object *doc, struct strbuf *out)
{
	strbuf_addstr(out, json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	strbuf_addch(out, '\n');
}

static void add_str(struct json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_string(value));
}

/* --- CycloneDX 1.6 ------------------------------------------------------- */

static void cdx_prop(struct json_object *props, const char *name, const char *value)
{
	struct json_object *p;

	if (!value)
		return;
	p = json_object_new_object();
	add_str(p, "name", name);
	add_str(p, "value", value);
	json_object_array_add(props, p);
}

static struct json_object *cdx_hash(const char *sha256)
{
	struct json_object *arr = json_object_new_array(), *h = json_object_new_object();

	add_str(h, "alg", "SHA-256");
	add_str(h, "content", sha256);
	json_object_array_add(arr, h);
	return arr;
}

/* Debian short names as CycloneDX licences: an SPDX id where the table has one, else a name. */
static struct json_object *cdx_licenses(struct json_object *names)
{
	struct json_object *arr = json_object_new_array();
	size_t i, n = names ? json_object_array_length(names) : 0;

	for (i = 0; i < n; i++) {
		const char *d = str_at(names, i);
		const char *id = d ? sbom_spdx_license(d) : NULL;
		struct json_object *l, *w;
		size_t k;
		int dup = 0;
		if (!d || !*d)
			continue;
		for (k = 0; k < i && !dup; k++) {
			const char *o = str_at(names, k);
			const char *oid = o ? sbom_spdx_license(o) : NULL;
			dup = o && (id ? oid && !strcmp(oid, id) : !strcmp(o, d));
		}
		if (dup)
			continue;
		l = json_object_new_object();
		w = json_object_new_object();
		add_str(l, id ? "id" : "name", id ? id : d);
		json_object_object_add(w, "license", l);
		json_object_array_add(arr, w);
	}
	return arr;
}

static struct json_object *cdx_slurm(const struct model *m)
{
	struct json_object *c = json_object_new_object(), *props = json_object_new_array();
	struct strbuf purl = STRBUF_INIT;

	add_str(c, "type", "application");
	add_str(c, "bom-ref", "slurm");
	add_str(c, "name", "slurm");
	add_str(c, "version", m->version);
	add_str(c, "description", "Slurm workload manager, relocatable build by slurm-factory");
	if (m->software_sha256)
		json_object_object_add(c, "hashes", cdx_hash(m->software_sha256));
	if (m->tag) {
		slurm_purl(m->tag, &purl);
		add_str(c, "purl", purl.buf);
	}
	if (m->commit) {
		struct json_object *ped = json_object_new_object(), *commits = json_object_new_array();
		struct json_object *cm = json_object_new_object();
		add_str(cm, "uid", m->commit);
		add_str(cm, "url", "https://github.com/SchedMD/slurm");
		json_object_array_add(commits, cm);
		json_object_object_add(ped, "commits", commits);
		json_object_object_add(c, "pedigree", ped);
	}
	cdx_prop(props, "slurm-factory:software_tarball", m->software);
	cdx_prop(props, "slurm-factory:source_tarball_sha256", m->source_sha256);
	cdx_prop(props, "slurm-factory:glibc_floor", m->floor);
	{
		static const char *const opts[] = { "prefix", "gpu", "minimal", "backend" };
		size_t i;
		for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			struct strbuf k = STRBUF_INIT;
			strbuf_addf(&k, "slurm-factory:%s", opts[i]);
			cdx_prop(props, k.buf, json_member_str(m->build, opts[i]));
			strbuf_release(&k);
		}
	}
	json_object_object_add(c, "properties", props);
	strbuf_release(&purl);
	return c;
}

static struct json_object *cdx_grafted(const struct model *m, const struct grafted *g)
{
	struct json_object *c = json_object_new_object(), *props = json_object_new_array();
	struct strbuf s = STRBUF_INIT;

	add_str(c, "type", "library");
	strbuf_addf(&s, "grafted:%s", g->name);
	add_str(c, "bom-ref", s.buf);
	if (g->package) {
		struct json_object *sup = json_object_new_object();
		add_str(sup, "name", "Debian");
		json_object_object_add(c, "supplier", sup);
	}
	add_str(c, "name", g->package ? g->package : g->name);
	add_str(c, "version", g->version);
	strbuf_reset(&s);
	if (g->package)
		strbuf_addf(&s, "%s, grafted into the package from Debian's %s", g->name, g->package);
	else
		strbuf_addf(&s, "%s, grafted into the package; no Debian package owns it", g->name);
	add_str(c, "description", s.buf);
	if (g->sha256)
		json_object_object_add(c, "hashes", cdx_hash(g->sha256));
	if (g->licenses && json_object_array_length(g->licenses))
		json_object_object_add(c, "licenses", cdx_licenses(g->licenses));
	if (g->package) {
		strbuf_reset(&s);
		sbom_deb_purl(g->package, g->version, g->arch, m->distro, &s);
		add_str(c, "purl", s.buf);
	}
	cdx_prop(props, "slurm-factory:library", g->name);
	cdx_prop(props, "slurm-factory:path", g->path);
	cdx_prop(props, "slurm-factory:shipped", "true");
	cdx_prop(props, "debian:source", g->source);
	cdx_prop(props, "debian:source_version", g->source_version);
	json_object_object_add(c, "properties", props);
	strbuf_release(&s);
	return c;
}

/* A library the node provides: required at run time, not in the package. */
static struct json_object *cdx_host(const char *name, const char *version_note,
				    const char *reason)
{
	struct json_object *c = json_object_new_object(), *props = json_object_new_array();
	struct strbuf s = STRBUF_INIT;

	add_str(c, "type", "library");
	strbuf_addf(&s, "host:%s", name);
	add_str(c, "bom-ref", s.buf);
	add_str(c, "name", name);
	add_str(c, "scope", "required");
	add_str(c, "description", reason);
	cdx_prop(props, "slurm-factory:shipped", "false");
	cdx_prop(props, "slurm-factory:minimum_version", version_note);
	json_object_object_add(c, "properties", props);
	strbuf_release(&s);
	return c;
}

static struct json_object *cdx_tools(const struct model *m, const char *tool_version)
{
	struct json_object *tools = json_object_new_object(), *comps = json_object_new_array();
	struct json_object *c = json_object_new_object();
	struct strbuf name = STRBUF_INIT, purl = STRBUF_INIT;
	size_t i, n = m->toolchain ? json_object_array_length(m->toolchain) : 0;

	add_str(c, "type", "application");
	add_str(c, "bom-ref", "tool:slurm-factory");
	add_str(c, "name", "slurm-factory");
	add_str(c, "version", tool_version);
	json_object_array_add(comps, c);
	for (i = 0; i < n; i++) {
		const char *ver = NULL;
		if (!tool_at(m->toolchain, i, &name, &ver))
			continue;
		c = json_object_new_object();
		add_str(c, "type", "application");
		strbuf_reset(&purl);
		strbuf_addf(&purl, "tool:%s", name.buf);
		add_str(c, "bom-ref", purl.buf);
		add_str(c, "name", name.buf);
		add_str(c, "version", ver);
		strbuf_reset(&purl);
		sbom_deb_purl(name.buf, ver, NULL, m->distro, &purl);
		add_str(c, "purl", purl.buf);
		json_object_array_add(comps, c);
	}
	if (m->image && strcmp(m->image, "host")) {
		struct json_object *props = json_object_new_array();
		c = json_object_new_object();
		add_str(c, "type", "operating-system");
		add_str(c, "bom-ref", "tool:build-image");
		add_str(c, "name", m->image);
		add_str(c, "description", m->distro ? "Debian build image (LXD), debootstrapped"
				: "build image (LXD)");
		cdx_prop(props, "slurm-factory:image_packages_sha256", m->image_packages);
		cdx_prop(props, "slurm-factory:distro", m->distro);
		json_object_object_add(c, "properties", props);
		json_object_array_add(comps, c);
	}
	json_object_object_add(tools, "components", comps);
	strbuf_release(&name);
	strbuf_release(&purl);
	return tools;
}

int sbom_cyclonedx(const struct sbom_params *p, struct strbuf *out, struct strbuf *err)
{
	struct json_object *doc, *meta, *comps, *deps, *dep, *on, *lc, *phase;
	struct strbuf s = STRBUF_INIT;
	struct model m;
	size_t i, n;

	if (model_read(p->manifest, &m, err)) {
		model_release(&m);
		return -1;
	}
	doc = json_object_new_object();
	add_str(doc, "$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json");
	add_str(doc, "bomFormat", "CycloneDX");
	add_str(doc, "specVersion", "1.6");
	strbuf_addstr(&s, "urn:uuid:");
	content_uuid("cyclonedx", p->tool_version, p->manifest, &s);
	add_str(doc, "serialNumber", s.buf);
	json_object_object_add(doc, "version", json_object_new_int(1));
	meta = json_object_new_object();
	add_str(meta, "timestamp", m.timestamp);
	lc = json_object_new_array();
	phase = json_object_new_object();
	add_str(phase, "phase", "build");
	json_object_array_add(lc, phase);
	json_object_object_add(meta, "lifecycles", lc);
	json_object_object_add(meta, "tools", cdx_tools(&m, p->tool_version));
	json_object_object_add(meta, "component", cdx_slurm(&m));
	json_object_object_add(doc, "metadata", meta);

	comps = json_object_new_array();
	on = json_object_new_array();
	for (i = 0; i < m.nr_grafted; i++) {
		json_object_array_add(comps, cdx_grafted(&m, &m.grafted[i]));
		strbuf_reset(&s);
		strbuf_addf(&s, "grafted:%s", m.grafted[i].name);
		json_object_array_add(on, json_object_new_string(s.buf));
	}
	if (m.floor) {
		strbuf_reset(&s);
		strbuf_addf(&s, ">= %s", m.floor);
		json_object_array_add(comps, cdx_host("glibc", s.buf, "the C library of the node: "
						      "the package needs at least this version"));
		json_object_array_add(on, json_object_new_string("host:glibc"));
	}
	n = m.host ? json_object_array_length(m.host) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(m.host, i);
		const char *name = host_at(m.host, i);
		if (!name)
			continue;
		json_object_array_add(comps, cdx_host(name, NULL, json_member_str(h, "reason")));
		strbuf_reset(&s);
		strbuf_addf(&s, "host:%s", name);
		json_object_array_add(on, json_object_new_string(s.buf));
	}
	json_object_object_add(doc, "components", comps);
	deps = json_object_new_array();
	dep = json_object_new_object();
	add_str(dep, "ref", "slurm");
	json_object_object_add(dep, "dependsOn", on);
	json_object_array_add(deps, dep);
	json_object_object_add(doc, "dependencies", deps);
	json_text(doc, out);
	json_object_put(doc);
	strbuf_release(&s);
	model_release(&m);
	return 0;
}

/* --- SPDX 2.3 ------------------------------------------------------------ */

static struct json_object *spdx_package(const char *id, const char *name, const char *version)
{
	struct json_object *p = json_object_new_object();

	add_str(p, "SPDXID", id);
	add_str(p, "name", name);
	add_str(p, "versionInfo", version);
	add_str(p, "downloadLocation", "NOASSERTION");
	json_object_object_add(p, "filesAnalyzed", json_object_new_boolean(0));
	add_str(p, "licenseConcluded", "NOASSERTION");
	add_str(p, "licenseDeclared", "NOASSERTION");
	add_str(p, "copyrightText", "NOASSERTION");
	return p;
}

static void spdx_purl(struct json_object *pkg, const char *purl)
{
	struct json_object *refs = json_object_new_array(), *r = json_object_new_object();

	add_str(r, "referenceCategory", "PACKAGE-MANAGER");
	add_str(r, "referenceType", "purl");
	add_str(r, "referenceLocator", purl);
	json_object_array_add(refs, r);
	json_object_object_add(pkg, "externalRefs", refs);
}

static void spdx_sha256(struct json_object *pkg, const char *sha256)
{
	struct json_object *sums = json_object_new_array(), *c = json_object_new_object();

	add_str(c, "algorithm", "SHA256");
	add_str(c, "checksumValue", sha256);
	json_object_array_add(sums, c);
	json_object_object_add(pkg, "checksums", sums);
}

static void spdx_rel(struct json_object *rels, const char *a, const char *type, const char *b,
		     const char *comment)
{
	struct json_object *r = json_object_new_object();

	add_str(r, "spdxElementId", a);
	add_str(r, "relationshipType", type);
	add_str(r, "relatedSpdxElement", b);
	add_str(r, "comment", comment);
	json_object_array_add(rels, r);
}

/* 1 when `item` is already one of the " AND "-joined items of `expr`. */
static int has_item(const struct strbuf *expr, const char *item)
{
	size_t len = strlen(item);
	const char *p = expr->buf;

	while (expr->len && p) {
		const char *end = strstr(p, " AND ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && !memcmp(p, item, len))
			return 1;
		p = end ? end + 5 : NULL;
	}
	return 0;
}

/*
 * The declared licence of a grafted library: its Debian names as SPDX ids
 * joined by AND (the copyright file's paragraphs cover different files),
 * each once; a name the table lacks becomes LicenseRef-Debian-NAME,
 * defined once in `extracted` (its id unique in `used`). No names:
 * NOASSERTION.
 */
static void spdx_license_expr(struct json_object *names, struct json_object *extracted,
			      struct strmap *used, struct strbuf *out)
{
	size_t i, n = names ? json_object_array_length(names) : 0;
	struct strbuf ref = STRBUF_INIT, text = STRBUF_INIT;

	for (i = 0; i < n; i++) {
		const char *d = str_at(names, i), *id = d ? sbom_spdx_license(d) : NULL;
		size_t j, k = json_object_array_length(extracted);
		struct json_object *e;
		if (!d || !*d)
			continue;
		strbuf_reset(&ref);
		if (id)
			strbuf_addstr(&ref, id);
		for (j = 0; j < k && !id && !ref.len; j++) {
			e = json_object_array_get_idx(extracted, j);
			if (!strcmp(json_member_str(e, "name"), d))
				strbuf_addstr(&ref, json_member_str(e, "licenseId"));
		}
		if (!ref.len) {
			spdx_id(used, "LicenseRef-Debian-", d, &ref);
			e = json_object_new_object();
			add_str(e, "licenseId", ref.buf);
			add_str(e, "name", d);
			strbuf_reset(&text);
			strbuf_addf(&text, "The Debian copyright-format short name \"%s\", which "
				    "has no SPDX identifier: see the package's "
				    "/usr/share/doc/PACKAGE/copyright.", d);
			add_str(e, "extractedText", text.buf);
			json_object_array_add(extracted, e);
		}
		if (has_item(out, ref.buf))
			continue;
		if (out->len)
			strbuf_addstr(out, " AND ");
		strbuf_addstr(out, ref.buf);
	}
	if (!out->len)
		strbuf_addstr(out, "NOASSERTION");
	strbuf_release(&ref);
	strbuf_release(&text);
}

int sbom_spdx(const struct sbom_params *p, struct strbuf *out, struct strbuf *err)
{
	struct json_object *doc, *ci, *creators, *pkgs, *rels, *extracted, *pkg;
	struct strbuf s = STRBUF_INIT, id = STRBUF_INIT, name = STRBUF_INIT;
	struct strmap used;           /* every SPDX id given so far */
	struct model m;
	size_t i, n;

	if (model_read(p->manifest, &m, err)) {
		model_release(&m);
		return -1;
	}
	strmap_init(&used);
	{
		static const char *const fixed[] = { "SPDXRef-DOCUMENT", "SPDXRef-slurm",
			"SPDXRef-host-glibc", "SPDXRef-tool-slurm-factory", "SPDXRef-build-image" };
		for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			strmap_put(&used, fixed[i], NULL);
	}
	doc = json_object_new_object();
	add_str(doc, "spdxVersion", "SPDX-2.3");
	add_str(doc, "dataLicense", "CC0-1.0");
	add_str(doc, "SPDXID", "SPDXRef-DOCUMENT");
	strbuf_addf(&s, "slurm-%s", m.version);
	add_str(doc, "name", s.buf);
	strbuf_reset(&s);
	strbuf_addstr(&s, "https://spdx.org/spdxdocs/slurm-factory/slurm-");
	pct_encode(m.version, &s);
	strbuf_addch(&s, '-');
	content_uuid("spdx", p->tool_version, p->manifest, &s);
	add_str(doc, "documentNamespace", s.buf);
	ci = json_object_new_object();
	add_str(ci, "created", m.timestamp);
	creators = json_object_new_array();
	strbuf_reset(&s);
	strbuf_addf(&s, "Tool: slurm-factory-%s", p->tool_version);
	json_object_array_add(creators, json_object_new_string(s.buf));
	json_object_object_add(ci, "creators", creators);
	json_object_object_add(doc, "creationInfo", ci);

	pkgs = json_object_new_array();
	rels = json_object_new_array();
	extracted = json_object_new_array();
	spdx_rel(rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-slurm", NULL);

	/* Slurm: the software tarball, built from the tag's commit */
	pkg = spdx_package("SPDXRef-slurm", "slurm", m.version);
	add_str(pkg, "packageFileName", m.software);
	if (m.tag) {
		strbuf_reset(&s);
		strbuf_addstr(&s, "git+https://github.com/SchedMD/slurm.git@");
		pct_encode(m.tag, &s);
		json_object_object_add(pkg, "downloadLocation", json_object_new_string(s.buf));
	}
	if (m.software_sha256)
		spdx_sha256(pkg, m.software_sha256);
	strbuf_reset(&s);
	strbuf_addf(&s, "built from Slurm commit %s", m.commit ? m.commit : "(unknown)");
	if (m.tag)
		strbuf_addf(&s, " (tag %s)", m.tag);
	if (m.source_sha256)
		strbuf_addf(&s, "; source tarball sha256 %s", m.source_sha256);
	add_str(pkg, "sourceInfo", s.buf);
	add_str(pkg, "primaryPackagePurpose", "APPLICATION");
	if (m.tag) {
		strbuf_reset(&s);
		slurm_purl(m.tag, &s);
		spdx_purl(pkg, s.buf);
	}
	json_object_array_add(pkgs, pkg);

	for (i = 0; i < m.nr_grafted; i++) {
		const struct grafted *g = &m.grafted[i];
		strbuf_reset(&id);
		spdx_id(&used, "SPDXRef-grafted-", g->name, &id);
		pkg = spdx_package(id.buf, g->package ? g->package : g->name, g->version);
		add_str(pkg, "packageFileName", g->path);
		if (g->package)
			add_str(pkg, "supplier", "Organization: Debian");
		if (g->sha256)
			spdx_sha256(pkg, g->sha256);
		strbuf_reset(&s);
		spdx_license_expr(g->licenses, extracted, &used, &s);
		json_object_object_add(pkg, "licenseDeclared", json_object_new_string(s.buf));
		if (g->source) {
			strbuf_reset(&s);
			strbuf_addf(&s, "Debian source package %s %s", g->source,
				    g->source_version ? g->source_version : "");
			add_str(pkg, "sourceInfo", s.buf);
		}
		strbuf_reset(&s);
		strbuf_addf(&s, "%s, grafted into the package", g->name);
		add_str(pkg, "comment", s.buf);
		add_str(pkg, "primaryPackagePurpose", "LIBRARY");
		if (g->package) {
			strbuf_reset(&s);
			sbom_deb_purl(g->package, g->version, g->arch, m.distro, &s);
			spdx_purl(pkg, s.buf);
		}
		json_object_array_add(pkgs, pkg);
		spdx_rel(rels, "SPDXRef-slurm", "CONTAINS", id.buf, NULL);
	}

	/* what the node provides: dependencies, not in the package */
	if (m.floor) {
		pkg = spdx_package("SPDXRef-host-glibc", "glibc", NULL);
		strbuf_reset(&s);
		strbuf_addf(&s, "provided by the node, not shipped: the package needs glibc >= %s",
			    m.floor);
		add_str(pkg, "comment", s.buf);
		add_str(pkg, "primaryPackagePurpose", "LIBRARY");
		json_object_array_add(pkgs, pkg);
		spdx_rel(rels, "SPDXRef-slurm", "DEPENDS_ON", "SPDXRef-host-glibc",
			 "host-provided, not shipped");
	}
	n = m.host ? json_object_array_length(m.host) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *h = json_object_array_get_idx(m.host, i);
		const char *hn = host_at(m.host, i);
		if (!hn)
			continue;
		strbuf_reset(&id);
		spdx_id(&used, "SPDXRef-host-", hn, &id);
		pkg = spdx_package(id.buf, hn, NULL);
		strbuf_reset(&s);
		strbuf_addf(&s, "provided by the node, not shipped: %s",
			    json_member_str(h, "reason") ? json_member_str(h, "reason") : "");
		add_str(pkg, "comment", s.buf);
		add_str(pkg, "primaryPackagePurpose", "LIBRARY");
		json_object_array_add(pkgs, pkg);
		spdx_rel(rels, "SPDXRef-slurm", "DEPENDS_ON", id.buf, "host-provided, not shipped");
	}

	/* build tools */
	pkg = spdx_package("SPDXRef-tool-slurm-factory", "slurm-factory", p->tool_version);
	add_str(pkg, "primaryPackagePurpose", "APPLICATION");
	json_object_array_add(pkgs, pkg);
	spdx_rel(rels, "SPDXRef-tool-slurm-factory", "BUILD_TOOL_OF", "SPDXRef-slurm", NULL);
	n = m.toolchain ? json_object_array_length(m.toolchain) : 0;
	for (i = 0; i < n; i++) {
		const char *ver = NULL;
		if (!tool_at(m.toolchain, i, &name, &ver))
			continue;
		strbuf_reset(&id);
		spdx_id(&used, "SPDXRef-tool-", name.buf, &id);
		pkg = spdx_package(id.buf, name.buf, ver);
		add_str(pkg, "supplier", "Organization: Debian");
		add_str(pkg, "primaryPackagePurpose", "APPLICATION");
		strbuf_reset(&s);
		sbom_deb_purl(name.buf, ver, NULL, m.distro, &s);
		spdx_purl(pkg, s.buf);
		json_object_array_add(pkgs, pkg);
		spdx_rel(rels, id.buf, "BUILD_TOOL_OF", "SPDXRef-slurm", NULL);
	}
	if (m.image && strcmp(m.image, "host")) {
		pkg = spdx_package("SPDXRef-build-image", m.image, NULL);
		strbuf_reset(&s);
		strbuf_addf(&s, "the LXD build image%s%s", m.image_packages ?
			    "; sha256 of its package list " : "",
			    m.image_packages ? m.image_packages : "");
		add_str(pkg, "comment", s.buf);
		add_str(pkg, "primaryPackagePurpose", "OPERATING-SYSTEM");
		json_object_array_add(pkgs, pkg);
		spdx_rel(rels, "SPDXRef-build-image", "BUILD_TOOL_OF", "SPDXRef-slurm", NULL);
	}
	json_object_object_add(doc, "packages", pkgs);
	json_object_object_add(doc, "relationships", rels);
	if (json_object_array_length(extracted))
		json_object_object_add(doc, "hasExtractedLicensingInfos", extracted);
	else
		json_object_put(extracted);
	json_text(doc, out);
	json_object_put(doc);
	strbuf_release(&s);
	strbuf_release(&id);
	strbuf_release(&name);
	strmap_release(&used);
	model_release(&m);
	return 0;
}
