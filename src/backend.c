#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "cli.h"
#include "clock.h"
#include "fsutil.h"
#include "proc.h"
#include "report.h"

extern char **environ;

void backend_result_init(struct backend_result *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->out);
	strbuf_init(&r->errout);
}

void backend_result_release(struct backend_result *r)
{
	strbuf_release(&r->out);
	strbuf_release(&r->errout);
}

static void make_run_id(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	unsigned long mix;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	mix = ((unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 12)) & 0xffffffUL;
	/* strftime bounds the date part; the year cannot widen the id */
	strftime(out, size, "%Y%m%dt%H%M%S", &tm);
	snprintf(out + strlen(out), size - strlen(out), "-%06lx", mix);
}

int backend_init(struct backend *b, const struct backend_config *cfg,
		 struct strbuf *err)
{
	memset(b, 0, sizeof(*b));
	b->cfg = *cfg;
	if (!cfg->kind || !strcmp(cfg->kind, "lxd")) {
		b->ops = &backend_lxd_ops;
	} else if (!strcmp(cfg->kind, "host")) {
		b->ops = &backend_host_ops;
	} else {
		strbuf_addf(err, "unknown backend '%s' (lxd or host)", cfg->kind);
		return -1;
	}
	make_run_id(b->run_id, sizeof(b->run_id));
	return 0;
}

void backend_release(struct backend *b)
{
	size_t i;

	if (b->connected)
		lxd_release(&b->lxd);
	for (i = 0; i < b->nr_created; i++)
		free(b->created[i]);
	free(b->created);
	free(b->container);
	memset(b, 0, sizeof(*b));
}

int backend_prepare(struct backend *b, struct strbuf *err)
{
	return b->ops->prepare(b, err);
}

int backend_exec(struct backend *b, const struct backend_cmd *cmd,
		 struct backend_result *res, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	size_t i;

	if (b->ops->exec(b, cmd, res, err))
		return -1;
	/* a copy in the container: the host's file system says nothing */
	if (!res->exit_code || b->api_transfer)
		return 0;
	/*
	 * A command that failed while a directory it writes to is out of space
	 * failed because of the machine: its status says nothing about what it
	 * was building. Report the environment, not the command.
	 */
	for (i = 0; i < b->cfg.nr_mounts; i++) {
		const struct backend_mount *m = &b->cfg.mounts[i];
		if (m->readonly || !fs_is_full(m->source, &why))
			continue;
		strbuf_addf(err, "no space left on device in %s (%s): the command's "
			    "exit %d is the machine's failure, not a verdict", m->source,
			    why.buf, res->exit_code);
		strbuf_release(&why);
		res->no_space = 1;
		return -1;
	}
	return 0;
}

int backend_push(struct backend *b, const char *local, const char *path,
		 unsigned mode, struct strbuf *err)
{
	return b->ops->push(b, local, path, mode, err);
}

int backend_pull(struct backend *b, const char *path, const char *local,
		 struct strbuf *err)
{
	return b->ops->pull(b, path, local, err);
}

int backend_cleanup(struct backend *b, struct strbuf *err)
{
	return b->ops->cleanup(b, err);
}

static int lxd_backend_exec(struct backend *b, const struct backend_cmd *cmd,
			    struct backend_result *res, struct strbuf *err);

/* Runs a short helper command (argv) in the container; its failure is -1. */
static int helper(struct backend *b, const char *what, char **argv, struct strbuf *err)
{
	struct backend_result res;
	struct backend_cmd cmd;
	int ret = 0;

	backend_result_init(&res);
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.timeout = 1800;
	if (lxd_backend_exec(b, &cmd, &res, err)) {
		ret = -1;
	} else if (res.exit_code) {
		strbuf_addf(err, "%s in container %s: exit %d: %.300s", what, b->container,
			    res.exit_code, res.errout.len ? res.errout.buf : res.out.buf);
		ret = -1;
	}
	backend_result_release(&res);
	return ret;
}

int backend_rename(struct backend *b, const char *from, const char *to,
		   struct strbuf *err)
{
	char *argv[] = { "sh", "-c",
			 "mkdir -p -- \"$(dirname -- \"$2\")\" && mv -T -- \"$1\" \"$2\"",
			 "sh", (char *)from, (char *)to, NULL };

	if (b->ops != &backend_lxd_ops || !b->api_transfer)
		return 0;
	return helper(b, "moving the tree", argv, err);
}

static int lxd_size_arg(const char *name, const char *value, struct strbuf *err)
{
	unsigned long long v;

	if (value && (parse_size(value, &v) || !v)) {
		strbuf_addf(err, "--%s: '%s' is not a size (bytes, or with K, M, G, T, "
			    "KiB, GiB...)", name, value);
		return -1;
	}
	return 0;
}

int backend_lxd_opts_check(const struct lxd_opts *o, struct strbuf *err)
{
	unsigned long n;

	if (o->transfer && strcmp(o->transfer, "api") && strcmp(o->transfer, "disk")) {
		strbuf_addf(err, "--lxd-transfer: '%s' is not api or disk", o->transfer);
		return -1;
	}
	if (o->transfer && !strcmp(o->transfer, "disk")) {
		if (o->remote) {
			strbuf_addstr(err, "--lxd-transfer disk: a remote LXD server cannot see "
					   "this machine's directories (use api)");
			return -1;
		}
		if (!o->privileged) {
			strbuf_addstr(err, "--lxd-transfer disk needs --lxd-privileged: LXD 5.0 "
					   "cannot shift host directories into an unprivileged "
					   "container on this kernel (use api, the default)");
			return -1;
		}
	}
	if (o->cpu && parse_ulong(o->cpu, 1, 4096, &n)) {
		strbuf_addf(err, "--lxd-cpu: '%s' is not a number of CPUs (1-4096)", o->cpu);
		return -1;
	}
	if (lxd_size_arg("lxd-memory", o->memory, err) ||
	    lxd_size_arg("lxd-disk", o->root_size, err))
		return -1;
	return 0;
}

void backend_lxd_opts_from_cli(const struct cli *cli, struct lxd_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->remote = cli_get(cli, "lxd-remote");
	o->socket_path = cli_get(cli, "lxd-socket");
	o->client_cert = cli_get(cli, "lxd-client-cert");
	o->client_key = cli_get(cli, "lxd-client-key");
	o->server_cert = cli_get(cli, "lxd-server-cert");
	o->pool = cli_get(cli, "lxd-pool");
	o->privileged = cli_flag(cli, "lxd-privileged");
	o->transfer = cli_get(cli, "lxd-transfer");
	o->target = cli_get(cli, "lxd-target");
	o->cpu = cli_get(cli, "lxd-cpu");
	o->memory = cli_get(cli, "lxd-memory");
	o->root_size = cli_get(cli, "lxd-disk");
}

/* ---- lxd ---------------------------------------------------------------- */

#define XFER_IN "/tmp/.sf-transfer-in.tar"
#define XFER_OUT "/tmp/.sf-transfer-out.tar"

/* A temporary file for a transfer tarball on this machine (fd open, name in tmp). */
static int xfer_temp(struct strbuf *tmp, struct strbuf *err)
{
	int fd;

	strbuf_reset(tmp);
	strbuf_addf(tmp, "%s/sf-transfer-XXXXXX", fs_tmpdir());
	fd = mkostemp(tmp->buf, O_CLOEXEC);
	if (fd < 0)
		strbuf_addf(err, "cannot create a transfer file in %s: %s", fs_tmpdir(),
			    strerror(errno));
	return fd;
}

/*
 * Every mount's directory, packed one after the other into one plain tar
 * (each under its container path), pushed with the files API and unpacked
 * at / by the container's tar (-i reads the concatenated archives).
 */
static int push_mounts(struct backend *b, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	char *argv[] = { "sh", "-c", "tar -x -i -f " XFER_IN " -C / && rm -f " XFER_IN,
			 NULL };
	struct pack_opts po;
	struct stat st;
	double t0 = monotonic_now();
	size_t i;
	int fd, ret = -1;

	if (!b->cfg.nr_mounts)
		return 0;
	if ((fd = xfer_temp(&tmp, err)) < 0)
		goto out;
	for (i = 0; i < b->cfg.nr_mounts; i++) {
		const struct backend_mount *m = &b->cfg.mounts[i];
		if (m->seed && !b->volume_created)
			continue;
		memset(&po, 0, sizeof(po));
		po.format = PACK_TAR;
		po.top = m->path + strspn(m->path, "/");
		if (!*po.top) {
			strbuf_addf(err, "mount %s: the container's / cannot be a mount", m->source);
			goto out;
		}
		if (archive_pack_tree(m->source, fd, tmp.buf, &po, err))
			goto out;
	}
	if (fstat(fd, &st)) {
		strbuf_addf(err, "%s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	b->xfer_in_bytes = (unsigned long long)st.st_size;
	if (lxd_file_push(&b->lxd, b->container, tmp.buf, XFER_IN, 0600, 0, 0, err) ||
	    helper(b, "unpacking the inputs", argv, err))
		goto out;
	b->xfer_in_seconds = monotonic_now() - t0;
	ret = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp.buf);
	}
	strbuf_release(&tmp);
	return ret;
}

struct pull_findings {
	struct strbuf first;
	size_t n;
};

static void pull_finding(void *ctx, enum rule_id rule, const char *entry, const char *message)
{
	struct pull_findings *f = ctx;

	(void)rule;
	if (!f->n++)
		strbuf_addf(&f->first, "%s: %s", entry, message);
}

/*
 * The container's copy of each `pull` mount, packed there by tar, pulled
 * with the files API and extracted here with the secure extraction into
 * the emptied host directory. Anything the extraction refuses (an escaping
 * link, a device, ..) fails the transfer with the first finding.
 */
static int pull_mounts(struct backend *b, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, e = STRBUF_INIT;
	struct extract_limits limits = EXTRACT_LIMITS_DEFAULT;
	struct pull_findings f = { STRBUF_INIT, 0 };
	struct extract_sink sink = { pull_finding, &f };
	double t0 = monotonic_now();
	size_t i;
	int fd = -1, ret = -1;

	for (i = 0; i < b->cfg.nr_mounts; i++) {
		const struct backend_mount *m = &b->cfg.mounts[i];
		char *argv[] = { "tar", "-c", "-f", XFER_OUT, "-C", (char *)m->path, ".", NULL };
		char *rm[] = { "rm", "-f", XFER_OUT, NULL };
		struct extract_stats stats;
		struct stat st;

		if (!m->pull || (m->seed && !b->volume_created))
			continue;
		if (helper(b, "packing the outputs", argv, err))
			goto out;
		if ((fd = xfer_temp(&tmp, err)) < 0)
			goto out;
		close(fd);
		fd = -1;
		if (lxd_file_pull(&b->lxd, b->container, XFER_OUT, tmp.buf, err) ||
		    helper(b, "removing the outputs' tarball", rm, err))
			goto out;
		if (!stat(tmp.buf, &st))
			b->xfer_out_bytes += (unsigned long long)st.st_size;
		if (fs_rmtree(m->source, err) || fs_mkdirs(m->source, err))
			goto out;
		memset(&stats, 0, sizeof(stats));
		f.n = 0;
		strbuf_reset(&f.first);
		if (archive_extract_secure(tmp.buf, m->source, &limits, &stats, &sink, &e)) {
			strbuf_addf(err, "extracting the container's %s into %s: %s", m->path,
				    m->source, e.buf);
			goto out;
		}
		if (f.n || stats.stopped) {
			strbuf_addf(err, "the container's %s holds what may not leave it "
				    "(%zu finding%s, first: %s)", m->path, f.n, f.n == 1 ? "" : "s",
				    f.n ? f.first.buf : "the extraction stopped at a limit");
			goto out;
		}
		unlink(tmp.buf);
		strbuf_reset(&tmp);
	}
	b->xfer_out_seconds += monotonic_now() - t0;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp.len)
		unlink(tmp.buf);
	strbuf_release(&tmp);
	strbuf_release(&e);
	strbuf_release(&f.first);
	return ret;
}

static int lxd_prepare(struct backend *b, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, host = STRBUF_INIT;
	struct lxd_disk *disks = NULL;
	struct lxd_launch l;
	char hostname[256], pid[32], label_run[96], label_host[320], label_pid[64];
	char limit_cpu[48], limit_mem[64], root_size[32];
	const char *config[6];
	unsigned long long size;
	size_t i, nc = 0;
	int ret = -1;

	if (!b->cfg.image || !*b->cfg.image) {
		strbuf_addstr(err, "the lxd backend needs an image (--image ALIAS or "
				   "'slurm-factory image build')");
		goto out;
	}
	if (!b->connected) {
		if (lxd_connect(&b->lxd, &b->cfg.lxd, err)) {
			lxd_release(&b->lxd);
			goto out;
		}
		b->connected = 1;
	}
	if (gethostname(hostname, sizeof(hostname)))
		snprintf(hostname, sizeof(hostname), "unknown");
	hostname[sizeof(hostname) - 1] = '\0';
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	/* "sf-<purpose>-<run id>": at most 63 characters, letters digits dashes */
	strbuf_addf(&name, "sf-%.12s-%s", b->cfg.purpose ? b->cfg.purpose : "run",
		    b->run_id);
	snprintf(label_run, sizeof(label_run), LXD_LABEL_PREFIX "run=%s", b->run_id);
	snprintf(label_host, sizeof(label_host), LXD_LABEL_PREFIX "host=%s", hostname);
	snprintf(label_pid, sizeof(label_pid), LXD_LABEL_PREFIX "pid=%s", pid);
	config[nc++] = label_run;
	config[nc++] = label_host;
	config[nc++] = label_pid;
	if (backend_lxd_opts_check(&b->cfg.lxd, err))
		goto out;
	if (b->cfg.lxd.cpu) {
		snprintf(limit_cpu, sizeof(limit_cpu), "limits.cpu=%s", b->cfg.lxd.cpu);
		config[nc++] = limit_cpu;
	}
	if (b->cfg.lxd.memory && !parse_size(b->cfg.lxd.memory, &size)) {
		snprintf(limit_mem, sizeof(limit_mem), "limits.memory=%llu", size);
		config[nc++] = limit_mem;
	}
	config[nc] = NULL;
	b->api_transfer = !b->cfg.lxd.transfer || strcmp(b->cfg.lxd.transfer, "disk");
	disks = xcalloc(b->cfg.nr_mounts ? b->cfg.nr_mounts : 1, sizeof(*disks));
	for (i = 0; !b->api_transfer && i < b->cfg.nr_mounts; i++) {
		disks[i].name = xasprintf("sf-disk%zu", i);
		disks[i].source = b->cfg.mounts[i].source;
		disks[i].path = b->cfg.mounts[i].path;
		disks[i].readonly = b->cfg.mounts[i].readonly;
	}
	memset(&l, 0, sizeof(l));
	l.name = name.buf;
	l.image = b->cfg.image;
	l.config = config;
	l.disks = disks;
	l.nr_disks = b->api_transfer ? 0 : b->cfg.nr_mounts;
	l.volumes = b->cfg.volumes;
	l.nr_volumes = b->cfg.nr_volumes;
	if (b->cfg.lxd.root_size && !parse_size(b->cfg.lxd.root_size, &size)) {
		snprintf(root_size, sizeof(root_size), "%llu", size);
		l.root_size = root_size;
	}
	l.target = b->cfg.lxd.target;
	l.ephemeral = 1;
	l.privileged = b->cfg.lxd.privileged;
	for (i = 0; i < b->cfg.nr_volumes; i++) {
		int created = 0;
		if (lxd_volume_ensure(&b->lxd, b->cfg.volumes[i].volume, &created, err))
			goto out;
		b->volume_created |= created;
	}
	/* registered before it exists: an interrupted create is cleaned up too */
	xgrow((void **)&b->created, &b->alloc_created, b->nr_created + 1,
	      sizeof(*b->created));
	b->created[b->nr_created++] = xstrdup(name.buf);
	if (lxd_launch(&b->lxd, &l, err))
		goto out;
	free(b->container);
	b->container = strbuf_detach(&name);
	if (b->api_transfer && push_mounts(b, err))
		goto out;
	ret = 0;
out:
	for (i = 0; disks && i < b->cfg.nr_mounts; i++)
		free((char *)disks[i].name);
	free(disks);
	strbuf_release(&name);
	strbuf_release(&host);
	return ret;
}

static int need_container(struct backend *b, struct strbuf *err)
{
	if (!b->container) {
		strbuf_addstr(err, "no container: backend_prepare() did not succeed");
		return -1;
	}
	return 0;
}

static int lxd_backend_exec(struct backend *b, const struct backend_cmd *cmd,
			    struct backend_result *res, struct strbuf *err)
{
	struct lxd_exec x;
	struct lxd_exec_result r;
	int ret = -1;

	if (need_container(b, err))
		return -1;
	lxd_exec_result_init(&r);
	memset(&x, 0, sizeof(x));
	x.argv = cmd->argv;
	x.env = cmd->env;
	x.cwd = cmd->cwd;
	x.timeout = cmd->timeout;
	if (lxd_exec(&b->lxd, b->container, &x, &r, err))
		goto out;
	res->exit_code = r.exit_code;
	res->timed_out = r.timed_out;
	res->duration = r.duration;
	strbuf_add(&res->out, r.out.buf, r.out.len);
	strbuf_add(&res->errout, r.errout.buf, r.errout.len);
	if (b->api_transfer && cmd->pull && pull_mounts(b, err))
		goto out;
	ret = 0;
out:
	lxd_exec_result_release(&r);
	return ret;
}

static int lxd_backend_push(struct backend *b, const char *local, const char *path,
			    unsigned mode, struct strbuf *err)
{
	if (need_container(b, err))
		return -1;
	return lxd_file_push(&b->lxd, b->container, local, path, mode, 0, 0, err);
}

static int lxd_backend_pull(struct backend *b, const char *path, const char *local,
			    struct strbuf *err)
{
	if (need_container(b, err))
		return -1;
	return lxd_file_pull(&b->lxd, b->container, path, local, err);
}

/*
 * Hands what the (privileged) container wrote into this machine's
 * directories back to the user running the tool: a non-root user gets back
 * files root owns otherwise, which it could then not move or remove.
 */
static int give_back(struct backend *b, struct strbuf *err)
{
	struct strbuf owner = STRBUF_INIT;
	struct backend_result res;
	struct backend_cmd cmd;
	char **argv;
	size_t i, n = 0;
	int ret = 0;

	if (geteuid() == 0 || !b->container || !b->connected || b->api_transfer)
		return 0;
	argv = xcalloc(b->cfg.nr_mounts + 6, sizeof(*argv));
	strbuf_addf(&owner, "%ld:%ld", (long)geteuid(), (long)getegid());
	argv[n++] = "chown";
	argv[n++] = "-R";
	argv[n++] = "--no-dereference";
	argv[n++] = owner.buf;
	argv[n++] = "--";
	for (i = 0; i < b->cfg.nr_mounts; i++)
		if (!b->cfg.mounts[i].readonly)
			argv[n++] = (char *)b->cfg.mounts[i].path;
	backend_result_init(&res);
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.timeout = 600;
	if (n > 5 && (lxd_backend_exec(b, &cmd, &res, err) || res.exit_code)) {
		strbuf_addf(err, "%schown of the container's output to %s failed: %.200s",
			    err->len ? "; " : "", owner.buf, res.errout.buf);
		ret = -1;
	}
	backend_result_release(&res);
	strbuf_release(&owner);
	free(argv);
	return ret;
}

static int lxd_cleanup(struct backend *b, struct strbuf *err)
{
	struct strbuf m = STRBUF_INIT;
	size_t i, kept = 0;
	int ret = give_back(b, err);

	for (i = 0; i < b->nr_created; i++) {
		strbuf_reset(&m);
		if (!b->connected || lxd_delete(&b->lxd, b->created[i], &m)) {
			if (err->len)
				strbuf_addstr(err, "; ");
			strbuf_addstr(err, b->connected ? m.buf : "not connected to LXD");
			b->created[kept++] = b->created[i];
			ret = -1;
			continue;
		}
		free(b->created[i]);
	}
	b->nr_created = kept;
	if (kept)
		/* they carry the run's labels: gc finds them once LXD answers */
		strbuf_addf(err, " (run 'slurm-factory gc --run-id %s' once LXD answers "
			    "again; a plain 'gc' removes them too, this process being gone)",
			    b->run_id);
	free(b->container);
	b->container = NULL;
	strbuf_release(&m);
	return ret;
}

const struct backend_ops backend_lxd_ops = {
	"lxd", lxd_prepare, lxd_backend_exec, lxd_backend_push, lxd_backend_pull,
	lxd_cleanup,
};

/* ---- host --------------------------------------------------------------- */

/* A path the commands see, as the host path it stands for. */
static void host_path(const struct backend *b, const char *path, struct strbuf *out)
{
	size_t i, n;

	for (i = 0; i < b->cfg.nr_mounts; i++) {
		const struct backend_mount *m = &b->cfg.mounts[i];
		n = strlen(m->path);
		while (n > 1 && m->path[n - 1] == '/')
			n--;
		if (!strncmp(path, m->path, n) && (path[n] == '/' || !path[n])) {
			strbuf_addf(out, "%s%s", m->source, path + n);
			return;
		}
	}
	strbuf_addstr(out, path);
}

static int host_prepare(struct backend *b, struct strbuf *err)
{
	(void)b;
	(void)err;
	return 0;
}

int env_is_secret(const char *entry)
{
	static const char *const words[] = { "TOKEN", "SECRET", "PASSWORD", "PASSWD",
					     "CREDENTIAL", "PRIVATE_KEY", NULL };
	size_t len = strcspn(entry, "="), i, j;

	if (len == 17 && !strncmp(entry, "AWS_ACCESS_KEY_ID", 17))
		return 1;
	for (i = 0; words[i]; i++) {
		size_t w = strlen(words[i]);
		for (j = 0; j + w <= len; j++)
			if (!strncasecmp(entry + j, words[i], w))
				return 1;
	}
	return 0;
}

static int host_exec(struct backend *b, const struct backend_cmd *cmd,
		     struct backend_result *res, struct strbuf *err)
{
	struct proc_opts po;
	struct proc_result pr;
	struct strbuf cwd = STRBUF_INIT;
	char **env = NULL;
	size_t n = 0, alloc = 0, i;
	char *const *e;
	int ret = -1;

	proc_result_init(&pr);
	memset(&po, 0, sizeof(po));
	if (cmd->env) {
		/*
		 * the inherited environment without credentials (a recipe or a
		 * smoke script that prints its environment must not put a
		 * publish token into kept logs), then the command's own (which win)
		 */
		for (i = 0; environ[i]; i++) {
			const char *eq = strchr(environ[i], '=');
			int overridden = env_is_secret(environ[i]);
			for (e = cmd->env; eq && *e; e++)
				if (!strncmp(*e, environ[i], (size_t)(eq - environ[i]) + 1))
					overridden = 1;
			if (overridden)
				continue;
			xgrow((void **)&env, &alloc, n + 2, sizeof(*env));
			env[n++] = environ[i];
		}
		for (e = cmd->env; *e; e++) {
			xgrow((void **)&env, &alloc, n + 2, sizeof(*env));
			env[n++] = *e;
		}
		env[n] = NULL;
		po.env = env;
	}
	if (cmd->cwd) {
		host_path(b, cmd->cwd, &cwd);
		po.cwd = cwd.buf;
	}
	po.timeout = cmd->timeout;
	if (proc_run(cmd->argv, &po, &pr, err)) {
		if (pr.spawn_error == ENOENT) {
			/* as a shell or LXD would say it: exit 127 */
			strbuf_reset(err);
			res->exit_code = 127;
			ret = 0;
		}
		goto out;
	}
	if (pr.interrupted) {
		strbuf_addstr(err, "interrupted by a signal");
		goto out;
	}
	res->exit_code = pr.exited ? pr.status : -1;
	res->timed_out = pr.timed_out;
	res->duration = pr.duration;
	strbuf_add(&res->out, pr.out.buf, pr.out.len);
	ret = 0;
out:
	free(env);
	strbuf_release(&cwd);
	proc_result_release(&pr);
	return ret;
}

static int host_push(struct backend *b, const char *local, const char *path,
		     unsigned mode, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	int ret;

	host_path(b, path, &p);
	ret = fs_copy_file(local, p.buf, (mode_t)mode, 0, err);
	strbuf_release(&p);
	return ret;
}

static int host_pull(struct backend *b, const char *path, const char *local,
		     struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	int ret;

	host_path(b, path, &p);
	ret = fs_copy_file(p.buf, local, 0, 0, err);
	strbuf_release(&p);
	return ret;
}

static int host_cleanup(struct backend *b, struct strbuf *err)
{
	(void)b;
	(void)err;
	return 0;
}

const struct backend_ops backend_host_ops = {
	"host", host_prepare, host_exec, host_push, host_pull, host_cleanup,
};
