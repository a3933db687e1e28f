/*
 * Do no harm: the installed binary, run as root the way a CI step runs it,
 * never replaces, follows or deletes what it did not create. Every output
 * target (device nodes, FIFOs, links) is made inside the test's own
 * directory: the system's /dev/null is never used as an output here.
 */
#include "testlib.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

struct fx {
	char *dir;
	char *tar;          /* a small good tarball: one script under software/ */
};

/* --- tarballs made with libarchive ------------------------------------ */

static struct archive *tar_open(const char *path)
{
	struct archive *a = archive_write_new();

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	return a;
}

/* A file of `len` bytes of `data`, then `zeros` zero bytes; or a directory (data NULL). */
static void tar_add(struct archive *a, const char *name, const char *data,
		    unsigned long long zeros, unsigned perm)
{
	static const char zbuf[1 << 16];
	struct archive_entry *e = archive_entry_new();
	size_t len = data ? strlen(data) : 0;

	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, data ? AE_IFREG : AE_IFDIR);
	archive_entry_set_perm(e, perm);
	archive_entry_set_mtime(e, 1700000000, 0);
	archive_entry_set_size(e, data ? (la_int64_t)(len + zeros) : 0);
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	if (len)
		assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	while (zeros) {
		size_t n = zeros > sizeof(zbuf) ? sizeof(zbuf) : (size_t)zeros;
		assert_int_equal(archive_write_data(a, zbuf, n), (la_ssize_t)n);
		zeros -= n;
	}
	archive_entry_free(e);
}

static void tar_close(struct archive *a)
{
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct archive *a;

	f->dir = t_mkdtemp("harm");
	assert_non_null(f->dir);
	f->tar = xasprintf("%s/good.tar.gz", f->dir);
	a = tar_open(f->tar);
	tar_add(a, "software/", NULL, 0, 0755);
	tar_add(a, "software/bin/", NULL, 0, 0755);
	tar_add(a, "software/bin/hello", "#!/bin/sh\necho hello\n", 0, 0755);
	tar_close(a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	t_rmtree(f->dir);
	free(f->dir);
	free(f->tar);
	free(f);
	return 0;
}

/* The directory holds nothing but `n` entries (no temporary file left). */
static void expect_entries(const char *dir, int n)
{
	struct strbuf out = STRBUF_INIT;

	assert_int_equal(t_sh_capture(&out, "ls -A '%s' | wc -l", dir), 0);
	if (atoi(out.buf) != n)
		t_sh("ls -lA '%s' >&2", dir);
	assert_int_equal(atoi(out.buf), n);
	strbuf_release(&out);
}

/* --- outputs ---------------------------------------------------------- */

static void report__to_a_device_is_written_through_never_replaced(void **state)
{
	struct fx *f = *state;

	assert_int_equal(t_sh("mknod '%s/null' c 1 3", f->dir), 0);
	assert_int_equal(t_run("verify '%s' --quiet --json '%s/null' --junit '%s/null2' "
			       "2>/dev/null", f->tar, f->dir, f->dir), 0);
	assert_int_equal(t_sh("test -c '%s/null' && test \"$(stat -c %%t:%%T '%s/null')\" = 1:3",
			      f->dir, f->dir), 0);
	/* and reading it still gives nothing: it is the device, not a file */
	assert_int_equal(t_sh("test \"$(head -c 1 '%s/null' | wc -c)\" = 0", f->dir), 0);
	expect_entries(f->dir, 3);
}

static void report__to_a_fifo_reaches_its_reader_and_the_fifo_stays(void **state)
{
	struct fx *f = *state;

	/*
	 * the reader is there before the tool runs (the shell opens the fifo
	 * read-write, which does not wait, and hands it to cat): no race with
	 * a slow start, and cat ends by its timeout whatever happens
	 */
	assert_int_equal(t_sh("cd '%s' && mkfifo pipe && exec 3<>pipe && "
			      "{ timeout 3 cat <&3 > got.xml & r=$!; } && exec 3<&- && "
			      "'%s' verify good.tar.gz --quiet --junit pipe; rc=$?; wait $r; "
			      "test $rc = 0 && test -p pipe && grep -q '<testsuites' got.xml",
			      f->dir, t_bin()), 0);
	/* no reader: a clear error, no hang, no file in its place */
	assert_int_equal(t_sh("cd '%s' && timeout 20 '%s' verify good.tar.gz --quiet "
			      "--junit pipe 2>err.txt; test $? = 2 && grep -q 'no reader' err.txt && "
			      "test -p pipe", f->dir, t_bin()), 0);
}

static void report__to_dev_stdout_and_links_goes_to_their_target(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	/* /dev/stdout is a link to /proc/self/fd/1: here a pipe */
	assert_int_equal(t_sh_capture(&out, "'%s' verify '%s' --quiet --json /dev/stdout | "
				      "head -c 1", t_bin(), f->tar), 0);
	assert_string_equal(out.buf, "{");
	assert_int_equal(t_sh("test -L /dev/stdout"), 0);
	/* the user's own link: the link stays, the file it names gets the report */
	assert_int_equal(t_sh("cd '%s' && mkdir reports && echo old > reports/r.json && "
			      "ln -s reports/r.json r.json && '%s' verify good.tar.gz --quiet "
			      "--json r.json && test -L r.json && grep -q schema_version reports/r.json",
			      f->dir, t_bin()), 0);
	/* a link to nothing: refused (exit 2), nothing created through it */
	assert_int_equal(t_sh("cd '%s' && ln -s nowhere/x.json dangling.json && "
			      "'%s' verify good.tar.gz --quiet --json dangling.json 2>/dev/null; "
			      "test $? = 2 && test ! -e nowhere", f->dir, t_bin()), 0);
	strbuf_release(&out);
}

static void report__never_written_through_a_planted_temporary_name(void **state)
{
	struct fx *f = *state;
	struct strbuf v = STRBUF_INIT;
	int i;

	assert_int_equal(t_sh("cd '%s' && echo precious > victim", f->dir), 0);
	/* the names the old writer used (FILE.tmp.<pid>) for the next pids */
	for (i = 0; i < 2; i++)
		assert_int_equal(t_sh("cd '%s' && p=$$; for n in $(seq $p $((p + 400))); do "
				      "ln -sf victim r.json.tmp.$n; ln -f victim r.xml.tmp.$n; done; "
				      "'%s' verify good.tar.gz --quiet --json r.json --junit r.xml",
				      f->dir, t_bin()), 0);
	{
		char *victim = xasprintf("%s/victim", f->dir);
		assert_int_equal(t_read(victim, &v), 0);
		free(victim);
	}
	assert_string_equal(v.buf, "precious\n");
	strbuf_release(&v);
}

static void report__longest_valid_name_is_written(void **state)
{
	struct fx *f = *state;
	struct strbuf name = STRBUF_INIT;

	while (name.len < 250)
		strbuf_addch(&name, 'j');
	assert_int_equal(t_run("verify '%s' --quiet --json '%s/%s'", f->tar, f->dir, name.buf), 0);
	assert_int_equal(t_sh("test -s '%s/%s'", f->dir, name.buf), 0);
	expect_entries(f->dir, 2);
	strbuf_release(&name);
}

/* --- usage errors ----------------------------------------------------- */

static void usage__an_output_that_names_an_input_is_refused(void **state)
{
	struct fx *f = *state;
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;

	assert_int_equal(t_sh_capture(&before, "sha256sum < '%s'", f->tar), 0);
	assert_int_equal(t_run("verify '%s' --json '%s' 2>/dev/null", f->tar, f->tar), 129);
	assert_int_equal(t_sh("cd '%s' && ln good.tar.gz hard.tar.gz && ln -s good.tar.gz soft",
			      f->dir), 0);
	assert_int_equal(t_run("verify '%s' --junit '%s/hard.tar.gz' 2>/dev/null", f->tar, f->dir),
			 129);
	assert_int_equal(t_run("verify '%s' --json '%s/soft' 2>/dev/null", f->tar, f->dir), 129);
	assert_int_equal(t_run("verify '%s' --json '%s/./good.tar.gz' 2>/dev/null", f->tar, f->dir),
			 129);
	assert_int_equal(t_sh("SLURM_FACTORY_JUNIT='%s' '%s' verify '%s' 2>&1 | "
			      "grep -q SLURM_FACTORY_JUNIT", f->tar, t_bin(), f->tar), 0);
	assert_int_equal(t_sh_capture(&after, "sha256sum < '%s'", f->tar), 0);
	assert_string_equal(before.buf, after.buf);
	/* two reports into one file: one would silently win */
	assert_int_equal(t_run("verify '%s' --json '%s/r' --junit '%s/./r' 2>/dev/null",
			       f->tar, f->dir, f->dir), 129);
	assert_false(t_sh("test -e '%s/r'", f->dir) == 0);
	strbuf_release(&before);
	strbuf_release(&after);
}

static void usage__an_empty_path_is_refused_never_the_root(void **state)
{
	struct fx *f = *state;
	char *tree = xasprintf("%s/tree", f->dir);

	assert_int_equal(t_sh("mkdir -p '%s/bin' && echo x > '%s/bin/x'", tree, tree), 0);
	assert_int_equal(t_sh("test ! -e /SHA256SUMS && test ! -e /manifest.json"), 0);
	assert_int_equal(t_run("package '%s' --slurm-version 1.0 --output-dir '' 2>/dev/null",
			       tree), 129);
	assert_int_equal(t_run("package '%s' --slurm-version 1.0 --output-dir= 2>/dev/null", tree),
			 129);
	assert_int_equal(t_sh("test ! -e /SHA256SUMS && test ! -e /manifest.json && "
			      "test ! -e /slurm-1.0-software.tar.gz"), 0);
	assert_int_equal(t_run("verify '%s' --work-dir '' 2>/dev/null", f->tar), 129);
	assert_int_equal(t_sh("! ls -d /sf-verify-* 2>/dev/null"), 0);
	assert_int_equal(t_run("verify '%s' --json '' 2>/dev/null", f->tar), 129);
	assert_int_equal(t_run("run --dry-run --cache-dir '' 2>/dev/null"), 129);
	/* an empty environment value is an unset one */
	assert_int_equal(t_sh("SLURM_FACTORY_WORK_DIR= SLURM_FACTORY_JSON= '%s' verify '%s' --quiet",
			      t_bin(), f->tar), 0);
	free(tree);
}

static void usage__a_fifo_as_input_is_refused_at_once(void **state)
{
	struct fx *f = *state;

	assert_int_equal(t_sh("mkfifo '%s/in.tar.gz'", f->dir), 0);
	assert_int_equal(t_sh("timeout 20 '%s' verify '%s/in.tar.gz' 2>'%s/err'; test $? = 129 && "
			      "grep -q FIFO '%s/err'", t_bin(), f->dir, f->dir, f->dir), 0);
	assert_int_equal(t_sh("timeout 20 '%s' smoke '%s/in.tar.gz' 2>/dev/null; test $? = 129",
			      t_bin(), f->dir), 0);
	assert_int_equal(t_sh("timeout 20 '%s' fetch --source '%s/in.tar.gz' --cache-dir '%s/c' "
			      "2>/dev/null; test $? = 129", t_bin(), f->dir, f->dir), 0);
	assert_int_equal(t_sh("mknod '%s/dev' c 1 3 && timeout 20 '%s' verify '%s/dev' "
			      "2>/dev/null; test $? = 129", f->dir, t_bin(), f->dir), 0);
}

/* --- work directories ------------------------------------------------- */

static void work_dir__deeper_than_path_max_is_removed(void **state)
{
	struct fx *f = *state;
	char *tar = xasprintf("%s/deep.tar.gz", f->dir), *work = xasprintf("%s/work", f->dir);
	struct strbuf name = STRBUF_INIT;
	struct archive *a = tar_open(tar);
	int i;

	/* 41 nested 100-character directories, a file in the deepest */
	strbuf_addstr(&name, "software");
	tar_add(a, "software/", NULL, 0, 0755);
	for (i = 0; i < 41; i++) {
		strbuf_addch(&name, '/');
		while (name.len % 101)
			strbuf_addch(&name, 'a' + (char)(i % 26));
		strbuf_addch(&name, '/');
		tar_add(a, name.buf, NULL, 0, 0755);
		strbuf_setlen(&name, name.len - 1);
	}
	strbuf_addstr(&name, "/data");
	tar_add(a, name.buf, "x", 100000, 0644);
	tar_close(a);
	assert_int_equal(mkdir(work, 0700), 0);
	t_run("verify '%s' --quiet --work-dir '%s' 2>/dev/null", tar, work);
	expect_entries(work, 0);
	strbuf_release(&name);
	free(tar);
	free(work);
}

static void work_dir__a_tree_too_big_for_memory_moves_to_disk(void **state)
{
	struct fx *f = *state;
	char *tar = xasprintf("%s/big.tar.gz", f->dir), *json = xasprintf("%s/big.json", f->dir);
	struct archive *a = tar_open(tar);
	struct json_object *r, *stage, *props, *v;
	struct stat st;

	/* 600 MB of zeros in a 600 KB tarball, within every default limit */
	tar_add(a, "software/", NULL, 0, 0755);
	tar_add(a, "software/bin/", NULL, 0, 0755);
	tar_add(a, "software/bin/tool", "#!/bin/sh\n", 0, 0755);
	tar_add(a, "software/share/", NULL, 0, 0755);
	tar_add(a, "software/share/big", "", 600ULL << 20, 0644);
	tar_close(a);
	assert_int_equal(stat(tar, &st), 0);
	assert_true(st.st_size < (2 << 20));
	/* /dev/shm of 400 MB, in a mount namespace of its own */
	assert_int_equal(t_sh("unshare --mount sh -c 'mount -t tmpfs -o size=400m sf-test /dev/shm "
			      "&& env -u TMPDIR \"$0\" verify \"$1\" --quiet --json \"$2\" && "
			      "test -z \"$(ls -A /dev/shm)\"' '%s' '%s' '%s'",
			      t_bin(), tar, json), 0);
	r = t_report_load(json);
	assert_non_null(r);
	assert_true(json_object_object_get_ex(r, "stages", &stage));
	stage = json_object_array_get_idx(stage, 0);
	assert_true(json_object_object_get_ex(stage, "properties", &props));
	assert_true(json_object_object_get_ex(props, "work_dir", &v));
	assert_string_equal(json_object_get_string(v), "/dev/shm");
	assert_true(json_object_object_get_ex(props, "work_dir.1", &v));
	assert_string_not_equal(json_object_get_string(v), "/dev/shm");
	assert_int_equal(t_sh("! ls -d /var/tmp/sf-verify-* /tmp/sf-verify-* 2>/dev/null | "
			      "xargs -r stat -c %%Y | awk -v t=$(date +%%s) '$1 > t - 60' | grep -q ."),
			 0);
	json_object_put(r);
	free(tar);
	free(json);
}

/* --- signals ---------------------------------------------------------- */

static void signal_one(struct fx *f, const char *sig)
{
	char *tar = xasprintf("%s/slow.tar.gz", f->dir), *work = xasprintf("%s/w-%s", f->dir, sig);
	char *json = xasprintf("%s/%s.json", f->dir, sig);
	struct json_object *r, *v;
	struct strbuf out = STRBUF_INIT;

	if (!t_exists(tar)) {
		struct archive *a = tar_open(tar);
		tar_add(a, "software/", NULL, 0, 0755);
		tar_add(a, "software/big", "", 1500ULL << 20, 0644);
		tar_close(a);
	}
	assert_int_equal(mkdir(work, 0700), 0);
	/* the signal comes while the tree is being extracted */
	assert_int_equal(t_sh_capture(&out, "'%s' verify '%s' --quiet --work-dir '%s' --json '%s' & "
				      "p=$!; for i in $(seq 200); do ls '%s'/sf-verify-* >/dev/null "
				      "2>&1 && break; sleep 0.05; done; kill -%s $p; wait $p; echo rc=$?",
				      t_bin(), tar, work, json, work, sig), 0);
	assert_non_null(strstr(out.buf, "rc=2"));
	r = t_report_load(json);
	assert_non_null(r);
	assert_true(json_object_object_get_ex(r, "interrupted", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(r);
	expect_entries(work, 0);
	strbuf_release(&out);
	free(tar);
	free(work);
	free(json);
}

static void signal__hup_and_quit_end_a_run_like_term(void **state)
{
	struct fx *f = *state;

	signal_one(f, "HUP");
	signal_one(f, "QUIT");
	/* nothing of the reports' own temporaries either */
	assert_int_equal(t_sh("! ls -A '%s' | grep -q tmp", f->dir), 0);
}

/* --- CI logs ---------------------------------------------------------- */

/*
 * No line of `text` is a workflow command that came from the archive: the
 * only commands are the tool's own annotations and groups, whose data is
 * escaped (their text holds the entry names, never at a line start).
 */
static void expect_no_command_line(const char *text)
{
	const char *line = text;

	while (*line) {
		const char *p = line + strspn(line, " \t");
		int ours = !strncmp(p, "::error file=software/", 22) ||
			   !strncmp(p, "::error title=", 14) || !strncmp(p, "::group::", 9) ||
			   !strncmp(p, "::endgroup::", 12);
		if ((!strncmp(p, "::", 2) && !ours) || !strncmp(p, "##[", 3))
			fail_msg("a workflow command reached the log: %.80s", line);
		line += strcspn(line, "\n");
		line += *line == '\n';
	}
}

static void console__input_text_cannot_inject_ci_commands(void **state)
{
	static const char *const modes[] = { "GITHUB_ACTIONS=true", "GITLAB_CI=true" };
	struct fx *f = *state;
	char *tar = xasprintf("%s/evil.tar.gz", f->dir);
	struct archive *a = tar_open(tar);
	struct strbuf out = STRBUF_INIT;
	size_t i;

	tar_add(a, "software/", NULL, 0, 0755);
	tar_add(a, "software/x\n::error file=evil::injected", "a", 0, 0644);
	tar_add(a, "software/\x1b[2J\x1b[31mred", "b", 0, 0644);
	tar_add(a, "software/y\n##[error]injected", "c", 0, 0644);
	tar_add(a, "software/z\n::add-mask::secret", "d", 0, 0644);
	tar_add(a, "software/\xc2\x9b" "31mcsi", "e", 0, 0644);
	/* a script whose build-prefix line carries the same payload */
	tar_add(a, "software/bin/", NULL, 0, 0755);
	tar_add(a, "software/bin/s", "#!/opt/slurm/software/bin/sh\x1b[31m\n", 0, 0755);
	tar_close(a);
	for (i = 0; i < 2; i++) {
		strbuf_reset(&out);
		assert_int_equal(t_sh_capture(&out, "%s '%s' verify '%s' --verbose 2>&1; true", modes[i],
					      t_bin(), tar), 0);
		/* the findings are there, named ... */
		assert_non_null(strstr(out.buf, "x\\n::error file=evil::injected"));
		assert_non_null(strstr(out.buf, "\\u{009B}31mcsi"));
		/* ... but no line is a workflow command and no escape reaches the log */
		assert_null(strchr(out.buf, '\x1b'));
		assert_null(strstr(out.buf, "\xc2\x9b"));
		expect_no_command_line(out.buf);
	}
	strbuf_release(&out);
	free(tar);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(report__to_a_device_is_written_through_never_replaced),
		T(report__to_a_fifo_reaches_its_reader_and_the_fifo_stays),
		T(report__to_dev_stdout_and_links_goes_to_their_target),
		T(report__never_written_through_a_planted_temporary_name),
		T(report__longest_valid_name_is_written),
		T(usage__an_output_that_names_an_input_is_refused),
		T(usage__an_empty_path_is_refused_never_the_root),
		T(usage__a_fifo_as_input_is_refused_at_once),
		T(work_dir__deeper_than_path_max_is_removed),
		T(work_dir__a_tree_too_big_for_memory_moves_to_disk),
		T(signal__hup_and_quit_end_a_run_like_term),
		T(console__input_text_cannot_inject_ci_commands),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_harm needs root (device nodes, mount namespaces)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
