/*
 * task_test.c - task specification, validation, clone, cache names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "task.h"
#include "testing.h"

static char dir[64];

static void mkfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Defaults of a new task and the accessors. */
static void test_create_and_get(void)
{
	struct work_queue_task *t = work_queue_task_create("echo hi");
	CHECK_EQ_STR(work_queue_task_get_command(t), "echo hi");
	CHECK_EQ_INT(work_queue_task_get_taskid(t), 0);
	CHECK_EQ_INT(work_queue_task_get_cores(t), -1);
	CHECK_EQ_INT(work_queue_task_get_memory(t), -1);
	CHECK(work_queue_task_get_output(t) == NULL);
	CHECK(work_queue_task_get_tag(t) == NULL);
	CHECK(work_queue_task_get_state(t) == WORK_QUEUE_TASK_UNKNOWN);
	work_queue_task_specify_tag(t, "T");
	work_queue_task_specify_category(t, "C");
	work_queue_task_specify_cores(t, 2);
	work_queue_task_specify_memory(t, 100);
	work_queue_task_specify_disk(t, 200);
	work_queue_task_specify_gpus(t, 1);
	work_queue_task_specify_priority(t, 2.5);
	work_queue_task_specify_max_retries(t, 3);
	work_queue_task_specify_command(t, "true");
	CHECK_EQ_STR(work_queue_task_get_tag(t), "T");
	CHECK_EQ_STR(work_queue_task_get_category(t), "C");
	CHECK_EQ_STR(work_queue_task_get_command(t), "true");
	CHECK_EQ_INT(work_queue_task_get_cores(t), 2);
	CHECK_EQ_INT(work_queue_task_get_disk(t), 200);
	CHECK_EQ_INT(work_queue_task_get_gpus(t), 1);
	CHECK(work_queue_task_get_priority(t) == 2.5);
	CHECK_EQ_INT(work_queue_task_get_max_retries(t), 3);
	CHECK_EQ_INT(work_queue_task_get_time(t, "submit"), 0);
	CHECK_EQ_INT(work_queue_task_get_time(t, "nonsense"), 0);
	work_queue_task_specify_tag(t, NULL);
	CHECK(work_queue_task_get_tag(t) == NULL);
	work_queue_task_delete(t);
	t = work_queue_task_create(NULL);
	CHECK(work_queue_task_get_command(t) == NULL);
	work_queue_task_delete(t);
}

/* Remote names must be relative, without "..", and unique per direction. */
static void test_file_validation(void)
{
	struct work_queue_task *t = work_queue_task_create("x");
	CHECK_EQ_INT(work_queue_task_specify_file(t, "a", "a", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE), 1);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "b", "a", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "b", "/abs", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "b", "../up", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "b", "x/../../y", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "b", "", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "b", NULL, WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, NULL, "b", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "b", "sub/b", WORK_QUEUE_INPUT, 0), 1);
	/* the same remote name as an output is fine; two outputs to one local path are not */
	CHECK_EQ_INT(work_queue_task_specify_file(t, "out", "a", WORK_QUEUE_OUTPUT, 0), 1);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "out", "c", WORK_QUEUE_OUTPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_buffer(t, "abc", 3, "buf", WORK_QUEUE_CACHE), 1);
	CHECK_EQ_INT(work_queue_task_specify_buffer(t, "abc", -1, "buf2", 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_buffer(t, NULL, 0, "empty", 0), 1);
	CHECK_EQ_INT(work_queue_task_specify_url(t, "http://h/x", "u", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE), 1);
	CHECK_EQ_INT(work_queue_task_specify_url(t, "ftp://h/x", "u2", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_url(t, "http://h/x", "u3", WORK_QUEUE_OUTPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file_command(t, "c", "echo > %%", WORK_QUEUE_INPUT, 0), 1);
	CHECK_EQ_INT(work_queue_task_specify_directory(t, NULL, "empty_dir", WORK_QUEUE_INPUT, 0, 0), 1);
	CHECK_EQ_INT(work_queue_task_specify_directory(t, NULL, "tree", WORK_QUEUE_INPUT, 0, 1), 0);
	CHECK_EQ_INT(t->n_inputs, 7);
	CHECK_EQ_INT(t->n_outputs, 1);
	CHECK_EQ_INT(t->inputs[2].len, 3);
	CHECK(memcmp(t->inputs[2].data, "abc", 3) == 0);
	work_queue_task_delete(t);
}

/* Old programs write "./x", "a//b" and "dir/": they mean x, a/b and dir. */
static void test_remote_name_normalised(void)
{
	struct work_queue_task *t = work_queue_task_create("x");
	CHECK_EQ_INT(work_queue_task_specify_file(t, "a", "./a", WORK_QUEUE_INPUT, 0), 1);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "b", "sub//b", WORK_QUEUE_INPUT, 0), 1);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "c", "dir/", WORK_QUEUE_OUTPUT, 0), 1);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "a2", "a", WORK_QUEUE_INPUT, 0), 0); /* same as ./a */
	CHECK_EQ_INT(work_queue_task_specify_file(t, "d", "./../d", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "d", "//etc/d", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_INT(work_queue_task_specify_file(t, "d", "./", WORK_QUEUE_INPUT, 0), 0);
	CHECK_EQ_STR(t->inputs[0].remote, "a");
	CHECK_EQ_STR(t->inputs[1].remote, "sub/b");
	CHECK_EQ_STR(t->outputs[0].remote, "dir");
	work_queue_task_delete(t);
}

/* A clone copies the specification deeply, not the results. */
static void test_clone_env(void)
{
	struct work_queue_task *t = work_queue_task_create("x");
	work_queue_task_specify_buffer(t, "data", 4, "b", 0);
	work_queue_task_specify_file(t, "o", "o", WORK_QUEUE_OUTPUT, 0);
	work_queue_task_specify_environment_variable(t, "A", "1");
	work_queue_task_specify_environment_variable(t, "B", NULL);
	work_queue_task_specify_environment_variable(t, "A", "2");
	work_queue_task_specify_environment_variable(t, "BAD=", "x");
	CHECK_EQ_INT(t->n_env, 2);
	CHECK_EQ_STR(t->env[0].value, "2");
	CHECK_EQ_STR(t->env[1].value, "");
	work_queue_task_specify_tag(t, "tag");
	work_queue_task_specify_cores(t, 3);
	t->result = 5;
	struct work_queue_task *c = work_queue_task_clone(t);
	work_queue_task_delete(t);
	CHECK(c != NULL);
	CHECK_EQ_STR(c->command, "x");
	CHECK_EQ_STR(c->tag, "tag");
	CHECK_EQ_INT(c->cores, 3);
	CHECK_EQ_INT(c->result, 0);
	CHECK_EQ_INT(c->n_inputs, 1);
	CHECK(memcmp(c->inputs[0].data, "data", 4) == 0);
	CHECK_EQ_INT(c->n_outputs, 1);
	CHECK_EQ_INT(c->n_env, 2);
	work_queue_task_delete(c);
}

/* Cache names: stable for an unchanged file, new when it changes; tmp- when uncached. */
static void test_cache_names(void)
{
	char path[128], missing[128];
	snprintf(path, sizeof path, "%s/in.txt", dir);
	snprintf(missing, sizeof missing, "%s/missing", dir);
	mkfile(path, "one");
	struct work_queue_task *t = work_queue_task_create("x");
	work_queue_task_specify_file(t, path, "in", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
	work_queue_task_specify_file(t, path, "in2", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE);
	work_queue_task_specify_buffer(t, "abc", 3, "b", WORK_QUEUE_CACHE);
	work_queue_task_specify_url(t, "http://x/y", "u", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
	work_queue_task_specify_file_command(t, "c", "echo > %%", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
	work_queue_task_specify_directory(t, NULL, "d", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE, 0);
	work_queue_task_specify_directory(t, dir, "tree", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE, 1);
	t->taskid = 7;
	CHECK_EQ_INT(wqi_task_prepare(t), 0);
	CHECK(strncmp(t->inputs[0].cachename, "file-", 5) == 0 && strlen(t->inputs[0].cachename) == 21);
	CHECK_EQ_STR(t->inputs[1].cachename, "tmp-7-1");
	CHECK(strncmp(t->inputs[2].cachename, "buf-", 4) == 0);
	CHECK(strncmp(t->inputs[3].cachename, "url-", 4) == 0);
	CHECK(strncmp(t->inputs[4].cachename, "cmd-", 4) == 0);
	CHECK_EQ_STR(t->inputs[5].cachename, "");
	CHECK(strncmp(t->inputs[6].cachename, "file-", 5) == 0);
	char first[32];
	snprintf(first, sizeof first, "%s", t->inputs[0].cachename);
	/* unchanged: same name */
	CHECK_EQ_INT(wqi_task_prepare(t), 0);
	CHECK_EQ_STR(t->inputs[0].cachename, first);
	/* the same buffer in another task: same name */
	struct work_queue_task *u = work_queue_task_create("x");
	work_queue_task_specify_buffer(u, "abc", 3, "other", WORK_QUEUE_CACHE);
	u->taskid = 8;
	CHECK_EQ_INT(wqi_task_prepare(u), 0);
	CHECK_EQ_STR(u->inputs[0].cachename, t->inputs[2].cachename);
	/* changed mtime: a new name */
	struct timeval tv[2] = { { 1000, 0 }, { 1000, 0 } };
	utimes(path, tv);
	CHECK_EQ_INT(wqi_task_prepare(t), 0);
	CHECK(strcmp(t->inputs[0].cachename, first) != 0);
	/* missing input */
	work_queue_task_specify_file(u, missing, "m", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
	CHECK_EQ_INT(wqi_task_prepare(u), WQ_ENOENT);
	CHECK(u->input_missing);
	work_queue_task_delete(u);
	work_queue_task_delete(t);
	unlink(path);
}

/* Temporary output names sit beside the user's path; reset clears results and temps. */
static void test_tmp_and_reset(void)
{
	struct work_queue_task *t = work_queue_task_create("x");
	char out[128];
	snprintf(out, sizeof out, "%s/sub.out", dir);
	work_queue_task_specify_file(t, out, "o", WORK_QUEUE_OUTPUT, 0);
	work_queue_task_specify_file(t, "plain", "p", WORK_QUEUE_OUTPUT, 0);
	t->taskid = 42;
	char *p = wqi_task_tmp_path(t, &t->outputs[0]);
	char expect[160];
	snprintf(expect, sizeof expect, "%s/.sub.out.wqtmp.42", dir);
	CHECK_EQ_STR(p, expect);
	char *p2 = wqi_task_tmp_path(t, &t->outputs[1]);
	CHECK_EQ_STR(p2, ".plain.wqtmp.42");
	free(p2);
	mkfile(p, "partial");
	t->outputs[0].tmp = p;
	t->outputs[0].out_state = WQI_OUT_FILE;
	t->output = strdup("old");
	t->result = 2;
	t->try_count = 3;
	wqi_task_reset(t);
	CHECK(access(expect, F_OK) != 0);
	CHECK(t->outputs[0].tmp == NULL);
	CHECK(t->output == NULL);
	CHECK_EQ_INT(t->result, 0);
	CHECK_EQ_INT(t->try_count, 0);
	CHECK_EQ_INT(wqi_task_cores_wanted(t), 1);
	work_queue_task_specify_cores(t, 4);
	CHECK_EQ_INT(wqi_task_cores_wanted(t), 4);
	work_queue_task_delete(t);
}

static const struct wqi_test tests[] = {
	TEST(test_create_and_get),
	TEST(test_file_validation),
	TEST(test_remote_name_normalised),
	TEST(test_clone_env),
	TEST(test_cache_names),
	TEST(test_tmp_and_reset),
	{ 0 },
};

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/wq-task-test-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	int rc = wqi_test_run(tests);
	rmdir(dir);
	return rc;
}
