/*
 * exec_test.c - unit tests of exec.c's sandbox and output-file recycling:
 * an empty sandbox (and an empty .out file) is renamed to a spare at
 * cleanup and renamed back for the next task; anything not empty or not as
 * we made it is removed instead.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testing.h"
#include "util.h"
#include "worker/exec.h"

static char workdir[128];

/* A task with no inputs or outputs running cmd. */
static struct wqi_wk_task *task(uint64_t id, const char *cmd)
{
	struct wqi_msg_task m;
	memset(&m, 0, sizeof m);
	m.taskid = id;
	m.command = wqi_str_c(cmd);
	m.cores = 1;
	m.output_max = 1 << 20;
	return wqi_wk_task_create(&m, workdir);
}

/* Entries of the workdir whose name starts with prefix. */
static int count(const char *prefix)
{
	DIR *d = opendir(workdir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	if (d)
		closedir(d);
	return n;
}

/* Run t's command to its end (a blocking wait is fine in a test). */
static void run(struct wqi_wk_task *t)
{
	CHECK_EQ_INT(wqi_wk_task_spawn(t, NULL), 0);
	int st = 0;
	CHECK(waitpid(t->pid, &st, 0) == t->pid);
	wqi_wk_task_reaped(t, st);
	CHECK_EQ_INT(t->exit_status, 0);
}

static void test_recycle_empty(void)
{
	struct wqi_wk_task *t = task(1, "true");
	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_EQ_INT(wqi_wk_task_sandbox(t, NULL), 0);
	run(t);
	wqi_wk_task_cleanup(t, NULL);
	/* both empty: kept where they are, for the next task */
	struct stat st;
	CHECK(lstat(t->sandbox, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(lstat(t->outfile, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);
	CHECK_EQ_INT(count("t."), 2);
	char dir1[512], out1[512];
	snprintf(dir1, sizeof dir1, "%s", t->sandbox);
	snprintf(out1, sizeof out1, "%s", t->outfile);
	wqi_wk_task_free(t);

	/* the next task runs in them (no rename, no mkdir) */
	t = task(2, "echo hello; pwd > here");
	CHECK_EQ_INT(wqi_wk_task_sandbox(t, NULL), 0);
	CHECK_EQ_STR(t->sandbox, dir1);
	CHECK(stat(t->sandbox, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755);
	run(t);
	CHECK_EQ_STR(t->outfile, out1);
	CHECK(stat(t->outfile, &st) == 0 && st.st_size == 6);   /* truncated, then written */
	CHECK_EQ_INT(count("t."), 2);
	/* not empty: both are removed, nothing goes to the pool */
	wqi_wk_task_cleanup(t, NULL);
	CHECK(lstat(t->sandbox, &st) < 0);
	CHECK(lstat(t->outfile, &st) < 0);
	CHECK_EQ_INT(count("t."), 0);
	wqi_wk_task_free(t);

	/* with the pool empty, fresh names: never one of an earlier task */
	t = task(1, "true");
	CHECK_EQ_INT(wqi_wk_task_sandbox(t, NULL), 0);
	CHECK(strcmp(t->sandbox, dir1) != 0);
	run(t);
	CHECK(strcmp(t->outfile, out1) != 0);
	wqi_wk_task_cleanup(t, NULL);
	wqi_wk_task_free(t);
}

/* A sandbox the task changed (its mode) is not reused. */
static void test_changed_not_recycled(void)
{
	struct wqi_wk_task *t = task(3, "chmod 700 .");
	CHECK_EQ_INT(wqi_wk_task_sandbox(t, NULL), 0);
	run(t);
	wqi_wk_task_cleanup(t, NULL);
	struct stat st;
	CHECK(lstat(t->sandbox, &st) < 0);
	CHECK(lstat(t->outfile, &st) == 0);   /* only the empty .out file is kept */
	char changed[512];
	snprintf(changed, sizeof changed, "%s", t->sandbox);
	wqi_wk_task_free(t);
	t = task(4, "true");
	CHECK_EQ_INT(wqi_wk_task_sandbox(t, NULL), 0);
	CHECK(strcmp(t->sandbox, changed) != 0);
	run(t);
	wqi_wk_task_cleanup(t, NULL);
	wqi_wk_task_free(t);
}

/* wqi_rm_rf's fast path (one rmdir) and its walk still agree. */
static void test_rm_rf(void)
{
	char p[256];
	snprintf(p, sizeof p, "%s/r", workdir);
	CHECK(mkdir(p, 0755) == 0);
	CHECK_EQ_INT(wqi_rm_rf(p), 0);
	CHECK(access(p, F_OK) < 0);
	CHECK(mkdir(p, 0755) == 0);
	char f[300];
	snprintf(f, sizeof f, "%s/x", p);
	int fd = open(f, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_EQ_INT(wqi_rm_rf(p), 0);
	CHECK(access(p, F_OK) < 0);
	/* a symlink to a directory: the link goes, the directory stays */
	CHECK(mkdir(p, 0755) == 0);
	snprintf(f, sizeof f, "%s/l", workdir);
	CHECK(symlink(p, f) == 0);
	CHECK_EQ_INT(wqi_rm_rf(f), 0);
	CHECK(access(f, F_OK) < 0 && access(p, F_OK) == 0);
	CHECK_EQ_INT(wqi_rm_rf(p), 0);
	CHECK_EQ_INT(wqi_rm_rf(p), 0);   /* missing: success */
}

static const struct wqi_test tests[] = {
	TEST(test_recycle_empty),
	TEST(test_changed_not_recycled),
	TEST(test_rm_rf),
	{ 0 },
};

int main(void)
{
	snprintf(workdir, sizeof workdir, "/tmp/wq_exec_test.XXXXXX");
	if (!mkdtemp(workdir)) {
		perror("mkdtemp");
		return 1;
	}
	int rc = wqi_test_run(tests);
	wqi_rm_rf(workdir);
	return rc;
}
