/*
 * e2e_catalog_master.c - masters advertise to the real wq_catalog_server
 * and a worker started with -M finds them through it (docs/catalog.md):
 *
 *  - a worker started with -M before any master exists waits for one;
 *  - a master named P advertising to the catalog gets it: tasks complete;
 *  - the master is deleted (its final update says "gone": the record
 *    leaves /query.json at once) and a new master P starts on another
 *    port: the same worker follows and runs its tasks;
 *  - a master process killed with SIGKILL (no final update) expires from a
 *    catalog started with --lifetime 2.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "json.h"

/* Records of project in the catalog's /query.json: how many (-1 if the
 * catalog did not answer with a JSON array); *port of the last one. */
static int records(int cport, const char *project, int *port)
{
	char *body = NULL;
	int st = h_http_get(NULL, cport, "/query.json", &body, 3000);
	if (st != 200 || !body) {
		free(body);
		return -1;
	}
	int err;
	const char *why;
	struct wqi_json *v = wqi_json_parse(body, strlen(body), 64, &err, &why);
	free(body);
	if (!v || v->type != WQI_JSON_ARRAY) {
		wqi_json_delete(v);
		return -1;
	}
	int n = 0;
	for (size_t i = 0; i < v->n; i++) {
		const char *p = wqi_json_get_str(v->items[i], "project");
		const char *type = wqi_json_get_str(v->items[i], "type");
		int64_t pt;
		if (p && strcmp(p, project) == 0 && type && strcmp(type, "wq_master") == 0 &&
		    wqi_json_int(wqi_json_get(v->items[i], "port"), 1, 65535, &pt) == 0) {
			n++;
			if (port)
				*port = (int)pt;
		}
	}
	wqi_json_delete(v);
	return n;
}

struct rec_arg {
	int cport;
	const char *project;
	int want;        /* records wanted */
	int port;        /* and this port (0 = any) */
};

static int rec_is(void *a)
{
	struct rec_arg *r = a;
	int port = 0;
	int n = records(r->cport, r->project, &port);
	return n == r->want && (r->want == 0 || r->port == 0 || port == r->port);
}

/* Run n tasks "echo TAG-i" on q; 1 if all came back successful with their output. */
static int run_tasks(struct work_queue *q, const char *tag, int n)
{
	for (int i = 0; i < n; i++) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "echo %s-%d", tag, i);
		struct work_queue_task *t = work_queue_task_create(cmd);
		if (work_queue_submit(q, t) <= 0)
			return 0;
	}
	int ok = 0;
	for (int i = 0; i < n; i++) {
		struct work_queue_task *t = h_next_task(q, 30000);
		if (!t)
			break;
		if (work_queue_task_get_result(t) == WORK_QUEUE_RESULT_SUCCESS && work_queue_task_get_output(t) &&
		    strncmp(work_queue_task_get_output(t), tag, strlen(tag)) == 0)
			ok++;
		work_queue_task_delete(t);
	}
	return ok == n;
}

/* A master named project advertising to cport every second. */
static struct work_queue *named_master(const char *project, int cport)
{
	struct work_queue *q = work_queue_create(0);
	if (!q)
		return NULL;
	work_queue_specify_catalog_update_interval(q, 1);
	work_queue_specify_catalog_server(q, "127.0.0.1", cport);
	work_queue_specify_name(q, project);
	return q;
}

int main(void)
{
	h_init("e2e_catalog_master", 150);
	int cport = 0;
	if (!H_CHECK(h_catalog_start(&cport, "--lifetime 60") > 0, "the catalog server starts"))
		return h_finish();

	/* the worker first: no master anywhere yet */
	char args[256];
	snprintf(args, sizeof args, "-M e2e-proj-[0-9]+ -C 127.0.0.1:%d --timeout 60", cport);
	struct h_worker *w = h_worker_start_args(args);
	H_CHECK(w != NULL, "a worker with -M starts before any master");
	h_sleep_ms(1500);
	H_CHECK(h_worker_alive(w), "it waits for a master instead of giving up");

	/* master 1 */
	struct work_queue *q1 = named_master("e2e-proj-1", cport);
	if (!H_CHECK(q1 != NULL, "master 1 starts"))
		return h_finish();
	int port1 = work_queue_port(q1);
	struct rec_arg r = { cport, "e2e-proj-1", 1, port1 };
	H_CHECK(h_wait_until(rec_is, &r, 5000), "the catalog lists project e2e-proj-1 at port %d", port1);
	H_CHECK(h_wait_workers(q1, 1, 30000), "the -M worker finds master 1 through the catalog");
	H_CHECK(run_tasks(q1, "first", 3), "3 tasks complete on master 1");

	/* master 1 goes (final update "gone"), master 2 starts on another port */
	work_queue_delete(q1);
	r.want = 0;
	H_CHECK(h_wait_until(rec_is, &r, 3000), "after work_queue_delete the record is gone from /query.json at once");
	struct work_queue *q2 = named_master("e2e-proj-1", cport);
	if (q2 && work_queue_port(q2) == port1) {
		struct work_queue *q3 = named_master("e2e-proj-1", cport);
		work_queue_delete(q2);
		q2 = q3;
	}
	if (!H_CHECK(q2 != NULL && work_queue_port(q2) != port1, "master 2 starts on another port (%d)", q2 ? work_queue_port(q2) : -1))
		return h_finish();
	r.want = 1;
	r.port = work_queue_port(q2);
	H_CHECK(h_wait_until(rec_is, &r, 5000), "the catalog lists the project at master 2's port");
	H_CHECK(h_wait_workers(q2, 1, 40000), "the same worker follows the project to master 2");
	H_CHECK(run_tasks(q2, "second", 3), "3 tasks complete on master 2");
	H_CHECK(h_worker_alive(w), "it is still the first worker process");
	work_queue_delete(q2);
	r.want = 0;
	H_CHECK(h_wait_until(rec_is, &r, 3000), "master 2's record is gone after its delete");

	/* a master killed without a final update expires (--lifetime 2) */
	int dport = 0;
	if (!H_CHECK(h_catalog_start(&dport, "--lifetime 2") > 0, "a second catalog with --lifetime 2 starts"))
		return h_finish();
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		signal(SIGALRM, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		alarm(0);
		struct work_queue *d = named_master("e2e-dead", dport);
		for (;;)
			work_queue_wait(d, 5);
	}
	H_CHECK(child > 0, "a master process to kill starts");
	struct rec_arg rd = { dport, "e2e-dead", 1, 0 };
	H_CHECK(h_wait_until(rec_is, &rd, 5000), "the catalog lists the doomed master");
	h_sleep_ms(3000);
	H_CHECK(records(dport, "e2e-dead", NULL) == 1, "while it lives it stays listed past the lifetime (it advertises every second)");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	uint64_t t0 = h_mono_ms();
	rd.want = 0;
	H_CHECK(h_wait_until(rec_is, &rd, 8000), "after SIGKILL (no final update) it expires");
	H_CHECK(h_mono_ms() - t0 >= 800, "... by expiry, not at once (%llu ms)", (unsigned long long)(h_mono_ms() - t0));
	return h_finish();
}
