/*
 * e2e_logs.c - the performance and transactions logs (docs/logs.md) for a
 * run with a few tasks, a task whose input is missing, a lost worker (its
 * task runs again elsewhere) and a cancel: the documented headers, columns
 * and events, with the master's pid and consistent ids.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char *txn_text;   /* the transactions log, read at the end */

/* Lines of the transactions log containing all of a, b (b may be NULL). */
static int count(const char *a, const char *b)
{
	int n = 0;
	for (char *line = txn_text; line && *line;) {
		char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[2048];
		snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
		if (strstr(buf, a) && (!b || strstr(buf, b)))
			n++;
		line = end ? end + 1 : NULL;
	}
	return n;
}

static int one_running(const struct work_queue_stats *s, void *arg)
{
	return s->tasks_running == 1;
}

static int lost_and_back(const struct work_queue_stats *s, void *arg)
{
	return s->workers_lost == 1 && s->tasks_running == 1;
}

int main(void)
{
	h_init("e2e_logs", 90);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "master starts"))
		return h_finish();
	const char *perf = h_path("perf.log"), *txn = h_path("txn.log");
	H_CHECK(work_queue_specify_log(q, "/nonexistent-dir/perf.log") == 0, "specify_log on a path that cannot be opened returns 0");
	H_CHECK(work_queue_specify_log(q, perf) == 1, "specify_log returns 1");
	H_CHECK(work_queue_specify_transactions_log(q, txn) == 1, "specify_transactions_log returns 1");
	struct h_worker *w1 = h_worker_start(work_queue_port(q), "--cores 1");
	H_CHECK(h_wait_workers(q, 1, 20000), "a worker connects");

	/* 3 tasks that succeed */
	for (int i = 0; i < 3; i++) {
		struct work_queue_task *t = work_queue_task_create("echo hello");
		work_queue_task_specify_category(t, "my cat");
		work_queue_submit(q, t);
	}
	int ok = 0;
	for (int i = 0; i < 3; i++) {
		struct work_queue_task *t = h_next_task(q, 20000);
		ok += t && work_queue_task_get_result(t) == 0;
		work_queue_task_delete(t);
	}
	H_CHECK(ok == 3, "3 tasks succeed");

	/* a task whose local input is missing */
	struct work_queue_task *m = work_queue_task_create("cat in.txt");
	work_queue_task_specify_file(m, h_path("no-such-input.txt"), "in.txt", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
	int mid = work_queue_submit(q, m);
	m = h_next_task(q, 5000);
	H_CHECK(m && work_queue_task_get_result(m) == WORK_QUEUE_RESULT_INPUT_MISSING, "a task with a missing input: INPUT_MISSING");
	H_CHECK(m && work_queue_task_get_output(m) && strstr(work_queue_task_get_output(m), "no-such-input.txt") &&
		strstr(work_queue_task_get_output(m), "not found"), "its output names the missing file: %s",
		m && work_queue_task_get_output(m) ? work_queue_task_get_output(m) : "(none)");
	work_queue_task_delete(m);

	/* a long task; its worker is killed; it runs again on the other; then cancelled */
	struct work_queue_task *t = work_queue_task_create("sleep 60");
	int lid = work_queue_submit(q, t);
	H_CHECK(h_wait_stats(q, one_running, NULL, 10000), "the long task runs");
	/* a second worker joins; the first, running the task, is killed */
	h_worker_start(work_queue_port(q), "--cores 1");
	H_CHECK(h_wait_workers(q, 2, 20000), "a second worker connects");
	h_worker_signal(w1, SIGKILL);
	h_worker_reap(w1, 5000);
	H_CHECK(h_wait_stats(q, lost_and_back, NULL, 20000), "the worker running it is lost and the task runs again");
	t = work_queue_cancel_by_taskid(q, lid);
	H_CHECK(t != NULL, "the long task is cancelled");
	work_queue_task_delete(t);
	h_pump(q, 5500); /* a periodic performance line */
	work_queue_delete(q);

	/* the transactions log */
	size_t len = 0;
	txn_text = h_read_file(txn, &len);
	if (!H_CHECK(txn_text != NULL, "the transactions log exists"))
		return h_finish();
	H_CHECK(strncmp(txn_text, "# work_queue transactions log v1: timestamp master_pid subject id event [details]\n", 82) == 0,
		"it starts with the documented header");
	char pid[32];
	snprintf(pid, sizeof pid, " %d ", (int)getpid());
	int lines = 0, good = 1;
	for (char *line = txn_text; line && *line;) {
		char *end = strchr(line, '\n');
		if (*line != '#') {
			unsigned long long ts;
			char p[32], subj[16], id[128], ev[32];
			int f = sscanf(line, "%llu %31s %15s %127s %31s", &ts, p, subj, id, ev);
			int line_ok = f == 5 && ts > 1600000000000000ULL && atoi(p) == (int)getpid() &&
				      (!strcmp(subj, "TASK") || !strcmp(subj, "WORKER") || !strcmp(subj, "MASTER"));
			if (!line_ok)
				h_note("bad line: %.*s", (int)(end ? end - line : 80), line);
			good &= line_ok;
			lines++;
		}
		line = end ? end + 1 : NULL;
	}
	H_CHECK(good && lines > 20, "%d lines: timestamp (us), the master's pid, subject, id, event", lines);
	H_CHECK(count("MASTER 0 START port=", NULL) == 1 && count("MASTER 0 END", NULL) == 1, "MASTER START (with the port) and END");
	H_CHECK(count(" CONNECTION ", "cores=1 memory=") == 2, "2 WORKER CONNECTION lines with host, address and resources");
	H_CHECK(count(" DISCONNECTION LOST", NULL) == 1, "the killed worker: DISCONNECTION LOST");
	H_CHECK(count(" DISCONNECTION MASTER_CLOSED", NULL) == 1, "the others at delete: DISCONNECTION MASTER_CLOSED");
	H_CHECK(count(" SUBMITTED category=my%20cat cores=", NULL) == 3, "3 SUBMITTED with the category (space as %%20)");
	H_CHECK(count(" SUBMITTED ", NULL) == 5, "5 SUBMITTED in all");
	H_CHECK(count(" RETRIEVED result=0 exit=0", NULL) == 3, "3 RETRIEVED result=0 exit=0");
	H_CHECK(count(" DONE SUCCESS", NULL) == 3, "3 DONE SUCCESS");
	char tag[64];
	snprintf(tag, sizeof tag, "TASK %d DONE INPUT_MISSING", mid);
	H_CHECK(count(tag, NULL) == 1, "%s", tag);
	snprintf(tag, sizeof tag, "TASK %d ", lid);
	H_CHECK(count(tag, " DISPATCHED ") == 2 && count(tag, " try=2") == 1, "the long task: DISPATCHED twice, the second try=2");
	H_CHECK(count(tag, " REQUEUED WORKER_LOST") == 1, "the long task: REQUEUED WORKER_LOST");
	H_CHECK(count(tag, " CANCELLED") == 1, "the long task: CANCELLED");
	H_CHECK(count(" DISPATCHED ", NULL) == 5, "5 DISPATCHED in all");

	/* the performance log */
	char *perf_text = h_read_file(perf, &len);
	if (!H_CHECK(perf_text != NULL, "the performance log exists"))
		return h_finish();
	const char *hdr = "# work_queue performance log v1: timestamp workers_connected workers_init workers_idle workers_busy "
			  "workers_joined workers_removed workers_lost workers_fast_aborted tasks_waiting tasks_on_workers "
			  "tasks_running tasks_with_results tasks_submitted tasks_dispatched tasks_done tasks_failed "
			  "tasks_cancelled tasks_fast_aborted tasks_lost bytes_sent bytes_received total_cores committed_cores\n";
	H_CHECK(strncmp(perf_text, hdr, strlen(hdr)) == 0, "it starts with the documented header");
	int ncols = 1;
	for (const char *c = hdr + strlen("# work_queue performance log v1: "); *c; c++)
		ncols += *c == ' ';
	int data = 0, cols_ok = 1;
	long long last[64];
	for (char *line = perf_text; line && *line;) {
		char *end = strchr(line, '\n');
		if (*line != '#') {
			int n = 0;
			char *p = line;
			while (p && p < (end ? end : line + strlen(line)) && n < 64) {
				char *e;
				last[n++] = strtoll(p, &e, 10);
				if (e == p)
					break;
				p = e;
				while (*p == ' ')
					p++;
			}
			cols_ok &= n == ncols;
			data++;
		}
		line = end ? end + 1 : NULL;
	}
	H_CHECK(cols_ok && data >= 3, "%d data lines (open, every 5 s, close) of %d integer columns", data, ncols);
	/* the last line, by the header's order: tasks_submitted (13), tasks_done (15), cancelled (17), workers_lost (7) */
	H_CHECK(last[13] == 5 && last[15] == 4 && last[17] == 1 && last[7] == 1 && last[16] == 1,
		"the last line: 5 submitted, 4 done, 1 failed, 1 cancelled, 1 worker lost");
	free(perf_text);
	free(txn_text);
	return h_finish();
}
