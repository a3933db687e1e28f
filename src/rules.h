/*
 * The rules of the relocatability gate, one row each: id, severity, what
 * it means and how to fix it. Checks report findings by enum rule_id, so an
 * unknown rule cannot compile; the severity comes from this table so the
 * same rule is graded the same way everywhere. docs/relocatability.md explains each row at length.
 */
#ifndef SF_RULES_H
#define SF_RULES_H

#include "report.h"

enum rule_id {
	RULE_EXTRACT_ABSOLUTE_PATH,
	RULE_EXTRACT_PATH_TRAVERSAL,
	RULE_EXTRACT_BAD_NAME,
	RULE_EXTRACT_SYMLINK_ESCAPE,
	RULE_EXTRACT_HARDLINK_ESCAPE,
	RULE_EXTRACT_THROUGH_SYMLINK,
	RULE_EXTRACT_DEVICE_NODE,
	RULE_EXTRACT_SPECIAL_FILE,
	RULE_EXTRACT_SETUID,
	RULE_EXTRACT_DUPLICATE_ENTRY,
	RULE_EXTRACT_TOO_MANY_ENTRIES,
	RULE_EXTRACT_TOO_LARGE,
	RULE_EXTRACT_DAMAGED,
	RULE_TREE_EMPTY,
	RULE_ELF_MALFORMED,
	RULE_ELF_INTERP_LEAK,
	RULE_RPATH_ABSOLUTE_OUTSIDE,
	RULE_RPATH_EMPTY_ENTRY,
	RULE_RPATH_RELATIVE,
	RULE_RPATH_ORIGIN_ESCAPE,
	RULE_RPATH_MISSING_DIR,
	RULE_RPATH_CPU_DEPENDENT,
	RULE_RPATH_UNKNOWN_TOKEN,
	RULE_RPATH_IGNORED,
	RULE_NEEDED_UNRESOLVED,
	RULE_NEEDED_VIA_LOADER,
	RULE_NEEDED_CPU_DEPENDENT,
	RULE_NEEDED_RELATIVE_PATH,
	RULE_NEEDED_ABSOLUTE_PATH,
	RULE_HOST_PROVIDED_SHIPPED,
	RULE_SYMBOL_VERSION_TOO_NEW,
	RULE_LEAK_SHEBANG,
	RULE_LEAK_SCRIPT,
	RULE_LEAK_PKGCONFIG,
	RULE_LEAK_LIBTOOL,
	RULE_LEAK_CONFIG,
	RULE_LEAK_MODULE_DEFAULT,
	RULE_LEAK_TEXT,
	RULE_LEAK_ELF_INTERP,
	RULE_LEAK_ELF_RODATA,
	RULE_LEAK_ELF_DYNSTR,
	RULE_LEAK_ELF_OTHER,
	RULE_LEAK_ELF_DEBUG,
	RULE_LEAK_BINARY,
	RULE_LEAK_INFERRED_PREFIX,
	RULE_SHEBANG_FOREIGN,
	RULE_COUNT
};
/* "no rule applies", where a function returns the rule that refuses something */
#define RULE_NONE RULE_COUNT

struct rule {
	const char *id;
	enum severity severity;
	const char *summary;
	const char *fix;
};

/* Indexed by enum rule_id: every id has its row (a test checks it). */
extern const struct rule rules[RULE_COUNT];

/* The row whose id is the string `id`, or NULL (docs, tests). */
const struct rule *rule_find(const char *id);

/*
 * The page of docs/ that explains the rule named `id`: the relocatability
 * gate's rules (this table) and others by the stage that reports them
 * (publish-*: publish.md; signature-*, sums-*: verifying-a-release.md;
 * diff-*: diff.md).
 */
const char *rule_doc(const char *id);

/* Adds a finding for rule `id` with the table's severity and fix. */
void rule_report(struct check *c, enum rule_id id, const char *file,
		 const char *entry, const char *message);

/*
 * The finding callback of an extraction sink (archive.h) whose ctx is the
 * struct check * to report into: each refused entry becomes a finding of
 * that check, named by the entry.
 */
void rule_report_entry(void *check, enum rule_id id, const char *entry,
		       const char *message);

#endif
