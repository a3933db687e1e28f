/*
 * Progress of the long stages (a build, an image) on stderr: the phase,
 * a count where there is one, and the time spent.
 *
 *   build: compile 412/1030 objects (2m05s)
 *
 * On a terminal it is one live line, rewritten in place every second. In a
 * CI log (stderr not a terminal) it is a line when the phase changes and a
 * heartbeat at least every PROGRESS_HEARTBEAT seconds, so a log never sits
 * silent through a ten-minute build. A watcher thread asks a poll function
 * (which reads the stage's logs) once a second; the thread only reads
 * files and writes stderr.
 *
 * progress_format() and progress_due() are pure, for the unit tests.
 */
#ifndef SF_PROGRESS_H
#define SF_PROGRESS_H

#include <pthread.h>

#include "strbuf.h"

#define PROGRESS_HEARTBEAT 30.0

struct progress_state {
	char phase[64];             /* "compile", "" before the first */
	unsigned long done, total;  /* total 0: no total known */
	int counted;                /* done means something */
	const char *unit;           /* "objects", "packages" (static) */
};

/* "<stage>: <phase> <done>/<total> <unit> (<elapsed>)", phase text escaped. */
void progress_format(struct strbuf *out, const char *stage, const struct progress_state *st,
		     double elapsed);

/*
 * 1 when a line is due: on a terminal, whenever something changed (or a
 * second passed, for the clock); otherwise when the phase changed or
 * `since_print` reached the heartbeat.
 */
int progress_due(const struct progress_state *printed, const struct progress_state *now,
		 double since_print, int tty);

/* Fills `st` from the stage's logs; called from the watcher thread. */
typedef void (*progress_poll_fn)(void *ctx, struct progress_state *st);

struct progress {
	const char *stage;
	progress_poll_fn poll;
	void *ctx;
	int tty, active, stop, live;
	double start, last_print;
	struct progress_state printed, now;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

/*
 * Starts watching: `phase` until the poll function says more (poll may be
 * NULL: the phase and the clock only). Nothing at all when `quiet`.
 */
void progress_start(struct progress *p, const char *stage, const char *phase,
		    progress_poll_fn poll, void *ctx, int quiet);
/* Stops the thread and ends a live line; safe on one never started. */
void progress_stop(struct progress *p);

/* Poll functions of the recipes' logs (a build's out directory, a debootstrap log). */
struct build_progress {
	const char *out;            /* the recipe's SF_OUT on this machine */
	unsigned long expect;       /* objects the last build of this version compiled, 0 */
	long long make_offset;      /* how far make.log was read */
	unsigned long objects;
	/*
	 * Called first by every poll, or NULL: brings `out`'s build.log and
	 * make.log up to date when the recipe writes them elsewhere (a
	 * container whose outputs come back only at its end).
	 */
	void (*refresh)(void *ctx);
	void *refresh_ctx;
};
void build_progress_poll(void *ctx, struct progress_state *st);
/* Objects counted in a make.log (0 when unreadable): the next build's total. */
unsigned long build_progress_count(const char *make_log);

struct image_progress {
	const char *log;            /* debootstrap's log */
	long long offset;
	unsigned long retrieved, unpacked, configured;
	char phase[64];
};
void image_progress_poll(void *ctx, struct progress_state *st);

/* The phase one recipe log line starts, or NULL: "==> 12:00:01 make -j2" is "compile". */
const char *build_progress_phase(const char *line);
/* 1 when a make.log line compiles one object. */
int build_progress_is_compile(const char *line);

#endif
