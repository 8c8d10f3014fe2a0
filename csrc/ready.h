/*
 * ready.h - the master's ready queue (internal): tasks ordered by priority
 * (higher first), then by qseq (lower first).
 *
 * Tasks pushed in order (the common case: equal priorities submitted one
 * after another) go to a sorted ring, where push, top and pop are O(1) and
 * touch no other task; the others go to a binary heap. The top is the
 * better of the two heads. A task removed from the middle of the ring
 * leaves an empty slot that the head skips later. t->ready_pos says where
 * a task sits (WQI_READY_NONE when it is not queued).
 */
#ifndef WQI_READY_H
#define WQI_READY_H
#include <stddef.h>
#include <stdint.h>

struct work_queue_task;

#define WQI_READY_NONE UINT64_MAX

struct wqi_ready {
	struct work_queue_task **heap; /* out-of-order pushes */
	size_t n_heap, cap_heap;
	struct work_queue_task **ring; /* sorted run; NULL = removed; cap_ring slots, a power of 2 */
	uint64_t head, tail;           /* absolute positions: slots [head, tail) */
	size_t cap_ring;
	double last_prio;              /* key of the last task the ring took */
	int64_t last_qseq;
	size_t n;                      /* tasks in both */
};

void wqi_ready_init(struct wqi_ready *r);
void wqi_ready_free(struct wqi_ready *r);          /* the arrays, not the tasks */
/* Queue t (keys t->priority, t->qseq are read now and must not change while
 * it is queued). 0 or WQ_ENOMEM. */
int wqi_ready_push(struct wqi_ready *r, struct work_queue_task *t);
/* The first task, or NULL when empty. */
struct work_queue_task *wqi_ready_top(struct wqi_ready *r);
/* Take t out wherever it sits (t must be queued in r). */
void wqi_ready_remove(struct wqi_ready *r, struct work_queue_task *t);
static inline size_t wqi_ready_count(const struct wqi_ready *r) { return r->n; }
#endif
