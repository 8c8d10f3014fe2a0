/*
 * master_io.c - the master's connections: accept, tell peers apart by their
 * first bytes, the worker handshake, reading frames, flushing, keepalives,
 * handshake timeouts and closing.
 *
 * Every connection is a struct wqi_worker (a status client or a stalled
 * peer too, until it proves to be a worker). Nothing here blocks: reads take
 * what the socket has, writes go to the link's queue and are flushed when
 * the socket takes them, with WRITE interest registered only while output
 * is pending. A closed connection is unhooked at once and freed at the end
 * of the loop iteration (wqi_io_reap), so events already fetched for it are
 * skipped safely.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debug.h"
#include "link.h"
#include "loop.h"
#include "master.h"
#include "net.h"
#include "proto.h"
#include "sched_policy.h"
#include "util.h"

#define HANDSHAKE_US (15ULL * 1000000)   /* a connection must finish its handshake in 15 s */
#define ACCEPT_BATCH 1024                /* connections accepted per wakeup, at most */
#define STATUS_US (10ULL * 1000000)      /* a status client is dropped 10 s after its first bytes */

/* Accept every pending connection; each starts in PREAMBLE state. */
int wqi_io_accept_all(struct work_queue *q)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		char addr[64];
		int fd = wqi_net_accept(q->listen_fd, addr, sizeof addr);
		if (fd == WQ_EAGAIN)
			return 0;
		if (fd < 0) {
			/* master's problem (e.g. out of descriptors): say so, try again next wakeup */
			wqi_warn("cannot accept a connection on port %d: %s", q->port, work_queue_strerror(fd));
			return fd;
		}
		struct wqi_link *l = wqi_link_create(fd);
		struct wqi_worker *w = l ? wqi_worker_new(q) : NULL;
		if (!w) {
			if (l)
				wqi_link_delete(l);
			else
				close(fd);
			wqi_warn("out of memory accepting a connection from %s", addr);
			continue;
		}
		w->link = l;
		snprintf(w->addr, sizeof w->addr, "%s", addr);
		w->accept_us = w->last_heard_us = wqi_mono_us();
		if (wqi_loop_add(q->loop, fd, WQI_EV_READ, w) < 0) {
			wqi_io_close(q, w, 1, "cannot watch the connection");
			continue;
		}
		if (q->next_timer_us > w->accept_us + HANDSHAKE_US || q->next_timer_us == 0)
			q->next_timer_us = w->accept_us + HANDSHAKE_US;
		WQI_DEBUG("connection from %s", addr);
	}
	return 0;
}

/* Close a connection. Its tasks go back to the ready queue (dispatch). */
void wqi_io_close(struct work_queue *q, struct wqi_worker *w, int is_warn, const char *reason)
{
	if (w->state == WQI_W_DEAD)
		return;
	if (w->state == WQI_W_READY) {
		wqi_log_worker(q, w, "DISCONNECTION", "%s", w->gone_reason ? w->gone_reason : "LOST");
		if (is_warn)
			wqi_warn("worker %s (%s) removed: %s", w->addr, w->hostname ? w->hostname : "?", reason);
		else
			WQI_DEBUG("worker %s (%s) removed: %s", w->addr, w->hostname ? w->hostname : "?", reason);
	} else if (is_warn) {
		wqi_warn("connection from %s closed: %s", w->addr, reason);
	} else {
		WQI_DEBUG("connection from %s closed: %s", w->addr, reason);
	}
	wqi_transfer_rx_reset(w);
	if (w->link) {
		if (q->loop)
			wqi_loop_del(q->loop, wqi_link_fd(w->link));
		if (!w->http) { /* status traffic is not worker traffic */
			q->closed_bytes_sent += wqi_link_bytes_sent(w->link);
			q->closed_bytes_received += wqi_link_bytes_received(w->link);
		}
	}
	wqi_dispatch_worker_gone(q, w); /* sets WQI_W_DEAD */
	if (wqi_list_linked(&w->n_flush))
		wqi_list_remove(&w->n_flush);
	if (wqi_list_linked(&w->n_all)) {
		wqi_list_remove(&w->n_all);
		q->n_conns--;
	}
	wqi_list_push_back(&q->dead, &w->n_dead);
}

/* Free the connections closed during this iteration. */
void wqi_io_reap(struct work_queue *q)
{
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->dead) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_dead);
		if (w->link)
			wqi_link_delete(w->link);
		w->link = NULL;
		wqi_worker_free(w);
	}
}

void wqi_io_want_flush(struct wqi_worker *w)
{
	if (w->link && !wqi_list_linked(&w->n_flush))
		wqi_list_push_back(&w->q->flush, &w->n_flush);
}

/* Register WRITE interest only while output is pending. */
static void arm_write(struct work_queue *q, struct wqi_worker *w, int on)
{
	if (w->write_armed == on)
		return;
	if (wqi_loop_mod(q->loop, wqi_link_fd(w->link), WQI_EV_READ | (on ? WQI_EV_WRITE : 0), w) == 0)
		w->write_armed = on;
}

/* Send what the socket takes; close on error, or when a last reply is out. */
static void flush_one(struct work_queue *q, struct wqi_worker *w)
{
	if (w->broken) {
		/* the master's fault (out of memory half-way through a task): the
		 * stream cannot be repaired, so the worker goes and its tasks run again */
		wqi_io_close(q, w, 1, "out of memory while queueing a task");
		return;
	}
	int rc = wqi_link_flush(w->link);
	if (rc < 0) {
		/* WQ_EFILE: a local input shrank while being sent (master side); the stream
		 * is broken either way, so the worker goes and its tasks run again */
		wqi_io_close(q, w, 1, rc == WQ_EFILE ? "a local input file changed while being sent" : work_queue_strerror(rc));
		return;
	}
	if (rc == 0 && w->state == WQI_W_CLOSING) {
		wqi_io_close(q, w, 0, "reply sent");
		return;
	}
	if (rc == 0)
		wqi_link_shrink(w->link); /* idle links give big buffers back */
	arm_write(q, w, rc == 1);
}

void wqi_io_flush_all(struct work_queue *q)
{
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->flush) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_flush);
		wqi_list_remove(&w->n_flush);
		if (w->state != WQI_W_DEAD)
			flush_one(q, w);
	}
}

/* Send a last message and close once it is out (REJECT, HTTP reply). */
static void reply_and_close(struct work_queue *q, struct wqi_worker *w)
{
	w->state = WQI_W_CLOSING;
	wqi_buf_clear(wqi_link_in(w->link));
	wqi_io_want_flush(w);
}

/* A peer speaking another protocol version, or one we cannot accept: REJECT. */
static void reject(struct work_queue *q, struct wqi_worker *w, const char *reason)
{
	struct wqi_msg_text m = { wqi_str_c(reason) };
	wqi_warn("worker %s rejected: %s", w->addr, reason);
	if (wqi_proto_encode_text(wqi_link_out(w->link), WQI_MSG_REJECT, &m) < 0) {
		wqi_io_close(q, w, 0, "out of memory");
		return;
	}
	reply_and_close(q, w);
}

/* First bytes of a connection: a worker, an HTTP client, TLS, or garbage. */
static void classify(struct work_queue *q, struct wqi_worker *w)
{
	struct wqi_buf *in = wqi_link_in(w->link);
	uint16_t version = 0;
	enum wqi_peer p = wqi_proto_classify(wqi_buf_head(in), wqi_buf_used(in), &version);
	char why[160];
	switch (p) {
	case WQI_PEER_NEED_MORE:
		return;
	case WQI_PEER_WORKER:
		wqi_buf_consume(in, WQI_PREAMBLE_LEN);
		if (version != WQI_PROTO_VERSION) {
			snprintf(why, sizeof why, "master speaks work_queue protocol %d, worker speaks %u; upgrade the older side",
				 WQI_PROTO_VERSION, (unsigned)version);
			reject(q, w, why);
			return;
		}
		w->state = WQI_W_HELLO;
		return;
	case WQI_PEER_HTTP:
		/* a status client (master_status.c): its request head comes next */
		w->state = WQI_W_HTTP;
		w->http = 1;
		w->close_by_us = wqi_mono_us() + STATUS_US;
		if (q->next_timer_us == 0 || w->close_by_us < q->next_timer_us)
			q->next_timer_us = w->close_by_us;
		return;
	case WQI_PEER_TLS:
		wqi_io_close(q, w, 1, "TLS hello received but TLS is not enabled");
		return;
	default:
		snprintf(why, sizeof why, "not a work_queue worker (first byte 0x%02x)", (unsigned char)wqi_buf_head(in)[0]);
		wqi_io_close(q, w, 1, why);
		return;
	}
}

/* Copy a borrowed string into *dst (freeing the old one). */
static int take_str(char **dst, struct wqi_str s)
{
	char *c = wqi_str_dup(s);
	if (!c)
		return WQ_ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

/* HELLO: record the worker, answer WELCOME, make it available for tasks. */
static void handle_hello(struct work_queue *q, struct wqi_worker *w, const char *p, size_t n)
{
	struct wqi_msg_hello m;
	char why[160];
	if (wqi_proto_decode_hello(p, n, &m) < 0) {
		wqi_io_close(q, w, 1, "malformed HELLO");
		return;
	}
	if (m.version != WQI_PROTO_VERSION) {
		snprintf(why, sizeof why, "master speaks work_queue protocol %d, worker speaks %u; upgrade the older side",
			 WQI_PROTO_VERSION, (unsigned)m.version);
		reject(q, w, why);
		return;
	}
	if (m.auth.n) {
		reject(q, w, "this master does not use authentication");
		return;
	}
	if (m.cores < 0 || m.memory_mb < 0 || m.disk_mb < 0 || m.gpus < 0) {
		wqi_io_close(q, w, 1, "HELLO with negative resources");
		return;
	}
	if (take_str(&w->hostname, m.hostname) || take_str(&w->os, m.os) || take_str(&w->arch, m.arch) ||
	    take_str(&w->worker_id, m.worker_id) || take_str(&w->version, m.worker_version)) {
		wqi_io_close(q, w, 1, "out of memory");
		return;
	}
	w->cores = m.cores;
	w->memory = m.memory_mb;
	w->disk = m.disk_mb;
	w->gpus = m.gpus;
	struct wqi_msg_welcome wm = { WQI_PROTO_VERSION, wqi_str_c(work_queue_version()), wqi_str_c(q->name),
				      (uint32_t)q->keepalive_interval_s, wqi_str_c("") };
	if (wqi_proto_encode_welcome(wqi_link_out(w->link), &wm) < 0) {
		wqi_io_close(q, w, 1, "out of memory");
		return;
	}
	wqi_io_want_flush(w);
	w->joined_wall_us = wqi_now_us();
	wqi_dispatch_worker_ready(q, w);
	if (q->txn_log) {
		char hn[600], ad[200];
		wqi_log_worker(q, w, "CONNECTION", "%s %s cores=%lld memory=%lld disk=%lld gpus=%lld",
			       wqi_log_word(w->hostname && *w->hostname ? w->hostname : "-", hn, sizeof hn),
			       wqi_log_word(w->addr, ad, sizeof ad), (long long)w->cores, (long long)w->memory,
			       (long long)w->disk, (long long)w->gpus);
	}
	uint64_t ka = w->last_heard_us + (uint64_t)q->keepalive_interval_s * 1000000;
	if (q->next_timer_us == 0 || ka < q->next_timer_us)
		q->next_timer_us = ka;
	WQI_DEBUG("worker %s (%s, %s %s, version %s) joined: cores %lld memory %lld MB disk %lld MB gpus %lld",
		  w->addr, w->hostname, w->os, w->arch, w->version, (long long)w->cores, (long long)w->memory,
		  (long long)w->disk, (long long)w->gpus);
}

/* One complete frame from a connection past its preamble. */
static void handle_frame(struct work_queue *q, struct wqi_worker *w, uint8_t type, const char *p, size_t n)
{
	char why[160];
	int rc = 0;
	if (w->state == WQI_W_HELLO) {
		if (type != WQI_MSG_HELLO) {
			snprintf(why, sizeof why, "expected HELLO, got message type 0x%02x", type);
			wqi_io_close(q, w, 1, why);
			return;
		}
		handle_hello(q, w, p, n);
		return;
	}
	switch (type) {
	case WQI_MSG_ALIVE:
		rc = wqi_proto_decode_empty(p, n);
		break;
	case WQI_MSG_BYE: {
		struct wqi_msg_text m;
		if ((rc = wqi_proto_decode_text(p, n, &m)) == 0) {
			snprintf(why, sizeof why, "worker said goodbye: %.*s", (int)(m.reason.n > 100 ? 100 : m.reason.n), m.reason.p);
			w->gone_reason = "EXPLICIT";
			wqi_io_close(q, w, 0, why);
		}
		break;
	}
	case WQI_MSG_CACHE_FAIL: {
		struct wqi_msg_cache_fail m;
		if ((rc = wqi_proto_decode_cache_fail(p, n, &m)) == 0) {
			char *name = wqi_str_dup(m.cachename);
			if (name) {
				/* the worker lost the object: send it again when needed */
				wqi_cache_remove(w, name);
				WQI_DEBUG("worker %s: cache object %s failed: %.*s", w->addr, name, (int)(m.reason.n > 200 ? 200 : m.reason.n), m.reason.p);
				free(name);
			}
		}
		break;
	}
	case WQI_MSG_OUTPUT:
		rc = wqi_transfer_output(w, p, n);
		break;
	case WQI_MSG_RESULT:
		rc = wqi_transfer_result(w, p, n);
		break;
	default:
		/* the worker's fault: a message it must not send */
		snprintf(why, sizeof why, "unexpected message type 0x%02x (%s)", type,
			 wqi_proto_msg_name(type) ? wqi_proto_msg_name(type) : "unknown");
		w->gone_reason = "PROTOCOL";
		wqi_io_close(q, w, 1, why);
		return;
	}
	if (rc < 0 && w->state != WQI_W_DEAD) {
		snprintf(why, sizeof why, "bad %s message: %s", wqi_proto_msg_name(type), work_queue_strerror(rc));
		if (rc != WQ_ENOMEM)
			w->gone_reason = "PROTOCOL";
		wqi_io_close(q, w, 1, why);
	}
}

/* Process everything complete in the input: preamble, frames, streams. */
static void process(struct work_queue *q, struct wqi_worker *w)
{
	struct wqi_buf *in = wqi_link_in(w->link);
	while (w->state != WQI_W_DEAD) {
		if (w->state == WQI_W_PREAMBLE) {
			classify(q, w);
			if (w->state == WQI_W_PREAMBLE || w->state == WQI_W_DEAD)
				return;
			continue;
		}
		if (w->state == WQI_W_CLOSING) {
			wqi_buf_clear(in);
			return;
		}
		if (w->state == WQI_W_HTTP) {
			int rc = wqi_status_http(q, w);
			if (rc < 0)
				wqi_io_close(q, w, 1, "out of memory answering a status request");
			else if (rc > 0) {
				WQI_DEBUG("status request from %s answered", w->addr);
				reply_and_close(q, w);
			}
			return;
		}
		if (w->rx_state != WQI_RX_FRAMES) {
			int rc = wqi_transfer_stream(w);
			if (rc < 0) {
				wqi_io_close(q, w, rc != WQ_ECLOSED, rc == WQ_ECLOSED ? "disconnected during a transfer" : work_queue_strerror(rc));
				return;
			}
			if (rc == 0)
				return;
			continue;
		}
		uint8_t type;
		const char *payload;
		size_t plen, flen;
		int rc = wqi_proto_frame(in, &type, &payload, &plen, &flen);
		if (rc < 0) {
			w->gone_reason = "PROTOCOL";
			wqi_io_close(q, w, 1, "bad frame length");
			return;
		}
		if (rc == 0)
			return;
		handle_frame(q, w, type, payload, plen);
		if (w->state == WQI_W_DEAD)
			return;
		wqi_buf_consume(in, flen);
	}
}

/* Events on one connection. */
void wqi_io_handle(struct work_queue *q, struct wqi_worker *w, int events)
{
	if (events & (WQI_EV_READ | WQI_EV_ERROR)) {
		int64_t r = wqi_link_fill(w->link);
		if (r > 0) {
			w->last_heard_us = wqi_mono_us();
			w->keepalive_sent_us = 0;
		}
		process(q, w);
		if (w->state == WQI_W_DEAD)
			return;
		if (r < 0) {
			if (r == WQ_ECLOSED && w->rx_state != WQI_RX_FRAMES)
				wqi_io_close(q, w, 1, "disconnected during a transfer");
			else
				wqi_io_close(q, w, r != WQ_ECLOSED, r == WQ_ECLOSED ? "disconnected" : work_queue_strerror((int)r));
			return;
		}
		if (r == 0 && (events & WQI_EV_ERROR) && !(events & WQI_EV_READ)) {
			wqi_io_close(q, w, 0, "connection error");
			return;
		}
	}
	if ((events & WQI_EV_WRITE) && w->state != WQI_W_DEAD)
		flush_one(q, w);
}

/*
 * Timers, at most when one is due: drop connections that have not finished
 * their handshake 15 s after accept; send KEEPALIVE to a worker not heard
 * from for keepalive_interval and drop it when it has not answered within
 * keepalive_timeout (the worker's fault: its tasks run again elsewhere).
 * A worker still receiving our output counts as answering.
 * Returns ms until the next due timer, or -1 when there is none.
 */
int64_t wqi_io_timers(struct work_queue *q)
{
	uint64_t now = wqi_mono_us();
	if (q->next_timer_us && now < q->next_timer_us)
		return (int64_t)((q->next_timer_us - now + 999) / 1000);
	uint64_t next = UINT64_MAX;
	uint64_t ivl = (uint64_t)q->keepalive_interval_s * 1000000, tmo = (uint64_t)q->keepalive_timeout_s * 1000000;
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->workers) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_all);
		uint64_t due;
		if (w->state != WQI_W_READY) {
			due = w->close_by_us ? w->close_by_us : w->accept_us + HANDSHAKE_US;
			if (now >= due) {
				if (w->close_by_us)
					wqi_io_close(q, w, 0, "status client did not take its answer within 10 s");
				else
					wqi_io_close(q, w, w->state != WQI_W_CLOSING, "handshake not completed within 15 s");
				continue;
			}
		} else if (w->keepalive_sent_us) {
			if (w->link && wqi_link_pending(w->link) > 0)
				w->keepalive_sent_us = now; /* still sending to it: the answer is queued behind */
			due = w->keepalive_sent_us + tmo;
			if (now >= due) {
				char why[96];
				snprintf(why, sizeof why, "no answer to keepalive within %d s", q->keepalive_timeout_s);
				w->gone_reason = "KEEPALIVE";
				wqi_io_close(q, w, 1, why);
				continue;
			}
		} else {
			due = w->last_heard_us + ivl;
			if (now >= due && w->link) {
				if (wqi_proto_encode_empty(wqi_link_out(w->link), WQI_MSG_KEEPALIVE) == 0) {
					wqi_io_want_flush(w);
					w->keepalive_sent_us = now;
				}
				due = now + tmo;
			}
		}
		if (due < next)
			next = due;
	}
	if (next == UINT64_MAX) {
		q->next_timer_us = 0;
		return -1;
	}
	q->next_timer_us = next;
	return next > now ? (int64_t)((next - now + 999) / 1000) : 0;
}

/* Ask a worker to exit (EXIT), push the message out if the socket takes it, close. */
void wqi_io_release(struct work_queue *q, struct wqi_worker *w, const char *reason)
{
	struct wqi_msg_text m = { wqi_str_c(reason) };
	if (w->link && wqi_proto_encode_text(wqi_link_out(w->link), WQI_MSG_EXIT, &m) == 0)
		wqi_link_flush(w->link);
	q->cum.workers_released++;
	if (!w->gone_reason)
		w->gone_reason = "RELEASED";
	wqi_io_close(q, w, 0, reason);
}
