/*
 * Shared libraries loaded on first use.
 *
 * libcurl and libarchive bring 30 more shared libraries with them (TLS,
 * Kerberos, LDAP, ICU, compressors...): linked at start-up they cost every
 * run ~6 ms of loading and relocation, which is most of what a `resolve`
 * takes. So the program is not linked against them: their adapters
 * (http.c, archive.c) keep a table of function pointers that they fill with
 * dlopen()/dlsym() the first time they are used. The soname is the one the
 * headers were built against (the Makefile reads it from the development
 * library), so the ABI is the same as a link-time dependency.
 *
 * Not thread-safe: the adapters load from their entry points, which run on
 * the main thread, before any thread of theirs starts.
 */
#ifndef SF_LAZYLIB_H
#define SF_LAZYLIB_H

#include "strbuf.h"

/*
 * dlopen()s `soname` (never closed: the process keeps it). Returns the
 * handle, or NULL with `err` naming the library and the Debian package
 * `package` that provides it.
 */
void *lazylib_open(const char *soname, const char *package, struct strbuf *err);

/*
 * Stores the address of `name` from `handle` into the function pointer at
 * `fn` (a pointer to a function pointer). 0, or -1 with `err` filled.
 */
int lazylib_sym(void *handle, const char *soname, const char *name, void *fn,
		struct strbuf *err);

/*
 * Defines the table and its loader for an X-macro list of function names
 * FUNCS (`#define FUNCS(X) X(curl_easy_init) X(curl_easy_perform) ...`):
 *   static struct { <pointer per function, of that function's type> } TABLE;
 *   static int LOAD(struct strbuf *err);  (0 once every pointer is set)
 * Calls then go through the table: TABLE.curl_easy_init().
 */
#define LAZYLIB_FIELD(f) __typeof__(f) *f;
#define LAZYLIB_LOOKUP(f) \
	if (lazylib_sym(lazylib_h, lazylib_soname, #f, &lazylib_table->f, err)) \
		return -1;
#define LAZYLIB_DEFINE(TABLE, LOAD, FUNCS, SONAME, PACKAGE) \
	static struct { FUNCS(LAZYLIB_FIELD) } TABLE; \
	static int LOAD(struct strbuf *err) \
	{ \
		static int loaded; \
		const char *lazylib_soname = SONAME; \
		__typeof__(TABLE) *lazylib_table = &TABLE; \
		void *lazylib_h; \
		if (loaded) \
			return 0; \
		lazylib_h = lazylib_open(lazylib_soname, PACKAGE, err); \
		if (!lazylib_h) \
			return -1; \
		FUNCS(LAZYLIB_LOOKUP) \
		loaded = 1; \
		return 0; \
	}

#endif
