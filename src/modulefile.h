/*
 * modulefile: the environment modules shipped with a Slurm tree, as text.
 *
 *   slurm/<version>.lua   Lmod (Lua)
 *   slurm/<version>       environment-modules (Tcl, "#%Module1.0")
 *   slurm/.modulerc.lua   Lmod: <version> is the default
 *
 * No Tcl .version/.modulerc is written: Lmod reads them too, through a Tcl
 * helper that cannot open them when the module path contains a space
 * (measured with Lmod 8.6); environment-modules takes the highest version
 * as its implicit default. modulefile_version_tcl() is there for callers
 * that want the file anyway.
 *
 * The root of the tree is, in this order: $SLURM_INSTALL_PREFIX when set
 * and not empty; the tree the module file sits in, when it is shipped
 * inside it as <root>/share/modulefiles/slurm/<version>.lua (Lua only:
 * myFileName(), and only when <root>/bin/srun exists); the build prefix.
 * The root is remembered at load in SLURM_MODULE_ROOT and used again at
 * unload, so unload restores the environment exactly even if
 * SLURM_INSTALL_PREFIX changed in between. PATH (bin, sbin), MANPATH,
 * PKG_CONFIG_PATH and CPATH are prepended, SLURM_ROOT is set, SLURM_CONF
 * is set to <root>/etc/slurm.conf only when the user has not set it (and
 * unset at unload only when the module set it). LD_LIBRARY_PATH is never
 * touched: the tree's RPATHs make it unneeded.
 *
 * Every string that comes from the caller (prefix, version, text) is
 * written as a quoted literal of the target language, escaped whatever it
 * contains (spaces, quotes, backslashes, brackets, '$', newlines): nothing
 * the caller gives is ever evaluated. Pure text generation except
 * modulefile_write_tree().
 */
#ifndef SF_MODULEFILE_H
#define SF_MODULEFILE_H

#include "strbuf.h"

struct modulefile_spec {
	const char *version;       /* "24.11.5": the module's version and file name */
	const char *build_prefix;  /* "/opt/slurm/software": the fallback root */
	const char *description;   /* one line for whatis; NULL: a default */
};

/*
 * 0 when `version` can be a module file name (not empty, no '/', not "."
 * or "..", no control characters, at most 128 bytes), -1 with `err`.
 */
int modulefile_check_version(const char *version, struct strbuf *err);

/* Each appends one file's text to `out`; -1 with `err` on a bad spec. */
int modulefile_lua(const struct modulefile_spec *s, struct strbuf *out,
		   struct strbuf *err);
int modulefile_tcl(const struct modulefile_spec *s, struct strbuf *out,
		   struct strbuf *err);
int modulefile_modulerc_lua(const struct modulefile_spec *s, struct strbuf *out,
			    struct strbuf *err);
int modulefile_version_tcl(const struct modulefile_spec *s, struct strbuf *out,
			   struct strbuf *err);

/*
 * The reference tool's broken form, for the regression check only: shell
 * syntax "${SLURM_INSTALL_PREFIX:-<build prefix>}/bin" inside Lua strings,
 * which Lmod does not expand.
 */
int modulefile_reference_lua(const struct modulefile_spec *s, struct strbuf *out,
			     struct strbuf *err);

/* Appends `s` as a Lua double-quoted string literal (quotes included). */
void lua_quote(struct strbuf *out, const char *s);
/* Appends `s` as a Tcl double-quoted word (quotes included); no substitution. */
void tcl_quote(struct strbuf *out, const char *s);

/*
 * Writes the three files above into `dir`/slurm/ (created), each with
 * fs_write_output. `dir` is then a MODULEPATH entry.
 */
int modulefile_write_tree(const struct modulefile_spec *s, const char *dir,
			  struct strbuf *err);

#endif
