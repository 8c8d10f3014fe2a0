/*
 * table.c - open-addressing hash tables, u64 keys and string keys.
 *
 * Linear probing keeps a lookup to one or two cache lines; deletion shifts
 * the following entries of the cluster back instead of leaving tombstones,
 * so a table that sees millions of insert/remove pairs (task ids) never
 * degrades and never needs a rebuild.
 */
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "work_queue.h"

#define MIN_CAP 16

/* splitmix64 finalizer: task ids are sequential, so spread their bits. */
static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* 64-bit FNV-1a of a C string. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- u64 -> pointer ---- */

void wqi_itab_init(struct wqi_itab *t)
{
	t->e = NULL;
	t->cap = t->count = 0;
}

void wqi_itab_free(struct wqi_itab *t)
{
	free(t->e);
	wqi_itab_init(t);
}

/* Slot of key, or the empty slot where it would go. cap must be > 0. */
static size_t itab_find(const struct wqi_itab *t, uint64_t key)
{
	size_t mask = t->cap - 1, i = hash_u64(key) & mask;
	while (t->e[i].val && t->e[i].key != key)
		i = (i + 1) & mask;
	return i;
}

/* Rehash into a table of ncap slots. */
static int itab_resize(struct wqi_itab *t, size_t ncap)
{
	struct wqi_itab old = *t;
	struct wqi_itab_ent *e = calloc(ncap, sizeof(*e));
	if (!e)
		return WQ_ENOMEM;
	t->e = e;
	t->cap = ncap;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.e[i].val)
			t->e[itab_find(t, old.e[i].key)] = old.e[i];
	}
	free(old.e);
	return 0;
}

int wqi_itab_put(struct wqi_itab *t, uint64_t key, void *val)
{
	if (!val)
		return WQ_EINVAL;
	if ((t->count + 1) * 4 > t->cap * 3) {
		int rc = itab_resize(t, t->cap ? t->cap * 2 : MIN_CAP);
		if (rc)
			return rc;
	}
	size_t i = itab_find(t, key);
	if (!t->e[i].val)
		t->count++;
	t->e[i].key = key;
	t->e[i].val = val;
	return 0;
}

void *wqi_itab_get(const struct wqi_itab *t, uint64_t key)
{
	if (!t->cap)
		return NULL;
	return t->e[itab_find(t, key)].val;
}

/*
 * Remove key and close the gap: walk the cluster after the freed slot and
 * move back every entry whose home slot is not between the gap and itself
 * (cyclically), so every remaining entry stays reachable from its home.
 */
void *wqi_itab_remove(struct wqi_itab *t, uint64_t key)
{
	if (!t->cap)
		return NULL;
	size_t mask = t->cap - 1, i = itab_find(t, key);
	void *val = t->e[i].val;
	if (!val)
		return NULL;
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!t->e[j].val)
			break;
		size_t home = hash_u64(t->e[j].key) & mask;
		/* may e[j] move to i? only if home is not in (i, j] cyclically */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i].val = NULL;
	t->e[i].key = 0;
	t->count--;
	return val;
}

int wqi_itab_next(const struct wqi_itab *t, size_t *pos, uint64_t *key, void **val)
{
	for (; *pos < t->cap; (*pos)++) {
		if (t->e[*pos].val) {
			if (key)
				*key = t->e[*pos].key;
			if (val)
				*val = t->e[*pos].val;
			(*pos)++;
			return 1;
		}
	}
	return 0;
}

/* ---- string -> pointer ---- */

void wqi_stab_init(struct wqi_stab *t)
{
	t->e = NULL;
	t->cap = t->count = 0;
}

void wqi_stab_free(struct wqi_stab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].key);
	free(t->e);
	wqi_stab_init(t);
}

static size_t stab_find(const struct wqi_stab *t, const char *key, uint64_t h)
{
	size_t mask = t->cap - 1, i = h & mask;
	while (t->e[i].key && (t->e[i].hash != h || strcmp(t->e[i].key, key) != 0))
		i = (i + 1) & mask;
	return i;
}

static int stab_resize(struct wqi_stab *t, size_t ncap)
{
	struct wqi_stab old = *t;
	struct wqi_stab_ent *e = calloc(ncap, sizeof(*e));
	if (!e)
		return WQ_ENOMEM;
	t->e = e;
	t->cap = ncap;
	for (size_t i = 0; i < old.cap; i++) {
		if (old.e[i].key)
			t->e[stab_find(t, old.e[i].key, old.e[i].hash)] = old.e[i];
	}
	free(old.e);
	return 0;
}

int wqi_stab_put(struct wqi_stab *t, const char *key, void *val)
{
	if (!val || !key)
		return WQ_EINVAL;
	if ((t->count + 1) * 4 > t->cap * 3) {
		int rc = stab_resize(t, t->cap ? t->cap * 2 : MIN_CAP);
		if (rc)
			return rc;
	}
	uint64_t h = hash_str(key);
	size_t i = stab_find(t, key, h);
	if (!t->e[i].key) {
		char *k = strdup(key);
		if (!k)
			return WQ_ENOMEM;
		t->e[i].key = k;
		t->e[i].hash = h;
		t->count++;
	}
	t->e[i].val = val;
	return 0;
}

void *wqi_stab_get(const struct wqi_stab *t, const char *key)
{
	if (!t->cap || !key)
		return NULL;
	struct wqi_stab_ent *e = &t->e[stab_find(t, key, hash_str(key))];
	return e->key ? e->val : NULL;
}

void **wqi_stab_slot(const struct wqi_stab *t, const char *key)
{
	if (!t->cap || !key)
		return NULL;
	struct wqi_stab_ent *e = &t->e[stab_find(t, key, hash_str(key))];
	return e->key ? &e->val : NULL;
}

/* Same backward-shift deletion as the u64 table. */
void *wqi_stab_remove(struct wqi_stab *t, const char *key)
{
	if (!t->cap || !key)
		return NULL;
	size_t mask = t->cap - 1, i = stab_find(t, key, hash_str(key));
	if (!t->e[i].key)
		return NULL;
	void *val = t->e[i].val;
	free(t->e[i].key);
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!t->e[j].key)
			break;
		size_t home = t->e[j].hash & mask;
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i].key = NULL;
	t->e[i].val = NULL;
	t->count--;
	return val;
}

int wqi_stab_next(const struct wqi_stab *t, size_t *pos, const char **key, void **val)
{
	for (; *pos < t->cap; (*pos)++) {
		if (t->e[*pos].key) {
			if (key)
				*key = t->e[*pos].key;
			if (val)
				*val = t->e[*pos].val;
			(*pos)++;
			return 1;
		}
	}
	return 0;
}
