/*
 * package: deterministic tarballs (archive.c's writer), SHA256SUMS and a
 * manifest (json-c) from an install tree. Used by build and on its own.
 */
#include "package.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "crypto.h"
#include "signals.h"

const struct opt package_opts[] = {
	{ "slurm-version", OPT_VALUE, "VERSION", "version that names the files (required)" },
	{ "module-dir", OPT_VALUE | OPTF_INPUT, "DIR", "modulefiles root holding slurm/<version>.lua" },
	{ "format", OPT_VALUE, "FMT", "compression: gz (default) or zst" },
	{ "source-date-epoch", OPT_VALUE, "SECONDS",
	  "mtime of every entry (default $SOURCE_DATE_EPOCH, else 0)" },
	{ "tag", OPT_VALUE, "TAG", "Slurm tag, for the manifest" },
	{ "commit", OPT_VALUE, "ID", "Slurm commit, for the manifest" },
	{ NULL, 0, NULL, NULL },
};

void package_output_release(struct package_output *o)
{
	free(o->software);
	free(o->module);
	free(o->sums);
	free(o->manifest);
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
	return f == PACK_ZST ? ".tar.zst" : ".tar.gz";
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
		const char *eq = strchr(*kv, '='), *s;
		struct json_object *arr;
		char *key;
		if (!eq)
			continue;
		key = xstrndup(*kv, (size_t)(eq - *kv));
		arr = json_object_new_array();
		for (s = eq + 1; *s;) {
			const char *nl = strchr(s, '\n');
			size_t n = nl ? (size_t)(nl - s) : strlen(s);
			if (n)
				json_object_array_add(arr, json_object_new_string_len(s, (int)n));
			s += n + (nl ? 1 : 0);
		}
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
enum { P_SOFTWARE, P_MODULE, P_MANIFEST, P_SUMS, P_COUNT };

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
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR || signals_interrupted()) {
			strbuf_addf(err, "cannot lock '%s': %s", dir, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

int package_tree(struct stage_report *s, const struct package_input *in,
		 struct package_output *out)
{
	struct json_object *man = json_object_new_object(), *files = json_object_new_array();
	struct json_object *arts = json_object_new_array(), *build = json_object_new_object();
	struct strbuf err = STRBUF_INIT, sums = STRBUF_INIT, body = STRBUF_INIT;
	const char *ext = package_format_ext(in->format);
	char *sw_name = NULL, *mod_name = NULL, *empty_dir = NULL;
	const char *module_root;
	struct pending p[P_COUNT];
	struct check *c;
	int ret = -1, lock = -1;

	memset(out, 0, sizeof(*out));
	pending_init(p);
	c = stage_add_check(s, "software tarball");
	if (!fs_is_dir(in->tree)) {
		check_fail(c, OUTCOME_ERROR, "no install tree at %s", in->tree);
		check_finish(c);
		goto out;
	}
	lock = lock_dir(in->out_dir, &err);
	if (lock < 0) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	sw_name = xasprintf("slurm-%s-software%s", in->version, ext);
	mod_name = xasprintf("slurm-%s-module%s", in->version, ext);
	out->software = xasprintf("%s/%s", in->out_dir, sw_name);
	out->module = xasprintf("%s/%s", in->out_dir, mod_name);
	out->sums = xasprintf("%s/SHA256SUMS", in->out_dir);
	out->manifest = xasprintf("%s/manifest.json", in->out_dir);
	if (pack_one(&p[P_SOFTWARE], in->tree, "software", out->software, in, files,
		     out->software_sha256, &out->software_size, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	out->nr_files = json_object_array_length(files);
	check_set_message(c, "%s: %zu entries, %llu bytes, sha256 %s", sw_name,
			  out->nr_files, out->software_size, out->software_sha256);
	check_finish(c);

	c = stage_add_check(s, "module tarball");
	module_root = in->module_dir;
	if (!fs_is_dir(module_root)) {
		/* nothing to pack yet: an empty slurm/ directory keeps the layout */
		struct strbuf empty = STRBUF_INIT;
		strbuf_addf(&empty, "%s/.module-empty-", fs_tmpdir());
		fs_random_name(&empty, 12);
		empty_dir = strbuf_detach(&empty);
		strbuf_addf(&empty, "%s/slurm", empty_dir);
		if (mkdir(empty_dir, 0700) < 0 || mkdir(empty.buf, 0755) < 0) {
			check_fail(c, OUTCOME_ERROR, "cannot create '%s': %s", empty.buf,
				   strerror(errno));
			check_finish(c);
			strbuf_release(&empty);
			goto out;
		}
		strbuf_release(&empty);
		module_root = empty_dir;
	}
	if (pack_one(&p[P_MODULE], module_root, NULL, out->module, in, NULL,
		     out->module_sha256, &out->module_size, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		check_finish(c);
		goto out;
	}
	if (empty_dir)
		check_set_message(c, "%s: no modulefile given: slurm/ is empty", mod_name);
	else
		check_set_message(c, "%s from %s, sha256 %s", mod_name, module_root,
				  out->module_sha256);
	check_finish(c);

	c = stage_add_check(s, "manifest");
	strbuf_addf(&sums, "%s  %s\n%s  %s\n", out->module_sha256, mod_name,
		    out->software_sha256, sw_name);
	if (strcmp(mod_name, sw_name) > 0) {
		strbuf_reset(&sums);
		strbuf_addf(&sums, "%s  %s\n%s  %s\n", out->software_sha256, sw_name,
			    out->module_sha256, mod_name);
	}
	json_object_object_add(man, "schema", json_object_new_string("slurm-factory-manifest/1"));
	json_object_object_add(man, "version", json_object_new_string(in->version));
	json_object_object_add(man, "tag", string_or_null(in->tag));
	json_object_object_add(man, "commit", string_or_null(in->commit));
	json_object_object_add(man, "source_date_epoch", json_object_new_int64(in->mtime));
	json_object_object_add(man, "format", json_object_new_string(ext + 1));
	add_pairs(build, in->build_meta);
	add_lists(build, in->lists);
	json_object_object_add(man, "build", build);
	build = NULL;
	{
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(sw_name));
		json_object_object_add(a, "size", json_object_new_int64((int64_t)out->software_size));
		json_object_object_add(a, "sha256", json_object_new_string(out->software_sha256));
		json_object_array_add(arts, a);
		a = json_object_new_object();
		json_object_object_add(a, "name", json_object_new_string(mod_name));
		json_object_object_add(a, "size", json_object_new_int64((int64_t)out->module_size));
		json_object_object_add(a, "sha256", json_object_new_string(out->module_sha256));
		json_object_array_add(arts, a);
	}
	json_object_object_add(man, "artifacts", arts);
	arts = NULL;
	json_object_object_add(man, "files", files);
	files = NULL;
	strbuf_addf(&body, "%s\n", json_object_to_json_string_ext(man, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_SPACED |
								   JSON_C_TO_STRING_NOSLASHESCAPE));
	if (pending_write(&p[P_MANIFEST], out->manifest, body.buf, body.len, &err) ||
	    pending_write(&p[P_SUMS], out->sums, sums.buf, sums.len, &err) ||
	    signals_interrupted() || pending_commit(p, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.len ? err.buf : "interrupted");
		check_finish(c);
		goto out;
	}
	check_set_message(c, "manifest.json (%zu files) and SHA256SUMS", out->nr_files);
	check_finish(c);

	stage_set_prop(s, "version", in->version);
	if (in->tag)
		stage_set_prop(s, "tag", in->tag);
	stage_set_prop(s, "software", out->software);
	stage_set_prop(s, "sha256", out->software_sha256);
	stage_set_prop(s, "module", out->module);
	stage_set_prop(s, "module_sha256", out->module_sha256);
	stage_set_prop(s, "sums", out->sums);
	stage_set_prop(s, "manifest", out->manifest);
	ret = 0;
out:
	pending_release(p);
	if (lock >= 0)
		close(lock);
	if (empty_dir)
		fs_rmtree(empty_dir, NULL);
	json_object_put(man);
	json_object_put(files);
	json_object_put(arts);
	json_object_put(build);
	free(sw_name);
	free(mod_name);
	free(empty_dir);
	strbuf_release(&err);
	strbuf_release(&sums);
	strbuf_release(&body);
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

int stage_package(struct run *run, struct strbuf *err)
{
	struct package_input in;
	struct package_output out;
	struct stage_report *s;
	const char *fmt = cli_get(&run->cli, "format");
	const char *epoch = cli_get(&run->cli, "source-date-epoch");

	memset(&in, 0, sizeof(in));
	in.tree = run->cli.args[0];
	in.version = cli_get(&run->cli, "slurm-version");
	in.module_dir = cli_get(&run->cli, "module-dir");
	in.out_dir = cli_get(&run->cli, "output-dir");
	in.tag = cli_get(&run->cli, "tag");
	in.commit = cli_get(&run->cli, "commit");
	if (!in.out_dir)
		in.out_dir = ".";
	if (!in.version || !*in.version || strchr(in.version, '/')) {
		strbuf_addstr(err, "package needs --slurm-version VERSION (no '/')");
		return -1;
	}
	if (package_format_parse(fmt ? fmt : "gz", &in.format)) {
		strbuf_addf(err, "--format: '%s' is not gz or zst", fmt);
		return -1;
	}
	if (!epoch)
		epoch = getenv("SOURCE_DATE_EPOCH");
	if (epoch && package_parse_epoch(epoch, &in.mtime)) {
		strbuf_addf(err, "source date epoch '%s' is not a number of seconds", epoch);
		return -1;
	}
	s = report_add_stage(&run->report, "package");
	if (!package_tree(s, &in, &out) && !run->quiet)
		printf("software: %s\nsha256: %s\nmodule: %s\nmanifest: %s\n", out.software,
		       out.software_sha256, out.module, out.manifest);
	if (signals_interrupted())
		s->interrupted = 1;
	stage_finish(s);
	package_output_release(&out);
	return 0;
}
