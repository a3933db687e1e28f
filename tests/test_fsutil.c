/*
 * fsutil: the one output writer, temporary files, removal and input checks,
 * on real files, links, device nodes and FIFOs made in a temporary
 * directory (the system's own /dev/null is never used as an output).
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"

#define fx t_tmp

static char *path_in(struct fx *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}


static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void fs_write_output__creates_the_file_and_leaves_no_temp(void **state)
{
	struct fx *f = *state;
	char *sub = xasprintf("%s/w", f->dir), *p = xasprintf("%s/w/out", f->dir);
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(fs_write_output(p, "hello\0world", 11, &err), 0);
	assert_int_equal(err.len, 0);
	assert_int_equal(t_read(p, &sb), 0);
	assert_int_equal(sb.len, 11);
	assert_memory_equal(sb.buf, "hello\0world", 11);
	assert_int_equal(dir_entries(sub), 1);
	/* an empty file too */
	assert_int_equal(fs_write_output(p, "", 0, &err), 0);
	strbuf_reset(&sb);
	assert_int_equal(t_read(p, &sb), 0);
	assert_int_equal(sb.len, 0);
	assert_int_equal(dir_entries(sub), 1);
	strbuf_release(&err);
	strbuf_release(&sb);
	free(sub);
	free(p);
}

static void fs_write_output__replaces_the_target_by_rename(void **state)
{
	struct fx *f = *state;
	char *sub = xasprintf("%s/w", f->dir), *p = xasprintf("%s/w/out", f->dir);
	char *old = xasprintf("%s/old-link", f->dir);
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	struct stat before, after;
	char buf[64];
	ssize_t n;
	int fd;

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(t_writestr(p, "old content\n"), 0);
	assert_int_equal(link(p, old), 0);
	assert_int_equal(stat(p, &before), 0);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_output(p, "new\n", 4, &err), 0);
	assert_int_equal(stat(p, &after), 0);
	/* a new inode took the name; the old file was never written in place */
	assert_true(before.st_ino != after.st_ino);
	n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	assert_int_equal(n, 12);
	assert_memory_equal(buf, "old content\n", 12);
	assert_int_equal(t_read(old, &sb), 0);
	assert_string_equal(sb.buf, "old content\n");
	strbuf_reset(&sb);
	assert_int_equal(t_read(p, &sb), 0);
	assert_string_equal(sb.buf, "new\n");
	assert_int_equal(dir_entries(sub), 1);
	strbuf_release(&err);
	strbuf_release(&sb);
	free(sub);
	free(p);
	free(old);
}

static void fs_write_output__failure_leaves_no_temp_and_target_intact(void **state)
{
	struct fx *f = *state;
	char *sub = xasprintf("%s/w", f->dir), *target = xasprintf("%s/w/isdir", f->dir);
	char *inside = xasprintf("%s/w/isdir/keep", f->dir);
	char *missing = xasprintf("%s/w/nodir/out", f->dir);
	struct strbuf err = STRBUF_INIT;
	struct stat st;

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(t_writestr(inside, "x"), 0);
	/* rename() over a non-empty directory fails */
	assert_int_equal(fs_write_output(target, "data", 4, &err), -1);
	assert_true(err.len > 0);
	assert_int_equal(stat(target, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_true(t_exists(inside));
	assert_int_equal(dir_entries(sub), 1);
	strbuf_reset(&err);
	assert_int_equal(fs_write_output(missing, "data", 4, &err), -1);
	assert_true(err.len > 0);
	assert_int_equal(dir_entries(sub), 1);
	strbuf_release(&err);
	free(sub);
	free(target);
	free(inside);
	free(missing);
}


static void fs_write_output__character_device_is_written_through_not_replaced(void **state)
{
	struct fx *f = *state;
	char *dev = path_in(f, "null");
	struct strbuf err = STRBUF_INIT;
	struct stat before, after;

	/* a private /dev/null: the same device, in our directory */
	assert_int_equal(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(stat(dev, &before), 0);
	assert_int_equal(fs_write_output(dev, "{}\n", 3, &err), 0);
	assert_int_equal(stat(dev, &after), 0);
	assert_true(S_ISCHR(after.st_mode));
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(after.st_rdev, makedev(1, 3));
	assert_int_equal(dir_entries(f->dir), 1);
	strbuf_release(&err);
	free(dev);
}

static void fs_write_output__fifo_gets_the_data_and_stays_a_fifo(void **state)
{
	struct fx *f = *state;
	char *fifo = path_in(f, "fifo");
	struct strbuf err = STRBUF_INIT;
	struct stat st;
	char buf[16];
	ssize_t n;
	int fd;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* without a reader: an error at once, not a hang */
	assert_int_equal(fs_write_output(fifo, "x", 1, &err), -1);
	assert_non_null(strstr(err.buf, "no reader"));
	strbuf_reset(&err);
	fd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_output(fifo, "report", 6, &err), 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "report", 6);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(dir_entries(f->dir), 1);
	strbuf_release(&err);
	free(fifo);
}

static void fs_write_output__symlink_is_followed_to_its_target(void **state)
{
	struct fx *f = *state;
	char *target = path_in(f, "target.json"), *link_ = path_in(f, "link.json");
	char *dangling = path_in(f, "dangling"), *nothing = path_in(f, "nothing");
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	struct stat st;

	assert_int_equal(t_writestr(target, "old"), 0);
	assert_int_equal(symlink("target.json", link_), 0);
	assert_int_equal(fs_write_output(link_, "new", 3, &err), 0);
	assert_int_equal(lstat(link_, &st), 0);
	assert_true(S_ISLNK(st.st_mode));       /* the user's link stays a link */
	assert_int_equal(t_read(target, &sb), 0);
	assert_string_equal(sb.buf, "new");
	/* a link to nothing: refused, nothing created through it */
	assert_int_equal(symlink(nothing, dangling), 0);
	assert_int_equal(fs_write_output(dangling, "x", 1, &err), -1);
	assert_false(t_exists(nothing));
	assert_int_equal(dir_entries(f->dir), 3);
	strbuf_release(&err);
	strbuf_release(&sb);
	free(target);
	free(link_);
	free(dangling);
	free(nothing);
}

static void fs_write_output__refuses_directories_sockets_and_block_devices(void **state)
{
	struct fx *f = *state;
	char *dir = path_in(f, "d"), *sock = path_in(f, "sock"), *blk = path_in(f, "blk");
	struct strbuf err = STRBUF_INIT;
	struct sockaddr_un sa;
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(fs_write_output(dir, "x", 1, &err), -1);
	assert_non_null(strstr(err.buf, "directory"));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	strbuf_reset(&err);
	assert_int_equal(fs_write_output(sock, "x", 1, &err), -1);
	assert_non_null(strstr(err.buf, "socket"));
	assert_int_equal(lstat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	close(fd);
	assert_int_equal(mknod(blk, S_IFBLK | 0600, makedev(7, 200)), 0);
	strbuf_reset(&err);
	assert_int_equal(fs_write_output(blk, "x", 1, &err), -1);
	assert_int_equal(lstat(blk, &st), 0);
	assert_true(S_ISBLK(st.st_mode));
	assert_int_equal(dir_entries(f->dir), 3);
	strbuf_release(&err);
	free(dir);
	free(sock);
	free(blk);
}

static void fs_write_output__longest_valid_name_works_and_keeps_mode(void **state)
{
	struct fx *f = *state;
	struct strbuf name = STRBUF_INIT, err = STRBUF_INIT, sb = STRBUF_INIT;
	struct stat st;
	char *p;

	while (name.len < NAME_MAX)
		strbuf_addch(&name, 'r');
	p = path_in(f, name.buf);
	assert_int_equal(fs_write_output(p, "one", 3, &err), 0);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(fs_write_output(p, "two", 3, &err), 0);
	assert_int_equal(t_read(p, &sb), 0);
	assert_string_equal(sb.buf, "two");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(dir_entries(f->dir), 1);
	strbuf_release(&name);
	strbuf_release(&err);
	strbuf_release(&sb);
	free(p);
}

static void fs_write_output__dash_is_standard_output(void **state)
{
	int fds[2], saved = dup(1);
	struct strbuf err = STRBUF_INIT;
	char buf[16];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(dup2(fds[1], 1), 1);
	assert_int_equal(fs_write_output("-", "to stdout", 9, &err), 0);
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf));
	close(fds[0]);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "to stdout", 9);
	assert_int_equal(fs_write_output("", "x", 1, &err), -1);
	strbuf_release(&err);
}

static void fs_create_temp__never_opens_a_planted_name(void **state)
{
	struct fx *f = *state;
	char *p = path_in(f, "out"), *victim = path_in(f, "victim");
	struct strbuf tmp = STRBUF_INIT, err = STRBUF_INIT, sb = STRBUF_INIT;
	struct stat st;
	int i, fd;

	assert_int_equal(t_writestr(victim, "precious"), 0);
	/* a hundred temporary files: every one new, in the directory, hidden */
	for (i = 0; i < 100; i++) {
		fd = fs_create_temp(p, 0644, &tmp, &err);
		assert_true(fd >= 0);
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(st.st_nlink, 1);
		assert_int_equal(st.st_size, 0);
		assert_int_equal(strncmp(tmp.buf, f->dir, strlen(f->dir)), 0);
		assert_non_null(strstr(tmp.buf, "/.out."));
		close(fd);
		/* the next run finds a link planted at this name: it must pick another */
		assert_int_equal(unlink(tmp.buf), 0);
		assert_int_equal(symlink(victim, tmp.buf), 0);
	}
	assert_int_equal(t_read(victim, &sb), 0);
	assert_string_equal(sb.buf, "precious");
	strbuf_release(&tmp);
	strbuf_release(&err);
	strbuf_release(&sb);
	free(p);
	free(victim);
}

static void fs_copy_file__links_or_copies_and_never_writes_through_a_link(void **state)
{
	struct fx *f = *state;
	char *from = path_in(f, "from"), *to = path_in(f, "to"), *victim = path_in(f, "v");
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	struct stat a, b;

	assert_int_equal(t_writestr(from, "artifact"), 0);
	assert_int_equal(fs_copy_file(from, to, 0, 1, &err), 0);
	assert_int_equal(stat(from, &a), 0);
	assert_int_equal(stat(to, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);        /* a hard link on one file system */
	assert_int_equal(unlink(to), 0);
	assert_int_equal(fs_copy_file(from, to, 0640, 1, &err), 0);
	assert_int_equal(stat(to, &b), 0);
	assert_true(a.st_ino != b.st_ino);           /* another mode: a copy */
	assert_int_equal(b.st_mode & 0777, 0640);
	assert_int_equal(t_read(to, &sb), 0);
	assert_string_equal(sb.buf, "artifact");
	/* a FIFO is not a source */
	assert_int_equal(mkfifo(victim, 0600), 0);
	assert_int_equal(fs_copy_file(victim, to, 0, 0, &err), -1);
	strbuf_release(&err);
	strbuf_release(&sb);
	free(from);
	free(to);
	free(victim);
}

static void fs_put_file__replaces_a_planted_symlink_instead_of_following_it(void **state)
{
	struct fx *f = *state;
	char *victim = path_in(f, "host-file"), *p = path_in(f, "init");
	struct strbuf err = STRBUF_INIT, sb = STRBUF_INIT;
	struct stat st;

	assert_int_equal(t_writestr(victim, "host"), 0);
	assert_int_equal(symlink(victim, p), 0);
	assert_int_equal(fs_put_file(p, "#!/bin/sh\n", 10, 0755, &err), 0);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0755);
	assert_int_equal(t_read(victim, &sb), 0);
	assert_string_equal(sb.buf, "host");
	strbuf_release(&err);
	strbuf_release(&sb);
	free(victim);
	free(p);
}

/* Makes `depth` nested directories of `len`-character names under `root`,
 * one file in each, with *at calls (no path ever gets long). */
static void deep_tree(const char *root, size_t depth, size_t len)
{
	struct strbuf name = STRBUF_INIT;
	int fd = open(root, O_RDONLY | O_DIRECTORY), next, file;
	size_t i;

	assert_true(fd >= 0);
	while (name.len < len)
		strbuf_addch(&name, 'd');
	for (i = 0; i < depth; i++) {
		assert_int_equal(mkdirat(fd, name.buf, 0755), 0);
		file = openat(fd, "f", O_WRONLY | O_CREAT, 0644);
		assert_true(file >= 0);
		close(file);
		next = openat(fd, name.buf, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
	strbuf_release(&name);
}

static void fs_rmtree__removes_a_2000_deep_tree(void **state)
{
	struct fx *f = *state;
	char *root = path_in(f, "deep");
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(mkdir(root, 0755), 0);
	deep_tree(root, 2000, 3);
	assert_int_equal(fs_rmtree(root, &err), 0);
	assert_false(t_exists(root));
	assert_int_equal(dir_entries(f->dir), 0);
	strbuf_release(&err);
	free(root);
}

static void fs_rmtree__removes_paths_longer_than_path_max(void **state)
{
	struct fx *f = *state;
	char *root = path_in(f, "long");
	struct strbuf err = STRBUF_INIT;

	/* 41 nested 100-character names: 4,141 characters under the root */
	assert_int_equal(mkdir(root, 0755), 0);
	deep_tree(root, 41, 100);
	assert_true(41 * 101 > PATH_MAX);
	assert_int_equal(fs_rmtree(root, &err), 0);
	assert_false(t_exists(root));
	strbuf_release(&err);
	free(root);
}

static void fs_rmtree__never_follows_symlinks_and_opens_locked_directories(void **state)
{
	struct fx *f = *state;
	char *root = path_in(f, "tree"), *outside = path_in(f, "outside");
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(t_sh("cd '%s' && mkdir -p outside/keep tree/a/b && echo x > outside/keep/f && "
			      "ln -s ../../outside tree/a/b/up && ln -s '%s/outside/keep' tree/abs && "
			      "echo y > tree/a/b/file && chmod 0 tree/a/b && chmod 500 tree/a",
			      f->dir, f->dir), 0);
	assert_int_equal(fs_rmtree(root, &err), 0);
	assert_false(t_exists(root));
	assert_true(t_exists(outside));
	assert_int_equal(t_sh("test -f '%s/keep/f'", outside), 0);
	/* a path that is not there is not an error */
	assert_int_equal(fs_rmtree(root, &err), 0);
	strbuf_release(&err);
	free(root);
	free(outside);
}

static void fs_check_input__refuses_fifos_sockets_and_devices(void **state)
{
	struct fx *f = *state;
	char *fifo = path_in(f, "fifo"), *dev = path_in(f, "null"), *file = path_in(f, "file");
	char *link_ = path_in(f, "link");
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mknod(dev, S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(t_writestr(file, "x"), 0);
	assert_int_equal(symlink("fifo", link_), 0);
	assert_int_equal(fs_check_input(fifo, &err), -1);
	assert_non_null(strstr(err.buf, "FIFO"));
	assert_int_equal(fs_check_input(link_, &err), -1);
	assert_int_equal(fs_check_input(dev, &err), -1);
	assert_int_equal(fs_check_input(file, &err), 0);
	assert_int_equal(fs_check_input(f->dir, &err), 0);
	assert_int_equal(fs_check_input("/nonexistent/x", &err), 0);
	strbuf_release(&err);
	free(fifo);
	free(dev);
	free(file);
	free(link_);
}

static void fs_same_file__same_inode_or_same_resolved_path(void **state)
{
	struct fx *f = *state;
	char *a = path_in(f, "a"), *hl = path_in(f, "hl"), *sl = path_in(f, "sl");
	char *n1 = xasprintf("%s/./new", f->dir), *n2 = xasprintf("%s/sub/../new", f->dir);
	char *sub = path_in(f, "sub"), *other = path_in(f, "other");

	assert_int_equal(t_writestr(a, "x"), 0);
	assert_int_equal(link(a, hl), 0);
	assert_int_equal(symlink("a", sl), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_true(fs_same_file(a, hl));
	assert_true(fs_same_file(a, sl));
	assert_true(fs_same_file(n1, n2));      /* neither exists yet */
	assert_false(fs_same_file(a, other));
	assert_false(fs_same_file(n1, other));
	assert_true(fs_same_file("-", "-"));
	assert_false(fs_same_file("-", a));
	free(a);
	free(hl);
	free(sl);
	free(n1);
	free(n2);
	free(sub);
	free(other);
}

/* Records "TYPE rel" per visit; stops at `stop_at`, fails at `fail_at`. */
struct walk_log {
	struct strbuf seen;
	const char *stop_at, *fail_at;
};

static int log_entry(void *ctx, int dirfd, const char *name, const char *rel,
		     unsigned char type, struct strbuf *err)
{
	struct walk_log *w = ctx;
	struct stat st;

	/* the descriptor and the name reach the entry without its path */
	assert_int_equal(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	strbuf_addf(&w->seen, "%c %s\n", type == DT_DIR ? 'd' : type == DT_REG ? 'f' :
		    type == DT_LNK ? 'l' : '?', rel);
	if (w->fail_at && !strcmp(rel, w->fail_at)) {
		strbuf_addstr(err, "failed here");
		return -1;
	}
	return w->stop_at && !strcmp(rel, w->stop_at);
}

static void fs_walk__every_entry_once_without_following_symlinks(void **state)
{
	struct fx *f = *state;
	struct walk_log w = { STRBUF_INIT, NULL, NULL };
	struct strbuf err = STRBUF_INIT, sorted = STRBUF_INIT;
	char *root = xasprintf("%s/root", f->dir);

	assert_int_equal(t_sh("cd '%s' && mkdir -p root/a/b outside && touch root/a/b/f root/g "
			      "outside/secret && ln -s ../outside root/a/link && mkfifo root/p",
			      f->dir), 0);
	assert_int_equal(fs_walk(root, log_entry, &w, &err), 0);
	assert_int_equal(t_sh_capture(&sorted, "printf '%%s' '%s' | LC_ALL=C sort", w.seen.buf), 0);
	assert_string_equal(sorted.buf, "? p\nd a\nd a/b\nf a/b/f\nf g\nl a/link\n");
	/* 1 from a visit stops the walk */
	strbuf_reset(&w.seen);
	w.stop_at = "a";
	assert_int_equal(fs_walk(root, log_entry, &w, &err), 1);
	assert_null(strstr(w.seen.buf, "a/b"));
	/* -1 fails it with the visit's message */
	strbuf_reset(&w.seen);
	w.stop_at = NULL;
	w.fail_at = "a/b/f";
	assert_int_equal(fs_walk(root, log_entry, &w, &err), -1);
	assert_string_equal(err.buf, "failed here");
	strbuf_reset(&err);
	assert_int_equal(fs_walk("/nonexistent-sf-walk", log_entry, &w, &err), -1);
	assert_non_null(strstr(err.buf, "cannot open '/nonexistent-sf-walk'"));
	strbuf_release(&w.seen);
	strbuf_release(&err);
	strbuf_release(&sorted);
	free(root);
}

/*
 * A lock file: made when missing, waited for while another process holds
 * it (a bounded wait ends with an error naming it), taken once it is
 * released, never opened through a symbolic link.
 */
static void fs_lock_file__waits_for_the_holder_and_never_follows_a_link(void **state)
{
	struct t_tmp *t = *state;
	struct strbuf err = STRBUF_INIT;
	char *path = xasprintf("%s/a.lock", t->dir), *link = xasprintf("%s/l.lock", t->dir);
	int fd, held_p[2], go_p[2], st;
	double waited;
	pid_t pid;
	char c;

	fd = fs_lock_file(path, 0, &waited, &err);
	assert_true(fd >= 0);
	assert_true(t_exists(path));
	close(fd);
	/* a child holds it until told to let go */
	assert_int_equal(pipe(held_p), 0);
	assert_int_equal(pipe(go_p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct strbuf e = STRBUF_INIT;
		int held = fs_lock_file(path, 0, NULL, &e);
		if (held < 0 || write(held_p[1], "h", 1) != 1 || read(go_p[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(held_p[0], &c, 1), 1);
	assert_int_equal(fs_lock_file(path, 0.3, &waited, &err), -1);
	assert_non_null(strstr(err.buf, "another process has held the lock"));
	assert_non_null(strstr(err.buf, path));
	assert_int_equal(write(go_p[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	strbuf_reset(&err);
	fd = fs_lock_file(path, 5, &waited, &err);
	assert_true(fd >= 0);
	close(fd);
	close(held_p[0]);
	close(held_p[1]);
	close(go_p[0]);
	close(go_p[1]);
	/* a planted link is not a lock file: -2, nothing made where it points */
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(fs_lock_file(link, 1, NULL, &err), -2);
	{
		char *target = xasprintf("%s/target", t->dir);
		assert_false(t_exists(target));
		free(target);
	}
	strbuf_release(&err);
	free(path);
	free(link);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, t_tmp_setup, t_tmp_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(fs_write_output__creates_the_file_and_leaves_no_temp),
		T(fs_write_output__replaces_the_target_by_rename),
		T(fs_write_output__failure_leaves_no_temp_and_target_intact),
		T(fs_write_output__character_device_is_written_through_not_replaced),
		T(fs_write_output__fifo_gets_the_data_and_stays_a_fifo),
		T(fs_write_output__symlink_is_followed_to_its_target),
		T(fs_write_output__refuses_directories_sockets_and_block_devices),
		T(fs_write_output__longest_valid_name_works_and_keeps_mode),
		T(fs_write_output__dash_is_standard_output),
		T(fs_create_temp__never_opens_a_planted_name),
		T(fs_copy_file__links_or_copies_and_never_writes_through_a_link),
		T(fs_put_file__replaces_a_planted_symlink_instead_of_following_it),
		T(fs_rmtree__removes_a_2000_deep_tree),
		T(fs_rmtree__removes_paths_longer_than_path_max),
		T(fs_rmtree__never_follows_symlinks_and_opens_locked_directories),
		T(fs_check_input__refuses_fifos_sockets_and_devices),
		T(fs_same_file__same_inode_or_same_resolved_path),
		T(fs_walk__every_entry_once_without_following_symlinks),
		T(fs_lock_file__waits_for_the_holder_and_never_follows_a_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
