/*
 * master_dispatch.c - the dispatch reactor: ready queue, resources, and
 * which ready task goes to which worker.
 *
 * Events come in as calls (submit, worker ready/gone, task done, cancel);
 * anything to send goes out through q->comm, so this file runs the same
 * against real workers and against dispatch_test.c's fake comm.
 *
 * The ready queue is a binary heap ordered by (priority desc, qseq asc):
 * qseq is the submission counter (negated for LIFO), and a task that comes
 * back from a lost worker gets qseq = its submission counter - 2^62, which
 * puts it before every fresh task of its priority while keeping the order
 * the returned tasks had among themselves. O(log n) push/pop/remove.
 *
 * Dispatch cost: a pass runs only when something changed (dispatch_dirty);
 * it takes the best ready task and asks the policy for a worker among those
 * with free resources (q->avail, full workers are not on it). When the best
 * task fits nowhere it looks at no more than LOOKAHEAD further tasks, so a
 * pass is O(dispatched x avail) in the worst case and O(dispatched) when
 * tasks have equal sizes, never O(workers x tasks).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "master.h"
#include "sched_policy.h"
#include "util.h"

#define LOOKAHEAD 64            /* tasks examined past one that fits nowhere */
#define FRONT_BAND (1LL << 62)  /* qseq offset of requeued tasks */

int wqi_master_init(struct work_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->listen_fd = -1;
	q->algorithm = WORK_QUEUE_SCHEDULE_FCFS;
	q->task_order = WORK_QUEUE_TASK_ORDER_FIFO;
	q->keepalive_interval_s = WORK_QUEUE_DEFAULT_KEEPALIVE_INTERVAL;
	q->keepalive_timeout_s = WORK_QUEUE_DEFAULT_KEEPALIVE_TIMEOUT;
	q->max_output = 1ULL << 30;
	q->next_taskid = 1;
	wqi_itab_init(&q->tasks);
	wqi_ready_init(&q->ready);
	wqi_list_init(&q->complete);
	wqi_list_init(&q->workers);
	wqi_list_init(&q->avail);
	wqi_list_init(&q->flush);
	wqi_list_init(&q->dead);
	wqi_list_init(&q->doomed);
	wqi_stab_init(&q->holders);
	wqi_stab_init(&q->blocked);
	wqi_stab_init(&q->categories);
	q->pref_wait_us = 5 * 1000000LL;
	q->sched = wqi_sched_get(q->algorithm);
	q->cum.time_when_started = wqi_now_us();
	q->left_wait_us = q->cum.time_when_started;
	return 0;
}

/* Delete every task still inside (waiting, running, completed) and free the books.
 * Connections must have been closed first. */
void wqi_master_free_state(struct work_queue *q)
{
	size_t pos = 0;
	void *v;
	while (wqi_itab_next(&q->tasks, &pos, NULL, &v)) {
		struct work_queue_task *t = v;
		t->q = NULL;
		t->worker = NULL;
		work_queue_task_delete(t); /* removes its temporary outputs */
	}
	wqi_itab_free(&q->tasks);
	wqi_sched_free(q);
	wqi_fa_free(q);
	wqi_hosts_free(q);
	wqi_ready_free(&q->ready);
	free(q->parked);
	q->parked = NULL;
	q->n_parked = q->cap_parked = 0;
	wqi_list_init(&q->complete);
}

/* ---- the ready queue (ready.c) with the queue's books ---- */

/* Queue a ready task. 0 or WQ_ENOMEM. */
static int ready_push(struct work_queue *q, struct work_queue_task *t)
{
	if (wqi_ready_push(&q->ready, t))
		return WQ_ENOMEM;
	t->state = WORK_QUEUE_TASK_READY;
	q->ready_cores += wqi_task_cores_wanted(t);
	q->dispatch_dirty = 1;
	return 0;
}

/* Take a task out of the ready queue wherever it sits. */
static void ready_remove(struct work_queue *q, struct work_queue_task *t)
{
	q->ready_cores -= wqi_task_cores_wanted(t);
	wqi_ready_remove(&q->ready, t);
}

/*
 * Parked tasks: ready tasks that declare more cores, memory, disk or gpus
 * than the largest connected worker offers. They wait aside, so that a
 * crowd of them at the head of the ready queue never hides the tasks
 * behind them from a dispatch pass; a worker joining puts them all back.
 */
static int too_big(const struct work_queue *q, const struct work_queue_task *t)
{
	return wqi_task_cores_wanted(t) > q->wmax[0] || t->memory > q->wmax[1] ||
	       t->disk > q->wmax[2] || t->gpus > q->wmax[3];
}

static int park(struct work_queue *q, struct work_queue_task *t)
{
	struct work_queue_task **np = wqi_grow(q->parked, &q->cap_parked, q->n_parked, sizeof(*np), 16);
	if (!np)
		return WQ_ENOMEM;
	q->parked = np;
	t->parked_idx = q->n_parked;
	q->parked[q->n_parked++] = t;
	t->state = WORK_QUEUE_TASK_READY;
	return 0;
}

static void unpark(struct work_queue *q, struct work_queue_task *t)
{
	size_t i = t->parked_idx;
	t->parked_idx = SIZE_MAX;
	struct work_queue_task *last = q->parked[--q->n_parked];
	if (last != t) {
		q->parked[i] = last;
		last->parked_idx = i;
	}
}

/* A worker joined: the largest worker may have grown, so parked tasks get
 * another look (O(1) when nothing is parked). */
static void worker_joined_sizes(struct work_queue *q, const struct wqi_worker *w)
{
	int64_t v[4] = { w->cores, w->memory, w->disk, w->gpus };
	for (int i = 0; i < 4; i++)
		if (v[i] > q->wmax[i])
			q->wmax[i] = v[i];
	while (q->n_parked > 0) {
		struct work_queue_task *t = q->parked[q->n_parked - 1];
		unpark(q, t);
		if (ready_push(q, t)) {
			t->result = WORK_QUEUE_RESULT_UNKNOWN;
			wqi_dispatch_complete(q, t);
		}
	}
}

/* A worker left: recompute the largest sizes, but only if it held one of them. */
static void worker_left_sizes(struct work_queue *q, const struct wqi_worker *gone)
{
	if (gone->cores < q->wmax[0] && gone->memory < q->wmax[1] && gone->disk < q->wmax[2] && gone->gpus < q->wmax[3])
		return;
	int64_t m[4] = { 0, 0, 0, 0 };
	for (struct wqi_list *n = q->workers.next; n != &q->workers; n = n->next) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_all);
		if (w == gone || w->state != WQI_W_READY)
			continue;
		int64_t v[4] = { w->cores, w->memory, w->disk, w->gpus };
		for (int i = 0; i < 4; i++)
			if (v[i] > m[i])
				m[i] = v[i];
	}
	memcpy(q->wmax, m, sizeof m);
}

/* ---- resources ---- */

/*
 * The allocation of t on w: declared values as given; undeclared cores are
 * 1, undeclared memory and disk are the worker's in proportion to the cores
 * (memory = worker memory x cores / worker cores), undeclared gpus 0.
 */
int wqi_alloc(const struct wqi_worker *w, const struct work_queue_task *t, int64_t a[4])
{
	int64_t cores = t->cores >= 0 ? t->cores : 1;
	a[0] = cores;
	a[1] = t->memory >= 0 ? t->memory : (w->cores > 0 ? w->memory * cores / w->cores : 0);
	a[2] = t->disk >= 0 ? t->disk : (w->cores > 0 ? w->disk * cores / w->cores : 0);
	a[3] = t->gpus >= 0 ? t->gpus : 0;
	return a[0] <= w->cores - w->u_cores && a[1] <= w->memory - w->u_memory &&
	       a[2] <= w->disk - w->u_disk && a[3] <= w->gpus - w->u_gpus;
}

int wqi_fits(const struct wqi_worker *w, const struct work_queue_task *t)
{
	int64_t a[4];
	return wqi_alloc(w, t, a);
}

/* A READY, unblocked worker with a free core or gpu is on q->avail; a full
 * or blocked one is not, so no policy ever looks at it. The policies'
 * worker indexes follow every change (sched_common.c). */
void wqi_worker_update_avail(struct wqi_worker *w)
{
	struct work_queue *q = w->q;
	int want = w->state == WQI_W_READY && !w->blocked && (w->u_cores < w->cores || w->u_gpus < w->gpus);
	if (want && !wqi_list_linked(&w->n_avail)) {
		wqi_list_push_back(&q->avail, &w->n_avail);
		w->avail_seq = ++q->avail_seq;
		wqi_sched_avail_add(q, w);
	} else if (!want && wqi_list_linked(&w->n_avail)) {
		wqi_list_remove(&w->n_avail);
		wqi_sched_avail_remove(q, w);
	} else if (want) {
		wqi_sched_avail_changed(q, w);
	}
}

struct wqi_worker *wqi_worker_new(struct work_queue *q)
{
	struct wqi_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->q = q;
	w->state = WQI_W_PREAMBLE;
	w->rx_fd = -1;
	w->serial = ++q->next_serial;
	for (int i = 0; i < WQI_IDX_N; i++)
		w->ipos[i] = SIZE_MAX;
	wqi_list_init(&w->n_doom);
	wqi_list_init(&w->wtasks);
	wqi_list_init(&w->n_avail);
	wqi_list_init(&w->n_flush);
	wqi_list_init(&w->n_dead);
	wqi_stab_init(&w->cache);
	wqi_list_push_back(&q->workers, &w->n_all);
	q->n_conns++;
	return w;
}

/* Free a worker struct (after wqi_dispatch_worker_gone and closing its link). */
void wqi_worker_free(struct wqi_worker *w)
{
	if (wqi_list_linked(&w->n_all)) {
		wqi_list_remove(&w->n_all);
		w->q->n_conns--;
	}
	if (wqi_list_linked(&w->n_avail))
		wqi_list_remove(&w->n_avail);
	wqi_sched_avail_remove(w->q, w);
	if (wqi_list_linked(&w->n_flush))
		wqi_list_remove(&w->n_flush);
	if (wqi_list_linked(&w->n_dead))
		wqi_list_remove(&w->n_dead);
	if (wqi_list_linked(&w->n_doom))
		wqi_list_remove(&w->n_doom);
	wqi_cache_clear(w);
	wqi_peer_names_release(w->peer);
	free(w->hostname);
	free(w->os);
	free(w->arch);
	free(w->worker_id);
	free(w->version);
	free(w);
}

/* Give a running task's resources back and take it off its worker. */
static void uncommit(struct work_queue *q, struct work_queue_task *t)
{
	struct wqi_worker *w = t->worker;
	if (!w)
		return;
	wqi_fa_task_stopped(q, t);
	w->u_cores -= t->a_cores;
	w->u_memory -= t->a_memory;
	w->u_disk -= t->a_disk;
	w->u_gpus -= t->a_gpus;
	q->used_cores -= t->a_cores;
	q->used_memory -= t->a_memory;
	q->used_disk -= t->a_disk;
	q->used_gpus -= t->a_gpus;
	wqi_list_remove(&t->wnode);
	w->ntasks--;
	q->n_running--;
	t->worker = NULL;
	wqi_worker_update_avail(w);
	q->dispatch_dirty = 1;
}

void wqi_dispatch_uncommit(struct work_queue *q, struct work_queue_task *t)
{
	uncommit(q, t);
}

/* ---- events ---- */

/* Back to the front of the ready queue (its submission order kept among
 * the returned tasks); a task that cannot be queued (out of memory)
 * completes with UNKNOWN rather than being lost. */
void wqi_dispatch_requeue(struct work_queue *q, struct work_queue_task *t, int free_try)
{
	wqi_task_discard_outputs(t);
	if (free_try)
		t->free_tries++;
	t->qseq = t->submit_seq - FRONT_BAND;
	if (ready_push(q, t)) {
		t->result = WORK_QUEUE_RESULT_UNKNOWN;
		wqi_dispatch_complete(q, t);
	}
}

void wqi_dispatch_complete(struct work_queue *q, struct work_queue_task *t)
{
	t->state = WORK_QUEUE_TASK_WAITING_RETRIEVAL;
	if (!t->t_done)
		t->t_done = wqi_now_us();
	wqi_list_push_back(&q->complete, &t->cnode);
	q->n_complete++;
	WQI_DEBUG("task %llu complete: result %u, exit %d", (unsigned long long)t->taskid, t->result, t->return_status);
}

/*
 * Take a task into the queue: reset a returned task, give it the next id,
 * fix its cache names (stat of local inputs), and queue it. A task whose
 * local input is missing is the task's fault: it completes at once with
 * INPUT_MISSING and never reaches a worker. Returns the id or -1.
 */
int wqi_dispatch_submit(struct work_queue *q, struct work_queue_task *t)
{
	if (!t || t->q || !t->command || q->next_taskid > INT_MAX)
		return -1; /* ids are ints in the API */
	wqi_task_reset(t);
	t->taskid = q->next_taskid;
	int rc = wqi_task_prepare(t);
	if (rc == WQ_ENOMEM || wqi_itab_put(&q->tasks, t->taskid, t))
		return -1;
	q->next_taskid++;
	t->q = q;
	t->t_submit = wqi_now_us();
	q->cum.tasks_submitted++;
	t->submit_seq = q->next_seq++;
	t->qseq = q->task_order == WORK_QUEUE_TASK_ORDER_LIFO ? -t->submit_seq : t->submit_seq;
	if (q->txn_log) {
		char cat[600];
		wqi_log_task(q, t, "SUBMITTED", "category=%s cores=%lld memory=%lld disk=%lld gpus=%lld",
			     wqi_log_word(t->category ? t->category : "default", cat, sizeof cat), (long long)t->cores,
			     (long long)t->memory, (long long)t->disk, (long long)t->gpus);
	}
	if (t->input_missing) {
		t->result = WORK_QUEUE_RESULT_INPUT_MISSING;
		wqi_task_note_missing_input(t);
		wqi_dispatch_complete(q, t);
	} else if (ready_push(q, t)) {
		/* the master's fault (out of memory): the task comes back unrun */
		t->result = WORK_QUEUE_RESULT_UNKNOWN;
		wqi_dispatch_complete(q, t);
	}
	WQI_DEBUG("task %llu submitted: %s", (unsigned long long)t->taskid, t->command);
	return (int)t->taskid;
}

/*
 * Start t on w: commit the allocation and hand the task to the comm. A
 * local input that cannot be opened is the task's fault (INPUT_MISSING);
 * any other failure is the master's (out of memory): the task goes back to
 * the front and 1 is returned to stop this pass.
 */
static int start_task(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t)
{
	int64_t a[4];
	wqi_alloc(w, t, a);
	t->a_cores = a[0];
	t->a_memory = a[1];
	t->a_disk = a[2];
	t->a_gpus = a[3];
	w->u_cores += a[0];
	w->u_memory += a[1];
	w->u_disk += a[2];
	w->u_gpus += a[3];
	q->used_cores += a[0];
	q->used_memory += a[1];
	q->used_disk += a[2];
	q->used_gpus += a[3];
	t->worker = w;
	wqi_list_push_back(&w->wtasks, &t->wnode);
	w->ntasks++;
	q->n_running++;
	t->state = WORK_QUEUE_TASK_RUNNING;
	t->try_count++;
	t->t_dispatch = wqi_now_us();
	t->dispatch_mono_us = wqi_mono_us();
	t->t_start = t->t_end = t->t_done = 0;
	t->bytes_sent = t->bytes_received = 0;
	if (!w->peer)
		w->peer = wqi_peer_names_new(w->addr, w->hostname ? w->hostname : "");
	wqi_peer_names_release(t->peer);
	t->peer = w->peer ? wqi_peer_names_hold(w->peer) : NULL;
	q->cum.tasks_dispatched++;
	wqi_worker_update_avail(w);
	wqi_fa_task_started(q, t);

	int rc = q->comm ? q->comm->send_task(q, w, t) : 0;
	if (rc == 0) {
		if (q->txn_log) {
			char id[300];
			wqi_log_task(q, t, "DISPATCHED", "%s try=%lld",
				     wqi_log_word(w->worker_id && *w->worker_id ? w->worker_id : w->addr, id, sizeof id),
				     (long long)t->try_count);
		}
		WQI_DEBUG("task %llu dispatched to %s (%s): cores %lld memory %lld disk %lld gpus %lld",
			  (unsigned long long)t->taskid, w->addr, w->hostname ? w->hostname : "",
			  (long long)a[0], (long long)a[1], (long long)a[2], (long long)a[3]);
		return 0;
	}
	uncommit(q, t);
	if (rc == WQ_ENOENT || rc == WQ_EFILE) {
		t->result = WORK_QUEUE_RESULT_INPUT_MISSING;
		wqi_task_note_missing_input(t);
		wqi_dispatch_complete(q, t);
		return 0;
	}
	t->try_count--;
	t->qseq = t->submit_seq - FRONT_BAND;
	if (ready_push(q, t)) {
		t->result = WORK_QUEUE_RESULT_UNKNOWN;
		wqi_dispatch_complete(q, t);
	}
	q->dispatch_dirty = 0; /* wait for the next event instead of spinning */
	return 1;
}

void wqi_dispatch_run(struct work_queue *q)
{
	struct work_queue_task *skipped[LOOKAHEAD];
	int n_skipped = 0;
	if (!q->dispatch_dirty)
		return;
	q->dispatch_dirty = 0;
	uint64_t now = wqi_now_us();
	struct work_queue_task *t;
	while (!wqi_list_empty(&q->avail) && (t = wqi_ready_top(&q->ready))) {
		const struct wqi_sched *s = t->algorithm > WORK_QUEUE_SCHEDULE_UNSET ? wqi_sched_get(t->algorithm) : q->sched;
		uint64_t pref_end = t->t_submit + (uint64_t)q->pref_wait_us;
		t->pref_on = t->n_pref > 0 && now < pref_end;
		struct wqi_worker *w = s->pick(q, t);
		ready_remove(q, t);
		if (!w && t->pref_on && (!q->pref_wake_us || pref_end < q->pref_wake_us))
			q->pref_wake_us = pref_end; /* pass again when it may go anywhere */
		if (!w && !t->pref_on && too_big(q, t)) {
			/* larger than every worker: aside until a bigger one joins */
			if (park(q, t)) {
				t->result = WORK_QUEUE_RESULT_UNKNOWN;
				wqi_dispatch_complete(q, t);
			}
			continue;
		}
		if (!w) {
			/* fits no worker now: set aside, look a little further */
			skipped[n_skipped++] = t;
			if (n_skipped == LOOKAHEAD)
				break;
			continue;
		}
		if (start_task(q, w, t))
			break;
	}
	/* keys are unchanged, so the skipped tasks go back where they were */
	int dirty = q->dispatch_dirty;
	for (int i = 0; i < n_skipped; i++) {
		if (ready_push(q, skipped[i])) {
			skipped[i]->result = WORK_QUEUE_RESULT_UNKNOWN;
			wqi_dispatch_complete(q, skipped[i]);
		}
	}
	q->dispatch_dirty = dirty;
}

void wqi_dispatch_worker_ready(struct work_queue *q, struct wqi_worker *w)
{
	w->state = WQI_W_READY;
	q->n_ready_workers++;
	/* the address without its port: "1.2.3.4:port" or "[v6]:port" */
	snprintf(w->ip, sizeof w->ip, "%s", w->addr[0] == '[' ? w->addr + 1 : w->addr);
	char *cut = strrchr(w->ip, w->addr[0] == '[' ? ']' : ':');
	if (cut)
		*cut = '\0';
	wqi_hosts_worker_ready(q, w);
	q->total_cores += w->cores;
	q->total_memory += w->memory;
	q->total_disk += w->disk;
	q->total_gpus += w->gpus;
	q->cum.workers_joined++;
	wqi_worker_update_avail(w);
	worker_joined_sizes(q, w);
	q->dispatch_dirty = 1;
}

/*
 * A worker is going away (closed, lost, released). Whose fault: the
 * worker's (or the network's), never the task's: its running tasks go back
 * to the front of the ready queue to run elsewhere, their partial outputs
 * removed. max_retries (when set) counts the reruns after such losses, as
 * in the original: a task lost on its (max_retries + 1)-th try comes back
 * to the user with RESULT_MAX_RETRIES instead of running forever. Tries
 * ended by the master (fast abort) do not count.
 */
void wqi_dispatch_worker_gone(struct work_queue *q, struct wqi_worker *w)
{
	struct wqi_list *n, *nx;
	int had_tasks = w->ntasks > 0;
	wqi_list_foreach_safe(n, nx, &w->wtasks) {
		struct work_queue_task *t = wqi_container_of(n, struct work_queue_task, wnode);
		uncommit(q, t);
		wqi_task_discard_outputs(t);
		q->cum.tasks_lost++;
		if (t->max_retries > 0 && t->try_count - t->free_tries > t->max_retries) {
			t->result = WORK_QUEUE_RESULT_MAX_RETRIES;
			q->cum.tasks_exhausted_attempts++;
			wqi_dispatch_complete(q, t);
			continue;
		}
		wqi_log_task(q, t, "REQUEUED", "WORKER_LOST");
		wqi_dispatch_requeue(q, t, 0);
	}
	if (w->state == WQI_W_READY) {
		q->n_ready_workers--;
		q->total_cores -= w->cores;
		q->total_memory -= w->memory;
		q->total_disk -= w->disk;
		q->total_gpus -= w->gpus;
		q->cum.workers_removed++;
		if (had_tasks)
			q->cum.workers_lost++;
		worker_left_sizes(q, w);
	}
	if (wqi_list_linked(&w->n_avail))
		wqi_list_remove(&w->n_avail);
	wqi_sched_avail_remove(q, w);
	if (wqi_list_linked(&w->n_doom))
		wqi_list_remove(&w->n_doom);
	wqi_cache_clear(w);
	w->state = WQI_W_DEAD;
	q->dispatch_dirty = 1;
}

/*
 * A task's result arrived. A successful run (result SUCCESS, exit 0) is
 * timed from dispatch to now, at the master, for its worker's record (TIME)
 * and its category's average (fast abort); then it leaves its worker.
 */
void wqi_dispatch_task_done(struct work_queue *q, struct work_queue_task *t)
{
	struct wqi_worker *w = t->worker;
	if (w && t->result == WORK_QUEUE_RESULT_SUCCESS && t->return_status == 0) {
		uint64_t now = wqi_mono_us();
		uint64_t took = now > t->dispatch_mono_us ? now - t->dispatch_mono_us : 0;
		w->n_done++;
		w->sum_done_us += took;
		wqi_fa_task_done(q, t, took);
	}
	t->avoid_serial = 0;
	if (w)
		w->n_results++;
	wqi_log_task(q, t, "RETRIEVED", "result=%u exit=%d", t->result, t->return_status);
	uncommit(q, t);
	wqi_dispatch_complete(q, t);
}

void wqi_dispatch_cancel(struct work_queue *q, struct work_queue_task *t)
{
	if (t->ready_pos != WQI_READY_NONE) {
		ready_remove(q, t);
	} else if (t->parked_idx != SIZE_MAX) {
		unpark(q, t);
	} else if (t->worker) {
		if (q->comm)
			q->comm->kill(q, t->worker, t);
		uncommit(q, t);
		wqi_task_discard_outputs(t);
	} else if (wqi_list_linked(&t->cnode)) {
		wqi_list_remove(&t->cnode);
		q->n_complete--;
	}
	wqi_itab_remove(&q->tasks, t->taskid);
	t->q = NULL;
	t->state = WORK_QUEUE_TASK_CANCELED;
	q->cum.tasks_cancelled++;
	wqi_log_task(q, t, "CANCELLED", " ");
	WQI_DEBUG("task %llu cancelled", (unsigned long long)t->taskid);
}

struct work_queue_task *wqi_dispatch_take_complete(struct work_queue *q, const char *tag)
{
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->complete) {
		struct work_queue_task *t = wqi_container_of(n, struct work_queue_task, cnode);
		if (tag && (!t->tag || strcmp(t->tag, tag) != 0))
			continue;
		wqi_list_remove(&t->cnode);
		q->n_complete--;
		wqi_itab_remove(&q->tasks, t->taskid);
		t->q = NULL;
		t->state = WORK_QUEUE_TASK_DONE;
		q->cum.tasks_done++;
		if (t->result != WORK_QUEUE_RESULT_SUCCESS)
			q->cum.tasks_failed++;
		wqi_log_task(q, t, "DONE", "%s", work_queue_result_str((work_queue_result_t)t->result));
		return t;
	}
	return NULL;
}
