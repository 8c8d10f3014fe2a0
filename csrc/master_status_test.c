/*
 * master_status_test.c - the status answers without a network: a queue
 * with no sockets, a connection whose request head is put straight into
 * its input buffer, and the answer read back from its output queue. Also
 * the transactions log's word escaping.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json.h"
#include "link.h"
#include "master.h"
#include "testing.h"

struct fixture {
	struct work_queue q;
	struct wqi_worker *w;
	int peer;
};

static void setup(struct fixture *f, const char *name)
{
	wqi_master_init(&f->q);
	f->q.name = name ? strdup(name) : NULL;
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	f->peer = sv[1];
	f->w = wqi_worker_new(&f->q);
	f->w->link = wqi_link_create(sv[0]);
	f->w->state = WQI_W_HTTP;
}

static void teardown(struct fixture *f)
{
	wqi_dispatch_worker_gone(&f->q, f->w);
	wqi_link_delete(f->w->link);
	wqi_worker_free(f->w);
	close(f->peer);
	wqi_master_free_state(&f->q);
	free(f->q.name);
}

/* Feed text as the request so far; the return of wqi_status_http. */
static int feed(struct fixture *f, const char *text)
{
	wqi_buf_append_str(wqi_link_in(f->w->link), text);
	return wqi_status_http(&f->q, f->w);
}

/* The queued answer as a string (static storage). */
static const char *answer(struct fixture *f)
{
	static char out[65536];
	struct wqi_buf *b = wqi_link_out(f->w->link);
	size_t n = wqi_buf_used(b) < sizeof out - 1 ? wqi_buf_used(b) : sizeof out - 1;
	memcpy(out, wqi_buf_head(b), n);
	out[n] = 0;
	return out;
}

/* The body of the answer parsed as JSON (caller deletes), NULL if none. */
static struct wqi_json *body_json(struct fixture *f)
{
	const char *a = answer(f);
	const char *b = strstr(a, "\r\n\r\n");
	int err;
	const char *why;
	return b ? wqi_json_parse(b + 4, strlen(b + 4), 64, &err, &why) : NULL;
}

static void test_summary(void)
{
	struct fixture f;
	setup(&f, "a \"quoted\" <name>\n");
	CHECK_EQ_INT(feed(&f, "GET /summary HTTP/1.1\r\nHost: x\r\n"), 0); /* head not complete */
	CHECK_EQ_INT(feed(&f, "\r\n"), 1);
	const char *a = answer(&f);
	CHECK(strncmp(a, "HTTP/1.0 200 OK\r\n", 17) == 0);
	CHECK(strstr(a, "Content-Type: application/json\r\n") != NULL);
	CHECK(strstr(a, "Connection: close\r\n") != NULL);
	const char *body = strstr(a, "\r\n\r\n");
	char cl[64];
	snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", body ? strlen(body + 4) : 0);
	CHECK(strstr(a, cl) != NULL);
	struct wqi_json *v = body_json(&f);
	CHECK(v && v->type == WQI_JSON_OBJECT);
	CHECK_EQ_STR(wqi_json_get_str(v, "project"), "a \"quoted\" <name>\n");
	CHECK_EQ_STR(wqi_json_get_str(v, "type"), "wq_master");
	int64_t x = -1;
	CHECK(wqi_json_int(wqi_json_get(v, "tasks_waiting"), 0, 10, &x) == 0 && x == 0);
	CHECK(wqi_json_get(v, "starttime") && wqi_json_get(v, "owner") && wqi_json_get(v, "version"));
	wqi_json_delete(v);
	teardown(&f);
}

static void test_tasks_and_categories(void)
{
	struct fixture f;
	setup(&f, NULL);
	for (int i = 0; i < 3; i++) {
		struct work_queue_task *t = work_queue_task_create("echo \"x\"");
		work_queue_task_specify_category(t, i ? "two" : "one");
		CHECK(wqi_dispatch_submit(&f.q, t) == i + 1);
	}
	CHECK_EQ_INT(feed(&f, "GET /tasks?x=1 HTTP/1.0\r\n\r\n"), 1);
	struct wqi_json *v = body_json(&f);
	CHECK(v && v->type == WQI_JSON_ARRAY && v->n == 3);
	if (v && v->n == 3) {
		CHECK_EQ_STR(wqi_json_get_str(v->items[0], "state"), "READY");
		CHECK_EQ_STR(wqi_json_get_str(v->items[0], "command"), "echo \"x\"");
		CHECK(wqi_json_get(v->items[0], "host") == NULL);
	}
	wqi_json_delete(v);
	wqi_buf_clear(wqi_link_out(f.w->link));
	wqi_buf_clear(wqi_link_in(f.w->link));
	CHECK_EQ_INT(feed(&f, "GET /categories HTTP/1.0\r\n\r\n"), 1);
	v = body_json(&f);
	CHECK(v && v->type == WQI_JSON_ARRAY && v->n == 2);
	int64_t waiting = 0;
	for (size_t i = 0; v && i < v->n; i++) {
		int64_t x = 0;
		wqi_json_int(wqi_json_get(v->items[i], "tasks_waiting"), 0, 10, &x);
		waiting += x;
	}
	CHECK_EQ_INT(waiting, 3);
	wqi_json_delete(v);
	teardown(&f);
}

static void test_errors(void)
{
	struct fixture f;
	setup(&f, NULL);
	CHECK_EQ_INT(feed(&f, "GET /nope HTTP/1.0\r\n\r\n"), 1);
	CHECK(strncmp(answer(&f), "HTTP/1.0 404 ", 13) == 0);
	struct wqi_json *v = body_json(&f);
	CHECK(v && wqi_json_get(v, "error"));
	wqi_json_delete(v);
	teardown(&f);

	setup(&f, NULL);
	CHECK_EQ_INT(feed(&f, "POST /summary HTTP/1.0\r\n\r\n"), 1);
	CHECK(strncmp(answer(&f), "HTTP/1.0 405 ", 13) == 0);
	CHECK(strstr(answer(&f), "Allow: GET, HEAD\r\n") != NULL);
	teardown(&f);

	setup(&f, NULL);
	CHECK_EQ_INT(feed(&f, "HEAD /workers HTTP/1.0\r\n\r\n"), 1);
	CHECK(strncmp(answer(&f), "HTTP/1.0 200 ", 13) == 0);
	CHECK(strstr(answer(&f), "Content-Length: 2\r\n") != NULL);
	CHECK(strlen(strstr(answer(&f), "\r\n\r\n")) == 4); /* no body */
	teardown(&f);

	setup(&f, NULL);
	char big[9000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK_EQ_INT(feed(&f, "GET /summary HTTP/1.0\r\nX: "), 0);
	CHECK_EQ_INT(feed(&f, big), 1);
	CHECK(strncmp(answer(&f), "HTTP/1.0 431 ", 13) == 0);
	teardown(&f);

	setup(&f, NULL);
	CHECK_EQ_INT(feed(&f, "GET nope\r\n"), 1);
	CHECK(strncmp(answer(&f), "HTTP/1.0 400 ", 13) == 0);
	teardown(&f);
}

static void test_log_word(void)
{
	char out[64];
	CHECK_EQ_STR(wqi_log_word("plain", out, sizeof out), "plain");
	CHECK_EQ_STR(wqi_log_word("a b%c\td", out, sizeof out), "a%20b%25c%09d");
	CHECK_EQ_STR(wqi_log_word("", out, sizeof out), "");
	CHECK(strlen(wqi_log_word("                    ", out, 10)) < 10);
}

static const struct wqi_test tests[] = {
	TEST(test_summary),
	TEST(test_tasks_and_categories),
	TEST(test_errors),
	TEST(test_log_word),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
