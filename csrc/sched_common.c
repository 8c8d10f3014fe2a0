/*
 * sched_common.c - what every policy shares: the policy table, the filter
 * a worker must pass for a task (wqi_sched_ok), and the worker indexes kept
 * over q->avail for the policies that need an order (TIME, WORST) or a
 * uniform sample (RAND).
 *
 * An index is kept only once its policy has been used (q->idx_on), so a
 * queue that never leaves FCFS pays nothing. Kept indexes follow every
 * change of q->avail through wqi_worker_update_avail(), which dispatch
 * calls whenever a worker's free resources change: O(log workers) each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "master.h"
#include "sched_policy.h"
#include "util.h"

#define BEST_FIRST_NODES 32  /* heap nodes visited in order before a full scan */

const struct wqi_sched *wqi_sched_get(int algorithm)
{
	switch (algorithm) {
	case WORK_QUEUE_SCHEDULE_FILES: return &wqi_sched_files;
	case WORK_QUEUE_SCHEDULE_TIME: return &wqi_sched_time;
	case WORK_QUEUE_SCHEDULE_RAND: return &wqi_sched_rand;
	case WORK_QUEUE_SCHEDULE_WORST: return &wqi_sched_worst;
	default: return &wqi_sched_fcfs;
	}
}

/*
 * The filter shared by every policy. Blocked workers never get here (they
 * are kept off q->avail). The worker that fast-aborted t is avoided while
 * any other worker is connected: a task sent back to the same slow machine
 * would most likely be aborted again.
 */
int wqi_sched_ok(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t)
{
	if (!wqi_fits(w, t))
		return 0;
	if (t->pref_on && !wqi_task_prefers(t, w->hostname, w->ip, w->addr, w->worker_id))
		return 0;
	if (t->avoid_serial && t->avoid_serial == w->serial && q->n_ready_workers > 1)
		return 0;
	return 1;
}

uint64_t wqi_sched_random(struct work_queue *q)
{
	if (!q->rng)
		q->rng = (wqi_now_us() ^ ((uint64_t)getpid() << 32)) | 1;
	q->rng ^= q->rng >> 12;
	q->rng ^= q->rng << 25;
	q->rng ^= q->rng >> 27;
	return q->rng * 0x2545F4914F6CDD1DULL;
}

/* ---- heap order ---- */

/* Average time of a worker's successful tasks; 0 without history, so
 * untried workers are tried first (docs/scheduling.md). */
static uint64_t avg_time(const struct wqi_worker *w)
{
	return w->n_done > 0 ? w->sum_done_us / (uint64_t)w->n_done : 0;
}

/* Does a come before b in index i? Ties go to the earlier avail_seq (FCFS). */
static int before(int i, const struct wqi_worker *a, const struct wqi_worker *b)
{
	if (i == WQI_IDX_TIME) {
		uint64_t x = avg_time(a), y = avg_time(b);
		if (x != y)
			return x < y;
	} else if (i == WQI_IDX_WORST) {
		int64_t ca = a->cores - a->u_cores, cb = b->cores - b->u_cores;
		if (ca != cb)
			return ca > cb;
		int64_t ma = a->memory - a->u_memory, mb = b->memory - b->u_memory;
		if (ma != mb)
			return ma > mb;
	}
	return a->avail_seq < b->avail_seq;
}

static void iset(struct wqi_windex *x, int i, size_t pos, struct wqi_worker *w)
{
	x->a[pos] = w;
	w->ipos[i] = pos;
}

static void sift_up(struct wqi_windex *x, int i, size_t pos)
{
	struct wqi_worker *w = x->a[pos];
	while (pos > 0) {
		size_t p = (pos - 1) / 2;
		if (!before(i, w, x->a[p]))
			break;
		iset(x, i, pos, x->a[p]);
		pos = p;
	}
	iset(x, i, pos, w);
}

static void sift_down(struct wqi_windex *x, int i, size_t pos)
{
	struct wqi_worker *w = x->a[pos];
	for (;;) {
		size_t c = 2 * pos + 1;
		if (c >= x->n)
			break;
		if (c + 1 < x->n && before(i, x->a[c + 1], x->a[c]))
			c++;
		if (!before(i, x->a[c], w))
			break;
		iset(x, i, pos, x->a[c]);
		pos = c;
	}
	iset(x, i, pos, w);
}

/* Add w to index i (a heap unless RAND). 0 or WQ_ENOMEM. */
static int idx_add(struct work_queue *q, int i, struct wqi_worker *w)
{
	struct wqi_windex *x = &q->idx[i];
	if (w->ipos[i] != SIZE_MAX)
		return 0;
	struct wqi_worker **na = wqi_grow(x->a, &x->cap, x->n, sizeof(*na), 64);
	if (!na)
		return WQ_ENOMEM;
	x->a = na;
	iset(x, i, x->n++, w);
	if (i != WQI_IDX_RAND)
		sift_up(x, i, x->n - 1);
	return 0;
}

static void idx_remove(struct work_queue *q, int i, struct wqi_worker *w)
{
	struct wqi_windex *x = &q->idx[i];
	size_t pos = w->ipos[i];
	if (pos == SIZE_MAX)
		return;
	w->ipos[i] = SIZE_MAX;
	struct wqi_worker *last = x->a[--x->n];
	if (pos == x->n)
		return;
	iset(x, i, pos, last);
	if (i != WQI_IDX_RAND) {
		sift_up(x, i, pos);
		sift_down(x, i, last->ipos[i]);
	}
}

/* Drop index i (after an allocation failure): it is rebuilt at next use. */
static void idx_drop(struct work_queue *q, int i)
{
	struct wqi_windex *x = &q->idx[i];
	for (size_t k = 0; k < x->n; k++)
		x->a[k]->ipos[i] = SIZE_MAX;
	x->n = 0;
	q->idx_on &= ~(1u << i);
}

int wqi_sched_index_enable(struct work_queue *q, int i)
{
	if (q->idx_on & (1u << i))
		return 0;
	q->idx_on |= 1u << i;
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->avail) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_avail);
		if (idx_add(q, i, w)) {
			idx_drop(q, i);
			return WQ_ENOMEM;
		}
	}
	return 0;
}

void wqi_sched_avail_add(struct work_queue *q, struct wqi_worker *w)
{
	for (int i = 0; i < WQI_IDX_N; i++)
		if ((q->idx_on & (1u << i)) && idx_add(q, i, w))
			idx_drop(q, i);
}

void wqi_sched_avail_remove(struct work_queue *q, struct wqi_worker *w)
{
	for (int i = 0; i < WQI_IDX_N; i++)
		idx_remove(q, i, w);
}

/* Re-place w in the heaps after its free resources or history changed. */
void wqi_sched_avail_changed(struct work_queue *q, struct wqi_worker *w)
{
	for (int i = WQI_IDX_RAND + 1; i < WQI_IDX_N; i++) {
		size_t pos = w->ipos[i];
		if (pos == SIZE_MAX)
			continue;
		sift_up(&q->idx[i], i, pos);
		sift_down(&q->idx[i], i, w->ipos[i]);
	}
}

/*
 * The first acceptable worker in heap order. The heap's top is the answer
 * in the common case; otherwise the nodes are visited best first (a small
 * frontier heap of positions: a node's children are the only candidates
 * for the next best), and after BEST_FIRST_NODES rejections one pass over
 * the heap finds the best acceptable worker, so the worst case is one scan
 * of the available workers, never more.
 */
struct wqi_worker *wqi_sched_heap_best(struct work_queue *q, int i, struct work_queue_task *t)
{
	struct wqi_windex *x = &q->idx[i];
	size_t fr[BEST_FIRST_NODES + 2];
	size_t nf = 0;
	if (x->n == 0)
		return NULL;
	fr[nf++] = 0;
	for (int visited = 0; nf > 0 && visited < BEST_FIRST_NODES; visited++) {
		/* pop the best position of the frontier (tiny: linear is fine) */
		size_t b = 0;
		for (size_t k = 1; k < nf; k++)
			if (before(i, x->a[fr[k]], x->a[fr[b]]))
				b = k;
		size_t pos = fr[b];
		fr[b] = fr[--nf];
		if (wqi_sched_ok(q, x->a[pos], t))
			return x->a[pos];
		for (size_t c = 2 * pos + 1; c <= 2 * pos + 2 && c < x->n; c++)
			fr[nf++] = c;
	}
	if (nf == 0)
		return NULL; /* every node visited */
	struct wqi_worker *best = NULL;
	for (size_t k = 0; k < x->n; k++)
		if ((!best || before(i, x->a[k], best)) && wqi_sched_ok(q, x->a[k], t))
			best = x->a[k];
	return best;
}

void wqi_sched_free(struct work_queue *q)
{
	for (int i = 0; i < WQI_IDX_N; i++) {
		idx_drop(q, i);
		free(q->idx[i].a);
		q->idx[i].a = NULL;
		q->idx[i].cap = 0;
	}
	wqi_cache_free(q);
}
