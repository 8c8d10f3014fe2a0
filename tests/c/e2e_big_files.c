/*
 * e2e_big_files.c - a 100 MiB input of random bytes goes to a real worker,
 * the task copies it (`cp in out`), the 100 MiB output comes back byte for
 * byte identical; the master never holds the whole file in memory (its
 * peak RSS grows by well under 100 MiB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "harness.h"

#define SIZE (100ull << 20)

/* Peak resident set of this process, KiB. */
static long max_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(void)
{
	h_init("e2e_big_files", 120);
	const char *in = h_path("in.dat"), *out = h_path("out.dat");
	if (!H_CHECK(h_write_random(in, SIZE, 42) == 0, "generate a 100 MiB random input"))
		return h_finish();

	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	int port = work_queue_port(q);
	h_worker_start(port, "--cores 1 --memory 1000 --disk 2000");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "a worker connects")) {
		work_queue_delete(q);
		return h_finish();
	}
	long rss0 = max_rss_kb();

	struct work_queue_task *t = work_queue_task_create("cp in out");
	H_CHECK(work_queue_task_specify_file(t, in, "in", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE) == 1, "specify the input");
	H_CHECK(work_queue_task_specify_file(t, out, "out", WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE) == 1, "specify the output");
	int id = work_queue_submit(q, t);
	H_CHECK(id > 0, "submit returns an id (%d)", id);
	uint64_t t0 = h_mono_ms();
	struct work_queue_task *r = h_next_task(q, 100000);
	uint64_t ms = h_mono_ms() - t0;
	if (H_CHECK(r != NULL, "the task completes (%.1f s)", ms / 1000.0)) {
		H_CHECK(r == t && work_queue_task_get_taskid(r) == id, "it is the task submitted");
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS, "result SUCCESS (got %d %s)", work_queue_task_get_result(r), work_queue_result_str(work_queue_task_get_result(r)));
		H_CHECK(work_queue_task_get_return_status(r) == 0, "exit status 0 (got %d)", work_queue_task_get_return_status(r));
		H_CHECK(h_file_size(out) == (int64_t)SIZE, "the output has 100 MiB (size %lld)", (long long)h_file_size(out));
		H_CHECK(h_files_equal(in, out), "the output is byte for byte the input");
		H_CHECK(work_queue_task_get_bytes_sent(r) >= (int64_t)SIZE, "task bytes_sent >= 100 MiB (%lld)", (long long)work_queue_task_get_bytes_sent(r));
		H_CHECK(work_queue_task_get_bytes_received(r) >= (int64_t)SIZE, "task bytes_received >= 100 MiB (%lld)", (long long)work_queue_task_get_bytes_received(r));
		h_note("round trip of 2 x 100 MiB: %.2f s (%.0f MB/s)", ms / 1000.0, ms ? 2.0 * SIZE / 1e3 / ms : 0.0);
		work_queue_task_delete(r);
	}
	long grow = max_rss_kb() - rss0;
	H_CHECK(grow < 64 * 1024, "the master's peak RSS grew by %ld KiB (< 64 MiB: files are streamed)", grow);
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	H_CHECK(s.bytes_sent >= (int64_t)SIZE && s.bytes_received >= (int64_t)SIZE,
		"stats count the bytes (sent %lld, received %lld)", (long long)s.bytes_sent, (long long)s.bytes_received);
	work_queue_delete(q);
	return h_finish();
}
