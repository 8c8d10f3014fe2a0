/*
 * harness.h - helpers shared by the C end-to-end tests (tests/c/).
 *
 * Each test is one program: h_init() at the top of main() (a private temp
 * directory, a global alarm, cleanup of every child and temp file at exit,
 * even when the test fails or times out), H_CHECK()s that print what they
 * check, and `return h_finish();` at the end (prints "N passed, N failed").
 *
 * Workers are real wq_worker processes (path from $WQ_WORKER, default
 * build/wq_worker) connecting to 127.0.0.1:PORT with a private workdir;
 * their stdout/stderr go to <root>/logs/workerN.log, printed when the test fails.
 *
 * The helpers live in harness.c (lifecycle, checks, files, time, driving the
 * master), harness_proc.c (workers, the catalog server, the child table) and
 * harness_net.c (sockets, the HTTP file server and client); every e2e test
 * links all three.
 * Set WQ_TEST_DEBUG=1 to start them with --debug as well.
 *
 * The master only makes progress inside work_queue_wait*, so conditions on
 * the master are polled with h_wait_stats()/h_pump(), which run the master's
 * loop and keep any task it returns for h_next_task().
 */
#ifndef WQ_TEST_HARNESS_H
#define WQ_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "work_queue.h"

/* ---- test lifecycle and checks ---- */

/* Start a test: line-buffered output, SIGPIPE ignored, a temp root
 * directory, cleanup at exit and on SIGALRM/SIGINT/SIGTERM, alarm(timeout_s). */
void h_init(const char *name, int timeout_s);
/* Print "N passed, N failed" (and the worker logs if anything failed); the exit code. */
int h_finish(void);
/* Record one check; prints "ok   what" or "FAIL what (file:line: expr)". Returns ok. */
int h_check_(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define H_CHECK(e, ...) h_check_(!!(e), __FILE__, __LINE__, #e, __VA_ARGS__)
/* Print a note (not a check). */
void h_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int h_failed_count(void);

/* ---- paths and files ---- */

const char *h_root(void);                 /* the test's temp root directory */
/* A path under the root, formatted; owned by the harness (freed at exit). */
const char *h_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mkdir -p under the root; returns its path (harness-owned) or NULL. */
const char *h_mkdir(const char *name);
int h_write_file(const char *path, const void *data, size_t len, int mode); /* 0 or -1 */
/* size bytes of deterministic pseudo-random data from seed, written in chunks. */
int h_write_random(const char *path, uint64_t size, uint64_t seed);
/* malloc'd contents (NUL-terminated), *len set; NULL if unreadable. */
char *h_read_file(const char *path, size_t *len);
/* 1 if both files exist and are byte for byte identical, else 0 (streamed). */
int h_files_equal(const char *a, const char *b);
int h_file_exists(const char *path);      /* lstat succeeds */
int64_t h_file_size(const char *path);    /* -1 if missing */

/* ---- time ---- */

uint64_t h_now_us(void);                  /* wall clock */
uint64_t h_mono_ms(void);                 /* monotonic */
void h_sleep_ms(int ms);
/* Call cond(arg) every ~10 ms until it returns non-zero or timeout_ms passes.
 * Returns 1 if the condition held, 0 on timeout. */
int h_wait_until(int (*cond)(void *arg), void *arg, int timeout_ms);

/* ---- workers ---- */

struct h_worker {
	pid_t pid;            /* 0 once reaped */
	int status;           /* wait status once reaped */
	char *workdir;        /* its private --workdir */
	char *log;            /* its stdout+stderr */
};
/* Start wq_worker connecting to 127.0.0.1:port. extra: space-separated
 * options placed after the defaults (so they override them), may be NULL.
 * Defaults: --workdir <private> --timeout 300. NULL on failure. */
struct h_worker *h_worker_start(int port, const char *extra);
/* Same, with an explicit workdir (created if missing) and host. */
struct h_worker *h_worker_start_in(const char *host, int port, const char *workdir, const char *extra);
/* Start wq_worker without HOST PORT (args must say where: -M NAME -C ...);
 * the same defaults and private workdir as h_worker_start. */
struct h_worker *h_worker_start_args(const char *args);
int h_worker_signal(struct h_worker *w, int sig);
/* Wait up to timeout_ms for the worker to exit; 1 if it did (w->status set). */
int h_worker_reap(struct h_worker *w, int timeout_ms);
/* SIGTERM, wait 3 s, then SIGKILL; reaps. */
void h_worker_stop(struct h_worker *w);
int h_worker_alive(struct h_worker *w);

/* ---- driving the master ---- */

/* Run the master's loop for up to ms milliseconds (work_queue_wait_ms);
 * a returned task is kept for h_next_task(). Returns 1 if a task came back. */
int h_pump(struct work_queue *q, int ms);
/* The next completed task: one kept by h_pump, else waits up to timeout_ms. */
struct work_queue_task *h_next_task(struct work_queue *q, int timeout_ms);
/* Run "echo probe" and copy the "ip:port" of the worker that ran it into
 * host[len] ("" if none did within timeout_ms); 1 when learned. */
int h_probe_host(struct work_queue *q, char *host, size_t len, int timeout_ms);
/* Take up to n completed tasks within timeout_ms (deleting them): returns how
 * many succeeded (result 0, exit 0); *on_host counts those that ran on host
 * ("ip:port", NULL: none). */
int h_collect(struct work_queue *q, int n, const char *host, int *on_host, int timeout_ms);
/* Pump until cond(stats, arg) holds; 1 if it did within timeout_ms. */
int h_wait_stats(struct work_queue *q, int (*cond)(const struct work_queue_stats *s, void *arg), void *arg, int timeout_ms);
/* Pump until workers_connected == n; 1 if it did. */
int h_wait_workers(struct work_queue *q, int n, int timeout_ms);
/* Print the master's stats JSON (for diagnosis). */
void h_print_stats(struct work_queue *q);

/* ---- network ---- */

/* A blocking TCP connection to 127.0.0.1:port (CLOEXEC); fd or -1. */
int h_connect(int port);
/* Serve the files of dir over HTTP/1.0 from a forked child on 127.0.0.1,
 * port 0; returns the port (or -1). The child dies with the test. */
int h_http_start(const char *dir);

/* Start the catalog server ($WQ_CATALOG_SERVER, default
 * build/wq_catalog_server) on a free port with extra options (space-separated,
 * may be NULL); *port set from its first line. Its pid (killed at cleanup),
 * or -1. */
pid_t h_catalog_start(int *port, const char *extra);
/* GET path from 127.0.0.1:port (HTTP/1.0) within timeout_ms, running the
 * master q's loop meanwhile when q is not NULL (a master answers only inside
 * wait). Returns the status code and sets *body (malloc'd, NUL-terminated),
 * or -1 (*body NULL). */
int h_http_get(struct work_queue *q, int port, const char *path, char **body, int timeout_ms);

/* ---- between the harness's own files only (not for tests) ----
 * harness.c (lifecycle, files, time, the master), harness_proc.c (child
 * processes and their table), harness_net.c (sockets and HTTP). */

/* mkdir -p of an absolute path; 0 or -1 (harness.c). */
int hi_mkdir_p(const char *path);
/* fork() a child that is not a worker, with the harness's signal handlers
 * and alarm reset in it, and record it for cleanup; returns like fork(),
 * -1 also when the table is full (harness_proc.c). */
pid_t hi_fork_other(void);
/* Kill (SIGKILL) and reap every child still ours; async-signal-safe. */
void hi_kill_children(void);
/* SIGTERM every running worker, then reap each for up to timeout_ms. */
void hi_stop_workers(int timeout_ms);
/* Free the worker records (at exit). */
void hi_free_workers(void);
/* Print the tail of each worker's log to stderr. */
void hi_dump_worker_logs(void);

#endif
