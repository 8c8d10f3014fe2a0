/*
 * e2e_sched_time.c - TIME favours the faster of two workers. One worker is
 * started with --test-slow 1 (every command starts 1 s late, as on a slow
 * machine); tasks run one at a time. Under FCFS the freed worker goes to
 * the back of the line, so the two workers alternate and the slow one gets
 * about half (measured first, in the same run); under TIME, once both have
 * a record, every task goes to the fast one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Run n tasks one at a time; returns how many took >= 0.9 s (ran on the slow worker). */
static int run_serial(struct work_queue *q, int n, int *good)
{
	int slow = 0;
	*good = 0;
	for (int i = 0; i < n; i++) {
		struct work_queue_task *t = work_queue_task_create("true");
		work_queue_task_specify_cores(t, 1);
		if (work_queue_submit(q, t) <= 0) {
			work_queue_task_delete(t);
			continue;
		}
		t = h_next_task(q, 20000);
		if (!t)
			continue;
		if (work_queue_task_get_result(t) == 0)
			(*good)++;
		timestamp_t took = work_queue_task_get_time(t, "done") - work_queue_task_get_time(t, "dispatch");
		if (took >= 900000)
			slow++;
		work_queue_task_delete(t);
	}
	return slow;
}

int main(void)
{
	h_init("e2e_sched_time", 120);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "a master"))
		return h_finish();
	int port = work_queue_port(q);
	h_worker_start(port, "--cores 1 --memory 300 --disk 300");
	h_worker_start(port, "--cores 1 --memory 300 --disk 300 --test-slow 1");
	if (!H_CHECK(h_wait_workers(q, 2, 30000), "a fast and a slow (--test-slow 1) worker connect")) {
		work_queue_delete(q);
		return h_finish();
	}
	int good = 0;
	work_queue_specify_algorithm(q, WORK_QUEUE_SCHEDULE_FCFS);
	int slow_fcfs = run_serial(q, 6, &good);
	H_CHECK(good == 6, "FCFS: 6 tasks, one at a time, succeed (%d)", good);
	H_CHECK(slow_fcfs >= 2, "FCFS gives the slow worker its turn: %d of 6 ran there", slow_fcfs);

	work_queue_specify_algorithm(q, WORK_QUEUE_SCHEDULE_TIME);
	int slow_time = run_serial(q, 20, &good);
	H_CHECK(good == 20, "TIME: 20 tasks, one at a time, succeed (%d)", good);
	H_CHECK(slow_time <= 1, "TIME sends them to the fast worker: %d of 20 ran on the slow one", slow_time);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
