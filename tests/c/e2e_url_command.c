/*
 * e2e_url_command.c - inputs the worker makes itself: a URL fetched from
 * the harness's HTTP server (content checked), a file made by a command
 * (`echo hello > %%`, content checked), and a URL that answers 404
 * (result 1 INPUT_MISSING).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static struct work_queue_task *run(struct work_queue *q, struct work_queue_task *t)
{
	if (work_queue_submit(q, t) <= 0) {
		H_CHECK(0, "submit accepts the task");
		work_queue_task_delete(t);
		return NULL;
	}
	return h_next_task(q, 30000);
}

static void describe(const char *what, struct work_queue_task *r)
{
	const char *out = work_queue_task_get_output(r);
	h_note("%s: result %d (%s), exit %d, output \"%.200s\"", what, work_queue_task_get_result(r),
	       work_queue_result_str(work_queue_task_get_result(r)), work_queue_task_get_return_status(r), out ? out : "(null)");
}

int main(void)
{
	h_init("e2e_url_command", 120);
	const char *www = h_mkdir("www");
	const char *content = "served over http\nline two\n";
	h_write_file(h_path("www/hello.txt"), content, strlen(content), 0644);
	int hport = h_http_start(www);
	if (!H_CHECK(hport > 0, "the test HTTP server listens on port %d", hport))
		return h_finish();

	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return h_finish();
	h_worker_start(work_queue_port(q), "--cores 1 --memory 1000 --disk 1000");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "a worker connects")) {
		work_queue_delete(q);
		return h_finish();
	}

	/* a URL input */
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hello.txt", hport);
	struct work_queue_task *t = work_queue_task_create("cat in.txt");
	H_CHECK(work_queue_task_specify_url(t, url, "in.txt", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE) == 1, "specify_url %s", url);
	struct work_queue_task *r = run(q, t);
	if (H_CHECK(r != NULL, "the URL task comes back")) {
		describe("url", r);
		const char *out = work_queue_task_get_output(r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS, "URL input: result SUCCESS");
		H_CHECK(out && strcmp(out, content) == 0, "URL input: the task saw the served content");
		work_queue_task_delete(r);
	}

	/* the same URL again (cached: fetched once; the content is still right) */
	t = work_queue_task_create("cat in2.txt");
	work_queue_task_specify_url(t, url, "in2.txt", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
	r = run(q, t);
	if (H_CHECK(r != NULL, "a second task on the cached URL comes back")) {
		const char *out = work_queue_task_get_output(r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS && out && strcmp(out, content) == 0,
			"cached URL under another remote name: same content");
		work_queue_task_delete(r);
	}

	/* a file made by a command */
	t = work_queue_task_create("cat made.txt");
	H_CHECK(work_queue_task_specify_file_command(t, "made.txt", "echo hello > %%", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE) == 1,
		"specify_file_command \"echo hello > %%%%\"");
	r = run(q, t);
	if (H_CHECK(r != NULL, "the command-input task comes back")) {
		describe("file_command", r);
		const char *out = work_queue_task_get_output(r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS, "command input: result SUCCESS");
		H_CHECK(out && strcmp(out, "hello\n") == 0, "command input: the file holds \"hello\\n\"");
		work_queue_task_delete(r);
	}

	/* a URL that answers 404 */
	char bad[256];
	snprintf(bad, sizeof bad, "http://127.0.0.1:%d/no-such-file.txt", hport);
	t = work_queue_task_create("cat in.txt");
	work_queue_task_specify_url(t, bad, "in.txt", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
	r = run(q, t);
	if (H_CHECK(r != NULL, "the 404 URL task comes back")) {
		describe("url 404", r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_INPUT_MISSING, "404 URL: result 1 INPUT_MISSING (got %d)", work_queue_task_get_result(r));
		work_queue_task_delete(r);
	}

	/* a command input that fails */
	t = work_queue_task_create("cat made2.txt");
	work_queue_task_specify_file_command(t, "made2.txt", "exit 3", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE);
	r = run(q, t);
	if (H_CHECK(r != NULL, "the failing command-input task comes back")) {
		describe("failing file_command", r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_INPUT_MISSING, "failing command input: result 1 INPUT_MISSING (got %d)", work_queue_task_get_result(r));
		work_queue_task_delete(r);
	}

	/* the worker is still fine */
	r = run(q, work_queue_task_create("echo ok"));
	H_CHECK(r && work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS, "a normal task still succeeds");
	if (r)
		work_queue_task_delete(r);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
	return h_finish();
}
