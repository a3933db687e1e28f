/*
 * progress: the line format, when a line is due (terminal and CI log), the
 * recipe's and debootstrap's logs read as they grow (files written at test
 * time, partial lines included), every step of the real recipe known, and
 * the watcher thread's lines in a CI log.
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static void state(struct progress_state *st, const char *phase, unsigned long done,
		  unsigned long total, int counted)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->phase, sizeof(st->phase), "%s", phase);
	st->done = done;
	st->total = total;
	st->counted = counted;
	st->unit = "objects";
}

static void progress_format__phase_count_total_and_time(void **unused)
{
	struct progress_state st;
	struct strbuf out = STRBUF_INIT;

	(void)unused;
	state(&st, "compile", 412, 1030, 1);
	progress_format(&out, "build", &st, 125.4);
	assert_string_equal(out.buf, "build: compile 412/1030 objects (2m05s)");
	strbuf_reset(&out);
	/* an expected total it went past is not shown */
	state(&st, "compile", 1100, 1030, 1);
	progress_format(&out, "build", &st, 9);
	assert_string_equal(out.buf, "build: compile 1100 objects (9s)");
	strbuf_reset(&out);
	state(&st, "relocate and graft", 5, 0, 0);
	progress_format(&out, "build", &st, 61);
	assert_string_equal(out.buf, "build: relocate and graft (1m01s)");
	strbuf_release(&out);
}

static void progress_format__escapes_the_phase(void **unused)
{
	struct progress_state st;
	struct strbuf out = STRBUF_INIT;

	(void)unused;
	state(&st, "x\033[2Jy", 0, 0, 0);
	progress_format(&out, "image", &st, 0);
	assert_null(strchr(out.buf, '\033'));
	strbuf_release(&out);
}

static void progress_due__terminal_live_ci_log_on_phase_or_heartbeat(void **unused)
{
	struct progress_state a, b;

	(void)unused;
	state(&a, "compile", 10, 0, 1);
	state(&b, "compile", 11, 0, 1);
	/* a terminal: every change, and the clock every second */
	assert_true(progress_due(&a, &b, 0.1, 1));
	assert_true(progress_due(&a, &a, 1.0, 1));
	assert_false(progress_due(&a, &a, 0.5, 1));
	/* a CI log: not for a count, but for a phase and the heartbeat */
	assert_false(progress_due(&a, &b, 29.0, 0));
	assert_true(progress_due(&a, &b, PROGRESS_HEARTBEAT, 0));
	state(&b, "install", 11, 0, 0);
	assert_true(progress_due(&a, &b, 0.0, 0));
}

static void build_progress_phase__knows_every_step_of_the_recipe(void **unused)
{
	struct strbuf recipe = STRBUF_INIT;
	char *path = xasprintf("%s/recipes/build-slurm.sh", t_srcdir()), *line, *save = NULL;
	size_t steps = 0;

	(void)unused;
	assert_int_equal(t_read(path, &recipe), 0);
	/* every `step "..."` of the recipe, as it logs it, is a phase */
	for (line = strtok_r(recipe.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *q = strstr(line, "step \"");
		char logged[256];
		if (!q || strstr(line, "step()"))
			continue;
		snprintf(logged, sizeof(logged), "==> 12:00:00 %s", q + 6);
		assert_non_null(build_progress_phase(logged));
		steps++;
	}
	assert_true(steps >= 7);
	assert_string_equal(build_progress_phase("==> 15:36:57 make -j2"), "compile");
	assert_string_equal(build_progress_phase("==> 15:37:42 make install DESTDIR=/sf/out/d"),
			    "install");
	assert_null(build_progress_phase("make -j2"));
	assert_null(build_progress_phase("==> 1"));
	free(path);
	strbuf_release(&recipe);
}

static void build_progress_is_compile__libtool_and_plain_not_links(void **unused)
{
	(void)unused;
	assert_true(build_progress_is_compile("/bin/dash ../../libtool  --tag=CC   --mode=compile "
					      "ccache gcc -DHAVE_CONFIG_H -I. -c -o allocate.lo allocate.c"));
	assert_true(build_progress_is_compile("ccache gcc -DHAVE_CONFIG_H -I. -O2 -c -o x.o x.c"));
	/* libtool's own echo of the same compile is not a second object */
	assert_false(build_progress_is_compile("libtool: compile:  ccache gcc -DHAVE_CONFIG_H -c "
					       "allocate.c -fPIC -DPIC -o .libs/allocate.o"));
	assert_false(build_progress_is_compile("/bin/dash ../../libtool  --tag=CC   --mode=link "
					       "ccache gcc -O2 -o libslurm.la"));
	assert_false(build_progress_is_compile("ccache gcc -O2 -o srun srun.o -lslurm"));
}

static void append(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void build_progress_poll__reads_the_logs_as_they_grow(void **unused)
{
	char *dir = t_mkdtemp("progress"), *blog, *mlog;
	struct build_progress bp;
	struct progress_state st;

	(void)unused;
	blog = xasprintf("%s/build.log", dir);
	mlog = xasprintf("%s/make.log", dir);
	memset(&bp, 0, sizeof(bp));
	memset(&st, 0, sizeof(st));
	bp.out = dir;
	bp.expect = 3;
	build_progress_poll(&bp, &st);           /* no logs yet */
	assert_string_equal(st.phase, "");
	append(blog, "==> 10:00:00 copy the source\n==> 10:00:01 configure --prefix=/x\n");
	build_progress_poll(&bp, &st);
	assert_string_equal(st.phase, "configure");
	assert_false(st.counted);
	append(blog, "checking for gcc... gcc\n==> 10:01:00 make -j2\n");
	append(mlog, "/bin/dash ../../libtool --mode=compile gcc -c -o a.lo a.c\n"
		     "libtool: compile: gcc -c a.c -o .libs/a.o\n"
		     "/bin/dash ../../libtool --mode=compile gcc -c -o b.lo b.c\n"
		     "/bin/dash ../../libtool --mode=compile gcc -c -o c.lo");   /* partial */
	build_progress_poll(&bp, &st);
	assert_string_equal(st.phase, "compile");
	assert_true(st.counted);
	assert_int_equal(st.done, 2);
	assert_int_equal(st.total, 3);
	append(mlog, " c.c\n");
	build_progress_poll(&bp, &st);
	assert_int_equal(st.done, 3);
	assert_int_equal(build_progress_count(mlog), 3);
	append(blog, "==> 10:02:00 make install DESTDIR=/d\n==> 10:02:10 relocate\n");
	build_progress_poll(&bp, &st);
	assert_string_equal(st.phase, "relocate and graft");
	assert_int_equal(build_progress_count("/nonexistent/make.log"), 0);
	t_rmtree(dir);
	free(dir);
	free(blog);
	free(mlog);
}

static void image_progress_poll__counts_debootstrap_packages(void **unused)
{
	char *dir = t_mkdtemp("progress"), *log;
	struct image_progress ip;
	struct progress_state st;

	(void)unused;
	log = xasprintf("%s/debootstrap.log", dir);
	memset(&ip, 0, sizeof(ip));
	memset(&st, 0, sizeof(st));
	ip.log = log;
	append(log, "I: Retrieving InRelease \nI: Checking Release signature\n"
		    "I: Retrieving adduser 3.134\nI: Retrieving apt 2.6.1\n");
	image_progress_poll(&ip, &st);
	assert_string_equal(st.phase, "debootstrap: retrieve");
	assert_int_equal(st.done, 3);
	assert_int_equal(st.total, 0);
	append(log, "I: Validating adduser 3.134\nI: Unpacking adduser...\n");
	image_progress_poll(&ip, &st);
	assert_string_equal(st.phase, "debootstrap: unpack");
	assert_int_equal(st.done, 1);
	assert_int_equal(st.total, 3);
	append(log, "I: Configuring adduser...\nI: Configuring apt...\n");
	image_progress_poll(&ip, &st);
	assert_string_equal(st.phase, "debootstrap: configure");
	assert_int_equal(st.done, 2);
	t_rmtree(dir);
	free(dir);
	free(log);
}

static int phase_step;

static void scripted_poll(void *ctx, struct progress_state *st)
{
	(void)ctx;
	snprintf(st->phase, sizeof(st->phase), "%s",
		 __atomic_load_n(&phase_step, __ATOMIC_SEQ_CST) ? "second" : "first");
}

static void progress_start__lines_in_a_ci_log_on_each_phase(void **unused)
{
	char *dir = t_mkdtemp("progress"), *path;
	struct strbuf out = STRBUF_INIT;
	struct progress p;
	struct timespec ts = { 1, 500000000L };
	int saved = dup(STDERR_FILENO), fd;

	(void)unused;
	path = xasprintf("%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);      /* a file: not a terminal, as in CI */
	close(fd);
	__atomic_store_n(&phase_step, 0, __ATOMIC_SEQ_CST);
	progress_start(&p, "build", "launch", scripted_poll, NULL, 0);
	nanosleep(&ts, NULL);
	__atomic_store_n(&phase_step, 1, __ATOMIC_SEQ_CST);
	nanosleep(&ts, NULL);
	progress_stop(&p);
	/* quiet: no thread, nothing printed */
	progress_start(&p, "build", "launch", scripted_poll, NULL, 1);
	progress_stop(&p);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(t_read(path, &out), 0);
	/* one line per phase, no carriage returns, nothing between */
	assert_non_null(strstr(out.buf, "build: first (0s)\n"));
	assert_non_null(strstr(out.buf, "\nbuild: second ("));
	assert_null(strchr(out.buf, '\r'));
	assert_int_equal(t_sh("test $(wc -l < '%s') -eq 2", path), 0);
	t_rmtree(dir);
	free(dir);
	free(path);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(progress_format__phase_count_total_and_time),
		cmocka_unit_test(progress_format__escapes_the_phase),
		cmocka_unit_test(progress_due__terminal_live_ci_log_on_phase_or_heartbeat),
		cmocka_unit_test(build_progress_phase__knows_every_step_of_the_recipe),
		cmocka_unit_test(build_progress_is_compile__libtool_and_plain_not_links),
		cmocka_unit_test(build_progress_poll__reads_the_logs_as_they_grow),
		cmocka_unit_test(image_progress_poll__counts_debootstrap_packages),
		cmocka_unit_test(progress_start__lines_in_a_ci_log_on_each_phase),
	};
	return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
