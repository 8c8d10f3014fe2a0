/*
 * master_fastabort.c - fast abort: stragglers are killed and run again
 * elsewhere; workers that keep producing them are dropped and blocked.
 *
 * Rules (docs/scheduling.md): every task belongs to a category (its own,
 * or "default"). A category measures its successful runs (result SUCCESS,
 * exit 0) from dispatch to result at the master. Once FA_MIN_DONE runs are
 * measured and its multiplier (its own, else the queue's default) is > 0,
 * a task of the category running longer than multiplier x the average is
 * fast-aborted: KILL, resources released, back to the front of the ready
 * queue (a try that does not count against max_retries), and not sent to
 * that worker again while another worker is connected. A worker with
 * FA_WORKER_LIMIT fast aborts is disconnected and blocked for
 * FA_BLOCK_SECONDS (by its worker id: other workers on the same host go on).
 *
 * Cost: each category keeps its running tasks in dispatch order, so only
 * the oldest running task of each category is ever looked at, and only
 * when the earliest deadline is due (q->fa_next_us): O(categories +
 * aborted) per check, nothing per event.
 */
#include <stdint.h>
#include <stdlib.h>

#include "debug.h"
#include "master.h"
#include "util.h"

#define FA_MIN_DONE 10          /* measured runs before a category's tasks can be aborted */
#define FA_WORKER_LIMIT 3       /* fast aborts that get a worker disconnected and blocked */
#define FA_BLOCK_SECONDS 60     /* how long such a worker stays blocked */
#define DEFAULT_CATEGORY "default"

/* The category named name (NULL = "default"), created if create is set. */
static struct wqi_category *category(struct work_queue *q, const char *name, int create)
{
	if (!name)
		name = DEFAULT_CATEGORY;
	struct wqi_category *c = wqi_stab_get(&q->categories, name);
	if (c || !create)
		return c;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	wqi_list_init(&c->running);
	if (wqi_stab_put(&q->categories, name, c)) {
		free(c);
		return NULL;
	}
	return c;
}

/* The time limit of c's running tasks in microseconds, 0 when fast abort
 * does not act on c (off, or too few runs measured yet). */
static uint64_t limit_us(const struct work_queue *q, const struct wqi_category *c)
{
	double m = c->multiplier > 0 ? c->multiplier : c->multiplier < 0 ? 0 : q->fa_default;
	if (m <= 0 || c->n_done < FA_MIN_DONE)
		return 0;
	double l = m * (double)c->sum_us / (double)c->n_done;
	return l < 1 ? 1 : l > 1e18 ? (uint64_t)1e18 : (uint64_t)l;
}

/* Move the next check earlier to when c's oldest running task is due. */
static void arm(struct work_queue *q, struct wqi_category *c)
{
	uint64_t l = limit_us(q, c);
	if (!l || wqi_list_empty(&c->running))
		return;
	struct work_queue_task *t = wqi_container_of(c->running.next, struct work_queue_task, catnode);
	uint64_t due = t->dispatch_mono_us + l;
	if (!q->fa_next_us || due < q->fa_next_us)
		q->fa_next_us = due ? due : 1;
}

int work_queue_activate_fast_abort(struct work_queue *q, double multiplier)
{
	if (!q)
		return WQ_EINVAL;
	q->fa_default = multiplier > 0 ? multiplier : 0;
	q->fa_next_us = 1; /* check at the next turn of the loop */
	return 0;
}

int work_queue_activate_fast_abort_category(struct work_queue *q, const char *name, double multiplier)
{
	if (!q)
		return WQ_EINVAL;
	struct wqi_category *c = category(q, name, 1);
	if (!c)
		return WQ_ENOMEM;
	c->multiplier = multiplier > 0 ? multiplier : -1;
	q->fa_next_us = 1;
	return 0;
}

/* A task was dispatched: it joins the back of its category's running list
 * (dispatch times only grow, so the list stays ordered). */
int wqi_fa_task_started(struct work_queue *q, struct work_queue_task *t)
{
	struct wqi_category *c = category(q, t->category, 1);
	if (!c)
		return WQ_ENOMEM; /* out of memory: this run is simply not watched */
	t->cat = c;
	wqi_list_push_back(&c->running, &t->catnode);
	arm(q, c);
	return 0;
}

void wqi_fa_task_stopped(struct work_queue *q, struct work_queue_task *t)
{
	if (!t->cat)
		return;
	wqi_list_remove(&t->catnode);
	t->cat = NULL;
}

/* A successful run of t took took_us: into its category's average. The
 * limit may have dropped, so the next check may come earlier. */
void wqi_fa_task_done(struct work_queue *q, struct work_queue_task *t, uint64_t took_us)
{
	struct wqi_category *c = t->cat ? t->cat : category(q, t->category, 1);
	if (!c)
		return;
	c->n_done++;
	c->sum_us += took_us;
	arm(q, c);
}

/* Abort one running task of w: kill, release, requeue at the front. */
static void abort_task(struct work_queue *q, struct work_queue_task *t, uint64_t now)
{
	struct wqi_worker *w = t->worker;
	WQI_DEBUG("task %llu fast-aborted on %s (%s) after %.3f s", (unsigned long long)t->taskid, w->addr,
		  w->hostname ? w->hostname : "", (double)(now - t->dispatch_mono_us) / 1e6);
	if (q->comm)
		q->comm->kill(q, w, t);
	wqi_dispatch_uncommit(q, t);
	t->avoid_serial = w->serial;
	q->cum.tasks_fast_aborted++;
	if (q->txn_log) {
		char id[300];
		wqi_log_task(q, t, "FAST_ABORT", "%s", wqi_log_word(w->worker_id && *w->worker_id ? w->worker_id : w->addr, id, sizeof id));
		wqi_log_task(q, t, "REQUEUED", "FAST_ABORT");
	}
	wqi_dispatch_requeue(q, t, 1);
	w->fast_aborts++;
	if (w->fast_aborts >= FA_WORKER_LIMIT && !wqi_list_linked(&w->n_doom))
		wqi_list_push_back(&q->doomed, &w->n_doom);
}

/* A worker with too many fast aborts: block it, give its other tasks back
 * (free tries: the master decided), and drop the connection. */
static void drop_worker(struct work_queue *q, struct wqi_worker *w)
{
	wqi_list_remove(&w->n_doom);
	if (w->state != WQI_W_READY)
		return;
	wqi_warn("worker %s (%s) had %d tasks fast-aborted: disconnected and blocked for %d s", w->addr,
		 w->hostname ? w->hostname : "?", w->fast_aborts, FA_BLOCK_SECONDS);
	q->cum.workers_fast_aborted++;
	wqi_hosts_block_worker(q, w, FA_BLOCK_SECONDS);
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &w->wtasks) {
		struct work_queue_task *t = wqi_container_of(n, struct work_queue_task, wnode);
		if (q->comm)
			q->comm->kill(q, w, t);
		wqi_dispatch_uncommit(q, t);
		wqi_log_task(q, t, "REQUEUED", "FAST_ABORT");
		wqi_dispatch_requeue(q, t, 1);
	}
	w->gone_reason = "FAST_ABORT";
	if (q->comm && q->comm->disconnect)
		q->comm->disconnect(q, w, "too many fast-aborted tasks");
}

/*
 * The check: for each category where fast abort acts, abort the running
 * tasks past the limit, oldest first, stopping at the first one within it
 * (the rest are younger). Returns the monotonic time of the next due
 * deadline, 0 when none.
 */
uint64_t wqi_fa_check(struct work_queue *q, uint64_t now)
{
	size_t pos = 0;
	void *v;
	q->fa_next_us = 0;
	while (wqi_stab_next(&q->categories, &pos, NULL, &v)) {
		struct wqi_category *c = v;
		uint64_t l = limit_us(q, c);
		if (!l)
			continue;
		while (!wqi_list_empty(&c->running)) {
			struct work_queue_task *t = wqi_container_of(c->running.next, struct work_queue_task, catnode);
			if (now < t->dispatch_mono_us + l)
				break;
			abort_task(q, t, now);
		}
		arm(q, c);
	}
	while (!wqi_list_empty(&q->doomed))
		drop_worker(q, wqi_container_of(q->doomed.next, struct wqi_worker, n_doom));
	return q->fa_next_us;
}

void wqi_fa_free(struct work_queue *q)
{
	size_t pos = 0;
	void *v;
	while (wqi_stab_next(&q->categories, &pos, NULL, &v))
		free(v);
	wqi_stab_free(&q->categories);
}
