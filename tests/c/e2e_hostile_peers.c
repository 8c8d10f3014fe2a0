/*
 * e2e_hostile_peers.c - while a real worker completes a stream of tasks,
 * other connections misbehave on the master's port: garbage bytes; a valid
 * preamble then a frame of absurd length; a zero-length frame; nothing at
 * all (a stall before the preamble); half a HELLO, then a stall; an HTTP
 * GET (expects "501"); a TLS-looking 0x16; a preamble with version 99
 * (expects a REJECT naming both versions). The master closes each one (the
 * stalled ones after its 15 s handshake limit), never crashes, keeps the
 * task stream flowing, and counts exactly one worker throughout. Last, a
 * peer that completes the handshake and then sends an unknown frame type
 * is counted, then dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "proto.h"

enum expect { EXPECT_CLOSE, EXPECT_HTTP_JSON, EXPECT_REJECT };

struct peer {
	const char *name;
	enum expect expect;
	int fd;
	int closed;              /* EOF or reset seen */
	uint64_t closed_ms;      /* when, since the start */
	char reply[4096];        /* what the master sent us */
	size_t n_reply;
};

static uint64_t start_ms;

/* Connect and send the first bytes (may be none); then nonblocking. */
static void peer_open(struct peer *p, int port, const void *data, size_t n)
{
	p->fd = h_connect(port);
	if (p->fd < 0) {
		H_CHECK(0, "%s: connect to the master", p->name);
		p->closed = 1;
		return;
	}
	if (n && write(p->fd, data, n) != (ssize_t)n)
		h_note("%s: short write", p->name);
	fcntl(p->fd, F_SETFL, O_NONBLOCK);
}

/* Read what the master sent; note EOF. */
static void peer_poll(struct peer *p)
{
	while (!p->closed) {
		char buf[1024];
		ssize_t r = read(p->fd, buf, sizeof buf);
		if (r > 0) {
			size_t room = sizeof p->reply - 1 - p->n_reply;
			size_t n = (size_t)r < room ? (size_t)r : room;
			memcpy(p->reply + p->n_reply, buf, n);
			p->n_reply += n;
			p->reply[p->n_reply] = 0;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			p->closed = 1;
			p->closed_ms = h_mono_ms() - start_ms;
		}
		break;
	}
}

/* A valid HELLO frame with the given resources. */
static void make_hello(struct wqi_buf *b, int64_t cores)
{
	struct wqi_msg_hello h;
	memset(&h, 0, sizeof h);
	h.version = WQI_PROTO_VERSION;
	h.worker_version = wqi_str_c("e2e-hostile");
	h.hostname = wqi_str_c("hostile");
	h.os = wqi_str_c("linux");
	h.arch = wqi_str_c("x86_64");
	h.worker_id = wqi_str_c("hostile-1");
	h.cores = cores;
	h.memory_mb = 1;
	h.disk_mb = 1;
	h.gpus = 0;
	h.project = wqi_str_c("");
	h.auth = wqi_str_c("");
	wqi_proto_encode_hello(b, &h);
}

static int submit_one(struct work_queue *q, int i)
{
	char cmd[64];
	snprintf(cmd, sizeof cmd, "echo stream-%d", i);
	struct work_queue_task *t = work_queue_task_create(cmd);
	work_queue_task_specify_cores(t, 1);
	work_queue_task_specify_memory(t, 10);
	work_queue_task_specify_disk(t, 10);
	char tag[32];
	snprintf(tag, sizeof tag, "%d", i);
	work_queue_task_specify_tag(t, tag);
	return work_queue_submit(q, t);
}

static int two_workers(const struct work_queue_stats *s, void *arg) { return s->workers_connected == 2; }
static int one_worker(const struct work_queue_stats *s, void *arg) { return s->workers_connected == 1 && s->workers_init == 0; }

int main(void)
{
	h_init("e2e_hostile_peers", 120);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	int port = work_queue_port(q);
	h_worker_start(port, "--cores 2 --memory 1000 --disk 1000");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "a real worker connects")) {
		work_queue_delete(q);
		return h_finish();
	}

	/* the task stream: 4 in flight */
	int next = 0, done = 0, bad = 0;
	for (; next < 4; next++)
		submit_one(q, next);

	struct peer peers[] = {
		{ "garbage bytes", EXPECT_CLOSE, -1, 0, 0, "", 0 },
		{ "preamble + absurd frame length", EXPECT_CLOSE, -1, 0, 0, "", 0 },
		{ "preamble + zero-length frame", EXPECT_CLOSE, -1, 0, 0, "", 0 },
		{ "silent (stalls before the preamble)", EXPECT_CLOSE, -1, 0, 0, "", 0 },
		{ "half a HELLO, then a stall", EXPECT_CLOSE, -1, 0, 0, "", 0 },
		{ "HTTP GET", EXPECT_HTTP_JSON, -1, 0, 0, "", 0 },
		{ "TLS ClientHello byte 0x16", EXPECT_CLOSE, -1, 0, 0, "", 0 },
		{ "preamble with version 99", EXPECT_REJECT, -1, 0, 0, "", 0 },
	};
	enum { NP = sizeof peers / sizeof peers[0] };
	start_ms = h_mono_ms();

	static const char garbage[] = "\x00\xff\x13garbage that is not a preamble\r\n\x7f\x80\x81\x82";
	peer_open(&peers[0], port, garbage, sizeof garbage - 1);
	static const char absurd[] = "WQ\x01\x00\xf0\xff\xff\xff\x01" "abcdefgh";
	peer_open(&peers[1], port, absurd, sizeof absurd - 1);
	static const char zero[] = "WQ\x01\x00\x00\x00\x00\x00";
	peer_open(&peers[2], port, zero, sizeof zero - 1);
	peer_open(&peers[3], port, NULL, 0);
	struct wqi_buf hb = WQI_BUF_INIT;
	wqi_proto_put_preamble(&hb);
	make_hello(&hb, 1);
	size_t half = WQI_PREAMBLE_LEN + (wqi_buf_used(&hb) - WQI_PREAMBLE_LEN) / 2;
	peer_open(&peers[4], port, wqi_buf_head(&hb), half);
	static const char get[] = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
	peer_open(&peers[5], port, get, sizeof get - 1);
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	peer_open(&peers[6], port, tls, sizeof tls - 1);
	struct wqi_buf v99 = WQI_BUF_INIT;
	wqi_buf_append(&v99, "WQ\x63\x00", 4);
	make_hello(&v99, 1);
	peer_open(&peers[7], port, wqi_buf_head(&v99), wqi_buf_used(&v99));
	wqi_buf_free(&v99);

	/* run the stream until every peer is closed (the stalled ones need
	 * the master's 15 s handshake limit) and at least 50 tasks are done */
	int max_connected = 0, open_peers = NP;
	while (h_mono_ms() - start_ms < 60000 && (open_peers > 0 || done < 50)) {
		struct work_queue_task *t = work_queue_wait_ms(q, NULL, 20);
		if (t) {
			const char *out = work_queue_task_get_output(t);
			char want[64];
			snprintf(want, sizeof want, "stream-%s\n", work_queue_task_get_tag(t) ? work_queue_task_get_tag(t) : "?");
			if (work_queue_task_get_result(t) != WORK_QUEUE_RESULT_SUCCESS || !out || strcmp(out, want) != 0)
				bad++;
			done++;
			work_queue_task_delete(t);
			submit_one(q, next++);
		}
		struct work_queue_stats s;
		work_queue_get_stats(q, &s);
		if (s.workers_connected > max_connected)
			max_connected = s.workers_connected;
		open_peers = 0;
		for (int i = 0; i < NP; i++) {
			peer_poll(&peers[i]);
			open_peers += !peers[i].closed;
		}
	}
	H_CHECK(done >= 50 && bad == 0, "the task stream flowed during the attacks (%d done, %d bad)", done, bad);
	H_CHECK(max_connected == 1, "workers_connected never counted a hostile peer (max %d)", max_connected);
	for (int i = 0; i < NP; i++) {
		struct peer *p = &peers[i];
		H_CHECK(p->closed, "%s: the master closed the connection (after %.1f s)", p->name, p->closed_ms / 1000.0);
		if (p->expect == EXPECT_HTTP_JSON) {
			int first_line = (int)strcspn(p->reply, "\r\n");
			H_CHECK(strncmp(p->reply, "HTTP/1.", 7) == 0 && strstr(p->reply, " 200") && strstr(p->reply, "application/json"),
				"%s: the reply is the master's JSON status, HTTP 200 (\"%.*s\")", p->name, first_line, p->reply);
		} else if (p->expect == EXPECT_REJECT) {
			const unsigned char *u = (const unsigned char *)p->reply;
			uint32_t len = p->n_reply >= 4 ? (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24 : 0;
			uint32_t slen = p->n_reply >= 9 ? (uint32_t)u[5] | (uint32_t)u[6] << 8 | (uint32_t)u[7] << 16 | (uint32_t)u[8] << 24 : 0;
			int framed = p->n_reply >= 9 && u[4] == WQI_MSG_REJECT && len == 1 + 4 + slen && p->n_reply >= 4 + (size_t)len;
			char reason[512] = "";
			if (framed)
				snprintf(reason, sizeof reason, "%.*s", (int)(slen < 511 ? slen : 511), p->reply + 9);
			H_CHECK(framed, "%s: the master sends one REJECT frame (%zu bytes back)", p->name, p->n_reply);
			/* both versions: "99" and a "1" that is not part of "99" */
			char *v = strstr(reason, "99");
			char rest[512];
			snprintf(rest, sizeof rest, "%s", reason);
			if (v)
				memset(rest + (v - reason), ' ', 2);
			H_CHECK(v && strchr(rest, '1'), "%s: the reason names both versions: \"%s\"", p->name, reason);
		} else {
			if (p->n_reply)
				h_note("%s: the master sent %zu bytes before closing", p->name, p->n_reply);
		}
		if (p->fd >= 0)
			close(p->fd);
	}
	for (int i = 3; i <= 4; i++)
		H_CHECK(peers[i].closed_ms < 40000, "%s: dropped by the handshake time limit (%.1f s, limit 15 s)", peers[i].name, peers[i].closed_ms / 1000.0);

	/* a peer that completes the handshake, then sends an unknown frame type */
	wqi_buf_clear(&hb);
	wqi_proto_put_preamble(&hb);
	make_hello(&hb, 1); /* 1 MB of memory and disk: no task here fits it */
	struct peer fake = { "handshake then unknown frame type 0x3f", EXPECT_CLOSE, -1, 0, 0, "", 0 };
	peer_open(&fake, port, wqi_buf_head(&hb), wqi_buf_used(&hb));
	wqi_buf_free(&hb);
	H_CHECK(h_wait_stats(q, two_workers, NULL, 20000), "a handshaken peer is counted as a worker (2)");
	peer_poll(&fake);
	H_CHECK(fake.n_reply > 4 && (unsigned char)fake.reply[4] == WQI_MSG_WELCOME, "it got WELCOME");
	static const char unknown[] = "\x05\x00\x00\x00\x3f" "abcd";
	if (fake.fd >= 0 && write(fake.fd, unknown, sizeof unknown - 1) < 0)
		h_note("write failed: %s", strerror(errno));
	H_CHECK(h_wait_stats(q, one_worker, NULL, 20000), "after the bad frame it is dropped: 1 worker, 0 in handshake");
	uint64_t t0 = h_mono_ms();
	while (!fake.closed && h_mono_ms() - t0 < 5000) {
		h_pump(q, 20);
		peer_poll(&fake);
	}
	H_CHECK(fake.closed, "the master closed that connection");
	if (fake.fd >= 0)
		close(fake.fd);

	/* the stream still flows */
	int in_flight = next - done, got = 0;
	t0 = h_mono_ms();
	while (got < in_flight && h_mono_ms() - t0 < 30000) {
		struct work_queue_task *t = h_next_task(q, 1000);
		if (!t)
			continue;
		got += work_queue_task_get_result(t) == WORK_QUEUE_RESULT_SUCCESS;
		work_queue_task_delete(t);
	}
	H_CHECK(got == in_flight, "the last %d tasks complete", in_flight);
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	H_CHECK(s.workers_connected == 1 && s.workers_init == 0, "stats: 1 worker connected, 0 in handshake (%d, %d)", s.workers_connected, s.workers_init);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
