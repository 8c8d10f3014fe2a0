/*
 * resources_test.c - parsing of /proc and cgroup texts, and detection sanity.
 */
#include "testing.h"
#include "work_queue.h"
#include "worker/resources.h"

static void test_meminfo(void)
{
	CHECK_EQ_INT(wqi_wk_res_parse_meminfo("MemTotal:       24683656 kB\nMemFree:  1 kB\n"), 24683656 / 1024);
	CHECK_EQ_INT(wqi_wk_res_parse_meminfo("MemFree: 5 kB\nMemTotal: 2048 kB\n"), 2);
	CHECK_EQ_INT(wqi_wk_res_parse_meminfo("MemFree: 5 kB\n"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_meminfo("MemTotal: x kB\n"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_meminfo(""), -1);
}

static void test_cpu_max(void)
{
	CHECK_EQ_INT(wqi_wk_res_parse_cpu_max("max 100000\n"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_cpu_max("200000 100000\n"), 2);
	CHECK_EQ_INT(wqi_wk_res_parse_cpu_max("150000 100000\n"), 2);   /* rounded up */
	CHECK_EQ_INT(wqi_wk_res_parse_cpu_max("50000 100000"), 1);
	CHECK_EQ_INT(wqi_wk_res_parse_cpu_max("garbage"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_cpu_max("100000"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_cfs("-1\n", "100000\n"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_cfs("250000\n", "100000\n"), 3);
	CHECK_EQ_INT(wqi_wk_res_parse_cfs("100000\n", "0\n"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_cfs("", "100000"), -1);
}

static void test_mem_limit(void)
{
	CHECK_EQ_INT(wqi_wk_res_parse_mem_limit("max\n"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_mem_limit("9223372036854771712\n"), -1); /* v1 "no limit" */
	CHECK_EQ_INT(wqi_wk_res_parse_mem_limit("1073741824\n"), 1024);
	CHECK_EQ_INT(wqi_wk_res_parse_mem_limit("536870912"), 512);
	CHECK_EQ_INT(wqi_wk_res_parse_mem_limit("nonsense"), -1);
	CHECK_EQ_INT(wqi_wk_res_parse_mem_limit("0"), -1);
}

static void test_cgroup_path(void)
{
	const char *v1 = "9:name=systemd:/\n4:memory:/process_api/b48f\n2:cpu,cpuacct:/grp\n0::/\n";
	char out[256];
	CHECK(wqi_wk_res_cgroup_path(v1, "memory", out, sizeof out) == 0);
	CHECK_EQ_STR(out, "/process_api/b48f");
	CHECK(wqi_wk_res_cgroup_path(v1, "cpu", out, sizeof out) == 0);
	CHECK_EQ_STR(out, "/grp");
	CHECK(wqi_wk_res_cgroup_path(v1, "cpuacct", out, sizeof out) == 0);
	CHECK_EQ_STR(out, "/grp");
	CHECK(wqi_wk_res_cgroup_path(v1, NULL, out, sizeof out) == 0);
	CHECK_EQ_STR(out, "/");
	CHECK(wqi_wk_res_cgroup_path(v1, "pids", out, sizeof out) == WQ_ENOENT);
	CHECK(wqi_wk_res_cgroup_path(v1, "cpus", out, sizeof out) == WQ_ENOENT);
	CHECK(wqi_wk_res_cgroup_path("0::/user.slice/session-1.scope", NULL, out, sizeof out) == 0);
	CHECK_EQ_STR(out, "/user.slice/session-1.scope");
	CHECK(wqi_wk_res_cgroup_path("garbage", NULL, out, sizeof out) == WQ_ENOENT);
	CHECK(wqi_wk_res_cgroup_path("4:memory:/a/very/long/path", "memory", out, 5) == WQ_ENOENT);
}

static void test_detect(void)
{
	struct wqi_wk_resources r;
	wqi_wk_resources_detect(&r, "/tmp/does/not/exist/yet");
	CHECK(r.cores >= 1);
	CHECK(r.memory_mb > 0);
	CHECK(r.disk_mb > 0);   /* found through the nearest existing parent */
	CHECK(r.gpus >= 0);
	CHECK(wqi_wk_res_disk_free_mb("/") > 0);
}

static const struct wqi_test tests[] = {
	TEST(test_meminfo),
	TEST(test_cpu_max),
	TEST(test_mem_limit),
	TEST(test_cgroup_path),
	TEST(test_detect),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
