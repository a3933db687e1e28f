#include "rules.h"

#include <string.h>

const struct rule rules[RULE_COUNT] = {
	/* extraction */
	[RULE_EXTRACT_ABSOLUTE_PATH] = { "extract-absolute-path", SEV_ERROR, "entry name is an absolute path",
	  "create the tarball from inside the tree (tar -C DIR .)" },
	[RULE_EXTRACT_PATH_TRAVERSAL] = { "extract-path-traversal", SEV_ERROR, "entry name contains '..'",
	  "pack paths relative to the tree root without '..'" },
	[RULE_EXTRACT_BAD_NAME] = { "extract-bad-name", SEV_ERROR,
	  "entry name is empty, too long, or has control characters or invalid UTF-8",
	  "rename the file" },
	[RULE_EXTRACT_SYMLINK_ESCAPE] = { "extract-symlink-escape", SEV_ERROR, "symlink target leaves the tree",
	  "use relative symlinks that stay inside the tree" },
	[RULE_EXTRACT_HARDLINK_ESCAPE] = { "extract-hardlink-escape", SEV_ERROR,
	  "hard link target is outside the tree or not a file seen before it",
	  "pack hard links only to files inside the tree" },
	[RULE_EXTRACT_THROUGH_SYMLINK] = { "extract-through-symlink", SEV_ERROR,
	  "entry would be written through a symlink or over another entry",
	  "do not pack entries below a symlinked directory" },
	[RULE_EXTRACT_DEVICE_NODE] = { "extract-device-node", SEV_ERROR, "device node in the tree",
	  "install trees hold no device nodes" },
	[RULE_EXTRACT_SPECIAL_FILE] = { "extract-special-file", SEV_ERROR, "FIFO or socket in the tree",
	  "install trees hold no FIFOs or sockets" },
	[RULE_EXTRACT_SETUID] = { "extract-setuid", SEV_ERROR, "setuid or setgid file",
	  "drop the bit; set it at deployment if really needed" },
	[RULE_EXTRACT_DUPLICATE_ENTRY] = { "extract-duplicate-entry", SEV_ERROR, "the same path appears twice",
	  "pack each path once" },
	[RULE_EXTRACT_TOO_MANY_ENTRIES] = { "extract-too-many-entries", SEV_ERROR, "more entries than --max-entries",
	  "raise --max-entries if the tree is really that large" },
	[RULE_EXTRACT_TOO_LARGE] = { "extract-too-large", SEV_ERROR, "entry or tree larger than the size limits",
	  "raise --max-bytes if the tree is really that large" },
	[RULE_EXTRACT_DAMAGED] = { "extract-damaged", SEV_ERROR, "the archive is truncated or damaged",
	  "rebuild the tarball" },
	[RULE_TREE_EMPTY] = { "tree-empty", SEV_ERROR,
	  "the tree has no file, or no ELF file, script or modulefile: nothing that relocation could break was checked",
	  "check the tarball holds the install tree (or pass --allow-empty for a data-only package)" },
	/* ELF files */
	[RULE_ELF_MALFORMED] = { "elf-malformed", SEV_ERROR, "a file with the ELF magic cannot be parsed",
	  "rebuild it; a truncated ELF will not load" },
	[RULE_ELF_INTERP_LEAK] = { "elf-interp-leak", SEV_ERROR,
	  "PT_INTERP points into the build prefix or is relative",
	  "link against the system loader (/lib64/ld-linux-x86-64.so.2)" },
	/* RPATH / RUNPATH */
	[RULE_RPATH_ABSOLUTE_OUTSIDE] = { "rpath-absolute-outside", SEV_ERROR,
	  "absolute RPATH/RUNPATH entry: it points outside the tree once moved",
	  "use $ORIGIN-relative entries (-Wl,-rpath,'$ORIGIN/../lib') or patchelf --set-rpath" },
	[RULE_RPATH_EMPTY_ENTRY] = { "rpath-empty-entry", SEV_ERROR,
	  "empty RPATH/RUNPATH entry: searches the current directory",
	  "remove the stray ':' from the linker flags" },
	[RULE_RPATH_RELATIVE] = { "rpath-relative", SEV_ERROR,
	  "relative RPATH/RUNPATH entry: resolved against the current directory, not the file",
	  "prefix it with $ORIGIN/" },
	[RULE_RPATH_ORIGIN_ESCAPE] = { "rpath-origin-escape", SEV_ERROR, "$ORIGIN entry climbs out of the tree",
	  "use fewer '..' so the entry stays inside the tree" },
	[RULE_RPATH_MISSING_DIR] = { "rpath-missing-dir", SEV_WARNING, "$ORIGIN entry names a directory the tree does not have",
	  "drop the entry, or ship the directory" },
	[RULE_RPATH_CPU_DEPENDENT] = { "rpath-cpu-dependent", SEV_WARNING,
	  "$PLATFORM entry has a directory for some CPUs only (x86_64, haswell, xeon_phi)",
	  "ship a directory for every $PLATFORM value, or use $ORIGIN paths without $PLATFORM" },
	[RULE_RPATH_UNKNOWN_TOKEN] = { "rpath-unknown-token", SEV_WARNING, "entry has a $TOKEN ld.so does not expand",
	  "use $ORIGIN, $LIB or $PLATFORM only" },
	[RULE_RPATH_IGNORED] = { "rpath-ignored", SEV_INFO, "DT_RPATH is ignored because DT_RUNPATH is present",
	  "keep one of them" },
	/* DT_NEEDED */
	[RULE_NEEDED_UNRESOLVED] = { "needed-unresolved", SEV_ERROR,
	  "a needed library is not found in the tree nor on the system allowlist",
	  "ship the library in the tree (graft it into lib/ with an $ORIGIN RPATH) or allow it with --allow-system-lib" },
	[RULE_NEEDED_VIA_LOADER] = { "needed-via-loader", SEV_WARNING,
	  "a library the tree links finds one of its own needs only through the DT_RPATH of the program that loads it",
	  "give the library its own $ORIGIN-relative RUNPATH to that directory (or put both libraries in one directory)" },
	[RULE_NEEDED_CPU_DEPENDENT] = { "needed-cpu-dependent", SEV_ERROR,
	  "a needed library resolves only for some values of $PLATFORM: the CPU decides whether it loads",
	  "put the library where every $PLATFORM finds it (an $ORIGIN entry without $PLATFORM)" },
	[RULE_NEEDED_RELATIVE_PATH] = { "needed-relative-path", SEV_ERROR, "DT_NEEDED is a relative path",
	  "link by soname, not by path" },
	[RULE_NEEDED_ABSOLUTE_PATH] = { "needed-absolute-path", SEV_ERROR, "DT_NEEDED is an absolute path outside the tree",
	  "link by soname, not by path" },
	[RULE_HOST_PROVIDED_SHIPPED] = { "host-provided-shipped", SEV_ERROR,
	  "the tree ships a library its manifest declares host-provided (a GPU driver's, the node's PMIx)",
	  "do not graft it: the node's driver or installation provides it (add it to the recipe's host-provided list)" },
	/* the glibc floor */
	[RULE_SYMBOL_VERSION_TOO_NEW] = { "symbol-version-too-new", SEV_ERROR,
	  "a file needs a newer GLIBC_/GLIBCXX_/CXXABI_ symbol version from the system than "
	  "--max-glibc, --max-glibcxx or --target allow",
	  "build on the oldest system the tree must run on (its container or a sysroot with "
	  "that glibc), or raise the limit if that system is no longer a target" },
	/* build-prefix strings */
	[RULE_LEAK_SHEBANG] = { "leak-shebang", SEV_ERROR, "a script's #! line names the build prefix",
	  "use #!/usr/bin/env NAME or rewrite the line at install time" },
	[RULE_LEAK_SCRIPT] = { "leak-script", SEV_ERROR, "an executable script names the build prefix",
	  "compute paths from the script's own location" },
	[RULE_LEAK_PKGCONFIG] = { "leak-pkgconfig", SEV_ERROR, "a .pc file names the build prefix",
	  "use prefix=${pcfiledir}/../.." },
	[RULE_LEAK_LIBTOOL] = { "leak-libtool", SEV_ERROR, "a libtool .la file names the build prefix",
	  "delete .la files from the install tree" },
	[RULE_LEAK_CONFIG] = { "leak-config", SEV_ERROR, "a configuration file read at run time names the build prefix",
	  "use paths relative to the tree or set them at deployment" },
	[RULE_LEAK_MODULE_DEFAULT] = { "leak-module-default", SEV_INFO,
	  "a modulefile's fallback root, used only when $SLURM_INSTALL_PREFIX is unset",
	  "information only: set SLURM_INSTALL_PREFIX where the tree is unpacked" },
	[RULE_LEAK_TEXT] = { "leak-text", SEV_WARNING, "a text file (documentation, headers) names the build prefix",
	  "harmless at run time; rewrite if users copy from it" },
	[RULE_LEAK_ELF_INTERP] = { "leak-elf-interp", SEV_ERROR, "the ELF interpreter path names the build prefix",
	  "link against the system loader" },
	[RULE_LEAK_ELF_RODATA] = { "leak-elf-rodata", SEV_WARNING,
	  "a compiled-in string (.rodata/.data) names the build prefix",
	  "make sure a run-time override exists (a config key, an environment variable)" },
	[RULE_LEAK_ELF_DYNSTR] = { "leak-elf-dynstr", SEV_INFO, "the dynamic string table names the build prefix",
	  "see the RPATH findings of the same file" },
	[RULE_LEAK_ELF_OTHER] = { "leak-elf-other", SEV_WARNING, "an ELF section names the build prefix",
	  "check whether the string is used at run time" },
	[RULE_LEAK_ELF_DEBUG] = { "leak-elf-debug", SEV_INFO, "debug information names the build prefix",
	  "information only; strip --strip-debug removes it" },
	[RULE_LEAK_BINARY] = { "leak-binary", SEV_INFO, "a non-ELF binary file names the build prefix",
	  "information only" },
	[RULE_LEAK_INFERRED_PREFIX] = { "leak-inferred-prefix", SEV_INFO,
	  "a build prefix found in the tree itself (an absolute path whose tail is in the tree); "
	  "its occurrences are graded like --build-prefix's",
	  "information: the findings under the other leak rules say what to fix" },
	[RULE_SHEBANG_FOREIGN] = { "shebang-foreign", SEV_ERROR,
	  "a script's #! interpreter is an absolute path outside the system's usual directories: "
	  "it exists on the build machine only",
	  "use #!/usr/bin/env NAME, or an interpreter under /usr/bin or /bin" },
};

const struct rule *rule_find(const char *id)
{
	size_t i;

	for (i = 0; i < RULE_COUNT; i++)
		if (!strcmp(rules[i].id, id))
			return &rules[i];
	return NULL;
}

const char *rule_doc(const char *id)
{
	if (!strncmp(id, "publish-", 8))
		return "docs/publish.md";
	if (!strncmp(id, "signature-", 10) || !strncmp(id, "sums-", 5))
		return "docs/verifying-a-release.md";
	if (!strncmp(id, "diff-", 5))
		return "docs/diff.md";
	return "docs/relocatability.md";
}

void rule_report(struct check *c, enum rule_id id, const char *file,
		 const char *entry, const char *message)
{
	const struct rule *r = &rules[id];

	check_add_finding(c, r->id, r->severity, file, entry, message ? message : r->summary,
			  r->fix);
}

void rule_report_entry(void *check, enum rule_id id, const char *entry,
		       const char *message)
{
	rule_report(check, id, entry, NULL, message);
}
