/*
 * util_test.c - unit tests of util.c, debug.c and errors.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debug.h"
#include "testing.h"
#include "util.h"
#include "work_queue.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/wq_util_test.XXXXXX");
	if (!mkdtemp(tmpdir))
		tmpdir[0] = '\0';
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, "x", 1) != 1)
			perror("write");
		close(fd);
	}
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void test_clocks(void)
{
	uint64_t a = wqi_mono_us(), b = wqi_mono_us();
	CHECK(b >= a);
	CHECK(wqi_now_us() > 1600000000ull * 1000000ull);
}

/* FNV-1a known values, and length prefixing keeps fields apart. */
static void test_hash(void)
{
	CHECK(wqi_hash_add(WQI_HASH_INIT, "", 0) == 0xcbf29ce484222325ULL);
	CHECK(wqi_hash_add(WQI_HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
	CHECK(wqi_hash_add(WQI_HASH_INIT, "foobar", 6) == 0x85944171f73967e8ULL);
	uint64_t h1 = wqi_hash_field(wqi_hash_field(WQI_HASH_INIT, "ab", 2), "c", 1);
	uint64_t h2 = wqi_hash_field(wqi_hash_field(WQI_HASH_INIT, "a", 1), "bc", 2);
	CHECK(h1 != h2);
	uint64_t inc = wqi_hash_add(wqi_hash_add(WQI_HASH_INIT, "foo", 3), "bar", 3);
	CHECK(inc == 0x85944171f73967e8ULL);
}

static void test_mkdir_p(void)
{
	char p[512];
	snprintf(p, sizeof p, "%s/a/b/c", tmpdir);
	CHECK_EQ_INT(wqi_mkdir_p(p, 0755), 0);
	struct stat st;
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_EQ_INT(wqi_mkdir_p(p, 0755), 0);  /* again: fine */
	snprintf(p, sizeof p, "%s/a/b/c/", tmpdir);
	CHECK_EQ_INT(wqi_mkdir_p(p, 0755), 0);  /* trailing slash */
	snprintf(p, sizeof p, "%s/file", tmpdir);
	touch(p);
	snprintf(p, sizeof p, "%s/file/sub", tmpdir);
	CHECK_EQ_INT(wqi_mkdir_p(p, 0755), WQ_EFILE);
	snprintf(p, sizeof p, "%s/file", tmpdir);
	CHECK_EQ_INT(wqi_mkdir_p(p, 0755), WQ_EFILE);
	CHECK_EQ_INT(errno, ENOTDIR);
}

/* rm -rf removes a tree but never what a symlink inside it points to. */
static void test_rm_rf_no_follow(void)
{
	char victim[512], vfile[512], tree[512], p[512];
	snprintf(victim, sizeof victim, "%s/victim", tmpdir);
	snprintf(vfile, sizeof vfile, "%s/victim/keep", tmpdir);
	snprintf(tree, sizeof tree, "%s/tree", tmpdir);
	CHECK_EQ_INT(wqi_mkdir_p(victim, 0755), 0);
	touch(vfile);
	snprintf(p, sizeof p, "%s/tree/d1/d2", tmpdir);
	CHECK_EQ_INT(wqi_mkdir_p(p, 0755), 0);
	snprintf(p, sizeof p, "%s/tree/d1/d2/f", tmpdir);
	touch(p);
	snprintf(p, sizeof p, "%s/tree/f", tmpdir);
	touch(p);
	snprintf(p, sizeof p, "%s/tree/d1/link_to_victim", tmpdir);
	CHECK(symlink(victim, p) == 0);
	snprintf(p, sizeof p, "%s/tree/d1/link_to_file", tmpdir);
	CHECK(symlink(vfile, p) == 0);
	snprintf(p, sizeof p, "%s/tree/dangling", tmpdir);
	CHECK(symlink("/nonexistent/x", p) == 0);

	CHECK_EQ_INT(wqi_rm_rf(tree), 0);
	CHECK(!exists(tree));
	CHECK(exists(vfile));

	/* a symlink given as the path itself is unlinked, not followed */
	snprintf(p, sizeof p, "%s/top_link", tmpdir);
	CHECK(symlink(victim, p) == 0);
	CHECK_EQ_INT(wqi_rm_rf(p), 0);
	CHECK(!exists(p));
	CHECK(exists(vfile));

	/* missing path: success; a plain file: removed */
	snprintf(p, sizeof p, "%s/nothing_here", tmpdir);
	CHECK_EQ_INT(wqi_rm_rf(p), 0);
	CHECK_EQ_INT(wqi_rm_rf(vfile), 0);
	CHECK(!exists(vfile));
}

static void test_strdup_hostname(void)
{
	CHECK(wqi_strdup(NULL) == NULL);
	char *s = wqi_strdup("abc");
	CHECK_EQ_STR(s, "abc");
	free(s);
	const char *h = wqi_hostname();
	CHECK(h != NULL && h[0] != '\0');
	CHECK(wqi_hostname() == h);
}

static void test_errors_strings(void)
{
	CHECK_EQ_STR(work_queue_result_str(WORK_QUEUE_RESULT_SUCCESS), "SUCCESS");
	CHECK_EQ_STR(work_queue_result_str(WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME), "TASK_MAX_RUN_TIME");
	CHECK_EQ_STR(work_queue_result_str(WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR), "OUTPUT_TRANSFER_ERROR");
	CHECK_EQ_STR(work_queue_result_str((work_queue_result_t)12345), "UNKNOWN");
	CHECK_EQ_STR(work_queue_task_state_str(WORK_QUEUE_TASK_READY), "TASK_READY");
	CHECK_EQ_STR(work_queue_version(), "0.1.0");
	for (int c = 0; c >= WQ_EINTR - 1; c--)
		CHECK(work_queue_strerror(c) != NULL && work_queue_strerror(c)[0] != '\0');
	CHECK(strcmp(work_queue_strerror(WQ_ECLOSED), work_queue_strerror(WQ_EIO)) != 0);
}

/* The debug log writes prefixed, timestamped lines to its file. */
static void test_debug_log(void)
{
	char p[512];
	snprintf(p, sizeof p, "%s/debug.log", tmpdir);
	CHECK_EQ_INT(wqi_debug_enabled(), 0);
	CHECK_EQ_INT(wqi_debug_open(p, "tester"), 0);
	CHECK_EQ_INT(wqi_debug_enabled(), 1);
	WQI_DEBUG("value %d", 7);
	wqi_warn("careful %s\n", "now");
	wqi_debug_close();
	CHECK_EQ_INT(wqi_debug_enabled(), 0);
	WQI_DEBUG("not written");
	FILE *f = fopen(p, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[512];
	char pid[32];
	snprintf(pid, sizeof pid, "[%ld]", (long)getpid());
	CHECK(fgets(line, sizeof line, f) != NULL);
	CHECK(strstr(line, "tester: value 7\n") != NULL);
	CHECK(strstr(line, pid) != NULL);
	CHECK(fgets(line, sizeof line, f) != NULL);
	CHECK(strstr(line, "tester warning: careful now\n") != NULL);
	CHECK(fgets(line, sizeof line, f) == NULL);
	fclose(f);
	CHECK_EQ_INT(wqi_debug_open("/nonexistent/dir/log", "x"), WQ_EFILE);
	CHECK_EQ_INT(wqi_debug_enabled(), 0);
}

/* wqi_grow: the same array while there is room, doubled when full, contents kept. */
static void test_grow(void)
{
	int *a = NULL;
	size_t cap = 0, n = 0;
	for (int i = 0; i < 100; i++) {
		int *na = wqi_grow(a, &cap, n, sizeof(*a), 4);
		CHECK(na != NULL);
		if (!na)
			break;
		a = na;
		a[n++] = i;
	}
	CHECK_EQ_INT(cap, 128);
	for (int i = 0; i < 100; i++)
		CHECK_EQ_INT(a[i], i);
	CHECK(wqi_grow(a, &cap, 100, sizeof(*a), 4) == a);   /* room left: unchanged */
	size_t huge = SIZE_MAX / 2 + 1;
	CHECK(wqi_grow(a, &huge, huge, sizeof(*a), 4) == NULL); /* would overflow: refused */
	CHECK(huge == SIZE_MAX / 2 + 1);
	free(a);
}

static const struct wqi_test tests[] = {
	TEST(test_grow),
	TEST(test_clocks),
	TEST(test_hash),
	TEST(test_mkdir_p),
	TEST(test_rm_rf_no_follow),
	TEST(test_strdup_hostname),
	TEST(test_errors_strings),
	TEST(test_debug_log),
	{ 0 },
};

int main(void)
{
	make_tmpdir();
	if (!tmpdir[0]) {
		perror("mkdtemp");
		return 1;
	}
	int rc = wqi_test_run(tests);
	wqi_rm_rf(tmpdir);
	return rc;
}
