#include "ldso.h"

#include <elf.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

const char *const ldso_default_allow[] = {
	"libc.so.*", "libm.so.*", "libdl.so.*", "librt.so.*", "libpthread.so.*",
	"libresolv.so.*", "libutil.so.*", "libanl.so.*", "libnsl.so.*",
	"libcrypt.so.*", "libBrokenLocale.so.*", "libmvec.so.*", "libc_malloc_debug.so.*",
	"libthread_db.so.*", "ld-linux*.so.*", "ld64.so.*", "ld.so.*",
	"libgcc_s.so.*", "libstdc++.so.*",
	"linux-vdso.so.*", "linux-gate.so.*",
	NULL,
};

void ldso_default_allow_join(struct strbuf *out)
{
	size_t i;

	for (i = 0; ldso_default_allow[i]; i++)
		strbuf_addf(out, "%s%s", i ? " " : "", ldso_default_allow[i]);
}

int ldso_allowed(const struct ldso_env *env, const char *name)
{
	size_t i;

	for (i = 0; i < env->nr_allow; i++)
		if (!fnmatch(env->allow[i], name, 0))
			return 1;
	return 0;
}

static const char *lib_of(int cls, unsigned machine)
{
	switch (machine) {
	case EM_X86_64:
		return cls == ELFCLASS32 ? "lib/x86_64-linux-gnux32" : "lib/x86_64-linux-gnu";
	case EM_386:
		return "lib/i386-linux-gnu";
	case EM_AARCH64:
		return "lib/aarch64-linux-gnu";
	case EM_PPC64:
		return "lib/powerpc64le-linux-gnu";
	default:
		return "lib";
	}
}

/*
 * glibc: the kernel's AT_PLATFORM, which sysdeps/x86/cpu-features.c
 * replaces by "haswell" (AVX2, BMI1/2, LZCNT, MOVBE, POPCNT) or "xeon_phi"
 * (AVX512ER) on x86-64; i386 kernels report i386 to i686; POWER reports
 * the processor generation.
 */
const char *const *ldso_platforms(int cls, unsigned machine)
{
	static const char *const x86_64[] = { "x86_64", "haswell", "xeon_phi", NULL };
	static const char *const i386[] = { "i686", "i586", "i486", "i386", NULL };
	static const char *const aarch64[] = { "aarch64", NULL };
	static const char *const ppc64[] = { "power8", "power9", "power10", NULL };
	static const char *const unknown[] = { "unknown", NULL };

	(void)cls;
	switch (machine) {
	case EM_X86_64: return x86_64;
	case EM_386: return i386;
	case EM_AARCH64: return aarch64;
	case EM_PPC64: return ppc64;
	default: return unknown;
	}
}

static int token(const char *p, const char *name, size_t *len)
{
	size_t n = strlen(name);

	if (p[0] == '{') {
		if (!strncmp(p + 1, name, n) && p[1 + n] == '}') {
			*len = n + 2;
			return 1;
		}
		return 0;
	}
	if (!strncmp(p, name, n)) {
		char c = p[n];
		/* glibc: the name must end where identifier characters end */
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_')) {
			*len = n;
			return 1;
		}
	}
	return 0;
}

int ldso_expand(const char *entry, const char *origin, int cls, unsigned machine,
		const char *platform, struct strbuf *out)
{
	const char *lib = lib_of(cls, machine), *p;
	int flags = 0;

	if (!platform)
		platform = ldso_platforms(cls, machine)[0];
	strbuf_reset(out);
	for (p = entry; *p; p++) {
		size_t len;

		if (*p != '$') {
			strbuf_addch(out, *p);
			continue;
		}
		if (token(p + 1, "ORIGIN", &len)) {
			strbuf_addstr(out, origin);
			flags |= LDSO_USES_ORIGIN;
		} else if (token(p + 1, "LIB", &len)) {
			strbuf_addstr(out, lib);
		} else if (token(p + 1, "PLATFORM", &len)) {
			strbuf_addstr(out, platform);
			flags |= LDSO_USES_PLATFORM;
		} else {
			strbuf_addch(out, '$');
			flags |= LDSO_UNKNOWN_TOKEN;
			continue;
		}
		p += len;
	}
	return flags;
}

int path_normalize(const char *path, struct strbuf *out)
{
	const char *p = path;
	int abs = *path == '/';
	size_t floor;

	strbuf_reset(out);
	if (abs)
		strbuf_addch(out, '/');
	floor = out->len;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *s;
			if (out->len == floor)
				return -1;
			s = strrchr(out->buf + floor, '/');
			strbuf_setlen(out, s ? (size_t)(s - out->buf) : floor);
		} else if (n && !(n == 1 && p[0] == '.')) {
			if (out->len > floor)
				strbuf_addch(out, '/');
			strbuf_add(out, p, n);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/*
 * One object loaded in the simulated process: where it was found and which
 * object loaded it (glibc's l_loader), for the RPATH chain.
 */
struct loaded {
	const struct ldso_object *obj;
	char *origin;                 /* $ORIGIN for this object, owned */
	size_t loader;                /* index of the loader; (size_t)-1 for the root */
};

struct walk {
	const struct ldso_env *env;
	const struct ldso_object *root;
	struct strmap *seen;          /* reported misses */
	struct strmap names;          /* names loaded in this process */
	struct strmap visited;        /* rel paths already loaded */
	struct loaded *queue;         /* breadth-first, as glibc's dl-deps.c */
	size_t nr, alloc;
	size_t found;
};

static void miss(struct walk *w, const struct ldso_object *req, const char *needed,
		 enum rule_id rule, const char *why)
{
	struct strbuf key = STRBUF_INIT;

	strbuf_addf(&key, "%s\n%s", req->rel, needed);
	if (!strmap_has(w->seen, key.buf)) {
		strmap_put(w->seen, key.buf, NULL);
		if (w->env->unresolved)
			w->env->unresolved(w->env->ctx, req, needed, rule, why, w->root);
	}
	strbuf_release(&key);
}

/*
 * Tries each entry of `list` (a colon list from an object whose $ORIGIN is
 * `origin`) for `name`. Appends what was tried to `tried`.
 */
static const struct ldso_object *try_list(struct walk *w, const char *list,
					  const char *tag, const char *origin,
					  const struct elf_info *req, const char *name,
					  struct strbuf *tried, struct strbuf *found_path)
{
	struct strbuf dir = STRBUF_INIT, cand = STRBUF_INIT, norm = STRBUF_INIT;
	const struct ldso_object *hit = NULL;
	const char *p = list;
	size_t rootlen = strlen(w->env->root);

	while (!hit) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *entry = xstrndup(p, n);
		enum ldso_miss why = LDSO_MISSING;

		ldso_expand(entry, origin, req->cls, req->machine, w->env->platform, &dir);
		if (tried->len)
			strbuf_addstr(tried, ", ");
		strbuf_addf(tried, "%s %s", tag, n ? entry : "(empty)");
		if (!n || dir.buf[0] != '/') {
			strbuf_addstr(tried, " [not searched: depends on the current directory]");
		} else if (path_normalize(dir.buf, &norm) ||
			   strncmp(norm.buf, w->env->root, rootlen) ||
			   (norm.buf[rootlen] != '/' && norm.buf[rootlen] != '\0')) {
			strbuf_addstr(tried, " [not searched: outside the tree]");
		} else {
			strbuf_reset(&cand);
			strbuf_addf(&cand, "%s/%s", dir.buf, name);
			hit = w->env->lookup(w->env->ctx, cand.buf, req->cls, req->machine, &why);
			if (hit) {
				strbuf_reset(found_path);
				strbuf_add(found_path, cand.buf, cand.len);
			} else if (why == LDSO_WRONG_CLASS) {
				strbuf_addstr(tried, " [present but not a matching ELF]");
			} else if (why == LDSO_OUTSIDE) {
				strbuf_addstr(tried, " [resolves outside the tree]");
			}
		}
		free(entry);
		if (!end)
			break;
		p = end + 1;
	}
	strbuf_release(&dir);
	strbuf_release(&cand);
	strbuf_release(&norm);
	return hit;
}

static void enqueue(struct walk *w, const struct ldso_object *obj, char *origin,
		    size_t loader)
{
	xgrow((void **)&w->queue, &w->alloc, w->nr + 1, sizeof(*w->queue));
	w->queue[w->nr].obj = obj;
	w->queue[w->nr].origin = origin;
	w->queue[w->nr].loader = loader;
	w->nr++;
	strmap_put(&w->visited, obj->rel, NULL);
}

/* Loads `name`, needed by the object at queue index `idx`. */
static void load_needed(struct walk *w, size_t idx, const char *name)
{
	const struct ldso_object *obj = w->queue[idx].obj, *hit = NULL;
	const struct elf_info *e = obj->elf;
	struct strbuf tried = STRBUF_INIT, path = STRBUF_INIT;
	size_t j;

	if (strmap_has(&w->names, name))
		goto out;
	if (strchr(name, '/')) {
		enum ldso_miss why = LDSO_MISSING;
		if (name[0] != '/') {
			miss(w, obj, name, RULE_NEEDED_RELATIVE_PATH,
			     "a DT_NEEDED path with a slash is opened relative to the "
			     "current directory");
			goto out;
		}
		hit = w->env->lookup(w->env->ctx, name, e->cls, e->machine, &why);
		if (!hit) {
			miss(w, obj, name, RULE_NEEDED_ABSOLUTE_PATH,
			     "absolute DT_NEEDED path does not resolve inside the tree");
			goto out;
		}
		strbuf_addstr(&path, name);
	}
	if (!hit && !e->runpath) {
		/* the object itself, then the objects that loaded it, up to the root */
		for (j = idx; j != (size_t)-1 && !hit; j = w->queue[j].loader) {
			const struct loaded *l = &w->queue[j];
			if (!l->obj->elf->rpath || l->obj->elf->runpath)
				continue;
			hit = try_list(w, l->obj->elf->rpath,
				       j == idx ? "RPATH" : "RPATH of loader", l->origin,
				       e, name, &tried, &path);
			if (hit && j != idx && w->env->via_loader)
				w->env->via_loader(w->env->ctx, obj, name, l->obj);
		}
	}
	if (!hit && e->runpath)
		hit = try_list(w, e->runpath, "RUNPATH", w->queue[idx].origin, e, name,
			       &tried, &path);
	if (!hit) {
		if (ldso_allowed(w->env, name)) {
			strmap_put(&w->names, name, NULL);
			goto out;
		}
		if (!tried.len)
			strbuf_addstr(&tried, "no RPATH or RUNPATH");
		strbuf_addstr(&tried, "; not on the system-library allowlist");
		miss(w, obj, name, RULE_NEEDED_UNRESOLVED, tried.buf);
		goto out;
	}
	w->found++;
	strmap_put(&w->names, name, NULL);
	if (hit->elf->soname)
		strmap_put(&w->names, hit->elf->soname, NULL);
	if (!strmap_has(&w->visited, hit->rel)) {
		char *slash = strrchr(path.buf, '/');
		enqueue(w, hit, xstrndup(path.buf, (size_t)(slash - path.buf)), idx);
	}
	if (w->env->loaded)
		w->env->loaded(w->env->ctx, hit, obj);
out:
	strbuf_release(&tried);
	strbuf_release(&path);
}

size_t ldso_resolve(const struct ldso_env *env, const struct ldso_object *root,
		    struct strmap *seen)
{
	struct walk w;
	struct strbuf origin = STRBUF_INIT;
	const char *slash = strrchr(root->rel, '/');
	size_t i, k;

	memset(&w, 0, sizeof(w));
	w.env = env;
	w.root = root;
	w.seen = seen;
	strmap_init(&w.names);
	strmap_init(&w.visited);
	strbuf_addstr(&origin, env->root);
	if (slash) {
		strbuf_addch(&origin, '/');
		strbuf_add(&origin, root->rel, (size_t)(slash - root->rel));
	}
	if (root->elf->soname)
		strmap_put(&w.names, root->elf->soname, NULL);
	enqueue(&w, root, strbuf_detach(&origin), (size_t)-1);
	/*
	 * Breadth first, as glibc maps dependencies: all of an object's
	 * DT_NEEDED are loaded before any of theirs, which decides what is
	 * "already loaded" when a library is needed twice. Each object is
	 * loaded once, so the queue is bounded by the tree and no depth
	 * limit can hide a miss.
	 */
	for (i = 0; i < w.nr; i++)
		for (k = 0; k < w.queue[i].obj->elf->nr_needed; k++)
			load_needed(&w, i, w.queue[i].obj->elf->needed[k]);
	for (i = 0; i < w.nr; i++)
		free(w.queue[i].origin);
	free(w.queue);
	strmap_release(&w.names);
	strmap_release(&w.visited);
	return w.found;
}
