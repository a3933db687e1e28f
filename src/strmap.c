#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->alloc; i++)
		free(m->slots[i].key);
	free(m->slots);
	strmap_init(m);
}

static struct strmap_slot *find(const struct strmap *m, const char *key, size_t h)
{
	size_t mask = m->alloc - 1, i = h & mask;

	for (;;) {
		struct strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && !strcmp(s->key, key)))
			return s;
		i = (i + 1) & mask;
	}
}

static void rehash(struct strmap *m, size_t alloc)
{
	struct strmap old = *m;
	size_t i;

	m->slots = xcalloc(alloc, sizeof(*m->slots));
	m->alloc = alloc;
	m->nr = 0;
	for (i = 0; i < old.alloc; i++) {
		if (old.slots[i].key) {
			struct strmap_slot *s = find(m, old.slots[i].key, old.slots[i].hash);
			*s = old.slots[i];
			m->nr++;
		}
	}
	free(old.slots);
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	if (!m->alloc)
		return NULL;
	s = find(m, key, hash_str(key));
	return s->key ? s->value : NULL;
}

int strmap_has(const struct strmap *m, const char *key)
{
	return m->alloc && find(m, key, hash_str(key))->key != NULL;
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
	size_t h = hash_str(key);
	struct strmap_slot *s;
	void *old;

	if ((m->nr + 1) * 4 >= m->alloc * 3)
		rehash(m, m->alloc ? m->alloc * 2 : 64);
	s = find(m, key, h);
	if (s->key) {
		old = s->value;
		s->value = value;
		return old;
	}
	s->key = xstrdup(key);
	s->hash = h;
	s->value = value;
	m->nr++;
	return NULL;
}
