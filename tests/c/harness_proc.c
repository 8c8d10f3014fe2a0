/*
 * harness_proc.c - the child processes of the C end-to-end tests (see
 * harness.h): wq_worker processes and the catalog server, and the table of
 * every child the harness started, from which harness.c's cleanup kills
 * them (harness_net.c's HTTP server is recorded here too).
 *
 * Children are started with fork_child() (hi_fork_other() for those outside
 * the worker table), which keeps the harness's signal handlers and alarm out
 * of them, and set PR_SET_PDEATHSIG(SIGKILL) so they die with the test even
 * if it is SIGKILLed.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define H_MAX_CHILDREN 64

static struct h_worker *workers[H_MAX_CHILDREN]; /* every worker started */
static int n_workers;
static pid_t other_children[H_MAX_CHILDREN];     /* HTTP server, catalog servers, ... */
static int n_other;

/* ---- the table of children, for cleanup ---- */

/* Kill every child still running (SIGKILL) and reap it. Signal-safe.
 * A child other than a worker may have been reaped by the test already
 * (e2e_catalog stops its servers itself): only a pid that is still our
 * unreaped child is killed, never one the system may have reused. */
void hi_kill_children(void)
{
	for (int i = 0; i < n_workers; i++) {
		if (workers[i] && workers[i]->pid > 0) {
			kill(workers[i]->pid, SIGKILL);
			waitpid(workers[i]->pid, NULL, 0);
			workers[i]->pid = 0;
		}
	}
	for (int i = 0; i < n_other; i++) {
		if (other_children[i] > 0 && waitpid(other_children[i], NULL, WNOHANG) == 0) {
			kill(other_children[i], SIGKILL);
			waitpid(other_children[i], NULL, 0);
		}
		other_children[i] = 0;
	}
}

/* SIGTERM every running worker (so it kills its tasks), then reap each for
 * up to timeout_ms; what is left is for hi_kill_children(). */
void hi_stop_workers(int timeout_ms)
{
	for (int i = 0; i < n_workers; i++)
		if (workers[i]->pid > 0)
			kill(workers[i]->pid, SIGTERM);
	for (int i = 0; i < n_workers; i++)
		if (workers[i]->pid > 0)
			h_worker_reap(workers[i], timeout_ms);
}

/* Free every worker record (at exit, once they are reaped). */
void hi_free_workers(void)
{
	for (int i = 0; i < n_workers; i++) {
		free(workers[i]->workdir);
		free(workers[i]->log);
		free(workers[i]);
	}
	n_workers = 0;
}

/* Print the tail of each worker's log (used when a test failed). */
void hi_dump_worker_logs(void)
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
	if (n_workers >= H_MAX_CHILDREN || hi_mkdir_p(workdir) < 0)
		return NULL;
	struct h_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	/* logs live apart from workdirs, so a test can watch a workdir's parent */
	char logdir[512];
	snprintf(logdir, sizeof logdir, "%s/logs", h_root());
	hi_mkdir_p(logdir);
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
	snprintf(dir, sizeof dir, "%s/worker%d", h_root(), n_workers);
	return h_worker_start_in("127.0.0.1", port, dir, extra);
}

struct h_worker *h_worker_start_args(const char *args)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/worker%d", h_root(), n_workers);
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

/* ---- other children ---- */

/* fork_child() for a child outside the worker table (the HTTP server, a
 * catalog server), recorded at once so that cleanup kills it; the table is
 * checked first so that no child is ever left unrecorded. */
pid_t hi_fork_other(void)
{
	if (n_other >= H_MAX_CHILDREN) {
		errno = EAGAIN;
		return -1;
	}
	pid_t pid = fork_child();
	if (pid > 0)
		other_children[n_other++] = pid;
	return pid;
}

/* ---- the catalog server ---- */

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
	pid_t pid = hi_fork_other();
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
