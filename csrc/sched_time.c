/*
 * sched_time.c - the worker with the best (lowest) average time of the
 * tasks it completed successfully, measured at the master from dispatch to
 * result. A worker without history counts as 0, so every new worker is
 * tried once and then judged by its record. Ties: FCFS order.
 *
 * A heap of the available workers keyed by that average (sched_common.c)
 * makes a pick O(1) in the common case.
 */
#include "master.h"
#include "sched_policy.h"

static struct wqi_worker *time_pick(struct work_queue *q, struct work_queue_task *t)
{
	if (wqi_sched_index_enable(q, WQI_IDX_TIME))
		return wqi_sched_fcfs.pick(q, t);
	return wqi_sched_heap_best(q, WQI_IDX_TIME, t);
}

const struct wqi_sched wqi_sched_time = { "time", time_pick };
