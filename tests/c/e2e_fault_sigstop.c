/*
 * e2e_fault_sigstop.c - a link that stalls without closing. Keepalive
 * interval 1 s, timeout 2 s; two workers; worker A is SIGSTOPped while it
 * runs a task. The master drops A within the keepalive interval + timeout
 * (stats: workers_lost/removed), A's task completes on B; A is SIGCONTed,
 * reconnects cleanly (workers_joined grows, 2 connected again) and what it
 * had (its stale result) is ignored: every task completes exactly once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define N_TASKS 2
#define N_MORE 4

static int both_busy(const struct work_queue_stats *s, void *arg)
{
	return s->workers_busy >= 2 && s->tasks_running + s->tasks_on_workers >= 2;
}

static int one_connected(const struct work_queue_stats *s, void *arg)
{
	return s->workers_connected == 1;
}

static int rejoined(const struct work_queue_stats *s, void *arg)
{
	return s->workers_connected == 2 && s->workers_joined > *(int *)arg;
}

/* Tasks seen, by id, with their hosts. */
struct seen {
	int ids[N_TASKS + N_MORE];
	int count[N_TASKS + N_MORE];
	int n, got, bad, unknown, on_a;
};

/* Take one completed task into s (checks its output "out-<i>"). */
static void take(struct seen *s, struct work_queue_task *t, const char *host_a)
{
	int id = work_queue_task_get_taskid(t), k;
	for (k = 0; k < s->n && s->ids[k] != id; k++)
		;
	s->got++;
	if (k == s->n) {
		s->unknown++;
	} else {
		s->count[k]++;
		char want[32];
		snprintf(want, sizeof want, "out-%d\n", k);
		const char *out = work_queue_task_get_output(t);
		if (work_queue_task_get_result(t) != 0 || !out || strcmp(out, want) != 0) {
			s->bad++;
			h_note("task %d: result %d, output \"%s\"", id, work_queue_task_get_result(t), out ? out : "(null)");
		}
	}
	const char *h = work_queue_task_get_host(t);
	if (h && strcmp(h, host_a) == 0)
		s->on_a++;
	work_queue_task_delete(t);
}

static int submit(struct work_queue *q, int i, const char *cmd)
{
	char c[128];
	snprintf(c, sizeof c, "%s; echo out-%d", cmd, i);
	struct work_queue_task *t = work_queue_task_create(c);
	work_queue_task_specify_cores(t, 1);
	return work_queue_submit(q, t);
}

int main(void)
{
	h_init("e2e_fault_sigstop", 120);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	work_queue_specify_keepalive_interval(q, 1);
	work_queue_specify_keepalive_timeout(q, 2);
	int port = work_queue_port(q);

	struct h_worker *a = h_worker_start(port, "--cores 1 --memory 500 --disk 500");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "worker A connects")) {
		work_queue_delete(q);
		return h_finish();
	}
	char host_a[128];
	h_probe_host(q, host_a, sizeof host_a, 30000);
	h_worker_start(port, "--cores 1 --memory 500 --disk 500");
	if (!H_CHECK(h_wait_workers(q, 2, 30000), "worker B connects")) {
		work_queue_delete(q);
		return h_finish();
	}

	struct seen s;
	memset(&s, 0, sizeof s);
	for (int i = 0; i < N_TASKS; i++)
		s.ids[s.n++] = submit(q, i, "sleep 2");
	if (!H_CHECK(h_wait_stats(q, both_busy, NULL, 30000), "both workers run a task")) {
		work_queue_delete(q);
		return h_finish();
	}
	struct work_queue_stats s0;
	work_queue_get_stats(q, &s0);
	uint64_t t0 = h_mono_ms();
	h_worker_signal(a, SIGSTOP);
	H_CHECK(h_wait_stats(q, one_connected, NULL, 15000), "the master drops the stopped worker");
	uint64_t ms = h_mono_ms() - t0;
	H_CHECK(ms <= 1000 + 2000 + 1500, "within the keepalive interval + timeout (%llu ms)", (unsigned long long)ms);
	struct work_queue_stats s1;
	work_queue_get_stats(q, &s1);
	H_CHECK(s1.workers_lost > s0.workers_lost || s1.workers_removed > s0.workers_removed,
		"stats count it (workers_lost %d, workers_removed %d)", s1.workers_lost, s1.workers_removed);

	uint64_t start = h_mono_ms();
	while (s.got < N_TASKS && h_mono_ms() - start < 30000) {
		struct work_queue_task *t = h_next_task(q, 1000);
		if (t)
			take(&s, t, host_a);
	}
	H_CHECK(s.got == N_TASKS && s.bad == 0 && s.unknown == 0, "both tasks complete (%d, %d bad)", s.got, s.bad);
	H_CHECK(s.on_a == 0, "none on the stopped worker (%d)", s.on_a);

	h_worker_signal(a, SIGCONT);
	int joined = s1.workers_joined;
	H_CHECK(h_wait_stats(q, rejoined, &joined, 20000), "after SIGCONT it reconnects: 2 connected, workers_joined grows");
	H_CHECK(h_worker_alive(a), "worker A is alive");

	/* more tasks run on both; nothing stale arrives */
	for (int i = 0; i < N_MORE; i++)
		s.ids[s.n++] = submit(q, N_TASKS + i, "sleep 0.5");
	start = h_mono_ms();
	while (s.got < N_TASKS + N_MORE && h_mono_ms() - start < 30000) {
		struct work_queue_task *t = h_next_task(q, 1000);
		if (t)
			take(&s, t, host_a);
	}
	h_pump(q, 1500);
	struct work_queue_task *extra = h_next_task(q, 0);
	H_CHECK(extra == NULL, "no stale result arrives");
	if (extra)
		take(&s, extra, host_a);
	int once = 1;
	for (int k = 0; k < s.n; k++)
		if (s.count[k] != 1)
			once = 0;
	H_CHECK(once && s.unknown == 0 && s.got == s.n, "every task completed exactly once (%d results for %d tasks)", s.got,
		s.n);
	H_CHECK(s.bad == 0, "all with the right output");
	struct work_queue_stats s2;
	work_queue_get_stats(q, &s2);
	H_CHECK(s2.workers_connected == 2, "2 workers connected at the end (%d)", s2.workers_connected);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
