/*
 * swarm.c - many simulated workers in one process, for the master-cost
 * benchmark (bench/master_cost.c).
 *
 *   swarm HOST PORT N [CORES]
 *
 * Opens N connections to the master, each doing the real handshake (the
 * preamble and HELLO of csrc/proto.h, CORES cores each, default 1), then
 * answers every TASK at once with RESULT (result 0, exit 0, no output) and
 * every KEEPALIVE with ALIVE, and discards the bytes of every PUT. It runs
 * nothing, so the master's cost per task is what is left to measure.
 * One epoll loop (csrc/loop.h) over nonblocking links (csrc/link.h).
 *
 * Runs until every connection has closed or SIGTERM/SIGINT; then prints
 * "swarm_welcomed N" and "swarm_tasks N" on stdout. Exit status 1 when a
 * connection could not be made, a REJECT arrived or the master sent a
 * malformed frame.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work_queue.h"
#include "link.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "bench_common.h"

/* One simulated worker. */
struct conn {
	struct wqi_link *link;
	uint64_t discard;     /* bytes of a PUT stream still to skip */
	int want_write;       /* registered for writability */
	int welcomed;         /* WELCOME received */
	int open;             /* still connected */
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = 1; }

static uint64_t n_tasks, n_welcomed;
static int failed;

/* Little-endian u64 at p (the taskid at the head of a TASK payload). */
static uint64_t get_u64(const char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | (uint8_t)p[i];
	return v;
}

/* Act on one frame; 0, or -1 to close this connection. */
static int on_frame(struct conn *c, uint8_t type, const char *p, size_t n)
{
	struct wqi_buf *out = wqi_link_out(c->link);
	switch (type) {
	case WQI_MSG_WELCOME:
		c->welcomed = 1;
		n_welcomed++;
		return 0;
	case WQI_MSG_TASK: {
		if (n < 8)
			return -1;
		struct wqi_msg_result r = { .taskid = get_u64(p) };
		n_tasks++;
		return wqi_proto_encode_result(out, &r) < 0 ? -1 : 0;
	}
	case WQI_MSG_KEEPALIVE:
		return wqi_proto_encode_empty(out, WQI_MSG_ALIVE) < 0 ? -1 : 0;
	case WQI_MSG_PUT: {
		struct wqi_msg_put m;
		if (wqi_proto_decode_put(p, n, &m) < 0)
			return -1;
		if (m.kind == WQI_KIND_FILE)
			c->discard = m.size;
		return 0;
	}
	case WQI_MSG_PUT_END: case WQI_MSG_UNLINK: case WQI_MSG_KILL:
		return 0;
	case WQI_MSG_REJECT:
		fprintf(stderr, "swarm: rejected: %.*s\n", (int)(n > 4 ? n - 4 : 0), p + 4);
		failed = 1;
		return -1;
	default:   /* EXIT, or anything unknown */
		return -1;
	}
}

/* Read what arrived, answer it, flush. 0, or -1 to close the connection. */
static int service(struct conn *c)
{
	int64_t r = wqi_link_fill(c->link);
	if (r < 0)
		return -1;
	for (;;) {
		if (c->discard) {
			int64_t m = wqi_link_recv_to_fd(c->link, -1, c->discard);
			if (m < 0)
				return -1;
			c->discard -= (uint64_t)m;
			if (c->discard)
				break;
		}
		uint8_t type;
		const char *p;
		size_t plen, flen;
		struct wqi_buf *in = wqi_link_in(c->link);
		int f = wqi_proto_frame(in, &type, &p, &plen, &flen);
		if (f < 0) {
			fprintf(stderr, "swarm: bad frame from the master\n");
			failed = 1;
			return -1;
		}
		if (f == 0)
			break;
		int a = on_frame(c, type, p, plen);
		wqi_buf_consume(in, flen);
		if (a < 0)
			return -1;
	}
	return wqi_link_flush(c->link) < 0 ? -1 : 0;
}

/* Connect and queue preamble + HELLO; 0 or -1. */
static int open_conn(struct conn *c, const char *host, int port, int i, int cores)
{
	int fd = wqi_net_connect(host, port, 30000);
	if (fd < 0)
		return -1;
	c->link = wqi_link_create(fd);
	if (!c->link)
		return -1;
	char id[32];
	snprintf(id, sizeof id, "swarm-%d-%d", (int)getpid(), i);
	struct wqi_msg_hello h = {
		.version = WQI_PROTO_VERSION, .worker_version = wqi_str_c("swarm"), .hostname = wqi_str_c("swarm"),
		.os = wqi_str_c("linux"), .arch = wqi_str_c("x86_64"), .worker_id = wqi_str_c(id),
		.cores = cores, .memory_mb = 1000, .disk_mb = 1000, .gpus = 0,
		.project = wqi_str_c(""), .auth = wqi_str_c(""),
	};
	struct wqi_buf *out = wqi_link_out(c->link);
	if (wqi_proto_put_preamble(out) < 0 || wqi_proto_encode_hello(out, &h) < 0)
		return -1;
	c->open = 1;
	return wqi_link_flush(c->link) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || atoi(argv[3]) <= 0) {
		fprintf(stderr, "usage: swarm HOST PORT N [CORES]\n");
		return 2;
	}
	const char *host = argv[1];
	int port = atoi(argv[2]), n = atoi(argv[3]), cores = argc > 4 ? atoi(argv[4]) : 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (bench_raise_nofile(n + 64) < n + 16) {
		fprintf(stderr, "swarm: cannot raise the descriptor limit to %d\n", n + 64);
		return 1;
	}
	struct conn *conns = calloc((size_t)n, sizeof(*conns));
	struct wqi_loop *loop = wqi_loop_create();
	if (!conns || !loop)
		return 1;
	for (int i = 0; i < n; i++) {
		if (open_conn(&conns[i], host, port, i, cores) < 0 ||
		    wqi_loop_add(loop, wqi_link_fd(conns[i].link), WQI_EV_READ, &conns[i]) < 0) {
			fprintf(stderr, "swarm: connection %d failed: %s\n", i, strerror(errno));
			return 1;
		}
	}
	int open = n;
	struct wqi_event ev[1024];
	while (!stop && open > 0) {
		int k = wqi_loop_wait(loop, ev, 1024, 500);
		for (int i = 0; i < k; i++) {
			struct conn *c = ev[i].ptr;
			if (!c->open)
				continue;
			int rc = (ev[i].events & (WQI_EV_READ | WQI_EV_ERROR)) ? service(c) : wqi_link_flush(c->link);
			if (rc < 0) {
				wqi_loop_del(loop, wqi_link_fd(c->link));
				wqi_link_delete(c->link);
				c->link = NULL;
				c->open = 0;
				open--;
				continue;
			}
			int ww = wqi_link_pending(c->link) > 0;
			if (ww != c->want_write) {
				c->want_write = ww;
				wqi_loop_mod(loop, wqi_link_fd(c->link), WQI_EV_READ | (ww ? WQI_EV_WRITE : 0), c);
			}
		}
	}
	printf("swarm_welcomed %llu\nswarm_tasks %llu\n", (unsigned long long)n_welcomed, (unsigned long long)n_tasks);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		if (conns[i].link)
			wqi_link_delete(conns[i].link);
	free(conns);
	wqi_loop_delete(loop);
	return failed;
}
