/*
 * data.c - benchmark 4: a big input in, copied by the task, the output back,
 * on loopback through the master and one local wq_worker.
 *
 *   data WORKER DIR MIB
 *
 * Writes DIR/in.dat (MIB MiB of pseudo-random bytes; not timed), runs one
 * task "cp in.dat out.dat" with in.dat as an input and out.dat as an
 * output (to DIR/out.dat), and times submit -> wait. Prints wq_data_s
 * (seconds for both directions and the copy), wq_data_mb_per_s (bytes
 * moved in plus out, per second, MB = 1e6 bytes; the input is synced to
 * disk before timing) and the master's peak RSS
 * (master_data_maxrss, VmHWM). The output must equal the input byte for byte,
 * else exit 1. The files are removed at the end.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "work_queue.h"
#include "bench_common.h"

#define CHUNK (1u << 20)

/* Write mib MiB of xorshift bytes to path; 0 or -1. */
static int make_input(const char *path, long mib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	uint64_t *blk = malloc(CHUNK), x = 0x9e3779b97f4a7c15ULL;
	int rc = fd < 0 || !blk ? -1 : 0;
	for (long i = 0; rc == 0 && i < mib; i++) {
		for (size_t j = 0; j < CHUNK / 8; j++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			blk[j] = x;
		}
		if (write(fd, blk, CHUNK) != (ssize_t)CHUNK)
			rc = -1;
	}
	free(blk);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* 1 when files a and b have the same bytes, else 0. */
static int same_file(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	char *x = malloc(CHUNK), *y = malloc(CHUNK);
	int same = fa >= 0 && fb >= 0 && x && y;
	while (same) {
		ssize_t n = read(fa, x, CHUNK), m = read(fb, y, CHUNK);
		if (n != m || n < 0 || memcmp(x, y, (size_t)n) != 0)
			same = 0;
		if (n <= 0)
			break;
	}
	free(x);
	free(y);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

int main(int argc, char **argv)
{
	if (argc != 4 || atol(argv[3]) <= 0) {
		fprintf(stderr, "usage: data WORKER DIR MIB\n");
		return 2;
	}
	long mib = atol(argv[3]);
	char in[4096], out[4096];
	snprintf(in, sizeof in, "%s/in.dat", argv[2]);
	snprintf(out, sizeof out, "%s/out.dat", argv[2]);
	signal(SIGPIPE, SIG_IGN);
	if (make_input(in, mib) < 0) {
		perror("data: writing the input");
		return 1;
	}
	sync();   /* no writeback of the input during the timed part */
	struct work_queue *q = work_queue_create(0);
	if (!q) {
		perror("data: work_queue_create");
		return 1;
	}
	pid_t pid = bench_start_worker(argv[1], work_queue_port(q), 1);
	int rc = 1;
	struct work_queue_stats s;
	uint64_t end = bench_mono_us() + 30000000u;
	do {
		work_queue_wait_ms(q, NULL, 5);
		work_queue_get_stats(q, &s);
	} while (s.workers_connected < 1 && bench_mono_us() < end);
	struct work_queue_task *t = work_queue_task_create("cp in.dat out.dat");
	if (!t || !work_queue_task_specify_file(t, in, "in.dat", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE) ||
	    !work_queue_task_specify_file(t, out, "out.dat", WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE))
		goto out;
	uint64_t t0 = bench_mono_us();
	if (work_queue_submit(q, t) <= 0)
		goto out;
	t = work_queue_wait(q, 300);
	double secs = (double)(bench_mono_us() - t0) / 1e6;
	if (!t || work_queue_task_get_result(t) != WORK_QUEUE_RESULT_SUCCESS || work_queue_task_get_return_status(t) != 0) {
		fprintf(stderr, "data: the task failed or did not come back\n");
		goto out;
	}
	if (!same_file(in, out)) {
		fprintf(stderr, "data: the output differs from the input\n");
		goto out;
	}
	printf("wq_data_s %.3f\nwq_data_mb_per_s %.1f\nmaster_data_maxrss %llu\n", secs,
	       2.0 * (double)mib * 1048576.0 / secs / 1e6, (unsigned long long)bench_maxrss());
	rc = 0;
out:
	if (t)
		work_queue_task_delete(t);
	bench_stop(&pid, 1);
	work_queue_delete(q);
	unlink(in);
	unlink(out);
	return rc;
}
