/*
 * strmap: a string-keyed hash map (open addressing). Keys are copied and
 * owned by the map; values are borrowed pointers the caller manages.
 */
#ifndef SF_STRMAP_H
#define SF_STRMAP_H

#include <stddef.h>

struct strmap_slot {
	char *key;
	void *value;
	size_t hash;
};

struct strmap {
	struct strmap_slot *slots;
	size_t nr, alloc;   /* alloc is a power of two or 0 */
};

void strmap_init(struct strmap *m);
/* Frees keys and slots, not values. */
void strmap_release(struct strmap *m);
/* Returns the value for `key`, or NULL (also when the stored value is NULL). */
void *strmap_get(const struct strmap *m, const char *key);
int strmap_has(const struct strmap *m, const char *key);
/* Inserts or replaces; returns the previous value or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *value);

#endif
