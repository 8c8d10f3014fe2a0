/*
 * master.c - the queue's lifecycle and public API: create, delete, submit,
 * wait (the event loop), cancel, empty, hungry, shut_down_workers, specify_*.
 *
 * The master is one thread. All network work happens inside
 * work_queue_wait*(): one loop over nonblocking links that accepts, reads
 * and processes frames and streams, dispatches, flushes, and runs the
 * keepalive/handshake timers, sleeping in the loop with a timeout that is
 * the nearer of the caller's deadline and the next timer. An idle master
 * uses no CPU.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debug.h"
#include "link.h"
#include "loop.h"
#include "master.h"
#include "net.h"
#include "proto.h"
#include "sched_policy.h"
#include "util.h"

#define MAX_EVENTS 256
#define HUNGRY_MINIMUM 10

/* Map an internal error to errno for the constructors' NULL + errno contract. */
static int to_errno(int code)
{
	switch (code) {
	case WQ_ENOMEM: return ENOMEM;
	case WQ_EADDR: return EADDRINUSE;
	case WQ_EINVAL: return EINVAL;
	default: return EIO;
	}
}

int work_queue_create_on(const char *address, int port, struct work_queue **qp)
{
	if (!qp || port < 0 || port > 65535)
		return WQ_EINVAL;
	*qp = NULL;
	struct work_queue *q = malloc(sizeof(*q));
	if (!q)
		return WQ_ENOMEM;
	wqi_master_init(q);
	q->comm = &wqi_comm_net;
	q->loop = wqi_loop_create();
	if (!q->loop) {
		free(q);
		return WQ_ENOMEM;
	}
	int fd = wqi_net_listen(address, port);
	if (fd < 0) {
		wqi_loop_delete(q->loop);
		free(q);
		return fd;
	}
	q->listen_fd = fd;
	q->port = wqi_net_local_port(fd);
	int rc = q->port < 0 ? q->port : wqi_loop_add(q->loop, fd, WQI_EV_READ, q);
	if (rc < 0) {
		close(fd);
		wqi_loop_delete(q->loop);
		free(q);
		return rc;
	}
	WQI_DEBUG("master listening on %s:%d", address && *address ? address : "*", q->port);
	*qp = q;
	return 0;
}

struct work_queue *work_queue_create(int port)
{
	struct work_queue *q = NULL;
	int rc = work_queue_create_on(NULL, port, &q);
	if (rc < 0) {
		errno = to_errno(rc);
		return NULL;
	}
	return q;
}

/*
 * Close the port and every connection (workers are not asked to exit: they
 * stay alive and reconnect to another master), then delete every task still
 * inside, with its temporary output files.
 */
void work_queue_delete(struct work_queue *q)
{
	if (!q)
		return;
	wqi_catalog_close(q);
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->workers) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_all);
		w->gone_reason = "MASTER_CLOSED";
		wqi_io_close(q, w, 0, "queue deleted");
	}
	wqi_io_reap(q);
	wqi_log_close(q);
	if (q->listen_fd >= 0)
		close(q->listen_fd);
	if (q->loop)
		wqi_loop_delete(q->loop);
	wqi_master_free_state(q);
	free(q->name);
	free(q);
}

int work_queue_port(struct work_queue *q) { return q ? q->port : -1; }

void work_queue_specify_name(struct work_queue *q, const char *name)
{
	if (!q)
		return;
	char *c = wqi_strdup(name);
	if (name && !c)
		return;
	wqi_catalog_retire(q); /* the old name's record goes */
	free(q->name);
	q->name = c;
	wqi_catalog_advertise_now(q);
}

const char *work_queue_name(struct work_queue *q) { return q ? q->name : NULL; }

void work_queue_specify_algorithm(struct work_queue *q, work_queue_schedule_t algorithm)
{
	if (!q)
		return;
	q->algorithm = algorithm == WORK_QUEUE_SCHEDULE_UNSET ? WORK_QUEUE_SCHEDULE_DEFAULT : algorithm;
	q->sched = wqi_sched_get(q->algorithm);
}

/* Applies to tasks submitted from now on. */
void work_queue_specify_task_order(struct work_queue *q, int order)
{
	if (q)
		q->task_order = order == WORK_QUEUE_TASK_ORDER_LIFO ? WORK_QUEUE_TASK_ORDER_LIFO : WORK_QUEUE_TASK_ORDER_FIFO;
}

void work_queue_specify_priority(struct work_queue *q, int priority) { if (q) q->priority = priority; }

void work_queue_specify_keepalive_interval(struct work_queue *q, int s)
{
	if (q && s > 0) {
		q->keepalive_interval_s = s;
		q->next_timer_us = 0; /* re-evaluate timers now */
	}
}

void work_queue_specify_keepalive_timeout(struct work_queue *q, int s)
{
	if (q && s > 0) {
		q->keepalive_timeout_s = s;
		q->next_timer_us = 0;
	}
}

int work_queue_specify_max_output_size(struct work_queue *q, uint64_t bytes)
{
	if (!q || bytes == 0 || bytes > WQI_STREAM_MAX)
		return WQ_EINVAL;
	q->max_output = bytes;
	return 0;
}

int work_queue_specify_debug_log(const char *path)
{
	return wqi_debug_open(path, "wq_master");
}

/* Accepted for compatibility: a named queue advertises when catalogs are named. */
void work_queue_specify_master_mode(struct work_queue *q, int mode) { (void)q; (void)mode; }

int work_queue_submit(struct work_queue *q, struct work_queue_task *t)
{
	if (!q)
		return -1;
	return wqi_dispatch_submit(q, t);
}

/*
 * The core of the master. Each iteration: dispatch, flush, return the first
 * completed task (matching tag) if there is one, else sleep in the loop
 * until an event, the next timer or the deadline, then accept, read and
 * process. timeout_ms 0 runs one round of network work; < 0 waits for ever
 * (even on an empty queue: the caller decides, e.g. with work_queue_empty).
 */
struct work_queue_task *work_queue_wait_ms(struct work_queue *q, const char *tag, int64_t timeout_ms)
{
	if (!q)
		return NULL;
	struct wqi_event ev[MAX_EVENTS];
	uint64_t enter_wall = wqi_now_us();
	uint64_t start = wqi_mono_us();
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000;
	struct work_queue_task *t = NULL;
	uint64_t polled = 0;
	if (enter_wall > q->left_wait_us)
		q->cum.time_application += enter_wall - q->left_wait_us;
	for (int round = 0;; round++) {
		int64_t st = wqi_sched_timers(q); /* fast abort, block expiry, preferred-host wait */
		int64_t ct = wqi_catalog_tick(q);  /* advertising */
		int64_t lt = wqi_log_perf_tick(q); /* performance log */
		if (ct >= 0 && (st < 0 || ct < st))
			st = ct;
		if (lt >= 0 && (st < 0 || lt < st))
			st = lt;
		wqi_dispatch_run(q);
		wqi_io_flush_all(q);
		wqi_io_reap(q);
		if ((t = wqi_dispatch_take_complete(q, tag)))
			break;
		uint64_t now = wqi_mono_us();
		if (round > 0 && now >= deadline)
			break;
		int64_t tmo = deadline == UINT64_MAX ? -1 : (int64_t)((deadline > now ? deadline - now : 0) + 999) / 1000;
		int64_t tt = wqi_io_timers(q);
		wqi_io_reap(q);
		if (tt >= 0 && (tmo < 0 || tt < tmo))
			tmo = tt;
		if (st >= 0 && (tmo < 0 || st < tmo))
			tmo = st;
		if (timeout_ms == 0)
			tmo = 0;
		if (tmo > INT32_MAX)
			tmo = INT32_MAX;
		uint64_t p0 = wqi_mono_us();
		int nev = wqi_loop_wait(q->loop, ev, MAX_EVENTS, (int)tmo);
		uint64_t p1 = wqi_mono_us();
		q->cum.time_polling += p1 - p0;
		polled += p1 - p0;
		for (int i = 0; i < nev; i++) {
			if (ev[i].ptr == q) {
				wqi_io_accept_all(q);
				continue;
			}
			struct wqi_worker *w = ev[i].ptr;
			if (w->state != WQI_W_DEAD)
				wqi_io_handle(q, w, ev[i].events);
		}
	}
	uint64_t now_wall = wqi_now_us();
	q->left_wait_us = now_wall;
	uint64_t spent = wqi_mono_us() - start;
	q->cum.time_internal += spent > polled ? spent - polled : 0;
	if (t)
		WQI_DEBUG("wait returns task %llu (result %u)", (unsigned long long)t->taskid, t->result);
	return t;
}

struct work_queue_task *work_queue_wait(struct work_queue *q, int timeout)
{
	return work_queue_wait_ms(q, NULL, timeout < 0 ? -1 : (int64_t)timeout * 1000);
}

struct work_queue_task *work_queue_wait_for_tag(struct work_queue *q, const char *tag, int timeout)
{
	return work_queue_wait_ms(q, tag, timeout < 0 ? -1 : (int64_t)timeout * 1000);
}

/* empty: no task waiting, running, or completed but not yet returned. */
int work_queue_empty(struct work_queue *q)
{
	return !q || wqi_itab_count(&q->tasks) == 0;
}

/*
 * hungry: 1 when fewer than 10 tasks are waiting (hungry_minimum), or when
 * the cores the waiting tasks ask for (1 for a task that declares none) are
 * fewer than the free cores of the connected workers; otherwise 0.
 */
int work_queue_hungry(struct work_queue *q)
{
	if (!q)
		return 0;
	if (wqi_ready_count(&q->ready) + q->n_parked < HUNGRY_MINIMUM)
		return 1;
	return q->ready_cores < q->total_cores - q->used_cores;
}

struct work_queue_task *work_queue_cancel_by_taskid(struct work_queue *q, int id)
{
	if (!q || id <= 0)
		return NULL;
	struct work_queue_task *t = wqi_itab_get(&q->tasks, (uint64_t)id);
	if (!t)
		return NULL;
	wqi_dispatch_cancel(q, t);
	wqi_io_flush_all(q); /* send the KILL now if the socket takes it */
	return t;
}

/* The first task found with that tag (any state), cancelled. O(tasks inside). */
struct work_queue_task *work_queue_cancel_by_tasktag(struct work_queue *q, const char *tag)
{
	if (!q || !tag)
		return NULL;
	size_t pos = 0;
	void *v;
	while (wqi_itab_next(&q->tasks, &pos, NULL, &v)) {
		struct work_queue_task *t = v;
		if (t->tag && strcmp(t->tag, tag) == 0) {
			wqi_dispatch_cancel(q, t);
			wqi_io_flush_all(q);
			return t;
		}
	}
	return NULL;
}

/* The state of a task the queue holds (t->state, kept by master_dispatch.c). */
work_queue_task_state_t work_queue_task_state(struct work_queue *q, int taskid)
{
	if (!q || taskid <= 0)
		return WORK_QUEUE_TASK_UNKNOWN;
	struct work_queue_task *t = wqi_itab_get(&q->tasks, (uint64_t)taskid);
	return t ? work_queue_task_get_state(t) : WORK_QUEUE_TASK_UNKNOWN;
}

/* Raise (never lower) the next id; the id the next submission gets. */
int work_queue_specify_min_taskid(struct work_queue *q, int minid)
{
	if (!q)
		return -1;
	if (minid > 0 && (uint64_t)minid > q->next_taskid)
		q->next_taskid = (uint64_t)minid;
	return q->next_taskid > INT_MAX ? -1 : (int)q->next_taskid;
}

/* Send EXIT to n READY workers (0 = all) and close them; how many. */
int work_queue_shut_down_workers(struct work_queue *q, int n)
{
	if (!q)
		return 0;
	int count = 0;
	struct wqi_list *node, *nx;
	wqi_list_foreach_safe(node, nx, &q->workers) {
		struct wqi_worker *w = wqi_container_of(node, struct wqi_worker, n_all);
		if (n > 0 && count >= n)
			break;
		if (w->state != WQI_W_READY)
			continue;
		wqi_io_release(q, w, "shut down by the master");
		count++;
	}
	wqi_io_reap(q);
	return count;
}
