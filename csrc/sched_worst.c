/*
 * sched_worst.c - "worst fit": the worker with the most free resources,
 * free cores first, then free memory; ties in FCFS order. Spreads tasks
 * over the workers instead of filling one before the next.
 *
 * A heap of the available workers keyed by their free resources
 * (sched_common.c), re-placed in O(log workers) at each commit or release.
 */
#include "master.h"
#include "sched_policy.h"

static struct wqi_worker *worst_pick(struct work_queue *q, struct work_queue_task *t)
{
	if (wqi_sched_index_enable(q, WQI_IDX_WORST))
		return wqi_sched_fcfs.pick(q, t);
	return wqi_sched_heap_best(q, WQI_IDX_WORST, t);
}

const struct wqi_sched wqi_sched_worst = { "worst", worst_pick };
