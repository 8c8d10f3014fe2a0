/*
 * e2e_failures.c - the ways a task fails, on a real worker: a missing input
 * file (result 1), a missing output (result 2), a command that is not
 * executable (result 0, exit 126), a command that does not exist (result 0,
 * exit 127). After each, a normal task still succeeds on the same worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Submit t and wait for it; NULL if it does not come back (t is then lost
 * to the queue and deleted with it). */
static struct work_queue_task *run(struct work_queue *q, struct work_queue_task *t)
{
	if (work_queue_submit(q, t) <= 0) {
		H_CHECK(0, "submit accepts the task");
		work_queue_task_delete(t);
		return NULL;
	}
	struct work_queue_task *r = h_next_task(q, 30000);
	if (r && r != t)
		h_note("wait returned another task (%d)", work_queue_task_get_taskid(r));
	return r;
}

static void describe(const char *what, struct work_queue_task *r)
{
	const char *out = work_queue_task_get_output(r);
	h_note("%s: result %d (%s), exit %d, output \"%.200s\"", what, work_queue_task_get_result(r),
	       work_queue_result_str(work_queue_task_get_result(r)), work_queue_task_get_return_status(r), out ? out : "(null)");
}

/* A normal task after a failure: SUCCESS and "ok\n". */
static void check_normal(struct work_queue *q, const char *after)
{
	struct work_queue_task *r = run(q, work_queue_task_create("echo ok"));
	const char *out = r ? work_queue_task_get_output(r) : NULL;
	H_CHECK(r && work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS && out && strcmp(out, "ok\n") == 0,
		"after %s, a normal task succeeds", after);
	if (r)
		work_queue_task_delete(r);
}

int main(void)
{
	h_init("e2e_failures", 120);
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	h_worker_start(work_queue_port(q), "--cores 1 --memory 1000 --disk 1000");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "a worker connects")) {
		work_queue_delete(q);
		return h_finish();
	}
	check_normal(q, "start-up");

	/* 1. a missing input file */
	struct work_queue_task *t = work_queue_task_create("cat in.txt");
	H_CHECK(work_queue_task_specify_file(t, h_path("no-such-file.txt"), "in.txt", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE) == 1,
		"specify_file accepts an input whose local file is missing (the original fails it at run time)");
	struct work_queue_task *r = run(q, t);
	if (H_CHECK(r != NULL, "the task with a missing input comes back")) {
		describe("missing input", r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_INPUT_MISSING, "missing input: result 1 INPUT_MISSING (got %d)", work_queue_task_get_result(r));
		work_queue_task_delete(r);
	}
	check_normal(q, "a missing input");

	/* 2. a missing output */
	const char *never = h_path("never.txt");
	t = work_queue_task_create("true");
	work_queue_task_specify_file(t, never, "never.txt", WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE);
	r = run(q, t);
	if (H_CHECK(r != NULL, "the task with a missing output comes back")) {
		describe("missing output", r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_OUTPUT_MISSING, "missing output: result 2 OUTPUT_MISSING (got %d)", work_queue_task_get_result(r));
		H_CHECK(work_queue_task_get_return_status(r) == 0, "the command itself exited 0 (got %d)", work_queue_task_get_return_status(r));
		H_CHECK(!h_file_exists(never), "no local output file is made");
		work_queue_task_delete(r);
	}
	check_normal(q, "a missing output");

	/* 3. a command file without the x bit */
	const char *prog = h_path("prog");
	h_write_file(prog, "#!/bin/sh\necho hi\n", 18, 0644);
	t = work_queue_task_create("./prog");
	work_queue_task_specify_file(t, prog, "prog", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE);
	r = run(q, t);
	if (H_CHECK(r != NULL, "the non-executable command comes back")) {
		describe("non-executable", r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS, "non-executable: result 0 (got %d)", work_queue_task_get_result(r));
		H_CHECK(work_queue_task_get_return_status(r) == 126, "non-executable: exit status 126 (got %d)", work_queue_task_get_return_status(r));
		work_queue_task_delete(r);
	}
	check_normal(q, "a non-executable command");

	/* 3b. the same file with the x bit runs (modes cross the wire) */
	const char *prog2 = h_path("prog2");
	h_write_file(prog2, "#!/bin/sh\necho hi\n", 18, 0755);
	t = work_queue_task_create("./prog2");
	work_queue_task_specify_file(t, prog2, "prog2", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE);
	r = run(q, t);
	if (H_CHECK(r != NULL, "the executable command comes back")) {
		const char *out = work_queue_task_get_output(r);
		H_CHECK(work_queue_task_get_return_status(r) == 0 && out && strcmp(out, "hi\n") == 0,
			"an input with mode 0755 runs as ./prog2 (exit %d)", work_queue_task_get_return_status(r));
		work_queue_task_delete(r);
	}

	/* 4. a command that does not exist */
	r = run(q, work_queue_task_create("no_such_command_wq_e2e"));
	if (H_CHECK(r != NULL, "the missing command comes back")) {
		describe("missing command", r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS, "missing command: result 0 (got %d)", work_queue_task_get_result(r));
		H_CHECK(work_queue_task_get_return_status(r) == 127, "missing command: exit status 127 (got %d)", work_queue_task_get_return_status(r));
		work_queue_task_delete(r);
	}
	check_normal(q, "a missing command");

	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	H_CHECK(s.workers_connected == 1, "the worker is still connected (%d)", s.workers_connected);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
