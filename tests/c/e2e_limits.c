/*
 * e2e_limits.c - limits and retries with real workers:
 *   - a task declaring 50 MB that holds ~300 MB is killed with result 16
 *     (its output file still comes back) and the worker then runs a
 *     normal task;
 *   - a task declaring 10 MB of disk that writes 100 MB gets 16;
 *   - a maximum running time gives 56, an end time in the past or near
 *     future gives 24;
 *   - a failing command (exit 3) is a result (0, exit 3), tried once;
 *   - max_retries 1: a task whose worker is SIGKILLed twice (a replacement
 *     started after the first kill runs it again) comes back with 48 and
 *     stats.tasks_exhausted_attempts counts it;
 *   - the worker's testing option --test-slow starts commands late.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Submit t and wait for it (up to timeout_ms). */
static struct work_queue_task *run(struct work_queue *q, struct work_queue_task *t, int timeout_ms)
{
	if (work_queue_submit(q, t) <= 0) {
		H_CHECK(0, "submit accepts the task");
		work_queue_task_delete(t);
		return NULL;
	}
	return h_next_task(q, timeout_ms);
}

static void describe(const char *what, struct work_queue_task *r)
{
	const char *out = r ? work_queue_task_get_output(r) : NULL;
	if (!r) {
		h_note("%s: did not come back", what);
		return;
	}
	h_note("%s: result %d (%s), exit %d, tries %lld, output \"%.200s\"", what, work_queue_task_get_result(r),
	       work_queue_result_str(work_queue_task_get_result(r)), work_queue_task_get_return_status(r),
	       (long long)work_queue_task_get_try_count(r), out ? out : "(null)");
}

/* Run t and check its result; returns how long it took (ms). */
static uint64_t expect(struct work_queue *q, struct work_queue_task *t, const char *what, int result)
{
	uint64_t t0 = h_mono_ms();
	struct work_queue_task *r = run(q, t, 60000);
	uint64_t ms = h_mono_ms() - t0;
	describe(what, r);
	H_CHECK(r && (int)work_queue_task_get_result(r) == result, "%s: result %d", what, result);
	if (r)
		work_queue_task_delete(r);
	return ms;
}

static int dispatched_n(const struct work_queue_stats *s, void *arg)
{
	return s->tasks_dispatched >= *(int *)arg && s->tasks_running + s->tasks_on_workers >= 1;
}

static void test_memory_and_after(struct work_queue *q, const char *host)
{
	const char *out = h_path("mem-out.txt");
	struct work_queue_task *t =
		work_queue_task_create("echo partial > out.txt; (head -c 300000000 /dev/zero; sleep 8) | tail > /dev/null");
	work_queue_task_specify_memory(t, 50);
	work_queue_task_specify_file(t, out, "out.txt", WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE);
	uint64_t t0 = h_mono_ms();
	struct work_queue_task *r = run(q, t, 60000);
	uint64_t ms = h_mono_ms() - t0;
	describe("memory 50 MB, holds 300 MB", r);
	H_CHECK(r && work_queue_task_get_result(r) == WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
		"a task over its memory gets RESOURCE_EXHAUSTION (16)");
	H_CHECK(ms < 7000, "it is killed before its command would end (%llu ms)", (unsigned long long)ms);
	char *data = h_read_file(out, NULL);
	H_CHECK(data && strcmp(data, "partial\n") == 0, "its output file still comes back");
	free(data);
	if (r)
		work_queue_task_delete(r);

	r = run(q, work_queue_task_create("echo ok"), 30000);
	const char *o = r ? work_queue_task_get_output(r) : NULL;
	H_CHECK(r && work_queue_task_get_result(r) == 0 && o && strcmp(o, "ok\n") == 0, "a normal task succeeds afterwards");
	const char *h = r ? work_queue_task_get_host(r) : NULL;
	H_CHECK(h && strcmp(h, host) == 0, "on the same worker, which lived on (%s)", h ? h : "?");
	if (r)
		work_queue_task_delete(r);
}

static void test_disk_and_time(struct work_queue *q)
{
	struct work_queue_task *t = work_queue_task_create("head -c 100000000 /dev/zero > big; sleep 8");
	work_queue_task_specify_disk(t, 10);
	uint64_t ms = expect(q, t, "disk 10 MB, writes 100 MB", WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION);
	H_CHECK(ms < 7000, "killed before its command would end (%llu ms)", (unsigned long long)ms);

	/* a task within its declared limits is left alone */
	t = work_queue_task_create("head -c 1000000 /dev/zero > small; (head -c 5000000 /dev/zero; sleep 1) | tail > /dev/null");
	work_queue_task_specify_disk(t, 10);
	work_queue_task_specify_memory(t, 200);
	expect(q, t, "within its limits", WORK_QUEUE_RESULT_SUCCESS);

	t = work_queue_task_create("sleep 20");
	work_queue_task_specify_running_time_max(t, 1);
	ms = expect(q, t, "running time max 1 s", WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME);
	H_CHECK(ms < 10000, "stopped after about 1 s (%llu ms)", (unsigned long long)ms);

	t = work_queue_task_create("echo never");
	work_queue_task_specify_end_time(t, (int64_t)h_now_us() - 1000000);
	expect(q, t, "end time in the past", WORK_QUEUE_RESULT_TASK_TIMEOUT);

	t = work_queue_task_create("sleep 20");
	work_queue_task_specify_end_time(t, (int64_t)h_now_us() + 1500000);
	ms = expect(q, t, "end time 1.5 s ahead", WORK_QUEUE_RESULT_TASK_TIMEOUT);
	H_CHECK(ms < 10000, "stopped at its end time (%llu ms)", (unsigned long long)ms);

	t = work_queue_task_create("echo failing; exit 3");
	work_queue_task_specify_max_retries(t, 5);
	struct work_queue_task *r = run(q, t, 30000);
	describe("exit 3", r);
	H_CHECK(r && work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS && work_queue_task_get_return_status(r) == 3,
		"a failing command is a result: (0, exit 3)");
	H_CHECK(r && work_queue_task_get_try_count(r) == 1, "and is not retried (try count 1)");
	if (r)
		work_queue_task_delete(r);
}

/*
 * max_retries 1 = one retry after a worker failure: the task runs on worker
 * B, B is SIGKILLed, it runs again on C, C is SIGKILLed: result 48.
 */
static void test_max_retries(struct work_queue *q, int port)
{
	struct work_queue_stats s0;
	work_queue_get_stats(q, &s0);
	struct h_worker *b = h_worker_start(port, "--cores 1 --memory 500 --disk 500");
	struct work_queue_task *t = work_queue_task_create("sleep 30");
	work_queue_task_specify_max_retries(t, 1);
	int id = work_queue_submit(q, t);
	int want = s0.tasks_dispatched + 1;
	H_CHECK(h_wait_stats(q, dispatched_n, &want, 30000), "the task runs on worker B");
	h_sleep_ms(300);
	h_worker_signal(b, SIGKILL);
	h_worker_reap(b, 5000);
	struct work_queue_task *r = NULL;
	if (h_pump(q, 1500))
		r = h_next_task(q, 0);
	H_CHECK(r == NULL, "after the first kill the task is not returned (one retry left)");
	if (r) {
		describe("after one kill", r);
		work_queue_task_delete(r);
		return;
	}
	struct h_worker *c = h_worker_start(port, "--cores 1 --memory 500 --disk 500");
	want = s0.tasks_dispatched + 2;
	H_CHECK(h_wait_stats(q, dispatched_n, &want, 30000), "it runs again on replacement worker C");
	h_sleep_ms(300);
	h_worker_signal(c, SIGKILL);
	h_worker_reap(c, 5000);
	r = h_next_task(q, 20000);
	describe("after two kills", r);
	H_CHECK(r && work_queue_task_get_taskid(r) == id && work_queue_task_get_result(r) == WORK_QUEUE_RESULT_MAX_RETRIES,
		"after the second kill it comes back with MAX_RETRIES (48)");
	H_CHECK(r && work_queue_task_get_try_count(r) == 2, "after two tries");
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	H_CHECK(s.tasks_exhausted_attempts == s0.tasks_exhausted_attempts + 1, "stats.tasks_exhausted_attempts counts it (%d)",
		s.tasks_exhausted_attempts);
	if (r)
		work_queue_task_delete(r);
}

/* --test-slow 1.5: the command starts about 1.5 s after it reached the worker. */
static void test_slow_option(struct work_queue *q, int port)
{
	struct h_worker *w = h_worker_start(port, "--cores 1 --memory 500 --disk 500 --test-slow 1.5");
	H_CHECK(h_wait_workers(q, 1, 30000), "a --test-slow worker connects");
	struct work_queue_task *r = run(q, work_queue_task_create("echo slow"), 30000);
	describe("on the slow worker", r);
	if (H_CHECK(r && work_queue_task_get_result(r) == 0, "its task succeeds")) {
		timestamp_t d = work_queue_task_get_time(r, "dispatch"), st = work_queue_task_get_time(r, "start");
		H_CHECK(d && st && st >= d + 1400000 && st < d + 5000000, "its command starts ~1.5 s after dispatch (%lld us)",
			(long long)(st - d));
	}
	if (r)
		work_queue_task_delete(r);
	h_worker_stop(w);
}

int main(void)
{
	h_init("e2e_limits", 200);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	int port = work_queue_port(q);
	struct h_worker *a = h_worker_start(port, "--cores 2 --memory 2000 --disk 2000");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "worker A connects")) {
		work_queue_delete(q);
		return h_finish();
	}
	char host[128];
	H_CHECK(h_probe_host(q, host, sizeof host, 30000), "a probe task tells the worker's address");

	test_memory_and_after(q, host);
	test_disk_and_time(q);
	h_worker_stop(a);
	H_CHECK(h_wait_workers(q, 0, 10000), "worker A leaves");
	test_max_retries(q, port);
	test_slow_option(q, port);

	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
