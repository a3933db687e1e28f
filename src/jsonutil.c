/* Typed members of json-c objects (see jsonutil.h). */
#include "jsonutil.h"

static struct json_object *member(struct json_object *obj, const char *key, json_type type)
{
	struct json_object *v;

	if (!obj || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

const char *json_member_str(struct json_object *obj, const char *key)
{
	struct json_object *v = member(obj, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

struct json_object *json_member_array(struct json_object *obj, const char *key)
{
	return member(obj, key, json_type_array);
}
