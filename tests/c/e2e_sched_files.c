/*
 * e2e_sched_files.c - FILES keeps tasks on the workers that hold their
 * cached input. 3 workers (2 cores each); 50 tasks read a cached 8 MiB
 * input, at most 2 in flight (a steady trickle, as in a pipeline). Under
 * FCFS the freed worker goes to the back of the line, so the tasks spread
 * over all 3 workers and the input is sent 3 times; under FILES they stay
 * on the worker that holds it: one copy. Both figures are measured in
 * this run (different inputs, so nothing is cached in advance).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MIB (1ll << 20)
#define SIZE (8 * MIB)
#define TASKS 50
#define WINDOW 2

static int64_t bytes_sent(struct work_queue *q)
{
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	return s.bytes_sent;
}

/* Run TASKS tasks on input path, WINDOW at a time; returns good results,
 * *n_hosts = distinct workers used. */
static int run_phase(struct work_queue *q, const char *path, int *n_hosts)
{
	char hosts[8][128];
	int submitted = 0, got = 0, good = 0;
	*n_hosts = 0;
	uint64_t start = h_mono_ms();
	while (got < TASKS && h_mono_ms() - start < 60000) {
		while (submitted < TASKS && submitted - got < WINDOW) {
			struct work_queue_task *t = work_queue_task_create("wc -c < in.bin | tr -d ' '");
			work_queue_task_specify_cores(t, 1);
			work_queue_task_specify_file(t, path, "in.bin", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
			if (work_queue_submit(q, t) <= 0) {
				work_queue_task_delete(t);
				return good;
			}
			submitted++;
		}
		struct work_queue_task *t = h_next_task(q, 1000);
		if (!t)
			continue;
		got++;
		const char *out = work_queue_task_get_output(t);
		if (work_queue_task_get_result(t) == 0 && out && atoll(out) == SIZE)
			good++;
		const char *host = work_queue_task_get_host(t);
		int k;
		for (k = 0; host && k < *n_hosts; k++)
			if (strcmp(hosts[k], host) == 0)
				break;
		if (host && k == *n_hosts && k < 8)
			snprintf(hosts[(*n_hosts)++], sizeof hosts[0], "%s", host);
		work_queue_task_delete(t);
	}
	return good;
}

int main(void)
{
	h_init("e2e_sched_files", 150);
	const char *in_fcfs = h_path("fcfs.bin"), *in_files = h_path("files.bin");
	if (!H_CHECK(h_write_random(in_fcfs, SIZE, 1) == 0 && h_write_random(in_files, SIZE, 2) == 0, "two 8 MiB inputs"))
		return h_finish();
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "a master"))
		return h_finish();
	int port = work_queue_port(q);
	for (int i = 0; i < 3; i++)
		h_worker_start(port, "--cores 2 --memory 600 --disk 600");
	if (!H_CHECK(h_wait_workers(q, 3, 30000), "3 workers connect")) {
		work_queue_delete(q);
		return h_finish();
	}

	int hosts = 0;
	work_queue_specify_algorithm(q, WORK_QUEUE_SCHEDULE_FCFS);
	int64_t b0 = bytes_sent(q);
	int good = run_phase(q, in_fcfs, &hosts);
	int64_t d_fcfs = bytes_sent(q) - b0;
	H_CHECK(good == TASKS, "FCFS: %d tasks read the input (%d good, %d workers used)", TASKS, good, hosts);
	h_note("FCFS sent %.2f MiB (%.2f copies)", (double)d_fcfs / MIB, (double)d_fcfs / SIZE);

	work_queue_specify_algorithm(q, WORK_QUEUE_SCHEDULE_FILES);
	b0 = bytes_sent(q);
	good = run_phase(q, in_files, &hosts);
	int64_t d_files = bytes_sent(q) - b0;
	H_CHECK(good == TASKS, "FILES: %d tasks read the input (%d good, %d workers used)", TASKS, good, hosts);
	h_note("FILES sent %.2f MiB (%.2f copies)", (double)d_files / MIB, (double)d_files / SIZE);
	H_CHECK(d_files >= SIZE && d_files < SIZE * 3 / 2, "FILES sends one copy: the tasks stay where the input is (%.2f copies)",
		(double)d_files / SIZE);
	H_CHECK(hosts == 1, "FILES: all tasks ran on the worker holding the input (%d workers used)", hosts);
	H_CHECK(d_fcfs >= 2 * SIZE, "FCFS, measured in the same run, sends more copies (%.2f)", (double)d_fcfs / SIZE);
	H_CHECK(d_files < d_fcfs, "FILES sends fewer bytes than FCFS (%lld < %lld)", (long long)d_files, (long long)d_fcfs);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
