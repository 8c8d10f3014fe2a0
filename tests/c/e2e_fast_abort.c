/*
 * e2e_fast_abort.c - fast abort with real workers, judged by events.
 *
 * One worker of each set is started with --test-slow 5 (every command
 * starts 5 s late), so a task that completes there takes >= 5 s from
 * dispatch to result, and one that completes elsewhere about 0.2 s.
 *  1. Without fast abort (2 workers, one slow): the slow worker's tasks
 *     finish on it (some task takes >= 5 s).
 *  2. With fast abort (multiplier 3; 3 workers, one slow; 36 tasks
 *     `sleep 0.2`): every task succeeds, none completes on the slow worker
 *     (no task takes >= 5 s), the stats count the aborted tasks, and the
 *     slow worker, after 3 aborts, is disconnected and blocked
 *     (workers_fast_aborted, workers_blacklisted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define OPTS "--cores 2 --memory 400 --disk 400"

/* Run n `sleep 0.2` tasks; returns how many took >= 4.5 s; *good = successes, *hosts = distinct workers. */
static int run(struct work_queue *q, int n, int *good, int *hosts)
{
	char seen[8][128];
	int slow = 0, got = 0;
	*good = *hosts = 0;
	for (int i = 0; i < n; i++) {
		struct work_queue_task *t = work_queue_task_create("sleep 0.2");
		work_queue_task_specify_cores(t, 1);
		work_queue_submit(q, t);
	}
	uint64_t start = h_mono_ms();
	while (got < n && h_mono_ms() - start < 60000) {
		struct work_queue_task *t = h_next_task(q, 1000);
		if (!t)
			continue;
		got++;
		if (work_queue_task_get_result(t) == 0 && work_queue_task_get_return_status(t) == 0)
			(*good)++;
		if (work_queue_task_get_time(t, "done") - work_queue_task_get_time(t, "dispatch") >= 4500000)
			slow++;
		const char *h = work_queue_task_get_host(t);
		int k;
		for (k = 0; h && k < *hosts; k++)
			if (!strcmp(seen[k], h))
				break;
		if (h && k == *hosts && k < 8)
			snprintf(seen[(*hosts)++], sizeof seen[0], "%s", h);
		work_queue_task_delete(t);
	}
	return slow;
}

int main(void)
{
	h_init("e2e_fast_abort", 150);
	int good, hosts;

	/* 1: without fast abort */
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "a master"))
		return h_finish();
	h_worker_start(work_queue_port(q), OPTS);
	h_worker_start(work_queue_port(q), OPTS " --test-slow 5");
	if (H_CHECK(h_wait_workers(q, 2, 30000), "without fast abort: a fast and a slow (--test-slow 5) worker")) {
		int slow = run(q, 8, &good, &hosts);
		H_CHECK(good == 8, "8 tasks succeed (%d)", good);
		H_CHECK(slow >= 1, "the slow worker's tasks finish on it: %d took >= 5 s", slow);
	}
	work_queue_delete(q);

	/* 2: with fast abort */
	q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "a second master"))
		return h_finish();
	H_CHECK(work_queue_activate_fast_abort(q, 3) == 0, "fast abort on, multiplier 3");
	int port = work_queue_port(q);
	h_worker_start(port, OPTS);
	h_worker_start(port, OPTS);
	h_worker_start(port, OPTS " --test-slow 5");
	if (!H_CHECK(h_wait_workers(q, 3, 30000), "with fast abort: 2 fast workers and a slow one")) {
		work_queue_delete(q);
		return h_finish();
	}
	int slow = run(q, 36, &good, &hosts);
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	H_CHECK(good == 36, "all 36 tasks succeed (%d)", good);
	H_CHECK(slow == 0, "none completes on the slow worker (%d took >= 5 s)", slow);
	H_CHECK(hosts == 2, "they completed on the 2 fast workers (%d workers)", hosts);
	H_CHECK(s.tasks_fast_aborted >= 3, "stats: %d task runs fast-aborted", s.tasks_fast_aborted);
	H_CHECK(s.workers_fast_aborted == 1, "stats: the slow worker was dropped for its aborts (workers_fast_aborted %d)", s.workers_fast_aborted);
	H_CHECK(s.workers_blacklisted >= 1, "stats: and blocked (workers_blacklisted %d)", s.workers_blacklisted);
	H_CHECK(s.tasks_exhausted_attempts == 0 && s.tasks_failed == 0, "no task failed or ran out of retries");
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
