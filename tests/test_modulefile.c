/*
 * modulefile: the generated text, and the generated modules loaded by the
 * real Lmod (Debian's lmod) in a clean environment (env -i) against a
 * fake tree made at test time, at prefixes with spaces, quotes,
 * backslashes, brackets and '$'.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#include "modulefile.h"

#define LMOD_INIT "/usr/share/lmod/lmod/init/bash"
#define HOSTILE "/we ird \"q\" \\b [x] $HOME {y};'s"

struct fx {
	char *dir;      /* test directory */
	char *prefix;   /* the tree's root: dir + HOSTILE */
	char *mods;     /* MODULEPATH */
};

/* A fake tree: bin/{srun,squeue,sinfo,sbatch,scontrol} print their path (made executable by setup). */
static void make_tree(const char *root)
{
	static const char *const progs[] = { "srun", "squeue", "sinfo", "sbatch", "scontrol" };
	struct strbuf p = STRBUF_INIT;
	size_t i;

	strbuf_addf(&p, "%s/bin", root);
	assert_int_equal(t_mkdirs(p.buf), 0);
	for (i = 0; i < 5; i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/bin/%s", root, progs[i]);
		assert_int_equal(t_writestr(p.buf, "#!/bin/sh\nprintf 'slurm 99.1.2 %s\\n' \"$0\"\n"), 0);
	}
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/sbin", root);
	assert_int_equal(t_mkdirs(p.buf), 0);
	strbuf_release(&p);
}

static int teardown(void **state);

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct strbuf p = STRBUF_INIT;

	if (!f || !t_exists(LMOD_INIT)) {
		/* a test that cannot run here fails: Lmod is a requirement */
		fprintf(stderr, "Lmod is not installed (%s): apt-get install lmod\n", LMOD_INIT);
		free(f);
		return -1;
	}
	f->dir = t_mkdtemp("modulefile");
	strbuf_addf(&p, "%s%s", f->dir, HOSTILE);
	f->prefix = strbuf_detach(&p);
	strbuf_addf(&p, "%s/mods dir", f->dir);
	f->mods = strbuf_detach(&p);
	make_tree(f->prefix);
	/* chmod through a file holding the name: no quoting of the prefix */
	strbuf_addf(&p, "%s/prefix", f->dir);
	t_writestr(p.buf, f->prefix);
	*state = f;
	if (t_sh("cd '%s' && chmod 755 \"$(cat prefix)\"/bin/*", f->dir)) {
		strbuf_release(&p);
		teardown(state);
		return -1;
	}
	strbuf_release(&p);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	t_rmtree(f->dir);
	free(f->dir);
	free(f->prefix);
	free(f->mods);
	free(f);
	return 0;
}

static void write_modules(struct fx *f, const char *build_prefix)
{
	struct modulefile_spec s = { "99.1.2", build_prefix, NULL };
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(modulefile_write_tree(&s, f->mods, &err), 0);
	strbuf_release(&err);
}

/*
 * Runs `body` (bash) in `env -i` with Lmod initialised, MODULEPATH set to
 * the test's module directory, $P holding the prefix (read from a file, so
 * nothing is quoted by hand). Returns the exit code; output in `out`.
 */
static int in_shell(struct fx *f, struct strbuf *out, const char *init, const char *body)
{
	struct strbuf script = STRBUF_INIT, path = STRBUF_INIT;
	int rc;

	strbuf_addf(&path, "%s/driver.sh", f->dir);
	strbuf_addf(&script,
		    "set -u\n"
		    "P=$(cat \"$(dirname \"$0\")/prefix\")\n"
		    "%s\n"
		    "export MODULEPATH=\"$(dirname \"$0\")/mods dir\"\n"
		    "%s\n", init, body);
	assert_int_equal(t_writestr(path.buf, script.buf), 0);
	rc = t_sh_capture(out, "env -i HOME=/nonexistent PATH=/usr/bin:/bin /bin/bash '%s' 2>&1",
			  path.buf);
	if (rc)
		fprintf(stderr, "module driver exited %d:\n%s\n", rc, out->buf);
	strbuf_release(&script);
	strbuf_release(&path);
	return rc;
}

static int in_lmod(struct fx *f, struct strbuf *out, const char *body)
{
	return in_shell(f, out, ". " LMOD_INIT, body);
}

/* --- text ----------------------------------------------------------- */

static void lua_quote__escapes_every_special_character(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	lua_quote(&out, "a\"b\\c\nd\te\001" "9$[x]");
	assert_string_equal(out.buf, "\"a\\\"b\\\\c\\nd\\te\\0019$[x]\"");
	strbuf_release(&out);
}

static void lua_quote__round_trips_through_lua(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, prog = STRBUF_INIT, path = STRBUF_INIT;
	const char *s = HOSTILE "\n\001" "7\x7f]]--[[";

	lua_quote(&prog, s);
	strbuf_addf(&path, "%s/q.lua", f->dir);
	{
		struct strbuf full = STRBUF_INIT;
		strbuf_addf(&full, "io.write(%s)\n", prog.buf);
		assert_int_equal(t_writestr(path.buf, full.buf), 0);
		strbuf_release(&full);
	}
	assert_int_equal(t_sh_capture(&out, "lua '%s'", path.buf), 0);
	assert_int_equal(out.len, strlen(s));
	assert_memory_equal(out.buf, s, out.len);
	strbuf_release(&out);
	strbuf_release(&prog);
	strbuf_release(&path);
}

static void tcl_quote__round_trips_through_tclsh(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, prog = STRBUF_INIT, path = STRBUF_INIT;
	const char *s = HOSTILE "\n\001" "7\x7f}{";

	strbuf_addstr(&prog, "puts -nonewline ");
	tcl_quote(&prog, s);
	strbuf_addch(&prog, '\n');
	strbuf_addf(&path, "%s/q.tcl", f->dir);
	assert_int_equal(t_writestr(path.buf, prog.buf), 0);
	assert_int_equal(t_sh_capture(&out, "tclsh '%s'", path.buf), 0);
	assert_int_equal(out.len, strlen(s));
	assert_memory_equal(out.buf, s, out.len);
	strbuf_release(&out);
	strbuf_release(&prog);
	strbuf_release(&path);
}

static void modulefile_lua__never_sets_ld_library_path(void **state)
{
	struct modulefile_spec s = { "24.11.5", "/opt/slurm/software", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	(void)state;
	assert_int_equal(modulefile_lua(&s, &out, &err), 0);
	assert_non_null(strstr(out.buf, "family(\"slurm\")"));
	assert_non_null(strstr(out.buf, "os.getenv(\"SLURM_INSTALL_PREFIX\")"));
	assert_null(strstr(out.buf, "LD_LIBRARY_PATH\""));
	assert_null(strstr(out.buf, "${"));
	strbuf_reset(&out);
	assert_int_equal(modulefile_tcl(&s, &out, &err), 0);
	assert_int_equal(strncmp(out.buf, "#%Module1.0\n", 12), 0);
	assert_null(strstr(out.buf, "-path LD_LIBRARY_PATH"));
	strbuf_release(&out);
	strbuf_release(&err);
}

static void modulefile_check_version__refuses_what_cannot_be_a_file_name(void **state)
{
	static const char *const bad[] = { "", "..", ".", "a/b", "x\ny", ".hidden" };
	struct strbuf err = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		assert_int_equal(modulefile_check_version(bad[i], &err), -1);
		assert_true(err.len > 0);
	}
	assert_int_equal(modulefile_check_version("24.11.5-rc1 b", &err), 0);
	strbuf_release(&err);
}

static void modulefile_lua__refuses_a_relative_or_colon_build_prefix(void **state)
{
	struct modulefile_spec rel = { "1", "opt/slurm", NULL };
	struct modulefile_spec colon = { "1", "/opt/a:b", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	(void)state;
	assert_int_equal(modulefile_lua(&rel, &out, &err), -1);
	assert_non_null(strstr(err.buf, "absolute"));
	strbuf_reset(&err);
	assert_int_equal(modulefile_tcl(&colon, &out, &err), -1);
	assert_non_null(strstr(err.buf, "':'"));
	assert_int_equal(out.len, 0);
	strbuf_release(&out);
	strbuf_release(&err);
}

/* --- loaded by Lmod ---------------------------------------------------- */

static void modulefile_lua__passes_lmod_check_syntax(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	write_modules(f, "/opt/slurm/software");
	assert_int_equal(in_lmod(f, &out,
		"module --checkSyntax load slurm/99.1.2 || exit 1\n"
		"module --checkSyntax load slurm/99.1.2.lua 2>/dev/null; echo done"), 0);
	assert_null(strstr(out.buf, "rror"));
	strbuf_release(&out);
}

static void modulefile_lua__puts_the_hostile_prefix_first_in_path(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, want = STRBUF_INIT;

	write_modules(f, "/opt/slurm/software");
	assert_int_equal(in_lmod(f, &out,
		"export SLURM_INSTALL_PREFIX=\"$P\"\n"
		"module load slurm || exit 1\n"
		"for c in srun squeue sinfo sbatch scontrol; do\n"
		"  w=$(command -v $c) || { echo \"no $c\"; exit 1; }\n"
		"  [ \"$w\" = \"$P/bin/$c\" ] || { echo \"$c at $w\"; exit 1; }\n"
		"done\n"
		"[ \"$SLURM_ROOT\" = \"$P\" ] || exit 2\n"
		"[ \"$SLURM_CONF\" = \"$P/etc/slurm.conf\" ] || exit 3\n"
		"[ -z \"${LD_LIBRARY_PATH+x}\" ] || exit 4\n"
		"case \"$CPATH:$PKG_CONFIG_PATH:$MANPATH\" in *\"$P/include\"*\"$P/lib/pkgconfig\"*\"$P/share/man\"*) ;; *) exit 5;; esac\n"
		"srun"), 0);
	strbuf_addf(&want, "slurm 99.1.2 %s/bin/srun", f->prefix);
	if (!strstr(out.buf, want.buf))
		fprintf(stderr, "want '%s' in:\n%s\n", want.buf, out.buf);
	assert_non_null(strstr(out.buf, want.buf));
	strbuf_release(&out);
	strbuf_release(&want);
}

static void modulefile_lua__unload_restores_after_the_prefix_changed(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	write_modules(f, "/opt/slurm/software");
	assert_int_equal(in_lmod(f, &out,
		"before=$(env | grep -v '^_\\|^LMOD\\|^__LMOD\\|^_ModuleTable\\|^MODULE\\|^LOADEDMODULES\\|^_LMFILES_' | sort)\n"
		"export SLURM_INSTALL_PREFIX=\"$P\"\n"
		"module load slurm || exit 1\n"
		"export SLURM_INSTALL_PREFIX=/somewhere/else\n"
		"module unload slurm || exit 1\n"
		"unset SLURM_INSTALL_PREFIX\n"
		"after=$(env | grep -v '^_\\|^LMOD\\|^__LMOD\\|^_ModuleTable\\|^MODULE\\|^LOADEDMODULES\\|^_LMFILES_' | sort)\n"
		"[ \"$before\" = \"$after\" ] || { diff <(echo \"$before\") <(echo \"$after\"); exit 1; }\n"
		"echo same"), 0);
	assert_non_null(strstr(out.buf, "same"));
	strbuf_release(&out);
}

static void modulefile_lua__keeps_the_users_slurm_conf(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	write_modules(f, "/opt/slurm/software");
	assert_int_equal(in_lmod(f, &out,
		"export SLURM_INSTALL_PREFIX=\"$P\" SLURM_CONF=/mine/slurm.conf\n"
		"module load slurm || exit 1\n"
		"[ \"$SLURM_CONF\" = /mine/slurm.conf ] || exit 2\n"
		"module unload slurm || exit 1\n"
		"[ \"$SLURM_CONF\" = /mine/slurm.conf ] || exit 3\n"
		"echo kept"), 0);
	assert_non_null(strstr(out.buf, "kept"));
	strbuf_release(&out);
}

static void modulefile_lua__finds_the_tree_it_ships_in_without_a_variable(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, mods = STRBUF_INIT, err = STRBUF_INIT;
	struct modulefile_spec s = { "99.1.2", "/opt/slurm/software", NULL };

	strbuf_addf(&mods, "%s/share/modulefiles", f->prefix);
	assert_int_equal(modulefile_write_tree(&s, mods.buf, &err), 0);
	assert_int_equal(in_lmod(f, &out,
		"export MODULEPATH=\"$P/share/modulefiles\"\n"
		"module load slurm/99.1.2 || exit 1\n"
		"[ \"$(command -v srun)\" = \"$P/bin/srun\" ] || { command -v srun; exit 2; }\n"
		"echo in-tree"), 0);
	assert_non_null(strstr(out.buf, "in-tree"));
	strbuf_release(&out);
	strbuf_release(&mods);
	strbuf_release(&err);
}

static void modulefile_lua__falls_back_to_the_build_prefix(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	/* the tree sits at the "build prefix" and no variable is set */
	write_modules(f, f->prefix);
	assert_int_equal(in_lmod(f, &out,
		"module load slurm || exit 1\n"
		"[ \"$(command -v srun)\" = \"$P/bin/srun\" ] || exit 2\n"
		"echo fallback"), 0);
	assert_non_null(strstr(out.buf, "fallback"));
	strbuf_release(&out);
}

static void modulefile_tcl__loads_and_unloads_under_lmod(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT;

	write_modules(f, "/opt/slurm/software");
	/*
	 * The Tcl file alone (Lmod would prefer the .lua next to it), in a
	 * directory without a space: Lmod 8.6's Tcl helper cannot read a
	 * module file whose path has one.
	 */
	assert_int_equal(t_sh("cd '%s' && mkdir -p tcl/slurm && cp 'mods dir/slurm/99.1.2' tcl/slurm/",
			      f->dir), 0);
	/*
	 * Lmod translates Tcl to Lua without escaping '"' and '\\' in values:
	 * under Lmod, the Tcl module gets a prefix with spaces, brackets and
	 * '$' only (the Lua module is the one for Lmod).
	 */
	assert_int_equal(t_sh("cd '%s' && mkdir -p 'tcl tree [x] $HOME {y}' && "
			      "cp -a \"$(cat prefix)\"/bin 'tcl tree [x] $HOME {y}'/ && "
			      "printf %%s \"$PWD/tcl tree [x] \\$HOME {y}\" > prefix", f->dir), 0);
	assert_int_equal(in_lmod(f, &out,
		"export MODULEPATH=\"$(dirname \"$0\")/tcl\"\n"
		"before=$PATH\n"
		"export SLURM_INSTALL_PREFIX=\"$P\"\n"
		"module load slurm/99.1.2 || exit 1\n"
		"[ \"$(command -v srun)\" = \"$P/bin/srun\" ] || { echo \"srun: $(command -v srun)\"; exit 2; }\n"
		"[ \"$SLURM_CONF\" = \"$P/etc/slurm.conf\" ] || exit 3\n"
		"export SLURM_INSTALL_PREFIX=/elsewhere\n"
		"module unload slurm || exit 1\n"
		"[ \"$PATH\" = \"$before\" ] || { echo \"PATH $PATH\"; exit 4; }\n"
		"[ -z \"${SLURM_CONF+x}\" ] || exit 5\n"
		"echo tcl-ok"), 0);
	assert_non_null(strstr(out.buf, "tcl-ok"));
	strbuf_release(&out);
}

/*
 * environment-modules 5.2 (Debian's package conflicts with lmod: its
 * modulecmd.tcl is unpacked under tests/vendor by scripts/setup.sh --test)
 * loads the Tcl module at the fully hostile prefix and unloads it exactly,
 * also after SLURM_INSTALL_PREFIX changed.
 */
static void modulefile_tcl__loads_and_unloads_under_environment_modules(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, cmd = STRBUF_INIT, init = STRBUF_INIT;

	strbuf_addf(&cmd, "%s/tests/vendor/environment-modules/usr/lib/x86_64-linux-gnu/modulecmd.tcl",
		    t_srcdir());
	if (!t_exists(cmd.buf))
		fail_msg("%s is missing: run scripts/setup.sh --test", cmd.buf);
	write_modules(f, "/opt/slurm/software");
	/* the Tcl file alone: move the Lua files out of the module directory */
	assert_int_equal(t_sh("cd '%s/mods dir/slurm' && rm -f 99.1.2.lua .modulerc.lua", f->dir), 0);
	strbuf_addf(&init, "module() { eval \"$(tclsh '%s' bash \"$@\")\"; }", cmd.buf);
	assert_int_equal(in_shell(f, &out, init.buf,
		"before=$PATH\n"
		"export SLURM_INSTALL_PREFIX=\"$P\"\n"
		"module load slurm/99.1.2 || exit 1\n"
		"module list 2>&1 | grep -q 'slurm/99.1.2' || exit 6\n"
		"[ \"$(command -v srun)\" = \"$P/bin/srun\" ] || { echo \"srun: $(command -v srun) PATH=$PATH\"; exit 2; }\n"
		"[ \"$(srun)\" = \"slurm 99.1.2 $P/bin/srun\" ] || exit 7\n"
		"[ \"$SLURM_CONF\" = \"$P/etc/slurm.conf\" ] || { echo \"SLURM_CONF=$SLURM_CONF\"; exit 3; }\n"
		"[ -z \"${LD_LIBRARY_PATH+x}\" ] || exit 8\n"
		"export SLURM_INSTALL_PREFIX=/elsewhere\n"
		"module unload slurm || exit 1\n"
		"[ \"$PATH\" = \"$before\" ] || { echo \"PATH $PATH\"; exit 4; }\n"
		"[ -z \"${SLURM_CONF+x}\" ] || exit 5\n"
		"[ -z \"${SLURM_MODULE_ROOT+x}\" ] || exit 9\n"
		"echo envmodules-ok"), 0);
	assert_non_null(strstr(out.buf, "envmodules-ok"));
	strbuf_release(&out);
	strbuf_release(&cmd);
	strbuf_release(&init);
}

static void modulefile_modulerc_lua__makes_the_version_the_default(void **state)
{
	struct fx *f = *state;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct modulefile_spec other = { "999.0.0", "/opt/slurm/software", NULL };
	struct strbuf text = STRBUF_INIT, path = STRBUF_INIT;

	write_modules(f, "/opt/slurm/software");
	/* a newer version next to it: without the default Lmod would take it */
	assert_int_equal(modulefile_lua(&other, &text, &err), 0);
	strbuf_addf(&path, "%s/slurm/999.0.0.lua", f->mods);
	assert_int_equal(t_writestr(path.buf, text.buf), 0);
	assert_int_equal(in_lmod(f, &out,
		"module load slurm || exit 1\n"
		"echo \"loaded=$LOADEDMODULES\""), 0);
	assert_non_null(strstr(out.buf, "loaded=slurm/99.1.2"));
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&text);
	strbuf_release(&path);
}

static void modulefile_reference_lua__does_not_find_srun_at_a_prefix(void **state)
{
	struct fx *f = *state;
	struct modulefile_spec s = { "99.1.2", "/opt/slurm/software", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, text = STRBUF_INIT;
	struct strbuf path = STRBUF_INIT;

	assert_int_equal(modulefile_reference_lua(&s, &text, &err), 0);
	assert_non_null(strstr(text.buf, "${SLURM_INSTALL_PREFIX:-/opt/slurm/software}/bin"));
	strbuf_addf(&path, "%s/slurm", f->mods);
	assert_int_equal(t_mkdirs(path.buf), 0);
	strbuf_addstr(&path, "/99.1.2.lua");
	assert_int_equal(t_writestr(path.buf, text.buf), 0);
	assert_int_equal(in_lmod(f, &out,
		"export SLURM_INSTALL_PREFIX=\"$P\"\n"
		"module load slurm/99.1.2 || exit 1\n"
		"w=$(command -v srun) && [ \"$w\" = \"$P/bin/srun\" ] && exit 7\n"
		"echo \"PATH=$PATH\""), 0);
	/* the literal shell syntax, split at its ':' */
	assert_non_null(strstr(out.buf, ":-/opt/slurm/software}/bin:"));
	assert_non_null(strstr(out.buf, "${SLURM_INSTALL_PREFIX"));
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&text);
	strbuf_release(&path);
}

/*
 * The README's one-line gate on the module tarball the tool itself makes:
 * the fallback root of the Lua and the Tcl module is the same grade (info,
 * no failure); the reference tool's form still fails.
 */
static void modulefile_tree__passes_the_verify_gate_lua_and_tcl_alike(void **state)
{
	struct modulefile_spec spec = { "24.11.5", "/opt/slurm/software", NULL };
	struct strbuf err = STRBUF_INIT, ref = STRBUF_INIT;
	char *dir = t_mkdtemp("module-gate"), *mods = xasprintf("%s/mods", dir);
	char *refdir = xasprintf("%s/ref/slurm", dir), *reffile = NULL;
	struct json_object *r;

	(void)state;
	assert_int_equal(modulefile_write_tree(&spec, mods, &err), 0);
	assert_int_equal(t_sh("cd '%s' && tar -czf mod.tar.gz -C mods slurm", dir), 0);
	assert_int_equal(t_run("verify '%s/mod.tar.gz' --quiet --json '%s/r.json'", dir, dir), 0);
	free(reffile);
	reffile = xasprintf("%s/r.json", dir);
	r = t_report_load(reffile);
	assert_non_null(r);
	/* one finding a file: the Lua module and the Tcl one */
	assert_int_equal(t_report_count(r, "leak-module-default", "slurm/24.11.5.lua"), 1);
	assert_int_equal(t_report_count(r, "leak-module-default", NULL), 2);
	assert_int_equal(t_report_count(r, "leak-config", NULL), 0);
	assert_int_equal(t_report_count(r, "leak-text", NULL), 0);
	json_object_put(r);
	/* the ${SLURM_INSTALL_PREFIX:-...} form is a leak, as before */
	assert_int_equal(t_mkdirs(refdir), 0);
	assert_int_equal(modulefile_reference_lua(&spec, &ref, &err), 0);
	free(reffile);
	reffile = xasprintf("%s/24.11.5.lua", refdir);
	assert_int_equal(t_writestr(reffile, ref.buf), 0);
	assert_int_equal(t_sh("cd '%s' && tar -czf ref.tar.gz -C ref slurm", dir), 0);
	assert_int_equal(t_run("verify '%s/ref.tar.gz' --quiet --json '%s/ref.json' 2>/dev/null",
			       dir, dir), 1);
	free(reffile);
	reffile = xasprintf("%s/ref.json", dir);
	r = t_report_load(reffile);
	assert_true(t_report_count(r, "leak-config", "slurm/24.11.5.lua") >= 1);
	json_object_put(r);
	t_rmtree(dir);
	free(dir);
	free(mods);
	free(refdir);
	free(reffile);
	strbuf_release(&err);
	strbuf_release(&ref);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lua_quote__escapes_every_special_character),
		cmocka_unit_test(modulefile_tree__passes_the_verify_gate_lua_and_tcl_alike),
		T(lua_quote__round_trips_through_lua),
		T(tcl_quote__round_trips_through_tclsh),
		cmocka_unit_test(modulefile_lua__never_sets_ld_library_path),
		cmocka_unit_test(modulefile_check_version__refuses_what_cannot_be_a_file_name),
		cmocka_unit_test(modulefile_lua__refuses_a_relative_or_colon_build_prefix),
		T(modulefile_lua__passes_lmod_check_syntax),
		T(modulefile_lua__puts_the_hostile_prefix_first_in_path),
		T(modulefile_lua__unload_restores_after_the_prefix_changed),
		T(modulefile_lua__keeps_the_users_slurm_conf),
		T(modulefile_lua__finds_the_tree_it_ships_in_without_a_variable),
		T(modulefile_lua__falls_back_to_the_build_prefix),
		T(modulefile_tcl__loads_and_unloads_under_lmod),
		T(modulefile_tcl__loads_and_unloads_under_environment_modules),
		T(modulefile_modulerc_lua__makes_the_version_the_default),
		T(modulefile_reference_lua__does_not_find_srun_at_a_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
