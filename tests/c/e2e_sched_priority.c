/*
 * e2e_sched_priority.c - priorities reorder: one worker with one core runs
 * a blocker while 12 tasks with mixed priorities queue up; they complete
 * highest priority first, in submission order among equal priorities
 * (FIFO), under every algorithm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define N 12

static const int prio[N] = { 1, 5, 1, 3, 5, -2, 3, 0, 5, 1, -2, 0 };

/* Expected completion order: indices sorted by priority desc, index asc. */
static void expected(int order[N])
{
	for (int i = 0; i < N; i++)
		order[i] = i;
	for (int i = 1; i < N; i++)
		for (int j = i; j > 0 && prio[order[j]] > prio[order[j - 1]]; j--) {
			int x = order[j];
			order[j] = order[j - 1];
			order[j - 1] = x;
		}
}

static void run(struct work_queue *q, int algorithm, const char *name)
{
	work_queue_specify_algorithm(q, algorithm);
	struct work_queue_task *b = work_queue_task_create("sleep 1");
	work_queue_task_specify_priority(b, 100);
	work_queue_submit(q, b);
	h_pump(q, 300); /* the blocker is on the core */
	for (int i = 0; i < N; i++) {
		char cmd[32];
		snprintf(cmd, sizeof cmd, "echo %d", i);
		struct work_queue_task *t = work_queue_task_create(cmd);
		work_queue_task_specify_priority(t, prio[i]);
		work_queue_submit(q, t);
	}
	int order[N], want[N], got = 0, blocker = 0;
	expected(want);
	while (got < N) {
		struct work_queue_task *t = h_next_task(q, 20000);
		if (!t)
			break;
		const char *out = work_queue_task_get_output(t);
		if (strcmp(work_queue_task_get_command(t), "sleep 1") == 0)
			blocker = 1;
		else if (out)
			order[got++] = atoi(out);
		work_queue_task_delete(t);
	}
	if (!blocker) {
		struct work_queue_task *t = h_next_task(q, 5000);
		if (t)
			work_queue_task_delete(t);
	}
	int same = got == N;
	for (int i = 0; same && i < N; i++)
		same = order[i] == want[i];
	char buf[128] = "";
	for (int i = 0; i < got; i++)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%d ", order[i]);
	H_CHECK(same, "%s: completion order follows priority, FIFO among equals (%s)", name, buf);
}

int main(void)
{
	h_init("e2e_sched_priority", 120);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "a master"))
		return h_finish();
	h_worker_start(work_queue_port(q), "--cores 1 --memory 300 --disk 300");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "one single-core worker connects")) {
		work_queue_delete(q);
		return h_finish();
	}
	run(q, WORK_QUEUE_SCHEDULE_FCFS, "FCFS");
	run(q, WORK_QUEUE_SCHEDULE_FILES, "FILES");
	run(q, WORK_QUEUE_SCHEDULE_TIME, "TIME");
	run(q, WORK_QUEUE_SCHEDULE_RAND, "RAND");
	run(q, WORK_QUEUE_SCHEDULE_WORST, "WORST");
	work_queue_delete(q);
	return h_finish();
}
