/*
 * libFuzzer harness: secure extraction (archive.c) of arbitrary bytes.
 *
 * The first byte picks the container: even, the rest is written as it is
 * (any format the extraction reads: tar.*, zip, .deb, .rpm; the seeds
 * fuzz/corpus/archive/ hold one of each); odd, the
 * rest is gzip-compressed first, so the fuzzer reaches the tar parser
 * behind the gzip filter. The archive is extracted into
 *   <tmp>/a/b/c/dest
 * and afterwards nothing may exist outside dest (each of a, a/b, a/b/c
 * holds exactly the one expected entry), and inside dest there may be no
 * device node, FIFO, socket, setuid/setgid file, or symlink whose target
 * leaves dest.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "archive.h"
#include "fsutil.h"
#include "ldso.h"

static char *base;        /* <tmp>/sf-fuzz-archive-XXXXXX */
static struct strbuf levels[4], dest, input;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_archive: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cleanup(void)
{
	if (base)
		fs_rmtree(base, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct strbuf b = STRBUF_INIT;
	static const char *const names[] = { "a", "b", "c" };
	size_t i;

	(void)argc;
	(void)argv;
	strbuf_addf(&b, "%s/sf-fuzz-archive-XXXXXX", fs_tmpdir());
	if (!mkdtemp(b.buf))
		die("mkdtemp");
	base = strbuf_detach(&b);
	strbuf_addstr(&levels[0], base);
	for (i = 0; i < 3; i++) {
		strbuf_addf(&levels[i + 1], "%s/%s", levels[i].buf, names[i]);
		if (mkdir(levels[i + 1].buf, 0755))
			die("mkdir");
	}
	strbuf_addf(&dest, "%s/dest", levels[3].buf);
	strbuf_addf(&input, "%s/input", base);
	atexit(cleanup);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	FILE *f = fopen(input.buf, "wb");

	if (!f)
		die("cannot write the input");
	if (size && (data[0] & 1)) {
		gzFile gz;
		fclose(f);
		gz = gzopen(input.buf, "wb1");
		if (!gz)
			die("gzopen");
		if (size > 1 && gzwrite(gz, data + 1, (unsigned)(size - 1)) <= 0)
			die("gzwrite");
		gzclose(gz);
		return;
	}
	if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1)
		die("fwrite");
	fclose(f);
}

/* Each level holds exactly `want` (and, at the base, the input file). */
static void check_level(const char *dir, const char *want, int is_base)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		die("a level directory vanished");
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strcmp(de->d_name, want))
			continue;
		if (is_base && !strcmp(de->d_name, "input"))
			continue;
		fprintf(stderr, "fuzz_archive: '%s' written outside dest, in %s\n",
			de->d_name, dir);
		abort();
	}
	closedir(d);
}

/* Walks dest: nothing that secure extraction promises to refuse. */
static void check_tree(const char *dir, const char *rel, const char *root)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct strbuf p = STRBUF_INIT, r = STRBUF_INIT;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_addf(&p, "%s/%s", dir, de->d_name);
		strbuf_addf(&r, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (lstat(p.buf, &st))
			die("lstat");
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) ||
		    S_ISSOCK(st.st_mode))
			die("a device node, FIFO or socket was extracted");
		if (st.st_mode & (S_ISUID | S_ISGID))
			die("a setuid/setgid file was extracted");
		if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlink(p.buf, target, sizeof(target) - 1);
			struct strbuf joined = STRBUF_INIT, norm = STRBUF_INIT;
			if (n < 0)
				die("readlink");
			target[n] = '\0';
			if (target[0] == '/')
				die("an absolute symlink was extracted");
			strbuf_addf(&joined, "%s/%s/../%s", root, r.buf, target);
			if (path_normalize(joined.buf, &norm) ||
			    strncmp(norm.buf, root, strlen(root)) ||
			    (norm.buf[strlen(root)] != '/' && norm.buf[strlen(root)] != '\0')) {
				fprintf(stderr, "fuzz_archive: symlink %s -> %s leaves dest\n",
					r.buf, target);
				abort();
			}
			strbuf_release(&joined);
			strbuf_release(&norm);
		} else if (S_ISDIR(st.st_mode)) {
			check_tree(p.buf, r.buf, root);
		}
		strbuf_release(&p);
		strbuf_release(&r);
	}
	closedir(d);
}

static void on_finding(void *ctx, enum rule_id rule, const char *entry, const char *msg)
{
	size_t *n = ctx;

	if (rule >= RULE_COUNT || !msg)
		die("a finding without a rule or message");
	(void)entry;
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* small limits: a bomb stops early instead of slowing the fuzzer */
	struct extract_limits lim = { 2000, 8ULL << 20, 4ULL << 20, 0 };
	struct extract_stats st;
	size_t findings = 0;
	struct extract_sink sink = { on_finding, &findings };
	struct strbuf err = STRBUF_INIT;

	write_input(data, size);
	if (mkdir(dest.buf, 0755))
		die("mkdir dest");
	memset(&st, 0, sizeof(st));
	if (archive_extract_secure(input.buf, dest.buf, &lim, &st, &sink, &err) && !err.len)
		die("-1 without a message");
	check_level(levels[0].buf, "a", 1);
	check_level(levels[1].buf, "b", 0);
	check_level(levels[2].buf, "c", 0);
	check_level(levels[3].buf, "dest", 0);
	check_tree(dest.buf, "", dest.buf);
	if (st.refused && !findings)
		die("entries refused without a finding");
	strbuf_reset(&err);
	if (fs_rmtree(dest.buf, &err))
		die("cannot remove dest");
	strbuf_release(&err);
	return 0;
}
