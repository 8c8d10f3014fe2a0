/*
 * catalog_client.c - the master's advertiser (a resolver thread plus
 * nonblocking UDP sends) and the worker's catalog look-up. See
 * catalog_client.h for the contract and docs/catalog.md for the protocol.
 */
#include "catalog_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "debug.h"
#include "json.h"
#include "net.h"
#include "util.h"
#include "work_queue.h"

#define RESOLVE_EVERY_US (300ULL * 1000000)  /* re-resolve names every 5 minutes */
#define RESOLVE_RETRY_US (30ULL * 1000000)   /* after a failed resolution */
#define TCP_TIMEOUT_MS 5000                  /* one TCP advertisement, connect + send */
#define QUERY_MAX (64u << 20)                /* bytes of a /query.json answer kept */

/* ---- host lists ---- */

int wqi_catalog_parse_hosts(const char *list, int default_port, struct wqi_catalog_host *out, int max)
{
	int n = 0;
	if (!list)
		return WQ_EINVAL;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len) {
			if (n >= max)
				return WQ_EINVAL;
			const char *colon = memchr(p, ':', len);
			size_t hl = colon ? (size_t)(colon - p) : len;
			int port = default_port;
			if (colon) {
				char num[16];
				size_t pl = len - hl - 1;
				if (pl == 0 || pl >= sizeof num)
					return WQ_EINVAL;
				memcpy(num, colon + 1, pl);
				num[pl] = 0;
				char *e;
				long v = strtol(num, &e, 10);
				if (*e || v < 1 || v > 65535)
					return WQ_EINVAL;
				port = (int)v;
			}
			if (hl == 0 || hl >= sizeof out[n].host || port < 1 || port > 65535)
				return WQ_EINVAL;
			memcpy(out[n].host, p, hl);
			out[n].host[hl] = 0;
			out[n].port = port;
			n++;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return n ? n : WQ_EINVAL;
}

char *wqi_catalog_env_hosts(void)
{
	const char *h = getenv("CATALOG_HOST");
	if (!h || !*h)
		return NULL;
	const char *ps = getenv("CATALOG_PORT");
	int port = WQI_CATALOG_DEFAULT_PORT;
	if (ps && *ps) {
		long v = strtol(ps, NULL, 10);
		if (v >= 1 && v <= 65535)
			port = (int)v;
	}
	struct wqi_catalog_host hs[WQI_CATALOG_MAX_HOSTS];
	int n = wqi_catalog_parse_hosts(h, port, hs, WQI_CATALOG_MAX_HOSTS);
	if (n < 0) {
		wqi_warn("CATALOG_HOST='%s' is not a list of host[:port]: ignored", h);
		return NULL;
	}
	struct wqi_buf b = WQI_BUF_INIT;
	int rc = 0;
	for (int i = 0; i < n; i++)
		rc |= wqi_buf_printf(&b, "%s%s:%d", i ? "," : "", hs[i].host, hs[i].port);
	if (rc || wqi_buf_append(&b, "", 1) < 0) {
		wqi_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* ---- the advertiser ---- */

/* One catalog: its name, and its address once resolved (under mu). */
struct dest {
	struct wqi_catalog_host h;   /* as named */
	struct sockaddr_in sa;       /* resolved address (IPv4: the catalog listens on IPv4) */
	int ok;                      /* sa is valid */
	uint64_t next_resolve_us;    /* monotonic time of the next resolution */
};

struct wqi_catalog {
	pthread_mutex_t mu;          /* guards everything below except udp_fd and n */
	pthread_cond_t cv;           /* wakes the thread (stop, TCP work) */
	int refs;                    /* 2 while both the master and the thread hold it */
	int stop;                    /* the master is done: the thread exits */
	int n;                       /* catalogs (fixed) */
	struct dest d[WQI_CATALOG_MAX_HOSTS];
	int udp_fd;                  /* nonblocking UDP socket, shared (sendto is thread-safe) */
	char *latest;                /* the newest advertisement (malloc'd), NULL before the first */
	size_t latest_len;
	int tcp_pending;             /* latest must go out over TCP (thread's job) */
};

/* Free the shared state once neither side holds it (called with mu held; unlocks). */
static void release(struct wqi_catalog *c)
{
	int last = --c->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	if (c->udp_fd >= 0)
		close(c->udp_fd);
	free(c->latest);
	free(c);
}

/* Blocking getaddrinfo of one name, IPv4. 0 or WQ_ENOENT. */
static int resolve(const struct wqi_catalog_host *h, struct sockaddr_in *out)
{
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	char port[16];
	snprintf(port, sizeof port, "%d", h->port);
	if (getaddrinfo(h->host, port, &hints, &res) != 0 || !res)
		return WQ_ENOENT;
	memcpy(out, res->ai_addr, sizeof *out);
	freeaddrinfo(res);
	return 0;
}

/*
 * One advertisement over TCP (docs/catalog.md: the object, then close):
 * connect and write with poll timeouts, half-close, then wait briefly for
 * the server's close so the object is known to be taken. Thread only.
 */
static int tcp_send(const struct sockaddr_in *sa, const char *p, size_t n)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return WQ_ECONNECT;
	uint64_t end = wqi_mono_us() + TCP_TIMEOUT_MS * 1000ULL;
	int rc = 0;
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0 && errno != EINPROGRESS)
		rc = WQ_ECONNECT;
	while (rc == 0 && n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN) {
			rc = WQ_ECONNECT;
			break;
		}
		uint64_t now = wqi_mono_us();
		struct pollfd pf = { fd, POLLOUT, 0 };
		if (now >= end || poll(&pf, 1, (int)((end - now) / 1000) + 1) <= 0)
			rc = WQ_ETIMEDOUT;
	}
	if (rc == 0) {
		shutdown(fd, SHUT_WR);
		char sink[256];
		for (;;) {
			uint64_t now = wqi_mono_us();
			struct pollfd pf = { fd, POLLIN, 0 };
			if (now >= end || poll(&pf, 1, (int)((end - now) / 1000) + 1) <= 0)
				break;
			if (recv(fd, sink, sizeof sink, 0) <= 0)
				break;
		}
	}
	close(fd);
	return rc;
}

/* Send p to one resolved catalog from the thread: UDP or TCP by size. */
static void thread_send(struct wqi_catalog *c, const struct sockaddr_in *sa, const char *p, size_t n, const char *host)
{
	if (n <= WQI_CATALOG_UDP_MAX) {
		sendto(c->udp_fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)sa, sizeof *sa);
		return;
	}
	int rc = tcp_send(sa, p, n);
	if (rc < 0)
		WQI_DEBUG("catalog %s: TCP advertisement failed: %s", host, work_queue_strerror(rc));
}

/*
 * The thread: resolve names when due, send the newest advertisement to a
 * catalog whose name just resolved, carry out TCP sends. It sleeps on the
 * condition variable until the next resolution or a wake-up, and holds the
 * lock only between blocking calls, never across them.
 */
static void *thread_main(void *arg)
{
	struct wqi_catalog *c = arg;
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		uint64_t now = wqi_mono_us();
		for (int i = 0; i < c->n && !c->stop; i++) {
			struct dest *d = &c->d[i];
			if (now < d->next_resolve_us)
				continue;
			struct wqi_catalog_host h = d->h;
			pthread_mutex_unlock(&c->mu);
			struct sockaddr_in sa;
			int rc = resolve(&h, &sa);
			pthread_mutex_lock(&c->mu);
			if (c->stop)
				break;
			int was_ok = d->ok;
			if (rc == 0) {
				d->sa = sa;
				d->ok = 1;
			} else {
				wqi_warn("cannot resolve the catalog %s: trying again in %llu s", h.host,
					 (unsigned long long)(RESOLVE_RETRY_US / 1000000));
			}
			/* a name that stops resolving keeps its last address */
			d->next_resolve_us = wqi_mono_us() + (rc == 0 ? RESOLVE_EVERY_US : RESOLVE_RETRY_US);
			if (rc == 0 && !was_ok && c->latest) {
				char *copy = malloc(c->latest_len);
				size_t len = c->latest_len;
				if (copy) {
					memcpy(copy, c->latest, len);
					pthread_mutex_unlock(&c->mu);
					thread_send(c, &sa, copy, len, h.host);
					free(copy);
					pthread_mutex_lock(&c->mu);
				}
			}
		}
		if (c->stop)
			break;
		if (c->tcp_pending && c->latest) {
			c->tcp_pending = 0;
			char *copy = malloc(c->latest_len);
			size_t len = c->latest_len;
			struct dest ds[WQI_CATALOG_MAX_HOSTS];
			int nd = c->n;
			memcpy(ds, c->d, sizeof ds);
			if (copy) {
				memcpy(copy, c->latest, len);
				pthread_mutex_unlock(&c->mu);
				for (int i = 0; i < nd; i++)
					if (ds[i].ok)
						thread_send(c, &ds[i].sa, copy, len, ds[i].h.host);
				free(copy);
				pthread_mutex_lock(&c->mu);
			}
			continue;
		}
		uint64_t next = UINT64_MAX;
		for (int i = 0; i < c->n; i++)
			if (c->d[i].next_resolve_us < next)
				next = c->d[i].next_resolve_us;
		now = wqi_mono_us();
		if (next > now) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t wait = next - now;
			if (wait > RESOLVE_EVERY_US)
				wait = RESOLVE_EVERY_US;
			uint64_t ns = (uint64_t)ts.tv_nsec + (wait % 1000000) * 1000;
			ts.tv_sec += (time_t)(wait / 1000000 + ns / 1000000000);
			ts.tv_nsec = (long)(ns % 1000000000);
			pthread_cond_timedwait(&c->cv, &c->mu, &ts);
		}
	}
	release(c); /* unlocks */
	return NULL;
}

struct wqi_catalog *wqi_catalog_create(const char *hosts)
{
	struct wqi_catalog *c = calloc(1, sizeof *c);
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	struct wqi_catalog_host hs[WQI_CATALOG_MAX_HOSTS];
	c->n = wqi_catalog_parse_hosts(hosts, WQI_CATALOG_DEFAULT_PORT, hs, WQI_CATALOG_MAX_HOSTS);
	if (c->n <= 0) {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	for (int i = 0; i < c->n; i++) {
		c->d[i].h = hs[i];
		/* a numeric address needs no look-up: usable at once, from the loop */
		if (inet_pton(AF_INET, hs[i].host, &c->d[i].sa.sin_addr) == 1) {
			c->d[i].sa.sin_family = AF_INET;
			c->d[i].sa.sin_port = htons((uint16_t)hs[i].port);
			c->d[i].ok = 1;
			c->d[i].next_resolve_us = UINT64_MAX;
		}
	}
	c->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	pthread_condattr_t ca;
	int ok = c->udp_fd >= 0 && pthread_condattr_init(&ca) == 0;
	if (ok) {
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		ok = pthread_cond_init(&c->cv, &ca) == 0;
		pthread_condattr_destroy(&ca);
	}
	if (!ok || pthread_mutex_init(&c->mu, NULL) != 0) {
		int e = errno ? errno : ENOMEM;
		if (c->udp_fd >= 0)
			close(c->udp_fd);
		free(c);
		errno = e;
		return NULL;
	}
	c->refs = 2;
	/* the thread takes no signals: they stay with the program's threads */
	sigset_t all, old;
	sigfillset(&all);
	pthread_attr_t at;
	pthread_t th;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&th, &at, thread_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		close(c->udp_fd);
		free(c);
		errno = rc;
		return NULL;
	}
	return c;
}

int wqi_catalog_send(struct wqi_catalog *c, const char *json, size_t n)
{
	char *copy = malloc(n ? n : 1);
	if (!copy)
		return WQ_ENOMEM;
	memcpy(copy, json, n);
	int sent = 0;
	pthread_mutex_lock(&c->mu);
	free(c->latest);
	c->latest = copy;
	c->latest_len = n;
	if (n > WQI_CATALOG_UDP_MAX) {
		c->tcp_pending = 1;
		pthread_cond_signal(&c->cv);
		sent = c->n;
	} else {
		for (int i = 0; i < c->n; i++) {
			if (!c->d[i].ok)
				continue;
			if (sendto(c->udp_fd, json, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&c->d[i].sa,
				   sizeof c->d[i].sa) == (ssize_t)n)
				sent++;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return sent;
}

void wqi_catalog_delete(struct wqi_catalog *c, const char *final_json, size_t n)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	if (final_json && n <= WQI_CATALOG_UDP_MAX)
		for (int i = 0; i < c->n; i++)
			if (c->d[i].ok)
				sendto(c->udp_fd, final_json, n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&c->d[i].sa,
				       sizeof c->d[i].sa);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	release(c); /* unlocks; the thread frees when it leaves */
}

/* ---- the look-up ---- */

/* Wait until fd is ready for ev or the deadline passes: 1 ready, 0 timed out. */
static int wait_fd(int fd, short ev, uint64_t end)
{
	uint64_t now = wqi_mono_us();
	if (now >= end)
		return 0;
	struct pollfd pf = { fd, ev, 0 };
	int r = poll(&pf, 1, (int)((end - now + 999) / 1000));
	return r > 0;
}

int wqi_catalog_query(const char *host, int port, int timeout_ms, struct wqi_buf *body)
{
	uint64_t end = wqi_mono_us() + (uint64_t)timeout_ms * 1000;
	int fd = wqi_net_connect(host, port, timeout_ms);
	if (fd < 0)
		return WQ_ECONNECT;
	struct wqi_buf b = WQI_BUF_INIT;
	int rc = wqi_buf_printf(&b, "GET /query.json HTTP/1.0\r\nHost: %s:%d\r\nAccept: application/json\r\n\r\n", host, port);
	while (rc == 0 && wqi_buf_used(&b) > 0) {
		ssize_t w = send(fd, wqi_buf_head(&b), wqi_buf_used(&b), MSG_NOSIGNAL);
		if (w > 0)
			wqi_buf_consume(&b, (size_t)w);
		else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(fd, POLLOUT, end))
				rc = WQ_ETIMEDOUT;
		} else
			rc = WQ_ECONNECT;
	}
	wqi_buf_clear(&b);
	while (rc == 0) {
		if (wqi_buf_reserve(&b, 65536) < 0) {
			rc = WQ_ENOMEM;
			break;
		}
		ssize_t r = recv(fd, wqi_buf_tail(&b), wqi_buf_avail(&b), 0);
		if (r > 0) {
			wqi_buf_commit(&b, (size_t)r);
			if (wqi_buf_used(&b) > QUERY_MAX)
				rc = WQ_ETOOBIG;
		} else if (r == 0) {
			break;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!wait_fd(fd, POLLIN, end))
				rc = WQ_ETIMEDOUT;
		} else if (errno != EINTR) {
			rc = WQ_ECONNECT;
		}
	}
	close(fd);
	if (rc == 0) {
		/* "HTTP/1.x 200 ...", then the body after the blank line */
		const char *p = wqi_buf_head(&b);
		size_t n = wqi_buf_used(&b);
		const char *sep = n ? memmem(p, n, "\r\n\r\n", 4) : NULL;
		if (n < 12 || strncmp(p, "HTTP/1.", 7) != 0 || strncmp(p + 8, " 200", 4) != 0 || !sep) {
			rc = WQ_EPROTO;
		} else {
			size_t off = (size_t)(sep + 4 - p);
			wqi_buf_clear(body);
			rc = wqi_buf_append(body, p + off, n - off);
		}
	}
	wqi_buf_free(&b);
	return rc;
}

int wqi_catalog_regcomp(regex_t *re, const char *name, char *errbuf, size_t errlen)
{
	size_t n = strlen(name);
	char *pat = malloc(n + 5);
	if (!pat) {
		snprintf(errbuf, errlen, "out of memory");
		return WQ_EINVAL;
	}
	snprintf(pat, n + 5, "^(%s)$", name);
	int rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB);
	free(pat);
	if (rc != 0) {
		regerror(rc, re, errbuf, errlen);
		return WQ_EINVAL;
	}
	return 0;
}

/* Newest first. */
static int by_lastheard(const void *a, const void *b)
{
	const struct wqi_catalog_master *x = a, *y = b;
	return x->lastheardfrom < y->lastheardfrom ? 1 : x->lastheardfrom > y->lastheardfrom ? -1 : 0;
}

int wqi_catalog_pick(const char *json, size_t n, const regex_t *re, struct wqi_catalog_master *out, int max)
{
	int err;
	const char *why;
	struct wqi_json *v = wqi_json_parse(json, n, WQI_JSON_MAX_DEPTH, &err, &why);
	if (!v)
		return WQ_EPROTO;
	if (v->type != WQI_JSON_ARRAY) {
		wqi_json_delete(v);
		return WQ_EPROTO;
	}
	int k = 0;
	for (size_t i = 0; i < v->n && max > 0; i++) {
		const struct wqi_json *o = v->items[i];
		if (o->type != WQI_JSON_OBJECT)
			continue;
		const char *type = wqi_json_get_str(o, "type");
		const char *project = wqi_json_get_str(o, "project");
		const char *name = wqi_json_get_str(o, "name");
		const char *addr = wqi_json_get_str(o, "address");
		const char *state = wqi_json_get_str(o, "state");
		int64_t port, heard = 0;
		if (!type || strcmp(type, "wq_master") != 0 || !project || (state && strcmp(state, "gone") == 0))
			continue;
		if (wqi_json_int(wqi_json_get(o, "port"), 1, 65535, &port) < 0)
			continue;
		wqi_json_int(wqi_json_get(o, "lastheardfrom"), 0, INT64_MAX / 2, &heard);
		if (strlen(project) >= sizeof out[k].project || regexec(re, project, 0, NULL, 0) != 0)
			continue;
		if ((!name || !*name) && (!addr || !*addr))
			continue;
		/* when out is full, a newer master replaces the oldest kept */
		int slot = k;
		if (k == max) {
			slot = 0;
			for (int j = 1; j < k; j++)
				if (out[j].lastheardfrom < out[slot].lastheardfrom)
					slot = j;
			if (out[slot].lastheardfrom >= heard)
				continue;
		} else {
			k++;
		}
		struct wqi_catalog_master *m = &out[slot];
		memset(m, 0, sizeof *m);
		snprintf(m->project, sizeof m->project, "%s", project);
		snprintf(m->name, sizeof m->name, "%s", name && strlen(name) < sizeof m->name ? name : "");
		snprintf(m->address, sizeof m->address, "%s", addr && strlen(addr) < sizeof m->address ? addr : "");
		m->port = (int)port;
		m->lastheardfrom = heard;
	}
	wqi_json_delete(v);
	qsort(out, (size_t)k, sizeof *out, by_lastheard);
	return k;
}
