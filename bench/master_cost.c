/*
 * master_cost.c - benchmark 2: the master's own CPU per task, with N
 * simulated workers (bench/swarm) that answer every task at once.
 *
 *   master_cost SWARM N TASKS [CORES]
 *
 * Starts a queue on a free port, runs "SWARM 127.0.0.1 PORT N CORES" as a
 * child (CORES per simulated worker, default 1),
 * pumps the master until all N connections have completed the handshake
 * (swarm_admit_ms), measures RSS with N idle connections against none
 * (rss_per_idle_conn), then submits TASKS tasks at once and waits for all
 * of them: master_cpu_us_per_task is getrusage(RUSAGE_SELF) user+sys over
 * submit, dispatch, results and wait (the swarm's CPU is not counted),
 * master_tasks_per_s the wall-clock rate. The descriptor limit is raised
 * to N + 256 (the swarm raises its own).
 *
 * Exit 1 when a connection is not admitted, a task fails or goes missing,
 * or the swarm reports an error.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work_queue.h"
#include "bench_common.h"

/* Pump the master for ms milliseconds (no tasks are expected back). */
static void pump(struct work_queue *q, int ms)
{
	uint64_t end = bench_mono_us() + (uint64_t)ms * 1000u;
	while (bench_mono_us() < end)
		work_queue_wait_ms(q, NULL, 10);
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5 || atoi(argv[2]) <= 0 || atol(argv[3]) <= 0 || (argc == 5 && atoi(argv[4]) <= 0)) {
		fprintf(stderr, "usage: master_cost SWARM N TASKS [CORES]\n");
		return 2;
	}
	const char *swarm = argv[1];
	int n = atoi(argv[2]);
	long tasks = atol(argv[3]);
	const char *cores = argc == 5 ? argv[4] : "1";
	signal(SIGPIPE, SIG_IGN);
	if (bench_raise_nofile(n + 256) < n + 32) {
		fprintf(stderr, "master_cost: cannot raise the descriptor limit to %d\n", n + 256);
		return 1;
	}
	struct work_queue *q = work_queue_create(0);
	if (!q) {
		perror("master_cost: work_queue_create");
		return 1;
	}
	pump(q, 100);
	uint64_t rss0 = bench_rss();

	char port[16], count[16];
	snprintf(port, sizeof port, "%d", work_queue_port(q));
	snprintf(count, sizeof count, "%d", n);
	fflush(stdout);
	uint64_t t0 = bench_mono_us();
	pid_t pid = fork();
	if (pid == 0) {
		execl(swarm, swarm, "127.0.0.1", port, count, cores, (char *)NULL);
		_exit(127);
	}
	int rc = 1;
	struct work_queue_stats s;
	uint64_t deadline = t0 + 300u * 1000000u;
	for (;;) {
		work_queue_get_stats(q, &s);
		if (s.workers_connected >= n || bench_mono_us() > deadline)
			break;
		work_queue_wait_ms(q, NULL, 10);
	}
	if (s.workers_connected < n) {
		fprintf(stderr, "master_cost: only %d of %d connections admitted\n", s.workers_connected, n);
		goto out;
	}
	printf("swarm_admit_ms %.1f\n", (double)(bench_mono_us() - t0) / 1000.0);
	pump(q, 300);
	uint64_t rss1 = bench_rss();
	printf("master_rss_idle_none %llu\nmaster_rss_idle_conns %llu\nrss_per_idle_conn %.0f\n",
	       (unsigned long long)rss0, (unsigned long long)rss1, ((double)rss1 - (double)rss0) / n);

	uint64_t c0 = bench_cpu_us(), u0 = bench_user_us(), w0 = bench_mono_us();
	for (long i = 0; i < tasks; i++) {
		struct work_queue_task *t = work_queue_task_create("/bin/true");
		if (!t || work_queue_submit(q, t) <= 0) {
			fprintf(stderr, "master_cost: submit failed\n");
			goto out;
		}
	}
	uint64_t c_sub = bench_cpu_us() - c0;
	for (long i = 0; i < tasks; i++) {
		struct work_queue_task *t = work_queue_wait(q, 60);
		if (!t) {
			fprintf(stderr, "master_cost: %ld of %ld tasks came back\n", i, tasks);
			goto out;
		}
		int ok = work_queue_task_get_result(t) == WORK_QUEUE_RESULT_SUCCESS && work_queue_task_get_return_status(t) == 0;
		work_queue_task_delete(t);
		if (!ok) {
			fprintf(stderr, "master_cost: a task failed\n");
			goto out;
		}
	}
	double wall = (double)(bench_mono_us() - w0) / 1e6;
	uint64_t cpu = bench_cpu_us() - c0, user = bench_user_us() - u0;
	work_queue_get_stats(q, &s);
	printf("master_cpu_us_per_task %.2f\nmaster_submit_cpu_us_per_task %.2f\nmaster_tasks_per_s %.0f\nmaster_workers_at_end %d\n",
	       (double)cpu / (double)tasks, (double)c_sub / (double)tasks, (double)tasks / wall, s.workers_connected);
	printf("master_user_us_per_task %.2f\nmaster_sys_us_per_task %.2f\n", (double)user / (double)tasks,
	       (double)(cpu - user) / (double)tasks);
	rc = 0;
out:
	fflush(stdout);
	kill(pid, SIGTERM);
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "master_cost: the swarm failed (status 0x%x)\n", st);
		rc = 1;
	}
	work_queue_delete(q);
	return rc;
}
