/*
 * The libgit2 adapter: the only file of the project that includes git2.h.
 *
 * Two operations on a remote repository named by any URL libgit2 knows
 * (https, http, git, ssh, file://, or a local path):
 *   - list its tags without cloning (a remote "ls", annotated tags peeled
 *     to the commit they name);
 *   - fetch one tag and write its commit's tree to a directory.
 *
 * Every network connection goes through our own socket stream, registered
 * with libgit2, so that connect, read and write each give up after
 * `timeout` seconds of silence with a clear message: a server that accepts
 * and then hangs costs at most that long. libgit2 1.5 has no timeout
 * option of its own (GIT_OPT_SET_SERVER_TIMEOUT arrived in 1.7), and no
 * shallow fetch, so a fetch downloads the history reachable from the tag.
 *
 * Errors fill `err` and return -1; nothing is printed: progress goes to the
 * caller's callback.
 */
#ifndef SF_GIT_H
#define SF_GIT_H

#include <stddef.h>

#include "strbuf.h"

struct remote_progress {
	unsigned int received_objects, total_objects;
	unsigned int indexed_deltas, total_deltas;
	size_t received_bytes;
};

struct remote_opts {
	unsigned timeout;          /* seconds of silence before giving up; 0: 60 */
	/* called during downloads; may be NULL. Never called by remote_ls_tags. */
	void (*progress)(void *ctx, const struct remote_progress *p);
	void *progress_ctx;
};

struct remote_tag {
	char *name;                /* without "refs/tags/", owned */
	char commit[41];           /* hex id it peels to; the tag's own id while !peeled */
	int peeled;                /* 0 only for a local repository's tag: remote_tags_peel() */
	/*
	 * What `commit` names once a local tag is peeled: "commit", "tree",
	 * "blob" (static strings). NULL when not known: a remote's listing
	 * gives ids only, and a tree or blob is found when it is fetched.
	 */
	const char *kind;
};

/* Owns its entries, and for a local repository the open repository. */
struct remote_tags {
	struct remote_tag *items;
	size_t nr, alloc;
	size_t nr_refs;            /* every ref the remote advertised (local: every ref) */
	void *local;               /* the local repository, kept open for peeling; owned */
};

void remote_tags_init(struct remote_tags *t);
void remote_tags_release(struct remote_tags *t);

/*
 * Lists the tags of `url` (connect + ls, nothing downloaded, nothing written
 * to disk). Fills `out`, which must be initialised and empty.
 *
 * A local repository (a directory path or a file:// URL) is read directly
 * instead of through libgit2's local transport, which reads every loose ref
 * twice and peels every tag: its tags come back unpeeled (`peeled` 0, the
 * tag object's id) and the repository stays open in `out` until
 * remote_tags_release(). Peel the ones you use with remote_tags_peel().
 */
int remote_ls_tags(const char *url, const struct remote_opts *opts,
		   struct remote_tags *out, struct strbuf *err);

/*
 * Makes `tag` (an entry of `t`) name what it peels to: for an annotated tag
 * the object its chain of tags ends at, as a remote's "^{}" entry would,
 * and sets tag->kind. Nothing to do for an entry that is peeled already.
 */
int remote_tags_peel(struct remote_tags *t, struct remote_tag *tag, struct strbuf *err);

struct remote_fetch_stats {
	size_t received_bytes;
	unsigned int received_objects;
	unsigned int connections;  /* sockets this call opened (0 for a local path) */
	long long commit_time;     /* committer time of `commit`, seconds since 1970 */
	int not_a_commit;          /* the tag names a tree or blob: not a version */
};

/*
 * Fetches tag `tag` of `url` and writes the tree of `commit` into `dest`
 * (created; must not exist). Before downloading it checks that the tag still
 * peels to `commit`: a tag that vanished or moved since it was resolved is
 * an error. So is a tag that names a tree or a blob (stats->not_a_commit
 * set when `stats` is given): it is not a version. `scratch` is an existing directory the caller owns and removes;
 * the temporary repository goes there. `stats` may be NULL.
 */
int remote_fetch_tree(const char *url, const char *tag, const char *commit,
		      const char *scratch, const char *dest,
		      const struct remote_opts *opts, struct remote_fetch_stats *stats,
		      struct strbuf *err);

#endif
