/*
 * e2e_worker_killed.c - two workers run `sleep 2; echo done` tasks; one is
 * SIGKILLed while both have tasks. Every task still comes back exactly once
 * with SUCCESS and "done", and none is credited to the dead worker unless
 * its command had finished before the kill.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define N_TASKS 8

static int both_busy(const struct work_queue_stats *s, void *arg)
{
	return s->workers_busy >= 2 && s->tasks_running + s->tasks_on_workers >= 3;
}

int main(void)
{
	h_init("e2e_worker_killed", 120);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	int port = work_queue_port(q);

	/* worker A first, and a probe task to learn its "ip:port" */
	struct h_worker *a = h_worker_start(port, "--cores 2 --memory 1000 --disk 1000");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "worker A connects")) {
		work_queue_delete(q);
		return h_finish();
	}
	char host_a[128];
	if (H_CHECK(h_probe_host(q, host_a, sizeof host_a, 30000), "a probe task tells worker A's address"))
		h_note("worker A is %s", host_a);

	h_worker_start(port, "--cores 2 --memory 1000 --disk 1000");
	if (!H_CHECK(h_wait_workers(q, 2, 30000), "worker B connects")) {
		work_queue_delete(q);
		return h_finish();
	}

	int ids[N_TASKS];
	for (int i = 0; i < N_TASKS; i++) {
		struct work_queue_task *t = work_queue_task_create("sleep 2; echo done");
		work_queue_task_specify_cores(t, 1);
		work_queue_task_specify_memory(t, 10);
		work_queue_task_specify_disk(t, 10);
		ids[i] = work_queue_submit(q, t);
	}
	if (!H_CHECK(h_wait_stats(q, both_busy, NULL, 30000), "stats show tasks on both workers")) {
		h_print_stats(q);
		work_queue_delete(q);
		return h_finish();
	}
	uint64_t kill_us = h_now_us();
	h_worker_signal(a, SIGKILL);
	H_CHECK(h_worker_reap(a, 5000), "worker A is SIGKILLed while running tasks");

	int seen[N_TASKS] = { 0 };
	int got = 0, bad = 0, dup = 0, unknown = 0, on_dead = 0, on_a = 0, on_b = 0;
	char host_b[128] = "";
	int other_hosts = 0;
	uint64_t start = h_mono_ms();
	while (got < N_TASKS && h_mono_ms() - start < 60000) {
		struct work_queue_task *t = h_next_task(q, 1000);
		if (!t)
			continue;
		got++;
		int id = work_queue_task_get_taskid(t), k;
		for (k = 0; k < N_TASKS && ids[k] != id; k++)
			;
		if (k == N_TASKS)
			unknown++;
		else if (seen[k]++)
			dup++;
		const char *out = work_queue_task_get_output(t);
		if (work_queue_task_get_result(t) != WORK_QUEUE_RESULT_SUCCESS || !out || strcmp(out, "done\n") != 0) {
			bad++;
			h_note("task %d: result %d, exit %d, output \"%s\"", id, work_queue_task_get_result(t), work_queue_task_get_return_status(t), out ? out : "(null)");
		}
		const char *host = work_queue_task_get_host(t);
		host = host ? host : "";
		if (strcmp(host, host_a) == 0) {
			on_a++;
			timestamp_t end = work_queue_task_get_time(t, "end");
			if (end == 0 || end > kill_us)
				on_dead++;
		} else {
			if (!host_b[0])
				snprintf(host_b, sizeof host_b, "%s", host);
			if (strcmp(host, host_b) == 0)
				on_b++;
			else
				other_hosts++;
		}
		work_queue_task_delete(t);
	}
	H_CHECK(got == N_TASKS, "all %d tasks come back (%d)", N_TASKS, got);
	H_CHECK(dup == 0 && unknown == 0, "each exactly once (%d duplicates, %d unknown)", dup, unknown);
	H_CHECK(bad == 0, "all SUCCESS with output \"done\" (%d not)", bad);
	H_CHECK(on_dead == 0, "no task is credited to the killed worker after its death (%d)", on_dead);
	H_CHECK(other_hosts == 0, "tasks ran only on A (before the kill) and B (%d on A, %d on B %s)", on_a, on_b, host_b);
	H_CHECK(on_b >= N_TASKS - on_a && on_b > 0, "the killed worker's tasks ran again on the other worker");

	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	H_CHECK(s.workers_connected == 1, "stats: workers_connected = 1 (%d)", s.workers_connected);
	H_CHECK(s.workers_lost >= 1, "stats: workers_lost >= 1 (%d)", s.workers_lost);
	H_CHECK(work_queue_empty(q), "the queue is empty afterwards");
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
