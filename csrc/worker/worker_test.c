/*
 * worker_test.c - the worker against a fake master over real sockets.
 *
 * The worker runs in a forked child (wqi_wk_run, the same code as
 * wq_worker); the test is the master: it listens on a free port, checks the
 * preamble and HELLO, sends WELCOME, PUT and TASK frames, and checks the
 * OUTPUT and RESULT frames that come back. The master side uses blocking
 * sockets with a receive timeout, which is the global timeout of each step.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"
#include "proto.h"
#include "testing.h"
#include "util.h"
#include "work_queue.h"
#include "worker/worker.h"

#define PARENT "/tmp/wq_worker_test"

static int lfd = -1, port;      /* the fake master's listening socket */
static int mfd = -1;            /* the connection to the worker */
static pid_t worker_pid;
static char workdir[256];

/* Send all of a buffer, blocking. */
static int send_buf(struct wqi_buf *b)
{
	while (wqi_buf_used(b)) {
		ssize_t n = send(mfd, wqi_buf_head(b), wqi_buf_used(b), MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		wqi_buf_consume(b, (size_t)n);
	}
	return 0;
}

/* Receive exactly n bytes (blocking, with the socket's timeout). */
static int recv_exact(void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = recv(mfd, c, n, 0);
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One frame: type and payload (malloc'd into *payload). 0 or -1 on EOF/timeout. */
static int recv_frame(uint8_t *type, char **payload, size_t *plen)
{
	unsigned char h[5];
	if (recv_exact(h, 5) < 0)
		return -1;
	uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	if (len < 1 || len > WQI_FRAME_MAX)
		return -1;
	*type = h[4];
	*plen = len - 1;
	*payload = malloc(len);
	if (recv_exact(*payload, *plen) < 0) {
		free(*payload);
		return -1;
	}
	return 0;
}

/* Receive n raw stream bytes into a malloc'd NUL-terminated string. */
static char *recv_stream(uint64_t n)
{
	char *s = malloc(n + 1);
	if (recv_exact(s, n) < 0) {
		free(s);
		return NULL;
	}
	s[n] = 0;
	return s;
}

/* wait_until a path is gone (the worker cleans up right after sending RESULT). */
static int gone(const char *path)
{
	struct stat st;
	for (int i = 0; i < 200; i++) {
		if (stat(path, &st) < 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Start a worker in a child and accept its connection; check preamble and HELLO. */
static void start_worker_opts(int single_shot, int idle_s)
{
	lfd = wqi_net_listen("127.0.0.1", 0);
	port = wqi_net_local_port(lfd);
	wqi_net_set_nonblocking(lfd, 0);
	wqi_mkdir_p(PARENT, 0755);
	fflush(stdout); /* the child must not print the parent's buffered lines again */
	worker_pid = fork();
	if (worker_pid == 0) {
		close(lfd);
		struct wqi_wk_config cfg;
		wqi_wk_config_defaults(&cfg);
		cfg.host = "127.0.0.1";
		cfg.port = port;
		cfg.res.cores = 4;
		cfg.res.memory_mb = 1000;
		cfg.res.disk_mb = 2000;
		cfg.res.gpus = 0;
		cfg.workdir_parent = PARENT;
		cfg.idle_timeout_s = idle_s;
		cfg.single_shot = single_shot;
		exit(wqi_wk_run(&cfg)); /* exit, not _exit: LeakSanitizer checks the worker */
	}
	snprintf(workdir, sizeof workdir, "%s/worker-%d-%d", PARENT, (int)getuid(), (int)worker_pid);
	struct timeval tv = { 20, 0 };
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	char addr[64];
	mfd = wqi_net_accept(lfd, addr, sizeof addr);
	if (mfd < 0) { /* blocking accept can still say EAGAIN after the timeout */
		fprintf(stderr, "worker did not connect\n");
		exit(1);
	}
	wqi_net_set_nonblocking(mfd, 0);
	setsockopt(mfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static void start_worker(void)
{
	start_worker_opts(1, 60);
}

/* Accept the next connection of the running worker (after a reconnect). */
static int accept_again(void)
{
	char addr[64];
	mfd = wqi_net_accept(lfd, addr, sizeof addr);
	if (mfd < 0)
		return -1;
	wqi_net_set_nonblocking(mfd, 0);
	struct timeval tv = { 20, 0 };
	setsockopt(mfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return 0;
}

/* Read the preamble and HELLO, answer WELCOME (or REJECT when reject is set). */
static void handshake(const char *reject)
{
	char pre[4];
	uint8_t type;
	char *p;
	size_t n;
	CHECK(recv_exact(pre, 4) == 0);
	CHECK(recv_frame(&type, &p, &n) == 0);
	CHECK_EQ_INT(type, WQI_MSG_HELLO);
	free(p);
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_welcome w = { 1, wqi_str_c("test"), wqi_str_c(""), 120, wqi_str_c("") };
	struct wqi_msg_text r = { wqi_str_c(reject ? reject : "") };
	if (reject)
		wqi_proto_encode_text(&b, WQI_MSG_REJECT, &r);
	else
		wqi_proto_encode_welcome(&b, &w);
	CHECK(send_buf(&b) == 0);
	wqi_buf_free(&b);
}

static void test_handshake(void)
{
	start_worker();
	char pre[4];
	CHECK(recv_exact(pre, 4) == 0);
	CHECK(memcmp(pre, "WQ\x01\x00", 4) == 0);
	uint8_t type;
	char *p;
	size_t n;
	CHECK(recv_frame(&type, &p, &n) == 0);
	CHECK_EQ_INT(type, WQI_MSG_HELLO);
	struct wqi_msg_hello h;
	CHECK(wqi_proto_decode_hello(p, n, &h) == 0);
	CHECK_EQ_INT(h.version, 1);
	CHECK_EQ_INT(h.cores, 4);
	CHECK_EQ_INT(h.memory_mb, 1000);
	CHECK_EQ_INT(h.disk_mb, 2000);
	CHECK(wqi_str_eq(h.os, "linux"));
	CHECK(h.worker_id.n == 16);
	CHECK(h.arch.n > 0 && h.hostname.n > 0);
	CHECK(h.auth.n == 0 && h.project.n == 0);
	free(p);
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_welcome w = { 1, wqi_str_c("test"), wqi_str_c(""), 120, wqi_str_c("") };
	CHECK(wqi_proto_encode_welcome(&b, &w) == 0);
	CHECK(wqi_proto_encode_empty(&b, WQI_MSG_KEEPALIVE) == 0);
	CHECK(send_buf(&b) == 0);
	wqi_buf_free(&b);
	CHECK(recv_frame(&type, &p, &n) == 0);
	CHECK_EQ_INT(type, WQI_MSG_ALIVE);
	free(p);
	struct stat st;
	CHECK(stat(workdir, &st) == 0 && S_ISDIR(st.st_mode));
}

/* PUT a file object. */
static void put_file(const char *cachename, const char *content)
{
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_put m = { wqi_str_c(cachename), wqi_str_c(""), WQI_KIND_FILE, 0644, strlen(content) };
	wqi_proto_encode_put(&b, &m);
	wqi_buf_append(&b, content, strlen(content));
	struct wqi_msg_name e = { wqi_str_c(cachename) };
	wqi_proto_encode_name(&b, WQI_MSG_PUT_END, &e);
	CHECK(send_buf(&b) == 0);
	wqi_buf_free(&b);
}

/* A task description for send_task. */
struct tspec {
	uint64_t id;
	const char *cmd;
	uint64_t max_run_time_us, end_time_us, output_max;
	int n_in;
	struct wqi_task_input in[3];
	int n_out;
	const char *out[3];
	int n_env;
	struct wqi_task_env env[2];
};

static void send_task(const struct tspec *s)
{
	struct wqi_task_output outs[3];
	for (int i = 0; i < s->n_out; i++) {
		outs[i].remote_name = wqi_str_c(s->out[i]);
		outs[i].flags = 0;
	}
	struct wqi_msg_task m = {
		s->id, wqi_str_c(s->cmd), 3, 100, 200, 0, 0, 0, s->max_run_time_us, s->end_time_us,
		s->output_max ? s->output_max : 1 << 20, (uint32_t)s->n_env, (struct wqi_task_env *)s->env,
		(uint32_t)s->n_in, (struct wqi_task_input *)s->in, (uint32_t)s->n_out, outs,
	};
	struct wqi_buf b = WQI_BUF_INIT;
	CHECK(wqi_proto_encode_task(&b, &m) == 0);
	CHECK(send_buf(&b) == 0);
	wqi_buf_free(&b);
}

/* What came back for one task. */
struct got {
	int n_outputs;
	uint8_t kind[8];
	char *path[8];
	char *data[8];
	struct wqi_msg_result r;
	char *output;
};

static void got_free(struct got *g)
{
	for (int i = 0; i < g->n_outputs; i++) {
		free(g->path[i]);
		free(g->data[i]);
	}
	free(g->output);
}

/* Receive OUTPUT frames (with their bytes) until the RESULT of taskid. */
static int recv_task(uint64_t taskid, struct got *g)
{
	memset(g, 0, sizeof *g);
	for (;;) {
		uint8_t type;
		char *p;
		size_t n;
		if (recv_frame(&type, &p, &n) < 0)
			return -1;
		if (type == WQI_MSG_OUTPUT) {
			struct wqi_msg_output o;
			CHECK(wqi_proto_decode_output(p, n, &o) == 0);
			CHECK_EQ_INT(o.taskid, taskid);
			int i = g->n_outputs < 8 ? g->n_outputs++ : 7;
			g->kind[i] = o.kind;
			g->path[i] = wqi_str_dup(o.path);
			g->data[i] = o.kind == WQI_KIND_FILE ? recv_stream(o.size) : NULL;
			free(p);
			continue;
		}
		if (type != WQI_MSG_RESULT) {
			fprintf(stderr, "unexpected frame type 0x%x\n", type);
			free(p);
			return -1;
		}
		CHECK(wqi_proto_decode_result(p, n, &g->r) == 0);
		free(p);
		CHECK_EQ_INT(g->r.taskid, taskid);
		g->output = recv_stream(g->r.output_size);
		return 0;
	}
}

static struct wqi_task_input cache_in(const char *cachename, const char *remote)
{
	struct wqi_task_input in = { WQI_SRC_CACHE, wqi_str_c(cachename), wqi_str_c(remote), WORK_QUEUE_CACHE, wqi_str_c("") };
	return in;
}

static void test_put_and_cat(void)
{
	put_file("buf-0000000000000001", "hello world\n");
	struct tspec s = { .id = 1, .cmd = "cat in.txt > sub/out.txt; echo done", .n_in = 2, .n_out = 1 };
	s.in[0] = cache_in("buf-0000000000000001", "in.txt");
	s.in[1] = (struct wqi_task_input){ WQI_SRC_EMPTY_DIR, wqi_str_c(""), wqi_str_c("sub"), 0, wqi_str_c("") };
	s.out[0] = "sub/out.txt";
	send_task(&s);
	struct got g;
	CHECK(recv_task(1, &g) == 0);
	CHECK_EQ_INT(g.n_outputs, 1);
	CHECK_EQ_INT(g.kind[0], WQI_KIND_FILE);
	CHECK_EQ_STR(g.path[0], "");
	CHECK_EQ_STR(g.data[0], "hello world\n");
	CHECK_EQ_INT(g.r.result, 0);
	CHECK_EQ_INT(g.r.exit_status, 0);
	CHECK_EQ_STR(g.output, "done\n");
	CHECK(g.r.start_us > 0 && g.r.end_us >= g.r.start_us);
	got_free(&g);
	/* the cached input stays for the next task; the sandbox is gone */
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/cache/buf-0000000000000001", workdir);
	CHECK(stat(path, &st) == 0);
	snprintf(path, sizeof path, "%s/t.1", workdir);
	CHECK(gone(path));
}

static void test_bad_names(void)
{
	struct tspec s = { .id = 2, .cmd = "touch ../escaped", .n_in = 1, .n_out = 0 };
	s.in[0] = cache_in("buf-0000000000000001", "../x");
	send_task(&s);
	struct got g;
	CHECK(recv_task(2, &g) == 0);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_INPUT_MISSING);
	CHECK_EQ_INT(g.n_outputs, 0);
	got_free(&g);
	struct tspec s2 = { .id = 3, .cmd = "true", .n_in = 1, .n_out = 1 };
	s2.in[0] = cache_in("buf-0000000000000001", "/etc/abs");
	s2.out[0] = "ok";
	send_task(&s2);
	CHECK(recv_task(3, &g) == 0);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_INPUT_MISSING);
	got_free(&g);
	struct tspec s3 = { .id = 4, .cmd = "true", .n_out = 1 };
	s3.out[0] = "a/../../b";
	send_task(&s3);
	CHECK(recv_task(4, &g) == 0);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_OUTPUT_MISSING);
	got_free(&g);
	/* an input that is not in the cache */
	struct tspec s4 = { .id = 5, .cmd = "true", .n_in = 1 };
	s4.in[0] = cache_in("buf-00000000000000ff", "x");
	send_task(&s4);
	CHECK(recv_task(5, &g) == 0);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_INPUT_MISSING);
	got_free(&g);
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/escaped", workdir);
	CHECK(stat(path, &st) < 0);
}

static void test_kill(void)
{
	struct tspec s = { .id = 10, .cmd = "sleep 30" };
	send_task(&s);
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_kill k = { 10 };
	wqi_proto_encode_kill(&b, &k);
	k.taskid = 999; /* unknown: ignored */
	wqi_proto_encode_kill(&b, &k);
	CHECK(send_buf(&b) == 0);
	wqi_buf_free(&b);
	struct tspec s2 = { .id = 11, .cmd = "echo after" };
	uint64_t t0 = wqi_mono_us();
	send_task(&s2);
	struct got g;
	CHECK(recv_task(11, &g) == 0); /* nothing comes for task 10 */
	CHECK_EQ_STR(g.output, "after\n");
	CHECK(wqi_mono_us() - t0 < 10000000);
	got_free(&g);
	char path[512];
	snprintf(path, sizeof path, "%s/t.10", workdir);
	CHECK(gone(path));
}

static void test_symlink_outside(void)
{
	struct tspec s = { .id = 20, .cmd = "ln -s /etc/passwd link; ln -s inside.txt in2; echo x > inside.txt; ln -s /etc d", .n_out = 3 };
	s.out[0] = "link";
	s.out[1] = "in2";
	s.out[2] = "d/passwd";
	send_task(&s);
	struct got g;
	CHECK(recv_task(20, &g) == 0);
	CHECK_EQ_INT(g.n_outputs, 3);
	CHECK_EQ_INT(g.kind[0], WQI_KIND_SYMLINK_OUTSIDE);
	CHECK_EQ_INT(g.kind[1], WQI_KIND_FILE);
	CHECK_EQ_STR(g.data[1], "x\n");
	CHECK_EQ_INT(g.kind[2], WQI_KIND_SYMLINK_OUTSIDE);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_OUTPUT_MISSING);
	got_free(&g);
}

static void test_truncation_and_missing(void)
{
	struct tspec s = { .id = 30, .cmd = "yes | head -c 10000", .output_max = 100, .n_out = 1 };
	s.out[0] = "never-made";
	send_task(&s);
	struct got g;
	CHECK(recv_task(30, &g) == 0);
	CHECK_EQ_INT(g.n_outputs, 1);
	CHECK_EQ_INT(g.kind[0], WQI_KIND_MISSING);
	CHECK_EQ_INT(g.r.output_size, 100);
	CHECK_EQ_INT(g.r.output_truncated, 1);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_OUTPUT_MISSING | WORK_QUEUE_RESULT_STDOUT_MISSING);
	CHECK(strncmp(g.output, "y\ny\n", 4) == 0);
	got_free(&g);
	struct tspec s2 = { .id = 31, .cmd = "yes | head -c 10000", .output_max = 100 };
	send_task(&s2);
	CHECK(recv_task(31, &g) == 0);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_STDOUT_MISSING);
	got_free(&g);
}

static void test_env(void)
{
	struct tspec s = { .id = 40, .n_env = 2,
			   .cmd = "echo \"$CORES $OMP_NUM_THREADS $MEMORY $DISK $GPUS $FOO\"; "
				  "test \"$WORK_QUEUE_SANDBOX\" = \"$(pwd -P)\" && test \"$TMPDIR\" = \"$WORK_QUEUE_SANDBOX\" && echo sandbox-ok; "
				  "read x || echo stdin-empty; ls -l /proc/$$/fd | grep -c socket" };
	s.env[0] = (struct wqi_task_env){ wqi_str_c("FOO"), wqi_str_c("bar") };
	s.env[1] = (struct wqi_task_env){ wqi_str_c("CORES"), wqi_str_c("99") }; /* the allocation wins */
	send_task(&s);
	struct got g;
	CHECK(recv_task(40, &g) == 0);
	CHECK_EQ_STR(g.output, "3 3 100 200 0 bar\nsandbox-ok\nstdin-empty\n0\n");
	got_free(&g);
}

static void test_limits_and_signal(void)
{
	struct tspec s = { .id = 50, .cmd = "sleep 30", .max_run_time_us = 300000 };
	send_task(&s);
	struct tspec s2 = { .id = 51, .cmd = "sleep 30", .end_time_us = wqi_now_us() + 400000 };
	send_task(&s2);
	struct tspec s3 = { .id = 52, .cmd = "kill -TERM $$" };
	send_task(&s3);
	struct tspec s4 = { .id = 53, .cmd = "exit 7" };
	send_task(&s4);
	int seen = 0;
	for (int k = 0; k < 4; k++) {
		struct got g;
		uint8_t type;
		char *p;
		size_t n;
		CHECK(recv_frame(&type, &p, &n) == 0);
		CHECK_EQ_INT(type, WQI_MSG_RESULT);
		CHECK(wqi_proto_decode_result(p, n, &g.r) == 0);
		free(p);
		char *out = recv_stream(g.r.output_size);
		free(out);
		if (g.r.taskid == 50) {
			CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME);
			seen |= 1;
		} else if (g.r.taskid == 51) {
			CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_TASK_TIMEOUT);
			seen |= 2;
		} else if (g.r.taskid == 52) {
			CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_SIGNAL);
			CHECK_EQ_INT(g.r.exit_status, SIGTERM);
			seen |= 4;
		} else if (g.r.taskid == 53) {
			CHECK_EQ_INT(g.r.result, 0);
			CHECK_EQ_INT(g.r.exit_status, 7);
			seen |= 8;
		}
	}
	CHECK_EQ_INT(seen, 15);
}

static void test_dir_output_and_command_input(void)
{
	struct tspec s = { .id = 60, .cmd = "mkdir -p d/e && cat m.txt > d/f && echo b > d/e/g", .n_in = 1, .n_out = 1 };
	s.in[0] = (struct wqi_task_input){ WQI_SRC_COMMAND, wqi_str_c("cmd-00000000000000aa"), wqi_str_c("m.txt"),
					   WORK_QUEUE_CACHE, wqi_str_c("echo made > %%") };
	s.out[0] = "d";
	send_task(&s);
	struct got g;
	CHECK(recv_task(60, &g) == 0);
	CHECK_EQ_INT(g.r.result, 0);
	CHECK_EQ_INT(g.n_outputs, 4);
	CHECK_EQ_INT(g.kind[0], WQI_KIND_DIR);
	CHECK_EQ_STR(g.path[0], "");
	int f = -1, e = -1, eg = -1;
	for (int i = 1; i < g.n_outputs; i++) {
		if (strcmp(g.path[i], "f") == 0)
			f = i;
		if (strcmp(g.path[i], "e") == 0)
			e = i;
		if (strcmp(g.path[i], "e/g") == 0)
			eg = i;
	}
	CHECK(f > 0 && e > 0 && eg > e);
	if (f > 0)
		CHECK_EQ_STR(g.data[f], "made\n");
	if (eg > 0)
		CHECK_EQ_STR(g.data[eg], "b\n");
	if (e > 0)
		CHECK_EQ_INT(g.kind[e], WQI_KIND_DIR);
	got_free(&g);
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/cache/cmd-00000000000000aa", workdir);
	CHECK(stat(path, &st) == 0); /* cached: stays */
	/* a failing command input: result 1 */
	struct tspec s2 = { .id = 61, .cmd = "true", .n_in = 1 };
	s2.in[0] = (struct wqi_task_input){ WQI_SRC_COMMAND, wqi_str_c("tmp-61-0"), wqi_str_c("m.txt"), 0, wqi_str_c("exit 3") };
	send_task(&s2);
	CHECK(recv_task(61, &g) == 0);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_INPUT_MISSING);
	got_free(&g);
}

/* A one-shot HTTP server in a child: answers one GET with body. */
static pid_t http_server(int *port_out, const char *body)
{
	int l = wqi_net_listen("127.0.0.1", 0);
	*port_out = wqi_net_local_port(l);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		wqi_net_set_nonblocking(l, 0);
		char addr[64];
		int c = wqi_net_accept(l, addr, sizeof addr);
		if (c < 0)
			_exit(1);
		wqi_net_set_nonblocking(c, 0);
		char req[4096];
		size_t got = 0;
		while (got < sizeof req - 1 && !memmem(req, got, "\r\n\r\n", 4)) {
			ssize_t n = recv(c, req + got, sizeof req - 1 - got, 0);
			if (n <= 0)
				_exit(1);
			got += (size_t)n;
		}
		char head[256];
		int hl = snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n", strlen(body));
		if (send(c, head, (size_t)hl, 0) < 0 || send(c, body, strlen(body), 0) < 0)
			_exit(1);
		close(c);
		_exit(0);
	}
	close(l);
	return pid;
}

static void test_url_input(void)
{
	int hport;
	pid_t srv = http_server(&hport, "from http\n");
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/file.txt", hport);
	struct tspec s = { .id = 70, .cmd = "cat u.txt", .n_in = 1 };
	s.in[0] = (struct wqi_task_input){ WQI_SRC_URL, wqi_str_c("tmp-70-0"), wqi_str_c("u.txt"), 0, wqi_str_c(url) };
	send_task(&s);
	struct got g;
	CHECK(recv_task(70, &g) == 0);
	CHECK_EQ_INT(g.r.result, 0);
	CHECK_EQ_STR(g.output, "from http\n");
	got_free(&g);
	int st;
	CHECK(waitpid(srv, &st, 0) == srv && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char path[512];
	snprintf(path, sizeof path, "%s/cache/tmp-70-0", workdir);
	CHECK(gone(path)); /* uncached: removed after the task */
}

static void test_unlink_and_exit(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_name u = { wqi_str_c("buf-0000000000000001") };
	wqi_proto_encode_name(&b, WQI_MSG_UNLINK, &u);
	wqi_proto_encode_empty(&b, WQI_MSG_KEEPALIVE);
	CHECK(send_buf(&b) == 0);
	uint8_t type;
	char *p;
	size_t n;
	CHECK(recv_frame(&type, &p, &n) == 0);
	CHECK_EQ_INT(type, WQI_MSG_ALIVE);
	free(p);
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/cache/buf-0000000000000001", workdir);
	CHECK(stat(path, &st) < 0);
	struct tspec s = { .id = 80, .cmd = "sleep 30" };
	send_task(&s);
	wqi_buf_clear(&b);
	struct wqi_msg_text e = { wqi_str_c("test over") };
	wqi_proto_encode_text(&b, WQI_MSG_EXIT, &e);
	CHECK(send_buf(&b) == 0);
	wqi_buf_free(&b);
	int status;
	CHECK(waitpid(worker_pid, &status, 0) == worker_pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(stat(workdir, &st) < 0);
	close(mfd);
	close(lfd);
}

/* A garbage frame: the worker drops the connection (and, single-shot, exits). */
static void test_malformed_frame(void)
{
	start_worker();
	char pre[4];
	CHECK(recv_exact(pre, 4) == 0);
	uint8_t type;
	char *p;
	size_t n;
	CHECK(recv_frame(&type, &p, &n) == 0);
	free(p);
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_welcome w = { 1, wqi_str_c("test"), wqi_str_c(""), 120, wqi_str_c("") };
	wqi_proto_encode_welcome(&b, &w);
	struct wqi_msg_put m = { wqi_str_c("buf-big"), wqi_str_c(""), WQI_KIND_FILE, 0644, 1 << 20 };
	wqi_proto_encode_put(&b, &m);
	CHECK(send_buf(&b) == 0);
	/* half a stream, then a frame of an unknown type after it */
	char junk[1 << 16];
	memset(junk, 'z', sizeof junk);
	for (int i = 0; i < 16; i++)
		CHECK(send(mfd, junk, sizeof junk, MSG_NOSIGNAL) == (ssize_t)sizeof junk);
	wqi_buf_clear(&b);
	wqi_buf_put_u32(&b, 1);
	wqi_buf_put_u8(&b, 0x7e);
	CHECK(send_buf(&b) == 0);
	wqi_buf_free(&b);
	CHECK(recv_frame(&type, &p, &n) < 0); /* connection closed */
	int status;
	CHECK(waitpid(worker_pid, &status, 0) == worker_pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct stat st;
	CHECK(stat(workdir, &st) < 0);
	close(mfd);
	close(lfd);
}

static void test_reject(void)
{
	start_worker_opts(0, 60);
	handshake("protocol version 1 is not 2");
	int status;
	CHECK(waitpid(worker_pid, &status, 0) == worker_pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	struct stat st;
	CHECK(stat(workdir, &st) < 0);
	close(mfd);
	close(lfd);
}

/* Master goes: the worker comes back (cache cleared), then idles out with BYE. */
static void test_reconnect_and_idle(void)
{
	start_worker_opts(0, 3);
	handshake(NULL);
	put_file("buf-0000000000000009", "x");
	struct tspec s = { .id = 90, .cmd = "cat in", .n_in = 1 };
	s.in[0] = cache_in("buf-0000000000000009", "in");
	send_task(&s);
	struct got g;
	CHECK(recv_task(90, &g) == 0);
	got_free(&g);
	close(mfd);
	uint64_t t0 = wqi_mono_us();
	CHECK(accept_again() == 0);
	CHECK(wqi_mono_us() - t0 >= 900000); /* backoff: about 1 s */
	handshake(NULL);
	send_task(&s); /* the cache was cleared with the old master */
	CHECK(recv_task(90, &g) == 0);
	CHECK_EQ_INT(g.r.result, WORK_QUEUE_RESULT_INPUT_MISSING);
	got_free(&g);
	uint8_t type;
	char *p;
	size_t n;
	CHECK(recv_frame(&type, &p, &n) == 0);
	CHECK_EQ_INT(type, WQI_MSG_BYE);
	free(p);
	int status;
	CHECK(waitpid(worker_pid, &status, 0) == worker_pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(mfd);
	close(lfd);
}

/* SIGTERM: tasks (with their background children) die, the workdir goes. */
static void test_sigterm(void)
{
	start_worker();
	handshake(NULL);
	struct tspec s = { .id = 95, .cmd = "sleep 60 & echo $! > " PARENT "/bgpid; wait" };
	send_task(&s);
	char buf[32] = "";
	for (int i = 0; i < 200; i++) { /* wait_until the pid file is written */
		FILE *f = fopen(PARENT "/bgpid", "r");
		if (f) {
			int ok = fgets(buf, sizeof buf, f) != NULL;
			fclose(f);
			if (ok && strchr(buf, '\n'))
				break;
		}
		usleep(20000);
	}
	pid_t bg = atoi(buf);
	CHECK(bg > 0);
	kill(worker_pid, SIGTERM);
	int status;
	CHECK(waitpid(worker_pid, &status, 0) == worker_pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct stat st;
	CHECK(stat(workdir, &st) < 0);
	int dead = 0;
	for (int i = 0; i < 100 && !dead; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/stat", (int)bg);
		FILE *f = fopen(path, "r");
		char line[256] = "";
		if (f) {
			if (!fgets(line, sizeof line, f))
				line[0] = 0;
			fclose(f);
		}
		char *rp = strrchr(line, ')');
		dead = !f || (rp && rp[2] == 'Z');
		if (!dead)
			usleep(20000);
	}
	CHECK(dead);
	unlink(PARENT "/bgpid");
	close(mfd);
	close(lfd);
}

static const struct wqi_test tests[] = {
	TEST(test_handshake),
	TEST(test_put_and_cat),
	TEST(test_bad_names),
	TEST(test_kill),
	TEST(test_symlink_outside),
	TEST(test_truncation_and_missing),
	TEST(test_env),
	TEST(test_limits_and_signal),
	TEST(test_dir_output_and_command_input),
	TEST(test_url_input),
	TEST(test_unlink_and_exit),
	TEST(test_malformed_frame),
	TEST(test_reject),
	TEST(test_reconnect_and_idle),
	TEST(test_sigterm),
	{ 0 },
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(120); /* the global timeout */
	return wqi_test_run(tests);
}
