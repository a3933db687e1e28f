/*
 * package: deterministic tarballs from trees made at test time, read back
 * with tar(1), gzip(1), zstd(1), sha256sum(1) and the project's own secure
 * extractor.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "package.h"
#include "report.h"

struct fx {
	char *dir, *tree;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("package");
	assert_non_null(f->dir);
	f->tree = xasprintf("%s/tree", f->dir);
	/* a small install tree: files, an executable, a symlink chain, an empty dir */
	assert_int_equal(t_sh("cd '%s' && mkdir -p tree/bin tree/lib/slurm tree/etc tree/share/empty && "
			      "printf 'hello\\n' > tree/bin/zz && chmod 700 tree/bin/zz && "
			      "printf 'lib' > tree/lib/libx.so.1.2.3 && chmod 600 tree/lib/libx.so.1.2.3 && "
			      "ln -s libx.so.1.2.3 tree/lib/libx.so.1 && ln -s libx.so.1 tree/lib/libx.so && "
			      "printf 'p' > tree/lib/slurm/a.so && printf 'dot' > tree/lib.txt && "
			      "head -c 300000 /dev/urandom > tree/share/big",
			      f->dir), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	t_rmtree(f->dir);
	free(f->dir);
	free(f->tree);
	free(f);
	return 0;
}

static void pack(const char *tree, const char *out, enum pack_format fmt, long long mtime,
		 const char *top)
{
	struct pack_opts po;
	struct strbuf err = STRBUF_INIT;
	int fd;

	memset(&po, 0, sizeof(po));
	po.format = fmt;
	po.mtime = mtime;
	po.top = top;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fail_msg("create %s: %s", out, strerror(errno));
	if (archive_pack_tree(tree, fd, out, &po, &err))
		fail_msg("pack %s: %s", tree, err.buf);
	close(fd);
	strbuf_release(&err);
}

static void sha_of(const char *path, struct strbuf *out)
{
	assert_int_equal(t_sh_capture(out, "sha256sum < '%s' | cut -c1-64", path), 0);
}

static void pack_tree__same_tree_gives_same_bytes_whatever_the_disk_says(void **state)
{
	struct fx *f = *state;
	char *a = xasprintf("%s/a.tar.gz", f->dir), *b = xasprintf("%s/b.tar.gz", f->dir);
	char *c = xasprintf("%s/c.tar.gz", f->dir);
	struct strbuf sa = STRBUF_INIT, sb = STRBUF_INIT, sc = STRBUF_INIT;

	pack(f->tree, a, PACK_GZ, 1746646020, "software");
	/* touch everything, change permissions the normalisation hides, copy the tree */
	assert_int_equal(t_sh("cd '%s' && sleep 1 && touch tree/bin/zz tree/lib && "
			      "chmod 750 tree/bin/zz && chmod 644 tree/lib/libx.so.1.2.3 && "
			      "cp -a tree tree2 && touch -d 2001-01-01 tree2/share/big", f->dir), 0);
	pack(f->tree, b, PACK_GZ, 1746646020, "software");
	{
		char *t2 = xasprintf("%s/tree2", f->dir);
		pack(t2, c, PACK_GZ, 1746646020, "software");
		free(t2);
	}
	sha_of(a, &sa);
	sha_of(b, &sb);
	sha_of(c, &sc);
	assert_string_equal(sa.buf, sb.buf);
	assert_string_equal(sa.buf, sc.buf);
	/* and another SOURCE_DATE_EPOCH gives other bytes */
	pack(f->tree, b, PACK_GZ, 1746646021, "software");
	strbuf_reset(&sb);
	sha_of(b, &sb);
	assert_string_not_equal(sa.buf, sb.buf);
	strbuf_release(&sa);
	strbuf_release(&sb);
	strbuf_release(&sc);
	free(a);
	free(b);
	free(c);
}

static void pack_tree__entries_sorted_owned_by_root_without_names(void **state)
{
	struct fx *f = *state;
	char *a = xasprintf("%s/a.tar.gz", f->dir);
	struct strbuf out = STRBUF_INIT, names = STRBUF_INIT;

	pack(f->tree, a, PACK_GZ, 1746646020, "software");
	assert_int_equal(t_sh_capture(&names, "tar -tzf '%s'", a), 0);
	assert_string_equal(names.buf,
		/* byte order of the whole name: "lib.txt" sorts between "lib" and "lib/x" */
		"software/\nsoftware/bin/\nsoftware/bin/zz\nsoftware/etc/\nsoftware/lib/\n"
		"software/lib.txt\nsoftware/lib/libx.so\nsoftware/lib/libx.so.1\n"
		"software/lib/libx.so.1.2.3\nsoftware/lib/slurm/\nsoftware/lib/slurm/a.so\n"
		"software/share/\nsoftware/share/big\nsoftware/share/empty/\n");
	assert_int_equal(t_sh_capture(&out, "tar --numeric-owner --full-time -tvzf '%s' | tr -s ' '", a), 0);
	assert_non_null(strstr(out.buf, "-rwxr-xr-x 0/0 6 2025-05-07 19:27:00 software/bin/zz"));
	assert_non_null(strstr(out.buf, "-rw-r--r-- 0/0 3 2025-05-07 19:27:00 software/lib/libx.so.1.2.3"));
	assert_non_null(strstr(out.buf, "lrwxrwxrwx 0/0 0 2025-05-07 19:27:00 software/lib/libx.so -> libx.so.1\n"));
	assert_non_null(strstr(out.buf, "drwxr-xr-x 0/0 0 2025-05-07 19:27:00 software/share/empty/"));
	/* no user or group names: tar shows the numbers when asked for names too */
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "tar -tvzf '%s' | awk '{print $2}' | sort -u", a), 0);
	assert_string_equal(out.buf, "0/0\n");
	/* the gzip header carries no time stamp (bytes 4..7) and no file name */
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "head -c 10 '%s' | od -An -tx1 | tr -d ' \\n'", a), 0);
	assert_int_equal(strncmp(out.buf + 8, "00000000", 8), 0);
	assert_int_equal(out.buf[7] == '8', 0); /* FLG.FNAME not set */
	strbuf_release(&out);
	strbuf_release(&names);
	free(a);
}

static void noop_finding(void *ctx, enum rule_id rule, const char *entry, const char *msg)
{
	(void)rule;
	(void)entry;
	(void)msg;
	++*(int *)ctx;
}

static void pack_tree__zst_round_trips_through_the_secure_extractor(void **state)
{
	struct fx *f = *state;
	char *a = xasprintf("%s/a.tar.zst", f->dir), *x = xasprintf("%s/x", f->dir);
	struct extract_limits lim = EXTRACT_LIMITS_DEFAULT;
	struct extract_stats st;
	int findings = 0;
	struct extract_sink sink = { noop_finding, &findings };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	pack(f->tree, a, PACK_ZST, 0, NULL);
	assert_int_equal(t_sh("zstd -t -q '%s'", a), 0);
	assert_int_equal(t_mkdirs(x), 0);
	assert_int_equal(archive_extract_secure(a, x, &lim, &st, &sink, &err), 0);
	assert_int_equal(findings, 0);
	assert_int_equal(st.symlinks, 2);
	/* no top directory: the tree's contents are at the archive's root */
	assert_int_equal(t_sh("diff -r --no-dereference '%s' '%s'", f->tree, x), 0);
	assert_int_equal(t_sh_capture(&out, "readlink '%s/lib/libx.so'", x), 0);
	assert_string_equal(out.buf, "libx.so.1\n");
	strbuf_release(&err);
	strbuf_release(&out);
	free(a);
	free(x);
}

/*
 * The transfer form (backend.c): plain tar, several trees under deep top
 * names concatenated into one file, an empty one among them; GNU tar -i
 * unpacks them all at once.
 */
static void pack_tree__plain_tars_concatenate_with_an_empty_tree(void **state)
{
	struct fx *f = *state;
	char *a = xasprintf("%s/in.tar", f->dir), *empty = xasprintf("%s/empty", f->dir);
	struct pack_opts po;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	int fd = open(a, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(t_mkdirs(empty), 0);
	memset(&po, 0, sizeof(po));
	po.format = PACK_TAR;
	po.top = "sf/out";
	assert_int_equal(archive_pack_tree(empty, fd, a, &po, &err), 0);
	po.top = "tmp/sf-smoke-x/w";
	assert_int_equal(archive_pack_tree(f->tree, fd, a, &po, &err), 0);
	close(fd);
	/* not compressed: a tar header at offset 257 */
	assert_int_equal(t_sh("test \"$(dd if='%s' bs=1 skip=257 count=5 2>/dev/null)\" = ustar", a), 0);
	assert_int_equal(t_sh("mkdir '%s/x' && tar -x -i -f '%s' -C '%s/x'", f->dir, a, f->dir), 0);
	assert_int_equal(t_sh("test -d '%s/x/sf/out' && test -z \"$(ls -A '%s/x/sf/out')\"", f->dir,
			      f->dir), 0);
	assert_int_equal(t_sh("diff -r --no-dereference '%s' '%s/x/tmp/sf-smoke-x/w'", f->tree,
			      f->dir), 0);
	strbuf_release(&err);
	strbuf_release(&out);
	free(a);
	free(empty);
}

static void pack_tree__fifo_in_the_tree_is_an_error(void **state)
{
	struct fx *f = *state;
	char *a = xasprintf("%s/a.tar.gz", f->dir);
	struct pack_opts po;
	struct strbuf err = STRBUF_INIT;
	int fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);

	assert_true(fd >= 0);
	assert_int_equal(t_sh("mkfifo '%s/tree/lib/pipe'", f->dir), 0);
	memset(&po, 0, sizeof(po));
	assert_int_equal(archive_pack_tree(f->tree, fd, a, &po, &err), -1);
	assert_non_null(strstr(err.buf, "lib/pipe"));
	close(fd);
	strbuf_release(&err);
	free(a);
}

static void package_tree__writes_tarballs_sums_and_manifest(void **state)
{
	struct fx *f = *state;
	struct package_input in;
	struct package_output out;
	struct stage_report *s;
	struct report r;
	struct strbuf text = STRBUF_INIT, sha = STRBUF_INIT;
	char *meta[] = { "image=sf-build-x", NULL }, *lists[] = { "grafted=libmunge.so.2 /x\n", NULL };
	char *mod = xasprintf("%s/mod", f->dir), *outdir = xasprintf("%s/out", f->dir);
	struct json_object *m, *files, *v;
	size_t i, found = 0;

	assert_int_equal(t_sh("mkdir -p '%s/slurm' '%s' && echo 'whatis(\"x\")' > '%s/slurm/24.11.5.lua'",
			      mod, outdir, mod), 0);
	report_init(&r, "package");
	s = report_add_stage(&r, "package");
	memset(&in, 0, sizeof(in));
	in.tree = f->tree;
	in.module_dir = mod;
	in.out_dir = outdir;
	in.version = "24.11.5";
	in.tag = "slurm-24-11-5-1";
	in.commit = "611190f5d05ceee7ca71cc6ca6d57860a3bde639";
	in.mtime = 1746646020;
	in.build_meta = meta;
	in.lists = lists;
	in.host_provided = "libpmix.so.2 the node's PMIx\nlibnvidia-ml.so.1 NVIDIA driver (NVML)\n";
	/* the recipe's grafted-packages.txt: one known, one unknown, one short line */
	in.grafted_packages = "libmunge.so.2\tlibmunge2\t0.5.15-2+deb12u1\tmunge\t"
			      "0.5.15-2+deb12u1\tamd64\tGPL-2+ LGPL-2.1+\n"
			      "libx.so.1\t-\t-\t-\t-\t-\t-\nbroken\tline\n";
	assert_int_equal(package_tree(s, &in, &out), 0);
	stage_finish(s);
	assert_int_equal(s->outcome, OUTCOME_PASS);
	/* the host-provided libraries: name and reason, read back by name */
	{
		char **names, *floor;
		size_t nr, k;
		struct strbuf e = STRBUF_INIT;
		assert_int_equal(package_manifest_host_provided(out.manifest, &floor, &names, &nr,
								&e), 0);
		/* the floor is the manifest's "glibc_floor", as written */
		if (floor)
			assert_int_equal(t_sh("grep -q '\"glibc_floor\": \"%s\"' '%s'", floor,
					      out.manifest), 0);
		else
			assert_int_equal(t_sh("grep -q '\"glibc_floor\": null' '%s'", out.manifest), 0);
		free(floor);
		assert_int_equal(nr, 2);
		assert_string_equal(names[0], "libpmix.so.2");
		assert_string_equal(names[1], "libnvidia-ml.so.1");
		for (k = 0; k < nr; k++)
			free(names[k]);
		free(names);
		assert_int_equal(t_sh("grep -q '\"reason\": \"NVIDIA driver (NVML)\"' '%s'",
				      out.manifest), 0);
		/* not a manifest: an error naming the file */
		assert_int_equal(package_manifest_host_provided(out.sums, &floor, &names, &nr, &e),
				 -1);
		assert_null(floor);
		assert_non_null(strstr(e.buf, "SHA256SUMS"));
		assert_null(names);
		strbuf_release(&e);
	}
	assert_int_equal(t_sh("cd '%s' && sha256sum -c --quiet SHA256SUMS && "
			      "test -f slurm-24.11.5-software.tar.gz && "
			      "tar -tzf slurm-24.11.5-module.tar.gz | grep -qx slurm/24.11.5.lua",
			      outdir), 0);
	m = json_object_from_file(out.manifest);
	assert_non_null(m);
	assert_true(json_object_object_get_ex(m, "commit", &v));
	assert_string_equal(json_object_get_string(v), in.commit);
	assert_true(json_object_object_get_ex(m, "build", &v));
	{
		/* build.grafted_packages: objects, "-" as null, licences a list */
		struct json_object *gp, *e0, *x;
		assert_true(json_object_object_get_ex(v, "grafted_packages", &gp));
		assert_int_equal(json_object_array_length(gp), 2);
		e0 = json_object_array_get_idx(gp, 0);
		assert_true(json_object_object_get_ex(e0, "package", &x));
		assert_string_equal(json_object_get_string(x), "libmunge2");
		assert_true(json_object_object_get_ex(e0, "source_version", &x));
		assert_string_equal(json_object_get_string(x), "0.5.15-2+deb12u1");
		assert_true(json_object_object_get_ex(e0, "licenses", &x));
		assert_int_equal(json_object_array_length(x), 2);
		assert_string_equal(json_object_get_string(json_object_array_get_idx(x, 1)), "LGPL-2.1+");
		e0 = json_object_array_get_idx(gp, 1);
		assert_true(json_object_object_get_ex(e0, "name", &x));
		assert_string_equal(json_object_get_string(x), "libx.so.1");
		assert_true(json_object_object_get_ex(e0, "version", &x));
		assert_null(x);
		assert_true(json_object_object_get_ex(e0, "licenses", &x));
		assert_int_equal(json_object_array_length(x), 0);
	}
	assert_true(json_object_object_get_ex(v, "grafted", &v));
	assert_int_equal(json_object_array_length(v), 1);
	assert_true(json_object_object_get_ex(m, "files", &files));
	assert_int_equal(json_object_array_length(files), out.nr_files);
	for (i = 0; i < json_object_array_length(files); i++) {
		struct json_object *e = json_object_array_get_idx(files, i), *p, *h;
		json_object_object_get_ex(e, "path", &p);
		if (strcmp(json_object_get_string(p), "software/share/big"))
			continue;
		found++;
		assert_true(json_object_object_get_ex(e, "sha256", &h));
		strbuf_reset(&sha);
		strbuf_reset(&sha);
		assert_int_equal(t_sh_capture(&sha, "sha256sum < '%s/share/big' | cut -c1-64",
					      f->tree), 0);
		strbuf_setlen(&sha, 64);
		assert_string_equal(json_object_get_string(h), sha.buf);
	}
	assert_int_equal(found, 1);
	json_object_put(m);
	/* a manifest holds no time of packing: packing again gives the same file */
	assert_int_equal(t_read(out.manifest, &text), 0);
	package_output_release(&out);
	assert_int_equal(package_tree(s, &in, &out), 0);
	strbuf_reset(&sha);
	assert_int_equal(t_read(out.manifest, &sha), 0);
	assert_string_equal(text.buf, sha.buf);
	package_output_release(&out);
	report_release(&r);
	strbuf_release(&text);
	strbuf_release(&sha);
	free(mod);
	free(outdir);
}

static void package_command__needs_a_version_and_a_known_format(void **state)
{
	struct fx *f = *state;

	assert_int_equal(t_run("package '%s' --output-dir '%s' 2>/dev/null", f->tree, f->dir), 129);
	assert_int_equal(t_run("package '%s' --slurm-version 1.2 --format xz 2>/dev/null", f->tree), 129);
	assert_int_equal(t_run("package '%s' --slurm-version 1.2 --format zst --output-dir '%s' "
			       "--quiet --source-date-epoch 5", f->tree, f->dir), 0);
	assert_int_equal(t_sh("zstd -dc '%s/slurm-1.2-software.tar.zst' | tar -t | head -1 | "
			      "grep -qx software/", f->dir), 0);
	assert_int_equal(t_run("package '%s/nope' --slurm-version 1.2 --output-dir '%s' --quiet "
			       "2>/dev/null", f->dir, f->dir), 2);
}

/* `package` of f->tree as version 1.0 into `out`; the exit code. */
static int package_cmd(struct fx *f, const char *out)
{
	return t_run("package '%s' --slurm-version 1.0 --output-dir '%s' --quiet "
		     "--source-date-epoch 5 2>/dev/null", f->tree, out);
}

static void package_command__failure_keeps_the_good_package_it_did_not_make(void **state)
{
	struct fx *f = *state;
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;

	assert_int_equal(package_cmd(f, f->dir), 0);
	assert_int_equal(t_sh_capture(&before, "cd '%s' && sha256sum slurm-1.0-* SHA256SUMS "
				      "manifest.json", f->dir), 0);
	/* the next run cannot pack the tree: it must leave the good package alone */
	assert_int_equal(t_sh("mkfifo '%s/tree/lib/pipe'", f->dir), 0);
	assert_int_equal(package_cmd(f, f->dir), 2);
	assert_int_equal(t_sh_capture(&after, "cd '%s' && sha256sum slurm-1.0-* SHA256SUMS "
				      "manifest.json", f->dir), 0);
	assert_string_equal(before.buf, after.buf);
	assert_int_equal(t_sh("cd '%s' && sha256sum -c --quiet SHA256SUMS", f->dir), 0);
	/* and no temporary file of its own is left */
	assert_int_equal(t_sh("test -z \"$(ls -A '%s' | grep -v -x -e tree "
			      "-e slurm-1.0-software.tar.gz -e slurm-1.0-module.tar.gz "
			      "-e SHA256SUMS -e manifest.json -e slurm-1.0.cdx.json "
			      "-e slurm-1.0.spdx.json)\"", f->dir), 0);
	strbuf_release(&before);
	strbuf_release(&after);
}

static void package_command__concurrent_runs_into_one_directory_both_succeed(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;
	int i;

	/* a bigger tree so that the two runs overlap */
	assert_int_equal(t_sh("head -c 20000000 /dev/urandom > '%s/tree/share/big2'", f->dir), 0);
	for (i = 0; i < 3; i++) {
		strbuf_reset(&out);
		assert_int_equal(t_sh_capture(&out, "cd '%s' || exit 1; "
			"'%s' package tree --slurm-version 1.0 --output-dir . --quiet & a=$!; "
			"'%s' package tree --slurm-version 1.0 --output-dir . --quiet & b=$!; "
			"wait $a; ra=$?; wait $b; rb=$?; echo \"$ra $rb\"",
			f->dir, t_bin(), t_bin()), 0);
		assert_string_equal(out.buf, "0 0\n");
		assert_int_equal(t_sh("cd '%s' && sha256sum -c --quiet SHA256SUMS && "
				      "test \"$(ls -A | wc -l)\" = 7", f->dir), 0);
	}
	strbuf_release(&out);
}

static void package_command__never_writes_through_a_planted_link(void **state)
{
	struct fx *f = *state;
	char *out = xasprintf("%s/out", f->dir), *victim = xasprintf("%s/victim", f->dir);
	struct strbuf v = STRBUF_INIT;

	assert_int_equal(t_sh("mkdir '%s' && echo precious > '%s' && "
			      /* the old predictable temporary names, as symlinks and a hard link */
			      "ln -s '%s' '%s/slurm-1.0-software.tar.gz.tmp' && "
			      "ln '%s' '%s/slurm-1.0-module.tar.gz.tmp' && "
			      "ln -s '%s' '%s/SHA256SUMS.tmp.1'",
			      out, victim, victim, out, victim, out, victim, out), 0);
	assert_int_equal(package_cmd(f, out), 0);
	assert_int_equal(t_read(victim, &v), 0);
	assert_string_equal(v.buf, "precious\n");
	/* a dangling link at a final name is refused: nothing is created through it */
	assert_int_equal(t_sh("rm -f '%s'/slurm-1.0-software.tar.gz && "
			      "ln -s '%s/created-through-link' '%s/slurm-1.0-software.tar.gz'",
			      out, f->dir, out), 0);
	assert_int_equal(package_cmd(f, out), 2);
	assert_false(t_exists(victim) == 0);
	assert_int_equal(t_sh("test ! -e '%s/created-through-link'", f->dir), 0);
	/* a device at a final name is refused, not replaced */
	assert_int_equal(t_sh("rm -f '%s'/slurm-1.0-software.tar.gz && "
			      "mknod '%s/slurm-1.0-software.tar.gz' c 1 3", out, out), 0);
	assert_int_equal(package_cmd(f, out), 2);
	assert_int_equal(t_sh("test -c '%s/slurm-1.0-software.tar.gz'", out), 0);
	strbuf_release(&v);
	free(out);
	free(victim);
}

/* A module directory that is not there: a usage error, nothing written. */
static void package_command__missing_module_dir_is_a_usage_error(void **state)
{
	struct fx *f = *state;
	char *out = xasprintf("%s/out", f->dir);
	struct strbuf err = STRBUF_INIT, ls = STRBUF_INIT;

	assert_int_equal(t_mkdirs(out), 0);
	assert_int_equal(t_sh_capture(&err, "'%s' package '%s' --slurm-version 1.0 --module-dir "
				      "'%s/nonexistent' --output-dir '%s' --quiet", t_bin(), f->tree,
				      f->dir, out), 129);
	assert_non_null(strstr(err.buf, "--module-dir"));
	assert_non_null(strstr(err.buf, "is not a directory"));
	assert_int_equal(t_sh_capture(&ls, "ls -A '%s'", out), 0);
	assert_string_equal(ls.buf, "");
	/* from the environment too, and it says so */
	strbuf_reset(&err);
	assert_int_equal(t_sh_capture(&err, "SLURM_FACTORY_MODULE_DIR='%s/nonexistent' '%s' package "
				      "'%s' --slurm-version 1.0 --output-dir '%s' --quiet", f->dir,
				      t_bin(), f->tree, out), 129);
	assert_non_null(strstr(err.buf, "SLURM_FACTORY_MODULE_DIR"));
	strbuf_release(&err);
	strbuf_release(&ls);
	free(out);
}

/* A module directory without slurm/<version>.lua: the module check fails, nothing written. */
static void package_command__module_dir_without_the_versions_lua_fails(void **state)
{
	struct fx *f = *state;
	char *out = xasprintf("%s/out", f->dir), *json = xasprintf("%s/r.json", f->dir);
	struct strbuf ls = STRBUF_INIT;
	struct json_object *r;

	/* a modulefile of another version, and a Tcl one of this version: not enough */
	assert_int_equal(t_sh("mkdir -p '%s' '%s/mod/slurm' && echo 'whatis(\"x\")' > "
			      "'%s/mod/slurm/0.9.lua' && echo '#%%Module' > '%s/mod/slurm/1.0'",
			      out, f->dir, f->dir, f->dir), 0);
	assert_int_equal(t_run("package '%s' --slurm-version 1.0 --module-dir '%s/mod' "
			       "--output-dir '%s' --json '%s' --quiet 2>'%s/stderr'", f->tree,
			       f->dir, out, json, f->dir), 1);
	r = t_report_load(json);
	assert_non_null(r);
	assert_int_equal(t_report_checks(r, "module tarball", "fail"), 1);
	json_object_put(r);
	assert_int_equal(t_sh_capture(&ls, "ls -A '%s'", out), 0);
	assert_string_equal(ls.buf, "");
	/* with it, the same directory packs */
	assert_int_equal(t_sh("echo 'whatis(\"x\")' > '%s/mod/slurm/1.0.lua'", f->dir), 0);
	assert_int_equal(t_run("package '%s' --slurm-version 1.0 --module-dir '%s/mod' "
			       "--output-dir '%s' --quiet 2>'%s/stderr'", f->tree, f->dir, out,
			       f->dir), 0);
	assert_int_equal(t_sh("tar -tzf '%s/slurm-1.0-module.tar.gz' | grep -qx slurm/1.0.lua",
			      out), 0);
	strbuf_release(&ls);
	free(out);
	free(json);
}

/* Packs f->tree with `package` into dir/out and returns its manifest (json_object_put it). */
static struct json_object *package_manifest(struct fx *f)
{
	struct json_object *m;
	char *man = xasprintf("%s/out/manifest.json", f->dir);

	assert_int_equal(t_run("package '%s' --slurm-version 24.11.5 --output-dir '%s/out' "
			       "--quiet >/dev/null", f->tree, f->dir), 0);
	m = json_object_from_file(man);
	assert_non_null(m);
	free(man);
	return m;
}

/* The string at key `k` of `o`, or NULL when it is null or missing. */
static const char *json_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

static void package_command__manifest_records_the_glibc_floor(void **state)
{
	struct fx *f = *state;
	struct json_object *m, *floors;
	struct strbuf want = STRBUF_INIT;

	assert_int_equal(t_sh("mkdir -p '%s/out'", f->dir), 0);
	/* no ELF file: nothing needed */
	m = package_manifest(f);
	assert_true(json_object_object_get_ex(m, "glibc_floor", &floors));
	assert_null(floors);
	assert_true(json_object_object_get_ex(m, "symbol_version_floors", &floors));
	assert_int_equal(json_object_object_length(floors), 0);
	json_object_put(m);
	/* a C program and a C++ one, compiled here: the floors objdump -T shows */
	assert_int_equal(t_sh("cd '%s' && printf 'int main(void){return 0;}\\n' > c.c && "
			      "cc -o tree/bin/c c.c && printf '#include <string>\\n"
			      "int main(int c, char **v){std::string s(v[0]); return (int)s.size() - c;}\\n' "
			      "> x.cpp && c++ -o tree/bin/x x.cpp", f->dir), 0);
	m = package_manifest(f);
	assert_int_equal(t_objdump_newest(f->tree, "GLIBC", &want), 0);
	assert_string_equal(want.buf, "2.34");
	assert_non_null(json_str(m, "glibc_floor"));
	assert_string_equal(json_str(m, "glibc_floor"), want.buf);
	assert_true(json_object_object_get_ex(m, "symbol_version_floors", &floors));
	assert_string_equal(json_str(floors, "GLIBC"), want.buf);
	assert_int_equal(t_objdump_newest(f->tree, "GLIBCXX", &want), 0);
	assert_true(want.len > 0);
	assert_non_null(json_str(floors, "GLIBCXX"));
	assert_string_equal(json_str(floors, "GLIBCXX"), want.buf);
	json_object_put(m);
	strbuf_release(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pack_tree__same_tree_gives_same_bytes_whatever_the_disk_says, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_tree__entries_sorted_owned_by_root_without_names, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_tree__zst_round_trips_through_the_secure_extractor, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_tree__plain_tars_concatenate_with_an_empty_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_tree__fifo_in_the_tree_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(package_tree__writes_tarballs_sums_and_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(package_command__needs_a_version_and_a_known_format, setup, teardown),
		cmocka_unit_test_setup_teardown(package_command__manifest_records_the_glibc_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(package_command__failure_keeps_the_good_package_it_did_not_make, setup, teardown),
		cmocka_unit_test_setup_teardown(package_command__concurrent_runs_into_one_directory_both_succeed, setup, teardown),
		cmocka_unit_test_setup_teardown(package_command__never_writes_through_a_planted_link, setup, teardown),
		cmocka_unit_test_setup_teardown(package_command__missing_module_dir_is_a_usage_error, setup, teardown),
		cmocka_unit_test_setup_teardown(package_command__module_dir_without_the_versions_lua_fails, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
