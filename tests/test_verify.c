/*
 * verify, end to end through the binary: fixture trees are compiled with cc
 * at test time, packed, and verified; the JSON report is read back.
 */
#include "testlib.h"

/* libarchive's own header (src/archive.h is the adapter's): for hostile packages */
#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules.h"
#include "symver.h"

struct fx {
	char *dir;      /* scratch directory of the test */
	char *tree;     /* dir/software: the install tree */
	char *tarball;  /* dir/tree.tar.gz */
	char *json;     /* dir/report.json */
	char *work;     /* dir/work: verify's --work-dir */
	struct json_object *report;
	int rc;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = t_mkdtemp("verify");
	assert_non_null(f->dir);
	f->tree = xasprintf("%s/software", f->dir);
	f->tarball = xasprintf("%s/tree.tar.gz", f->dir);
	f->json = xasprintf("%s/report.json", f->dir);
	f->work = xasprintf("%s/work", f->dir);
	assert_int_equal(t_sh("mkdir -p '%s/bin' '%s/lib/plugins' '%s/lib/pkgconfig' '%s' && "
			      "cd '%s' && "
			      "printf 'int bar(void){return 1;}\\n' > bar.c && "
			      "printf 'int bar(void); int foo(void){return bar()+41;}\\n' > foo.c && "
			      "printf 'int foo(void); int main(void){return foo()-42;}\\n' > main.c && "
			      "printf 'int bar(void); int plugin(void){return bar();}\\n' > plugin.c",
			      f->tree, f->tree, f->tree, f->work, f->dir), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->report)
		json_object_put(f->report);
	t_rmtree(f->dir);
	free(f->dir);
	free(f->tree);
	free(f->tarball);
	free(f->json);
	free(f->work);
	free(f);
	return 0;
}

/* Compiles libbar, libfoo (needs bar) and bin/app (needs foo) with the given flags. */
static void build(struct fx *f, const char *bar_flags, const char *foo_flags,
		  const char *app_flags)
{
	assert_int_equal(t_sh("cd '%s' && "
			      "cc -shared -fPIC -o software/lib/libbar.so.1 -Wl,-soname,libbar.so.1 bar.c %s && "
			      "ln -sf libbar.so.1 software/lib/libbar.so && "
			      "cc -shared -fPIC -o software/lib/libfoo.so.1 -Wl,-soname,libfoo.so.1 foo.c "
			      "-Lsoftware/lib -lbar %s && "
			      "ln -sf libfoo.so.1 software/lib/libfoo.so && "
			      "cc -o software/bin/app main.c -Lsoftware/lib -lfoo -Wl,-rpath-link,software/lib %s",
			      f->dir, bar_flags, foo_flags, app_flags), 0);
}

static void pack_and_verify(struct fx *f, const char *extra)
{
	assert_int_equal(t_sh("tar -C '%s' -czf '%s' software", f->dir, f->tarball), 0);
	f->rc = t_run("verify '%s' --work-dir '%s' --json '%s' %s", f->tarball, f->work,
		      f->json, extra ? extra : "");
	f->report = t_report_load(f->json);
	assert_non_null(f->report);
}

#define ORIGIN_LIB "-Wl,-rpath,'$ORIGIN/../lib'"
#define ORIGIN_SELF "-Wl,-rpath,'$ORIGIN'"

static void verify__good_origin_tree_passes_at_every_prefix(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	assert_int_equal(t_sh("cd '%s' && cc -shared -fPIC -o software/lib/plugins/p.so plugin.c "
			      "-Lsoftware/lib -lbar -Wl,-rpath,'$ORIGIN/..' && "
			      "printf 'prefix=${pcfiledir}/../..\\nName: foo\\n' > software/lib/pkgconfig/foo.pc && "
			      "printf '#!/bin/sh\\nexec \"$(dirname \"$0\")/app\" \"$@\"\\n' > software/bin/wrap && "
			      "chmod +x software/bin/wrap", f->dir), 0);
	/* the fixture really runs: the same tree, unmoved */
	assert_int_equal(t_sh("'%s/bin/app'", f->tree), 0);
	pack_and_verify(f, NULL);
	assert_int_equal(f->rc, 0);
	assert_int_equal(t_report_checks(f->report, "rpath [prefix", "pass"), 3);
	assert_int_equal(t_report_checks(f->report, "needed [prefix", "pass"), 3);
	assert_int_equal(t_report_checks(f->report, "", "fail"), 0);
	/* nothing left behind in the work directory */
	assert_int_equal(t_sh_capture(&out, "ls -A '%s'", f->work), 0);
	assert_int_equal(out.len, 0);
	strbuf_release(&out);
}

static void verify__prefixes_differ_in_depth_and_the_tree_moves(void **state)
{
	struct fx *f = *state;
	struct json_object *stages, *props, *v;
	const char *p[3];
	size_t i, depth[3];

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	pack_and_verify(f, "--prefixes 3");
	assert_true(json_object_object_get_ex(f->report, "stages", &stages));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(stages, 0),
					      "properties", &props));
	for (i = 0; i < 3; i++) {
		char key[32];
		const char *s;
		snprintf(key, sizeof(key), "prefix.1.%zu", i + 1);
		assert_true(json_object_object_get_ex(props, key, &v));
		p[i] = json_object_get_string(v);
		depth[i] = 0;
		for (s = p[i]; *s; s++)
			depth[i] += *s == '/';
		/* the tree is gone from every prefix after the run */
		assert_false(t_exists(p[i]));
	}
	assert_true(depth[0] < depth[1] && depth[1] < depth[2]);
	assert_true(strlen(p[0]) < strlen(p[2]));
}

static void verify__absolute_build_dir_rpath_fails(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, "-Wl,-rpath,/opt/slurm/software/lib");
	pack_and_verify(f, NULL);
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "rpath-absolute-outside", "software/bin/app"), 3);
	/* and the library it needs is reported with the path that was tried */
	assert_int_equal(t_report_count(f->report, "needed-unresolved", "software/bin/app"), 3);
}

static void verify__findings_say_how_to_fix_them(void **state)
{
	struct fx *f = *state;
	struct strbuf err = STRBUF_INIT, xml = STRBUF_INIT;
	struct json_object *stages, *checks, *findings, *v;
	const char *p, *fix = rule_find("rpath-absolute-outside")->fix;
	size_t i, j, k, n = 0, with_fix = 0;
	char *junit = xasprintf("%s/r.xml", f->dir);

	build(f, "", ORIGIN_SELF, "-Wl,-rpath,/opt/slurm/software/lib");
	assert_int_equal(t_sh("tar -C '%s' -czf '%s' software", f->dir, f->tarball), 0);
	assert_int_equal(t_sh_capture(&err, "'%s' verify '%s' --work-dir '%s' --json '%s' "
				      "--junit '%s'", t_bin(), f->tarball, f->work, f->json, junit), 1);
	/* the console says it once per rule, under its first finding */
	p = strstr(err.buf, "fix: ");
	assert_non_null(p);
	assert_non_null(strstr(err.buf, fix));
	assert_null(strstr(strstr(err.buf, fix) + 1, fix));
	assert_non_null(strstr(err.buf, "docs/relocatability.md"));
	/* every finding of the JSON report carries its rule's fix */
	f->report = t_report_load(f->json);
	assert_true(json_object_object_get_ex(f->report, "stages", &stages));
	for (i = 0; i < json_object_array_length(stages); i++) {
		json_object_object_get_ex(json_object_array_get_idx(stages, i), "checks", &checks);
		for (j = 0; j < json_object_array_length(checks); j++) {
			json_object_object_get_ex(json_object_array_get_idx(checks, j), "findings",
						  &findings);
			for (k = 0; k < json_object_array_length(findings); k++, n++) {
				struct json_object *fi = json_object_array_get_idx(findings, k);
				if (json_object_object_get_ex(fi, "fix", &v) &&
				    strlen(json_object_get_string(v)) > 5)
					with_fix++;
			}
		}
	}
	assert_true(n > 0);
	assert_int_equal(with_fix, n);
	assert_int_equal(t_read(junit, &xml), 0);
	assert_non_null(strstr(xml.buf, "fix: "));
	strbuf_release(&err);
	strbuf_release(&xml);
	free(junit);
}

static void verify__relative_rpath_fails(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, "-Wl,-rpath,lib");
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "rpath-relative", "software/bin/app"), 1);
}

static void verify__empty_rpath_entry_fails(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, "-Wl,-rpath,'$ORIGIN/../lib:'");
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "rpath-empty-entry", "software/bin/app"), 1);
	/* the non-empty entry still resolves the library */
	assert_int_equal(t_report_count(f->report, "needed-unresolved", NULL), 0);
}

static void verify__runpath_is_not_inherited_by_dependencies(void **state)
{
	struct fx *f = *state;

	/* libfoo has no path of its own: only the app's RUNPATH could find libbar */
	build(f, "", "", ORIGIN_LIB " -Wl,--enable-new-dtags");
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "needed-unresolved", "software/lib/libfoo.so.1"), 1);
	assert_int_equal(t_report_count(f->report, "needed-unresolved", "software/bin/app"), 0);
}

static void verify__rpath_of_the_loader_is_inherited(void **state)
{
	struct fx *f = *state;

	/* the same tree with DT_RPATH: ld.so searches the loader's RPATH for libfoo's needs,
	 * and the program runs: a pass. libfoo on its own would miss libbar, which is a
	 * warning naming the loader (tests/test_loader_chains.c has the real loader's side). */
	build(f, "", "", ORIGIN_LIB " -Wl,--disable-new-dtags");
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 0);
	assert_int_equal(t_report_count(f->report, "needed-unresolved", NULL), 0);
	assert_int_equal(t_report_count(f->report, "needed-via-loader", "software/lib/libfoo.so.1"), 1);
	assert_int_equal(t_sh("'%s/bin/app'", f->tree), 0);
}

/* The value this machine's loader gives $PLATFORM (haswell on a CPU with AVX2). */
static void cpu_platform(struct fx *f, struct strbuf *out)
{
	char *p, *end;

	assert_int_equal(t_sh("cd '%s' && printf 'int gone(void); int main(void){return gone();}' "
			      "> probe.c && printf 'int gone(void){return 0;}' > gone.c && "
			      "cc -shared -fPIC -o libgone.so gone.c && cc -o probe probe.c -L. -lgone "
			      "-Wl,--disable-new-dtags,-rpath,/nonexistent-sf/'$PLATFORM' && "
			      "rm libgone.so", f->dir), 0);
	t_sh_capture(out, "cd '%s' && LD_DEBUG=libs ./probe", f->dir);
	p = strstr(out->buf, "/nonexistent-sf/");
	assert_non_null(p);
	p += strlen("/nonexistent-sf/");
	end = p + strcspn(p, ":/ \t\n");
	memmove(out->buf, p, (size_t)(end - p));
	strbuf_setlen(out, (size_t)(end - p));
}

/* libbar only under lib/<each of dirs>, found by libfoo's RPATH $ORIGIN/$PLATFORM. */
static void build_platform_tree(struct fx *f, const char *dirs)
{
	assert_int_equal(t_sh("cd '%s' && for d in %s; do mkdir -p software/lib/$d && "
			      "cc -shared -fPIC -o software/lib/$d/libbar.so.1 -Wl,-soname,libbar.so.1 "
			      "bar.c; done && "
			      "cc -shared -fPIC -o software/lib/libfoo.so.1 -Wl,-soname,libfoo.so.1 foo.c "
			      "software/lib/x86_64/libbar.so.1 -Wl,--disable-new-dtags,-rpath,'$ORIGIN/$PLATFORM' && "
			      "cc -o software/bin/app main.c software/lib/libfoo.so.1 "
			      "-Wl,-rpath-link,software/lib/x86_64 -Wl,--enable-new-dtags " ORIGIN_LIB,
			      f->dir, dirs), 0);
}

static void verify__platform_dir_for_some_cpus_only_is_cpu_dependent(void **state)
{
	struct fx *f = *state;
	struct strbuf cpu = STRBUF_INIT;
	const char *missing[] = { "haswell", "xeon_phi" };
	int fails_here = 0;
	size_t i;

	cpu_platform(f, &cpu);
	build_platform_tree(f, "x86_64");
	pack_and_verify(f, "--prefixes 2");
	assert_int_equal(f->rc, 1);
	/* once per prefix each */
	assert_int_equal(t_report_count(f->report, "needed-cpu-dependent",
					"software/lib/libfoo.so.1"), 2);
	assert_int_equal(t_report_count(f->report, "rpath-cpu-dependent",
					"software/lib/libfoo.so.1"), 2);
	assert_int_equal(t_report_count(f->report, "needed-unresolved", NULL), 0);
	/* the real loader agrees for this CPU: it fails exactly where verify says */
	for (i = 0; i < 2; i++)
		if (!strcmp(cpu.buf, missing[i]))
			fails_here = 1;
	assert_true(!strcmp(cpu.buf, "x86_64") || fails_here);
	assert_int_equal(t_sh("'%s/bin/app' 2>/dev/null", f->tree) != 0, fails_here);
	strbuf_release(&cpu);
}

static void verify__platform_dir_for_every_cpu_passes(void **state)
{
	struct fx *f = *state;

	build_platform_tree(f, "x86_64 haswell xeon_phi");
	pack_and_verify(f, "--prefixes 2");
	assert_int_equal(f->rc, 0);
	assert_int_equal(t_report_count(f->report, "needed-cpu-dependent", NULL), 0);
	assert_int_equal(t_report_count(f->report, "rpath-cpu-dependent", NULL), 0);
	assert_int_equal(t_sh("'%s/bin/app'", f->tree), 0);
}

static void verify__missing_library_fails(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	assert_int_equal(t_sh("rm '%s/lib/libbar.so.1' '%s/lib/libbar.so'", f->tree, f->tree), 0);
	pack_and_verify(f, "--prefixes 2");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "needed-unresolved", "software/lib/libfoo.so.1"), 2);
}

static void verify__origin_escape_fails(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, "-Wl,-rpath,'$ORIGIN/../../..' " ORIGIN_LIB);
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "rpath-origin-escape", "software/bin/app"), 1);
}

static void verify__leaked_prefix_in_pc_and_script_fails(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	assert_int_equal(t_sh("cd '%s' && "
			      "printf 'prefix=/opt/slurm/software\\nName: foo\\n' > lib/pkgconfig/foo.pc && "
			      "printf '#!/bin/sh\\nexec /opt/slurm/software/bin/app\\n' > bin/run && "
			      "printf '#!/opt/slurm/software/bin/python3\\n' > bin/py && "
			      "chmod +x bin/run bin/py && "
			      "printf 'see /opt/slurm/software/share\\n' > README", f->tree), 0);
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "leak-pkgconfig", "lib/pkgconfig/foo.pc"), 1);
	assert_int_equal(t_report_count(f->report, "leak-script", "bin/run"), 1);
	assert_int_equal(t_report_count(f->report, "leak-shebang", "bin/py"), 1);
	/* documentation only warns */
	assert_int_equal(t_report_count(f->report, "leak-text", "software/README"), 1);
}

static void verify__rodata_leak_only_warns(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	assert_int_equal(t_sh("cd '%s' && "
			      "printf 'const char *conf = \"/opt/slurm/software/etc/x.conf\";\\n"
			      "const char *get(void){return conf;}\\n' > conf.c && "
			      "cc -g -shared -fPIC -o software/lib/libconf.so conf.c", f->dir), 0);
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 0);
	assert_int_equal(t_report_count(f->report, "leak-elf-rodata", "lib/libconf.so"), 1);
}

static void verify__malformed_elf_is_a_finding_not_a_crash(void **state)
{
	struct fx *f = *state;
	struct strbuf elf = STRBUF_INIT;
	char *path;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	path = xasprintf("%s/lib/libbar.so.1", f->tree);
	assert_int_equal(t_read(path, &elf), 0);
	free(path);
	/* truncated inside the program headers */
	path = xasprintf("%s/lib/trunc.so", f->tree);
	assert_int_equal(t_write(path, elf.buf, 80, 0644), 0);
	free(path);
	/* program header table offset pointing past the end */
	elf.buf[32] = (char)0xff;
	elf.buf[33] = (char)0xff;
	elf.buf[34] = (char)0xff;
	path = xasprintf("%s/lib/badphoff.so", f->tree);
	assert_int_equal(t_write(path, elf.buf, elf.len, 0644), 0);
	free(path);
	/* only the magic */
	path = xasprintf("%s/bin/magic", f->tree);
	assert_int_equal(t_write(path, "\177ELF", 4, 0755), 0);
	free(path);
	strbuf_release(&elf);
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "elf-malformed", "lib/trunc.so"), 1);
	assert_int_equal(t_report_count(f->report, "elf-malformed", "lib/badphoff.so"), 1);
	assert_int_equal(t_report_count(f->report, "elf-malformed", "bin/magic"), 1);
}

static void verify__build_prefix_interpreter_fails(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF,
	      ORIGIN_LIB " -Wl,--dynamic-linker=/opt/slurm/software/lib/ld-linux-x86-64.so.2");
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "elf-interp-leak", "bin/app"), 1);
}

static void verify__allow_system_lib_accepts_a_named_library(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	assert_int_equal(t_sh("rm '%s/lib/libbar.so.1' '%s/lib/libbar.so'", f->tree, f->tree), 0);
	pack_and_verify(f, "--prefixes 1 --allow-system-lib 'libbar.so.*'");
	assert_int_equal(f->rc, 0);
	assert_int_equal(t_report_count(f->report, "needed-unresolved", NULL), 0);
}

static const char *check_message(struct json_object *report, const char *name);

/* A manifest.json in the test directory declaring `names` (JSON strings, comma-separated) host-provided. */
static char *write_manifest(struct fx *f, const char *names)
{
	char *path = xasprintf("%s/manifest.json", f->dir);
	struct strbuf body = STRBUF_INIT;
	const char *s = names;

	strbuf_addstr(&body, "{\"schema\": \"slurm-factory-manifest/1\", \"host_provided\": [");
	while (s && *s) {
		size_t n = strcspn(s, ",");
		strbuf_addf(&body, "%s{\"name\": \"%.*s\", \"reason\": \"the node's driver\"}",
			    s == names ? "" : ", ", (int)n, s);
		s += n + (s[n] ? 1 : 0);
	}
	strbuf_addstr(&body, "]}\n");
	assert_int_equal(t_writestr(path, body.buf), 0);
	strbuf_release(&body);
	return path;
}

static void verify__manifest_host_provided_library_is_accepted_exactly(void **state)
{
	struct fx *f = *state;
	char *man;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	assert_int_equal(t_sh("rm '%s/lib/libbar.so.1' '%s/lib/libbar.so'", f->tree, f->tree), 0);
	/* another name declared: libbar.so.1 is still missing */
	man = write_manifest(f, "libbar.so.2,libnvidia-ml.so.1");
	{
		char *extra = xasprintf("--prefixes 1 --manifest '%s'", man);
		pack_and_verify(f, extra);
		free(extra);
	}
	assert_int_equal(f->rc, 1);
	assert_true(t_report_count(f->report, "needed-unresolved", "software/lib/libfoo.so.1") > 0);
	json_object_put(f->report);
	f->report = NULL;
	free(man);
	/* exactly that name declared: accepted from the system, named in the check */
	man = write_manifest(f, "libbar.so.1,libnvidia-ml.so.1");
	{
		char *extra = xasprintf("--prefixes 1 --manifest '%s'", man);
		f->rc = t_run("verify '%s' --work-dir '%s' --json '%s' %s", f->tarball, f->work,
			      f->json, extra);
		free(extra);
	}
	f->report = t_report_load(f->json);
	assert_non_null(f->report);
	assert_int_equal(f->rc, 0);
	assert_int_equal(t_report_count(f->report, "needed-unresolved", NULL), 0);
	assert_non_null(strstr(check_message(f->report, "host-provided"), "libbar.so.1, libnvidia-ml.so.1"));
	free(man);
}

static void verify__manifest_host_provided_library_in_the_tree_fails(void **state)
{
	struct fx *f = *state;
	char *man = write_manifest(f, "libbar.so.1"), *extra;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	extra = xasprintf("--prefixes 1 --manifest '%s'", man);
	pack_and_verify(f, extra);
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "host-provided-shipped", "software/lib/libbar.so.1"), 1);
	free(extra);
	free(man);
}

static void verify__manifest_with_a_pattern_or_path_as_name_is_an_error(void **state)
{
	struct fx *f = *state;
	char *man, *extra;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	man = write_manifest(f, "lib*.so");
	extra = xasprintf("--prefixes 1 --manifest '%s'", man);
	pack_and_verify(f, extra);
	assert_int_equal(f->rc, 2);
	assert_non_null(strstr(check_message(f->report, "host-provided"), "is not a library file name"));
	free(extra);
	free(man);
	json_object_put(f->report);
	f->report = NULL;
	man = write_manifest(f, "../../etc/passwd");
	extra = xasprintf("--prefixes 1 --manifest '%s'", man);
	pack_and_verify(f, extra);
	assert_int_equal(f->rc, 2);
	free(extra);
	free(man);
}

static void verify__debian_slurm_binaries_are_not_relocatable(void **state)
{
	struct fx *f = *state;

	/* Debian's own Slurm: absolute RUNPATH into /usr/lib/.../slurm-wlm */
	assert_int_equal(t_sh("cd '%s' && apt-get download -q slurm-client libslurm38 "
			      "slurm-wlm-basic-plugins >/dev/null 2>&1 && mkdir deb && "
			      "for d in *.deb; do dpkg-deb -x \"$d\" deb || exit 1; done && "
			      "tar -C deb -czf '%s' .", f->dir, f->tarball), 0);
	f->rc = t_run("verify '%s' --work-dir '%s' --json '%s' --prefixes 2 --build-prefix /usr",
		      f->tarball, f->work, f->json);
	f->report = t_report_load(f->json);
	assert_non_null(f->report);
	assert_int_equal(f->rc, 1);
	/* the exact reason: srun's RUNPATH is absolute and libslurmfull.so is not found */
	assert_int_equal(t_report_count(f->report, "rpath-absolute-outside", "usr/bin/srun"), 2);
	assert_int_equal(t_report_count(f->report, "needed-unresolved", "usr/bin/srun"), 2 * 2);
}

static void verify__reports_are_written_and_valid_on_failure(void **state)
{
	struct fx *f = *state;
	char *xml = xasprintf("%s/report.xml", f->dir);

	build(f, "", ORIGIN_SELF, "-Wl,-rpath,/opt/slurm/software/lib");
	assert_int_equal(t_sh("tar -C '%s' -czf '%s' software", f->dir, f->tarball), 0);
	f->rc = t_run("verify '%s' --work-dir '%s' --json '%s' --junit '%s' --prefixes 1 2>/dev/null",
		      f->tarball, f->work, f->json, xml);
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_sh("xmllint --noout '%s'", xml), 0);
	assert_int_equal(t_sh("/usr/bin/python3 -c 'import json,jsonschema,sys; "
			      "jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' "
			      "'%s' '%s/docs/report.schema.json'", f->json, t_srcdir()), 0);
	free(xml);
}

static void verify__usage_errors_exit_129(void **state)
{
	struct fx *f = *state;

	assert_int_equal(t_run("verify 2>/dev/null"), 129);
	assert_int_equal(t_run("verify x.tar --no-such-option 2>/dev/null"), 129);
	assert_int_equal(t_run("verify x.tar --prefixes 0 2>/dev/null"), 129);
	assert_int_equal(t_run("verify x.tar --prefixes abc 2>/dev/null"), 129);
	/* a missing tarball is an environment error, and the report is still written */
	assert_int_equal(t_run("verify '%s/missing.tar.gz' --json '%s' 2>/dev/null", f->dir, f->json), 2);
	f->report = t_report_load(f->json);
	assert_non_null(f->report);
}

static void verify__tree_mode_checks_in_place(void **state)
{
	struct fx *f = *state;

	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	f->rc = t_run("verify --tree '%s' --json '%s' 2>/dev/null", f->tree, f->json);
	f->report = t_report_load(f->json);
	assert_int_equal(f->rc, 0);
	assert_int_equal(t_report_checks(f->report, "needed [in place]", "pass"), 1);
}

/* ---- several tarballs: every check named apart ---------------------------- */

/* Packs the tree built with `app_flags` as dir/`rel`. */
static void pack_as(struct fx *f, const char *app_flags, const char *rel)
{
	build(f, "", ORIGIN_SELF, app_flags);
	assert_int_equal(t_sh("cd '%s' && mkdir -p \"$(dirname '%s')\" && tar -czf '%s' software",
			      f->dir, rel, rel), 0);
}

/* The JUnit testcase names of `xml` that occur more than once, one a line. */
static void junit_duplicates(const char *xml, struct strbuf *out)
{
	strbuf_reset(out);
	assert_int_equal(t_sh_capture(out, "xmllint --xpath '//testcase/@name' '%s' | "
				      "sed -n 's/^ name=\"\\(.*\\)\"$/\\1/p' | sort | uniq -d", xml), 0);
}

static void verify__tarballs_with_one_base_name_get_distinct_check_names(void **state)
{
	struct fx *f = *state;
	char *xml = xasprintf("%s/report.xml", f->dir);
	struct strbuf dup = STRBUF_INIT, err = STRBUF_INIT, n = STRBUF_INIT;

	pack_as(f, "-Wl,-rpath,/opt/one/lib", "d1/pkg.tar.gz");
	pack_as(f, "-Wl,-rpath,/opt/two/lib", "d2/pkg.tar.gz");
	f->rc = t_sh("cd '%s' && '%s' verify d1/pkg.tar.gz d2/pkg.tar.gz --work-dir '%s' "
		     "--prefixes 1 --json '%s' --junit '%s' 2>stderr", f->dir, t_bin(), f->work,
		     f->json, xml);
	assert_int_equal(f->rc, 1);
	f->report = t_report_load(f->json);
	assert_non_null(f->report);
	assert_int_equal(t_report_checks(f->report, "d1/pkg.tar.gz: rpath [prefix 1]", "fail"), 1);
	assert_int_equal(t_report_checks(f->report, "d2/pkg.tar.gz: rpath [prefix 1]", "fail"), 1);
	junit_duplicates(xml, &dup);
	assert_string_equal(dup.buf, "");
	/* neither tarball's findings are hidden behind the other's */
	strbuf_addf(&n, "%s/stderr", f->dir);
	assert_int_equal(t_read(n.buf, &err), 0);
	assert_non_null(strstr(err.buf, "/opt/one/lib"));
	assert_non_null(strstr(err.buf, "/opt/two/lib"));
	assert_null(strstr(err.buf, "the same kind of check as above"));

	/* b/pkg.tar.gz is a tail of a/b/pkg.tar.gz: it is named by its path as given */
	pack_as(f, ORIGIN_LIB, "a/b/pkg.tar.gz");
	pack_as(f, ORIGIN_LIB, "b/pkg.tar.gz");
	json_object_put(f->report);
	f->rc = t_sh("cd '%s' && '%s' verify a/b/pkg.tar.gz ./b/pkg.tar.gz d1/pkg.tar.gz "
		     "--work-dir '%s' --prefixes 1 --json '%s' --junit '%s' 2>stderr", f->dir,
		     t_bin(), f->work, f->json, xml);
	f->report = t_report_load(f->json);
	assert_non_null(f->report);
	assert_int_equal(t_report_checks(f->report, "a/b/pkg.tar.gz: extract", "pass"), 1);
	assert_int_equal(t_report_checks(f->report, "./b/pkg.tar.gz: extract", "pass"), 1);
	assert_int_equal(t_report_checks(f->report, "d1/pkg.tar.gz: extract", "pass"), 1);
	junit_duplicates(xml, &dup);
	assert_string_equal(dup.buf, "");
	free(xml);
	strbuf_release(&dup);
	strbuf_release(&err);
	strbuf_release(&n);
}

/* One file named twice, by the same path or by another: a usage error. */
static void verify__same_tarball_twice_is_a_usage_error(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	pack_as(f, ORIGIN_LIB, "d1/pkg.tar.gz");
	assert_int_equal(t_sh("cd '%s' && ln -s d1 link", f->dir), 0);
	assert_int_equal(t_sh_capture(&out, "cd '%s' && '%s' verify d1/pkg.tar.gz "
				      "./d1//pkg.tar.gz", f->dir, t_bin()), 129);
	assert_non_null(strstr(out.buf, "are the same file"));
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "cd '%s' && '%s' verify d1/pkg.tar.gz "
				      "link/pkg.tar.gz", f->dir, t_bin()), 129);
	assert_non_null(strstr(out.buf, "'d1/pkg.tar.gz' and 'link/pkg.tar.gz' are the same file"));
	strbuf_release(&out);
}

/* ---- packages: .deb, .rpm, zip, read by their content ------------------- */

/* The good tree, as opt/slurm/ of a package root dir/pkg (with DEBIAN/control). */
static void make_package_root(struct fx *f)
{
	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	assert_int_equal(t_sh("cd '%s' && mkdir -p pkg/DEBIAN pkg/opt && cp -a software pkg/opt/slurm && "
			      "printf 'Package: sf\\nVersion: 1.0\\nArchitecture: all\\n"
			      "Maintainer: t <t@example.invalid>\\nDescription: t\\n' > pkg/DEBIAN/control",
			      f->dir), 0);
}

/* The message of the first "<label>: extract" check, or "". */
static const char *extract_message(struct json_object *report)
{
	struct json_object *stages, *checks, *c, *v;
	size_t i;

	if (!json_object_object_get_ex(report, "stages", &stages) ||
	    !json_object_object_get_ex(json_object_array_get_idx(stages, 0), "checks", &checks))
		return "";
	for (i = 0; i < json_object_array_length(checks); i++) {
		c = json_object_array_get_idx(checks, i);
		if (json_object_object_get_ex(c, "name", &v) &&
		    strstr(json_object_get_string(v), ": extract") &&
		    json_object_object_get_ex(c, "message", &v))
			return json_object_get_string(v);
	}
	return "";
}

/* verify PACKAGE passes, and says what it read. */
static void verify_package(struct fx *f, const char *package, const char *want_format)
{
	struct strbuf want = STRBUF_INIT;

	f->rc = t_run("verify '%s' --work-dir '%s' --json '%s' --prefixes 2 2>'%s/stderr'", package,
		      f->work, f->json, f->dir);
	if (f->report)
		json_object_put(f->report);
	f->report = t_report_load(f->json);
	assert_non_null(f->report);
	assert_int_equal(f->rc, 0);
	assert_string_equal(t_stage_prop(f->report, "verify", "format.1"), want_format);
	/* the extract check's message says it too */
	strbuf_addf(&want, "%s, ", want_format);
	assert_int_equal(t_report_checks(f->report, ": extract", "pass"), 1);
	assert_int_equal(t_report_checks(f->report, "needed [prefix", "pass"), 2);
	assert_int_equal(strncmp(extract_message(f->report), want.buf, want.len), 0);
	strbuf_release(&want);
}

static void verify__deb_rpm_and_wheel_are_read_by_their_content(void **state)
{
	struct fx *f = *state;
	char *deb = xasprintf("%s/sf_1.0_all.deb", f->dir), *whl = xasprintf("%s/sf.whl", f->dir);
	char *rpm;

	make_package_root(f);
	assert_int_equal(t_sh("cd '%s' && dpkg-deb -Zxz --root-owner-group --build pkg '%s' "
			      ">dpkg-deb.log", f->dir, deb), 0);
	verify_package(f, deb, "deb (data.tar.xz: tar.xz)");
	assert_int_equal(t_sh("cd '%s/pkg' && zip -qry '%s' opt", f->dir, whl), 0);
	verify_package(f, whl, "zip");
	/* rpmbuild, told not to strip or post-process: the ELF files as built */
	assert_int_equal(t_sh("cd '%s' && printf 'Name: sf\\nVersion: 1.0\\nRelease: 1\\n"
			      "Summary: s\\nLicense: MIT\\n%%%%define _binary_payload w9.gzdio\\n"
			      "%%%%define debug_package %%%%{nil}\\n%%%%define __os_install_post %%%%{nil}\\n"
			      "%%%%define _build_id_links none\\n%%%%description\\nd\\n%%%%install\\n"
			      "mkdir -p %%%%{buildroot}/opt && cp -a %s/software %%%%{buildroot}/opt/slurm\\n"
			      "%%%%files\\n/opt/slurm\\n' > sf.spec && rpmbuild --quiet --define "
			      "'_topdir %s/top' -bb sf.spec >rpmbuild.log 2>&1", f->dir, f->dir, f->dir), 0);
	assert_int_equal(t_sh("cd '%s/top/RPMS' && mv */sf-1.0-1.*.rpm '%s/sf.rpm'", f->dir, f->dir), 0);
	rpm = xasprintf("%s/sf.rpm", f->dir);
	verify_package(f, rpm, "rpm (payload: cpio.gz)");
	free(deb);
	free(whl);
	free(rpm);
}

/* A .deb written with libarchive: its data.tar.gz holds ./opt/ok and ./../pwned. */
static void write_hostile_deb(const char *path)
{
	char data[16384];
	size_t used = 0;
	struct archive *t = archive_write_new(), *a = archive_write_new();
	struct archive_entry *e;
	const char *const names[] = { "./opt/ok", "./../pwned" };
	size_t i;

	assert_int_equal(archive_write_set_format_pax_restricted(t), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(t), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(t, data, sizeof(data), &used), ARCHIVE_OK);
	for (i = 0; i < 2; i++) {
		e = archive_entry_new();
		archive_entry_copy_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 3);
		assert_int_equal(archive_write_header(t, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(t, "ok\n", 3), 3);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(t), ARCHIVE_OK);
	archive_write_free(t);
	assert_int_equal(archive_write_set_format_ar_bsd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	t_ar_member(a, "debian-binary", "2.0\n", 4);
	t_ar_member(a, "data.tar.gz", data, used);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void verify__hostile_deb_is_a_failed_check_naming_the_entry(void **state)
{
	struct fx *f = *state;
	char *deb = xasprintf("%s/hostile.deb", f->dir);
	struct strbuf found = STRBUF_INIT;

	write_hostile_deb(deb);
	/* --keep: the scratch directory stays, to be searched after */
	f->rc = t_run("verify '%s' --work-dir '%s' --json '%s' --prefixes 1 --keep 2>'%s/stderr'",
		      deb, f->work, f->json, f->dir);
	f->report = t_report_load(f->json);
	assert_non_null(f->report);
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "extract-path-traversal", "./../pwned"), 1);
	assert_string_equal(t_stage_prop(f->report, "verify", "format.1"),
			    "deb (data.tar.gz: tar.gz)");
	/* the good entry was extracted, the bad one written nowhere */
	assert_int_equal(t_sh_capture(&found, "find '%s' -name pwned", f->dir), 0);
	assert_string_equal(found.buf, "");
	assert_int_equal(t_sh_capture(&found, "find '%s' -path '*/opt/ok' | wc -l", f->work), 0);
	assert_string_equal(found.buf, "1\n");
	strbuf_release(&found);
	free(deb);
}

/* --- the glibc floor ---------------------------------------------------- */

/* 1 when version `a` <= `b` (both "x.y[.z]"). */
static int version_le(const char *a, const char *b)
{
	struct symver x, y;

	assert_int_equal(symver_parse(a, &x), 0);
	assert_int_equal(symver_parse(b, &y), 0);
	return symver_cmp(&x, &y) <= 0;
}

/* Runs verify on the packed tree again, replacing the report. */
static void reverify(struct fx *f, const char *extra)
{
	if (f->report)
		json_object_put(f->report);
	f->report = NULL;
	pack_and_verify(f, extra);
}

/* The message of the first check whose name contains `name`. */
static const char *check_message(struct json_object *report, const char *name)
{
	struct json_object *stages, *checks, *v;
	size_t i, j;

	assert_true(json_object_object_get_ex(report, "stages", &stages));
	for (i = 0; i < json_object_array_length(stages); i++) {
		json_object_object_get_ex(json_object_array_get_idx(stages, i), "checks", &checks);
		for (j = 0; j < json_object_array_length(checks); j++) {
			struct json_object *c = json_object_array_get_idx(checks, j);
			json_object_object_get_ex(c, "name", &v);
			if (!strstr(json_object_get_string(v), name))
				continue;
			assert_true(json_object_object_get_ex(c, "message", &v));
			return json_object_get_string(v);
		}
	}
	fail_msg("no check named '%s'", name);
	return NULL;
}

static void verify__glibc_floor_is_the_newest_glibc_version_objdump_shows(void **state)
{
	struct fx *f = *state;
	struct strbuf want = STRBUF_INIT;
	const char *msg;

	/* bin/app calls __libc_start_main@GLIBC_2.34, as everything linked on Debian 12 */
	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 0);
	assert_int_equal(t_objdump_newest(f->tree, "GLIBC", &want), 0);
	assert_string_equal(want.buf, "2.34");
	assert_non_null(t_stage_prop(f->report, "verify", "glibc_floor"));
	assert_string_equal(t_stage_prop(f->report, "verify", "glibc_floor"), want.buf);
	msg = check_message(f->report, ": glibc floor");
	assert_non_null(strstr(msg, "runs on glibc \xe2\x89\xa5 2.34 (GLIBC_2.34 for "
			       "__libc_start_main in software/bin/app)"));
	/* a C program needs no libstdc++ */
	assert_null(t_stage_prop(f->report, "verify", "glibcxx_floor"));
	strbuf_release(&want);
}

static void verify__max_glibc_passes_old_symbols_and_fails_a_newer_one(void **state)
{
	struct fx *f = *state;
	struct strbuf want = STRBUF_INIT, out = STRBUF_INIT;

	/* a program that binds only glibc 2.2.5 symbols: its own _start, no crt1 */
	assert_int_equal(t_sh("cd '%s' && printf '#include <string.h>\\n#include <unistd.h>\\n"
			      "__asm__(\".symver memcpy,memcpy@GLIBC_2.2.5\");\\n"
			      "__attribute__((force_align_arg_pointer)) void _start(void)"
			      "{char b[8]; memcpy(b, \"old\\\\n\", 4); write(1, b, 4); _exit(0);}\\n' "
			      "> old.c && cc -O0 -fno-stack-protector -nostartfiles -o software/bin/old "
			      "old.c", f->dir), 0);
	assert_int_equal(t_sh_capture(&out, "'%s/bin/old'", f->tree), 0);
	assert_string_equal(out.buf, "old\n");
	assert_int_equal(t_objdump_newest(f->tree, "GLIBC", &want), 0);
	assert_true(version_le(want.buf, "2.28"));
	pack_and_verify(f, "--prefixes 1 --max-glibc 2.28");
	assert_int_equal(f->rc, 0);
	assert_string_equal(t_stage_prop(f->report, "verify", "glibc_floor"), want.buf);
	assert_int_equal(t_report_count(f->report, "symbol-version-too-new", NULL), 0);

	/* and next to it a program linked here: the gate names it and its symbol */
	build(f, "", ORIGIN_SELF, ORIGIN_LIB);
	reverify(f, "--prefixes 1 --max-glibc 2.28");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "symbol-version-too-new", NULL), 1);
	assert_int_equal(t_report_count(f->report, "symbol-version-too-new", "bin/app"), 1);
	assert_int_equal(t_report_count(f->report, "symbol-version-too-new", "bin/old"), 0);
	assert_non_null(strstr(check_message(f->report, ": glibc floor"),
			       "1 file needs more than the limit"));
	/* the console names file, symbol and limit */
	strbuf_reset(&out);
	assert_int_equal(t_sh_capture(&out, "'%s' verify '%s' --work-dir '%s' --prefixes 1 "
				      "--target rhel8", t_bin(), f->tarball, f->work), 1);
	assert_non_null(strstr(out.buf, "[symbol-version-too-new] software/bin/app: needs "
			       "GLIBC_2.34 (__libc_start_main) from libc.so.6; the system may "
			       "have no newer than GLIBC_2.28 (--target rhel8): "
			       "__libc_start_main@GLIBC_2.34"));
	/* a limit the tree meets */
	reverify(f, "--prefixes 1 --max-glibc 2.34");
	assert_int_equal(f->rc, 0);
	strbuf_release(&want);
	strbuf_release(&out);
}

/* A C++ program in bin/cxx: std::string (GLIBCXX_3.4.21) and iostream. */
static void build_cxx(struct fx *f)
{
	assert_int_equal(t_sh("cd '%s' && printf '#include <iostream>\\n#include <string>\\n"
			      "int main(int c, char **v){std::string s(v[0]); s += \"!\"; "
			      "std::cout << s.size() << std::endl; return c - 1;}\\n' > cxx.cpp && "
			      "c++ -o software/bin/cxx cxx.cpp && software/bin/cxx >/dev/null",
			      f->dir), 0);
}

static void verify__cxx_program_reports_glibcxx_and_a_grafted_libstdcxx_counts(void **state)
{
	struct fx *f = *state;
	struct strbuf want = STRBUF_INIT;
	const char *families[] = { "GLIBC", "GLIBCXX", "CXXABI", "GCC" };
	size_t i;

	build_cxx(f);
	pack_and_verify(f, "--prefixes 1");
	assert_int_equal(f->rc, 0);
	for (i = 0; i < 4; i++) {
		char *key = xasprintf("%s_floor", families[i]);
		char *p;
		for (p = key; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		assert_int_equal(t_objdump_newest(f->tree, families[i], &want), 0);
		assert_true(want.len > 0);
		assert_non_null(t_stage_prop(f->report, "verify", key));
		assert_string_equal(t_stage_prop(f->report, "verify", key), want.buf);
		free(key);
	}
	/* over a libstdc++ limit */
	reverify(f, "--prefixes 1 --max-glibcxx 3.4.20");
	assert_int_equal(f->rc, 1);
	assert_int_equal(t_report_count(f->report, "symbol-version-too-new", "bin/cxx"), 1);

	/*
	 * The system's libstdc++ grafted into the tree: it defines the GLIBCXX_
	 * versions, so none is needed from the system any more; what it needs
	 * from glibc raises the floor like any file of the tree.
	 */
	assert_int_equal(t_sh("cp /usr/lib/x86_64-linux-gnu/libstdc++.so.6 '%s/lib/' && "
			      "readelf -V --wide '%s/lib/libstdc++.so.6' | grep -q 'Name: GLIBCXX_3.4.21$'",
			      f->tree, f->tree), 0);
	reverify(f, "--prefixes 1 --max-glibcxx 3.4.20");
	assert_int_equal(t_report_count(f->report, "symbol-version-too-new", NULL), 0);
	assert_null(t_stage_prop(f->report, "verify", "glibcxx_floor"));
	assert_null(t_stage_prop(f->report, "verify", "cxxabi_floor"));
	assert_int_equal(t_objdump_newest(f->tree, "GLIBC", &want), 0);
	assert_string_equal(t_stage_prop(f->report, "verify", "glibc_floor"), want.buf);
	assert_true(!version_le(want.buf, "2.34"));   /* Debian 12's libstdc++ needs 2.36 */
	assert_non_null(strstr(check_message(f->report, ": glibc floor"), "lib/libstdc++.so.6"));
	strbuf_release(&want);
}

static void verify__a_version_a_library_of_the_tree_defines_is_not_needed_from_the_system(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	/* libmy.so.1 defines GLIBCXX_3.4.99 itself; bin/my needs it from libmy.so.1 */
	assert_int_equal(t_sh("cd '%s' && printf 'int my(void){return 0;}\\n' > my.c && "
			      "printf 'GLIBCXX_3.4.99 { global: my; local: *; };\\n' > my.map && "
			      "printf 'int my(void); int main(void){return my();}\\n' > mymain.c && "
			      "cc -shared -fPIC -o software/lib/libmy.so.1 -Wl,-soname,libmy.so.1 "
			      "-Wl,--version-script,my.map my.c && "
			      "cc -o software/bin/my mymain.c software/lib/libmy.so.1 " ORIGIN_LIB,
			      f->dir), 0);
	/* what readelf says of the two files */
	assert_int_equal(t_sh_capture(&out, "readelf -V --wide '%s/lib/libmy.so.1' '%s/bin/my'",
				      f->tree, f->tree), 0);
	assert_non_null(strstr(out.buf, "Flags: none  Index: 2  Cnt: 1  Name: GLIBCXX_3.4.99"));
	assert_non_null(strstr(out.buf, "File: libmy.so.1  Cnt: 1"));
	assert_non_null(strstr(out.buf, "Name: GLIBCXX_3.4.99  Flags: none"));
	pack_and_verify(f, "--prefixes 1 --max-glibcxx 3.4.25");
	assert_int_equal(f->rc, 0);
	assert_null(t_stage_prop(f->report, "verify", "glibcxx_floor"));
	/* without the library, the same need is the system's */
	assert_int_equal(t_sh("rm '%s/lib/libmy.so.1'", f->tree), 0);
	reverify(f, "--prefixes 1 --max-glibcxx 3.4.25 --allow-system-lib 'libmy.so.*'");
	assert_int_equal(f->rc, 1);
	assert_string_equal(t_stage_prop(f->report, "verify", "glibcxx_floor"), "3.4.99");
	assert_int_equal(t_report_count(f->report, "symbol-version-too-new", "bin/my"), 1);
	strbuf_release(&out);
}

static void verify__unknown_target_is_a_usage_error_naming_the_known_ones(void **state)
{
	struct fx *f = *state;
	struct strbuf err = STRBUF_INIT;
	const struct symver_target *t;

	assert_int_equal(t_sh_capture(&err, "'%s' verify '%s' --target rhel10", t_bin(),
				      f->tarball), 129);
	assert_non_null(strstr(err.buf, "unknown target 'rhel10'"));
	for (t = symver_targets; t->name; t++)
		if (!strstr(err.buf, t->name))
			fail_msg("the usage error does not name %s: %s", t->name, err.buf);
	assert_int_equal(t_run("verify '%s' --max-glibc 2.x 2>/dev/null", f->tarball), 129);
	assert_int_equal(t_run("verify '%s' --max-glibcxx '' 2>/dev/null", f->tarball), 129);
	strbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(verify__good_origin_tree_passes_at_every_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__prefixes_differ_in_depth_and_the_tree_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__absolute_build_dir_rpath_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__findings_say_how_to_fix_them, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__relative_rpath_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__empty_rpath_entry_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__runpath_is_not_inherited_by_dependencies, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__rpath_of_the_loader_is_inherited, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__missing_library_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__platform_dir_for_some_cpus_only_is_cpu_dependent, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__platform_dir_for_every_cpu_passes, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__origin_escape_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__leaked_prefix_in_pc_and_script_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__rodata_leak_only_warns, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__malformed_elf_is_a_finding_not_a_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__build_prefix_interpreter_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__allow_system_lib_accepts_a_named_library, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__manifest_host_provided_library_is_accepted_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__manifest_host_provided_library_in_the_tree_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__manifest_with_a_pattern_or_path_as_name_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__debian_slurm_binaries_are_not_relocatable, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__reports_are_written_and_valid_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__usage_errors_exit_129, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__tree_mode_checks_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__tarballs_with_one_base_name_get_distinct_check_names, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__same_tarball_twice_is_a_usage_error, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__deb_rpm_and_wheel_are_read_by_their_content, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__hostile_deb_is_a_failed_check_naming_the_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__glibc_floor_is_the_newest_glibc_version_objdump_shows, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__max_glibc_passes_old_symbols_and_fails_a_newer_one, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__cxx_program_reports_glibcxx_and_a_grafted_libstdcxx_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__a_version_a_library_of_the_tree_defines_is_not_needed_from_the_system, setup, teardown),
		cmocka_unit_test_setup_teardown(verify__unknown_target_is_a_usage_error_naming_the_known_ones, setup, teardown),
	};
	return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
