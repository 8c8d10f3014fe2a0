/*
 * harness.c - helpers shared by the C end-to-end tests (see harness.h).
 *
 * Everything a test starts is recorded here (worker processes, the HTTP
 * server child, the temp root) so that one cleanup path can remove it:
 * at normal exit (atexit) and on SIGALRM/SIGINT/SIGTERM. Children also get
 * PR_SET_PDEATHSIG(SIGKILL), so they die even if the test is SIGKILLed.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define H_MAX_CHILDREN 64
#define H_MAX_STRINGS 4096

static const char *test_name = "test";
static char root[256];                    /* temp root, "" before h_init */
static int n_pass, n_fail;
static struct h_worker *workers[H_MAX_CHILDREN]; /* every worker started */
static int n_workers;
static pid_t other_children[H_MAX_CHILDREN];     /* HTTP server, ... */
static int n_other;
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

/* Kill every child still running (SIGKILL) and reap it. Signal-safe. */
static void kill_children(void)
{
	for (int i = 0; i < n_workers; i++) {
		if (workers[i] && workers[i]->pid > 0) {
			kill(workers[i]->pid, SIGKILL);
			waitpid(workers[i]->pid, NULL, 0);
			workers[i]->pid = 0;
		}
	}
	for (int i = 0; i < n_other; i++) {
		if (other_children[i] > 0) {
			kill(other_children[i], SIGKILL);
			waitpid(other_children[i], NULL, 0);
			other_children[i] = 0;
		}
	}
}

/* Print the tail of each worker's log (used when a test failed). */
static void dump_worker_logs(void)
{
	for (int i = 0; i < n_workers; i++) {
		size_t len = 0;
		char *s = h_read_file(workers[i]->log, &len);
		if (!s)
			continue;
		size_t from = len > 3000 ? len - 3000 : 0;
		fprintf(stderr, "---- worker %d log (%s), last %zu bytes ----\n%s\n", i, workers[i]->log, len - from, s + from);
		free(s);
	}
}

/* Normal exit: stop workers gracefully (so they kill their tasks), then
 * kill what is left, remove the temp root, free harness memory. */
static void cleanup_atexit(void)
{
	if (getpid() != main_pid)
		return;
	for (int i = 0; i < n_workers; i++)
		if (workers[i]->pid > 0)
			kill(workers[i]->pid, SIGTERM);
	for (int i = 0; i < n_workers; i++)
		if (workers[i]->pid > 0)
			h_worker_reap(workers[i], 2000);
	kill_children();
	remove_root();
	for (int i = 0; i < n_workers; i++) {
		free(workers[i]->workdir);
		free(workers[i]->log);
		free(workers[i]);
	}
	n_workers = 0;
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
	kill_children();
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
		dump_worker_logs();
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

/* mkdir -p of an absolute path. */
static int mkdir_p(const char *path)
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
	return mkdir_p(p) == 0 ? p : NULL;
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

/* ---- workers ---- */

/* fork() with the harness's signal handlers out of the child's way: signals
 * are blocked across the fork, the child resets them to the defaults and
 * cancels the alarm before unblocking. Returns like fork(). */
static pid_t fork_child(void)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		alarm(0);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

static const char *worker_path(void)
{
	const char *p = getenv("WQ_WORKER");
	return p && *p ? p : "build/wq_worker";
}

struct h_worker *h_worker_start_in(const char *host, int port, const char *workdir, const char *extra)
{
	if (n_workers >= H_MAX_CHILDREN || mkdir_p(workdir) < 0)
		return NULL;
	struct h_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	/* logs live apart from workdirs, so a test can watch a workdir's parent */
	char logdir[512];
	snprintf(logdir, sizeof logdir, "%s/logs", root);
	mkdir_p(logdir);
	w->workdir = strdup(workdir);
	size_t ln = strlen(logdir) + 32;
	w->log = malloc(ln);
	if (!w->workdir || !w->log) {
		free(w->workdir);
		free(w->log);
		free(w);
		return NULL;
	}
	snprintf(w->log, ln, "%s/worker%d.log", logdir, n_workers);

	/* argv: worker --timeout 300 [--debug --debug-file F] extra... --workdir D host port */
	char extra_copy[1024], port_s[16], dbg[1100];
	snprintf(extra_copy, sizeof extra_copy, "%s", extra ? extra : "");
	snprintf(port_s, sizeof port_s, "%d", port);
	snprintf(dbg, sizeof dbg, "%s.debug", w->log);
	const char *argv[64];
	int argc = 0;
	argv[argc++] = worker_path();
	argv[argc++] = "--timeout";
	argv[argc++] = "300";
	if (getenv("WQ_TEST_DEBUG")) {
		argv[argc++] = "--debug";
		argv[argc++] = "--debug-file";
		argv[argc++] = dbg;
	}
	argv[argc++] = "--workdir";
	argv[argc++] = w->workdir;
	for (char *save = NULL, *tok = strtok_r(extra_copy, " ", &save); tok && argc < 58; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	if (host) { /* NULL: no HOST PORT (a worker given -M in extra) */
		argv[argc++] = host;
		argv[argc++] = port_s;
	}
	argv[argc] = NULL;

	pid_t parent = getpid();
	pid_t pid = fork_child();
	if (pid < 0) {
		free(w->workdir);
		free(w->log);
		free(w);
		return NULL;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int fd = open(w->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	w->pid = pid;
	workers[n_workers++] = w;
	return w;
}

struct h_worker *h_worker_start(int port, const char *extra)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/worker%d", root, n_workers);
	return h_worker_start_in("127.0.0.1", port, dir, extra);
}

struct h_worker *h_worker_start_args(const char *args)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/worker%d", root, n_workers);
	return h_worker_start_in(NULL, 0, dir, args);
}

int h_worker_signal(struct h_worker *w, int sig)
{
	return w && w->pid > 0 ? kill(w->pid, sig) : -1;
}

int h_worker_reap(struct h_worker *w, int timeout_ms)
{
	if (!w)
		return 0;
	uint64_t end = h_mono_ms() + (uint64_t)timeout_ms;
	while (w->pid > 0) {
		int st;
		pid_t r = waitpid(w->pid, &st, WNOHANG);
		if (r == w->pid || (r < 0 && errno == ECHILD)) {
			w->status = r == w->pid ? st : 0;
			w->pid = 0;
			break;
		}
		if (h_mono_ms() >= end)
			return 0;
		h_sleep_ms(10);
	}
	return 1;
}

void h_worker_stop(struct h_worker *w)
{
	if (!w || w->pid <= 0)
		return;
	kill(w->pid, SIGTERM);
	if (!h_worker_reap(w, 3000)) {
		kill(w->pid, SIGKILL);
		h_worker_reap(w, 5000);
	}
}

int h_worker_alive(struct h_worker *w)
{
	if (!w || w->pid <= 0)
		return 0;
	h_worker_reap(w, 0);
	return w->pid > 0;
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

/* ---- network ---- */

int h_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Write all of p to fd (blocking); 0 or -1. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Answer one HTTP/1.0 request on c with a file of dir (200), or 404/400. */
static void http_serve_one(int c, const char *dir)
{
	struct timeval tv = { 10, 0 };
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	char req[8192];
	size_t n = 0;
	while (n < sizeof req - 1) {
		ssize_t r = read(c, req + n, sizeof req - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = 0;
	char method[16], target[4096];
	char hdr[512];
	if (sscanf(req, "%15s %4095s", method, target) != 2 || strcmp(method, "GET") != 0 || target[0] != '/' || strstr(target, "..")) {
		const char *bad = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
		write_all(c, bad, strlen(bad));
		return;
	}
	char path[8192];
	snprintf(path, sizeof path, "%s%s", dir, target);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		const char *body = "not found\n";
		snprintf(hdr, sizeof hdr, "HTTP/1.0 404 Not Found\r\nContent-Length: %zu\r\nContent-Type: text/plain\r\n\r\n%s", strlen(body), body);
		write_all(c, hdr, strlen(hdr));
		return;
	}
	snprintf(hdr, sizeof hdr, "HTTP/1.0 200 OK\r\nContent-Length: %lld\r\nContent-Type: application/octet-stream\r\n\r\n", (long long)st.st_size);
	if (write_all(c, hdr, strlen(hdr)) == 0) {
		char buf[65536];
		ssize_t r;
		while ((r = read(fd, buf, sizeof buf)) > 0)
			if (write_all(c, buf, (size_t)r) < 0)
				break;
	}
	close(fd);
}

int h_http_start(const char *dir)
{
	if (n_other >= H_MAX_CHILDREN)
		return -1;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0) {
		close(lfd);
		return -1;
	}
	int port = ntohs(a.sin_port);
	pid_t parent = getpid();
	pid_t pid = fork_child();
	if (pid < 0) {
		close(lfd);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGPIPE, SIG_IGN);
		for (;;) {
			int c = accept(lfd, NULL, NULL);
			if (c < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				_exit(1);
			}
			http_serve_one(c, dir);
			close(c);
		}
	}
	close(lfd);
	other_children[n_other++] = pid;
	return port;
}

/* ---- catalog server and HTTP clients ---- */

pid_t h_catalog_start(int *port, const char *extra)
{
	if (n_other >= H_MAX_CHILDREN)
		return -1;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	const char *path = getenv("WQ_CATALOG_SERVER");
	char extra_copy[1024];
	snprintf(extra_copy, sizeof extra_copy, "%s", extra ? extra : "");
	const char *argv[40];
	int argc = 0;
	argv[argc++] = path && *path ? path : "build/wq_catalog_server";
	argv[argc++] = "--port";
	argv[argc++] = "0";
	argv[argc++] = "--debug-file";
	argv[argc++] = h_path("catalog%d.debug", n_other);
	for (char *save = NULL, *tok = strtok_r(extra_copy, " ", &save); tok && argc < 38; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	pid_t parent = getpid();
	pid_t pid = fork_child();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(pfd[1], 1);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	other_children[n_other++] = pid;
	char line[256];
	size_t n = 0;
	uint64_t end = h_mono_ms() + 10000;
	while (n < sizeof line - 1 && !memchr(line, '\n', n) && h_mono_ms() < end) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = read(pfd[0], line + n, sizeof line - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(pfd[0]);
	line[n] = 0;
	if (sscanf(line, "wq_catalog_server: listening on port %d", port) != 1)
		return -1;
	return pid;
}

int h_http_get(struct work_queue *q, int port, const char *path, char **body, int timeout_ms)
{
	*body = NULL;
	int fd = h_connect(port);
	if (fd < 0)
		return -1;
	char req[1200];
	int rl = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write_all(fd, req, (size_t)rl) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int done = 0;
	uint64_t end = h_mono_ms() + (uint64_t)timeout_ms;
	while (!done && h_mono_ms() < end) {
		if (q)
			h_pump(q, 10); /* the master answers only inside its loop */
		else {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			poll(&pf, 1, 50);
		}
		for (;;) {
			if (cap - len < 65536) {
				char *nb = realloc(buf, cap + 65536 + 1);
				if (!nb) {
					done = -1;
					break;
				}
				buf = nb;
				cap += 65536;
			}
			ssize_t r = read(fd, buf + len, cap - len);
			if (r > 0) {
				len += (size_t)r;
				continue;
			}
			if (r == 0)
				done = 1;
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				done = -1;
			break;
		}
	}
	close(fd);
	int status = -1;
	if (done == 1 && buf) {
		buf[len] = 0;
		char *sep = strstr(buf, "\r\n\r\n");
		if (sscanf(buf, "HTTP/1.%*d %d", &status) == 1 && sep) {
			size_t off = (size_t)(sep + 4 - buf);
			memmove(buf, buf + off, len - off + 1);
			*body = buf;
			return status;
		}
		status = -1;
	}
	free(buf);
	return status;
}
