/*
 * e2e_fault_cut.c - the master survives an abrupt disconnect at every point
 * of the protocol. For each stage a fake worker (a forked child speaking
 * the protocol with csrc/proto.h over a blocking socket) connects, goes as
 * far as the stage says and closes the connection:
 *   part of the preamble, mid-HELLO, right after HELLO, after WELCOME,
 *   after part of a 20 MiB PUT, after the TASK, mid-OUTPUT stream, after
 *   OUTPUT before RESULT, mid-RESULT output stream.
 * After each cut the master carries on: the task is waiting again, no
 * output (temporary or final) is in the output directory, and a real
 * worker then runs the task, which completes exactly once.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "net.h"
#include "proto.h"

enum stage {
	S_PREAMBLE, S_MID_HELLO, S_AFTER_HELLO, S_AFTER_WELCOME, S_MID_PUT,
	S_AFTER_TASK, S_MID_OUTPUT, S_AFTER_OUTPUT, S_MID_RESULT, N_STAGES
};
static const char *stage_name[N_STAGES] = {
	"part of the preamble", "mid-HELLO", "right after HELLO", "after WELCOME", "mid-PUT (1 MiB of 20 MiB)",
	"after the TASK", "mid-OUTPUT stream", "after OUTPUT, before RESULT", "mid-RESULT output stream",
};

#define INPUT_SIZE (20u << 20)

/* ---- the fake worker (runs in a child; exits 0 when it reached its cut) ---- */

static int fk;   /* its socket */

static int tx(const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t k = send(fk, c, n, MSG_NOSIGNAL);
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int rx(void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t k = recv(fk, c, n, 0);
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Discard n bytes of a stream. */
static int rx_skip(uint64_t n)
{
	char b[65536];
	while (n) {
		size_t k = n < sizeof b ? (size_t)n : sizeof b;
		if (rx(b, k) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

/* One frame; payload malloc'd. */
static int rx_frame(uint8_t *type, char **payload, size_t *plen)
{
	unsigned char h[5];
	if (rx(h, 5) < 0)
		return -1;
	uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	if (len < 1 || len > WQI_FRAME_MAX)
		return -1;
	*type = h[4];
	*plen = len - 1;
	*payload = malloc(len);
	return rx(*payload, *plen);
}

/*
 * Read frames until the TASK (its id in *taskid), answering KEEPALIVE and
 * skipping PUT streams; in S_MID_PUT, return 1 after 1 MiB of the big file.
 */
static int rx_until_task(enum stage st, uint64_t *taskid)
{
	for (;;) {
		uint8_t type;
		char *p = NULL;
		size_t n;
		if (rx_frame(&type, &p, &n) < 0) {
			free(p);
			return -1;
		}
		int rc = 0;
		if (type == WQI_MSG_PUT) {
			struct wqi_msg_put m;
			rc = wqi_proto_decode_put(p, n, &m) < 0 ? -1 : 0;
			if (rc == 0 && m.kind == WQI_KIND_FILE) {
				if (st == S_MID_PUT && m.size >= INPUT_SIZE) {
					rc = rx_skip(1u << 20) < 0 ? -1 : 1;
				} else {
					rc = rx_skip(m.size);
				}
			}
		} else if (type == WQI_MSG_TASK) {
			struct wqi_msg_task m;
			rc = wqi_proto_decode_task(p, n, &m) < 0 ? -1 : 2;
			if (rc == 2) {
				*taskid = m.taskid;
				wqi_msg_task_free(&m);
			}
		} else if (type == WQI_MSG_KEEPALIVE) {
			struct wqi_buf b = WQI_BUF_INIT;
			wqi_proto_encode_empty(&b, WQI_MSG_ALIVE);
			rc = tx(wqi_buf_head(&b), wqi_buf_used(&b));
			wqi_buf_free(&b);
		}
		free(p);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return 1;
		if (rc == 2)
			return 0;
	}
}

static int fake_worker(int port, enum stage st)
{
	fk = wqi_net_connect("127.0.0.1", port, 5000);
	if (fk < 0 || wqi_net_set_nonblocking(fk, 0) < 0)
		return 10;
	struct timeval tv = { 20, 0 };
	setsockopt(fk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct wqi_buf b = WQI_BUF_INIT;
	if (st == S_PREAMBLE)
		return tx("WQ", 2) < 0 ? 11 : 0;
	struct wqi_msg_hello h = { WQI_PROTO_VERSION, wqi_str_c("fake"), wqi_str_c("fakehost"), wqi_str_c("linux"),
				   wqi_str_c("x86_64"), wqi_str_c("00000000000fa4e0"), 1, 1000, 1000, 0,
				   wqi_str_c(""), wqi_str_c("") };
	wqi_proto_put_preamble(&b);
	wqi_proto_encode_hello(&b, &h);
	size_t n = wqi_buf_used(&b);
	if (tx(wqi_buf_head(&b), st == S_MID_HELLO ? n - 10 : n) < 0)
		return 12;
	if (st == S_MID_HELLO || st == S_AFTER_HELLO)
		return 0;
	uint8_t type;
	char *p = NULL;
	size_t plen;
	if (rx_frame(&type, &p, &plen) < 0 || type != WQI_MSG_WELCOME)
		return 13;
	free(p);
	if (st == S_AFTER_WELCOME)
		return 0;
	uint64_t id = 0;
	int rc = rx_until_task(st, &id);
	if (rc < 0)
		return 14;
	if (st == S_MID_PUT)
		return rc == 1 ? 0 : 15;
	if (st == S_AFTER_TASK)
		return 0;
	/* a plausible report: the output file, then the RESULT with 100 bytes of output */
	static const char data[2000] = { 'f', 'a', 'k', 'e' };
	wqi_buf_clear(&b);
	struct wqi_msg_output o = { id, 0, wqi_str_c(""), WQI_KIND_FILE, 0644, sizeof data };
	wqi_proto_encode_output(&b, &o);
	wqi_buf_append(&b, data, st == S_MID_OUTPUT ? sizeof data / 2 : sizeof data);
	if (st == S_MID_RESULT) {
		struct wqi_msg_result r = { id, 0, 0, 1, 2, 100, 0 };
		wqi_proto_encode_result(&b, &r);
		wqi_buf_append(&b, data, 50);
	}
	if (tx(wqi_buf_head(&b), wqi_buf_used(&b)) < 0)
		return 16;
	wqi_buf_free(&b);
	return 0;
}

/* ---- the master's side ---- */

/* Entries of dir (not . and ..), and how many are not in the allowed count. */
static int count_entries(const char *dir, int *tmp)
{
	int n = 0;
	*tmp = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (strstr(e->d_name, "wqtmp"))
			(*tmp)++;
	}
	closedir(d);
	return n;
}

static int back_to_waiting(const struct work_queue_stats *s, void *arg)
{
	return s->workers_connected == 0 && s->workers_init == 0 && s->tasks_waiting == 1;
}

/* Fork the fake worker for a stage; pump the master until it exits. Its exit code. */
static int run_fake(struct work_queue *q, int port, enum stage st)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(40);
		_exit(fake_worker(port, st));
	}
	int status = -1;
	uint64_t end = h_mono_ms() + 40000;
	while (h_mono_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
		h_pump(q, 20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 101;
}

int main(void)
{
	h_init("e2e_fault_cut", 120);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	int port = work_queue_port(q);
	const char *in = h_path("input.dat");
	const char *outdir = h_mkdir("out");
	h_write_random(in, INPUT_SIZE, 7);
	int done = 0, ids[N_STAGES];

	for (int st = 0; st < N_STAGES; st++) {
		h_note("--- cut %s", stage_name[st]);
		char cmd[128], out[4096];
		snprintf(cmd, sizeof cmd, "wc -c < in.dat > out.txt; echo done-%d", st);
		snprintf(out, sizeof out, "%s/out-%d.txt", outdir, st);
		struct work_queue_task *t = work_queue_task_create(cmd);
		work_queue_task_specify_cores(t, 1);
		work_queue_task_specify_file(t, in, "in.dat", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE);
		work_queue_task_specify_file(t, out, "out.txt", WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE);
		ids[st] = work_queue_submit(q, t);

		int rc = run_fake(q, port, (enum stage)st);
		H_CHECK(rc == 0, "%s: the fake worker got to its cut (exit %d)", stage_name[st], rc);
		H_CHECK(h_wait_stats(q, back_to_waiting, NULL, 20000), "%s: the master drops it, the task waits again",
			stage_name[st]);
		int tmp, n = count_entries(outdir, &tmp);
		H_CHECK(n == done && tmp == 0, "%s: no output left in the output directory (%d entries, %d temporary)",
			stage_name[st], n - done, tmp);

		struct h_worker *w = h_worker_start(port, "--cores 1 --memory 1000 --disk 1000");
		struct work_queue_task *r = h_next_task(q, 30000);
		char want[32];
		snprintf(want, sizeof want, "done-%d\n", st);
		const char *o = r ? work_queue_task_get_output(r) : NULL;
		H_CHECK(r && work_queue_task_get_taskid(r) == ids[st] && work_queue_task_get_result(r) == 0 && o &&
				strcmp(o, want) == 0,
			"%s: the task completes on a real worker", stage_name[st]);
		char *data = h_read_file(out, NULL);
		if (data)
			data[strcspn(data, "\n")] = 0;
		H_CHECK(data && atoi(data) == (int)INPUT_SIZE, "%s: with its output file (%s)", stage_name[st],
			data ? data : "missing");
		free(data);
		if (r) {
			done++;
			work_queue_task_delete(r);
		}
		n = count_entries(outdir, &tmp);
		H_CHECK(n == done && tmp == 0, "%s: only the finished outputs in the output directory", stage_name[st]);
		h_worker_stop(w);
		h_wait_workers(q, 0, 10000);
	}
	h_pump(q, 1000);
	struct work_queue_task *extra = h_next_task(q, 0);
	H_CHECK(extra == NULL && done == N_STAGES, "each task completed exactly once (%d of %d, extra: %s)", done, N_STAGES,
		extra ? "yes" : "no");
	if (extra)
		work_queue_task_delete(extra);
	H_CHECK(work_queue_empty(q), "the queue is empty");
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
