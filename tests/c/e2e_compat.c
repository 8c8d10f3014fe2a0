/*
 * e2e_compat.c - the original's functions kept for old programs, with real
 * workers:
 *  - work_queue_task_state: READY before any worker connects, RUNNING while
 *    its `sleep` runs, WAITING_RETRIEVAL once completed but not returned,
 *    UNKNOWN once wait returned it (the task itself then says DONE), and
 *    UNKNOWN for an id never given.
 *  - work_queue_specify_min_taskid: raises the next id, never lowers it.
 *  - the blacklist aliases: blacklist_add keeps tasks off a host (by its
 *    "ip:port": the other worker runs them), blacklist_remove and
 *    blacklist_clear lift blocks, blacklist_add_with_timeout lifts by itself.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static int dispatched(struct work_queue *q)
{
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	return s.tasks_dispatched;
}

/* Run the master's loop (returning nothing: a tag no task has) until the
 * task's state is want; 1 if it got there within timeout_ms. */
static int pump_until_state(struct work_queue *q, int id, work_queue_task_state_t want, int timeout_ms)
{
	uint64_t start = h_mono_ms();
	while (work_queue_task_state(q, id) != want) {
		if (h_mono_ms() - start > (uint64_t)timeout_ms)
			return 0;
		work_queue_wait_ms(q, "no task has this tag", 50);
	}
	return 1;
}

int main(void)
{
	h_init("e2e_compat", 150);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "a master"))
		return h_finish();
	int port = work_queue_port(q);

	/* ---- task_state ---- */
	struct work_queue_task *t = work_queue_task_create("sleep 2");
	int id = work_queue_submit(q, t);
	H_CHECK(id > 0, "a task submitted (id %d)", id);
	h_pump(q, 200);
	H_CHECK(work_queue_task_state(q, id) == WORK_QUEUE_TASK_READY, "no worker yet: the task is READY (%s)",
		work_queue_task_state_str(work_queue_task_state(q, id)));
	H_CHECK(work_queue_task_state(q, id + 1000) == WORK_QUEUE_TASK_UNKNOWN, "an id never given is UNKNOWN");
	h_worker_start(port, "--cores 1 --memory 300 --disk 300");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "a worker connects")) {
		work_queue_delete(q);
		return h_finish();
	}
	int ok = pump_until_state(q, id, WORK_QUEUE_TASK_RUNNING, 10000);
	H_CHECK(ok, "while its sleep runs the task is RUNNING (%s)", work_queue_task_state_str(work_queue_task_state(q, id)));
	ok = pump_until_state(q, id, WORK_QUEUE_TASK_WAITING_RETRIEVAL, 20000);
	H_CHECK(ok, "completed, not yet returned by wait: WAITING_RETRIEVAL (%s)",
		work_queue_task_state_str(work_queue_task_state(q, id)));
	struct work_queue_task *got = h_next_task(q, 10000);
	H_CHECK(got == t, "wait returns the task");
	H_CHECK(work_queue_task_state(q, id) == WORK_QUEUE_TASK_UNKNOWN, "returned by wait, the queue no longer holds it: UNKNOWN (%s)",
		work_queue_task_state_str(work_queue_task_state(q, id)));
	H_CHECK(got && work_queue_task_get_state(got) == WORK_QUEUE_TASK_DONE, "the task itself says DONE");
	char a_addr[128] = "";
	if (got && work_queue_task_get_host(got))
		snprintf(a_addr, sizeof a_addr, "%s", work_queue_task_get_host(got));
	if (got)
		work_queue_task_delete(got);

	/* ---- specify_min_taskid ---- */
	int next = work_queue_specify_min_taskid(q, 50);
	H_CHECK(next == 50, "min taskid 50: the next id is 50 (%d)", next);
	int i1 = work_queue_submit(q, work_queue_task_create("true"));
	H_CHECK(i1 == 50, "the next task gets id 50 (%d)", i1);
	next = work_queue_specify_min_taskid(q, 10);
	H_CHECK(next == 51, "a lower minimum never lowers ids: next is 51 (%d)", next);
	int i2 = work_queue_submit(q, work_queue_task_create("true"));
	H_CHECK(i2 == 51, "the task after it gets 51 (%d)", i2);
	int on;
	H_CHECK(h_collect(q, 2, NULL, &on, 20000) == 2, "both run");
	H_CHECK(work_queue_specify_min_taskid(q, 0) == 52, "min taskid 0 changes nothing: next is 52");

	/* ---- blacklist aliases ---- */
	work_queue_blacklist_add(q, "127.0.0.1");
	int d0 = dispatched(q);
	int bid = work_queue_submit(q, work_queue_task_create("echo blocked"));
	h_pump(q, 1500);
	H_CHECK(dispatched(q) == d0 && work_queue_task_state(q, bid) == WORK_QUEUE_TASK_READY,
		"blacklist_add 127.0.0.1: the task is not dispatched in 1.5 s (%s)",
		work_queue_task_state_str(work_queue_task_state(q, bid)));
	work_queue_blacklist_remove(q, "127.0.0.1");
	H_CHECK(h_collect(q, 1, NULL, &on, 20000) == 1, "blacklist_remove: it runs");

	h_worker_start(port, "--cores 1 --memory 300 --disk 300");
	if (!H_CHECK(h_wait_workers(q, 2, 30000), "a second worker connects") ||
	    !H_CHECK(a_addr[0] != 0, "the first worker's address is known (%s)", a_addr)) {
		work_queue_delete(q);
		return h_finish();
	}
	work_queue_blacklist_add(q, a_addr);
	for (int i = 0; i < 4; i++) {
		struct work_queue_task *s = work_queue_task_create("sleep 0.2");
		work_queue_task_specify_cores(s, 1);
		work_queue_submit(q, s);
	}
	int good = h_collect(q, 4, a_addr, &on, 30000);
	H_CHECK(good == 4 && on == 0, "with %s blacklisted its tasks run on the other worker (%d good, %d there)", a_addr, good, on);

	work_queue_blacklist_add(q, "127.0.0.1");
	d0 = dispatched(q);
	work_queue_submit(q, work_queue_task_create("echo cleared"));
	h_pump(q, 1000);
	H_CHECK(dispatched(q) == d0, "both hosts blacklisted: nothing dispatched in 1 s");
	work_queue_blacklist_clear(q);
	H_CHECK(h_collect(q, 1, NULL, &on, 20000) == 1, "blacklist_clear lifts every block: the task runs");

	work_queue_blacklist_add_with_timeout(q, "127.0.0.1", 2);
	d0 = dispatched(q);
	uint64_t t0 = h_mono_ms();
	work_queue_submit(q, work_queue_task_create("true"));
	h_pump(q, 1000);
	H_CHECK(dispatched(q) == d0, "blacklist_add_with_timeout 2 s: nothing dispatched in the first second");
	good = h_collect(q, 1, NULL, &on, 20000);
	uint64_t ms = h_mono_ms() - t0;
	H_CHECK(good == 1 && ms >= 1800 && ms < 10000, "the block lifted by itself: the task ran after %llu ms",
		(unsigned long long)ms);
	if (h_failed_count())
		h_print_stats(q);

	work_queue_delete(q);
	return h_finish();
}
