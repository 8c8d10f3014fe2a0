/*
 * table.h - hash tables (internal): u64 -> pointer and string -> pointer.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones), power-of-two capacity, grown at 3/4 load: O(1) average for
 * insert, lookup and remove. Values must not be NULL (NULL means "absent").
 * The string table copies its keys. Iteration order is unspecified, and an
 * insert or remove during an iteration may skip or repeat entries: collect
 * first, then change.
 *
 * Errors: 0 or -WQ_ENOMEM / -WQ_EINVAL. Nothing here blocks.
 */
#ifndef WQI_TABLE_H
#define WQI_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct wqi_itab_ent {
	uint64_t key;  /* the key */
	void *val;     /* NULL = empty slot */
};
struct wqi_itab {
	struct wqi_itab_ent *e;  /* cap slots, NULL until first insert */
	size_t cap;              /* power of two, or 0 */
	size_t count;            /* entries in use */
};
#define WQI_ITAB_INIT { NULL, 0, 0 }

void wqi_itab_init(struct wqi_itab *t);
void wqi_itab_free(struct wqi_itab *t);                    /* the table, not the values */
int wqi_itab_put(struct wqi_itab *t, uint64_t key, void *val); /* insert or replace */
void *wqi_itab_get(const struct wqi_itab *t, uint64_t key);
void *wqi_itab_remove(struct wqi_itab *t, uint64_t key);    /* the removed value or NULL */
/* Iterate: size_t pos = 0; while (wqi_itab_next(t, &pos, &key, &val)) ... */
int wqi_itab_next(const struct wqi_itab *t, size_t *pos, uint64_t *key, void **val);
static inline size_t wqi_itab_count(const struct wqi_itab *t) { return t->count; }

struct wqi_stab_ent {
	char *key;      /* owned copy; NULL = empty slot */
	uint64_t hash;  /* hash of key */
	void *val;      /* value */
};
struct wqi_stab {
	struct wqi_stab_ent *e;
	size_t cap;
	size_t count;
};
#define WQI_STAB_INIT { NULL, 0, 0 }

void wqi_stab_init(struct wqi_stab *t);
void wqi_stab_free(struct wqi_stab *t);                      /* keys freed, values not */
int wqi_stab_put(struct wqi_stab *t, const char *key, void *val);
void *wqi_stab_get(const struct wqi_stab *t, const char *key);
void *wqi_stab_remove(struct wqi_stab *t, const char *key);
int wqi_stab_next(const struct wqi_stab *t, size_t *pos, const char **key, void **val);
/* The value slot of key (to replace a value without any allocation), or NULL if absent. */
void **wqi_stab_slot(const struct wqi_stab *t, const char *key);
static inline size_t wqi_stab_count(const struct wqi_stab *t) { return t->count; }

#endif
