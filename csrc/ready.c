/*
 * ready.c - the master's ready queue: a sorted ring for in-order pushes
 * plus a binary heap for the rest (see ready.h).
 *
 * Why not just the heap: with 100,000 queued tasks a heap pop walks 17
 * levels and compares two tasks per level, each a cache miss on a task
 * record; that was the master's largest function per task (ready_remove,
 * 9 % of its instructions with 20,000 queued). Submissions of equal
 * priority arrive in key order, so the ring takes them with no comparison
 * beyond the last key, and a pop reads one slot.
 *
 * ready_pos: the heap index, or RING_BIT | the absolute ring position.
 */
#include <stdlib.h>

#include "ready.h"
#include "task.h"
#include "util.h"
#include "work_queue.h"

#define RING_BIT (UINT64_C(1) << 63)

void wqi_ready_init(struct wqi_ready *r)
{
	*r = (struct wqi_ready){ 0 };
}

void wqi_ready_free(struct wqi_ready *r)
{
	free(r->heap);
	free(r->ring);
	wqi_ready_init(r);
}

static int before(const struct work_queue_task *a, const struct work_queue_task *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->qseq < b->qseq;
}

/* ---- the heap ---- */

static void heap_set(struct wqi_ready *r, size_t i, struct work_queue_task *t)
{
	r->heap[i] = t;
	t->ready_pos = i;
}

static void heap_up(struct wqi_ready *r, size_t i)
{
	struct work_queue_task *t = r->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(t, r->heap[p]))
			break;
		heap_set(r, i, r->heap[p]);
		i = p;
	}
	heap_set(r, i, t);
}

static void heap_down(struct wqi_ready *r, size_t i)
{
	struct work_queue_task *t = r->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= r->n_heap)
			break;
		if (c + 1 < r->n_heap && before(r->heap[c + 1], r->heap[c]))
			c++;
		if (!before(r->heap[c], t))
			break;
		heap_set(r, i, r->heap[c]);
		i = c;
	}
	heap_set(r, i, t);
}

static int heap_push(struct wqi_ready *r, struct work_queue_task *t)
{
	struct work_queue_task **nh = wqi_grow(r->heap, &r->cap_heap, r->n_heap, sizeof(*nh), 64);
	if (!nh)
		return WQ_ENOMEM;
	r->heap = nh;
	heap_set(r, r->n_heap++, t);
	heap_up(r, r->n_heap - 1);
	return 0;
}

static void heap_remove(struct wqi_ready *r, size_t i)
{
	struct work_queue_task *last = r->heap[--r->n_heap];
	if (i == r->n_heap)
		return;
	heap_set(r, i, last);
	heap_up(r, i);
	heap_down(r, last->ready_pos);
}

/* ---- the ring ---- */

static struct work_queue_task **slot(const struct wqi_ready *r, uint64_t pos)
{
	return &r->ring[pos & (r->cap_ring - 1)];
}

/* Skip removed slots at the head. */
static void ring_trim(struct wqi_ready *r)
{
	while (r->head < r->tail && !*slot(r, r->head))
		r->head++;
	if (r->head == r->tail)
		r->head = r->tail = 0;
}

static int ring_grow(struct wqi_ready *r)
{
	size_t nc = r->cap_ring ? r->cap_ring * 2 : 256;
	struct work_queue_task **nr = malloc(nc * sizeof(*nr));
	if (!nr)
		return WQ_ENOMEM;
	for (uint64_t p = r->head; p < r->tail; p++)
		nr[p & (nc - 1)] = *slot(r, p);
	free(r->ring);
	r->ring = nr;
	r->cap_ring = nc;
	return 0;
}

/* Does t sort at or after the ring's last task? (an empty ring takes anything) */
static int ring_takes(const struct wqi_ready *r, const struct work_queue_task *t)
{
	if (r->head == r->tail)
		return 1;
	if (t->priority != r->last_prio)
		return t->priority < r->last_prio;
	return t->qseq >= r->last_qseq;
}

int wqi_ready_push(struct wqi_ready *r, struct work_queue_task *t)
{
	if (!ring_takes(r, t)) {
		if (heap_push(r, t))
			return WQ_ENOMEM;
	} else {
		if (r->tail - r->head == r->cap_ring && ring_grow(r))
			return WQ_ENOMEM;
		*slot(r, r->tail) = t;
		t->ready_pos = RING_BIT | r->tail++;
		r->last_prio = t->priority;
		r->last_qseq = t->qseq;
	}
	r->n++;
	return 0;
}

struct work_queue_task *wqi_ready_top(struct wqi_ready *r)
{
	struct work_queue_task *a = r->head < r->tail ? *slot(r, r->head) : NULL;
	struct work_queue_task *b = r->n_heap ? r->heap[0] : NULL;
	if (!a || !b)
		return a ? a : b;
	return before(b, a) ? b : a;
}

void wqi_ready_remove(struct wqi_ready *r, struct work_queue_task *t)
{
	uint64_t pos = t->ready_pos;
	t->ready_pos = WQI_READY_NONE;
	r->n--;
	if (pos & RING_BIT) {
		*slot(r, pos & ~RING_BIT) = NULL;
		ring_trim(r);
	} else {
		heap_remove(r, (size_t)pos);
	}
}
