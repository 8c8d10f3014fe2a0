/*
 * server.c - wq_catalog_server's event loop (see server.h, docs/catalog.md).
 *
 * Every socket is nonblocking and every connection has its own small state
 * machine, so a slow or hostile client holds up nobody:
 *
 *   FIRST  -> '{'     -> UPDATE (read until the object's closing brace)
 *          -> 'A'-'Z' -> HTTP   (read the request head) -> WRITE -> DRAIN
 *          -> other   -> closed, counted as a malformed update
 *
 * Reads are capped at what the state may still accept (64 KiB for an
 * update, 8 KiB for a request head), so a connection never buffers more
 * than that. After a response is written the server half-closes and reads
 * (discarding) until the client closes, so a client's unread request body
 * cannot turn our close into a reset that loses the response.
 *
 * /query.json is served from a snapshot: the whole answer rendered once into
 * a memfd, which every request then sends with sendfile(2) from its own
 * dup of the descriptor. Many dashboards polling at once cost one rendering;
 * the kernel frees an old snapshot when its last sender closes.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debug.h"
#include "http.h"
#include "json.h"
#include "link.h"
#include "loop.h"
#include "net.h"
#include "records.h"
#include "save.h"
#include "util.h"
#include "work_queue.h"

#define TICK_MS 100             /* housekeeping period: expiry, timeouts, saves */
#define DRAIN_MS 2000           /* how long we wait for a client to close after our answer */
#define DRAIN_MAX (1u << 20)    /* bytes discarded while draining before we just close */
#define SNAPSHOT_MIN_MS 200     /* /query.json is re-rendered at most this often */
#define UDP_BATCH 64            /* datagrams read per readiness, for fairness */
#define ACCEPT_BATCH 64         /* connections accepted per readiness */
#define MAX_EVENTS 256

void wqi_cat_config_defaults(struct wqi_cat_config *c)
{
	memset(c, 0, sizeof *c);
	c->port = WQI_CAT_DEFAULT_PORT;
	c->lifetime_us = 300ULL * 1000000;
	c->max_records = 10000;
	c->save_interval_s = 60;
	c->max_conns = 1000;
	c->idle_timeout_ms = 10000;
	c->max_conn_ms = 60000;
}

enum cstate {
	CS_FIRST,   /* nothing read yet */
	CS_UPDATE,  /* reading one JSON advertisement */
	CS_HTTP,    /* reading an HTTP request head */
	CS_WRITE,   /* sending the answer */
	CS_DRAIN    /* answer sent and write side shut: waiting for the client to close */
};

struct conn {
	struct wqi_link *link;      /* the socket and its output */
	enum cstate st;             /* where it is */
	struct wqi_buf in;          /* bytes read (bounded by the state's limit) */
	struct wqi_json_scan scan;  /* UPDATE: where the object ends */
	char ip[64];                /* the peer's address */
	uint64_t born_ms;           /* accepted at (monotonic) */
	uint64_t active_ms;         /* last progress (monotonic) */
	uint64_t drained;           /* DRAIN: bytes discarded */
	struct conn *prev, *next;   /* all connections */
};

struct server {
	const struct wqi_cat_config *cfg;
	struct wqi_loop *loop;
	int lfd, ufd;                 /* TCP listener, UDP socket */
	int port;                     /* the port both use */
	int accepting;                /* lfd is in the loop (off while out of descriptors) */
	uint64_t accept_retry_ms;     /* when to put it back */
	struct wqi_cat_records t;     /* the table */
	struct conn *conns;           /* open connections */
	int nconns;                   /* how many */
	char *udp_buf;                /* one datagram */
	int snap_fd;                  /* the /query.json snapshot (memfd), or -1 */
	size_t snap_len;              /* its length */
	uint64_t snap_gen;            /* table generation it shows */
	uint64_t snap_ms;             /* when it was rendered */
	uint64_t start_us;            /* wall clock at start */
	uint64_t saved_gen;           /* generation last saved */
	uint64_t save_ms;             /* when it was saved */
	struct {
		uint64_t udp_datagrams, tcp_updates, http_requests, http_errors;
		uint64_t conns_total, conns_refused, conns_timed_out, saves, save_errors;
	} c;                          /* counters beside the table's */
};

/* Tags for the two sockets that are not connections, as loop user pointers. */
static char tag_listen, tag_udp;

static uint64_t now_ms(void)
{
	return wqi_mono_us() / 1000;
}

/* ---- connections ---- */

static void conn_close(struct server *s, struct conn *c, const char *why)
{
	WQI_DEBUG("connection from %s closed: %s", c->ip, why);
	wqi_loop_del(s->loop, wqi_link_fd(c->link));
	wqi_link_delete(c->link);
	wqi_buf_free(&c->in);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
}

/* Answer sent: shut our side, then wait (bounded) for the client to close. */
static void conn_drain(struct server *s, struct conn *c)
{
	shutdown(wqi_link_fd(c->link), SHUT_WR);
	c->st = CS_DRAIN;
	c->active_ms = now_ms();
	wqi_buf_free(&c->in);
	wqi_link_shrink(c->link);
	if (wqi_loop_mod(s->loop, wqi_link_fd(c->link), WQI_EV_READ, c) < 0)
		conn_close(s, c, "cannot watch the socket");
}

/* Send what is queued; watch for writability if the socket is full. */
static void conn_flush(struct server *s, struct conn *c)
{
	int rc = wqi_link_flush(c->link);
	if (rc < 0) {
		conn_close(s, c, "write failed");
		return;
	}
	c->active_ms = now_ms();
	if (rc == 0)
		conn_drain(s, c);
	else if (wqi_loop_mod(s->loop, wqi_link_fd(c->link), WQI_EV_WRITE, c) < 0)
		conn_close(s, c, "cannot watch the socket");
}

/* Queue a whole answer (head and, unless HEAD, body) and start sending it. */
static void respond(struct server *s, struct conn *c, int head_only, int status, const char *ctype, const char *body,
	size_t len)
{
	struct wqi_buf *out = wqi_link_out(c->link);
	if (status >= 400)
		s->c.http_errors++;
	if (wqi_http_head(out, status, ctype, len) < 0 || (!head_only && wqi_buf_append(out, body, len) < 0)) {
		conn_close(s, c, "out of memory");
		return;
	}
	c->st = CS_WRITE;
	conn_flush(s, c);
}

static void respond_error(struct server *s, struct conn *c, int head_only, int status)
{
	char body[128];
	int n = snprintf(body, sizeof body, "%d %s\n", status, wqi_http_reason(status));
	respond(s, c, head_only, status, "text/plain; charset=utf-8", body, (size_t)n);
}

/* ---- answers ---- */

/* Render the stats.json object into b. */
static int render_stats(struct server *s, struct wqi_buf *b)
{
	const struct wqi_cat_counters *k = &s->t.c;
	uint64_t now = wqi_now_us();
	int rc = wqi_buf_printf(b,
		"{\"type\":\"wq_catalog\",\"version\":\"%s\",\"port\":%d,\"starttime\":%" PRIu64 ",\"uptime\":%" PRIu64
		",\"records\":%zu,\"record_bytes\":%zu,\"max_records\":%zu,\"lifetime\":%" PRIu64
		",\"received\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"dropped_malformed\":%" PRIu64
		",\"dropped_oversized\":%" PRIu64 ",\"expired\":%" PRIu64 ",\"evicted\":%" PRIu64 ",\"gone\":%" PRIu64
		",\"udp_datagrams\":%" PRIu64 ",\"tcp_updates\":%" PRIu64 ",\"http_requests\":%" PRIu64
		",\"http_errors\":%" PRIu64 ",\"connections\":%d,\"connections_total\":%" PRIu64
		",\"connections_refused\":%" PRIu64 ",\"connections_timed_out\":%" PRIu64 ",\"saves\":%" PRIu64
		",\"save_errors\":%" PRIu64 "}\n",
		work_queue_version(), s->port, s->start_us / 1000000, (now - s->start_us) / 1000000,
		wqi_cat_records_count(&s->t), s->t.bytes, s->t.max_records, s->t.lifetime_us / 1000000, k->received,
		k->accepted, k->dropped_malformed, k->dropped_oversized, k->expired, k->evicted, k->gone,
		s->c.udp_datagrams, s->c.tcp_updates, s->c.http_requests, s->c.http_errors, s->nconns, s->c.conns_total,
		s->c.conns_refused, s->c.conns_timed_out, s->c.saves, s->c.save_errors);
	return rc < 0 ? WQ_ENOMEM : 0;
}

/*
 * The snapshot of /query.json, re-rendered when the table changed and the
 * current one is at least SNAPSHOT_MIN_MS old. Returns its fd, or -1 if no
 * memfd could be made (the caller renders into the connection instead).
 */
static int snapshot(struct server *s)
{
	uint64_t now = now_ms();
	if (s->snap_fd >= 0 && (s->snap_gen == s->t.generation || now - s->snap_ms < SNAPSHOT_MIN_MS))
		return s->snap_fd;
	struct wqi_buf b = WQI_BUF_INIT;
	int fd = -1;
	if (wqi_cat_records_write(&s->t, &b, NULL) == 0)
		fd = memfd_create("wq_catalog_query", MFD_CLOEXEC);
	size_t done = 0, len = wqi_buf_used(&b);
	while (fd >= 0 && done < len) {
		ssize_t w = write(fd, wqi_buf_head(&b) + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			fd = -1;
			break;
		}
		done += (size_t)w;
	}
	wqi_buf_free(&b);
	if (fd < 0)
		return s->snap_fd; /* keep serving the old one, if any */
	if (s->snap_fd >= 0)
		close(s->snap_fd);
	s->snap_fd = fd;
	s->snap_len = len;
	s->snap_gen = s->t.generation;
	s->snap_ms = now;
	return fd;
}

/* Answer with the JSON rendered into b (rc 0), or 500 when rendering failed
 * (rc < 0); b is freed either way. */
static void respond_json(struct server *s, struct conn *c, int head_only, int rc, struct wqi_buf *b)
{
	if (rc < 0)
		respond_error(s, c, head_only, 500);
	else
		respond(s, c, head_only, 200, "application/json", wqi_buf_head(b), wqi_buf_used(b));
	wqi_buf_free(b);
}

/* GET /query.json: from the snapshot when unfiltered, else rendered for this request. */
static void serve_query(struct server *s, struct conn *c, const struct wqi_http_req *r)
{
	static const char *ctype = "application/json";
	if (!r->has_project) {
		int fd = snapshot(s);
		int dfd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
		if (dfd >= 0) {
			if (wqi_http_head(wqi_link_out(c->link), 200, ctype, s->snap_len) < 0 ||
				(!r->head_only && wqi_link_queue_file(c->link, dfd, 0, s->snap_len, 1) < 0)) {
				close(dfd);
				conn_close(s, c, "out of memory");
				return;
			}
			if (r->head_only)
				close(dfd);
			c->st = CS_WRITE;
			conn_flush(s, c);
			return;
		}
	}
	struct wqi_buf b = WQI_BUF_INIT;
	respond_json(s, c, r->head_only, wqi_cat_records_write(&s->t, &b, r->has_project ? r->project : NULL), &b);
}

/* A complete request head is in c->in: route it. */
static void serve_http(struct server *s, struct conn *c)
{
	struct wqi_http_req r;
	s->c.http_requests++;
	int status = wqi_http_parse(wqi_buf_head(&c->in), wqi_buf_used(&c->in), &r);
	WQI_DEBUG("http from %s: %.*s", c->ip, (int)strcspn(wqi_buf_head(&c->in), "\r\n"), wqi_buf_head(&c->in));
	if (status) {
		respond_error(s, c, 0, status);
		return;
	}
	if (strcmp(r.path, "/") == 0 || strcmp(r.path, "/index.html") == 0) {
		respond(s, c, r.head_only, 200, "text/html; charset=utf-8", wqi_cat_dashboard_html,
			strlen(wqi_cat_dashboard_html));
	} else if (strcmp(r.path, "/query.json") == 0) {
		serve_query(s, c, &r);
	} else if (strcmp(r.path, "/history.json") == 0) {
		struct wqi_buf b = WQI_BUF_INIT;
		respond_json(s, c, r.head_only, wqi_cat_records_write_history(&s->t, &b, r.has_project ? r.project : NULL), &b);
	} else if (strcmp(r.path, "/stats.json") == 0) {
		struct wqi_buf b = WQI_BUF_INIT;
		respond_json(s, c, r.head_only, render_stats(s, &b), &b);
	} else {
		respond_error(s, c, r.head_only, 404);
	}
}

/* ---- reading ---- */

/* The most bytes c->in may hold in the current state (one more than allowed,
 * so that "too long" can be seen). */
static size_t read_limit(const struct conn *c)
{
	return c->st == CS_UPDATE ? WQI_CAT_MAX_UPDATE + 1 : WQI_HTTP_MAX_HEAD + 1;
}

/* An UPDATE connection ended or filled up without a complete object. */
static void update_failed(struct server *s, struct conn *c, int err, const char *why)
{
	s->c.tcp_updates++;
	wqi_cat_records_drop(&s->t, err);
	conn_close(s, c, why);
}

/* Act on what has arrived: classify, finish an update, or answer a request. */
static void process_input(struct server *s, struct conn *c, size_t fresh)
{
	size_t used = wqi_buf_used(&c->in);
	const char *p = wqi_buf_head(&c->in);
	if (c->st == CS_FIRST) {
		if (p[0] == '{') {
			c->st = CS_UPDATE;
			wqi_json_scan_init(&c->scan);
			fresh = used;
		} else if (p[0] >= 'A' && p[0] <= 'Z') {
			c->st = CS_HTTP;
		} else {
			s->c.tcp_updates++;
			wqi_cat_records_drop(&s->t, WQ_EPROTO);
			conn_close(s, c, "neither an advertisement nor an HTTP request");
			return;
		}
	}
	if (c->st == CS_UPDATE) {
		int64_t end = wqi_json_scan_feed(&c->scan, p + used - fresh, fresh);
		if (end > 0) {
			s->c.tcp_updates++;
			int rc = wqi_cat_records_update(&s->t, p, (size_t)end, c->ip, wqi_now_us());
			conn_close(s, c, rc == 0 ? "advertisement received" : "bad advertisement");
		} else if (end < 0) {
			update_failed(s, c, WQ_EPROTO, "bad advertisement");
		} else if (used > WQI_CAT_MAX_UPDATE) {
			update_failed(s, c, WQ_ETOOBIG, "advertisement too large");
		}
		return;
	}
	/* CS_HTTP */
	if (wqi_http_head_end(p, used) > 0)
		serve_http(s, c);
	else if (used > WQI_HTTP_MAX_HEAD)
		respond_error(s, c, 0, 431);
}

static void on_conn_event(struct server *s, struct conn *c, int events)
{
	if (c->st == CS_WRITE) {
		if (events & (WQI_EV_WRITE | WQI_EV_ERROR))
			conn_flush(s, c);
		return;
	}
	if (c->st == CS_DRAIN) {
		int64_t r = wqi_link_recv_to_fd(c->link, -1, 64 << 10);
		if (r < 0)
			conn_close(s, c, "answered");
		else if ((c->drained += (uint64_t)r) > DRAIN_MAX)
			conn_close(s, c, "answered; client kept sending");
		return;
	}
	size_t limit = read_limit(c);
	int64_t r = wqi_link_recv_to_buf(c->link, &c->in, limit - wqi_buf_used(&c->in));
	if (r == WQ_ECLOSED || (r < 0 && (events & WQI_EV_ERROR))) {
		if (c->st == CS_UPDATE)
			update_failed(s, c, WQ_EPROTO, "advertisement cut short");
		else if (c->st == CS_HTTP)
			conn_close(s, c, "request cut short");
		else
			conn_close(s, c, "closed without sending anything");
		return;
	}
	if (r < 0) {
		conn_close(s, c, "read failed");
		return;
	}
	if (r == 0)
		return;
	c->active_ms = now_ms();
	process_input(s, c, (size_t)r);
}

/* ---- sockets ---- */

static void accept_all(struct server *s)
{
	for (int k = 0; k < ACCEPT_BATCH; k++) {
		char addr[128];
		int fd = wqi_net_accept(s->lfd, addr, sizeof addr);
		if (fd == WQ_EAGAIN)
			return;
		if (fd < 0) {
			/* out of descriptors: stop accepting for a moment instead of spinning */
			wqi_warn("cannot accept connections (%s); pausing 100 ms", strerror(errno));
			wqi_loop_del(s->loop, s->lfd);
			s->accepting = 0;
			s->accept_retry_ms = now_ms() + 100;
			return;
		}
		s->c.conns_total++;
		if (s->nconns >= s->cfg->max_conns) {
			s->c.conns_refused++;
			WQI_DEBUG("connection from %s refused: %d open", addr, s->nconns);
			close(fd);
			continue;
		}
		struct conn *c = calloc(1, sizeof *c);
		struct wqi_link *l = c ? wqi_link_create(fd) : NULL;
		if (!l) {
			free(c);
			close(fd);
			continue;
		}
		c->link = l;
		if (wqi_net_peer_ip(fd, c->ip, sizeof c->ip) < 0)
			snprintf(c->ip, sizeof c->ip, "?");
		c->born_ms = c->active_ms = now_ms();
		if (wqi_loop_add(s->loop, fd, WQI_EV_READ, c) < 0) {
			wqi_link_delete(l);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

static void read_udp(struct server *s)
{
	for (int k = 0; k < UDP_BATCH; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t r = recvfrom(s->ufd, s->udp_buf, WQI_CAT_MAX_UPDATE + 1, MSG_TRUNC, (struct sockaddr *)&ss, &sl);
		if (r < 0)
			return; /* EAGAIN, or an ICMP error reported late: nothing to do either way */
		char ip[64] = "?";
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
		s->c.udp_datagrams++;
		int rc = wqi_cat_records_update(&s->t, s->udp_buf, (size_t)r, ip, wqi_now_us());
		if (rc < 0)
			WQI_DEBUG("udp from %s: %zd bytes dropped: %s", ip, r, work_queue_strerror(rc));
	}
}

/* Bind the UDP socket to the port the listener got. */
static int udp_open(int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return WQ_EADDR;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	a.sin_port = htons((uint16_t)port);
	int rcvbuf = 4 << 20; /* absorb bursts of advertisements */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return WQ_EADDR;
	}
	return fd;
}

/* TCP and UDP on one port number. With port 0 the kernel picks the TCP
 * port, which may be taken for UDP: then try again with another. */
static int open_sockets(struct server *s)
{
	for (int attempt = 0; attempt < 20; attempt++) {
		s->lfd = wqi_net_listen(NULL, s->cfg->port);
		if (s->lfd < 0)
			return s->lfd;
		s->port = wqi_net_local_port(s->lfd);
		s->ufd = udp_open(s->port);
		if (s->ufd >= 0)
			return 0;
		close(s->lfd);
		s->lfd = -1;
		if (s->cfg->port != 0)
			break;
	}
	return WQ_EADDR;
}

/* ---- housekeeping ---- */

static void save_now(struct server *s)
{
	if (!s->cfg->save_path)
		return;
	if (wqi_cat_save(&s->t, s->cfg->save_path) < 0) {
		s->c.save_errors++;
		wqi_warn("cannot save the table to %s: %s", s->cfg->save_path, strerror(errno));
	} else {
		s->c.saves++;
		WQI_DEBUG("saved %zu records to %s", wqi_cat_records_count(&s->t), s->cfg->save_path);
	}
	s->saved_gen = s->t.generation;
	s->save_ms = now_ms();
}

static void housekeeping(struct server *s)
{
	uint64_t now = now_ms();
	size_t n = wqi_cat_records_expire(&s->t, wqi_now_us());
	if (n)
		WQI_DEBUG("%zu records expired", n);
	struct conn *c = s->conns;
	while (c) {
		struct conn *next = c->next;
		if (c->st == CS_DRAIN && now - c->active_ms > DRAIN_MS) {
			conn_close(s, c, "answered; client did not close");
		} else if (now - c->active_ms > (uint64_t)s->cfg->idle_timeout_ms || now - c->born_ms > (uint64_t)s->cfg->max_conn_ms) {
			s->c.conns_timed_out++;
			if (c->st == CS_UPDATE)
				update_failed(s, c, WQ_EPROTO, "timed out in an advertisement");
			else
				conn_close(s, c, "timed out");
		}
		c = next;
	}
	if (!s->accepting && now >= s->accept_retry_ms && wqi_loop_add(s->loop, s->lfd, WQI_EV_READ, &tag_listen) == 0)
		s->accepting = 1;
	if (s->t.generation != s->saved_gen && now - s->save_ms >= (uint64_t)s->cfg->save_interval_s * 1000)
		save_now(s);
}

static void server_free(struct server *s)
{
	while (s->conns)
		conn_close(s, s->conns, "shutting down");
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->ufd >= 0)
		close(s->ufd);
	if (s->snap_fd >= 0)
		close(s->snap_fd);
	if (s->loop)
		wqi_loop_delete(s->loop);
	free(s->udp_buf);
	wqi_cat_records_free(&s->t);
}

int wqi_cat_server_run(const struct wqi_cat_config *cfg, volatile sig_atomic_t *stop)
{
	struct server s;
	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.lfd = s.ufd = s.snap_fd = -1;
	s.start_us = wqi_now_us();
	s.save_ms = now_ms();
	wqi_cat_records_init(&s.t, cfg->max_records, cfg->lifetime_us);
	int rc = 0;
	if (cfg->save_path) {
		size_t loaded, skipped;
		rc = wqi_cat_load(&s.t, cfg->save_path, wqi_now_us(), &loaded, &skipped);
		if (rc == 0)
			WQI_DEBUG("loaded %zu records from %s (%zu skipped)", loaded, cfg->save_path, skipped);
		else if (rc == WQ_ENOENT)
			rc = 0;
		else
			fprintf(stderr, "wq_catalog_server: cannot load %s: %s\n", cfg->save_path, work_queue_strerror(rc));
		s.saved_gen = s.t.generation;
	}
	s.udp_buf = malloc(WQI_CAT_MAX_UPDATE + 1);
	s.loop = wqi_loop_create();
	if (rc == 0 && (!s.udp_buf || !s.loop))
		rc = WQ_ENOMEM;
	if (rc == 0 && (rc = open_sockets(&s)) < 0)
		fprintf(stderr, "wq_catalog_server: cannot listen on port %d (TCP and UDP): %s\n", cfg->port, strerror(errno));
	if (rc == 0 && (wqi_loop_add(s.loop, s.lfd, WQI_EV_READ, &tag_listen) < 0 ||
			wqi_loop_add(s.loop, s.ufd, WQI_EV_READ, &tag_udp) < 0))
		rc = WQ_ENOMEM;
	if (rc < 0) {
		server_free(&s);
		return rc;
	}
	s.accepting = 1;
	printf("wq_catalog_server: listening on port %d\n", s.port);
	fflush(stdout);
	WQI_DEBUG("listening on port %d (TCP and UDP), lifetime %" PRIu64 " s, at most %zu records", s.port,
		cfg->lifetime_us / 1000000, cfg->max_records);

	struct wqi_event ev[MAX_EVENTS];
	uint64_t next_tick = now_ms() + TICK_MS;
	while (!*stop) {
		uint64_t now = now_ms();
		int wait = next_tick > now ? (int)(next_tick - now) : 0;
		int n = wqi_loop_wait(s.loop, ev, MAX_EVENTS, wait);
		if (n < 0) {
			wqi_warn("event loop failed: %s", work_queue_strerror(n));
			rc = n;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].ptr == &tag_listen)
				accept_all(&s);
			else if (ev[i].ptr == &tag_udp)
				read_udp(&s);
		}
		/* connections last: an accept above never invalidates a pointer below,
		 * and a connection closed here is not in this batch twice */
		for (int i = 0; i < n; i++)
			if (ev[i].ptr != &tag_listen && ev[i].ptr != &tag_udp)
				on_conn_event(&s, ev[i].ptr, ev[i].events);
		if (now_ms() >= next_tick) {
			housekeeping(&s);
			next_tick = now_ms() + TICK_MS;
		}
	}
	if (cfg->save_path)
		save_now(&s);
	WQI_DEBUG("stopping");
	server_free(&s);
	return rc;
}
