/*
 * throughput.c - the master side of benchmarks 1 and 3, and the admission
 * time of real workers, with real wq_worker processes on this machine.
 *
 *   throughput WORKER rate N P     P workers of 1 core, N tasks "/bin/true"
 *                                  (run by the worker as /bin/sh -c /bin/true);
 *                                  prints wq_rate (tasks/s) and the master's
 *                                  CPU per task
 *   throughput WORKER latency N    one idle worker, N sequential submit ->
 *                                  wait round trips: wq_p10/p50/p90/p99_us
 *   throughput WORKER admit W      time from starting W workers to all W
 *                                  connected and handshaken: admit_ms
 *
 * Every task must come back with result SUCCESS and exit status 0; otherwise
 * (or when one is missing) the program exits 1: a benchmark reports figures,
 * but a lost or failed task is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work_queue.h"
#include "bench_common.h"

#define WAIT_S 120   /* a task not back within this is a lost task */

/* Pump the master until n workers have completed their handshake; 0 or -1. */
static int wait_workers(struct work_queue *q, int n, int timeout_s)
{
	uint64_t end = bench_mono_us() + (uint64_t)timeout_s * 1000000u;
	struct work_queue_stats s;
	for (;;) {
		work_queue_get_stats(q, &s);
		if (s.workers_connected >= n)
			return 0;
		if (bench_mono_us() > end) {
			fprintf(stderr, "throughput: only %d of %d workers connected\n", s.workers_connected, n);
			return -1;
		}
		struct work_queue_task *t = work_queue_wait_ms(q, NULL, 5);
		if (t) {
			fprintf(stderr, "throughput: unexpected task\n");
			return -1;
		}
	}
}

/* Wait for one task; check it succeeded; delete it. 0 or -1. */
static int take_one(struct work_queue *q)
{
	struct work_queue_task *t = work_queue_wait(q, WAIT_S);
	if (!t) {
		fprintf(stderr, "throughput: a task did not come back within %d s\n", WAIT_S);
		return -1;
	}
	int ok = work_queue_task_get_result(t) == WORK_QUEUE_RESULT_SUCCESS && work_queue_task_get_return_status(t) == 0;
	if (!ok)
		fprintf(stderr, "throughput: task %d failed: result %d, exit %d\n", work_queue_task_get_taskid(t),
			(int)work_queue_task_get_result(t), work_queue_task_get_return_status(t));
	work_queue_task_delete(t);
	return ok ? 0 : -1;
}

static int submit_true(struct work_queue *q)
{
	struct work_queue_task *t = work_queue_task_create("/bin/true");
	if (!t || work_queue_submit(q, t) <= 0) {
		fprintf(stderr, "throughput: submit failed\n");
		return -1;
	}
	return 0;
}

/* Benchmark 1: N tasks on P one-core workers, all submitted at once. */
static int rate(struct work_queue *q, const char *worker, long n, int p)
{
	pid_t pids[256];
	int rc = 1;
	if (p > 256)
		p = 256;
	for (int i = 0; i < p; i++)
		pids[i] = bench_start_worker(worker, work_queue_port(q), 1);
	if (wait_workers(q, p, 30) < 0)
		goto out;
	uint64_t c0 = bench_cpu_us(), t0 = bench_mono_us();
	for (long i = 0; i < n; i++)
		if (submit_true(q) < 0)
			goto out;
	for (long i = 0; i < n; i++)
		if (take_one(q) < 0)
			goto out;
	double s = (double)(bench_mono_us() - t0) / 1e6;
	printf("wq_rate %.1f\nwq_master_cpu_us_per_task %.2f\n", (double)n / s, (double)(bench_cpu_us() - c0) / (double)n);
	rc = 0;
out:
	bench_stop(pids, p);
	return rc;
}

/* Benchmark 3: N sequential round trips on one idle worker. */
static int latency(struct work_queue *q, const char *worker, long n)
{
	pid_t pid = bench_start_worker(worker, work_queue_port(q), 1);
	uint64_t *lat = malloc((size_t)n * sizeof(*lat));
	int rc = 1;
	if (!lat || wait_workers(q, 1, 30) < 0)
		goto out;
	for (long i = 0; i < n; i++) {
		uint64_t t0 = bench_mono_us();
		if (submit_true(q) < 0 || take_one(q) < 0)
			goto out;
		lat[i] = bench_mono_us() - t0;
	}
	qsort(lat, (size_t)n, sizeof(*lat), bench_cmp_u64);
	printf("wq_p10_us %llu\nwq_p50_us %llu\nwq_p90_us %llu\nwq_p99_us %llu\n", (unsigned long long)lat[n / 10],
	       (unsigned long long)lat[n / 2], (unsigned long long)lat[(n * 9) / 10], (unsigned long long)lat[(n * 99) / 100]);
	rc = 0;
out:
	free(lat);
	bench_stop(&pid, 1);
	return rc;
}

/* Time to admit W real workers: from the first fork to all handshaken. */
static int admit(struct work_queue *q, const char *worker, int w)
{
	pid_t *pids = calloc((size_t)w, sizeof(*pids));
	if (!pids)
		return 1;
	uint64_t t0 = bench_mono_us();
	for (int i = 0; i < w; i++)
		pids[i] = bench_start_worker(worker, work_queue_port(q), 1);
	int rc = wait_workers(q, w, 60) < 0 ? 1 : 0;
	if (!rc)
		printf("admit_ms %.1f\n", (double)(bench_mono_us() - t0) / 1000.0);
	bench_stop(pids, w);
	free(pids);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: throughput WORKER rate N P | latency N | admit W\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	bench_raise_nofile(4096);
	struct work_queue *q = work_queue_create(0);
	if (!q) {
		perror("throughput: work_queue_create");
		return 1;
	}
	int rc = 2;
	if (strcmp(argv[2], "rate") == 0 && argc == 5)
		rc = rate(q, argv[1], atol(argv[3]), atoi(argv[4]));
	else if (strcmp(argv[2], "latency") == 0)
		rc = latency(q, argv[1], atol(argv[3]));
	else if (strcmp(argv[2], "admit") == 0)
		rc = admit(q, argv[1], atoi(argv[3]));
	work_queue_delete(q);
	return rc;
}
