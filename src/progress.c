#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

void progress_format(struct strbuf *out, const char *stage, const struct progress_state *st,
		     double elapsed)
{
	unsigned long secs = elapsed > 0 ? (unsigned long)elapsed : 0;

	strbuf_addf(out, "%s: ", stage);
	strbuf_add_console(out, st->phase[0] ? st->phase : "starting");
	if (st->counted) {
		strbuf_addf(out, " %lu", st->done);
		/* an expected total is a guess: never show 1100/1030 */
		if (st->total && st->done <= st->total)
			strbuf_addf(out, "/%lu", st->total);
		if (st->unit)
			strbuf_addf(out, " %s", st->unit);
	}
	if (secs >= 60)
		strbuf_addf(out, " (%lum%02lus)", secs / 60, secs % 60);
	else
		strbuf_addf(out, " (%lus)", secs);
}

int progress_due(const struct progress_state *printed, const struct progress_state *now,
		 double since_print, int tty)
{
	if (strcmp(printed->phase, now->phase))
		return 1;
	if (tty)
		return since_print >= 1.0 || printed->done != now->done;
	return since_print >= PROGRESS_HEARTBEAT;
}

static void emit(struct progress *p, int final)
{
	struct strbuf line = STRBUF_INIT;
	double now = monotonic_now();

	progress_format(&line, p->stage, &p->now, now - p->start);
	if (p->tty) {
		/* one line, rewritten: carriage return, clear to its end */
		fprintf(stderr, "\r\033[K%s%s", line.buf, final ? "\n" : "");
		p->live = !final;
	} else {
		fprintf(stderr, "%s\n", line.buf);
	}
	fflush(stderr);
	p->printed = p->now;
	p->last_print = now;
	strbuf_release(&line);
}

static void *watch(void *arg)
{
	struct progress *p = arg;
	struct timespec until;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		if (p->poll)
			p->poll(p->ctx, &p->now);
		if (progress_due(&p->printed, &p->now, monotonic_now() - p->last_print, p->tty))
			emit(p, 0);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void progress_start(struct progress *p, const char *stage, const char *phase,
		    progress_poll_fn poll, void *ctx, int quiet)
{
	sigset_t all, old;
	int rc;

	memset(p, 0, sizeof(*p));
	if (quiet)
		return;
	p->stage = stage;
	p->poll = poll;
	p->ctx = ctx;
	p->tty = isatty(STDERR_FILENO);
	p->start = p->last_print = monotonic_now();
	snprintf(p->now.phase, sizeof(p->now.phase), "%s", phase ? phase : "");
	/* the first line comes from the thread at once: printed differs */
	snprintf(p->printed.phase, sizeof(p->printed.phase), "%s", "\001");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	/*
	 * The thread blocks every signal (it inherits the mask it is created
	 * with): SIGINT and SIGTERM reach the thread that waits for the
	 * recipe and stops it.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&p->thread, NULL, watch, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->wake);
		return;            /* no progress lines: the stage itself goes on */
	}
	p->active = 1;
}

void progress_stop(struct progress *p)
{
	if (!p->active)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	if (p->live)
		emit(p, 1);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	p->active = 0;
}

/* --- reading the recipes' logs ------------------------------------------ */

/*
 * Calls `fn` on every whole line of `path` after *offset, and moves
 * *offset past them (a partial last line waits for the next poll).
 */
static void each_new_line(const char *path, long long *offset,
			  void (*fn)(void *ctx, const char *line), void *ctx)
{
	char buf[16384], line[1024];
	size_t len = 0;
	ssize_t n, i;
	long long pos = *offset, done = *offset;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return;
	while ((n = pread(fd, buf, sizeof(buf), (off_t)pos)) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			fn(ctx, line);
			len = 0;
			done = pos + i + 1;
		}
		pos += n;
	}
	*offset = done;
	close(fd);
}

const char *build_progress_phase(const char *line)
{
	static const struct { const char *step, *phase; } map[] = {
		{ "configured tree from the configure cache", "configure (cached)" },
		{ "copy the source", "copy the source" },
		{ "configure", "configure" },
		{ "make install", "install" },
		{ "make", "compile" },
		{ "relocate", "relocate and graft" },
		{ "PMIx 4.0 compatibility", "PMIx 4.0 compatibility library" },
		{ "grafted libraries", "grafted libraries' packages" },
		{ "done", "done" },
	};
	size_t i;

	/* "==> HH:MM:SS <step>" */
	if (strncmp(line, "==> ", 4) || strlen(line) < 13 || line[12] != ' ')
		return NULL;
	line += 13;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(line, map[i].step, strlen(map[i].step)))
			return map[i].phase;
	return NULL;
}

int build_progress_is_compile(const char *line)
{
	/* libtool's compile (printed once by make) and a plain compile */
	if (strstr(line, "--mode=compile"))
		return 1;
	return (!strncmp(line, "ccache gcc ", 11) || !strncmp(line, "gcc ", 4) ||
		!strncmp(line, "ccache cc ", 10) || !strncmp(line, "cc ", 3)) &&
	       strstr(line, " -c ") != NULL;
}

struct phase_ctx {
	char phase[64];
};

static void phase_line(void *ctx, const char *line)
{
	struct phase_ctx *c = ctx;
	const char *ph = build_progress_phase(line);

	if (ph)
		snprintf(c->phase, sizeof(c->phase), "%s", ph);
}

static void count_line(void *ctx, const char *line)
{
	unsigned long *n = ctx;

	*n += (unsigned long)build_progress_is_compile(line);
}

unsigned long build_progress_count(const char *make_log)
{
	long long off = 0;
	unsigned long n = 0;

	each_new_line(make_log, &off, count_line, &n);
	return n;
}

void build_progress_poll(void *ctx, struct progress_state *st)
{
	struct build_progress *b = ctx;
	struct phase_ctx pc;
	char path[4096];
	long long off = 0;

	if (b->refresh)
		b->refresh(b->refresh_ctx);
	/* the phase: the last step line of build.log (short: read whole) */
	memcpy(pc.phase, st->phase, sizeof(pc.phase));
	snprintf(path, sizeof(path), "%s/build.log", b->out);
	each_new_line(path, &off, phase_line, &pc);
	memcpy(st->phase, pc.phase, sizeof(st->phase));
	snprintf(path, sizeof(path), "%s/make.log", b->out);
	each_new_line(path, &b->make_offset, count_line, &b->objects);
	st->counted = !strcmp(st->phase, "compile");
	st->done = b->objects;
	st->total = b->expect;
	st->unit = "objects";
}

static void image_line(void *ctx, const char *line)
{
	struct image_progress *im = ctx;
	static const struct { const char *prefix, *phase; } map[] = {
		{ "I: Retrieving ", "retrieve" }, { "I: Validating ", "validate" },
		{ "I: Extracting ", "extract" }, { "I: Unpacking ", "unpack" },
		{ "I: Configuring ", "configure" }, { "I: Base system installed", "installed" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strncmp(line, map[i].prefix, strlen(map[i].prefix)))
			continue;
		snprintf(im->phase, sizeof(im->phase), "debootstrap: %s", map[i].phase);
		if (i == 0)
			im->retrieved++;
		else if (i == 3)
			im->unpacked++;
		else if (i == 4)
			im->configured++;
		return;
	}
}

void image_progress_poll(void *ctx, struct progress_state *st)
{
	struct image_progress *im = ctx;

	each_new_line(im->log, &im->offset, image_line, im);
	if (!im->phase[0])
		return;
	memcpy(st->phase, im->phase, sizeof(st->phase));
	st->unit = "packages";
	st->counted = 1;
	/* the packages retrieved are the total of what follows */
	if (strstr(im->phase, "unpack")) {
		st->done = im->unpacked;
		st->total = im->retrieved;
	} else if (strstr(im->phase, "configure")) {
		st->done = im->configured;
		st->total = im->retrieved;
	} else if (strstr(im->phase, "retrieve")) {
		st->done = im->retrieved;
		st->total = 0;
	} else {
		st->counted = 0;
	}
}
