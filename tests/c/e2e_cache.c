/*
 * e2e_cache.c - a cached 10 MiB input used by 50 tasks across 2 workers
 * crosses the wire once per worker (the master's bytes_sent grows by at
 * least 10 MiB and by less than 3 x 10 MiB). When the local file changes
 * size, and separately when only its mtime changes (utimensat), the next
 * batch sends it again (bytes_sent grows by >= 10 MiB).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define MIB (1ll << 20)
#define SIZE (10 * MIB)

static const char *data_path;

static int64_t bytes_sent(struct work_queue *q)
{
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	return s.bytes_sent;
}

/* Submit n tasks that read the cached input and print its size; wait for
 * them all. Returns how many came back with SUCCESS and the right output;
 * *n_hosts = distinct workers used. */
static int run_batch(struct work_queue *q, int n, int64_t want_size, int *n_hosts)
{
	char want[32];
	snprintf(want, sizeof want, "%lld\n", (long long)want_size);
	int submitted = 0;
	for (int i = 0; i < n; i++) {
		struct work_queue_task *t = work_queue_task_create("wc -c < data.bin | tr -d ' '");
		work_queue_task_specify_cores(t, 1);
		work_queue_task_specify_memory(t, 10);
		work_queue_task_specify_disk(t, 100);
		if (work_queue_task_specify_file(t, data_path, "data.bin", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE) != 1 ||
		    work_queue_submit(q, t) <= 0) {
			work_queue_task_delete(t);
			continue;
		}
		submitted++;
	}
	int good = 0, got = 0;
	char hosts[4][128];
	*n_hosts = 0;
	uint64_t start = h_mono_ms();
	while (got < submitted && h_mono_ms() - start < 30000) {
		struct work_queue_task *t = h_next_task(q, 1000);
		if (!t)
			continue;
		got++;
		const char *out = work_queue_task_get_output(t);
		if (work_queue_task_get_result(t) == WORK_QUEUE_RESULT_SUCCESS && out && strcmp(out, want) == 0)
			good++;
		else if (got - good <= 3)
			h_note("task %d: result %d, exit %d, output \"%s\"", work_queue_task_get_taskid(t), work_queue_task_get_result(t),
			       work_queue_task_get_return_status(t), out ? out : "(null)");
		const char *host = work_queue_task_get_host(t);
		int k;
		for (k = 0; host && k < *n_hosts; k++)
			if (strcmp(hosts[k], host) == 0)
				break;
		if (host && k == *n_hosts && k < 4)
			snprintf(hosts[(*n_hosts)++], sizeof hosts[0], "%s", host);
		work_queue_task_delete(t);
	}
	return good;
}

int main(void)
{
	h_init("e2e_cache", 120);
	data_path = h_path("data.bin");
	if (!H_CHECK(h_write_random(data_path, SIZE, 7) == 0, "generate a 10 MiB input"))
		return h_finish();
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	int port = work_queue_port(q);
	h_worker_start(port, "--cores 2 --memory 1000 --disk 1000");
	h_worker_start(port, "--cores 2 --memory 1000 --disk 1000");
	if (!H_CHECK(h_wait_workers(q, 2, 30000), "2 workers connect")) {
		work_queue_delete(q);
		return h_finish();
	}

	int hosts = 0;
	int64_t b0 = bytes_sent(q);
	int good = run_batch(q, 50, SIZE, &hosts);
	int64_t d = bytes_sent(q) - b0;
	H_CHECK(good == 50, "50 tasks read the cached input (%d good, %d workers used)", good, hosts);
	H_CHECK(d >= SIZE, "bytes_sent grew by >= 10 MiB (%lld)", (long long)d);
	H_CHECK(d < 3 * SIZE, "bytes_sent grew by < 3 x 10 MiB: sent once per worker, not per task (%lld = %.2f MiB)", (long long)d, (double)d / MIB);

	/* the same file again, unchanged: nothing big crosses (if both workers
	 * already hold it) */
	int hosts1 = hosts;
	b0 = bytes_sent(q);
	good = run_batch(q, 10, SIZE, &hosts);
	d = bytes_sent(q) - b0;
	H_CHECK(good == 10, "10 more tasks on the unchanged file (%d good)", good);
	if (hosts1 == 2)
		H_CHECK(d < SIZE, "an unchanged file is not sent again (bytes_sent grew by %lld)", (long long)d);
	else
		h_note("the first batch used %d worker(s): skipping the unchanged-file check", hosts1);

	/* change the size: a new identity, sent again */
	struct stat st0;
	stat(data_path, &st0);
	int fd = open(data_path, O_WRONLY | O_APPEND);
	H_CHECK(fd >= 0 && write(fd, "x", 1) == 1, "append one byte to the input");
	if (fd >= 0)
		close(fd);
	struct timespec ts[2] = { st0.st_atim, st0.st_mtim }; /* same mtime as before: only the size differs */
	utimensat(AT_FDCWD, data_path, ts, 0);
	b0 = bytes_sent(q);
	good = run_batch(q, 10, SIZE + 1, &hosts);
	d = bytes_sent(q) - b0;
	H_CHECK(good == 10, "10 tasks see the new size %lld (%d good)", (long long)(SIZE + 1), good);
	H_CHECK(d >= SIZE, "after a size change the file is sent again (bytes_sent grew by %lld)", (long long)d);

	/* change only the mtime (same size, same bytes) */
	struct stat st1;
	stat(data_path, &st1);
	struct timespec ts2[2] = { st1.st_atim, st1.st_mtim };
	ts2[1].tv_sec += 5;
	H_CHECK(utimensat(AT_FDCWD, data_path, ts2, 0) == 0, "move the input's mtime 5 s forward (utimensat)");
	b0 = bytes_sent(q);
	good = run_batch(q, 10, SIZE + 1, &hosts);
	d = bytes_sent(q) - b0;
	H_CHECK(good == 10, "10 tasks after the mtime change (%d good)", good);
	H_CHECK(d >= SIZE, "after an mtime change the file is sent again (bytes_sent grew by %lld)", (long long)d);

	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
