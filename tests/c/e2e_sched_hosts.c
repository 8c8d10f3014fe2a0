/*
 * e2e_sched_hosts.c - preferred and blocked hosts with real workers.
 *
 * The two workers run on this machine, so they share a host name and an
 * address; a preferred or blocked name may also be a worker's "ip:port"
 * (work_queue_task_get_host), which tells them apart.
 *  - preferred: 8 tasks preferring worker B (wait 60 s) all run on B,
 *    though A is idle; a task preferring an unknown host runs elsewhere
 *    once the wait (1 s) is over, not before.
 *  - blocked: with 127.0.0.1 blocked no task is dispatched; unblocked,
 *    they run; with B's address blocked every task runs on A; a block
 *    with a 2 s timeout lifts by itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct work_queue_task *mk(const char *cmd, const char *pref)
{
	struct work_queue_task *t = work_queue_task_create(cmd);
	work_queue_task_specify_cores(t, 1);
	if (pref)
		work_queue_task_specify_preferred_host(t, pref);
	return t;
}

static int dispatched(struct work_queue *q)
{
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	return s.tasks_dispatched;
}

int main(void)
{
	h_init("e2e_sched_hosts", 150);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "a master"))
		return h_finish();
	int port = work_queue_port(q);
	h_worker_start(port, "--cores 1 --memory 300 --disk 300");
	h_worker_start(port, "--cores 1 --memory 300 --disk 300");
	if (!H_CHECK(h_wait_workers(q, 2, 30000), "2 workers connect")) {
		work_queue_delete(q);
		return h_finish();
	}
	/* learn the two workers' addresses: two probes, one per core */
	char addr[2][128] = { "", "" };
	work_queue_submit(q, mk("sleep 0.5", NULL));
	work_queue_submit(q, mk("sleep 0.5", NULL));
	for (int i = 0; i < 2; i++) {
		struct work_queue_task *t = h_next_task(q, 20000);
		if (t && work_queue_task_get_host(t))
			snprintf(addr[i], sizeof addr[i], "%s", work_queue_task_get_host(t));
		if (t)
			work_queue_task_delete(t);
	}
	if (!H_CHECK(addr[0][0] && addr[1][0] && strcmp(addr[0], addr[1]) != 0, "the workers are %s and %s", addr[0], addr[1])) {
		work_queue_delete(q);
		return h_finish();
	}
	const char *b = addr[1];

	/* preferred: all on B */
	int good, on_b;
	work_queue_specify_preferred_host_wait(q, 60);
	for (int i = 0; i < 8; i++)
		work_queue_submit(q, mk("sleep 0.1", b));
	good = h_collect(q, 8, b, &on_b, 30000);
	H_CHECK(good == 8 && on_b == 8, "8 tasks preferring %s all ran there (%d of %d good), the other worker idle", b, on_b, good);

	/* an unknown preferred host: elsewhere after the wait, not before */
	work_queue_specify_preferred_host_wait(q, 1);
	work_queue_submit(q, mk("true", "nowhere.invalid"));
	uint64_t t0 = h_mono_ms();
	h_pump(q, 500);
	H_CHECK(dispatched(q) == 10, "within the 1 s wait it waits (dispatched %d of 11)", dispatched(q));
	good = h_collect(q, 1, NULL, &on_b, 10000);
	uint64_t ms = h_mono_ms() - t0;
	H_CHECK(good == 1 && ms >= 900, "after the wait it ran elsewhere (%d good after %llu ms)", good, (unsigned long long)ms);

	/* blocked: nothing while 127.0.0.1 is blocked */
	struct work_queue_stats s0, s1;
	work_queue_get_stats(q, &s0);
	work_queue_block_host(q, "127.0.0.1");
	int d0 = dispatched(q);
	for (int i = 0; i < 4; i++)
		work_queue_submit(q, mk("true", NULL));
	h_pump(q, 1500);
	H_CHECK(dispatched(q) == d0, "a blocked host gets no task (dispatched %d more in 1.5 s)", dispatched(q) - d0);
	work_queue_get_stats(q, &s1);
	H_CHECK(s1.workers_blacklisted - s0.workers_blacklisted == 2, "stats count 2 workers blocked (%d)", s1.workers_blacklisted - s0.workers_blacklisted);
	work_queue_unblock_host(q, "127.0.0.1");
	good = h_collect(q, 4, NULL, &on_b, 10000);
	H_CHECK(good == 4, "unblocked, the 4 tasks run (%d)", good);

	/* one worker blocked by address: everything goes to the other */
	work_queue_block_host(q, b);
	for (int i = 0; i < 6; i++)
		work_queue_submit(q, mk("sleep 0.1", NULL));
	good = h_collect(q, 6, b, &on_b, 20000);
	H_CHECK(good == 6 && on_b == 0, "with %s blocked its tasks run on the other worker (%d good, %d on it)", b, good, on_b);
	work_queue_unblock_all(q);

	/* a block with a timeout lifts by itself */
	work_queue_block_host_with_timeout(q, "127.0.0.1", 2);
	d0 = dispatched(q);
	t0 = h_mono_ms();
	for (int i = 0; i < 2; i++)
		work_queue_submit(q, mk("true", NULL));
	h_pump(q, 1000);
	H_CHECK(dispatched(q) == d0, "blocked for 2 s: nothing dispatched in the first second");
	good = h_collect(q, 2, NULL, &on_b, 10000);
	ms = h_mono_ms() - t0;
	H_CHECK(good == 2 && ms >= 1800 && ms < 6000, "the block lifted by itself: tasks done after %llu ms", (unsigned long long)ms);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
