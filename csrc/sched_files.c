/*
 * sched_files.c - FILES: the worker already holding the most bytes of the
 * task's cached inputs (ties: FCFS order; nobody holds any: FCFS), and the
 * cache index it needs.
 *
 * The index maps each cached object name to the workers holding it
 * (q->holders); each worker's cache table maps the name back to its
 * position in that holder list, so adding and removing are O(1). A pick
 * scores only the holders of the task's cached inputs, never every worker:
 * O(sum over the task's cached inputs of their holders).
 */
#include <stdint.h>
#include <stdlib.h>

#include "master.h"
#include "sched_policy.h"

struct wqi_holders {
	struct wqi_worker **w;  /* workers holding the object */
	uint32_t n, cap;
};

int wqi_cache_has(const struct wqi_worker *w, const char *name)
{
	return wqi_stab_get(&w->cache, name) != NULL;
}

/* Record that w holds name: in its own table and in the holder list. */
int wqi_cache_add(struct wqi_worker *w, const char *name)
{
	struct work_queue *q = w->q;
	if (!name || !*name || wqi_stab_get(&w->cache, name))
		return 0;
	struct wqi_holders *h = wqi_stab_get(&q->holders, name);
	if (!h) {
		if (!(h = calloc(1, sizeof(*h))))
			return WQ_ENOMEM;
		if (wqi_stab_put(&q->holders, name, h)) {
			free(h);
			return WQ_ENOMEM;
		}
	}
	if (h->n == h->cap) {
		uint32_t nc = h->cap ? h->cap * 2 : 4;
		struct wqi_worker **nw = realloc(h->w, nc * sizeof(*nw));
		if (!nw)
			goto fail;
		h->w = nw;
		h->cap = nc;
	}
	if (wqi_stab_put(&w->cache, name, (void *)(uintptr_t)(h->n + 1)))
		goto fail;
	h->w[h->n++] = w;
	return 0;
fail:
	if (h->n == 0) {
		wqi_stab_remove(&q->holders, name);
		free(h->w);
		free(h);
	}
	return WQ_ENOMEM;
}

/* Take w out of name's holder list (swap with the last holder, whose
 * position is fixed in place: no allocation, cannot fail). */
static void holders_drop(struct work_queue *q, struct wqi_worker *w, const char *name, uintptr_t pos1)
{
	struct wqi_holders *h = wqi_stab_get(&q->holders, name);
	if (!h || pos1 == 0 || pos1 > h->n || h->w[pos1 - 1] != w)
		return;
	struct wqi_worker *last = h->w[--h->n];
	if (pos1 - 1 != h->n) {
		h->w[pos1 - 1] = last;
		void **slot = wqi_stab_slot(&last->cache, name);
		if (slot)
			*slot = (void *)pos1;
	}
	if (h->n == 0) {
		wqi_stab_remove(&q->holders, name);
		free(h->w);
		free(h);
	}
}

void wqi_cache_remove(struct wqi_worker *w, const char *name)
{
	void *v = wqi_stab_get(&w->cache, name);
	if (!v)
		return;
	holders_drop(w->q, w, name, (uintptr_t)v);
	wqi_stab_remove(&w->cache, name);
}

void wqi_cache_clear(struct wqi_worker *w)
{
	size_t pos = 0;
	const char *name;
	void *v;
	while (wqi_stab_next(&w->cache, &pos, &name, &v))
		holders_drop(w->q, w, name, (uintptr_t)v);
	wqi_stab_free(&w->cache);
	wqi_stab_init(&w->cache);
}

void wqi_cache_free(struct work_queue *q)
{
	size_t pos = 0;
	void *v;
	while (wqi_stab_next(&q->holders, &pos, NULL, &v)) {
		struct wqi_holders *h = v;
		free(h->w);
		free(h);
	}
	wqi_stab_free(&q->holders);
}

/* Is a (score sa) a better FILES choice than b (score sb)? */
static int better(const struct wqi_worker *a, uint64_t sa, const struct wqi_worker *b, uint64_t sb)
{
	if (!b)
		return 1;
	if (sa != sb)
		return sa > sb;
	return a->avail_seq < b->avail_seq;
}

/* The workers holding input f when it is cached under a name, else NULL. */
static struct wqi_holders *cached_holders(const struct work_queue *q, const struct wqi_file *f)
{
	if (!(f->flags & WORK_QUEUE_CACHE) || !f->cachename || !*f->cachename)
		return NULL;
	return wqi_stab_get(&q->holders, f->cachename);
}

/*
 * Score the holders of each cached input (bytes held), using a per-pick
 * stamp instead of clearing scores, then take the best acceptable holder
 * that is available.
 */
static struct wqi_worker *files_pick(struct work_queue *q, struct work_queue_task *t)
{
	uint64_t stamp = ++q->score_stamp;
	int any = 0;
	for (uint32_t i = 0; i < t->n_inputs; i++) {
		struct wqi_file *f = &t->inputs[i];
		struct wqi_holders *h = cached_holders(q, f);
		for (uint32_t k = 0; h && k < h->n; k++) {
			struct wqi_worker *w = h->w[k];
			if (w->score_stamp != stamp) {
				w->score_stamp = stamp;
				w->score = 0;
			}
			w->score += f->size;
			any = 1;
		}
	}
	struct wqi_worker *best = NULL;
	for (uint32_t i = 0; any && i < t->n_inputs; i++) {
		struct wqi_holders *h = cached_holders(q, &t->inputs[i]);
		for (uint32_t k = 0; h && k < h->n; k++) {
			struct wqi_worker *w = h->w[k];
			if (w != best && wqi_list_linked(&w->n_avail) && better(w, w->score, best, best ? best->score : 0) &&
			    wqi_sched_ok(q, w, t))
				best = w;
		}
	}
	return best ? best : wqi_sched_fcfs.pick(q, t);
}

const struct wqi_sched wqi_sched_files = { "files", files_pick };
