#include "ci_output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fsutil.h"
#include "symver.h"

#define GITHUB_MAX_ANNOTATIONS 10
#define GITHUB_SUMMARY_CAP (1024 * 1024)
/* findings listed per failed check; the rest are counted */
#define SUMMARY_FINDINGS_PER_CHECK 50

enum ci_kind ci_detect(void)
{
	const char *gh = getenv("GITHUB_ACTIONS"), *gl = getenv("GITLAB_CI");

	if (gh && !strcmp(gh, "true"))
		return CI_GITHUB;
	if (gl && !strcmp(gl, "true"))
		return CI_GITLAB;
	return CI_NONE;
}

/*
 * Workflow-command escaping: %, CR and LF as GitHub decodes them (and, in a
 * property, ':' and ','); other control characters, which would act on the
 * log viewer, shown as text.
 */
static void escape(struct strbuf *out, const char *s, int property)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p == '%')
			strbuf_addstr(out, "%25");
		else if (*p == '\r')
			strbuf_addstr(out, "%0D");
		else if (*p == '\n')
			strbuf_addstr(out, "%0A");
		else if (property && *p == ':')
			strbuf_addstr(out, "%3A");
		else if (property && *p == ',')
			strbuf_addstr(out, "%2C");
		else if (*p < 0x20 || *p == 0x7F)
			strbuf_addf(out, "\\x%02x", *p);
		else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			strbuf_addf(out, "\\u{%04X}", *++p);   /* C1 controls */
		else
			strbuf_addch(out, (char)*p);
	}
}

void ci_escape_data(struct strbuf *out, const char *s)
{
	escape(out, s, 0);
}

void ci_escape_property(struct strbuf *out, const char *s)
{
	escape(out, s, 1);
}

/* GitLab section names: [A-Za-z0-9_.-] only. */
static void section_name(struct strbuf *out, const char *stage)
{
	strbuf_addstr(out, "slurm_factory_");
	for (; *stage; stage++)
		strbuf_addch(out, strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789_.-", *stage) ? *stage : '_');
}

void ci_stage_begin(const char *command, const char *name, size_t index, size_t total,
		    int quiet)
{
	struct strbuf sb = STRBUF_INIT;

	switch (ci_detect()) {
	case CI_GITHUB:
		strbuf_addstr(&sb, "::group::");
		ci_escape_data(&sb, name);
		printf("%s\n", sb.buf);
		break;
	case CI_GITLAB:
		section_name(&sb, name);
		printf("\033[0Ksection_start:%lld:%s[collapsed=true]\r\033[0K%s\n",
		       (long long)time(NULL), sb.buf, name);
		break;
	case CI_NONE:
		break;
	}
	fflush(stdout);
	if (!quiet)
		fprintf(stderr, "%s: [%zu/%zu] %s started\n", command, index, total, name);
	strbuf_release(&sb);
}

void ci_stage_end(const char *command, const struct stage_report *s, int quiet)
{
	struct strbuf sb = STRBUF_INIT;

	if (!quiet || s->outcome == OUTCOME_FAIL || s->outcome == OUTCOME_ERROR)
		fprintf(stderr, "%s: %s %s in %.2fs\n", command, s->name, outcome_name(s->outcome),
			s->duration);
	switch (ci_detect()) {
	case CI_GITHUB:
		printf("::endgroup::\n");
		break;
	case CI_GITLAB:
		section_name(&sb, s->name);
		printf("\033[0Ksection_end:%lld:%s\r\033[0K\n", (long long)time(NULL), sb.buf);
		break;
	case CI_NONE:
		break;
	}
	fflush(stdout);
	strbuf_release(&sb);
}

void ci_mask_secrets(const char *const *values, size_t n)
{
	size_t i;

	if (ci_detect() != CI_GITHUB)
		return;
	for (i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		ci_escape_data(&sb, values[i]);
		printf("::add-mask::%s\n", sb.buf);
		strbuf_release(&sb);
	}
	fflush(stdout);
}

/* --- annotations ------------------------------------------------------- */

static void annotation(struct strbuf *out, const char *file, const char *title,
		       const char *message)
{
	strbuf_addstr(out, "::error ");
	if (file) {
		strbuf_addstr(out, "file=");
		ci_escape_property(out, file);
		strbuf_addch(out, ',');
	}
	strbuf_addstr(out, "title=");
	ci_escape_property(out, title);
	strbuf_addstr(out, "::");
	ci_escape_data(out, message);
	strbuf_addch(out, '\n');
}

void ci_github_annotations(const struct report *r, const char *json_path,
			   struct strbuf *out)
{
	size_t total = 0, shown = 0, budget, i, j, k;

	/* what deserves an annotation: error findings, failed checks without one */
	for (i = 0; i < r->nr_stages; i++)
		for (j = 0; j < r->stages[i]->nr_checks; j++) {
			const struct check *c = r->stages[i]->checks[j];
			if (c->nr_by_severity[SEV_ERROR])
				total += c->nr_by_severity[SEV_ERROR];
			else if (c->outcome == OUTCOME_FAIL || c->outcome == OUTCOME_ERROR)
				total++;
		}
	budget = total > GITHUB_MAX_ANNOTATIONS ? GITHUB_MAX_ANNOTATIONS - 1 : total;
	for (i = 0; i < r->nr_stages && shown < budget; i++) {
		const struct stage_report *s = r->stages[i];
		for (j = 0; j < s->nr_checks && shown < budget; j++) {
			const struct check *c = s->checks[j];
			struct strbuf title = STRBUF_INIT, msg = STRBUF_INIT;

			if (!c->nr_by_severity[SEV_ERROR] &&
			    (c->outcome == OUTCOME_FAIL || c->outcome == OUTCOME_ERROR)) {
				strbuf_addf(&title, "%s: %s", s->name, c->name);
				annotation(out, NULL, title.buf, c->message ? c->message :
					   outcome_name(c->outcome));
				shown++;
			}
			for (k = 0; k < c->nr_findings && shown < budget; k++) {
				const struct finding *f = c->findings[k];
				if (f->severity != SEV_ERROR)
					continue;
				strbuf_reset(&title);
				strbuf_reset(&msg);
				strbuf_addf(&title, "%s: %s", s->name, f->rule);
				strbuf_addstr(&msg, f->message);
				if (f->entry)
					strbuf_addf(&msg, ": %s", f->entry);
				if (f->fix)
					strbuf_addf(&msg, "\nFix: %s", f->fix);
				annotation(out, f->file, title.buf, msg.buf);
				shown++;
			}
			strbuf_release(&title);
			strbuf_release(&msg);
		}
	}
	if (total > shown) {
		struct strbuf msg = STRBUF_INIT;
		strbuf_addf(&msg, "%zu more finding%s not annotated; see the step summary%s%s",
			    total - shown, total - shown == 1 ? "" : "s",
			    json_path ? " and " : "", json_path ? json_path : "");
		annotation(out, NULL, "slurm-factory", msg.buf);
		strbuf_release(&msg);
	}
}

/* --- Markdown summary -------------------------------------------------- */

void md_escape(struct strbuf *out, const char *s)
{
	struct strbuf clean = STRBUF_INIT;
	size_t i;

	utf8_sanitize(&clean, s, strlen(s), 1);
	for (i = 0; i < clean.len; i++) {
		char ch = clean.buf[i];
		if (ch == '\n' || ch == '\r' || ch == '\t')
			strbuf_addch(out, ' ');
		else if (ch == '<')
			strbuf_addstr(out, "&lt;");
		else if (ch == '>')
			strbuf_addstr(out, "&gt;");
		else if (ch == '&')
			strbuf_addstr(out, "&amp;");
		else if (strchr("\\`*_{}[]()#+-.!|~", ch)) {
			strbuf_addch(out, '\\');
			strbuf_addch(out, ch);
		} else
			strbuf_addch(out, ch);
	}
	strbuf_release(&clean);
}

/* "Runs on glibc ≥ 2.34" from the first stage that says (verify), else nothing. */
static void summary_floor(const struct report *r, struct strbuf *out)
{
	const char *glibc = NULL, *glibcxx = NULL;
	size_t i;

	for (i = 0; i < r->nr_stages && !glibc; i++) {
		glibc = stage_get_prop(r->stages[i], symver_family_key(SYMVER_GLIBC));
		glibcxx = stage_get_prop(r->stages[i], symver_family_key(SYMVER_GLIBCXX));
	}
	if (!glibc)
		return;
	strbuf_addstr(out, "\nRuns on glibc \xe2\x89\xa5 ");
	md_escape(out, glibc);
	if (glibcxx) {
		strbuf_addstr(out, " and libstdc++ with GLIBCXX\\_");
		md_escape(out, glibcxx);
	}
	strbuf_addstr(out, " (the glibc floor).\n");
}

void ci_proven(const struct report *r, struct strbuf *out)
{
	const char *glibc = NULL, *proven = NULL, *failed = NULL;
	size_t i;

	for (i = 0; i < r->nr_stages; i++) {
		if (!glibc)
			glibc = stage_get_prop(r->stages[i], symver_family_key(SYMVER_GLIBC));
		if (!strcmp(r->stages[i]->name, "smoke")) {
			proven = stage_get_prop(r->stages[i], "proven_on");
			failed = stage_get_prop(r->stages[i], "failed_on");
		}
	}
	if (glibc)
		strbuf_addf(out, "glibc \xe2\x89\xa5 %s", glibc);
	if (proven && *proven)
		strbuf_addf(out, "%sproven on: %s", glibc ? "; " : "", proven);
	if (failed && *failed)
		strbuf_addf(out, "%sfailed on: %s", glibc || (proven && *proven) ? "; " : "",
			    failed);
}

void ci_github_summary(const struct report *r, struct strbuf *out, size_t max)
{
	static const char cut[] = "\n\n*Summary cut at GitHub's size limit; the full "
				  "report is in the JSON file.*\n";
	size_t start = out->len, i, j, k, listed = 0, more = 0, shown;
	const char *gate = report_get_prop(r, "stopped_by");   /* written by the runner */

	strbuf_addf(out, "## slurm-factory %s: %s (exit %d)\n\n", r->command,
		    r->exit_code == 0 ? "passed" : r->exit_code == 1 ? "FAILED" :
		    r->exit_code == 2 ? "environment error" : "usage error", r->exit_code);
	if (gate) {
		strbuf_addstr(out, "Stopped by the gate **");
		md_escape(out, gate);
		strbuf_addstr(out, "**: nothing after it ran, nothing was published.\n\n");
	}
	strbuf_addstr(out, "| stage | outcome | duration | checks | note |\n"
			   "| --- | --- | --- | ---: | --- |\n");
	for (i = 0; i < r->nr_stages; i++) {
		const struct stage_report *s = r->stages[i];
		strbuf_addstr(out, "| ");
		md_escape(out, s->name);
		strbuf_addf(out, " | %s | %.2f s | %zu | ", outcome_name(s->outcome),
			    s->duration, s->nr_checks);
		if (s->skip_reason)
			md_escape(out, s->skip_reason);
		strbuf_addstr(out, " |\n");
	}
	summary_floor(r, out);
	{
		struct strbuf line = STRBUF_INIT;
		ci_proven(r, &line);
		if (strstr(line.buf, "proven on: ") || strstr(line.buf, "failed on: ")) {
			strbuf_addstr(out, "\n**");
			md_escape(out, line.buf);
			strbuf_addstr(out, "** (a whole cluster smoke in a runtime of each "
				      "Debian release).\n");
		}
		strbuf_release(&line);
	}
	for (i = 0; i < r->nr_stages; i++)
		for (j = 0; j < r->stages[i]->nr_checks; j++) {
			const struct check *c = r->stages[i]->checks[j];
			if (c->outcome != OUTCOME_FAIL && c->outcome != OUTCOME_ERROR)
				continue;
			if (!listed++)
				strbuf_addstr(out, "\n### Problems\n\n");
			strbuf_addstr(out, "- **");
			md_escape(out, r->stages[i]->name);
			strbuf_addstr(out, " / ");
			md_escape(out, c->name);
			strbuf_addstr(out, "**");
			if (c->message) {
				strbuf_addstr(out, ": ");
				md_escape(out, c->message);
			}
			strbuf_addch(out, '\n');
			shown = 0;
			for (k = 0; k < c->nr_findings; k++) {
				const struct finding *f = c->findings[k];
				if (f->severity != SEV_ERROR)
					continue;
				if (shown >= SUMMARY_FINDINGS_PER_CHECK || out->len - start > max / 2)
					break;
				shown++;
				strbuf_addstr(out, "  - ");
				md_escape(out, f->rule);
				if (f->file) {
					strbuf_addstr(out, " in ");
					md_escape(out, f->file);
				}
				strbuf_addstr(out, ": ");
				md_escape(out, f->message);
				if (f->fix) {
					strbuf_addstr(out, " — fix: ");
					md_escape(out, f->fix);
				}
				strbuf_addch(out, '\n');
			}
			more += c->nr_by_severity[SEV_ERROR] - shown;
		}
	if (more)
		strbuf_addf(out, "\n%zu more findings are in the report.\n", more);
	if (out->len - start > max) {
		size_t keep = max > sizeof(cut) ? max - sizeof(cut) : 0;
		/* never cut inside a UTF-8 sequence */
		while (keep && ((unsigned char)out->buf[start + keep] & 0xC0) == 0x80)
			keep--;
		strbuf_setlen(out, start + keep);
		if (max > sizeof(cut))
			strbuf_addstr(out, cut);
	}
}

/* --- outputs ----------------------------------------------------------- */

static void add_line(struct strbuf *out, const char *key, const char *value, int multiline)
{
	struct strbuf v = STRBUF_INIT;
	size_t i;

	if (!value)
		return;
	utf8_sanitize(&v, value, strlen(value), 0);
	if (multiline && strchr(v.buf, '\n')) {
		struct strbuf delim = STRBUF_INIT;
		/* a delimiter that cannot occur in the value */
		do {
			strbuf_reset(&delim);
			strbuf_addstr(&delim, "SF_EOF_");
			fs_random_name(&delim, 12);
		} while (strstr(v.buf, delim.buf));
		strbuf_addf(out, "%s<<%s\n%s\n%s\n", key, delim.buf, v.buf, delim.buf);
		strbuf_release(&delim);
	} else {
		for (i = 0; i < v.len; i++)
			if (v.buf[i] == '\n' || v.buf[i] == '\r')
				v.buf[i] = ' ';
		strbuf_addf(out, "%s=%s\n", key, v.buf);
	}
	strbuf_release(&v);
}

void ci_results(const struct report *r, const struct ci_values *v,
		const struct ci_paths *paths, int multiline, struct strbuf *out)
{
	const struct { const char *name, *value; } vals[] = {
		{ "version", v->version }, { "tag", v->tag }, { "commit", v->commit },
		{ "artifacts_dir", v->artifacts_dir }, { "software", v->software },
		{ "module", v->module }, { "sha256", v->sha256 }, { "manifest", v->manifest },
		{ "sbom", v->sbom }, { "sbom_spdx", v->sbom_spdx }, { "provenance", v->provenance },
		{ "signature", v->signature }, { "stopped_by", v->stopped_by },
		{ "proven", v->proven },
	};
	struct strbuf sb = STRBUF_INIT, key = STRBUF_INIT;
	size_t i, k, sev[3] = { 0, 0, 0 }, st, c;

	strbuf_addf(&sb, "%d", r->exit_code);
	/*
	 * GitHub outputs are lower-case-hyphen; environment variables upper case,
	 * SLURM_FACTORY_RESULT_*: never the name of an option's variable
	 * (SLURM_FACTORY_<OPTION>), so a later step of the same job that runs
	 * the tool again does not read this run's results as its options.
	 */
	add_line(out, multiline ? "exit-code" : CI_RESULT_PREFIX "EXIT_CODE", sb.buf, 0);
	for (k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
		const char *p = vals[k].name;
		strbuf_reset(&key);
		if (multiline) {
			strbuf_addstr(&key, p);
			for (i = 0; i < key.len; i++)
				if (key.buf[i] == '_')
					key.buf[i] = '-';
		} else {
			strbuf_addstr(&key, CI_RESULT_PREFIX);
			for (i = 0; p[i]; i++)
				strbuf_addch(&key, (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]));
		}
		add_line(out, key.buf, vals[k].value, multiline);
	}
	/* the findings of every check, by severity: what a gate counts */
	for (st = 0; st < r->nr_stages; st++)
		for (c = 0; c < r->stages[st]->nr_checks; c++)
			for (i = 0; i < 3; i++)
				sev[i] += r->stages[st]->checks[c]->nr_by_severity[i];
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%zu", sev[SEV_ERROR]);
	add_line(out, multiline ? "errors" : CI_RESULT_PREFIX "ERRORS", sb.buf, 0);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%zu", sev[SEV_WARNING]);
	add_line(out, multiline ? "warnings" : CI_RESULT_PREFIX "WARNINGS", sb.buf, 0);
	if (paths) {
		add_line(out, multiline ? "report-json" : CI_RESULT_PREFIX "REPORT_JSON",
			 paths->json, 0);
		add_line(out, multiline ? "report-junit" : CI_RESULT_PREFIX "REPORT_JUNIT",
			 paths->junit, 0);
	}
	if (multiline && v->checksums)
		add_line(out, "checksums", v->checksums, 1);
	strbuf_release(&sb);
	strbuf_release(&key);
}

static int append_file(const char *path, const char *data, size_t len, struct strbuf *err)
{
	FILE *f = fopen(path, "a");

	if (!f) {
		strbuf_addf(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fwrite(data, 1, len, f) != len || fclose(f)) {
		strbuf_addf(err, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (long long)st.st_size;
}

int ci_finish(const struct report *r, const struct ci_values *v,
	      const struct ci_paths *paths, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *path;
	int ret = 0;

	switch (ci_detect()) {
	case CI_GITHUB:
		ci_github_annotations(r, paths ? paths->json : NULL, &sb);
		fputs(sb.buf, stdout);
		fflush(stdout);
		path = getenv("GITHUB_STEP_SUMMARY");
		if (path && *path) {
			long long room = GITHUB_SUMMARY_CAP - 4096 - file_size(path);
			strbuf_reset(&sb);
			if (room > 0) {
				ci_github_summary(r, &sb, (size_t)room);
				ret |= append_file(path, sb.buf, sb.len, err);
			}
		}
		path = getenv("GITHUB_OUTPUT");
		if (path && *path) {
			strbuf_reset(&sb);
			ci_results(r, v, paths, 1, &sb);
			ret |= append_file(path, sb.buf, sb.len, err);
		}
		path = getenv("GITHUB_ENV");
		if (path && *path) {
			strbuf_reset(&sb);
			ci_results(r, v, paths, 0, &sb);
			ret |= append_file(path, sb.buf, sb.len, err);
		}
		break;
	case CI_GITLAB:
		/* only where asked for (run writes one by default) */
		path = paths ? paths->dotenv : NULL;
		if (!path)
			break;
		ci_results(r, v, paths, 0, &sb);
		/* a fresh file: downstream jobs read exactly this run's values */
		if (fs_write_output(path, sb.buf, sb.len, err))
			ret = -1;
		break;
	case CI_NONE:
		break;
	}
	strbuf_release(&sb);
	return ret ? -1 : 0;
}
