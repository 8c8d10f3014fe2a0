/*
 * e2e_catalog.c - the real wq_catalog_server ($WQ_CATALOG_SERVER, default
 * build/wq_catalog_server) end to end: advertisements over UDP and TCP show
 * in /query.json, the project filter, "state":"gone", expiry, garbage of
 * every kind (it keeps serving and counts the drops), slow clients, the save
 * file across a restart, the dashboard page, and option errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "json.h"

struct server {
	pid_t pid;  /* 0 once reaped */
	int port;   /* its port */
};

static const char *server_path(void)
{
	const char *p = getenv("WQ_CATALOG_SERVER");
	return p && *p ? p : "build/wq_catalog_server";
}

/* Start the server with h_catalog_start (port 0, its port read from its
 * first line of stdout) and up to 4 extra arguments (NULL for the unused;
 * none may hold a space). 0 on success. */
static int server_start(struct server *s, const char *a1, const char *a2, const char *a3, const char *a4)
{
	char extra[1024];
	int n = snprintf(extra, sizeof extra, "%s %s %s %s", a1 ? a1 : "", a2 ? a2 : "", a3 ? a3 : "", a4 ? a4 : "");
	if (n < 0 || (size_t)n >= sizeof extra)
		return -1;
	s->port = 0;
	pid_t pid = h_catalog_start(&s->port, extra);
	s->pid = pid > 0 ? pid : 0;
	return pid > 0 ? 0 : -1;
}

/* Send sig and wait up to 5 s for the exit; the wait status, or -1. */
static int server_stop(struct server *s, int sig)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, sig);
	for (int i = 0; i < 500; i++) {
		int st;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			return st;
		}
		h_sleep_ms(10);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
	return -1;
}

static void set_timeout(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until EOF (or the timeout); malloc'd, NUL-terminated. */
static char *recv_all(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	for (;;) {
		if (n + 1024 > cap)
			b = realloc(b, cap *= 2);
		ssize_t r = recv(fd, b + n, cap - n - 1, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	b[n] = 0;
	if (len)
		*len = n;
	return b;
}

/* Send raw bytes as a request and return the whole answer (malloc'd), or NULL. */
static char *raw_request(int port, const char *req, size_t n)
{
	int fd = h_connect(port);
	if (fd < 0)
		return NULL;
	set_timeout(fd, 5000);
	char *out = NULL;
	if (send_all(fd, req, n) == 0)
		out = recv_all(fd, NULL);
	close(fd);
	return out;
}

/* GET path: the body (malloc'd) and *status, or NULL. */
static char *http_get(int port, const char *path, int *status)
{
	char req[1024];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
	char *resp = raw_request(port, req, (size_t)n);
	*status = 0;
	if (!resp)
		return NULL;
	sscanf(resp, "HTTP/1.%*d %d", status);
	char *body = strstr(resp, "\r\n\r\n");
	char *out = strdup(body ? body + 4 : "");
	free(resp);
	return out;
}

static void udp_send(int port, const void *p, size_t n)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof a);
	close(fd);
}

static void tcp_send(int port, const void *p, size_t n)
{
	int fd = h_connect(port);
	if (fd < 0)
		return;
	set_timeout(fd, 5000);
	send_all(fd, p, n);
	shutdown(fd, SHUT_WR);
	char buf[256];
	while (recv(fd, buf, sizeof buf, 0) > 0)
		;
	close(fd);
}

/* A counter of /stats.json, or -1. */
static long long stat_of(int port, const char *name)
{
	int st;
	char *body = http_get(port, "/stats.json", &st);
	long long v = -1;
	struct wqi_json *j = body ? wqi_json_parse(body, strlen(body), 8, NULL, NULL) : NULL;
	int64_t x;
	if (j && wqi_json_int(wqi_json_get(j, name), 0, INT64_MAX, &x) == 0)
		v = x;
	wqi_json_delete(j);
	free(body);
	return v;
}

/* Condition for h_wait_until: /query.json (with an optional query) contains / lacks a string. */
struct query_cond {
	int port;
	const char *path;     /* "/query.json" or with ?project= */
	const char *needle;   /* the string looked for */
	int want;             /* 1 = present, 0 = absent */
};

static int query_has(void *arg)
{
	struct query_cond *q = arg;
	int st;
	char *body = http_get(q->port, q->path, &st);
	int has = body && st == 200 && strstr(body, q->needle) != NULL;
	int ok = body && st == 200 && has == q->want;
	free(body);
	return ok;
}

static int wait_query(int port, const char *path, const char *needle, int want, int ms)
{
	struct query_cond q = { port, path, needle, want };
	return h_wait_until(query_has, &q, ms);
}

static const char *advert(char *buf, size_t n, const char *project, const char *name, int port, const char *extra)
{
	snprintf(buf, n,
		"{\"type\":\"wq_master\",\"project\":\"%s\",\"name\":\"%s\",\"port\":%d,\"owner\":\"tester\","
		"\"starttime\":1700000000,\"workers\":2,\"tasks_waiting\":3,\"tasks_running\":4,\"tasks_complete\":5%s}",
		project, name, port, extra ? extra : "");
	return buf;
}

static void test_updates_and_queries(struct server *s)
{
	char a[1024];
	advert(a, sizeof a, "udp-proj", "hostu", 9001, ",\"extra\":{\"x\":[1,2]}");
	udp_send(s->port, a, strlen(a));
	H_CHECK(wait_query(s->port, "/query.json", "\"udp-proj\"", 1, 5000), "a UDP advertisement shows in /query.json");
	advert(a, sizeof a, "tcp-proj", "hostt", 9002, NULL);
	tcp_send(s->port, a, strlen(a));
	H_CHECK(wait_query(s->port, "/query.json", "\"tcp-proj\"", 1, 5000), "a TCP advertisement shows in /query.json");

	int st;
	char *body = http_get(s->port, "/query.json", &st);
	struct wqi_json *j = body ? wqi_json_parse(body, strlen(body), 16, NULL, NULL) : NULL;
	H_CHECK(st == 200 && j && j->type == WQI_JSON_ARRAY && j->n == 2, "/query.json is a JSON array of 2 records");
	int fields_ok = j && j->n == 2;
	for (size_t i = 0; j && i < j->n; i++) {
		int64_t t;
		fields_ok &= wqi_json_int(wqi_json_get(j->items[i], "lastheardfrom"), 1, INT64_MAX, &t) == 0;
		fields_ok &= wqi_json_get_str(j->items[i], "address") && strcmp(wqi_json_get_str(j->items[i], "address"), "127.0.0.1") == 0;
		fields_ok &= wqi_json_get_str(j->items[i], "owner") != NULL;
	}
	H_CHECK(fields_ok, "each record has lastheardfrom, address 127.0.0.1 and the master's fields");
	H_CHECK(body && strstr(body, "\"extra\":{\"x\":[1,2]}"), "unknown fields pass through");
	wqi_json_delete(j);
	free(body);

	body = http_get(s->port, "/query.json?project=udp-proj", &st);
	H_CHECK(st == 200 && body && strstr(body, "udp-proj") && !strstr(body, "tcp-proj"), "?project= filters exactly");
	free(body);
	body = http_get(s->port, "/query.json?project=udp", &st);
	H_CHECK(st == 200 && body && !strstr(body, "udp-proj"), "?project= is not a prefix match");
	free(body);

	/* newest wins: the same master again with other counts */
	advert(a, sizeof a, "udp-proj", "hostu", 9001, ",\"tasks_complete\":77");
	udp_send(s->port, a, strlen(a));
	H_CHECK(wait_query(s->port, "/query.json?project=udp-proj", "\"tasks_complete\":77", 1, 5000),
		"a newer advertisement replaces the record");
	body = http_get(s->port, "/query.json", &st);
	j = body ? wqi_json_parse(body, strlen(body), 16, NULL, NULL) : NULL;
	H_CHECK(j && j->n == 2, "still one record per master");
	wqi_json_delete(j);
	free(body);

	/* gone */
	advert(a, sizeof a, "tcp-proj", "hostt", 9002, ",\"state\":\"gone\"");
	tcp_send(s->port, a, strlen(a));
	H_CHECK(wait_query(s->port, "/query.json", "tcp-proj", 0, 2000), "\"state\":\"gone\" removes the master at once");
	H_CHECK(stat_of(s->port, "gone") == 1, "stats.json counts it as gone");
}

static void test_garbage(struct server *s)
{
	long long mal0 = stat_of(s->port, "dropped_malformed"), big0 = stat_of(s->port, "dropped_oversized");
	long long err0 = stat_of(s->port, "http_errors");
	unsigned seed = 42;
	char junk[2048];
	/* UDP: random datagrams, an empty one, valid JSON without the required fields */
	for (int i = 0; i < 50; i++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof junk);
		for (size_t k = 0; k < n; k++)
			junk[k] = (char)rand_r(&seed);
		udp_send(s->port, junk, n);
	}
	udp_send(s->port, "", 0);
	udp_send(s->port, "{\"type\":\"wq_master\",\"port\":1}", 29);
	udp_send(s->port, "{\"type\":\"wq_master\",\"project\":\"p\",\"port\":\"9\"}", 45);
	/* TCP: random bytes, a truncated object, a bad object, an oversized one */
	for (int i = 0; i < 10; i++) {
		for (size_t k = 0; k < 512; k++)
			junk[k] = (char)rand_r(&seed);
		junk[0] = (char)(0x80 | i); /* neither '{' nor a letter */
		tcp_send(s->port, junk, 512);
	}
	tcp_send(s->port, "{\"type\":\"wq_master\",\"proj", 25);
	tcp_send(s->port, "{\"type\":}", 9);
	size_t bign = 70 << 10;
	char *big = malloc(bign);
	memset(big, ' ', bign);
	big[0] = '{';
	tcp_send(s->port, big, bign);
	udp_send(s->port, big, 65000); /* a big datagram that is not JSON */
	free(big);
	H_CHECK(stat_of(s->port, "dropped_malformed") >= mal0 + 50 + 3 + 10 + 2 + 1, "malformed UDP and TCP updates are counted");
	H_CHECK(stat_of(s->port, "dropped_oversized") == big0 + 1, "an oversized TCP update is counted");

	/* HTTP: garbage request lines, a huge head, a half request, other methods */
	char *r = raw_request(s->port, "GARBAGE\r\n\r\n", 11);
	H_CHECK(r && strncmp(r, "HTTP/1.0 400", 12) == 0, "a bad request line gets 400");
	free(r);
	r = raw_request(s->port, "POST /query.json HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", 53);
	H_CHECK(r && strncmp(r, "HTTP/1.0 405", 12) == 0, "POST gets 405 (and the body does not lose the answer)");
	free(r);
	char head[12000];
	int n = snprintf(head, sizeof head, "GET / HTTP/1.0\r\nX-Junk: ");
	memset(head + n, 'x', sizeof head - (size_t)n);
	r = raw_request(s->port, head, sizeof head);
	H_CHECK(r && strncmp(r, "HTTP/1.0 431", 12) == 0, "a request head over 8 KiB gets 431");
	free(r);
	int st;
	char *body = http_get(s->port, "/no/such/page", &st);
	H_CHECK(st == 404, "an unknown path gets 404");
	free(body);
	int fd = h_connect(s->port);
	send_all(fd, "GET /query.json HTT", 19);
	close(fd);
	H_CHECK(stat_of(s->port, "http_errors") >= err0 + 4, "HTTP errors are counted");

	/* received = accepted + dropped */
	long long rec = stat_of(s->port, "received"), acc = stat_of(s->port, "accepted");
	long long mal = stat_of(s->port, "dropped_malformed"), big1 = stat_of(s->port, "dropped_oversized");
	H_CHECK(rec == acc + mal + big1, "received (%lld) = accepted + dropped (%lld + %lld + %lld)", rec, acc, mal, big1);
	H_CHECK(wait_query(s->port, "/query.json", "udp-proj", 1, 2000), "it still serves the good records");
}

static int conn_closed_by_server(void *arg)
{
	int fd = *(int *)arg;
	char c;
	ssize_t r = recv(fd, &c, 1, MSG_DONTWAIT);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void test_slow_clients(struct server *s)
{
	/* slow clients hold connections: others are served meanwhile */
	int fds[40];
	for (int i = 0; i < 40; i++) {
		fds[i] = h_connect(s->port);
		if (i % 2 == 0)
			send_all(fds[i], "GET /query.json HTTP/1.0\r\nHost:", 31);  /* a half request */
		else if (i % 4 == 1)
			send_all(fds[i], "{\"type\":\"wq_master\"", 19);              /* a half update */
	}
	uint64_t t0 = h_mono_ms();
	int st;
	char *body = http_get(s->port, "/query.json", &st);
	H_CHECK(st == 200 && h_mono_ms() - t0 < 1000, "40 stalled connections do not delay a query (%d ms)", (int)(h_mono_ms() - t0));
	free(body);
	long long to0 = stat_of(s->port, "connections_timed_out");
	int all_closed = 1;
	for (int i = 0; i < 40; i++) {
		all_closed &= h_wait_until(conn_closed_by_server, &fds[i], 5000);
		close(fds[i]);
	}
	H_CHECK(all_closed, "stalled connections are closed after the idle timeout");
	H_CHECK(stat_of(s->port, "connections_timed_out") >= to0 + 40 - 1, "timed-out connections are counted");
}

static void test_dashboard(struct server *s)
{
	int st;
	char *body = http_get(s->port, "/", &st);
	H_CHECK(st == 200 && body && strstr(body, "<html"), "GET / serves the dashboard");
	H_CHECK(body && strstr(body, "fetch('/query.json'"), "the dashboard fetches /query.json");
	H_CHECK(body && strstr(body, "setTimeout(refresh") && strstr(body, "createElementNS(SVGNS"),
		"it refreshes itself and draws SVG charts");
	H_CHECK(body && !strstr(body, "<script src") && !strstr(body, "<link") && !strstr(body, "cdn"),
		"no external scripts or styles");
	free(body);
	char *r = raw_request(s->port, "HEAD /query.json HTTP/1.0\r\n\r\n", 29);
	H_CHECK(r && strncmp(r, "HTTP/1.0 200", 12) == 0 && strstr(r, "\r\n\r\n") && strstr(r, "\r\n\r\n")[4] == 0,
		"HEAD answers without a body");
	free(r);
}

static int expired_cond(void *arg)
{
	return stat_of(*(int *)arg, "expired") >= 1;
}

static void test_expiry(void)
{
	struct server s;
	H_CHECK(server_start(&s, "--lifetime", "1", NULL, NULL) == 0, "a server with --lifetime 1 starts");
	char a[1024];
	advert(a, sizeof a, "short", "hosts", 9100, NULL);
	udp_send(s.port, a, strlen(a));
	H_CHECK(wait_query(s.port, "/query.json", "\"short\"", 1, 3000), "the record appears");
	H_CHECK(wait_query(s.port, "/query.json", "\"short\"", 0, 5000), "and expires after about a second of silence");
	H_CHECK(h_wait_until(expired_cond, &s.port, 2000), "stats.json counts it as expired");
	H_CHECK(WIFEXITED(server_stop(&s, SIGTERM)), "SIGTERM stops it cleanly");
}

static void test_save_restart(void)
{
	const char *file = h_path("catalog.save");
	struct server s;
	H_CHECK(server_start(&s, "--save", file, NULL, NULL) == 0, "a server with --save starts");
	char a[1024];
	advert(a, sizeof a, "saved1", "h1", 9201, NULL);
	udp_send(s.port, a, strlen(a));
	advert(a, sizeof a, "saved2", "h2", 9202, ",\"note\":\"caf\\u00e9 \\\"q\\\"\"");
	tcp_send(s.port, a, strlen(a));
	H_CHECK(wait_query(s.port, "/query.json", "saved2", 1, 3000) && wait_query(s.port, "/query.json", "saved1", 1, 3000),
		"two records");
	int st = server_stop(&s, SIGTERM);
	H_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM: exit 0");
	size_t len = 0;
	char *text = h_read_file(file, &len);
	H_CHECK(text && strstr(text, "saved1") && strstr(text, "saved2"), "the save file holds both records");
	free(text);
	/* add a stale and a broken line by hand: both are skipped */
	char extra[512];
	int n = snprintf(extra, sizeof extra,
		"{\"type\":\"wq_master\",\"project\":\"stale\",\"port\":1,\"lastheardfrom\":1000,\"address\":\"1.2.3.4\"}\n"
		"this is not json\n");
	FILE *f = fopen(file, "a");
	fwrite(extra, 1, (size_t)n, f);
	fclose(f);
	H_CHECK(server_start(&s, "--save", file, NULL, NULL) == 0, "it restarts with the same file");
	H_CHECK(wait_query(s.port, "/query.json", "saved1", 1, 100) && wait_query(s.port, "/query.json", "saved2", 1, 100),
		"the records are back as soon as it listens");
	H_CHECK(wait_query(s.port, "/query.json", "caf\xc3\xa9 \\\"q\\\"", 1, 100), "strings survive the round trip");
	H_CHECK(wait_query(s.port, "/query.json", "stale", 0, 100), "an expired saved record is not reloaded");
	st = server_stop(&s, SIGINT);
	H_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGINT: exit 0");
}

static void test_max_connections(void)
{
	struct server s;
	H_CHECK(server_start(&s, "--max-connections", "2", NULL, NULL) == 0, "a server with --max-connections 2 starts");
	int a = h_connect(s.port), b = h_connect(s.port);
	h_sleep_ms(200);
	int c = h_connect(s.port);
	H_CHECK(h_wait_until(conn_closed_by_server, &c, 3000), "a third connection is closed at once");
	close(a);
	close(b);
	close(c);
	h_sleep_ms(200);
	H_CHECK(stat_of(s.port, "connections_refused") == 1, "and counted as refused; the server still answers");
	server_stop(&s, SIGTERM);
}

/* Run the binary with args; its exit status (-1 if it did not exit). */
static int run_status(const char *a1, const char *a2)
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		alarm(0);
		execl(server_path(), server_path(), a1, a2, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_options(void)
{
	H_CHECK(run_status("--help", NULL) == 0, "--help exits 0");
	H_CHECK(run_status("--version", NULL) == 0, "--version exits 0");
	H_CHECK(run_status("--lifetime", "0") == 1, "--lifetime 0 is refused");
	H_CHECK(run_status("--port", "70000") == 1, "--port 70000 is refused");
	H_CHECK(run_status("--max-records", "x") == 1, "--max-records x is refused");
	H_CHECK(run_status("--frobnicate", NULL) == 1, "an unknown option is refused");
}

int main(void)
{
	h_init("catalog", 110);
	struct server s;
	if (!H_CHECK(server_start(&s, "--idle-timeout", "1", NULL, NULL) == 0, "wq_catalog_server starts on a free port"))
		return h_finish();
	h_note("catalog on port %d", s.port);
	test_updates_and_queries(&s);
	test_garbage(&s);
	test_slow_clients(&s);
	test_dashboard(&s);
	H_CHECK(stat_of(s.port, "records") == 1, "it is still serving after everything");
	H_CHECK(server_stop(&s, SIGTERM) == 0, "and exits 0 on SIGTERM");
	test_expiry();
	test_save_restart();
	test_max_connections();
	test_options();
	return h_finish();
}
