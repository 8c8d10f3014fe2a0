/*
 * e2e_master_restart.c - master 1 on port P has two workers running
 * `sleep 3`; it is deleted while they run, master 2 is created at once on
 * the same port (SO_REUSEADDR), the workers reconnect to it (their backoff
 * starts at 1 s) and master 2's tasks complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int both_running(const struct work_queue_stats *s, void *arg)
{
	return s->workers_busy >= 2 && s->tasks_running + s->tasks_on_workers >= 2;
}

int main(void)
{
	h_init("e2e_master_restart", 120);
	struct work_queue *q1 = work_queue_create(0);
	if (!H_CHECK(q1 != NULL, "master 1: work_queue_create(0)"))
		return h_finish();
	int port = work_queue_port(q1);
	h_note("port P = %d", port);
	struct h_worker *w1 = h_worker_start(port, "--cores 1 --memory 1000 --disk 1000");
	struct h_worker *w2 = h_worker_start(port, "--cores 1 --memory 1000 --disk 1000");
	if (!H_CHECK(h_wait_workers(q1, 2, 30000), "2 workers connect to master 1")) {
		work_queue_delete(q1);
		return h_finish();
	}
	for (int i = 0; i < 2; i++) {
		struct work_queue_task *t = work_queue_task_create("sleep 3");
		work_queue_task_specify_cores(t, 1);
		work_queue_submit(q1, t);
	}
	H_CHECK(h_wait_stats(q1, both_running, NULL, 30000), "both workers run a `sleep 3` task");
	work_queue_delete(q1); /* deletes the two tasks still inside */
	h_note("master 1 deleted while its tasks run");

	struct work_queue *q2 = work_queue_create(port);
	if (!H_CHECK(q2 != NULL, "master 2: work_queue_create(P) succeeds at once on the same port")) {
		perror("work_queue_create");
		return h_finish();
	}
	H_CHECK(work_queue_port(q2) == port, "master 2 listens on P (%d)", work_queue_port(q2));
	enum { N = 6 };
	int ids[N];
	for (int i = 0; i < N; i++) {
		char cmd[64];
		snprintf(cmd, sizeof cmd, "echo after-%d", i);
		struct work_queue_task *t = work_queue_task_create(cmd);
		work_queue_task_specify_cores(t, 1);
		ids[i] = work_queue_submit(q2, t);
	}
	uint64_t t0 = h_mono_ms();
	int back = h_wait_workers(q2, 2, 60000);
	H_CHECK(back, "both workers reconnect to master 2 (%.1f s)", (h_mono_ms() - t0) / 1000.0);

	int got = 0, good = 0;
	while (got < N && h_mono_ms() - t0 < 60000) {
		struct work_queue_task *t = h_next_task(q2, 1000);
		if (!t)
			continue;
		got++;
		int id = work_queue_task_get_taskid(t), k;
		for (k = 0; k < N && ids[k] != id; k++)
			;
		char want[32];
		snprintf(want, sizeof want, "after-%d\n", k);
		const char *out = work_queue_task_get_output(t);
		if (k < N && work_queue_task_get_result(t) == WORK_QUEUE_RESULT_SUCCESS && out && strcmp(out, want) == 0)
			good++;
		else
			h_note("task %d: result %d, output \"%s\"", id, work_queue_task_get_result(t), out ? out : "(null)");
		work_queue_task_delete(t);
	}
	H_CHECK(got == N && good == N, "master 2's %d tasks complete with the right output (%d back, %d good)", N, got, good);
	H_CHECK(h_worker_alive(w1) && h_worker_alive(w2), "both workers are still the same processes");
	if (h_failed_count())
		h_print_stats(q2);
	work_queue_delete(q2);
	return h_finish();
}
