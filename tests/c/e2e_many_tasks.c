/*
 * e2e_many_tasks.c - 1,000 small tasks across 2 real workers: every task
 * comes back exactly once, with result SUCCESS, exit 0, its own output
 * ("<i>\n" from `echo <i>`) and its tag; both workers took part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define N_TASKS 1000

int main(void)
{
	h_init("e2e_many_tasks", 120);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	int port = work_queue_port(q);
	H_CHECK(port > 0, "the master listens on port %d", port);

	h_worker_start(port, "--cores 4 --memory 4000 --disk 4000");
	h_worker_start(port, "--cores 4 --memory 4000 --disk 4000");
	if (!H_CHECK(h_wait_workers(q, 2, 30000), "2 workers connect")) {
		h_print_stats(q);
		work_queue_delete(q);
		return h_finish();
	}

	static int id_of[N_TASKS + 1];       /* index -> task id */
	static int seen[N_TASKS + 1];        /* index -> times returned */
	int submit_fail = 0;
	for (int i = 1; i <= N_TASKS; i++) {
		char cmd[64], tag[32];
		snprintf(cmd, sizeof cmd, "echo %d", i);
		snprintf(tag, sizeof tag, "%d", i);
		struct work_queue_task *t = work_queue_task_create(cmd);
		work_queue_task_specify_tag(t, tag);
		work_queue_task_specify_cores(t, 1);
		work_queue_task_specify_memory(t, 10);
		work_queue_task_specify_disk(t, 10);
		id_of[i] = work_queue_submit(q, t);
		if (id_of[i] <= 0) {
			submit_fail++;
			work_queue_task_delete(t);
		}
	}
	H_CHECK(submit_fail == 0, "%d tasks submitted (%d refused)", N_TASKS, submit_fail);

	int got = 0, bad_tag = 0, bad_id = 0, bad_result = 0, bad_exit = 0, bad_output = 0, dup = 0;
	char hosts[2][128] = { "", "" };
	int n_hosts = 0, extra_hosts = 0;
	uint64_t start = h_mono_ms();
	while (got < N_TASKS - submit_fail && h_mono_ms() - start < 100000) {
		struct work_queue_task *t = h_next_task(q, 5000);
		if (!t)
			continue;
		got++;
		const char *tag = work_queue_task_get_tag(t);
		int i = tag ? atoi(tag) : 0;
		if (i < 1 || i > N_TASKS) {
			bad_tag++;
		} else {
			if (seen[i]++)
				dup++;
			if (work_queue_task_get_taskid(t) != id_of[i])
				bad_id++;
			char want[32];
			snprintf(want, sizeof want, "%d\n", i);
			const char *out = work_queue_task_get_output(t);
			if (!out || strcmp(out, want) != 0) {
				if (bad_output++ < 3)
					h_note("task %d: output \"%s\", want \"%d\\n\"", i, out ? out : "(null)", i);
			}
		}
		if (work_queue_task_get_result(t) != WORK_QUEUE_RESULT_SUCCESS) {
			if (bad_result++ < 3)
				h_note("task %s: result %d (%s)", tag ? tag : "?", work_queue_task_get_result(t), work_queue_result_str(work_queue_task_get_result(t)));
		}
		if (work_queue_task_get_return_status(t) != 0)
			bad_exit++;
		const char *host = work_queue_task_get_host(t);
		if (host) {
			int k;
			for (k = 0; k < n_hosts; k++)
				if (strcmp(hosts[k], host) == 0)
					break;
			if (k == n_hosts) {
				if (n_hosts < 2)
					snprintf(hosts[n_hosts++], sizeof hosts[0], "%s", host);
				else
					extra_hosts++;
			}
		}
		work_queue_task_delete(t);
	}
	int missing = 0;
	for (int i = 1; i <= N_TASKS; i++)
		if (id_of[i] > 0 && !seen[i])
			missing++;
	H_CHECK(got == N_TASKS, "%d of %d tasks returned by wait", got, N_TASKS);
	H_CHECK(missing == 0, "no task missing (%d missing)", missing);
	H_CHECK(dup == 0, "no task returned twice (%d duplicates)", dup);
	H_CHECK(bad_tag == 0 && bad_id == 0, "tags and ids match what was submitted (%d bad tags, %d bad ids)", bad_tag, bad_id);
	H_CHECK(bad_result == 0, "every result is SUCCESS (%d not)", bad_result);
	H_CHECK(bad_exit == 0, "every exit status is 0 (%d not)", bad_exit);
	H_CHECK(bad_output == 0, "every output is the task's own \"<i>\\n\" (%d wrong)", bad_output);
	H_CHECK(n_hosts == 2 && extra_hosts == 0, "tasks ran on both workers (%d distinct hosts: %s %s)", n_hosts + extra_hosts, hosts[0], hosts[1]);
	H_CHECK(work_queue_empty(q), "the queue is empty afterwards");

	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	H_CHECK(s.tasks_done == N_TASKS, "stats: tasks_done = %d", s.tasks_done);
	H_CHECK(s.workers_connected == 2, "stats: workers_connected = %d", s.workers_connected);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
