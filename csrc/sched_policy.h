/*
 * sched_policy.h - scheduling policies (internal): which worker a ready task goes to.
 *
 * One file per policy (sched_fcfs.c, sched_files.c, sched_time.c,
 * sched_rand.c, sched_worst.c), all behind this interface; the rules are in
 * docs/scheduling.md. The dispatch reactor calls pick() for the best ready
 * task; a policy looks only at workers on q->avail (READY, not blocked,
 * with free resources) and returns one that wqi_sched_ok() accepts, or NULL
 * when none does (the task then waits and the reactor looks at the next few
 * tasks).
 *
 * Cost: no policy scans every worker for every task in the common case.
 * FCFS takes the first acceptable worker of the avail list; RAND samples an
 * array of the avail workers; TIME and WORST keep heaps of them (updated in
 * O(log workers) as a worker's resources change, built the first time the
 * policy is used); FILES scores only the workers that hold one of the
 * task's cached inputs (an index cachename -> holders).
 */
#ifndef WQI_SCHED_POLICY_H
#define WQI_SCHED_POLICY_H

#include <stdint.h>

struct work_queue;
struct work_queue_task;
struct wqi_worker;

struct wqi_sched {
	const char *name;  /* for logs */
	struct wqi_worker *(*pick)(struct work_queue *q, struct work_queue_task *t);
};

extern const struct wqi_sched wqi_sched_fcfs;
extern const struct wqi_sched wqi_sched_files;
extern const struct wqi_sched wqi_sched_time;
extern const struct wqi_sched wqi_sched_rand;
extern const struct wqi_sched wqi_sched_worst;

/* The policy for a work_queue_schedule_t (UNSET and unknown values: FCFS). */
const struct wqi_sched *wqi_sched_get(int algorithm);

/* May t go to w now? It fits the free resources, w is one of its preferred
 * hosts while those bind (t->pref_on), and w is not the worker that
 * fast-aborted it while another worker is connected. */
int wqi_sched_ok(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t);

/* ---- worker indexes over q->avail (sched_common.c) ---- */
/* Start keeping index i (enum wqi_idx), built from q->avail. 0 or WQ_ENOMEM. */
int wqi_sched_index_enable(struct work_queue *q, int i);
/* w joined q->avail, left it, or its resources or history changed. */
void wqi_sched_avail_add(struct work_queue *q, struct wqi_worker *w);
void wqi_sched_avail_remove(struct work_queue *q, struct wqi_worker *w);
void wqi_sched_avail_changed(struct work_queue *q, struct wqi_worker *w);
/* The first worker of heap i (TIME, WORST) in heap order that t may go to:
 * best-first over the heap for a few nodes, then a scan for the best. */
struct wqi_worker *wqi_sched_heap_best(struct work_queue *q, int i, struct work_queue_task *t);
/* A random number (xorshift64*). */
uint64_t wqi_sched_random(struct work_queue *q);
void wqi_sched_free(struct work_queue *q);

/* ---- the cache index (sched_files.c) ---- */
/* w holds (or no longer holds) the cached object name. 0 or WQ_ENOMEM. */
int wqi_cache_add(struct wqi_worker *w, const char *name);
void wqi_cache_remove(struct wqi_worker *w, const char *name);
int wqi_cache_has(const struct wqi_worker *w, const char *name);
/* Forget everything w holds (it is going away). */
void wqi_cache_clear(struct wqi_worker *w);
void wqi_cache_free(struct work_queue *q);

#endif
