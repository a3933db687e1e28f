/*
 * package: deterministic tarballs (archive.c's writer), SHA256SUMS and a
 * manifest (json-c) from an install tree. Used by build and on its own.
 */
#include "package.h"

#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildcache.h"
#include "elf.h"
#include "fsutil.h"
#include "jsonutil.h"
#include "modulefile.h"
#include "crypto.h"
#include "sbom.h"
#include "signals.h"
#include "symver.h"

const struct opt package_opts[] = {
	{ "slurm-version", OPT_VALUE | OPTF_ALONE, "VERSION", "version that names the files (required)" },
	{ "module-dir", OPT_VALUE | OPTF_INPUT | OPTF_ALONE, "DIR",
	  "modulefiles root, must hold slurm/<version>.lua (without the option: an "
	  "empty slurm/)" },
	{ "format", OPT_VALUE, "FMT", "compression: gz (default) or zst" },
	{ "source-date-epoch", OPT_VALUE, "SECONDS",
	  "mtime of every entry (default $SOURCE_DATE_EPOCH, else 0)" },
	{ "tag", OPT_VALUE | OPTF_ALONE, "TAG", "Slurm tag, for the manifest" },
	{ "commit", OPT_VALUE | OPTF_ALONE, "ID", "Slurm commit, for the manifest" },
	{ NULL, 0, NULL, NULL },
};

void package_output_release(struct package_output *o)
{
	free(o->software);
	free(o->module);
	free(o->sums);
	free(o->manifest);
	free(o->cdx);
	free(o->spdx);
	memset(o, 0, sizeof(*o));
}

int package_format_parse(const char *s, enum pack_format *out)
{
	if (!strcmp(s, "gz") || !strcmp(s, "gzip"))
		*out = PACK_GZ;
	else if (!strcmp(s, "zst") || !strcmp(s, "zstd"))
		*out = PACK_ZST;
	else
		return -1;
	return 0;
}

const char *package_format_ext(enum pack_format f)
{
	return f == PACK_ZST ? ".tar.zst" : f == PACK_TAR ? ".tar" : ".tar.gz";
}

/* Collects the manifest's file list while the software tarball is written. */
static void on_entry(void *ctx, const struct pack_entry *e)
{
	struct json_object *files = ctx, *o = json_object_new_object();
	char mode[8];

	snprintf(mode, sizeof(mode), "%04o", e->mode);
	json_object_object_add(o, "path", json_object_new_string(e->name));
	json_object_object_add(o, "type", json_object_new_string(
		e->type == 'd' ? "dir" : e->type == 'l' ? "symlink" : "file"));
	json_object_object_add(o, "mode", json_object_new_string(mode));
	if (e->type == 'f') {
		json_object_object_add(o, "size", json_object_new_int64((int64_t)e->size));
		json_object_object_add(o, "sha256", json_object_new_string(e->sha256));
	}
	if (e->type == 'l')
		json_object_object_add(o, "target", json_object_new_string(e->target));
	json_object_array_add(files, o);
}

static struct json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static void add_pairs(struct json_object *obj, char *const *kv)
{
	for (; kv && *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		char *key;
		if (!eq)
			continue;
		key = xstrndup(*kv, (size_t)(eq - *kv));
		json_object_object_add(obj, key, json_object_new_string(eq + 1));
		free(key);
	}
}

static void add_lists(struct json_object *obj, char *const *kv)
{
	for (; kv && *kv; kv++) {
		const char *eq = strchr(*kv, '='), *pos, *s;
		struct json_object *arr;
		size_t n;
		char *key;
		if (!eq)
			continue;
		key = xstrndup(*kv, (size_t)(eq - *kv));
		arr = json_object_new_array();
		pos = eq + 1;
		while (str_next_line(&pos, &s, &n))
			if (n)
				json_object_array_add(arr, json_object_new_string_len(s, (int)n));
		json_object_object_add(obj, key, arr);
		free(key);
	}
}

/*
 * The files of one package run, each first written to a temporary file of
 * its own beside its final name: nothing in the output directory is
 * touched until all of them are complete, and a failure removes only these
 * temporary files, never a file this run did not make.
 */
enum { P_SOFTWARE, P_MODULE, P_MANIFEST, P_CDX, P_SPDX, P_SUMS, P_COUNT };

struct pending {
	int fd;
	struct strbuf tmp;
	const char *path;     /* final name (borrowed from package_output) */
};

static void pending_init(struct pending *p)
{
	size_t i;

	for (i = 0; i < P_COUNT; i++) {
		p[i].fd = -1;
		strbuf_init(&p[i].tmp);
		p[i].path = NULL;
	}
}

/* Removes every temporary file not yet committed. */
static void pending_release(struct pending *p)
{
	size_t i;

	for (i = 0; i < P_COUNT; i++) {
		if (p[i].fd >= 0) {
			close(p[i].fd);
			unlink(p[i].tmp.buf);
		}
		strbuf_release(&p[i].tmp);
	}
}

static int pending_open(struct pending *p, const char *path, struct strbuf *err)
{
	struct strbuf target = STRBUF_INIT;
	int ret = -1;

	/* the final name must be one we may replace: a file, or nothing yet */
	if (fs_replace_target(path, &target, err))
		goto out;
	p->path = path;
	p->fd = fs_create_temp(path, 0644, &p->tmp, err);
	ret = p->fd < 0 ? -1 : 0;
out:
	strbuf_release(&target);
	return ret;
}

static int pending_write(struct pending *p, const char *path, const char *data, size_t len,
			 struct strbuf *err)
{
	size_t off = 0;

	if (pending_open(p, path, err))
		return -1;
	while (off < len) {
		ssize_t n = write(p->fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_addf(err, "cannot write '%s': %s", p->tmp.buf, strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Tarballs first, SHA256SUMS last: a reader that sees the sums sees the files. */
static int pending_commit(struct pending *p, struct strbuf *err)
{
	struct strbuf target = STRBUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < P_COUNT && !ret; i++) {
		int fd = p[i].fd;

		p[i].fd = -1;
		if (fs_replace_target(p[i].path, &target, err)) {
			close(fd);
			unlink(p[i].tmp.buf);
			ret = -1;
		} else {
			ret = fs_commit_temp(fd, p[i].tmp.buf, target.buf, err);
		}
	}
	strbuf_release(&target);
	return ret;
}

/*
 * Packs `dir` into a new temporary file beside `path` (kept open in `p`),
 * hashing it as it is written.
 */
static int pack_one(struct pending *p, const char *dir, const char *top, const char *path,
		    const struct package_input *in, struct json_object *files,
		    char hex[65], unsigned long long *size, struct strbuf *err)
{
	struct pack_opts po;

	memset(&po, 0, sizeof(po));
	po.format = in->format;
	po.mtime = in->mtime;
	po.top = top;
	po.on_entry = files ? on_entry : NULL;
	po.ctx = files;
	if (pending_open(p, path, err) || archive_pack_tree(dir, p->fd, path, &po, err))
		return -1;
	return sha256_file(p->tmp.buf, hex, size, err);
}

/*
 * Holds an exclusive lock on the output directory itself (flock on the
 * directory: no lock file is left behind) so that two package runs into
 * one directory take turns and both succeed. -1 when it cannot be opened.
 */
static int lock_dir(const char *dir, struct strbuf *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		strbuf_addf(err, "cannot open the output directory '%s': %s", dir,
			    strerror(errno));
		return -1;
	}
	if (fs_lock_fd(fd, dir, 0, NULL, err)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The names of the two tarballs and where the four files go. */
struct names {
	char *software, *module, *cdx, *spdx;   /* file names */
};

static void names_init(struct names *n, const struct package_input *in,
		       struct package_output *out)
{
	const char *ext = package_format_ext(in->format);
	struct strbuf sb = STRBUF_INIT;

	buildcache_software_name(&sb, in->version, ext);
	n->software = strbuf_detach(&sb);
	buildcache_module_name(&sb, in->version, ext);
	n->module = strbuf_detach(&sb);
	out->software = xasprintf("%s/%s", in->out_dir, n->software);
	out->module = xasprintf("%s/%s", in->out_dir, n->module);
	out->sums = xasprintf("%s/SHA256SUMS", in->out_dir);
	out->manifest = xasprintf("%s/manifest.json", in->out_dir);
	buildcache_sbom_name(&sb, in->version, SBOM_CDX_SUFFIX);
	n->cdx = strbuf_detach(&sb);
	buildcache_sbom_name(&sb, in->version, SBOM_SPDX_SUFFIX);
	n->spdx = strbuf_detach(&sb);
	out->cdx = xasprintf("%s/%s", in->out_dir, n->cdx);
	out->spdx = xasprintf("%s/%s", in->out_dir, n->spdx);
}

/* The "software tarball" check: the tree under software/, every entry listed in `files`. */
static int pack_software(struct stage_report *s, const struct package_input *in,
			 struct package_output *out, const struct names *n,
			 struct pending *p, struct json_object *files)
{
	struct check *c = stage_add_check(s, "software tarball");
	struct strbuf err = STRBUF_INIT;
	int ret = -1;

	if (pack_one(p, in->tree, "software", out->software, in, files, out->software_sha256,
		     &out->software_size, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	out->nr_files = json_object_array_length(files);
	check_set_message(c, "%s: %zu entries, %llu bytes, sha256 %s", n->software,
			  out->nr_files, out->software_size, out->software_sha256);
	ret = 0;
out:
	check_finish(c);
	strbuf_release(&err);
	return ret;
}

/* 1 when `root` holds slurm/<version>.lua; else 0 and `c` fails saying what is missing. */
static int modulefile_present(struct check *c, const char *root, const char *version)
{
	struct strbuf lua = STRBUF_INIT;
	int ok = 0;

	strbuf_addf(&lua, "%s/slurm/%s.lua", root, version);
	if (!fs_is_dir(root))
		check_fail(c, OUTCOME_FAIL, "the module directory %s does not exist", root);
	else if (!fs_is_file(lua.buf))
		check_fail(c, OUTCOME_FAIL, "%s has no slurm/%s.lua: a module tarball without "
			   "it cannot load Slurm %s", root, version, version);
	else
		ok = 1;
	strbuf_release(&lua);
	return ok;
}

/*
 * The "module tarball" check: the modulefiles, which must hold
 * slurm/<version>.lua (a tarball without it loads nothing); an empty
 * slurm/ when no module directory is given.
 */
static int pack_modules(struct stage_report *s, const struct package_input *in,
			struct package_output *out, const struct names *n, struct pending *p)
{
	struct check *c = stage_add_check(s, "module tarball");
	struct strbuf err = STRBUF_INIT, empty = STRBUF_INIT;
	const char *root = in->module_dir;
	char *empty_dir = NULL;
	int ret = -1;

	if (root) {
		if (!modulefile_present(c, root, in->version))
			goto out;
	} else {
		/* nothing to pack yet: an empty slurm/ directory keeps the layout */
		strbuf_addf(&empty, "%s/.module-empty-", fs_tmpdir());
		fs_random_name(&empty, 12);
		empty_dir = strbuf_detach(&empty);
		strbuf_addf(&empty, "%s/slurm", empty_dir);
		if (mkdir(empty_dir, 0700) < 0 || mkdir(empty.buf, 0755) < 0) {
			check_fail(c, OUTCOME_ERROR, "cannot create '%s': %s", empty.buf,
				   strerror(errno));
			goto out;
		}
		root = empty_dir;
	}
	if (pack_one(p, root, NULL, out->module, in, NULL, out->module_sha256,
		     &out->module_size, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	if (empty_dir)
		check_set_message(c, "%s: no modulefile given: slurm/ is empty", n->module);
	else
		check_set_message(c, "%s from %s, sha256 %s", n->module, root, out->module_sha256);
	ret = 0;
out:
	check_finish(c);
	if (empty_dir)
		fs_rmtree(empty_dir, NULL);
	free(empty_dir);
	strbuf_release(&err);
	strbuf_release(&empty);
	return ret;
}

/* The ELF files of a tree, parsed for its glibc floor (which borrows them). */
struct tree_elfs {
	struct symver_floor *fl;
	struct elf_info **infos;
	char **rels;
	size_t nr, alloc_infos, alloc_rels;
};

static void tree_elfs_release(struct tree_elfs *te)
{
	size_t i;

	for (i = 0; i < te->nr; i++) {
		elf_info_release(te->infos[i]);
		free(te->infos[i]);
		free(te->rels[i]);
	}
	free(te->infos);
	free(te->rels);
}

/*
 * One entry of the tree for its glibc floor: an ELF file's versions go to
 * the floor (symver.c, as verify computes it). A malformed file adds
 * nothing: it is verify's finding.
 */
static int floor_entry(void *ctx, int dir_fd, const char *name, const char *rel,
		       unsigned char type, struct strbuf *err)
{
	struct tree_elfs *te = ctx;
	struct strbuf why = STRBUF_INIT;
	struct elf_info *info;
	unsigned char magic[4];
	struct stat st;
	void *map;
	int fd;

	if (signals_interrupted())
		return 1;
	if (type != DT_REG)
		return 0;
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s", rel, strerror(errno));
		return -1;
	}
	if (pread(fd, magic, 4, 0) != 4 || !elf_is_elf(magic, 4) || fstat(fd, &st) < 0) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		strbuf_addf(err, "cannot map '%s': %s", rel, strerror(errno));
		return -1;
	}
	info = xcalloc(1, sizeof(*info));
	if (!elf_parse_dynamic(map, (size_t)st.st_size, info, &why)) {
		xgrow((void **)&te->infos, &te->alloc_infos, te->nr + 1, sizeof(*te->infos));
		xgrow((void **)&te->rels, &te->alloc_rels, te->nr + 1, sizeof(*te->rels));
		te->infos[te->nr] = info;
		te->rels[te->nr] = xstrdup(rel);
		symver_floor_add(te->fl, te->rels[te->nr], info);
		te->nr++;
	} else {
		elf_info_release(info);
		free(info);
	}
	munmap(map, (size_t)st.st_size);
	strbuf_release(&why);
	return 0;
}

/* The glibc floor of the tree `dir` into `fl` (initialised, borrowing `te`); -1 with `err`. */
static int tree_floor(const char *dir, struct symver_floor *fl, struct tree_elfs *te,
		      struct strbuf *err)
{
	int r;

	te->fl = fl;
	r = fs_walk(dir, floor_entry, te, err);
	if (r > 0)
		strbuf_addstr(err, "interrupted");
	symver_floor_finish(fl);
	return r ? -1 : 0;
}

/* "glibc_floor" and "symbol_version_floors" of the manifest. */
static void manifest_floor(struct json_object *man, const struct symver_floor *fl)
{
	struct json_object *floors = json_object_new_object();
	struct strbuf v = STRBUF_INIT;
	size_t f;

	for (f = 0; f < SYMVER_FAMILIES; f++) {
		if (!fl->top[f].nr)
			continue;
		strbuf_reset(&v);
		symver_format(&v, &fl->top[f]);
		json_object_object_add(floors, symver_family_name((enum symver_family)f),
				       json_object_new_string(v.buf));
		if (f == SYMVER_GLIBC)
			json_object_object_add(man, "glibc_floor", json_object_new_string(v.buf));
	}
	if (!fl->top[SYMVER_GLIBC].nr)
		json_object_object_add(man, "glibc_floor", NULL);
	json_object_object_add(man, "symbol_version_floors", floors);
	strbuf_release(&v);
}

/* One artifact's row in the manifest. */
static struct json_object *artifact(const char *name, unsigned long long size, const char *sha)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "name", json_object_new_string(name));
	json_object_object_add(a, "size", json_object_new_int64((int64_t)size));
	json_object_object_add(a, "sha256", json_object_new_string(sha));
	return a;
}

/* A host-provided library's name: a plain file name, nothing a pattern or a path reads. */
static int library_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n > 255 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._+-", s[i]))
			return 0;
	return 1;
}

/* "host_provided": [{name, reason}] from "name reason" lines. */
static struct json_object *host_provided_json(const char *text)
{
	struct json_object *arr = json_object_new_array();
	const char *pos = text, *s, *sp;
	size_t n, k;

	while (str_next_line(&pos, &s, &n)) {
		if (n) {
			struct json_object *o = json_object_new_object();
			sp = memchr(s, ' ', n);
			k = sp ? (size_t)(sp - s) : n;
			json_object_object_add(o, "name", json_object_new_string_len(s, (int)k));
			json_object_object_add(o, "reason", json_object_new_string_len(
				sp ? sp + 1 : "", sp ? (int)(n - k - 1) : 0));
			json_object_array_add(arr, o);
		}
	}
	return arr;
}

/*
 * "grafted_packages": [{name, package, version, source, source_version,
 * architecture, licenses: [...]}] from the recipe's tab-separated lines;
 * "-" (unknown) becomes null, a line with fewer fields is skipped.
 */
static struct json_object *grafted_packages_json(const char *text)
{
	static const char *const keys[] = { "name", "package", "version", "source",
					    "source_version", "architecture" };
	struct json_object *arr = json_object_new_array();
	const char *pos = text, *s;
	size_t n;

	while (str_next_line(&pos, &s, &n)) {
		const char *f[7], *end = s + n, *p = s;
		size_t len[7], k = 0;
		struct json_object *o, *lic;

		while (k < 7 && p <= end) {
			const char *tab = memchr(p, '\t', (size_t)(end - p));
			f[k] = p;
			len[k] = tab ? (size_t)(tab - p) : (size_t)(end - p);
			k++;
			if (!tab)
				break;
			p = tab + 1;
		}
		if (k != 7 || !len[0])
			continue;
		o = json_object_new_object();
		for (k = 0; k < 6; k++)
			json_object_object_add(o, keys[k], (len[k] == 1 && f[k][0] == '-') ? NULL :
					       json_object_new_string_len(f[k], (int)len[k]));
		lic = json_object_new_array();
		if (!(len[6] == 1 && f[6][0] == '-')) {
			const char *q = f[6], *e6 = f[6] + len[6];
			while (q < e6) {
				const char *sp = memchr(q, ' ', (size_t)(e6 - q));
				size_t l = sp ? (size_t)(sp - q) : (size_t)(e6 - q);
				if (l)
					json_object_array_add(lic, json_object_new_string_len(q, (int)l));
				q += l + 1;
			}
		}
		json_object_object_add(o, "licenses", lic);
		json_object_array_add(arr, o);
	}
	return arr;
}

int package_manifest_host_provided(const char *manifest, char **glibc_floor,
				   char ***names, size_t *nr, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	struct json_object *man = NULL, *arr;
	struct symver fv;
	const char *floor;
	size_t i, n;
	int ret = -1;

	*names = NULL;
	*nr = 0;
	if (glibc_floor)
		*glibc_floor = NULL;
	if (fs_read_small(manifest, 64u << 20, &text, err))
		goto out;
	man = json_tokener_parse(text.buf);
	if (!json_member_str(man, "schema") ||
	    strcmp(json_member_str(man, "schema"), "slurm-factory-manifest/1")) {
		strbuf_addf(err, "%s is not a slurm-factory manifest", manifest);
		goto out;
	}
	floor = json_member_str(man, "glibc_floor");
	if (glibc_floor && floor && !symver_parse(floor, &fv))
		*glibc_floor = xstrdup(floor);
	if (!json_object_object_get_ex(man, "host_provided", &arr)) {
		ret = 0;
		goto out;
	}
	if (!json_object_is_type(arr, json_type_array)) {
		strbuf_addf(err, "%s: host_provided is not a list", manifest);
		goto out;
	}
	n = json_object_array_length(arr);
	*names = xcalloc(n ? n : 1, sizeof(**names));
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		const char *name;
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, "name", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			strbuf_addf(err, "%s: host_provided[%zu] has no name", manifest, i);
			goto out;
		}
		name = json_object_get_string(v);
		if (!library_name_ok(name, strlen(name))) {
			strbuf_addf(err, "%s: host_provided[%zu]: '", manifest, i);
			strbuf_add_console(err, name);
			strbuf_addstr(err, "' is not a library file name");
			goto out;
		}
		(*names)[(*nr)++] = xstrdup(name);
	}
	ret = 0;
out:
	if (ret) {
		for (i = 0; i < *nr; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		*nr = 0;
		if (glibc_floor) {
			free(*glibc_floor);
			*glibc_floor = NULL;
		}
	}
	json_object_put(man);
	strbuf_release(&text);
	return ret;
}

/* manifest.json's text: what was built from what, and every file (`files` is taken). */
static void manifest_text(const struct package_input *in, const struct package_output *out,
			  const struct names *n, struct json_object *files,
			  const struct symver_floor *fl, struct strbuf *body)
{
	struct json_object *man = json_object_new_object(), *arts = json_object_new_array();
	struct json_object *build = json_object_new_object();

	json_object_object_add(man, "schema", json_object_new_string("slurm-factory-manifest/1"));
	json_object_object_add(man, "version", json_object_new_string(in->version));
	json_object_object_add(man, "tag", string_or_null(in->tag));
	json_object_object_add(man, "commit", string_or_null(in->commit));
	json_object_object_add(man, "source_date_epoch", json_object_new_int64(in->mtime));
	json_object_object_add(man, "format", json_object_new_string(
		package_format_ext(in->format) + 1));
	add_pairs(build, in->build_meta);
	add_lists(build, in->lists);
	if (in->grafted_packages)
		json_object_object_add(build, "grafted_packages",
				       grafted_packages_json(in->grafted_packages));
	json_object_object_add(man, "build", build);
	if (in->host_provided)
		json_object_object_add(man, "host_provided", host_provided_json(in->host_provided));
	manifest_floor(man, fl);
	json_object_array_add(arts, artifact(n->software, out->software_size,
					     out->software_sha256));
	json_object_array_add(arts, artifact(n->module, out->module_size, out->module_sha256));
	json_object_object_add(man, "artifacts", arts);
	json_object_object_add(man, "files", files);
	strbuf_addf(body, "%s\n", json_object_to_json_string_ext(man, JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED |
								  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(man);
}

struct sum_line {
	const char *name, *sha256;
};

static int cmp_sum_lines(const void *a, const void *b)
{
	return strcmp(((const struct sum_line *)a)->name, ((const struct sum_line *)b)->name);
}

/* SHA256SUMS in sha256sum's format and order (by name). */
static void sums_text(struct sum_line *l, size_t nr, struct strbuf *out)
{
	size_t i;

	qsort(l, nr, sizeof(*l), cmp_sum_lines);
	for (i = 0; i < nr; i++)
		strbuf_addf(out, "%s  %s\n", l[i].sha256, l[i].name);
}

/*
 * The "sbom" check: both SBOMs from the manifest's text, their sha256 into
 * `cdx_sha` / `spdx_sha`, written to their temporary files.
 */
static int write_sboms(struct stage_report *s, const char *manifest, struct package_output *out,
		       const struct names *n, struct pending *p, char cdx_sha[SHA256_HEX_SIZE],
		       char spdx_sha[SHA256_HEX_SIZE])
{
	struct check *c = stage_add_check(s, "sbom");
	struct sbom_params sp = { manifest, SF_VERSION };
	struct strbuf cdx = STRBUF_INIT, spdx = STRBUF_INIT, err = STRBUF_INIT;
	int ret = -1;

	if (sbom_cyclonedx(&sp, &cdx, &err) || sbom_spdx(&sp, &spdx, &err) ||
	    pending_write(&p[P_CDX], out->cdx, cdx.buf, cdx.len, &err) ||
	    pending_write(&p[P_SPDX], out->spdx, spdx.buf, spdx.len, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	sha256_hex_of(cdx.buf, cdx.len, cdx_sha);
	sha256_hex_of(spdx.buf, spdx.len, spdx_sha);
	check_set_message(c, "%s (CycloneDX 1.6) and %s (SPDX 2.3)", n->cdx, n->spdx);
	ret = 0;
out:
	check_finish(c);
	strbuf_release(&cdx);
	strbuf_release(&spdx);
	strbuf_release(&err);
	return ret;
}

/*
 * The "manifest" check: manifest.json (with the tree's glibc floor), the
 * SBOMs made from it ("sbom") and SHA256SUMS over the four others, then
 * every file in place.
 */
static int write_manifest(struct stage_report *s, const struct package_input *in,
			  struct package_output *out, const struct names *n,
			  struct pending *p, struct json_object *files)
{
	struct check *c = stage_add_check(s, "manifest");
	struct strbuf err = STRBUF_INIT, sums = STRBUF_INIT, body = STRBUF_INIT,
		      floor = STRBUF_INIT;
	char cdx_sha[SHA256_HEX_SIZE], spdx_sha[SHA256_HEX_SIZE];
	struct sum_line lines[4];
	int ret = -1;
	struct tree_elfs te;
	struct symver_floor fl;

	memset(&te, 0, sizeof(te));
	symver_floor_init(&fl);
	if (tree_floor(in->tree, &fl, &te, &err)) {
		json_object_put(files);
		check_fail(c, OUTCOME_ERROR, "glibc floor: %s", err.buf);
		goto out;
	}
	manifest_text(in, out, n, files, &fl, &body);
	if (pending_write(&p[P_MANIFEST], out->manifest, body.buf, body.len, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	symver_floor_summary(&fl, &floor);
	check_set_message(c, "manifest.json (%zu files; %s)", out->nr_files,
			  floor.buf);
	check_finish(c);
	c = NULL;
	if (write_sboms(s, body.buf, out, n, p, cdx_sha, spdx_sha))
		goto out;
	lines[0] = (struct sum_line){ n->software, out->software_sha256 };
	lines[1] = (struct sum_line){ n->module, out->module_sha256 };
	lines[2] = (struct sum_line){ n->cdx, cdx_sha };
	lines[3] = (struct sum_line){ n->spdx, spdx_sha };
	sums_text(lines, 4, &sums);
	if (pending_write(&p[P_SUMS], out->sums, sums.buf, sums.len, &err) ||
	    signals_interrupted() || pending_commit(p, &err)) {
		c = stage_add_check(s, "commit");
		check_fail(c, OUTCOME_ERROR, "%s", err.len ? err.buf : "interrupted");
		goto out;
	}
	ret = 0;
out:
	if (c)
		check_finish(c);
	symver_floor_release(&fl);
	tree_elfs_release(&te);
	strbuf_release(&err);
	strbuf_release(&sums);
	strbuf_release(&body);
	strbuf_release(&floor);
	return ret;
}

int package_tree(struct stage_report *s, const struct package_input *in,
		 struct package_output *out)
{
	struct json_object *files = json_object_new_array();
	struct strbuf err = STRBUF_INIT;
	struct pending p[P_COUNT];
	struct names n = { NULL, NULL, NULL, NULL };
	int ret = -1, lock = -1;

	memset(out, 0, sizeof(*out));
	pending_init(p);
	if (!fs_is_dir(in->tree) || (lock = lock_dir(in->out_dir, &err)) < 0) {
		struct check *c = stage_add_check(s, "software tarball");
		if (err.len)
			check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		else
			check_fail(c, OUTCOME_ERROR, "no install tree at %s", in->tree);
		check_finish(c);
		goto out;
	}
	names_init(&n, in, out);
	if (pack_software(s, in, out, &n, &p[P_SOFTWARE], files) ||
	    pack_modules(s, in, out, &n, &p[P_MODULE]))
		goto out;
	ret = write_manifest(s, in, out, &n, p, files);
	files = NULL;   /* the manifest took it */
out:
	pending_release(p);
	if (lock >= 0)
		close(lock);
	json_object_put(files);
	free(n.software);
	free(n.module);
	free(n.cdx);
	free(n.spdx);
	strbuf_release(&err);
	return ret;
}

/* $SOURCE_DATE_EPOCH-style value: decimal seconds. */
int package_parse_epoch(const char *s, long long *out)
{
	unsigned long v;

	if (parse_ulong(s, 0, 253402300799UL, &v))
		return -1;
	*out = (long long)v;
	return 0;
}

struct package_opts {
	const char *version, *module_dir, *out_dir, *tag, *commit;
	enum pack_format format;
	long long epoch;
};

int package_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct package_opts *o = xcalloc(1, sizeof(*o));
	const char *fmt = cli_get(&run->cli, "format");
	const char *epoch = cli_get(&run->cli, "source-date-epoch");

	*opts = o;
	o->module_dir = cli_get(&run->cli, "module-dir");
	o->out_dir = run->common.output_dir ? run->common.output_dir : ".";
	o->tag = cli_get(&run->cli, "tag");
	o->commit = cli_get(&run->cli, "commit");
	if (package_format_parse(fmt ? fmt : "gz", &o->format)) {
		strbuf_addf(err, "--format: '%s' is not gz or zst", fmt);
		return -1;
	}
	if (!run->pipe.nr_args)
		return 0;     /* in a pipeline: what build made names and dates the files */
	o->version = cli_get(&run->cli, "slurm-version");
	if (!o->version || strchr(o->version, '/')) {
		strbuf_addstr(err, "package needs --slurm-version VERSION (no '/')");
		return -1;
	}
	if (o->module_dir && !fs_is_dir(o->module_dir)) {
		cli_describe(&run->cli, "module-dir", err);
		strbuf_addf(err, ": '%s' is not a directory", o->module_dir);
		return -1;
	}
	if (!epoch)
		epoch = getenv("SOURCE_DATE_EPOCH");
	if (epoch && *epoch && package_parse_epoch(epoch, &o->epoch)) {
		strbuf_addf(err, "source date epoch '%s' is not a number of seconds", epoch);
		return -1;
	}
	return 0;
}

/* What was packed, into the pipeline (for verify, smoke, publish) and the report. */
static void set_artifacts(struct pipeline *p, struct stage_report *s, const char *dir,
			  const char *version, const struct package_output *out)
{
	struct artifacts *a = &p->art;

	free(a->dir);
	free(a->version);
	free(a->software);
	free(a->module);
	free(a->sums);
	free(a->manifest);
	free(a->cdx);
	free(a->spdx);
	a->dir = xstrdup(dir);
	a->version = xstrdup(version);
	a->software = xstrdup(out->software);
	a->module = xstrdup(out->module);
	a->sums = xstrdup(out->sums);
	a->manifest = xstrdup(out->manifest);
	a->cdx = xstrdup(out->cdx);
	a->spdx = xstrdup(out->spdx);
	memcpy(a->software_sha256, out->software_sha256, SHA256_HEX_SIZE);
	memcpy(a->module_sha256, out->module_sha256, SHA256_HEX_SIZE);
	p->packaged = 1;
	stage_set_prop(s, "version", version);
	if (p->src.tag)
		stage_set_prop(s, "tag", p->src.tag);
	stage_set_prop(s, "software", a->software);
	stage_set_prop(s, "sha256", a->software_sha256);
	stage_set_prop(s, "module", a->module);
	stage_set_prop(s, "module_sha256", a->module_sha256);
	stage_set_prop(s, "sums", a->sums);
	stage_set_prop(s, "manifest", a->manifest);
	stage_set_prop(s, "sbom", a->cdx);
	stage_set_prop(s, "sbom_spdx", a->spdx);
	stage_set_prop(s, "artifacts_dir", a->dir);
}

/* `package TREE`: the tree named on the command line into --output-dir. */
static void package_alone(struct run *run, const struct package_opts *o,
			  struct stage_report *s)
{
	struct package_input in;
	struct package_output out;

	memset(&in, 0, sizeof(in));
	in.tree = run->pipe.args[0];
	in.version = o->version;
	in.module_dir = o->module_dir;
	in.out_dir = o->out_dir;
	in.tag = o->tag;
	in.commit = o->commit;
	in.format = o->format;
	in.mtime = o->epoch;
	if (!package_tree(s, &in, &out))
		set_artifacts(&run->pipe, s, o->out_dir, o->version, &out);
	package_output_release(&out);
}

/* The paths and checksums of a complete cache entry. */
static int entry_output(const char *entry, const char *version, enum pack_format f,
			struct package_output *out, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT;
	const char *ext = package_format_ext(f);
	int ret;

	memset(out, 0, sizeof(*out));
	buildcache_software_name(&name, version, ext);
	out->software = xasprintf("%s/%s", entry, name.buf);
	strbuf_reset(&name);
	buildcache_module_name(&name, version, ext);
	out->module = xasprintf("%s/%s", entry, name.buf);
	out->sums = xasprintf("%s/SHA256SUMS", entry);
	out->manifest = xasprintf("%s/manifest.json", entry);
	strbuf_reset(&name);
	buildcache_sbom_name(&name, version, SBOM_CDX_SUFFIX);
	out->cdx = xasprintf("%s/%s", entry, name.buf);
	strbuf_reset(&name);
	buildcache_sbom_name(&name, version, SBOM_SPDX_SUFFIX);
	out->spdx = xasprintf("%s/%s", entry, name.buf);
	ret = sha256_file(out->software, out->software_sha256, &out->software_size, err) ||
	      sha256_file(out->module, out->module_sha256, &out->module_size, err) ? -1 : 0;
	strbuf_release(&name);
	return ret;
}

/* Attaches the build's logs (in the entry now) to `c`. */
static void attach_logs(struct check *c, const char *logs)
{
	static const char *const names[] = { "build.log", "make.log", "install.log", NULL };
	size_t i;

	for (i = 0; names[i]; i++) {
		char *path = xasprintf("%s/%s", logs, names[i]);
		if (fs_is_file(path))
			check_attach_log(c, path);
		free(path);
	}
}

/* A cache hit: the entry build found is the package. */
static void reuse_entry(struct run *run, struct stage_report *s)
{
	const struct build_result *b = &run->pipe.build;
	struct check *c = stage_add_check(s, "cache");
	struct package_output out;
	struct strbuf err = STRBUF_INIT;

	if (entry_output(b->entry, run->pipe.src.version, (enum pack_format)b->format, &out,
			 &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
	} else {
		set_artifacts(&run->pipe, s, b->entry, run->pipe.src.version, &out);
		check_set_message(c, "reused %s (sha256 %s)", out.software, out.software_sha256);
		attach_logs(c, b->logs);
	}
	check_finish(c);
	package_output_release(&out);
	strbuf_release(&err);
}

/* The modulefiles of the build: slurm/<version>.lua, Tcl, .modulerc.lua. */
static int write_modules(struct stage_report *s, const char *dir, const char *version,
			 const char *prefix)
{
	struct modulefile_spec ms = { version, prefix, NULL };
	struct check *c = stage_add_check(s, "modulefiles");
	struct strbuf err = STRBUF_INIT;
	int ret = modulefile_write_tree(&ms, dir, &err);

	if (ret)
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
	else
		check_set_message(c, "slurm/%s.lua, slurm/%s, slurm/.modulerc.lua "
				  "(root: $SLURM_INSTALL_PREFIX, else %s)", version, version, prefix);
	check_finish(c);
	strbuf_release(&err);
	return ret;
}

/*
 * What build made: the tree and its modulefiles packed into the build's
 * work directory, which becomes the cache entry in one rename(); then the
 * artifacts also go to --output-dir.
 */
static void package_build(struct run *run, const struct package_opts *o,
			  struct stage_report *s)
{
	struct pipeline *p = &run->pipe;
	struct build_result *b = &p->build;
	struct package_input in;
	struct package_output out;
	struct strbuf mod = STRBUF_INIT, outdir = STRBUF_INIT, err = STRBUF_INIT;
	struct check *c;

	memset(&out, 0, sizeof(out));
	strbuf_addf(&outdir, "%s/out", b->work);
	strbuf_addf(&mod, "%s/module", outdir.buf);
	if (write_modules(s, mod.buf, p->src.version, b->prefix))
		goto out;
	memset(&in, 0, sizeof(in));
	in.tree = b->tree;
	in.module_dir = mod.buf;
	in.out_dir = b->work;
	in.version = p->src.version;
	in.tag = p->src.tag;
	in.commit = p->src.commit;
	in.mtime = b->epoch;
	in.format = (enum pack_format)b->format;
	in.build_meta = b->meta;
	in.lists = b->lists;
	in.host_provided = b->host_provided;
	in.grafted_packages = b->grafted_packages;
	if (package_tree(s, &in, &out) || signals_interrupted())
		goto out;
	/* the tree is in the tarball now; the entry keeps artifacts and logs */
	fs_rmtree(outdir.buf, NULL);
	c = stage_add_check(s, "cache entry");
	if (buildcache_commit(b->builds, b->work, b->entry, b->key, p->src.version, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	free(b->work);
	b->work = NULL;
	free(b->logs);
	b->logs = xasprintf("%s/logs", b->entry);
	package_output_release(&out);
	if (entry_output(b->entry, p->src.version, in.format, &out, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	set_artifacts(p, s, b->entry, p->src.version, &out);
	check_set_message(c, "%s/%s -> by-key/%s", b->builds, p->src.version, b->key);
	attach_logs(c, b->logs);
	check_finish(c);
out:
	(void)o;
	package_output_release(&out);
	strbuf_release(&mod);
	strbuf_release(&outdir);
	strbuf_release(&err);
}

/* --output-dir in a pipeline: the artifacts there too (hard links where possible). */
static void export(struct run *run, struct stage_report *s)
{
	const struct pipeline *p = &run->pipe;
	const char *dir = run->common.output_dir;
	struct check *c;
	struct strbuf err = STRBUF_INIT;

	if (!dir || !p->packaged)
		return;
	c = stage_add_check(s, "output-dir");
	if (buildcache_export(p->art.dir, p->art.version,
			      package_format_ext((enum pack_format)p->build.format), dir, &err))
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
	else
		check_set_message(c, "artifacts also in %s", dir);
	check_finish(c);
	strbuf_release(&err);
}

int stage_package(struct run *run, const void *opts, struct strbuf *err)
{
	const struct package_opts *o = opts;
	struct pipeline *p = &run->pipe;
	struct stage_report *s;

	if (!p->nr_args && !p->built) {
		strbuf_addstr(err, "package needs an install tree: TREE, or a build before it");
		return -1;
	}
	s = report_add_stage(&run->report, "package");
	if (p->nr_args) {
		package_alone(run, o, s);
	} else {
		if (p->build.cache_hit)
			reuse_entry(run, s);
		else
			package_build(run, o, s);
		export(run, s);
	}
	if (signals_interrupted())
		s->interrupted = 1;
	stage_finish(s);
	return 0;
}

void package_print(const struct run *run)
{
	const struct artifacts *a = &run->pipe.art;

	if (run->quiet || !run->pipe.packaged)
		return;
	printf("software: %s\nsha256: %s\nmodule: %s\nmanifest: %s\n", a->software,
	       a->software_sha256, a->module, a->manifest);
	fflush(stdout);
}
