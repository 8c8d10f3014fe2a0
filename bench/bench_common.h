/*
 * bench_common.h - small helpers shared by the benchmark programs in bench/
 * (clocks, CPU and memory of this process, starting local wq_workers).
 * Header-only, every function static: each bench program is one .c file.
 * Benchmarks print "key value" lines on stdout that bench/run.py collects;
 * they exit 1 only when something is broken (a lost task, a wrong byte).
 */
#ifndef WQ_BENCH_COMMON_H
#define WQ_BENCH_COMMON_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* User + system CPU of this process so far, microseconds. */
static inline uint64_t bench_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u + (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* User-space CPU time of this process, microseconds (the rest of bench_cpu_us is system time). */
static inline uint64_t bench_user_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec;
}

/* Peak RSS of this process, bytes: VmHWM from /proc/self/status, which
 * starts afresh at exec (ru_maxrss does not: after fork + exec it keeps the
 * parent's peak, e.g. the Python interpreter that started the benchmark). */
static inline uint64_t bench_maxrss(void)
{
	char line[256];
	unsigned long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024u;
}

/* Current RSS of this process from /proc/self/statm, bytes (0 if unknown). */
static inline uint64_t bench_rss(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Raise the descriptor limit to at least want (up to the hard limit); returns the new soft limit. */
static inline long bench_raise_nofile(long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rlim_t n = (rlim_t)want;
	if (rl.rlim_max != RLIM_INFINITY && n > rl.rlim_max)
		n = rl.rlim_max;
	if (rl.rlim_cur < n) {
		rl.rlim_cur = n;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (long)rl.rlim_cur;
}

/* Start "worker 127.0.0.1 port --cores cores --timeout 600" with stdout/stderr
 * to /dev/null (stderr kept when WQ_BENCH_VERBOSE is set). Returns the pid or -1. */
static inline pid_t bench_start_worker(const char *worker, int port, int cores)
{
	char p[16], c[16];
	snprintf(p, sizeof p, "%d", port);
	snprintf(c, sizeof c, "%d", cores);
	pid_t pid = fork();
	if (pid == 0) {
		if (!getenv("WQ_BENCH_VERBOSE")) {
			FILE *n = freopen("/dev/null", "w", stderr);
			(void)n;
		}
		execl(worker, worker, "--cores", c, "--timeout", "600", "--single-shot", "127.0.0.1", p, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* SIGTERM then reap every pid in the array. */
static inline void bench_stop(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

#endif
