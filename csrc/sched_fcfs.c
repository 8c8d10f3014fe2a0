/*
 * sched_fcfs.c - first come, first served: the first worker with room.
 *
 * Workers on q->avail are in the order they got free resources, so the
 * common case (every task fits every worker) costs O(1) per task. The
 * default policy (WORK_QUEUE_SCHEDULE_DEFAULT), and the fallback of the
 * others when their own rule finds no worker.
 */
#include "master.h"
#include "sched_policy.h"

/* The first worker on the avail list that the task may go to, or NULL. */
static struct wqi_worker *fcfs_pick(struct work_queue *q, struct work_queue_task *t)
{
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->avail) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_avail);
		if (wqi_sched_ok(q, w, t))
			return w;
	}
	return NULL;
}

const struct wqi_sched wqi_sched_fcfs = { "fcfs", fcfs_pick };
