/*
 * spawn_baseline.c - the floor the throughput and latency benchmarks are
 * measured against: a plain C loop that runs what a task runs,
 * /bin/sh -c /bin/true, with posix_spawn (vfork underneath in glibc).
 *
 *   spawn_baseline rate N P     N commands, at most P at a time; prints
 *                               "spawn_rate <commands/s>"
 *   spawn_baseline latency N    N commands one after the other; prints
 *                               "spawn_p50_us <us>" and "spawn_p99_us <us>"
 *
 * Exit status 0, or 1 when a command could not be started or failed.
 */
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Start /bin/sh -c /bin/true; 0 or -1. */
static int start_one(pid_t *pid)
{
	char *argv[] = { "/bin/sh", "-c", "/bin/true", NULL };
	int rc = posix_spawn(pid, "/bin/sh", NULL, NULL, argv, environ);
	if (rc != 0) {
		fprintf(stderr, "spawn_baseline: posix_spawn: %s\n", strerror(rc));
		return -1;
	}
	return 0;
}

/* Reap one child; 0 if it exited 0, else -1. */
static int reap_one(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* N commands, P in flight: keep P children, start one as each ends. */
static int rate(long n, long p)
{
	long started = 0, done = 0;
	uint64_t t0 = mono_us();
	while (done < n) {
		while (started < n && started - done < p) {
			pid_t pid;
			if (start_one(&pid) < 0)
				return 1;
			started++;
		}
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("spawn_baseline: waitpid");
			return 1;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "spawn_baseline: a command failed\n");
			return 1;
		}
		done++;
	}
	double s = (double)(mono_us() - t0) / 1e6;
	printf("spawn_rate %.1f\n", (double)n / s);
	return 0;
}

/* N commands one by one: the time from spawn to reaped exit of each. */
static int latency(long n)
{
	uint64_t *lat = malloc((size_t)n * sizeof(*lat));
	if (!lat)
		return 1;
	for (long i = 0; i < n; i++) {
		uint64_t t0 = mono_us();
		pid_t pid;
		if (start_one(&pid) < 0 || reap_one(pid) < 0) {
			free(lat);
			return 1;
		}
		lat[i] = mono_us() - t0;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	printf("spawn_p10_us %llu\nspawn_p90_us %llu\n", (unsigned long long)lat[n / 10], (unsigned long long)lat[(n * 9) / 10]);
	printf("spawn_p50_us %llu\nspawn_p99_us %llu\n", (unsigned long long)lat[n / 2],
	       (unsigned long long)lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "rate") == 0 && atol(argv[2]) > 0 && atol(argv[3]) > 0)
		return rate(atol(argv[2]), atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "latency") == 0 && atol(argv[2]) > 0)
		return latency(atol(argv[2]));
	fprintf(stderr, "usage: spawn_baseline rate N P | latency N\n");
	return 2;
}
