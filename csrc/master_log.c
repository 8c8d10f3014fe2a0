/*
 * master_log.c - the master's two logs (docs/logs.md): the performance log
 * (a line of stats at open, each second in which something changed and
 * every 5 s otherwise inside wait(), at close) and the
 * transactions log (one line per task and worker event).
 *
 * Both are stdio files in line-buffered mode, appended from the master's
 * loop: a line is one write(2) to a local file, the price of not losing
 * lines at a crash; no fsync. When no log is open every hook returns at
 * its first test, so the cost on the dispatch path is one branch.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debug.h"
#include "master.h"
#include "util.h"

#define PERF_CHECK_US (1ULL * 1000000)  /* a performance line each second with a change */
#define PERF_EVERY_US (5ULL * 1000000)  /* and at least every 5 s */

/* The columns of the performance log, in order (docs/logs.md). */
#define PERF_COLUMNS                                                                                   \
	C(workers_connected) C(workers_init) C(workers_idle) C(workers_busy) C(workers_joined)          \
	C(workers_removed) C(workers_lost) C(workers_fast_aborted) C(tasks_waiting) C(tasks_on_workers) \
	C(tasks_running) C(tasks_with_results) C(tasks_submitted) C(tasks_dispatched) C(tasks_done)     \
	C(tasks_failed) C(tasks_cancelled) C(tasks_fast_aborted) C(tasks_lost) C(bytes_sent)            \
	C(bytes_received) C(total_cores) C(committed_cores)

/* Open path for appending, line-buffered; NULL (with a warning naming it) on failure. */
static FILE *open_log(const char *path, const char *what)
{
	if (!path || !*path) {
		wqi_warn("cannot open the %s: no path given", what);
		return NULL;
	}
	FILE *f = fopen(path, "ae");
	if (!f) {
		wqi_warn("cannot open the %s '%s': %s", what, path, strerror(errno));
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* A digest of the stats columns: equal digests, nothing to report. */
static uint64_t perf_digest(const struct work_queue_stats *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
#define C(f) h = (h ^ (uint64_t)s->f) * 0x100000001b3ULL;
	PERF_COLUMNS
#undef C
	return h;
}

/* One performance line of s: timestamp then the stats columns. */
static void perf_write(struct work_queue *q, const struct work_queue_stats *s)
{
	fprintf(q->perf_log, "%llu", (unsigned long long)wqi_now_us());
#define C(f) fprintf(q->perf_log, " %lld", (long long)s->f);
	PERF_COLUMNS
#undef C
	fputc('\n', q->perf_log);
	q->perf_digest = perf_digest(s);
	q->perf_last_us = wqi_mono_us();
}

/* One performance line of the stats now. */
static void perf_line(struct work_queue *q)
{
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	perf_write(q, &s);
}

int work_queue_specify_log(struct work_queue *q, const char *logfile)
{
	if (!q)
		return 0;
	FILE *f = open_log(logfile, "performance log");
	if (!f)
		return 0;
	if (q->perf_log) {
		perf_line(q);
		fclose(q->perf_log);
	}
	q->perf_log = f;
	fputs("# work_queue performance log v1: timestamp", f);
#define C(name) fputs(" " #name, f);
	PERF_COLUMNS
#undef C
	fputc('\n', f);
	perf_line(q);
	q->perf_next_us = wqi_mono_us() + PERF_CHECK_US;
	return 1;
}

int work_queue_specify_transactions_log(struct work_queue *q, const char *logfile)
{
	if (!q)
		return 0;
	FILE *f = open_log(logfile, "transactions log");
	if (!f)
		return 0;
	if (q->txn_log) {
		wqi_log_task(q, NULL, "END", " ");
		fclose(q->txn_log);
	}
	q->txn_log = f;
	fputs("# work_queue transactions log v1: timestamp master_pid subject id event [details]\n", f);
	char w[1100];
	wqi_log_task(q, NULL, "START", "port=%d project=%s", q->port, wqi_log_word(q->name ? q->name : "", w, sizeof w));
	return 1;
}

const char *wqi_log_word(const char *s, char *out, size_t len)
{
	size_t o = 0;
	if (!len)
		return "";
	for (; s && *s && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '%' || c <= ' ' || c == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
	return out;
}

/* "TIMESTAMP PID SUBJECT ID EVENT[ details]\n" */
static void txn_vline(struct work_queue *q, const char *subject, const char *id, const char *event, const char *fmt, va_list ap)
{
	FILE *f = q->txn_log;
	char details[4096];
	vsnprintf(details, sizeof details, fmt, ap);
	const char *d = details;
	while (*d == ' ')
		d++;
	fprintf(f, "%llu %d %s %s %s%s%s\n", (unsigned long long)wqi_now_us(), (int)getpid(), subject, id, event,
		*d ? " " : "", d);
}

/* t NULL: a MASTER line. */
void wqi_log_task(struct work_queue *q, const struct work_queue_task *t, const char *event, const char *fmt, ...)
{
	if (!q->txn_log)
		return;
	char id[32];
	snprintf(id, sizeof id, "%llu", t ? (unsigned long long)t->taskid : 0ULL);
	va_list ap;
	va_start(ap, fmt);
	txn_vline(q, t ? "TASK" : "MASTER", id, event, fmt, ap);
	va_end(ap);
}

void wqi_log_worker(struct work_queue *q, const struct wqi_worker *w, const char *event, const char *fmt, ...)
{
	if (!q->txn_log)
		return;
	char id[300];
	wqi_log_word(w->worker_id && *w->worker_id ? w->worker_id : w->addr, id, sizeof id);
	va_list ap;
	va_start(ap, fmt);
	txn_vline(q, "WORKER", id, event, fmt, ap);
	va_end(ap);
}

int64_t wqi_log_perf_tick(struct work_queue *q)
{
	if (!q->perf_log)
		return -1;
	uint64_t now = wqi_mono_us();
	if (now >= q->perf_next_us) {
		struct work_queue_stats s;
		work_queue_get_stats(q, &s);
		if (perf_digest(&s) != q->perf_digest || now - q->perf_last_us >= PERF_EVERY_US)
			perf_write(q, &s);
		q->perf_next_us = now + PERF_CHECK_US;
	}
	return (int64_t)((q->perf_next_us - now + 999) / 1000);
}

void wqi_log_close(struct work_queue *q)
{
	if (q->perf_log) {
		perf_line(q);
		fclose(q->perf_log);
		q->perf_log = NULL;
	}
	if (q->txn_log) {
		wqi_log_task(q, NULL, "END", " ");
		fclose(q->txn_log);
		q->txn_log = NULL;
	}
}
