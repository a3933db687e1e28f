/*
 * elf.c, the libelf adapter: the symbol versions it reads (DT_VERNEED,
 * DT_VERDEF and the symbols bound through DT_VERSYM) are what readelf and
 * objdump say about the same files, built with cc at test time; damaged
 * version records are an error message, never a crash.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <elf.h>

#include "elf.h"

struct fx {
	char *dir;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("elf");
	assert_non_null(f->dir);
	/* a library defining two versions, needing libc's; a program needing all */
	assert_int_equal(t_sh("cd '%s' && "
			      "printf '#include <string.h>\\n#include <pthread.h>\\n"
			      "static void *run(void *a){return a;}\\n"
			      "int foo(char *d,const char *s,size_t n){memcpy(d,s,n);return (int)strlen(d);}\\n"
			      "int bar(void){pthread_t t;return pthread_create(&t,0,run,0);}\\n' > lib.c && "
			      "printf 'FOO_1.0 { global: foo; local: *; };\\nFOO_2.0 { global: bar; } FOO_1.0;\\n' "
			      "> lib.map && "
			      "printf 'int foo(char*,const char*,unsigned long); int bar(void);\\n"
			      "int main(void){char b[8]; return foo(b,\"hi\",3)+bar();}\\n' > main.c && "
			      "cc -shared -fPIC -o libfoo.so.1 -Wl,-soname,libfoo.so.1 "
			      "-Wl,--version-script,lib.map lib.c && "
			      "cc -shared -fPIC -o libsysv.so.1 -Wl,--hash-style=sysv "
			      "-Wl,--version-script,lib.map lib.c && "
			      "cc -o app main.c libfoo.so.1 && "
			      /* a program without crt1 that exports nothing: no symbol is hashed */
			      "printf '#include <unistd.h>\nvoid _start(void){write(1,\"x\",1);_exit(0);}\n' "
			      "> bare.c && cc -nostartfiles -fno-stack-protector -o bare bare.c", f->dir), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	t_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* `name` in the fixture directory, or `name` when it is absolute; caller frees. */
static char *fixture(struct fx *f, const char *name)
{
	return name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", f->dir, name);
}

/* Parses the file `name` of the fixture directory into `info`; the return of elf_parse. */
static int parse_file(struct fx *f, const char *name, struct strbuf *data,
		      struct elf_info *info, struct strbuf *err)
{
	char *path = fixture(f, name);

	strbuf_reset(data);
	assert_int_equal(t_read(path, data), 0);
	free(path);
	return elf_parse(data->buf, data->len, info, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of `text`, sorted and joined with '\n'. */
static void sort_lines(struct strbuf *text)
{
	struct strbuf_list l = STRBUF_LIST_INIT;
	char *save = NULL, *line;
	size_t i;

	for (line = strtok_r(text->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		strbuf_list_add(&l, line);
	if (l.nr)
		qsort(l.items, l.nr, sizeof(*l.items), cmp_str);
	strbuf_reset(text);
	for (i = 0; i < l.nr; i++)
		strbuf_addf(text, "%s\n", l.items[i]);
	strbuf_list_release(&l);
}

/* "lib version index" per needed version, as readelf -V lists them. */
static void readelf_needs(struct fx *f, const char *name, struct strbuf *out)
{
	strbuf_reset(out);
	assert_int_equal(t_sh_capture(out, "cd '%s' && readelf -V --wide %s | awk "
				      "'/File:/ { lib = $5 } /Name:/ && lib { print lib, $3, $7 }'",
				      f->dir, name), 0);
	sort_lines(out);
}

static void parse__needed_versions_are_what_readelf_lists(void **state)
{
	struct fx *f = *state;
	const char *names[] = { "app", "libfoo.so.1", "libsysv.so.1" };
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT, want = STRBUF_INIT,
		      got = STRBUF_INIT;
	size_t i, j;

	for (i = 0; i < 3; i++) {
		struct elf_info info;

		assert_int_equal(parse_file(f, names[i], &data, &info, &err), 0);
		strbuf_reset(&got);
		for (j = 0; j < info.nr_verneed; j++)
			strbuf_addf(&got, "%s %s %u\n", info.verneed[j].lib, info.verneed[j].name,
				    info.verneed[j].index);
		sort_lines(&got);
		readelf_needs(f, names[i], &want);
		assert_true(want.len > 0);
		assert_string_equal(got.buf, want.buf);
		elf_info_release(&info);
	}
	strbuf_release(&data);
	strbuf_release(&err);
	strbuf_release(&want);
	strbuf_release(&got);
}

/*
 * Every needed version's count of undefined symbols, and each symbol it
 * names, as objdump -T shows them: "... *UND* ... (GLIBC_2.34) pthread_create".
 */
static void check_symbols_against_objdump(struct fx *f, const char *name)
{
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT, out = STRBUF_INIT,
		      line = STRBUF_INIT;
	struct elf_info info;
	size_t j, k, named = 0;
	char *path = fixture(f, name);

	assert_int_equal(parse_file(f, name, &data, &info, &err), 0);
	assert_int_equal(t_sh_capture(&out, "objdump -T '%s' | grep '[*]UND[*].*(' | tr -s ' '",
				      path), 0);
	free(path);
	for (j = 0; j < info.nr_verneed; j++) {
		const struct elf_verneed *v = &info.verneed[j];
		size_t refs = 0, n = 0;
		const char *p;

		strbuf_reset(&line);
		strbuf_addf(&line, "(%s) ", v->name);
		for (p = out.buf; (p = strstr(p, line.buf)); p += line.len)
			refs++;
		/* versions of one name from two libraries share objdump's count */
		for (k = 0; k < info.nr_verneed; k++)
			if (!strcmp(info.verneed[k].name, v->name))
				n += info.verneed[k].nr_refs;
		assert_int_equal(n, refs);
		assert_true(v->nr_symbols <= ELF_VERSION_SYMBOLS);
		assert_int_equal(v->nr_symbols, v->nr_refs < ELF_VERSION_SYMBOLS ?
						v->nr_refs : ELF_VERSION_SYMBOLS);
		for (k = 0; k < v->nr_symbols; k++, named++) {
			strbuf_reset(&line);
			strbuf_addf(&line, "(%s) %s\n", v->name, v->symbols[k]);
			if (!strstr(out.buf, line.buf))
				fail_msg("%s: %s is not in objdump -T", name, line.buf);
		}
	}
	assert_true(named > 0);
	elf_info_release(&info);
	strbuf_release(&data);
	strbuf_release(&err);
	strbuf_release(&out);
	strbuf_release(&line);
}

static void parse__symbols_of_each_version_are_what_objdump_shows(void **state)
{
	struct fx *f = *state;

	check_symbols_against_objdump(f, "app");
	check_symbols_against_objdump(f, "libfoo.so.1");
	/* the symbols counted through DT_HASH instead of DT_GNU_HASH */
	check_symbols_against_objdump(f, "libsysv.so.1");
	/* DT_GNU_HASH with no symbol hashed: counted by the .dynsym section */
	check_symbols_against_objdump(f, "bare");
	/* and a real library with many */
	check_symbols_against_objdump(f, "/usr/lib/x86_64-linux-gnu/libstdc++.so.6");
}

static void parse__defined_versions_are_what_readelf_lists(void **state)
{
	struct fx *f = *state;
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT, want = STRBUF_INIT,
		      got = STRBUF_INIT;
	struct elf_info info;
	size_t j;

	assert_int_equal(parse_file(f, "libfoo.so.1", &data, &info, &err), 0);
	for (j = 0; j < info.nr_verdef; j++)
		strbuf_addf(&got, "%s\n", info.verdef[j]);
	sort_lines(&got);
	/* the base entry (the soname) is not a version */
	assert_int_equal(t_sh_capture(&want, "readelf -V --wide '%s/libfoo.so.1' | awk "
				      "'/Rev:/ && !/BASE/ { print $NF }'", f->dir), 0);
	sort_lines(&want);
	assert_string_equal(got.buf, "FOO_1.0\nFOO_2.0\n");
	assert_string_equal(got.buf, want.buf);
	elf_info_release(&info);
	/* an object defining nothing */
	assert_int_equal(parse_file(f, "app", &data, &info, &err), 0);
	assert_int_equal(info.nr_verdef, 0);
	elf_info_release(&info);
	strbuf_release(&data);
	strbuf_release(&err);
	strbuf_release(&want);
	strbuf_release(&got);
}

/* The file offset of section `sec` of the fixture `name`, from readelf -S. */
static size_t section_offset(struct fx *f, const char *name, const char *sec, size_t *size)
{
	struct strbuf out = STRBUF_INIT;
	unsigned long long off = 0, sz = 0;

	assert_int_equal(t_sh_capture(&out, "readelf -SW '%s/%s' | sed 's/^ *\\[ *[0-9]*\\]//' | "
				      "awk '$1 == \"%s\" { print $4, $5 }'", f->dir, name, sec), 0);
	assert_int_equal(sscanf(out.buf, "%llx %llx", &off, &sz), 2);
	strbuf_release(&out);
	if (size)
		*size = (size_t)sz;
	return (size_t)off;
}

static void put_u16(struct strbuf *b, size_t off, unsigned v)
{
	b->buf[off] = (char)(v & 0xff);
	b->buf[off + 1] = (char)(v >> 8);
}

static void put_u32(struct strbuf *b, size_t off, uint32_t v)
{
	put_u16(b, off, v & 0xffff);
	put_u16(b, off + 2, v >> 16);
}

/* The offset of the value of dynamic entry `tag` (64-bit little-endian fixture). */
static size_t dynamic_value(struct fx *f, const struct strbuf *b, const char *name,
			    uint64_t tag)
{
	size_t size, off = section_offset(f, name, ".dynamic", &size), i;

	for (i = 0; i + 16 <= size; i += 16) {
		uint64_t t;
		memcpy(&t, b->buf + off + i, 8);
		if (t == tag)
			return off + i + 8;
	}
	fail_msg("no dynamic entry 0x%llx in %s", (unsigned long long)tag, name);
	return 0;
}

/* Parses `b` (a damaged copy): must fail with a message containing `why`. */
static void expect_malformed(const struct strbuf *b, const char *why)
{
	struct strbuf err = STRBUF_INIT;
	struct elf_info info;

	assert_int_equal(elf_parse(b->buf, b->len, &info, &err), -1);
	elf_info_release(&info);
	if (!strstr(err.buf, why))
		fail_msg("expected '%s', got '%s'", why, err.buf);
	strbuf_reset(&err);
	assert_int_equal(elf_parse_dynamic(b->buf, b->len, &info, &err), -1);
	elf_info_release(&info);
	assert_non_null(strstr(err.buf, why));
	strbuf_release(&err);
}

static void parse__damaged_version_records_are_errors_not_crashes(void **state)
{
	struct fx *f = *state;
	struct strbuf good = STRBUF_INIT, b = STRBUF_INIT, err = STRBUF_INIT;
	size_t vr, vd, gh;
	struct elf_info info;

	assert_int_equal(parse_file(f, "libfoo.so.1", &good, &info, &err), 0);
	elf_info_release(&info);
	vr = section_offset(f, "libfoo.so.1", ".gnu.version_r", NULL);
	vd = section_offset(f, "libfoo.so.1", ".gnu.version_d", NULL);
	gh = section_offset(f, "libfoo.so.1", ".gnu.hash", NULL);

#define DAMAGED(edit, why) do { \
		strbuf_reset(&b); \
		strbuf_add(&b, good.buf, good.len); \
		edit; \
		expect_malformed(&b, why); \
	} while (0)
	/* a record format ld.so does not know */
	DAMAGED(put_u16(&b, vr, 7), "has version 7");
	DAMAGED(put_u16(&b, vd, 2), "DT_VERDEF: record 0 has version 2");
	/* the first version record far beyond the segment */
	DAMAGED(put_u32(&b, vr + 8, 0xfffffff0u), "lies outside its segment");
	/* a verdef's name record beyond it */
	DAMAGED(put_u32(&b, vd + 12, 0xfffffff0u), "lies outside its segment");
	/* the library's and the version's names past the string table */
	DAMAGED(put_u32(&b, vr + 4, 0x7fffffffu), "DT_VERNEED file string");
	DAMAGED(put_u32(&b, vr + 16 + 8, 0x7fffffffu), "DT_VERNEED version string");
	/* absurd counts in the dynamic section */
	DAMAGED(put_u32(&b, dynamic_value(f, &b, "libfoo.so.1", DT_VERNEEDNUM), 0x10000),
		"DT_VERNEEDNUM 65536 is absurd");
	DAMAGED(put_u32(&b, dynamic_value(f, &b, "libfoo.so.1", DT_VERDEFNUM), 0x10000),
		"DT_VERDEFNUM 65536 is absurd");
	DAMAGED(put_u32(&b, dynamic_value(f, &b, "libfoo.so.1", DT_SYMENT), 7),
		"DT_SYMENT 7");
	/* a bloom filter larger than the file: the symbol count cannot be known */
	DAMAGED(put_u32(&b, gh + 8, 0x40000000u), "DT_GNU_HASH is truncated");
	/* the version table's address in no segment */
	DAMAGED(put_u32(&b, dynamic_value(f, &b, "libfoo.so.1", DT_VERSYM), 0x7ffffff0u),
		"DT_VERSYM address 0x7ffffff0 is in no loaded segment");
#undef DAMAGED
	strbuf_release(&good);
	strbuf_release(&b);
	strbuf_release(&err);
}

/* The first library record of .gnu.version_r: its offset, vn_cnt and where its versions are. */
static size_t first_need(struct fx *f, const struct strbuf *b, unsigned *cnt, size_t *aux)
{
	size_t vr = section_offset(f, "libfoo.so.1", ".gnu.version_r", NULL);
	uint32_t a;

	*cnt = (unsigned char)b->buf[vr + 2] | (unsigned char)b->buf[vr + 3] << 8;
	memcpy(&a, b->buf + vr + 8, 4);
	*aux = vr + a;
	return vr;
}

static void parse__version_walk_ends_at_the_count_or_the_last_record(void **state)
{
	struct fx *f = *state;
	struct strbuf good = STRBUF_INIT, b = STRBUF_INIT, err = STRBUF_INIT;
	struct elf_info info;
	unsigned cnt;
	size_t vr, aux, n;

	assert_int_equal(parse_file(f, "libfoo.so.1", &good, &info, &err), 0);
	n = info.nr_verneed;
	elf_info_release(&info);
	vr = first_need(f, &good, &cnt, &aux);
	assert_true(cnt >= 2);
	/* a count of one: the records after the first are not read, as readelf reads it */
	strbuf_add(&b, good.buf, good.len);
	put_u16(&b, vr + 2, 1);
	assert_int_equal(elf_parse(b.buf, b.len, &info, &err), 0);
	assert_int_equal(info.nr_verneed, n - (cnt - 1));
	elf_info_release(&info);
	/* a huge count, but the last record still says it is the last */
	put_u16(&b, vr + 2, 0xffff);
	assert_int_equal(elf_parse(b.buf, b.len, &info, &err), 0);
	assert_int_equal(info.nr_verneed, n);
	elf_info_release(&info);
	/* a huge count and the last record pointing far away: the walk stops at the
	 * end of the segment and says so */
	put_u32(&b, aux + 16 * (cnt - 1) + 12, 0x7ffffff0u);
	expect_malformed(&b, "DT_VERNEED: version record");
	strbuf_release(&good);
	strbuf_release(&b);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(parse__needed_versions_are_what_readelf_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(parse__symbols_of_each_version_are_what_objdump_shows, setup, teardown),
		cmocka_unit_test_setup_teardown(parse__defined_versions_are_what_readelf_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(parse__damaged_version_records_are_errors_not_crashes, setup, teardown),
		cmocka_unit_test_setup_teardown(parse__version_walk_ends_at_the_count_or_the_last_record, setup, teardown),
	};
	return cmocka_run_group_tests_name("elf", tests, NULL, NULL);
}
