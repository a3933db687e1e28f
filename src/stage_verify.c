/*
 * verify: the relocatability gate.
 *
 * For each tarball: extract once (archive.c, secure mode), scan the tree
 * once (every ELF parsed with elf.c, build-prefix strings graded), then
 * rename() the tree to N random prefixes in turn and, at each, check every
 * RPATH/RUNPATH entry and resolve every DT_NEEDED with the loader
 * simulation (ldso.c), probing the real file system at that prefix.
 * Nothing from the tree is ever executed.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "archive.h"
#include "bases.h"
#include "elf.h"
#include "fsutil.h"
#include "infer.h"
#include "ldso.h"
#include "package.h"
#include "rules.h"
#include "signals.h"
#include "stages.h"
#include "strmap.h"
#include "symver.h"


const struct opt verify_opts[] = {
	{ "prefixes", OPT_VALUE, "N", "random prefixes to check at (default 3)" },
	{ "allow-system-lib", OPT_LIST, "PATTERN",
	  "also treat libraries matching PATTERN (fnmatch) as provided by the system" },
	{ "build-prefix", OPT_LIST, "PATH",
	  "where the tree was built/installed (default " SF_DEFAULT_PREFIX ")" },
	{ "tree", OPT_VALUE | OPTF_INPUT, "DIR", "check DIR in place instead of tarballs (no relocation)" },
	{ "allow-empty", OPT_FLAG, NULL, "pass a tree with no ELF file and no script (data only); "
	  "by default that is a failed gate (tree-empty)" },
	{ "work-dir", OPT_VALUE, "DIR",
	  "where to extract (default $TMPDIR; else /dev/shm while the tree fits in half "
	  "of its free room and of free memory, moving to /var/tmp when it does not)" },
	{ "max-entries", OPT_VALUE, "N", "refuse archives with more entries (default 1000000)" },
	{ "max-bytes", OPT_VALUE, "SIZE", "refuse trees larger than SIZE (default 64G)" },
	{ "max-entry-bytes", OPT_VALUE, "SIZE", "refuse single entries larger than SIZE (default 16G)" },
	{ "max-glibc", OPT_VALUE, "VERSION",
	  "fail when a file needs a newer GLIBC_ symbol version from the system (e.g. 2.28)" },
	{ "max-glibcxx", OPT_VALUE, "VERSION",
	  "the same for libstdc++'s GLIBCXX_ (e.g. 3.4.25); also limits CXXABI_" },
	{ "target", OPT_VALUE, "NAME",
	  "both limits from a distribution release (rhel8, ubuntu22.04, debian12, ...; "
	  "an unknown NAME lists them)" },
	{ "manifest", OPT_VALUE | OPTF_INPUT, "FILE",
	  "the package's manifest.json: its host_provided libraries (GPU drivers, the node's "
	  "PMIx) are accepted as the system's, and must not be in the tree (in a run: the "
	  "manifest package wrote)" },
	{ "no-leak-scan", OPT_FLAG, NULL, "skip the build-prefix string scan" },
	{ "keep", OPT_FLAG, NULL, "keep the extracted tree (its path is in the report)" },
	{ NULL, 0, NULL, NULL },
};

/* the most libraries a manifest may declare host-provided */
#define HOST_PROVIDED_MAX 64

struct vfile {
	char *rel;
	struct elf_info elf;
	struct ldso_object obj;
};

struct vopts {
	char **prefixes_bp;           /* build prefixes */
	size_t nr_bp;
	char **allow;                 /* default + user patterns + host-provided names */
	size_t nr_allow;
	const char *manifest;         /* --manifest */
	char **host;                  /* the manifest's host_provided names (owned) */
	size_t nr_host;
	unsigned long nr_prefixes;
	struct extract_limits limits;
	const char *work_dir;
	const char *disk_dir;         /* where to start again when work_dir (RAM) is full */
	const char *tree;             /* --tree: check in place */
	struct symver_limits symver;  /* --max-glibc, --max-glibcxx, --target */
	int leak_scan;
	int keep;
	int allow_empty;              /* --allow-empty */
};

struct tree {
	struct vfile **elfs;
	size_t nr_elfs, alloc_elfs;
	struct strmap by_rel;
	size_t nr_files, nr_symlinks, nr_dirs;
	unsigned long long bytes;
	int uses_platform;            /* an RPATH/RUNPATH entry names $PLATFORM */
	int cls;                      /* of the first dynamic ELF file: $PLATFORM values */
	unsigned machine;
	struct check *elf_check;      /* malformed ELF, PT_INTERP */
	struct check *leak_check;     /* build-prefix strings */
	struct check *entries_check;  /* --tree: what extraction would refuse */
	struct check *floor_check;    /* the glibc floor */
	struct symver *floor_max;     /* the newest of every tree checked, per family */
	const struct vopts *opts;
	struct strmap paths;          /* every path of the tree (relative) */
	struct infer inf;             /* build prefixes the tree gives away */
	size_t nr_scripts;            /* text files with a #! line */
	int root_fd;                  /* the tree's root, while it is scanned */
	/* the second walk: only the inferred prefixes' strings */
	char **scan_bp;
	size_t nr_scan_bp;
	int rescan;
};

static void tree_init(struct tree *t, const struct vopts *o, struct symver *floor_max)
{
	memset(t, 0, sizeof(*t));
	strmap_init(&t->by_rel);
	strmap_init(&t->paths);
	infer_init(&t->inf);
	t->opts = o;
	t->root_fd = -1;
	t->scan_bp = o->prefixes_bp;
	t->nr_scan_bp = o->nr_bp;
	t->floor_max = floor_max;
}

static void tree_release(struct tree *t)
{
	size_t i;

	for (i = 0; i < t->nr_elfs; i++) {
		free(t->elfs[i]->rel);
		elf_info_release(&t->elfs[i]->elf);
		free(t->elfs[i]);
	}
	free(t->elfs);
	strmap_release(&t->by_rel);
	strmap_release(&t->paths);
	infer_release(&t->inf);
	if (t->scan_bp != t->opts->prefixes_bp)
		free(t->scan_bp);
}

/* --- build-prefix strings ------------------------------------------- */

static int has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/*
 * A modulefile (Lmod Lua, or Tcl: "#%Module") that takes its root from the
 * environment, whose line at `hit` only assigns a variable the build prefix
 * ("local build_prefix = ...", "set build_prefix ..."): a default used when
 * $SLURM_INSTALL_PREFIX is unset, not a leak. Graded the same for both.
 */
static int module_default(const char *rel, const char *buf, size_t len, size_t hit)
{
	int tcl = len >= 8 && !memcmp(buf, "#%Module", 8);
	int lua = has_suffix(rel, ".lua") && (memmem(buf, len, "prepend_path(", 13) ||
					      memmem(buf, len, "whatis(", 7));
	size_t start = hit;
	const char *line;

	if (!tcl && !lua)
		return 0;
	if (lua ? !memmem(buf, len, "os.getenv(", 10) :
	    !memmem(buf, len, "::env(", 6) && !memmem(buf, len, "$env(", 5))
		return 0;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	line = buf + start;
	if (lua)
		return !strncmp(line, "local ", 6) && memchr(line, '=', hit - start);
	return !strncmp(line, "set ", 4);
}

/* Configuration files by their place or name (etc/, *.conf, modulefiles, ...). */
static int is_config_path(const char *rel)
{
	return !strncmp(rel, "etc/", 4) || strstr(rel, "/etc/") || has_suffix(rel, ".conf") ||
	       has_suffix(rel, ".cfg") || has_suffix(rel, ".ini") || has_suffix(rel, ".lua") ||
	       has_suffix(rel, ".tcl") || has_suffix(rel, ".yaml") || has_suffix(rel, ".yml") ||
	       has_suffix(rel, ".json") || has_suffix(rel, ".sh") || strstr(rel, "modulefiles/");
}

static enum rule_id text_rule(const char *rel, const char *buf, size_t len,
			      size_t hit, mode_t mode)
{
	const char *nl;

	if (len >= 2 && buf[0] == '#' && buf[1] == '!') {
		nl = memchr(buf, '\n', len);
		if (!nl || (size_t)(nl - buf) > hit)
			return RULE_LEAK_SHEBANG;
		return RULE_LEAK_SCRIPT;
	}
	if (has_suffix(rel, ".pc"))
		return RULE_LEAK_PKGCONFIG;
	if (has_suffix(rel, ".la"))
		return RULE_LEAK_LIBTOOL;
	if (mode & 0111)
		return RULE_LEAK_SCRIPT;
	if (module_default(rel, buf, len, hit))
		return RULE_LEAK_MODULE_DEFAULT;
	if (is_config_path(rel))
		return RULE_LEAK_CONFIG;
	return RULE_LEAK_TEXT;
}

static enum rule_id elf_rule(enum elf_region r)
{
	switch (r) {
	case REGION_DYNSTR: return RULE_LEAK_ELF_DYNSTR;
	case REGION_INTERP: return RULE_LEAK_ELF_INTERP;
	case REGION_RODATA: return RULE_LEAK_ELF_RODATA;
	case REGION_DEBUG:
	case REGION_SYMTAB: return RULE_LEAK_ELF_DEBUG;
	case REGION_OTHER: return RULE_LEAK_ELF_OTHER;
	}
	return RULE_LEAK_ELF_OTHER;
}

/* The string (ELF) or line (text) around a hit, for the finding's entry. */
static void context(struct strbuf *out, const char *buf, size_t len, size_t hit,
		    int elf)
{
	size_t a = hit, b = hit;
	char stop = elf ? '\0' : '\n';

	while (a > 0 && hit - a < 160 && buf[a - 1] != stop && (elf || buf[a - 1] != '\0'))
		a--;
	while (b < len && b - hit < 200 && buf[b] != stop && buf[b] != '\0')
		b++;
	strbuf_add(out, buf + a, b - a);
}

static void scan_leaks(struct tree *t, const char *rel, const char *buf, size_t len,
		       const struct elf_info *elf, mode_t mode)
{
	enum rule_id reported[16];
	size_t nr_reported = 0, i, j;
	int is_text = !elf && !memchr(buf, '\0', len < 8192 ? len : 8192);

	for (i = 0; i < t->nr_scan_bp; i++) {
		const char *bp = t->scan_bp[i];
		size_t bl = strlen(bp), off = 0;

		if (bl < 2)
			continue;
		while (off + bl <= len) {
			const char *p = memmem(buf + off, len - off, bp, bl);
			enum rule_id rule;
			struct strbuf ctx = STRBUF_INIT, msg = STRBUF_INIT;
			size_t hit;
			int dup = 0;

			if (!p)
				break;
			hit = (size_t)(p - buf);
			off = hit + bl;
			if (elf)
				rule = elf_rule(elf_region_at(elf, hit));
			else if (is_text)
				rule = text_rule(rel, buf, len, hit, mode);
			else
				rule = RULE_LEAK_BINARY;
			for (j = 0; j < nr_reported; j++)
				if (reported[j] == rule)
					dup = 1;
			if (dup)
				continue;
			if (nr_reported < 16)
				reported[nr_reported++] = rule;
			context(&ctx, buf, len, hit, elf || !is_text);
			strbuf_addf(&msg, "%sbuild prefix '%s' %s at offset %zu",
				    t->rescan ? "inferred " : "", bp,
				    elf ? "in an ELF string" : is_text ? "in text" : "in binary data",
				    hit);
			rule_report(t->leak_check, rule, rel, ctx.buf, msg.buf);
			strbuf_release(&ctx);
			strbuf_release(&msg);
			if (!elf)
				break; /* text files: one finding says it */
		}
	}
}

/* --- the one scan of the tree ---------------------------------------- */

static void add_elf(struct tree *t, const char *rel, const char *buf, size_t len)
{
	struct vfile *f = xcalloc(1, sizeof(*f));
	struct strbuf err = STRBUF_INIT;
	size_t i;

	f->rel = xstrdup(rel);
	if ((t->opts->leak_scan ? elf_parse : elf_parse_dynamic)(buf, len, &f->elf, &err)) {
		rule_report(t->elf_check, RULE_ELF_MALFORMED, rel, NULL, err.buf);
		elf_info_release(&f->elf);
		free(f->rel);
		free(f);
		strbuf_release(&err);
		return;
	}
	strbuf_release(&err);
	if (f->elf.interp) {
		int bad = f->elf.interp[0] != '/';
		for (i = 0; i < t->opts->nr_bp && !bad; i++)
			if (strstr(f->elf.interp, t->opts->prefixes_bp[i]))
				bad = 1;
		if (bad)
			rule_report(t->elf_check, RULE_ELF_INTERP_LEAK, rel, f->elf.interp,
				    "PT_INTERP will not exist at another prefix");
	}
	f->obj.rel = f->rel;
	f->obj.elf = &f->elf;
	if (f->elf.rpath)
		infer_scan_rpath(&t->inf, rel, f->elf.rpath, "DT_RPATH");
	if (f->elf.runpath)
		infer_scan_rpath(&t->inf, rel, f->elf.runpath, "DT_RUNPATH");
	if ((f->elf.rpath && strstr(f->elf.rpath, "PLATFORM")) ||
	    (f->elf.runpath && strstr(f->elf.runpath, "PLATFORM")))
		t->uses_platform = 1;
	if (!t->machine && f->elf.dynamic) {
		t->cls = f->elf.cls;
		t->machine = f->elf.machine;
	}
	xgrow((void **)&t->elfs, &t->alloc_elfs, t->nr_elfs + 1, sizeof(*t->elfs));
	t->elfs[t->nr_elfs++] = f;
	strmap_put(&t->by_rel, f->rel, f);
}

/* What secure extraction refuses, found on disk by verify --tree. */
static void entry_finding(struct tree *t, enum rule_id rule, const char *rel, const char *msg)
{
	rule_report(t->entries_check, rule, rel, NULL, msg);
}

/* A script: its #! line, when the interpreter exists on the build machine only. */
static void check_shebang(struct tree *t, const char *rel, const char *buf, size_t len)
{
	char interp[4096];

	t->nr_scripts++;
	infer_shebang(buf, len, interp, sizeof(interp));
	if (infer_shebang_foreign(interp))
		rule_report(t->leak_check, RULE_SHEBANG_FOREIGN, rel, interp,
			    "the #! interpreter is outside /bin, /usr/bin, /sbin, /usr/sbin, "
			    "/usr/local/bin, /usr/local/sbin and /usr/libexec");
}

/* The leak scan of one mapped file; the second walk: only that, for inferred prefixes. */
static void leaks_of(struct tree *t, const char *rel, const char *buf, size_t len, int is_elf,
		     mode_t mode)
{
	const struct vfile *f = is_elf ? strmap_get(&t->by_rel, rel) : NULL;
	struct elf_info none;

	elf_info_init(&none);
	if (!t->rescan && !is_elf && !memchr(buf, '\0', len < 8192 ? len : 8192))
		infer_scan_text(&t->inf, rel, buf, len, is_config_path(rel));
	scan_leaks(t, rel, buf, len, f ? &f->elf : is_elf ? &none : NULL, mode);
}

static int scan_file(struct tree *t, int dirfd, const char *name, const char *rel,
		     struct strbuf *err)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	unsigned char magic[4];
	char *map;
	size_t len;
	int is_elf;

	if (fd < 0) {
		strbuf_addf(err, "cannot open '%s': %s", rel, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	if (!t->rescan) {
		t->nr_files++;
		t->bytes += (unsigned long long)st.st_size;
		if (t->entries_check && (st.st_mode & (S_ISUID | S_ISGID))) {
			struct strbuf msg = STRBUF_INIT;
			strbuf_addf(&msg, "setuid/setgid bit (mode %04o)",
				    (unsigned)(st.st_mode & 07777));
			entry_finding(t, RULE_EXTRACT_SETUID, rel, msg.buf);
			strbuf_release(&msg);
		}
	}
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	len = (size_t)st.st_size;
	if (!t->opts->leak_scan) {
		/* header first: most files of a big tree are not ELF */
		ssize_t n = pread(fd, magic, 4, 0);
		if (n >= 2 && magic[0] == '#' && magic[1] == '!')
			t->nr_scripts++;
		if (n != 4 || !elf_is_elf(magic, 4)) {
			close(fd);
			return 0;
		}
	}
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		strbuf_addf(err, "cannot map '%s': %s", rel, strerror(errno));
		return -1;
	}
	is_elf = elf_is_elf(map, len);
	if (!t->rescan && is_elf)
		add_elf(t, rel, map, len);
	else if (!t->rescan && t->opts->leak_scan && len >= 2 && map[0] == '#' && map[1] == '!')
		check_shebang(t, rel, map, len);
	else if (!t->rescan && ((len >= 8 && !memcmp(map, "#%Module", 8)) || has_suffix(rel, ".lua")))
		t->nr_scripts++;        /* modulefiles are code too: Lmod runs them */
	if (t->opts->leak_scan)
		leaks_of(t, rel, map, len, is_elf, st.st_mode);
	munmap(map, len);
	return 0;
}

/* --tree: the entries extraction would have refused. */
static void check_entry(struct tree *t, unsigned char type, const char *rel)
{
	if (!t->entries_check || t->rescan)
		return;
	if (type == DT_LNK && t->root_fd >= 0 && archive_link_escapes(t->root_fd, rel))
		entry_finding(t, RULE_EXTRACT_SYMLINK_ESCAPE, rel,
			      "symlink resolves outside the tree (following every link it "
			      "passes through)");
	else if (type == DT_FIFO || type == DT_SOCK)
		entry_finding(t, RULE_EXTRACT_SPECIAL_FILE, rel, "a FIFO or socket in the tree");
	else if (type == DT_CHR || type == DT_BLK)
		entry_finding(t, RULE_EXTRACT_DEVICE_NODE, rel, "a device node in the tree");
}

/* One entry of the tree: files are scanned, every path kept, directories and symlinks counted. */
static int scan_entry(void *ctx, int dir_fd, const char *name, const char *rel,
		      unsigned char type, struct strbuf *err)
{
	struct tree *t = ctx;

	if (signals_interrupted())
		return 1;
	if (!t->rescan) {
		strmap_put(&t->paths, rel, NULL);
		if (type == DT_DIR)
			t->nr_dirs++;
		else if (type == DT_LNK)
			t->nr_symlinks++;
	}
	check_entry(t, type, rel);
	if (type == DT_REG)
		return scan_file(t, dir_fd, name, rel, err);
	return 0;
}

static int cmp_vfile(const void *a, const void *b)
{
	return strcmp((*(struct vfile *const *)a)->rel, (*(struct vfile *const *)b)->rel);
}

/*
 * The build prefixes the tree gives away, reported once each; their
 * strings are then looked for in a second walk, graded like
 * --build-prefix's. Returns the second walk's result.
 */
static int scan_inferred(struct tree *t, const char *root, struct strbuf *err)
{
	struct strbuf msg = STRBUF_INIT;
	size_t i;
	int ret;

	infer_resolve(&t->inf, &t->paths, t->opts->prefixes_bp, t->opts->nr_bp);
	if (!t->inf.nr_found)
		return 0;
	t->scan_bp = xcalloc(t->inf.nr_found, sizeof(*t->scan_bp));
	for (i = 0; i < t->inf.nr_found; i++) {
		const struct infer_prefix *f = &t->inf.found[i];
		strbuf_reset(&msg);
		strbuf_addf(&msg, "build prefix '%s' inferred from the %s path '%s' (its tail "
			    "is in the tree)", f->prefix, f->kind, f->evidence);
		rule_report(t->leak_check, RULE_LEAK_INFERRED_PREFIX, f->rel, f->prefix, msg.buf);
		t->scan_bp[i] = f->prefix;
	}
	t->nr_scan_bp = t->inf.nr_found;
	t->rescan = 1;
	ret = fs_walk(root, scan_entry, t, err) < 0 ? -1 : 0;
	t->rescan = 0;
	strbuf_release(&msg);
	return ret;
}

static int scan_tree(struct tree *t, const char *root, struct strbuf *err)
{
	int ret;

	/* for --tree's symlink checks (the walk opens the root on its own) */
	t->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = fs_walk(root, scan_entry, t, err) < 0 ? -1 : 0;
	/* readdir order is arbitrary: sort so reports are stable */
	if (t->nr_elfs)
		qsort(t->elfs, t->nr_elfs, sizeof(*t->elfs), cmp_vfile);
	if (!ret && t->opts->leak_scan && !signals_interrupted())
		ret = scan_inferred(t, root, err);
	if (t->root_fd >= 0)
		close(t->root_fd);
	t->root_fd = -1;
	return ret;
}

/* --- checks at one prefix ------------------------------------------- */

/* A library that did not resolve, for which values of $PLATFORM. */
struct miss_rec {
	const struct ldso_object *req, *root;
	char *needed, *why;
	enum rule_id rule;
	unsigned mask;               /* bit i: missed when $PLATFORM is platforms[i] */
};

struct at_prefix {
	struct tree *tree;
	char *root;                  /* realpath of the tree root here */
	size_t rootlen;
	struct strmap cache;         /* candidate -> vfile or a sentinel */
	struct check *needed;
	unsigned platform_bit;       /* the $PLATFORM value being resolved */
	struct strmap by_miss;       /* "req\nname" -> index + 1 in misses */
	struct miss_rec *misses;
	size_t nr_misses, alloc_misses;
	/* loader chains: what the programs and unlinked objects loaded */
	struct strmap loaded;        /* rel -> the vfile that loaded it first */
	struct strmap via;           /* "req\nname" -> the loader whose RPATH had it */
	int alone;                   /* resolving a loaded library on its own */
	struct strmap alone_miss;    /* "req\nname" missed alone (value: the vfile req) */
	int env_errno;               /* a lookup failed for a reason of this machine */
	char *env_path;
};

static char miss_missing, miss_outside, miss_notelf;

static void *probe(struct at_prefix *p, const char *path)
{
	void *hit = strmap_get(&p->cache, path);
	char *real;

	if (hit)
		return hit;
	real = realpath(path, NULL);
	if (!real) {
		/*
		 * Missing is the tree's answer; a name too long for this work
		 * directory, a permission or memory problem is this machine's.
		 */
		if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP && !p->env_errno) {
			p->env_errno = errno;
			p->env_path = xstrdup(path);
		}
		hit = &miss_missing;
	} else if (strncmp(real, p->root, p->rootlen) ||
		   (real[p->rootlen] != '/' && real[p->rootlen] != '\0')) {
		hit = &miss_outside;
	} else {
		hit = strmap_get(&p->tree->by_rel, real + p->rootlen + (real[p->rootlen] == '/'));
		/* in the tree but not a parsed ELF file: a directory, text, ... */
		if (!hit)
			hit = &miss_notelf;
	}
	free(real);
	strmap_put(&p->cache, path, hit);
	return hit;
}

static const struct ldso_object *lookup(void *ctx, const char *path, int cls,
					unsigned machine, enum ldso_miss *why)
{
	struct at_prefix *p = ctx;
	void *hit = probe(p, path);
	struct vfile *f;

	if (hit == &miss_missing) {
		*why = LDSO_MISSING;
		return NULL;
	}
	if (hit == &miss_outside) {
		*why = LDSO_OUTSIDE;
		return NULL;
	}
	if (hit == &miss_notelf) {
		*why = LDSO_WRONG_CLASS;
		return NULL;
	}
	f = hit;
	if (f->elf.cls != cls || f->elf.machine != machine || f->elf.type != ET_DYN) {
		*why = LDSO_WRONG_CLASS;
		return NULL;
	}
	return &f->obj;
}

/* Collects a miss of the current $PLATFORM run; reported by report_misses(). */
static void unresolved(void *ctx, const struct ldso_object *req, const char *needed,
		       enum rule_id rule, const char *why, const struct ldso_object *root)
{
	struct at_prefix *p = ctx;
	struct strbuf key = STRBUF_INIT;
	uintptr_t idx;

	strbuf_addf(&key, "%s\n%s", req->rel, needed);
	if (p->alone) {
		/* judged later, against what its loaders resolved */
		(void)rule;
		(void)why;
		(void)root;
		strmap_put(&p->alone_miss, key.buf, (void *)req);
		strbuf_release(&key);
		return;
	}
	idx = (uintptr_t)strmap_get(&p->by_miss, key.buf);
	if (!idx) {
		struct miss_rec *m;
		xgrow((void **)&p->misses, &p->alloc_misses, p->nr_misses + 1,
		      sizeof(*p->misses));
		m = &p->misses[p->nr_misses++];
		memset(m, 0, sizeof(*m));
		m->req = req;
		m->root = root;
		m->needed = xstrdup(needed);
		m->rule = rule;
		m->why = xstrdup(why);
		idx = p->nr_misses;
		strmap_put(&p->by_miss, key.buf, (void *)idx);
	}
	p->misses[idx - 1].mask |= p->platform_bit;
	strbuf_release(&key);
}

/* Names of the platforms in `mask`, "a, b". */
static void platform_names(const char *const *plats, unsigned mask, struct strbuf *out)
{
	size_t i;

	for (i = 0; plats[i]; i++)
		if (mask & (1u << i))
			strbuf_addf(out, "%s%s", out->len ? ", " : "", plats[i]);
}

/*
 * One finding per library that did not resolve: for every value of
 * $PLATFORM (or when nothing depends on it) under the loader's own rule,
 * for some values only as needed-cpu-dependent: it loads on some CPUs and
 * not on others.
 */
static void report_misses(struct at_prefix *p, const char *const *plats, unsigned all)
{
	struct strbuf msg = STRBUF_INIT, names = STRBUF_INIT;
	size_t i;

	for (i = 0; i < p->nr_misses; i++) {
		struct miss_rec *m = &p->misses[i];
		int some = m->mask != all;

		strbuf_reset(&msg);
		strbuf_addf(&msg, "'%s' cannot be found", m->needed);
		if (some) {
			strbuf_reset(&names);
			platform_names(plats, m->mask, &names);
			strbuf_addf(&msg, " when $PLATFORM is %s (the CPU decides)", names.buf);
		}
		if (m->root != m->req)
			strbuf_addf(&msg, " (loaded through %s)", m->root->rel);
		strbuf_addf(&msg, "; searched: %s", m->why);
		rule_report(p->needed, some ? RULE_NEEDED_CPU_DEPENDENT : m->rule, m->req->rel,
			    m->needed, msg.buf);
		free(m->needed);
		free(m->why);
	}
	free(p->misses);
	p->misses = NULL;
	p->nr_misses = p->alloc_misses = 0;
	strbuf_release(&msg);
	strbuf_release(&names);
}

static void on_loaded(void *ctx, const struct ldso_object *obj, const struct ldso_object *loader)
{
	struct at_prefix *p = ctx;

	if (!p->alone && !strmap_has(&p->loaded, obj->rel))
		strmap_put(&p->loaded, obj->rel, (void *)loader);
}

static void on_via_loader(void *ctx, const struct ldso_object *req, const char *needed,
			  const struct ldso_object *loader)
{
	struct at_prefix *p = ctx;
	struct strbuf key = STRBUF_INIT;

	strbuf_addf(&key, "%s\n%s", req->rel, needed);
	if (!p->alone && !strmap_has(&p->via, key.buf))
		strmap_put(&p->via, key.buf, (void *)loader);
	strbuf_release(&key);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A library the tree links resolved in the chains that load it but not on
 * its own: fine for these programs, fragile for a program that links it
 * without their RPATH. One warning per (library, name), the loader named.
 */
static void report_alone_misses(struct at_prefix *p)
{
	struct strbuf msg = STRBUF_INIT;
	char **keys = xcalloc(p->alone_miss.nr + 1, sizeof(*keys));
	size_t i, n = 0;

	for (i = 0; i < p->alone_miss.alloc; i++)
		if (p->alone_miss.slots[i].key &&
		    !strmap_has(&p->by_miss, p->alone_miss.slots[i].key))
			keys[n++] = p->alone_miss.slots[i].key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		const struct ldso_object *req = strmap_get(&p->alone_miss, keys[i]);
		const struct ldso_object *via = strmap_get(&p->via, keys[i]);
		const struct ldso_object *by = strmap_get(&p->loaded, req->rel);
		const char *needed = strchr(keys[i], '\n') + 1;

		strbuf_reset(&msg);
		if (via)
			strbuf_addf(&msg, "'%s' is found only through the DT_RPATH of %s, which "
				    "loads %s", needed, via->rel, req->rel);
		else
			strbuf_addf(&msg, "'%s' is there only because %s loaded it first (%s "
				    "is loaded through %s)", needed, by ? by->rel : "its loader",
				    req->rel, by ? by->rel : "a loader");
		strbuf_addstr(&msg, ": fine for the programs of this tree, but a program that "
			      "links it without that RPATH cannot load it");
		rule_report(p->needed, RULE_NEEDED_VIA_LOADER, req->rel, needed, msg.buf);
		if (via)
			strbuf_addf(&p->needed->details, "%s: %s found through the DT_RPATH of "
				    "loader %s\n", req->rel, needed, via->rel);
	}
	free(keys);
	strbuf_release(&msg);
}

/* Programs: an interpreter (PT_INTERP) or a fixed-address executable. */
static int is_program(const struct vfile *f)
{
	return f->elf.type == ET_EXEC || f->elf.interp != NULL;
}

/* Every DT_NEEDED name of the tree: what it links. */
static void linked_names(const struct tree *t, struct strmap *names)
{
	size_t i, k;

	for (i = 0; i < t->nr_elfs; i++)
		for (k = 0; k < t->elfs[i]->elf.nr_needed; k++)
			strmap_put(names, t->elfs[i]->elf.needed[k], NULL);
}

/* 1 when something in the tree links `f` (by its soname or its file name). */
static int is_linked(const struct vfile *f, const struct strmap *names)
{
	const char *slash = strrchr(f->rel, '/');

	return (f->elf.soname && strmap_has(names, f->elf.soname)) ||
	       strmap_has(names, slash ? slash + 1 : f->rel);
}

/*
 * Resolves the tree's DT_NEEDED for one value of $PLATFORM, the way the
 * objects are really loaded: programs, and objects nothing in the tree
 * links (dlopen()ed plugins, public libraries), on their own; libraries
 * the tree links in the chains of the objects that load them (glibc
 * searches the DT_RPATH of every loader up the chain), and then on their
 * own only for a warning. A linked library no chain loaded is judged on
 * its own. Returns the in-tree loads; *roots the objects resolved.
 */
static size_t resolve_tree(struct at_prefix *p, struct ldso_env *env, const struct strmap *names,
			   struct strmap *seen, size_t *roots)
{
	struct tree *t = p->tree;
	size_t i, found = 0;

	*roots = 0;
	for (i = 0; i < t->nr_elfs && !signals_interrupted(); i++) {
		const struct vfile *f = t->elfs[i];
		if (!f->elf.dynamic || (f->elf.type != ET_EXEC && f->elf.type != ET_DYN))
			continue;
		if (!is_program(f) && is_linked(f, names))
			continue;
		(*roots)++;
		found += ldso_resolve(env, &f->obj, seen);
	}
	for (i = 0; i < t->nr_elfs && !signals_interrupted(); i++) {
		const struct vfile *f = t->elfs[i];
		struct strmap own;
		if (!f->elf.dynamic || f->elf.type != ET_DYN || is_program(f) ||
		    !is_linked(f, names))
			continue;
		if (!strmap_has(&p->loaded, f->rel)) {
			(*roots)++;
			found += ldso_resolve(env, &f->obj, seen);
			continue;
		}
		strmap_init(&own);
		p->alone = 1;
		ldso_resolve(env, &f->obj, &own);
		p->alone = 0;
		strmap_release(&own);
	}
	return found;
}

/* 1 when the expanded, normalised `dir` is a directory of the tree here. */
static int tree_has_dir(struct at_prefix *p, const char *dir)
{
	void *hit = probe(p, dir);
	struct stat st;

	return hit != &miss_missing && hit != &miss_outside && !stat(dir, &st) &&
	       S_ISDIR(st.st_mode);
}

static void check_entries(struct at_prefix *p, struct check *c, const struct vfile *f,
			  const char *list, const char *tag)
{
	struct strbuf exp = STRBUF_INIT, norm = STRBUF_INIT, origin = STRBUF_INIT,
		      msg = STRBUF_INIT;
	const char *s = list, *slash = strrchr(f->rel, '/');
	size_t i;

	strbuf_addstr(&origin, p->root);
	if (slash) {
		strbuf_addch(&origin, '/');
		strbuf_add(&origin, f->rel, (size_t)(slash - f->rel));
	}
	for (;;) {
		const char *end = strchr(s, ':');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		char *entry = xstrndup(s, n);
		int flags;

		strbuf_reset(&msg);
		if (!n) {
			strbuf_addf(&msg, "%s '%s' has an empty entry: the loader searches "
				    "the current directory", tag, list);
			rule_report(c, RULE_RPATH_EMPTY_ENTRY, f->rel, list, msg.buf);
			goto next;
		}
		flags = ldso_expand(entry, origin.buf, f->elf.cls, f->elf.machine, NULL, &exp);
		if (flags & LDSO_UNKNOWN_TOKEN) {
			strbuf_addf(&msg, "%s entry has a $TOKEN the loader does not expand", tag);
			rule_report(c, RULE_RPATH_UNKNOWN_TOKEN, f->rel, entry, msg.buf);
		}
		if (exp.buf[0] != '/') {
			strbuf_addf(&msg, "%s entry is relative: resolved against the current "
				    "directory of the process, not the file", tag);
			rule_report(c, RULE_RPATH_RELATIVE, f->rel, entry, msg.buf);
			goto next;
		}
		if (!(flags & LDSO_USES_ORIGIN)) {
			const char *bp = NULL;
			for (i = 0; i < p->tree->opts->nr_bp; i++)
				if (strstr(entry, p->tree->opts->prefixes_bp[i]))
					bp = p->tree->opts->prefixes_bp[i];
			strbuf_addf(&msg, "%s entry is absolute%s%s%s: it does not move with the tree",
				    tag, bp ? " and points into the build prefix '" : "",
				    bp ? bp : "", bp ? "'" : "");
			rule_report(c, RULE_RPATH_ABSOLUTE_OUTSIDE, f->rel, entry, msg.buf);
			goto next;
		}
		if (path_normalize(exp.buf, &norm) || strncmp(norm.buf, p->root, p->rootlen) ||
		    (norm.buf[p->rootlen] != '/' && norm.buf[p->rootlen] != '\0')) {
			strbuf_addf(&msg, "%s entry climbs out of the tree (to %s)", tag,
				    norm.len ? norm.buf : "/");
			rule_report(c, RULE_RPATH_ORIGIN_ESCAPE, f->rel, entry, msg.buf);
			goto next;
		}
		if (!(flags & LDSO_USES_PLATFORM)) {
			if (!tree_has_dir(p, norm.buf)) {
				strbuf_addf(&msg, "%s entry names a directory the tree does not "
					    "have (%s)", tag, norm.buf + p->rootlen);
				rule_report(c, RULE_RPATH_MISSING_DIR, f->rel, entry, msg.buf);
			}
		} else {
			/* the CPU picks $PLATFORM: look at every value it can take */
			const char *const *plats = ldso_platforms(f->elf.cls, f->elf.machine);
			struct strbuf names = STRBUF_INIT;
			unsigned mask = 0, all = 0;

			for (i = 0; plats[i]; i++) {
				all |= 1u << i;
				ldso_expand(entry, origin.buf, f->elf.cls, f->elf.machine,
					    plats[i], &exp);
				if (path_normalize(exp.buf, &norm) || !tree_has_dir(p, norm.buf))
					mask |= 1u << i;
			}
			platform_names(plats, mask, &names);
			if (mask == all) {
				strbuf_addf(&msg, "%s entry names a directory the tree does not "
					    "have for any $PLATFORM (%s)", tag, names.buf);
				rule_report(c, RULE_RPATH_MISSING_DIR, f->rel, entry, msg.buf);
			} else if (mask) {
				strbuf_addf(&msg, "%s entry has no directory when $PLATFORM is %s: "
					    "what it provides depends on the CPU", tag, names.buf);
				rule_report(c, RULE_RPATH_CPU_DEPENDENT, f->rel, entry, msg.buf);
			}
			strbuf_release(&names);
		}
next:
		free(entry);
		if (!end)
			break;
		s = end + 1;
	}
	strbuf_release(&exp);
	strbuf_release(&norm);
	strbuf_release(&origin);
	strbuf_release(&msg);
}

static void summarize(struct check *c, const char *pass_msg)
{
	size_t e = c->nr_by_severity[SEV_ERROR], w = c->nr_by_severity[SEV_WARNING];

	if (c->outcome == OUTCOME_ERROR)
		return;
	if (!e && !w) {
		check_set_message(c, "%s", pass_msg);
		return;
	}
	if (e) {
		const struct finding *f = NULL;
		size_t i;
		for (i = 0; i < c->nr_findings && !f; i++)
			if (c->findings[i]->severity == SEV_ERROR)
				f = c->findings[i];
		check_set_message(c, "%zu error%s, %zu warning%s; first: [%s] %s%s%s", e,
				  e == 1 ? "" : "s", w, w == 1 ? "" : "s",
				  f ? f->rule : "?", f && f->file ? f->file : "",
				  f && f->entry ? ": " : "", f && f->entry ? f->entry : "");
	} else {
		check_set_message(c, "%s (%zu warning%s)", pass_msg, w, w == 1 ? "" : "s");
	}
}

static void check_at_prefix(struct stage_report *s, struct tree *t, const char *label,
			    const char *where, const char *prefix_name)
{
	struct at_prefix p;
	struct ldso_env env;
	struct strbuf name = STRBUF_INIT;
	struct strmap seen, names;
	struct check *rc;
	const char *const *plats;
	size_t i, k, found = 0, roots = 0;
	unsigned all = 0;

	memset(&p, 0, sizeof(p));
	p.tree = t;
	strmap_init(&p.cache);
	strmap_init(&p.by_miss);
	strmap_init(&p.loaded);
	strmap_init(&p.via);
	strmap_init(&p.alone_miss);
	strmap_init(&names);
	strmap_init(&seen);
	strbuf_addf(&name, "%s: rpath [%s]", label, prefix_name);
	rc = stage_add_check(s, name.buf);
	strbuf_reset(&name);
	strbuf_addf(&name, "%s: needed [%s]", label, prefix_name);
	p.needed = stage_add_check(s, name.buf);
	p.root = realpath(where, NULL);
	if (!p.root) {
		check_fail(rc, OUTCOME_ERROR, "cannot resolve '%s': %s", where, strerror(errno));
		check_fail(p.needed, OUTCOME_ERROR, "cannot resolve '%s'", where);
		goto out;
	}
	p.rootlen = strlen(p.root);
	if (p.rootlen == 1) /* a tree at "/" */
		p.rootlen = 0;

	for (i = 0; i < t->nr_elfs && !signals_interrupted(); i++) {
		const struct vfile *f = t->elfs[i];
		if (f->elf.rpath)
			check_entries(&p, rc, f, f->elf.rpath, "DT_RPATH");
		if (f->elf.runpath)
			check_entries(&p, rc, f, f->elf.runpath, "DT_RUNPATH");
		if (f->elf.rpath && f->elf.runpath)
			rule_report(rc, RULE_RPATH_IGNORED, f->rel, f->elf.rpath,
				    "DT_RPATH is ignored by the loader because DT_RUNPATH is set");
	}
	check_finish(rc);
	strbuf_reset(&name);
	strbuf_addf(&name, "%zu ELF files at %s", t->nr_elfs, where);
	summarize(rc, name.buf);

	memset(&env, 0, sizeof(env));
	env.root = p.root;
	env.allow = t->opts->allow;
	env.nr_allow = t->opts->nr_allow;
	env.lookup = lookup;
	env.unresolved = unresolved;
	env.loaded = on_loaded;
	env.via_loader = on_via_loader;
	env.ctx = &p;
	linked_names(t, &names);
	/* once per value of $PLATFORM when an entry of the tree uses it, else once */
	plats = ldso_platforms(t->cls, t->machine);
	for (k = 0; plats[k] && (k == 0 || t->uses_platform); k++) {
		all |= 1u << k;
		env.platform = plats[k];
		p.platform_bit = 1u << k;
		strmap_release(&seen);
		strmap_init(&seen);
		found = resolve_tree(&p, &env, &names, &seen, &roots);
	}
	report_alone_misses(&p);
	report_misses(&p, plats, all);
	if (p.env_errno) {
		/* a lookup this machine could not make: no verdict on the tree */
		check_drop_findings(p.needed);
		check_fail(p.needed, OUTCOME_ERROR, "cannot look up '%s' here: %s (this machine's "
			   "limit, not the tree's: a shorter --work-dir avoids ENAMETOOLONG)",
			   p.env_path, strerror(p.env_errno));
	}
	check_finish(p.needed);
	strbuf_reset(&name);
	strbuf_addf(&name, "%zu dynamic ELF files, %zu in-tree library loads resolved at %s",
		    roots, found, where);
	summarize(p.needed, name.buf);
out:
	free(p.root);
	free(p.env_path);
	strmap_release(&p.cache);
	strmap_release(&p.by_miss);
	strmap_release(&p.loaded);
	strmap_release(&p.via);
	strmap_release(&p.alone_miss);
	strmap_release(&names);
	strmap_release(&seen);
	strbuf_release(&name);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

/* `path` with empty and "." components dropped ("./d//x.tar/" -> "d/x.tar"). */
static void path_tidy(const char *path, struct strbuf *out)
{
	const char *p = path;

	strbuf_reset(out);
	if (*path == '/')
		strbuf_addch(out, '/');
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n && !(n == 1 && *p == '.')) {
			if (out->len && out->buf[out->len - 1] != '/')
				strbuf_addch(out, '/');
			strbuf_add(out, p, n);
		}
		p += n + (p[n] == '/');
	}
}

/* 1 when the tidy path `path` ends with the components `suffix`. */
static int ends_with_components(const char *path, const char *suffix)
{
	size_t a = strlen(path), b = strlen(suffix);

	return a >= b && !strcmp(path + a - b, suffix) && (a == b || path[a - b - 1] == '/');
}

/*
 * The names the checks of each tarball carry: the shortest tail of its path
 * (whole components) that is no tail of another tarball's path, so that
 * d1/pkg.tar and d2/pkg.tar are told apart and a lone pkg.tar stays
 * "pkg.tar"; the path as given when every tail of it is another's tail
 * (b/pkg.tar next to a/b/pkg.tar). Labels are distinct unless two paths are
 * the same once tidied, which verify_parse() refuses. Pure; `labels[i]`
 * are owned by the caller.
 */
static void tarball_labels(char *const *paths, size_t nr, char **labels)
{
	struct strbuf *tidy = xcalloc(nr ? nr : 1, sizeof(*tidy));
	size_t i, j;

	for (i = 0; i < nr; i++) {
		strbuf_init(&tidy[i]);
		path_tidy(paths[i], &tidy[i]);
	}
	for (i = 0; i < nr; i++) {
		const char *t = tidy[i].buf, *cand = NULL, *p = t + tidy[i].len;

		/* tails from the base name outwards */
		while (!cand && p > t) {
			int taken = 0;

			while (p > t && p[-1] != '/')
				p--;
			for (j = 0; j < nr && !taken; j++)
				taken = j != i && ends_with_components(tidy[j].buf, p);
			if (!taken)
				cand = p;
			while (p > t && p[-1] == '/')
				p--;
		}
		labels[i] = xstrdup(cand && *cand ? cand : paths[i]);
	}
	for (i = 0; i < nr; i++)
		strbuf_release(&tidy[i]);
	free(tidy);
}

static void verify_tree_checks(struct stage_report *s, struct tree *t, const char *label)
{
	struct strbuf name = STRBUF_INIT;

	strbuf_addf(&name, "%s: elf files", label);
	t->elf_check = stage_add_check(s, name.buf);
	strbuf_reset(&name);
	strbuf_addf(&name, "%s: build-prefix strings", label);
	t->leak_check = stage_add_check(s, name.buf);
	strbuf_reset(&name);
	strbuf_addf(&name, "%s: glibc floor", label);
	t->floor_check = stage_add_check(s, name.buf);
	strbuf_release(&name);
}

static void on_too_new(void *ctx, const char *file, const char *entry, const char *message)
{
	rule_report(ctx, RULE_SYMBOL_VERSION_TOO_NEW, file, entry, message);
}

/*
 * The glibc floor of the tree: the newest symbol versions it needs from
 * the system (every ELF file counts, grafted libraries too), gated by
 * --max-glibc, --max-glibcxx and --target.
 */
static void check_floor(struct tree *t)
{
	struct check *c = t->floor_check;
	struct strbuf msg = STRBUF_INIT;
	struct symver_floor fl;
	size_t i, over;

	if (t->elf_check->outcome == OUTCOME_ERROR) {
		check_finish(c);
		c->outcome = OUTCOME_SKIPPED;
		check_set_message(c, "skipped: the tree could not be read");
		return;
	}
	symver_floor_init(&fl);
	for (i = 0; i < t->nr_elfs; i++)
		symver_floor_add(&fl, t->elfs[i]->rel, &t->elfs[i]->elf);
	symver_floor_finish(&fl);
	over = symver_floor_gate(&fl, &t->opts->symver, on_too_new, c);
	symver_floor_summary(&fl, &msg);
	if (over) {
		strbuf_addf(&msg, "; %zu file%s need%s more than the limit", over,
			    over == 1 ? "" : "s", over == 1 ? "s" : "");
	} else if (t->opts->symver.max[SYMVER_GLIBC].nr) {
		strbuf_addstr(&msg, "; within GLIBC_");
		symver_format(&msg, &t->opts->symver.max[SYMVER_GLIBC]);
		strbuf_addf(&msg, " (%s)", t->opts->symver.source[SYMVER_GLIBC] ?
			    t->opts->symver.source[SYMVER_GLIBC] : "limit");
	}
	symver_floor_details(&fl, &c->details);
	check_finish(c);
	check_set_message(c, "%s", msg.buf);
	for (i = 0; i < SYMVER_FAMILIES; i++)
		if (symver_cmp(&fl.top[i], &t->floor_max[i]) > 0)
			t->floor_max[i] = fl.top[i];
	symver_floor_release(&fl);
	strbuf_release(&msg);
}

/* A library the manifest declares host-provided must not be in the tree: any path named so. */
static void check_host_shipped(struct tree *t)
{
	size_t i, k;

	for (i = 0; i < t->paths.alloc; i++) {
		const char *rel = t->paths.slots[i].key, *base;
		if (!rel)
			continue;
		base = strrchr(rel, '/');
		base = base ? base + 1 : rel;
		for (k = 0; k < t->opts->nr_host; k++)
			if (!strcmp(base, t->opts->host[k]))
				rule_report(t->elf_check, RULE_HOST_PROVIDED_SHIPPED, rel,
					    t->opts->host[k], "the manifest declares this library "
					    "host-provided, yet the tree ships it");
	}
}

static void finish_tree_checks(struct tree *t)
{
	struct strbuf msg = STRBUF_INIT;

	check_host_shipped(t);
	/* "proven relocatable" needs something that relocation could break */
	if (!t->opts->allow_empty && !t->nr_files)
		rule_report(t->elf_check, RULE_TREE_EMPTY, NULL, NULL,
			    "the tree holds no file");
	else if (!t->opts->allow_empty && !t->nr_elfs && !t->nr_scripts)
		rule_report(t->elf_check, RULE_TREE_EMPTY, NULL, NULL,
			    "the tree holds no ELF file, no script and no modulefile");
	if (t->entries_check) {
		check_finish(t->entries_check);
		summarize(t->entries_check, "no setuid file, device, FIFO or escaping symlink");
	}
	check_finish(t->elf_check);
	strbuf_addf(&msg, "%zu files, %zu ELF files parsed, %zu symlinks", t->nr_files,
		    t->nr_elfs, t->nr_symlinks);
	summarize(t->elf_check, msg.buf);
	check_finish(t->leak_check);
	strbuf_reset(&msg);
	if (!t->opts->leak_scan) {
		t->leak_check->outcome = OUTCOME_SKIPPED;
		check_set_message(t->leak_check, "skipped (--no-leak-scan)");
	} else {
		size_t i;
		strbuf_addstr(&msg, "no build-prefix string that changes behaviour (");
		for (i = 0; i < t->opts->nr_bp; i++)
			strbuf_addf(&msg, "%s%s", i ? ", " : "", t->opts->prefixes_bp[i]);
		for (i = 0; i < t->inf.nr_found; i++)
			strbuf_addf(&msg, "%s%s", i ? ", " : "; inferred from the tree: ",
				    t->inf.found[i].prefix);
		strbuf_addstr(&msg, ")");
		summarize(t->leak_check, msg.buf);
	}
	strbuf_release(&msg);
	check_floor(t);
}

static void verify_in_place(struct stage_report *s, const struct vopts *o, const char *dir,
			    struct symver *floor_max)
{
	struct tree t;
	struct strbuf err = STRBUF_INIT;
	const char *label = base_name(dir);

	tree_init(&t, o, floor_max);
	/* in place, the rules secure extraction applies to a tarball's entries */
	strbuf_addf(&err, "%s: entries", label);
	t.entries_check = stage_add_check(s, err.buf);
	strbuf_reset(&err);
	verify_tree_checks(s, &t, label);
	if (scan_tree(&t, dir, &err)) {
		check_fail(t.elf_check, OUTCOME_ERROR, "%s", err.buf);
		finish_tree_checks(&t);
		goto out;
	}
	finish_tree_checks(&t);
	check_at_prefix(s, &t, label, dir, "in place");
out:
	stage_set_prop(s, "tree", dir);
	tree_release(&t);
	strbuf_release(&err);
}

/* Where one tarball is being checked: the scratch directory and the tree in it. */
struct place {
	struct strbuf base;           /* <work-dir>/sf-verify-XXXXXX, "" when none */
	struct strbuf cur;            /* the tree's current place */
	const char *work_dir;         /* where base is */
	int moved;                    /* started again on disk */
};

/*
 * Extracts `tarball` into a new scratch directory: in o->work_dir, and,
 * when that is memory and the tree outgrows the room it has, again on disk.
 * The extract check says how it went; 0 when the tree is there to check.
 */
static int extract_tree(const struct vopts *o, const char *tarball, struct check *xcheck,
			struct place *pl, struct extract_stats *st)
{
	struct extract_sink sink = { rule_report_entry, xcheck };
	struct strbuf err = STRBUF_INIT;
	int ret = -1;

	pl->work_dir = o->work_dir;
	for (;;) {
		struct extract_limits lim = o->limits;
		int r;

		if (!o->disk_dir || pl->work_dir == o->disk_dir)
			lim.room_bytes = 0;
		strbuf_reset(&pl->base);
		strbuf_addf(&pl->base, "%s/sf-verify-XXXXXX", pl->work_dir);
		if (!mkdtemp(pl->base.buf)) {
			check_fail(xcheck, OUTCOME_ERROR, "cannot create a work directory in "
				   "'%s': %s", pl->work_dir, strerror(errno));
			strbuf_reset(&pl->base);
			goto out;
		}
		strbuf_reset(&pl->cur);
		strbuf_addf(&pl->cur, "%s/extract", pl->base.buf);
		if (mkdir(pl->cur.buf, 0755) < 0) {
			check_fail(xcheck, OUTCOME_ERROR, "cannot create '%s': %s", pl->cur.buf,
				   strerror(errno));
			goto out;
		}
		strbuf_reset(&err);
		r = archive_extract_secure(tarball, pl->cur.buf, &lim, st, &sink, &err);
		/* memory was the wrong place for this tree: start again on disk */
		if (o->disk_dir && pl->work_dir != o->disk_dir && !signals_interrupted() &&
		    (st->out_of_room || (r && fs_is_full(pl->work_dir, NULL)))) {
			strbuf_reset(&err);
			if (fs_rmtree(pl->base.buf, &err)) {
				check_fail(xcheck, OUTCOME_ERROR, "%s", err.buf);
				goto out;
			}
			strbuf_reset(&pl->base);
			/* findings of the first attempt would be reported twice */
			check_drop_findings(xcheck);
			pl->moved = 1;
			pl->work_dir = o->disk_dir;
			continue;
		}
		if (r || st->out_of_room) {
			check_fail(xcheck, OUTCOME_ERROR, "%s", r ? err.buf :
				   "the work directory has no room for the tree");
			goto out;
		}
		ret = 0;
		goto out;
	}
out:
	strbuf_release(&err);
	return ret;
}

/* Moves the tree to the i-th random prefix: "" and 0, or -1 with a relocate error. */
static int relocate(struct stage_report *s, struct place *pl, unsigned long i)
{
	struct strbuf next = STRBUF_INIT, err = STRBUF_INIT;
	char *slash;
	int ret = -1;

	fs_random_prefix(&next, pl->base.buf, i);
	slash = strrchr(next.buf, '/');
	*slash = '\0';
	if (fs_mkdirs(next.buf, &err) < 0) {
		check_fail(stage_add_check(s, "relocate"), OUTCOME_ERROR, "%s", err.buf);
		goto out;
	}
	*slash = '/';
	/* the tree leaves its previous place: nothing there can be used */
	if (rename(pl->cur.buf, next.buf) < 0) {
		check_fail(stage_add_check(s, "relocate"), OUTCOME_ERROR,
			   "cannot move the tree to '%s': %s", next.buf, strerror(errno));
		goto out;
	}
	strbuf_reset(&pl->cur);
	strbuf_add(&pl->cur, next.buf, next.len);
	ret = 0;
out:
	strbuf_release(&next);
	strbuf_release(&err);
	return ret;
}

static void set_indexed_prop(struct stage_report *s, const char *what, unsigned idx,
			     unsigned long sub, const char *value)
{
	struct strbuf key = STRBUF_INIT;

	strbuf_addf(&key, "%s.%u", what, idx);
	if (sub)
		strbuf_addf(&key, ".%lu", sub);
	stage_set_prop(s, key.buf, value);
	strbuf_release(&key);
}

static void verify_tarball(struct stage_report *s, const struct vopts *o,
			   const char *tarball, const char *label, unsigned idx,
			   struct symver *floor_max)
{
	struct place pl = { STRBUF_INIT, STRBUF_INIT, NULL, 0 };
	struct strbuf err = STRBUF_INIT, name = STRBUF_INIT;
	struct extract_stats st;
	struct check *xcheck;
	struct tree t;
	unsigned long i;
	int r;

	tree_init(&t, o, floor_max);
	memset(&st, 0, sizeof(st));
	strbuf_addf(&name, "%s: extract", label);
	xcheck = stage_add_check(s, name.buf);
	set_indexed_prop(s, "tarball", idx, 0, tarball);
	r = extract_tree(o, tarball, xcheck, &pl, &st);
	/* what was read, from the content: "tar.gz", "deb (data.tar.xz: tar.xz)", ... */
	if (st.format[0])
		set_indexed_prop(s, "format", idx, 0, st.format);
	if (r)
		goto out;
	check_finish(xcheck);
	strbuf_reset(&name);
	strbuf_addf(&name, "%s, %zu entries: %zu files, %zu directories, %zu symlinks, "
		    "%zu hard links, %llu bytes", st.format, st.entries, st.files, st.dirs,
		    st.symlinks, st.hardlinks, st.bytes);
	if (st.inflated_with)
		strbuf_addf(&name, "; gzip inflated with %s", st.inflated_with);
	if (pl.moved)
		strbuf_addf(&name, "; extracted in %s: the tree did not fit in %s", pl.work_dir,
			    o->work_dir);
	summarize(xcheck, name.buf);
	set_indexed_prop(s, "work_dir", idx, 0, pl.work_dir);
	if (st.stopped || signals_interrupted())
		goto out;

	verify_tree_checks(s, &t, label);
	if (scan_tree(&t, pl.cur.buf, &err)) {
		check_fail(t.elf_check, OUTCOME_ERROR, "%s", err.buf);
		finish_tree_checks(&t);
		goto out;
	}
	finish_tree_checks(&t);
	for (i = 0; i < o->nr_prefixes && !signals_interrupted(); i++) {
		if (relocate(s, &pl, i))
			goto out;
		set_indexed_prop(s, "prefix", idx, i + 1, pl.cur.buf);
		strbuf_reset(&name);
		strbuf_addf(&name, "prefix %lu", i + 1);
		check_at_prefix(s, &t, label, pl.cur.buf, name.buf);
	}
out:
	if (xcheck->outcome == OUTCOME_ERROR && !xcheck->duration)
		check_finish(xcheck);
	if (signals_interrupted())
		s->interrupted = 1;
	if (pl.base.len) {
		if (o->keep && !signals_interrupted())
			set_indexed_prop(s, "kept", idx, 0, pl.cur.buf);
		else
			fs_rmtree(pl.base.buf, NULL);
	}
	tree_release(&t);
	strbuf_release(&pl.base);
	strbuf_release(&pl.cur);
	strbuf_release(&err);
	strbuf_release(&name);
}

/*
 * Where to extract when --work-dir is not given: $TMPDIR when set; else
 * /dev/shm when it is a writable tmpfs, with room for half of what it and
 * memory have free (on disk creating the files costs as much as inflating
 * them, in memory the extraction is decompression-bound). The expanded
 * size of a compressed tarball is not known before it is extracted: the
 * extraction counts it and, at the room given, starts again on disk
 * (/var/tmp, else /tmp) instead of filling memory or failing with ENOSPC.
 */
#define MIN_RAM_ROOM (64ULL << 20)

static unsigned long long mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024ULL;
}

static void default_work_dir(struct vopts *o)
{
	unsigned long long shm, mem;
	struct statfs fs;

	if (getenv("TMPDIR") && *getenv("TMPDIR")) {
		o->work_dir = fs_tmpdir();
		return;
	}
	o->disk_dir = access("/var/tmp", W_OK) == 0 ? "/var/tmp" : "/tmp";
	o->work_dir = o->disk_dir;
	if (statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC ||
	    access("/dev/shm", W_OK) != 0)
		return;
	shm = (unsigned long long)fs.f_bavail * (unsigned long long)fs.f_bsize;
	mem = mem_available();
	if (mem && mem < shm)
		shm = mem;
	if (shm / 2 < MIN_RAM_ROOM)
		return;
	o->work_dir = "/dev/shm";
	o->limits.room_bytes = shm / 2;
}

/*
 * One tarball named twice (the same path once tidied, or the same file by
 * two paths): its checks would carry one name twice. A usage mistake.
 */
static int same_tarball_twice(char *const *paths, size_t nr, struct strbuf *err)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct stat sa, sb;
	size_t i, j;
	int ret = 0;

	for (i = 0; i < nr && !ret; i++) {
		path_tidy(paths[i], &a);
		for (j = i + 1; j < nr && !ret; j++) {
			path_tidy(paths[j], &b);
			if (!strcmp(a.buf, b.buf) ||
			    (!stat(paths[i], &sa) && !stat(paths[j], &sb) &&
			     sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)) {
				strbuf_addf(err, "'%s' and '%s' are the same file: give each "
					    "tarball once", paths[i], paths[j]);
				ret = -1;
			}
		}
	}
	strbuf_release(&a);
	strbuf_release(&b);
	return ret;
}

void verify_release(void *opts)
{
	struct vopts *o = opts;

	if (!o)
		return;
	free(o->prefixes_bp);
	free(o->allow);
	for (size_t i = 0; i < o->nr_host; i++)
		free(o->host[i]);
	free(o->host);
	symver_limits_release(&o->symver);
	free(o);
}

/*
 * A run that smokes on --runtime-base releases and gives no limit of its
 * own gates on the oldest of them (its --target: glibc and libstdc++), so
 * verify refuses what smoke would see fail there. Nothing when a release
 * is not in the bases table.
 */
static int limits_from_runtimes(const struct run *run, struct symver_limits *l,
				struct strbuf *err)
{
	const char *glibc, *which;
	const struct base *b = NULL;
	char **names;
	size_t nr;
	int f;

	if (!cli_get(&run->cli, "runtime-base") || !run_walks(run, "smoke") ||
	    cli_get(&run->cli, "max-glibc") || cli_get(&run->cli, "max-glibcxx") ||
	    cli_get(&run->cli, "target"))
		return 0;
	if (run_runtime_bases(run, &names, &nr, err))
		return -1;
	if (!base_min_glibc(names, nr, &glibc, &which))
		b = base_find(which);
	base_list_free(names, nr);
	if (!b)
		return 0;
	if (symver_limits_set(l, NULL, NULL, b->target, err))
		return -1;
	for (f = 0; f < SYMVER_FAMILIES; f++) {
		char *src = l->source[f];
		if (src) {
			l->source[f] = xasprintf("--runtime-base %s: %s", b->name, src);
			free(src);
		}
	}
	return 0;
}

int verify_parse(const struct run *run, void **opts, struct strbuf *err)
{
	struct extract_limits def = EXTRACT_LIMITS_DEFAULT;
	struct vopts *o = xcalloc(1, sizeof(*o));
	char *const *v;
	size_t n, i;
	const char *s;

	*opts = o;
	o->limits = def;
	symver_limits_init(&o->symver);
	o->tree = cli_get(&run->cli, "tree");
	if (symver_limits_set(&o->symver, cli_get(&run->cli, "max-glibc"),
			      cli_get(&run->cli, "max-glibcxx"), cli_get(&run->cli, "target"), err) ||
	    limits_from_runtimes(run, &o->symver, err))
		return -1;
	if (cli_get_ulong(&run->cli, "prefixes", 1, 100, SF_DEFAULT_PREFIXES, &o->nr_prefixes,
			  err))
		return -1;
	if ((s = cli_get(&run->cli, "max-entries"))) {
		unsigned long long x;
		if (parse_size(s, &x) || !x) {
			strbuf_addf(err, "--max-entries: '%s' is not a positive number", s);
			return -1;
		}
		o->limits.max_entries = x;
	}
	if ((s = cli_get(&run->cli, "max-bytes")) && parse_size(s, &o->limits.max_total_bytes)) {
		strbuf_addf(err, "--max-bytes: '%s' is not a size (e.g. 512M, 8G)", s);
		return -1;
	}
	if ((s = cli_get(&run->cli, "max-entry-bytes")) &&
	    parse_size(s, &o->limits.max_entry_bytes)) {
		strbuf_addf(err, "--max-entry-bytes: '%s' is not a size (e.g. 512M, 8G)", s);
		return -1;
	}
	v = cli_get_all(&run->cli, "build-prefix", &n);
	o->prefixes_bp = xcalloc(n + 1, sizeof(*o->prefixes_bp));
	for (i = 0; i < n; i++) {
		if (v[i][0] != '/') {
			strbuf_addf(err, "--build-prefix: '%s' is not an absolute path", v[i]);
			return -1;
		}
		o->prefixes_bp[o->nr_bp++] = v[i];
	}
	/* none given: the build's prefix (set when verify runs), else the default */
	for (n = 0; ldso_default_allow[n]; n++)
		;
	v = cli_get_all(&run->cli, "allow-system-lib", &i);
	o->manifest = cli_get(&run->cli, "manifest");
	if (o->manifest && run_walks(run, "package")) {
		cli_describe(&run->cli, "manifest", err);
		strbuf_addstr(err, ": verify reads the manifest package writes in this run");
		return -1;
	}
	/* the host-provided names join a copy of it when verify runs (the manifest may not exist yet) */
	o->allow = xcalloc(n + i + 1, sizeof(*o->allow));
	for (n = 0; ldso_default_allow[n]; n++)
		o->allow[o->nr_allow++] = (char *)ldso_default_allow[n];
	while (i--)
		o->allow[o->nr_allow++] = v[i];
	o->work_dir = cli_get(&run->cli, "work-dir");
	if (!o->work_dir)
		default_work_dir(o);
	o->leak_scan = !cli_flag(&run->cli, "no-leak-scan");
	o->allow_empty = cli_flag(&run->cli, "allow-empty");
	o->keep = cli_flag(&run->cli, "keep");
	if (same_tarball_twice(run->pipe.args, run->pipe.nr_args, err))
		return -1;
	if (o->tree && run->pipe.nr_args) {
		strbuf_addstr(err, "give either TARBALLs or ");
		cli_describe(&run->cli, "tree", err);
		strbuf_addstr(err, ", not both");
		return -1;
	}
	if (o->tree && run_walks(run, "package")) {
		/* a --tree left in the environment must not replace what is built */
		cli_describe(&run->cli, "tree", err);
		strbuf_addstr(err, ": verify checks what package makes in this run; --tree is "
			      "for a tree in place (verify --tree DIR, or a run that skips package)");
		return -1;
	}
	return 0;
}

/*
 * The manifest's host-provided libraries (`manifest` may be NULL: none
 * declared) join the allowlist of `o`, a copy of the options: its allow
 * array becomes a new one (the caller frees it; the parsed options stay as
 * they were), and the "host-provided" check says which; -1 when the
 * manifest cannot be read (the check is an error).
 */
static int load_host_provided(struct stage_report *s, struct vopts *o, const char *manifest)
{
	struct check *c = stage_add_check(s, "host-provided");
	struct strbuf err = STRBUF_INIT, names = STRBUF_INIT;
	size_t i;
	int ret = 0;

	o->host = NULL;
	o->nr_host = 0;
	{
		char **allow = xcalloc(o->nr_allow + HOST_PROVIDED_MAX + 1, sizeof(*allow));
		memcpy(allow, o->allow, o->nr_allow * sizeof(*allow));
		o->allow = allow;
	}
	if (!manifest) {
		check_set_message(c, "no manifest: no library declared host-provided");
	} else if (package_manifest_host_provided(manifest, NULL, &o->host, &o->nr_host, &err)) {
		check_fail(c, OUTCOME_ERROR, "%s", err.buf);
		ret = -1;
	} else if (o->nr_host > HOST_PROVIDED_MAX) {
		check_fail(c, OUTCOME_ERROR, "%s declares %zu host-provided libraries (at most %d)",
			   manifest, o->nr_host, HOST_PROVIDED_MAX);
		ret = -1;
	} else if (!o->nr_host) {
		check_set_message(c, "the manifest declares no library host-provided");
	} else {
		for (i = 0; i < o->nr_host; i++) {
			strbuf_addf(&names, "%s%s", i ? ", " : "", o->host[i]);
			o->allow[o->nr_allow++] = o->host[i];
		}
		check_set_message(c, "%zu declared by the manifest, accepted from the system and "
				  "refused in the tree: %s", o->nr_host, names.buf);
		stage_set_prop(s, "host_provided", names.buf);
	}
	check_finish(c);
	strbuf_release(&err);
	strbuf_release(&names);
	return ret;
}

/* glibc_floor, glibcxx_floor, ...: the newest version of each family any tree needs. */
static void set_floor_props(struct stage_report *s, const struct symver *floor_max)
{
	struct strbuf v = STRBUF_INIT;
	size_t f;

	for (f = 0; f < SYMVER_FAMILIES; f++) {
		if (!floor_max[f].nr)
			continue;
		strbuf_reset(&v);
		symver_format(&v, &floor_max[f]);
		stage_set_prop(s, symver_family_key((enum symver_family)f), v.buf);
	}
	strbuf_release(&v);
}

int stage_verify(struct run *run, const void *opts, struct strbuf *err)
{
	struct vopts o = *(const struct vopts *)opts;
	const struct pipeline *p = &run->pipe;
	char *const *tarballs = p->args;
	size_t nr = p->nr_args, i;
	struct stage_report *s;
	char *one[2] = { NULL, NULL };
	char *build_prefix[2] = { NULL, NULL };
	char **labels;
	struct symver floor_max[SYMVER_FAMILIES];

	memset(floor_max, 0, sizeof(floor_max));
	if (!nr && !o.tree && p->packaged) {
		one[0] = p->art.software;
		tarballs = one;
		nr = 1;
	}
	if (!o.tree && !nr) {
		strbuf_addstr(err, "verify needs at least one TARBALL, or --tree DIR");
		return -1;
	}
	s = report_add_stage(&run->report, "verify");
	if (load_host_provided(s, &o, o.manifest ? o.manifest :
				      p->packaged ? p->art.manifest : NULL))
		goto done;
	if (!o.nr_bp) {
		build_prefix[0] = p->built ? p->build.prefix : (char *)SF_DEFAULT_PREFIX;
		o.prefixes_bp = build_prefix;
		o.nr_bp = 1;
	}
	{
		struct strbuf v = STRBUF_INIT;
		strbuf_addf(&v, "%lu", o.tree ? 0UL : o.nr_prefixes);
		stage_set_prop(s, "prefixes", v.buf);
		if (!o.tree)
			stage_set_prop(s, "work_dir", o.work_dir);
		strbuf_release(&v);
	}
	if (o.tree)
		verify_in_place(s, &o, o.tree, floor_max);
	labels = xcalloc(nr ? nr : 1, sizeof(*labels));
	tarball_labels(tarballs, nr, labels);
	for (i = 0; i < nr && !signals_interrupted(); i++)
		verify_tarball(s, &o, tarballs[i], labels[i], (unsigned)(i + 1), floor_max);
	for (i = 0; i < nr; i++)
		free(labels[i]);
	free(labels);
	set_floor_props(s, floor_max);
done:
	if (signals_interrupted())
		s->interrupted = 1;
	for (i = 0; i < o.nr_host; i++)
		free(o.host[i]);
	free(o.host);
	free(o.allow);   /* load_host_provided's copy */
	stage_finish(s);
	return 0;
}
