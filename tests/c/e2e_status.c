/*
 * e2e_status.c - the master's HTTP status answers (docs/status.md): each
 * path on the master's own port answers valid JSON whose numbers equal the
 * master's own stats, workers and tasks at that moment; an unknown path is
 * a 404 with a JSON body; a client that asks for a big answer and never
 * reads it neither blocks task completion nor stays connected past 10 s.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "json.h"

#define BULK 30000   /* tasks that never fit a worker: a /tasks answer of several MB */

/* GET path from the master q (pumping it meanwhile), parsed; NULL on failure. */
static struct wqi_json *get_json(struct work_queue *q, const char *path, int *status)
{
	char *body = NULL;
	*status = h_http_get(q, work_queue_port(q), path, &body, 10000);
	if (!body)
		return NULL;
	int err;
	const char *why;
	struct wqi_json *v = wqi_json_parse(body, strlen(body), 64, &err, &why);
	if (!v)
		h_note("%s: not JSON (%s): %.200s", path, why, body);
	free(body);
	return v;
}

static int64_t num(const struct wqi_json *o, const char *key)
{
	int64_t v = -999999;
	wqi_json_int(wqi_json_get(o, key), INT64_MIN / 2, INT64_MAX / 2, &v);
	return v;
}

static int running_is(const struct work_queue_stats *s, void *arg)
{
	return s->tasks_running == 4 && s->tasks_waiting == 2 + BULK;
}


int main(void)
{
	h_init("e2e_status", 120);
	const char *dbg = h_path("master.debug");
	work_queue_specify_debug_log(dbg);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "master starts"))
		return h_finish();
	work_queue_specify_name(q, "status \"proj\"");
	h_worker_start(work_queue_port(q), "--cores 2 --memory 1000 --disk 1000");
	h_worker_start(work_queue_port(q), "--cores 2 --memory 1000 --disk 1000");
	H_CHECK(h_wait_workers(q, 2, 20000), "2 workers connect");

	/* 2 quick tasks done, 6 slow ones (4 running, 2 waiting), BULK that never fit */
	for (int i = 0; i < 2; i++) {
		struct work_queue_task *t = work_queue_task_create("echo quick");
		work_queue_task_specify_category(t, "quick");
		work_queue_submit(q, t);
	}
	int got = 0;
	for (int i = 0; i < 2; i++) {
		struct work_queue_task *t = h_next_task(q, 20000);
		got += t && work_queue_task_get_result(t) == 0;
		work_queue_task_delete(t);
	}
	H_CHECK(got == 2, "2 quick tasks done");
	int slow[6];
	for (int i = 0; i < 6; i++) {
		struct work_queue_task *t = work_queue_task_create("sleep 60");
		work_queue_task_specify_category(t, "slow");
		work_queue_task_specify_cores(t, 1);
		slow[i] = work_queue_submit(q, t);
	}
	for (int i = 0; i < BULK; i++) {
		struct work_queue_task *t = work_queue_task_create("echo never runs here: it asks for 100 cores");
		work_queue_task_specify_category(t, "bulk");
		work_queue_task_specify_cores(t, 100);
		work_queue_submit(q, t);
	}
	H_CHECK(h_wait_stats(q, running_is, NULL, 20000), "4 slow tasks run, %d wait", 2 + BULK);

	int st;
	struct work_queue_stats s;
	/* /summary */
	struct wqi_json *v = get_json(q, "/summary", &st);
	work_queue_get_stats(q, &s);
	H_CHECK(st == 200 && v && v->type == WQI_JSON_OBJECT, "/summary: 200 and a JSON object");
	if (v) {
#define SAME(f) H_CHECK(num(v, #f) == (int64_t)s.f, "/summary " #f " = %lld (stats: %lld)", (long long)num(v, #f), (long long)s.f)
		SAME(workers_connected); SAME(workers_init); SAME(workers_busy); SAME(workers_idle);
		SAME(tasks_waiting); SAME(tasks_running); SAME(tasks_on_workers); SAME(tasks_with_results);
		SAME(tasks_submitted); SAME(tasks_dispatched); SAME(tasks_done); SAME(workers_joined);
		SAME(total_cores); SAME(committed_cores); SAME(total_memory); SAME(committed_memory); SAME(port);
#undef SAME
		H_CHECK(wqi_json_get_str(v, "project") && strcmp(wqi_json_get_str(v, "project"), "status \"proj\"") == 0,
			"/summary project is the queue's name (quotes escaped properly)");
		H_CHECK(wqi_json_get_str(v, "owner") && *wqi_json_get_str(v, "owner"), "/summary has an owner");
		H_CHECK(wqi_json_get_str(v, "name") && *wqi_json_get_str(v, "name"), "/summary has the host name");
		H_CHECK(wqi_json_get_str(v, "version") && strcmp(wqi_json_get_str(v, "version"), work_queue_version()) == 0, "/summary has the version");
		int64_t start = num(v, "starttime");
		H_CHECK(start > 0 && (uint64_t)start <= h_now_us() / 1000000 && (uint64_t)start + 120 > h_now_us() / 1000000,
			"/summary starttime is when the master started (%lld)", (long long)start);
	}
	wqi_json_delete(v);

	/* /workers */
	v = get_json(q, "/workers", &st);
	H_CHECK(st == 200 && v && v->type == WQI_JSON_ARRAY && v->n == 2, "/workers: an array of the 2 workers");
	if (v && v->type == WQI_JSON_ARRAY) {
		int64_t cores = 0, inuse = 0, running = 0, done = 0, ok = 1;
		for (size_t i = 0; i < v->n; i++) {
			const struct wqi_json *w = v->items[i];
			cores += num(w, "cores");
			inuse += num(w, "cores_inuse");
			running += num(w, "tasks_running");
			done += num(w, "tasks_done");
			ok &= wqi_json_get_str(w, "address") && strstr(wqi_json_get_str(w, "address"), "127.0.0.1:") != NULL;
			ok &= wqi_json_get_str(w, "id") && *wqi_json_get_str(w, "id");
			ok &= num(w, "memory") == 1000 && num(w, "joined") > 0;
			ok &= wqi_json_get_str(w, "state") && strcmp(wqi_json_get_str(w, "state"), "busy") == 0;
		}
		H_CHECK(cores == s.total_cores && inuse == s.committed_cores, "/workers cores %lld/%lld in use = stats", (long long)inuse, (long long)cores);
		H_CHECK(running == 4 && done == 2, "/workers: 4 tasks running, 2 done (%lld, %lld)", (long long)running, (long long)done);
		H_CHECK(ok, "/workers: each has an id, address, memory, joined time and state busy");
	}
	wqi_json_delete(v);

	/* /tasks */
	v = get_json(q, "/tasks", &st);
	H_CHECK(st == 200 && v && v->type == WQI_JSON_ARRAY && v->n == (size_t)(6 + BULK), "/tasks: one element per task inside (%zu)",
		v && v->type == WQI_JSON_ARRAY ? v->n : 0);
	if (v && v->type == WQI_JSON_ARRAY) {
		int nrun = 0, nready = 0, hosts = 0, ok = 1;
		for (size_t i = 0; i < v->n; i++) {
			const struct wqi_json *t = v->items[i];
			const char *state = wqi_json_get_str(t, "state");
			if (state && strcmp(state, "RUNNING") == 0) {
				nrun++;
				hosts += wqi_json_get_str(t, "host") != NULL;
				ok &= num(t, "dispatch_time") > 0 && num(t, "try_count") == 1;
			} else if (state && strcmp(state, "READY") == 0) {
				nready++;
			}
			ok &= num(t, "submit_time") > 0 && wqi_json_get_str(t, "command") != NULL;
		}
		H_CHECK(nrun == s.tasks_running && nready == s.tasks_waiting, "/tasks: %d RUNNING, %d READY = stats", nrun, nready);
		H_CHECK(hosts == nrun && ok, "/tasks: running tasks name their host; times and commands present");
		H_CHECK(num(v->items[0], "taskid") == slow[0] && wqi_json_get_str(v->items[0], "command") &&
			strcmp(wqi_json_get_str(v->items[0], "command"), "sleep 60") == 0, "/tasks in id order, first the first slow task");
	}
	wqi_json_delete(v);

	/* /categories */
	v = get_json(q, "/categories", &st);
	H_CHECK(st == 200 && v && v->type == WQI_JSON_ARRAY, "/categories: an array");
	int seen = 0;
	for (size_t i = 0; v && v->type == WQI_JSON_ARRAY && i < v->n; i++) {
		const struct wqi_json *c = v->items[i];
		const char *name = wqi_json_get_str(c, "category");
		if (name && strcmp(name, "slow") == 0)
			seen += H_CHECK(num(c, "tasks_waiting") == 2 && num(c, "tasks_running") == 4, "/categories slow: 2 waiting, 4 running");
		if (name && strcmp(name, "quick") == 0)
			seen += H_CHECK(num(c, "tasks_done") == 2 && num(c, "average_execution_time") > 0, "/categories quick: 2 done, with an average time");
		if (name && strcmp(name, "bulk") == 0)
			seen += H_CHECK(num(c, "tasks_waiting") == BULK, "/categories bulk: %d waiting", BULK);
	}
	H_CHECK(seen == 3, "/categories lists slow, quick and bulk");
	wqi_json_delete(v);

	/* unknown path */
	v = get_json(q, "/nothing-here", &st);
	H_CHECK(st == 404 && v && v->type == WQI_JSON_OBJECT && wqi_json_get(v, "error"), "an unknown path: 404 with a JSON error");
	wqi_json_delete(v);

	/* a client that asks for /tasks (several MB) and never reads */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)work_queue_port(q)), .sin_addr = { htonl(INADDR_LOOPBACK) } };
	int c = connect(fd, (struct sockaddr *)&a, sizeof a);
	const char req[] = "GET /tasks HTTP/1.0\r\n\r\n";
	H_CHECK(c == 0 && write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1), "a stalled client asks for /tasks");
	h_pump(q, 300);
	uint64_t t0 = h_mono_ms();
	for (int i = 0; i < 6; i++) {
		struct work_queue_task *t = work_queue_cancel_by_taskid(q, slow[i]);
		work_queue_task_delete(t);
	}
	struct work_queue_task *t = work_queue_task_create("echo after");
	work_queue_task_specify_priority(t, 10); /* ahead of the bulk tasks that fit nowhere */
	work_queue_submit(q, t);
	t = h_next_task(q, 8000);
	H_CHECK(t && work_queue_task_get_result(t) == 0 && h_mono_ms() - t0 < 8000,
		"a task completes while the stalled client holds its answer (%llu ms)", (unsigned long long)(h_mono_ms() - t0));
	work_queue_task_delete(t);
	h_pump(q, 11000);
	size_t len = 0;
	char *log = h_read_file(dbg, &len);
	H_CHECK(log && strstr(log, "status client did not take its answer within 10 s"), "the stalled client is dropped after 10 s");
	free(log);
	close(fd);
	work_queue_delete(q);
	return h_finish();
}
