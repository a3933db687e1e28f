/* The JSON writer of the report: the only file that includes json-c for output. */
#include "report_write.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "fsutil.h"

static json_object *jstr(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	json_object *o;

	if (!s)
		return NULL;
	utf8_sanitize(&sb, s, strlen(s), 0);
	o = json_object_new_string_len(sb.buf, (int)sb.len);
	strbuf_release(&sb);
	return o;
}

static json_object *jseconds(double v)
{
	char buf[32];

	if (v < 0)
		v = 0;
	snprintf(buf, sizeof(buf), "%.3f", v);
	return json_object_new_double_s(v, buf);
}

static void add(json_object *obj, const char *key, json_object *val)
{
	if (val)
		json_object_object_add(obj, key, val);
}

static json_object *jprops(const struct property *props, size_t nr)
{
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < nr; i++) {
		struct strbuf key = STRBUF_INIT;
		utf8_sanitize(&key, props[i].name, strlen(props[i].name), 0);
		json_object_object_add(o, key.buf, jstr(props[i].value));
		strbuf_release(&key);
	}
	return o;
}

static json_object *jcheck(const struct check *c)
{
	json_object *o = json_object_new_object();
	json_object *arr;
	size_t i;

	add(o, "name", jstr(c->name));
	add(o, "outcome", json_object_new_string(outcome_name(c->outcome)));
	add(o, "duration_s", jseconds(c->duration));
	add(o, "message", jstr(c->message));
	if (c->details.len)
		add(o, "details", jstr(c->details.buf));
	arr = json_object_new_object();
	add(arr, "error", json_object_new_int64((int64_t)c->nr_by_severity[SEV_ERROR]));
	add(arr, "warning", json_object_new_int64((int64_t)c->nr_by_severity[SEV_WARNING]));
	add(arr, "info", json_object_new_int64((int64_t)c->nr_by_severity[SEV_INFO]));
	add(o, "finding_counts", arr);
	arr = json_object_new_array();
	for (i = 0; i < c->nr_findings; i++) {
		const struct finding *f = c->findings[i];
		json_object *jf = json_object_new_object();
		add(jf, "rule", jstr(f->rule));
		add(jf, "severity", json_object_new_string(severity_name(f->severity)));
		add(jf, "file", jstr(f->file));
		add(jf, "entry", jstr(f->entry));
		add(jf, "message", jstr(f->message));
		add(jf, "fix", jstr(f->fix));
		json_object_array_add(arr, jf);
	}
	add(o, "findings", arr);
	arr = json_object_new_array();
	for (i = 0; i < c->nr_logs; i++)
		json_object_array_add(arr, jstr(c->logs[i]));
	add(o, "logs", arr);
	return o;
}

static json_object *jreport(const struct report *r)
{
	json_object *o = json_object_new_object();
	json_object *stages = json_object_new_array();
	size_t i, j;

	add(o, "schema_version", json_object_new_int(REPORT_SCHEMA_VERSION));
	add(o, "tool", json_object_new_string("slurm-factory"));
	add(o, "tool_version", json_object_new_string(SF_VERSION));
	add(o, "command", jstr(r->command));
	add(o, "timestamp", jstr(r->timestamp));
	add(o, "duration_s", jseconds(r->duration));
	add(o, "exit_code", json_object_new_int(r->exit_code));
	add(o, "interrupted", json_object_new_boolean(r->interrupted));
	add(o, "properties", jprops(r->props, r->nr_props));
	for (i = 0; i < r->nr_stages; i++) {
		const struct stage_report *s = r->stages[i];
		json_object *js = json_object_new_object();
		json_object *checks = json_object_new_array();

		add(js, "name", jstr(s->name));
		add(js, "outcome", json_object_new_string(outcome_name(s->outcome)));
		add(js, "timestamp", jstr(s->timestamp));
		add(js, "duration_s", jseconds(s->duration));
		add(js, "interrupted", json_object_new_boolean(s->interrupted));
		add(js, "skip_reason", jstr(s->skip_reason));
		add(js, "properties", jprops(s->props, s->nr_props));
		for (j = 0; j < s->nr_checks; j++)
			json_object_array_add(checks, jcheck(s->checks[j]));
		add(js, "checks", checks);
		json_object_array_add(stages, js);
	}
	add(o, "stages", stages);
	return o;
}

void report_json_string(const struct report *r, struct strbuf *out)
{
	json_object *o = jreport(r);
	size_t len = 0;
	const char *s = json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE,
		&len);

	strbuf_add(out, s, len);
	strbuf_addch(out, '\n');
	json_object_put(o);
}

int report_write_json(const struct report *r, const char *path, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	report_json_string(r, &sb);
	ret = fs_write_output(path, sb.buf, sb.len, err);
	strbuf_release(&sb);
	return ret;
}
