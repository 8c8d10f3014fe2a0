/*
 * dispatch_bench.c - the cost of choosing a worker: 100,000 waiting tasks
 * dispatched onto 1,000 fake workers (4 cores each) with every policy.
 *
 * Runs the dispatch reactor with a fake comm (like csrc/dispatch_test.c):
 * no sockets, so the figure is the master's scheduling cost alone. Each
 * round dispatches what fits (4,000 tasks), then completes every running
 * task, until all 100,000 have been dispatched. FILES tasks carry one
 * cached input out of 200, so workers come to hold many of them and the
 * cache index is exercised. Prints tasks/s and microseconds per dispatch
 * (time inside wqi_dispatch_run only, and for the whole round trip).
 *
 *   make bench-dispatch          (or: dispatch_bench [workers] [tasks])
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"
#include "sched_policy.h"
#include "util.h"

static struct work_queue_task **running;  /* tasks sent and not yet completed */
static size_t n_running;

static int fake_send(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t)
{
	running[n_running++] = t;
	for (uint32_t i = 0; i < t->n_inputs; i++)
		if (t->inputs[i].flags & WORK_QUEUE_CACHE)
			wqi_cache_add(w, t->inputs[i].cachename);
	return 0;
}

static void fake_kill(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t) {}
static void fake_disconnect(struct work_queue *q, struct wqi_worker *w, const char *r) { wqi_dispatch_worker_gone(q, w); }
static const struct wqi_comm fake_comm = { fake_send, fake_kill, fake_disconnect };

/* One policy: returns 0, prints one line. */
static int run(int algorithm, const char *name, int n_workers, int n_tasks)
{
	struct work_queue q;
	wqi_master_init(&q);
	q.comm = &fake_comm;
	q.algorithm = algorithm;
	q.sched = wqi_sched_get(algorithm);
	q.rng = 42;
	running = malloc((size_t)n_tasks * sizeof(*running));
	n_running = 0;
	for (int i = 0; i < n_workers; i++) {
		struct wqi_worker *w = wqi_worker_new(&q);
		snprintf(w->addr, sizeof w->addr, "10.%d.%d.%d:9000", i >> 16, (i >> 8) & 255, i & 255);
		w->hostname = strdup("bench");
		w->cores = 4;
		w->memory = 4000;
		w->disk = 4000;
		wqi_dispatch_worker_ready(&q, w);
	}
	for (int i = 0; i < n_tasks; i++) {
		struct work_queue_task *t = work_queue_task_create("true");
		if (algorithm == WORK_QUEUE_SCHEDULE_FILES) {
			char data[16];
			int len = snprintf(data, sizeof data, "input-%d", i % 200);
			work_queue_task_specify_buffer(t, data, len, "in", WORK_QUEUE_CACHE);
		}
		work_queue_task_specify_priority(t, i % 3);
		if (wqi_dispatch_submit(&q, t) <= 0)
			return 1;
	}
	uint64_t in_dispatch = 0, start = wqi_mono_us();
	long dispatched = 0;
	while (q.n_ready > 0) {
		uint64_t t0 = wqi_mono_us();
		size_t before = n_running;
		q.dispatch_dirty = 1;
		wqi_dispatch_run(&q);
		in_dispatch += wqi_mono_us() - t0;
		if (n_running == before)
			return 1; /* no progress: a bug */
		dispatched += (long)(n_running - before);
		for (size_t i = 0; i < n_running; i++) {
			running[i]->dispatch_mono_us -= 1000 + (uint64_t)(i % 7) * 100; /* a history for TIME */
			wqi_dispatch_task_done(&q, running[i]);
			work_queue_task_delete(wqi_dispatch_take_complete(&q, NULL));
		}
		n_running = 0;
	}
	uint64_t total = wqi_mono_us() - start;
	printf("%-6s %7d workers %8ld tasks  dispatch: %9.0f tasks/s %6.2f us/task   with completion: %9.0f tasks/s\n",
	       name, n_workers, dispatched, dispatched / (in_dispatch / 1e6), (double)in_dispatch / (double)dispatched,
	       dispatched / (total / 1e6));
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q.workers) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_all);
		wqi_dispatch_worker_gone(&q, w);
		wqi_worker_free(w);
	}
	wqi_master_free_state(&q);
	free(running);
	return 0;
}

int main(int argc, char **argv)
{
	int n_workers = argc > 1 ? atoi(argv[1]) : 1000;
	int n_tasks = argc > 2 ? atoi(argv[2]) : 100000;
	static const struct { int alg; const char *name; } pol[] = {
		{ WORK_QUEUE_SCHEDULE_FCFS, "fcfs" }, { WORK_QUEUE_SCHEDULE_FILES, "files" },
		{ WORK_QUEUE_SCHEDULE_TIME, "time" }, { WORK_QUEUE_SCHEDULE_RAND, "rand" },
		{ WORK_QUEUE_SCHEDULE_WORST, "worst" },
	};
	for (size_t i = 0; i < sizeof pol / sizeof pol[0]; i++) {
		if (run(pol[i].alg, pol[i].name, n_workers, n_tasks)) {
			fprintf(stderr, "dispatch_bench: %s made no progress\n", pol[i].name);
			return 1;
		}
	}
	return 0;
}
