/*
 * harness.c - helpers shared by the C end-to-end tests (see harness.h): the
 * test's lifecycle and checks, its temp files, time, and driving the master.
 * The child processes are in harness_proc.c, sockets and HTTP in harness_net.c.
 *
 * Everything a test starts is recorded (worker processes and other children
 * in harness_proc.c, the temp root and harness-owned memory here) so that one
 * cleanup path can remove it: at normal exit (atexit) and on
 * SIGALRM/SIGINT/SIGTERM. Children also get PR_SET_PDEATHSIG(SIGKILL), so
 * they die even if the test is SIGKILLed.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define H_MAX_STRINGS 4096

static const char *test_name = "test";
static char root[256];                    /* temp root, "" before h_init */
static int n_pass, n_fail;
static char *strings[H_MAX_STRINGS];             /* harness-owned strings */
static int n_strings;
static struct work_queue_task **kept;            /* tasks returned by h_pump */
static size_t n_kept, cap_kept;
static pid_t main_pid;                           /* the test process (not a forked child) */

/* ---- cleanup ---- */

/* Remove the temp root by running rm -rf in a child: async-signal-safe, so
 * the same code serves atexit and the signal handlers. */
static void remove_root(void)
{
	if (!root[0])
		return;
	pid_t p = fork();
	if (p == 0) {
		execl("/bin/rm", "rm", "-rf", root, (char *)NULL);
		_exit(127);
	}
	if (p > 0)
		while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
			;
	root[0] = 0;
}

/* Normal exit: stop workers gracefully (so they kill their tasks), then
 * kill what is left, remove the temp root, free harness memory. */
static void cleanup_atexit(void)
{
	if (getpid() != main_pid)
		return;
	hi_stop_workers(2000);
	hi_kill_children();
	remove_root();
	hi_free_workers();
	for (int i = 0; i < n_strings; i++)
		free(strings[i]);
	n_strings = 0;
	for (size_t i = 0; i < n_kept; i++)
		work_queue_task_delete(kept[i]);
	free(kept);
	kept = NULL;
	n_kept = cap_kept = 0;
}

/* SIGALRM (the global timeout), SIGINT, SIGTERM: say so, kill children,
 * remove temp files, exit non-zero. Only async-signal-safe calls. */
static void on_signal(int sig)
{
	static const char msg_alarm[] = "FAIL global timeout (alarm) expired\n";
	static const char msg_other[] = "FAIL interrupted by a signal\n";
	if (getpid() != main_pid)
		_exit(2); /* a child between fork and exec: leave cleanup to the parent */
	if (sig == SIGALRM) {
		if (write(1, msg_alarm, sizeof msg_alarm - 1) < 0) { /* nothing to do */ }
	} else {
		if (write(1, msg_other, sizeof msg_other - 1) < 0) { /* nothing to do */ }
	}
	hi_kill_children();
	remove_root();
	_exit(2);
}

void h_init(const char *name, int timeout_s)
{
	test_name = name;
	main_pid = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(root, sizeof root, "%s/wq-e2e-%s-XXXXXX", tmp, name);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(2);
	}
	atexit(cleanup_atexit);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (timeout_s > 120)
		timeout_s = 120;
	alarm(timeout_s);
	printf("== %s (timeout %d s, temp %s)\n", name, timeout_s, root);
}

int h_finish(void)
{
	if (n_fail)
		hi_dump_worker_logs();
	printf("%s: %d passed, %d failed\n", test_name, n_pass, n_fail);
	return n_fail ? 1 : 0;
}

int h_check_(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (ok) {
		n_pass++;
		printf("ok   %s\n", what);
	} else {
		n_fail++;
		printf("FAIL %s (%s:%d: %s)\n", what, file, line, expr);
	}
	return ok;
}

void h_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("     ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

int h_failed_count(void) { return n_fail; }

/* ---- paths and files ---- */

const char *h_root(void) { return root; }

/* Keep a malloc'd string until exit. */
static const char *keep_string(char *s)
{
	if (!s || n_strings >= H_MAX_STRINGS) {
		fprintf(stderr, "harness: out of string slots\n");
		exit(2);
	}
	strings[n_strings++] = s;
	return s;
}

const char *h_path(const char *fmt, ...)
{
	char rel[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	size_t n = strlen(root) + strlen(rel) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/%s", root, rel);
	return keep_string(s);
}

/* mkdir -p of an absolute path; 0 or -1 (errno set). */
int hi_mkdir_p(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

const char *h_mkdir(const char *name)
{
	const char *p = h_path("%s", name);
	return hi_mkdir_p(p) == 0 ? p : NULL;
}

int h_write_file(const char *path, const void *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode ? mode : 0644);
	if (fd < 0)
		return -1;
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	if (mode)
		fchmod(fd, (mode_t)mode);
	return close(fd) == 0 ? 0 : -1;
}

int h_write_random(const char *path, uint64_t size, uint64_t seed)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	enum { CHUNK = 1 << 20 };
	uint64_t *chunk = malloc(CHUNK);
	if (!chunk) {
		close(fd);
		return -1;
	}
	uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
	int rc = 0;
	while (size > 0 && rc == 0) {
		for (size_t i = 0; i < CHUNK / 8; i++) { /* xorshift64 */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			chunk[i] = x;
		}
		size_t n = size < CHUNK ? (size_t)size : CHUNK;
		const char *p = (const char *)chunk;
		size_t left = n;
		while (left > 0) {
			ssize_t w = write(fd, p, left);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				rc = -1;
				break;
			}
			p += w;
			left -= (size_t)w;
		}
		size -= n;
	}
	free(chunk);
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

char *h_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap + 1);
	for (;;) {
		if (!s)
			break;
		if (n == cap) {
			char *t = realloc(s, cap * 2 + 1);
			if (!t) {
				free(s);
				s = NULL;
				break;
			}
			s = t;
			cap *= 2;
		}
		ssize_t r = read(fd, s + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(s);
			s = NULL;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (s) {
		s[n] = 0;
		if (len)
			*len = n;
	}
	return s;
}

/* Read exactly n bytes unless EOF; returns bytes read or -1. */
static ssize_t read_full(int fd, char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int h_files_equal(const char *a, const char *b)
{
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
	int eq = fa >= 0 && fb >= 0;
	enum { CHUNK = 1 << 20 };
	char *ba = malloc(CHUNK), *bb = malloc(CHUNK);
	if (!ba || !bb)
		eq = 0;
	while (eq) {
		ssize_t ra = read_full(fa, ba, CHUNK), rb = read_full(fb, bb, CHUNK);
		if (ra < 0 || rb < 0 || ra != rb || memcmp(ba, bb, (size_t)ra) != 0)
			eq = 0;
		if (ra <= 0)
			break;
	}
	free(ba);
	free(bb);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return eq;
}

int h_file_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int64_t h_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* ---- time ---- */

uint64_t h_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t h_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void h_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int h_wait_until(int (*cond)(void *arg), void *arg, int timeout_ms)
{
	uint64_t end = h_mono_ms() + (uint64_t)timeout_ms;
	for (;;) {
		if (cond(arg))
			return 1;
		if (h_mono_ms() >= end)
			return 0;
		h_sleep_ms(10);
	}
}

/* ---- driving the master ---- */

/* Keep a task returned while pumping. */
static void keep_task(struct work_queue_task *t)
{
	if (n_kept == cap_kept) {
		size_t nc = cap_kept ? cap_kept * 2 : 64;
		struct work_queue_task **k = realloc(kept, nc * sizeof *k);
		if (!k) {
			fprintf(stderr, "harness: out of memory\n");
			exit(2);
		}
		kept = k;
		cap_kept = nc;
	}
	kept[n_kept++] = t;
}

int h_pump(struct work_queue *q, int ms)
{
	struct work_queue_task *t = work_queue_wait_ms(q, NULL, ms);
	if (!t)
		return 0;
	keep_task(t);
	return 1;
}

struct work_queue_task *h_next_task(struct work_queue *q, int timeout_ms)
{
	if (n_kept > 0) {
		struct work_queue_task *t = kept[0];
		memmove(kept, kept + 1, (n_kept - 1) * sizeof *kept);
		n_kept--;
		return t;
	}
	return work_queue_wait_ms(q, NULL, timeout_ms);
}

int h_probe_host(struct work_queue *q, char *host, size_t len, int timeout_ms)
{
	host[0] = '\0';
	struct work_queue_task *t = work_queue_task_create("echo probe");
	if (!t || work_queue_submit(q, t) <= 0) {
		work_queue_task_delete(t);
		return 0;
	}
	t = h_next_task(q, timeout_ms);
	if (t && work_queue_task_get_host(t))
		snprintf(host, len, "%s", work_queue_task_get_host(t));
	work_queue_task_delete(t);
	return host[0] != '\0';
}

int h_collect(struct work_queue *q, int n, const char *host, int *on_host, int timeout_ms)
{
	int good = 0;
	*on_host = 0;
	uint64_t start = h_mono_ms();
	for (int got = 0; got < n && h_mono_ms() - start < (uint64_t)timeout_ms;) {
		struct work_queue_task *t = h_next_task(q, 1000);
		if (!t)
			continue;
		got++;
		good += work_queue_task_get_result(t) == WORK_QUEUE_RESULT_SUCCESS && work_queue_task_get_return_status(t) == 0;
		const char *h = work_queue_task_get_host(t);
		if (host && h && strcmp(h, host) == 0)
			(*on_host)++;
		work_queue_task_delete(t);
	}
	return good;
}

int h_wait_stats(struct work_queue *q, int (*cond)(const struct work_queue_stats *s, void *arg), void *arg, int timeout_ms)
{
	uint64_t end = h_mono_ms() + (uint64_t)timeout_ms;
	struct work_queue_stats s;
	for (;;) {
		memset(&s, 0, sizeof s);
		work_queue_get_stats(q, &s);
		if (cond(&s, arg))
			return 1;
		if (h_mono_ms() >= end)
			return 0;
		h_pump(q, 20);
	}
}

static int workers_are(const struct work_queue_stats *s, void *arg)
{
	return s->workers_connected == *(int *)arg;
}

int h_wait_workers(struct work_queue *q, int n, int timeout_ms)
{
	return h_wait_stats(q, workers_are, &n, timeout_ms);
}

void h_print_stats(struct work_queue *q)
{
	char *j = work_queue_get_stats_json(q);
	printf("     stats: %s\n", j ? j : "(null)");
	free(j);
}
