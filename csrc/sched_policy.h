/*
 * sched.h - scheduling policies (internal): which worker a ready task goes to.
 *
 * One file per policy (sched_fcfs.c, ...), all behind this interface. The
 * dispatch reactor calls pick() for the best ready task; a policy looks at
 * the workers on q->avail (READY, with free resources) and returns one the
 * task fits (wqi_fits), or NULL when none does (the task then waits and the
 * reactor looks at the next few tasks).
 */
#ifndef WQI_SCHED_POLICY_H
#define WQI_SCHED_POLICY_H

struct work_queue;
struct work_queue_task;
struct wqi_worker;

struct wqi_sched {
	const char *name;  /* for logs */
	struct wqi_worker *(*pick)(struct work_queue *q, struct work_queue_task *t);
};

extern const struct wqi_sched wqi_sched_fcfs;

/* The policy for a work_queue_schedule_t (FCFS for the ones not built yet). */
const struct wqi_sched *wqi_sched_get(int algorithm);

#endif
