/*
 * The rules of the relocatability gate, one row each: id, severity, what
 * it means and how to fix it. Checks report findings by rule id; the
 * severity comes from this table so the same rule is graded the same way
 * everywhere. docs/relocatability.md explains each row at length.
 */
#ifndef SF_RULES_H
#define SF_RULES_H

#include "report.h"

struct rule {
	const char *id;
	enum severity severity;
	const char *summary;
	const char *fix;
};

extern const struct rule rules[];

/* The row for `id`, or NULL. */
const struct rule *rule_find(const char *id);

/* Adds a finding for rule `id` (severity from the table; error if unknown). */
void rule_report(struct check *c, const char *id, const char *file,
		 const char *entry, const char *message);

#endif
