/*
 * cache_test.c - name checks and PUT reception into the cache directory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testing.h"
#include "util.h"
#include "work_queue.h"
#include "worker/cache.h"

#define DIR_ "/tmp/wq_worker_cache_test"

static void test_names(void)
{
	static const struct { const char *s; int ok, cache_ok; } cases[] = {
		{ "a", 1, 1 }, { "a/b/c", 1, 0 }, { "file-0123", 1, 1 }, { "..a", 1, 0 }, { "a..", 1, 1 },
		{ ".hidden", 1, 0 }, { "", 0, 0 }, { "/etc/passwd", 0, 0 }, { "..", 0, 0 }, { "a/..", 0, 0 },
		{ "../a", 0, 0 }, { "a/../b", 0, 0 }, { ".", 0, 0 }, { "a/./b", 0, 0 }, { "a//b", 0, 0 }, { "a/", 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int ok = wqi_wk_name_ok(cases[i].s, strlen(cases[i].s));
		int cok = wqi_wk_cachename_ok(cases[i].s, strlen(cases[i].s));
		if (ok != cases[i].ok || cok != cases[i].cache_ok)
			fprintf(stderr, "name '%s': %d %d\n", cases[i].s, ok, cok);
		CHECK_EQ_INT(ok, cases[i].ok);
		CHECK_EQ_INT(cok, cases[i].cache_ok);
	}
	CHECK(!wqi_wk_name_ok("a\0b", 3));
	CHECK(!wqi_wk_name_ok(NULL, 0));
	char *longname = malloc(5000);
	memset(longname, 'x', 5000);
	CHECK(!wqi_wk_name_ok(longname, 5000));
	free(longname);
}

static int read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = 0;
	return 0;
}

static void put(struct wqi_wk_cache *c, const char *name, const char *path, int kind, const char *data, int expect)
{
	struct wqi_msg_put m = { wqi_str_c(name), wqi_str_c(path), (uint8_t)kind, 0644, data ? strlen(data) : 0 };
	int fd = -2;
	CHECK_EQ_INT(wqi_wk_cache_put(c, &m, &fd), expect);
	if (fd >= 0) {
		CHECK(write(fd, data, strlen(data)) == (ssize_t)strlen(data));
		close(fd);
	}
}

static void test_put_file_and_dir(void)
{
	wqi_rm_rf(DIR_);
	wqi_mkdir_p(DIR_, 0755);
	struct wqi_wk_cache c;
	CHECK(wqi_wk_cache_init(&c, DIR_) == 0);
	char reason[256], buf[64];
	put(&c, "buf-1", "", WQI_KIND_FILE, "abc", 0);
	CHECK_EQ_INT(wqi_wk_cache_exists(&c, "buf-1"), 0); /* not before PUT_END */
	CHECK(wqi_wk_cache_put_end(&c, wqi_str_c("buf-1"), reason, sizeof reason) == 0);
	CHECK_EQ_INT(wqi_wk_cache_exists(&c, "buf-1"), 1);
	CHECK(read_file(DIR_ "/cache/buf-1", buf, sizeof buf) == 0);
	CHECK_EQ_STR(buf, "abc");
	/* replaced by a new PUT */
	put(&c, "buf-1", "", WQI_KIND_FILE, "xyz!", 0);
	CHECK(wqi_wk_cache_put_end(&c, wqi_str_c("buf-1"), reason, sizeof reason) == 0);
	CHECK(read_file(DIR_ "/cache/buf-1", buf, sizeof buf) == 0);
	CHECK_EQ_STR(buf, "xyz!");
	/* a directory */
	put(&c, "file-d", "", WQI_KIND_DIR, NULL, 0);
	put(&c, "file-d", "sub", WQI_KIND_DIR, NULL, 0);
	put(&c, "file-d", "sub/f", WQI_KIND_FILE, "in sub", 0);
	put(&c, "file-d", "g", WQI_KIND_FILE, "top", 0);
	put(&c, "file-d", "../escape", WQI_KIND_FILE, "no", WQ_ENAME);
	put(&c, "file-d", "/abs", WQI_KIND_FILE, "no", WQ_ENAME);
	CHECK(wqi_wk_cache_put_end(&c, wqi_str_c("file-d"), reason, sizeof reason) == 0);
	CHECK_EQ_INT(wqi_wk_cache_exists(&c, "file-d"), 2);
	CHECK(read_file(DIR_ "/cache/file-d/sub/f", buf, sizeof buf) == 0);
	CHECK_EQ_STR(buf, "in sub");
	/* bad names and sequences */
	put(&c, "../x", "", WQI_KIND_FILE, "no", WQ_ENAME);
	put(&c, "a/b", "", WQI_KIND_FILE, "no", WQ_ENAME);
	put(&c, ".partial.x", "", WQI_KIND_FILE, "no", WQ_ENAME);
	put(&c, "never-begun", "entry", WQI_KIND_FILE, "no", WQ_ENAME);
	put(&c, "buf-2", "", WQI_KIND_MISSING, NULL, WQ_ENAME);
	CHECK(wqi_wk_cache_put_end(&c, wqi_str_c("never-begun"), reason, sizeof reason) == WQ_ENAME);
	/* a local failure: an entry under a file */
	put(&c, "file-e", "", WQI_KIND_DIR, NULL, 0);
	put(&c, "file-e", "f", WQI_KIND_FILE, "x", 0);
	put(&c, "file-e", "f/g", WQI_KIND_FILE, "x", 0);
	CHECK(wqi_wk_cache_put_end(&c, wqi_str_c("file-e"), reason, sizeof reason) == WQ_EFILE);
	CHECK(strlen(reason) > 0);
	CHECK_EQ_INT(wqi_wk_cache_exists(&c, "file-e"), 0);
	struct stat st;
	CHECK(stat(DIR_ "/cache/.partial.file-e", &st) < 0);
	/* streaming failure reported at PUT_END */
	put(&c, "buf-3", "", WQI_KIND_FILE, "x", 0);
	wqi_wk_cache_put_failed(&c, wqi_str_c("buf-3"), "disk full");
	CHECK(wqi_wk_cache_put_end(&c, wqi_str_c("buf-3"), reason, sizeof reason) == WQ_EFILE);
	CHECK_EQ_STR(reason, "disk full");
	/* unlink and clear */
	CHECK(wqi_wk_cache_unlink(&c, "buf-1") == 0);
	CHECK_EQ_INT(wqi_wk_cache_exists(&c, "buf-1"), 0);
	CHECK(wqi_wk_cache_unlink(&c, "../../etc") == WQ_ENAME);
	put(&c, "buf-4", "", WQI_KIND_FILE, "x", 0);
	CHECK(wqi_wk_cache_clear(&c) == 0);
	CHECK_EQ_INT(wqi_wk_cache_exists(&c, "file-d"), 0);
	CHECK(wqi_wk_cache_put_end(&c, wqi_str_c("buf-4"), reason, sizeof reason) == WQ_ENAME);
	wqi_wk_cache_fini(&c);
	wqi_rm_rf(DIR_);
}

static const struct wqi_test tests[] = {
	TEST(test_names),
	TEST(test_put_file_and_dir),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
