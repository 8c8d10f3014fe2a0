/*
 * master_status.c - the master's HTTP status answers (docs/status.md).
 *
 * An HTTP client reaches the master's port like a worker; master_io.c
 * tells it apart by its first bytes and hands its request head here. The
 * answer (JSON, HTTP/1.0, Content-Length, Connection: close) is built at
 * once from the master's books into the connection's output queue and
 * flushed by the loop like any other output, so a client that does not
 * read holds nothing up; master_io.c drops it 10 s after its request.
 *
 * Cost: /summary and /workers are O(workers); /tasks and /categories are
 * O(tasks inside the queue), paid only when asked (time_status_msgs).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "link.h"
#include "master.h"
#include "table.h"
#include "util.h"

#define HEAD_MAX 8192            /* bytes of a request head */
#define TASKS_MAX 100000         /* tasks listed by /tasks */

const char *wqi_status_owner(void)
{
	static char owner[256];
	if (!owner[0]) {
		/* the environment first: a passwd look-up may go to the network (NSS) */
		const char *u = getenv("USER");
		if (!u || !*u)
			u = getenv("LOGNAME");
		struct passwd *pw = (!u || !*u) ? getpwuid(getuid()) : NULL;
		if (pw && pw->pw_name)
			u = pw->pw_name;
		snprintf(owner, sizeof owner, "%s", u && *u ? u : "unknown");
	}
	return owner;
}

/* "key":"escaped string", */
static int put_str(struct wqi_buf *b, const char *key, const char *s)
{
	int rc = wqi_buf_printf(b, "\"%s\":", key);
	rc |= wqi_json_write_string(b, s ? s : "", s ? strlen(s) : 0);
	rc |= wqi_buf_append(b, ",", 1);
	return rc;
}

int wqi_status_summary(struct work_queue *q, struct wqi_buf *b)
{
	char *stats = work_queue_get_stats_json(q);
	if (!stats)
		return WQ_ENOMEM;
	size_t n = strlen(stats);
	/* the stats object without its closing brace, then the identity */
	int rc = wqi_buf_append(b, stats, n - 1);
	free(stats);
	rc |= wqi_buf_append(b, ",", 1);
	rc |= put_str(b, "type", "wq_master");
	rc |= put_str(b, "project", q->name);
	rc |= put_str(b, "name", wqi_hostname());
	rc |= put_str(b, "owner", wqi_status_owner());
	rc |= wqi_buf_printf(b, "\"starttime\":%llu,", (unsigned long long)(q->cum.time_when_started / 1000000));
	rc |= put_str(b, "version", work_queue_version());
	b->len--; /* the last comma */
	rc |= wqi_buf_append(b, "}", 1);
	return rc ? WQ_ENOMEM : 0;
}

/* /workers: the connected workers (handshake done). */
static int workers_json(struct work_queue *q, struct wqi_buf *b)
{
	int rc = wqi_buf_append(b, "[", 1);
	int first = 1;
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->workers) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_all);
		if (w->state != WQI_W_READY)
			continue;
		rc |= wqi_buf_append(b, first ? "{" : ",{", first ? 1 : 2);
		first = 0;
		rc |= put_str(b, "id", w->worker_id);
		rc |= put_str(b, "hostname", w->hostname);
		rc |= put_str(b, "address", w->addr);
		rc |= wqi_buf_printf(b,
				     "\"cores\":%lld,\"memory\":%lld,\"disk\":%lld,\"gpus\":%lld,"
				     "\"cores_inuse\":%lld,\"memory_inuse\":%lld,\"disk_inuse\":%lld,\"gpus_inuse\":%lld,"
				     "\"tasks_running\":%d,\"tasks_done\":%lld,\"joined\":%llu,",
				     (long long)w->cores, (long long)w->memory, (long long)w->disk, (long long)w->gpus,
				     (long long)w->u_cores, (long long)w->u_memory, (long long)w->u_disk, (long long)w->u_gpus,
				     w->ntasks, (long long)w->n_results, (unsigned long long)(w->joined_wall_us / 1000000));
		rc |= put_str(b, "state", w->blocked ? "blocked" : w->ntasks ? "busy" : "idle");
		b->len--;
		rc |= wqi_buf_append(b, "}", 1);
	}
	rc |= wqi_buf_append(b, "]", 1);
	return rc ? WQ_ENOMEM : 0;
}

static const char *state_name(work_queue_task_state_t s)
{
	switch (s) {
	case WORK_QUEUE_TASK_READY: return "READY";
	case WORK_QUEUE_TASK_RUNNING: return "RUNNING";
	case WORK_QUEUE_TASK_WAITING_RETRIEVAL: return "WAITING_RETRIEVAL";
	case WORK_QUEUE_TASK_RETRIEVED: return "RETRIEVED";
	default: return "UNKNOWN";
	}
}

static int by_id(const void *a, const void *b)
{
	const struct work_queue_task *x = *(const struct work_queue_task *const *)a;
	const struct work_queue_task *y = *(const struct work_queue_task *const *)b;
	return x->taskid < y->taskid ? -1 : x->taskid > y->taskid;
}

/* /tasks: every task inside the queue, by id, at most TASKS_MAX. */
static int tasks_json(struct work_queue *q, struct wqi_buf *b)
{
	size_t count = wqi_itab_count(&q->tasks), k = 0, pos = 0;
	struct work_queue_task **all = malloc((count ? count : 1) * sizeof *all);
	if (!all)
		return WQ_ENOMEM;
	void *v;
	while (k < count && wqi_itab_next(&q->tasks, &pos, NULL, &v))
		all[k++] = v;
	qsort(all, k, sizeof *all, by_id);
	int rc = wqi_buf_append(b, "[", 1);
	for (size_t i = 0; i < k && i < TASKS_MAX && rc == 0; i++) {
		const struct work_queue_task *t = all[i];
		rc |= wqi_buf_printf(b, "%s{\"taskid\":%llu,", i ? "," : "", (unsigned long long)t->taskid);
		rc |= put_str(b, "state", state_name(t->state));
		rc |= put_str(b, "command", t->command);
		rc |= put_str(b, "tag", t->tag);
		rc |= put_str(b, "category", t->category ? t->category : "default");
		rc |= wqi_buf_printf(b, "\"cores\":%lld,\"memory\":%lld,\"disk\":%lld,\"gpus\":%lld,\"priority\":%.17g,\"try_count\":%lld,",
				     (long long)t->cores, (long long)t->memory, (long long)t->disk, (long long)t->gpus,
				     t->priority, (long long)t->try_count);
		if (t->worker)
			rc |= put_str(b, "host", work_queue_task_get_host(t));
		rc |= wqi_buf_printf(b, "\"submit_time\":%llu,\"dispatch_time\":%llu}", (unsigned long long)t->t_submit,
				     (unsigned long long)t->t_dispatch);
	}
	if (k > TASKS_MAX)
		rc |= wqi_buf_append_str(b, ",{\"truncated\":true}");
	rc |= wqi_buf_append(b, "]", 1);
	free(all);
	return rc ? WQ_ENOMEM : 0;
}

/* Per-category counts gathered for /categories. */
struct cat_count {
	int64_t waiting, running;
};

/* /categories: every category with a task inside or a fast-abort record. */
static int categories_json(struct work_queue *q, struct wqi_buf *b)
{
	struct wqi_stab counts = WQI_STAB_INIT;
	int rc = 0;
	size_t pos = 0;
	void *v;
	const char *name;
	while (rc == 0 && wqi_itab_next(&q->tasks, &pos, NULL, &v)) {
		const struct work_queue_task *t = v;
		const char *cn = t->category ? t->category : "default";
		struct cat_count *c = wqi_stab_get(&counts, cn);
		if (!c) {
			if (!(c = calloc(1, sizeof *c)) || wqi_stab_put(&counts, cn, c)) {
				free(c);
				rc = WQ_ENOMEM;
				break;
			}
		}
		if (t->state == WORK_QUEUE_TASK_READY)
			c->waiting++;
		else if (t->state == WORK_QUEUE_TASK_RUNNING)
			c->running++;
	}
	pos = 0;
	while (rc == 0 && wqi_stab_next(&q->categories, &pos, &name, &v)) {
		if (!wqi_stab_get(&counts, name)) {
			struct cat_count *c = calloc(1, sizeof *c);
			if (!c || wqi_stab_put(&counts, name, c)) {
				free(c);
				rc = WQ_ENOMEM;
			}
		}
	}
	rc |= wqi_buf_append(b, "[", 1);
	int first = 1;
	pos = 0;
	while (wqi_stab_next(&counts, &pos, &name, &v)) {
		struct cat_count *c = v;
		const struct wqi_category *fc = wqi_stab_get(&q->categories, name);
		double m = q->fa_default > 0 ? q->fa_default : 0;
		int64_t done = 0;
		uint64_t avg = 0;
		if (fc) {
			m = fc->multiplier > 0 ? fc->multiplier : fc->multiplier < 0 ? 0 : m;
			done = fc->n_done;
			avg = fc->n_done ? fc->sum_us / (uint64_t)fc->n_done : 0;
		}
		if (rc == 0) {
			rc |= wqi_buf_append_str(b, first ? "{" : ",{");
			first = 0;
			rc |= put_str(b, "category", name);
			rc |= wqi_buf_printf(b, "\"tasks_waiting\":%lld,\"tasks_running\":%lld,\"tasks_done\":%lld,"
					     "\"average_execution_time\":%llu,\"fast_abort\":%.17g}",
					     (long long)c->waiting, (long long)c->running, (long long)done,
					     (unsigned long long)avg, m);
		}
		free(c);
	}
	wqi_stab_free(&counts);
	rc |= wqi_buf_append(b, "]", 1);
	return rc ? WQ_ENOMEM : 0;
}

/* Queue the whole answer: status line, headers, body (unless HEAD). */
static int answer(struct wqi_worker *w, int code, const char *reason, const char *extra, const struct wqi_buf *body, int head_only)
{
	struct wqi_buf *out = wqi_link_out(w->link);
	size_t blen = body ? wqi_buf_used(body) : 0;
	int rc = wqi_buf_printf(out,
				"HTTP/1.0 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
				"Cache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\n%sConnection: close\r\n\r\n",
				code, reason, blen, extra ? extra : "");
	if (rc == 0 && blen && !head_only)
		rc = wqi_buf_append(out, wqi_buf_head(body), blen);
	return rc;
}

/* An error answer with a JSON body {"error": ...}. */
static int error_answer(struct wqi_worker *w, int code, const char *reason, const char *msg, const char *extra, int head_only)
{
	struct wqi_buf b = WQI_BUF_INIT;
	int rc = wqi_buf_printf(&b, "{\"error\":%d,\"message\":", code);
	rc |= wqi_json_write_string(&b, msg, strlen(msg));
	rc |= wqi_buf_append(&b, "}", 1);
	if (rc == 0)
		rc = answer(w, code, reason, extra, &b, head_only);
	wqi_buf_free(&b);
	return rc ? WQ_ENOMEM : 0;
}

/*
 * Answer once the request head is complete (a blank line, or a request
 * line without an HTTP version: HTTP/0.9 style). Only the request line is
 * looked at: METHOD PATH [VERSION]; a query string is ignored.
 */
int wqi_status_http(struct work_queue *q, struct wqi_worker *w)
{
	struct wqi_buf *in = wqi_link_in(w->link);
	const char *p = wqi_buf_head(in);
	size_t n = wqi_buf_used(in);
	const char *eol = n ? memchr(p, '\n', n) : NULL;
	if (!eol) {
		if (n > HEAD_MAX)
			return error_answer(w, 414, "URI Too Long", "request line too long", NULL, 0) < 0 ? WQ_ENOMEM : 1;
		return 0;
	}
	char line[512];
	size_t ll = (size_t)(eol - p);
	if (ll && p[ll - 1] == '\r')
		ll--;
	if (ll >= sizeof line)
		return error_answer(w, 414, "URI Too Long", "request line too long", NULL, 0) < 0 ? WQ_ENOMEM : 1;
	memcpy(line, p, ll);
	line[ll] = 0;
	char method[16] = "", path[400] = "", version[16] = "";
	int fields = sscanf(line, "%15s %399s %15s", method, path, version);
	if (fields >= 3) {
		/* HTTP/1.x: wait for the blank line ending the head */
		if (!memmem(p, n, "\r\n\r\n", 4) && !memmem(p, n, "\n\n", 2)) {
			if (n > HEAD_MAX)
				return error_answer(w, 431, "Request Header Fields Too Large", "request head over 8 KiB", NULL, 0) < 0 ? WQ_ENOMEM : 1;
			return 0;
		}
	}
	int head = strcmp(method, "HEAD") == 0;
	if (fields < 2 || path[0] != '/')
		return error_answer(w, 400, "Bad Request", "malformed request line", NULL, head) < 0 ? WQ_ENOMEM : 1;
	if (!head && strcmp(method, "GET") != 0)
		return error_answer(w, 405, "Method Not Allowed", "only GET and HEAD", "Allow: GET, HEAD\r\n", 0) < 0 ? WQ_ENOMEM : 1;
	char *qs = strchr(path, '?');
	if (qs)
		*qs = 0;
	uint64_t t0 = wqi_mono_us();
	struct wqi_buf body = WQI_BUF_INIT;
	int rc;
	if (strcmp(path, "/summary") == 0 || strcmp(path, "/") == 0)
		rc = wqi_status_summary(q, &body);
	else if (strcmp(path, "/workers") == 0)
		rc = workers_json(q, &body);
	else if (strcmp(path, "/tasks") == 0)
		rc = tasks_json(q, &body);
	else if (strcmp(path, "/categories") == 0)
		rc = categories_json(q, &body);
	else {
		wqi_buf_free(&body);
		char msg[480];
		snprintf(msg, sizeof msg, "no such page: %s (try /summary, /workers, /tasks, /categories)", path);
		return error_answer(w, 404, "Not Found", msg, NULL, head) < 0 ? WQ_ENOMEM : 1;
	}
	if (rc == 0)
		rc = answer(w, 200, "OK", NULL, &body, head);
	wqi_buf_free(&body);
	q->cum.time_status_msgs += wqi_mono_us() - t0;
	return rc < 0 ? WQ_ENOMEM : 1;
}
