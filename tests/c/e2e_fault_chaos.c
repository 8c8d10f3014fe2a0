/*
 * e2e_fault_chaos.c - the design target: 5,000 short tasks, each with a
 * small buffer input and an output file, while every 0.5 s one worker is
 * SIGKILLed and a replacement started (3 alive at a time). Every result
 * arrives exactly once, none is lost, every output (stdout and file) is
 * the task's own.
 *
 * The workers are started here, not with h_worker_start: the harness
 * keeps at most 64 workers per test and this test starts well over 100.
 * Each dies with the test (PR_SET_PDEATHSIG) and is reaped here.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define N_TASKS 5000
#define N_ALIVE 3
#define KILL_EVERY_MS 500
#define TIME_CAP_MS 100000

static int port;
static pid_t alive[N_ALIVE];
static int n_started, n_killed;

/* Start one wq_worker (log and workdir under the test's root). */
static pid_t start_worker(void)
{
	const char *bin = getenv("WQ_WORKER");
	if (!bin || !*bin)
		bin = "build/wq_worker";
	char port_s[16], dir[600], log[600];
	snprintf(port_s, sizeof port_s, "%d", port);
	snprintf(dir, sizeof dir, "%s/chaos-workers", h_root());
	snprintf(log, sizeof log, "%s/chaos-workers.log", h_root());
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(bin, bin, "--timeout", "120", "--workdir", dir, "--cores", "4", "--memory", "1000", "--disk", "1000",
		      "127.0.0.1", port_s, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		n_started++;
	return pid;
}

/* SIGKILL the oldest live worker, reap it, start its replacement. */
static void kill_one(int slot)
{
	if (alive[slot] > 0) {
		kill(alive[slot], SIGKILL);
		while (waitpid(alive[slot], NULL, 0) < 0 && errno == EINTR)
			;
		n_killed++;
	}
	alive[slot] = start_worker();
}

int main(void)
{
	h_init("e2e_fault_chaos", 120);
	h_mkdir("chaos-workers");
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	port = work_queue_port(q);
	const char *outdir = h_mkdir("out");

	static int idx_of[4 * N_TASKS + 16];  /* task id -> index + 1 */
	static unsigned char count[N_TASKS];
	int max_id = 0;
	for (int i = 0; i < N_TASKS; i++) {
		char val[32], out[4096];
		int len = snprintf(val, sizeof val, "value-%d\n", i);
		snprintf(out, sizeof out, "%s/%d.txt", outdir, i);
		struct work_queue_task *t = work_queue_task_create("cat in.txt; cat in.txt in.txt > out.txt");
		work_queue_task_specify_cores(t, 1);
		work_queue_task_specify_buffer(t, val, len, "in.txt", WORK_QUEUE_NOCACHE);
		work_queue_task_specify_file(t, out, "out.txt", WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE);
		int id = work_queue_submit(q, t);
		if (id <= 0 || id >= (int)(sizeof idx_of / sizeof idx_of[0])) {
			H_CHECK(0, "submit task %d gives a usable id (%d)", i, id);
			work_queue_delete(q);
			return h_finish();
		}
		idx_of[id] = i + 1;
		if (id > max_id)
			max_id = id;
	}
	for (int k = 0; k < N_ALIVE; k++)
		alive[k] = start_worker();

	int got = 0, dup = 0, unknown = 0, bad = 0, bad_file = 0, slot = 0;
	uint64_t start = h_mono_ms(), next_kill = start + KILL_EVERY_MS;
	while (got < N_TASKS && h_mono_ms() - start < TIME_CAP_MS) {
		uint64_t now = h_mono_ms();
		if (now >= next_kill) {
			kill_one(slot);
			slot = (slot + 1) % N_ALIVE;
			next_kill += KILL_EVERY_MS;
			if (next_kill < now)
				next_kill = now + KILL_EVERY_MS;
		}
		struct work_queue_task *t = work_queue_wait_ms(q, NULL, (int64_t)(next_kill - h_mono_ms() + 1));
		if (!t)
			continue;
		got++;
		int id = work_queue_task_get_taskid(t);
		int i = id > 0 && id <= max_id ? idx_of[id] - 1 : -1;
		if (i < 0) {
			unknown++;
		} else if (count[i]++) {
			dup++;
		} else {
			char want[32], want2[64], path[4096];
			snprintf(want, sizeof want, "value-%d\n", i);
			snprintf(want2, sizeof want2, "%s%s", want, want);
			const char *o = work_queue_task_get_output(t);
			if (work_queue_task_get_result(t) != 0 || !o || strcmp(o, want) != 0) {
				if (bad++ < 5)
					h_note("task %d: result %d, output \"%s\"", i, work_queue_task_get_result(t), o ? o : "(null)");
			}
			snprintf(path, sizeof path, "%s/%d.txt", outdir, i);
			char *data = h_read_file(path, NULL);
			if (!data || strcmp(data, want2) != 0) {
				if (bad_file++ < 5)
					h_note("task %d: output file \"%s\"", i, data ? data : "(missing)");
			}
			free(data);
		}
		work_queue_task_delete(t);
	}
	uint64_t ms = h_mono_ms() - start;
	h_note("%d results in %llu ms; %d workers started, %d SIGKILLed", got, (unsigned long long)ms, n_started, n_killed);
	/* anything late (a duplicate) would come now */
	for (int k = 0; k < 20; k++) {
		struct work_queue_task *t = work_queue_wait_ms(q, NULL, 50);
		if (t) {
			got++;
			dup++;
			work_queue_task_delete(t);
		}
	}
	int missing = 0;
	for (int i = 0; i < N_TASKS; i++)
		if (count[i] == 0)
			missing++;
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	H_CHECK(n_killed >= 2 * (int)(ms / 1000) - 2 && n_killed > 0,
		"a worker was SIGKILLed every 0.5 s (%d kills in %llu ms)", n_killed, (unsigned long long)ms);
	H_CHECK(missing == 0, "none lost (%d missing)", missing);
	H_CHECK(dup == 0 && unknown == 0, "every result exactly once (%d duplicates, %d unknown)", dup, unknown);
	H_CHECK(bad == 0, "every output is the task's own (%d wrong)", bad);
	H_CHECK(bad_file == 0, "every output file is the task's own (%d wrong)", bad_file);
	H_CHECK(ms < 60000, "within 60 s (%llu ms)", (unsigned long long)ms);
	h_note("stats: workers_lost %d, tasks_lost %d, tasks_dispatched %d", s.workers_lost, s.tasks_lost,
	       s.tasks_dispatched);
	H_CHECK(s.workers_lost > 0 && s.tasks_dispatched > N_TASKS, "tasks were lost with workers and dispatched again");
	if (h_failed_count())
		h_print_stats(q);
	for (int k = 0; k < N_ALIVE; k++)
		if (alive[k] > 0) {
			kill(alive[k], SIGKILL);
			waitpid(alive[k], NULL, 0);
		}
	work_queue_delete(q);
	return h_finish();
}
