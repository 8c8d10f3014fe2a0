/*
 * fake_comm_test.h - a fake comm and fake workers for the unit tests of the
 * dispatch reactor (dispatch_test.c, sched_test.c): no sockets.
 *
 * The fake comm records every send_task, kill and disconnect in calls[], so
 * a test can check which task went where and what was killed; like the real
 * comm, a send leaves the task's cached inputs in the worker's cache, and a
 * disconnect tells dispatch the worker is gone. Fake workers are wqi_worker
 * structs with resources and no link.
 *
 * Static definitions only, for one *_test.c each; never part of the library.
 */
#ifndef WQ_FAKE_COMM_TEST_H
#define WQ_FAKE_COMM_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"

#define FAKE_MAXLOG 4096        /* calls past this many are not recorded */

struct call {
	char kind;                  /* 's' send_task, 'k' kill, 'd' disconnect */
	struct wqi_worker *w;       /* the worker it was for */
	uint64_t taskid;            /* the task (0 for a disconnect) */
};
static struct call calls[FAKE_MAXLOG]; /* every comm call since fake_setup */
static int n_calls;
static int fail_next_send;      /* return this from the next send_task (0: succeed) */

/* send_task: fail once if fail_next_send says so, else record the call and
 * add the task's cached inputs to the worker's cache, as the real comm does. */
static int fake_send(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t)
{
	if (fail_next_send) {
		int rc = fail_next_send;
		fail_next_send = 0;
		return rc;
	}
	if (n_calls < FAKE_MAXLOG)
		calls[n_calls++] = (struct call){ 's', w, t->taskid };
	for (uint32_t i = 0; i < t->n_inputs; i++)
		if (t->inputs[i].flags & WORK_QUEUE_CACHE)
			wqi_cache_add(w, t->inputs[i].cachename);
	return 0;
}

static void fake_kill(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t)
{
	if (n_calls < FAKE_MAXLOG)
		calls[n_calls++] = (struct call){ 'k', w, t->taskid };
}

/* disconnect: record it and hand the worker's tasks back, as the real comm does. */
static void fake_disconnect(struct work_queue *q, struct wqi_worker *w, const char *reason)
{
	if (n_calls < FAKE_MAXLOG)
		calls[n_calls++] = (struct call){ 'd', w, 0 };
	wqi_dispatch_worker_gone(q, w);
}

static const struct wqi_comm fake_comm = { fake_send, fake_kill, fake_disconnect };

/* An empty master on the fake comm (default policy), with the call log cleared. */
static void fake_setup(struct work_queue *q)
{
	wqi_master_init(q);
	q->comm = &fake_comm;
	n_calls = 0;
	fail_next_send = 0;
}

/* A fake worker, ready for tasks: hostname name, address addr, worker id id
 * (NULL for none) and these resources. */
static struct wqi_worker *fake_worker_add(struct work_queue *q, const char *name, const char *addr, const char *id,
					  int64_t cores, int64_t mem, int64_t disk, int64_t gpus)
{
	struct wqi_worker *w = wqi_worker_new(q);
	snprintf(w->addr, sizeof w->addr, "%s", addr);
	w->hostname = strdup(name);
	if (id)
		w->worker_id = strdup(id);
	w->cores = cores;
	w->memory = mem;
	w->disk = disk;
	w->gpus = gpus;
	wqi_dispatch_worker_ready(q, w);
	return w;
}

/* Take every worker away (as if gone) and free the master's state. */
static void fake_teardown(struct work_queue *q)
{
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->workers) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_all);
		wqi_dispatch_worker_gone(q, w);
		wqi_worker_free(w);
	}
	wqi_master_free_state(q);
}

#endif
