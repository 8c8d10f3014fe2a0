/*
 * sched_rand.c - a worker chosen uniformly at random among those the task
 * may go to.
 *
 * Rejection sampling over the array of available workers: a uniform draw
 * that is acceptable is a uniform draw among the acceptable ones. When the
 * draws keep missing (few acceptable workers), one pass with reservoir
 * sampling finishes the job, still uniform.
 */
#include "master.h"
#include "sched_policy.h"

#define DRAWS 16  /* random draws before the reservoir pass */

static struct wqi_worker *rand_pick(struct work_queue *q, struct work_queue_task *t)
{
	if (wqi_sched_index_enable(q, WQI_IDX_RAND))
		return wqi_sched_fcfs.pick(q, t); /* out of memory: degrade to FCFS */
	struct wqi_windex *x = &q->idx[WQI_IDX_RAND];
	if (x->n == 0)
		return NULL;
	for (int i = 0; i < DRAWS; i++) {
		struct wqi_worker *w = x->a[wqi_sched_random(q) % x->n];
		if (wqi_sched_ok(q, w, t))
			return w;
	}
	struct wqi_worker *chosen = NULL;
	uint64_t seen = 0;
	for (size_t k = 0; k < x->n; k++) {
		if (!wqi_sched_ok(q, x->a[k], t))
			continue;
		seen++;
		if (wqi_sched_random(q) % seen == 0)
			chosen = x->a[k];
	}
	return chosen;
}

const struct wqi_sched wqi_sched_rand = { "rand", rand_pick };
