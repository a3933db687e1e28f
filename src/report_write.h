/*
 * Writers of the run report. Each writes the whole report to `path`
 * with fs_write_output (fsutil.h): a regular file is replaced atomically,
 * a device or FIFO written through, "-" is standard output. Return 0, or -1 with `err` filled.
 * Strings are sanitised on the way out: the files are valid JSON / XML 1.0
 * for any bytes in names, messages and logs.
 */
#ifndef SF_REPORT_WRITE_H
#define SF_REPORT_WRITE_H

#include "report.h"
#include "strbuf.h"

int report_write_json(const struct report *r, const char *path, struct strbuf *err);
int report_write_junit(const struct report *r, const char *path, struct strbuf *err);
/* JUnit XML into a buffer (used by the file writer and by tests). */
void report_junit_string(const struct report *r, struct strbuf *out);
/* JSON into a buffer. */
void report_json_string(const struct report *r, struct strbuf *out);
#endif
