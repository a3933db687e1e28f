/* Reading json-c documents: typed members, NULL when absent or of another type. */
#ifndef SF_JSONUTIL_H
#define SF_JSONUTIL_H

#include <json-c/json.h>

/* obj[key] when it is a string (borrowed from obj), else NULL; obj may be NULL. */
const char *json_member_str(struct json_object *obj, const char *key);
/* obj[key] when it is an array (borrowed), else NULL; obj may be NULL. */
struct json_object *json_member_array(struct json_object *obj, const char *key);

#endif
