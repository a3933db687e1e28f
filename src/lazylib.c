#include "lazylib.h"

#include <dlfcn.h>
#include <string.h>

void *lazylib_open(const char *soname, const char *package, struct strbuf *err)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *why = dlerror();

		strbuf_addf(err, "cannot load %s (%s): install Debian's %s", soname,
			    why ? why : "not found", package);
	}
	return h;
}

int lazylib_sym(void *handle, const char *soname, const char *name, void *fn,
		struct strbuf *err)
{
	void *p;

	dlerror();
	p = dlsym(handle, name);
	if (!p) {
		const char *why = dlerror();

		strbuf_addf(err, "%s has no %s (%s)", soname, name, why ? why : "null");
		return -1;
	}
	/* POSIX: a data pointer from dlsym() converts to a function pointer */
	memcpy(fn, &p, sizeof(p));
	return 0;
}
