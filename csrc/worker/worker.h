/*
 * worker.h - the worker: one connection to a master, its tasks, its cache,
 * and the event loop that drives them (internal to wq_worker).
 *
 * wqi_wk_run() is the whole life of a worker process after option
 * parsing: make the workdir, connect, run what the master sends, reconnect
 * when it goes, and remove the workdir at every exit. It returns the
 * process's exit code. It is a function (not main) so tests can run a
 * worker in a forked child against a fake master.
 *
 * The loop never blocks on the master: reads and writes are nonblocking and
 * buffered by the link, streams go straight between socket and files, tasks
 * and input helpers are child processes seen through a signalfd. Only the
 * connect itself (with a timeout) blocks, when no task runs.
 */
#ifndef WQI_WORKER_WORKER_H
#define WQI_WORKER_WORKER_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"
#include "worker/cache.h"
#include "worker/cgroup.h"
#include "worker/resources.h"

struct wqi_loop;
struct wqi_link;
struct wqi_wk_task;

struct wqi_wk_config {
	const char *host;            /* master's host name or address (NULL with master_name) */
	int port;                    /* master's port */
	const char *master_name;     /* -M: project regex to look up in the catalogs, else NULL */
	const char *catalogs;        /* -C / CATALOG_HOST: "host:port,..." for -M */
	struct wqi_wk_resources res;    /* what is offered */
	const char *workdir_parent;  /* the workdir is <this>/worker-<uid>-<pid> */
	int idle_timeout_s;          /* exit after this long without a task (900) */
	int single_shot;             /* exit when the first connection ends */
	uint64_t silence_max_us;     /* drop a master silent this long (1 hour) */
	int connect_timeout_ms;      /* for one connect attempt */
	uint64_t test_slow_us;       /* testing only (--test-slow): every command starts this late */
};

/* The worker's state (one per process). */
struct wqi_wk {
	const struct wqi_wk_config *cfg;
	char host[256];              /* the master connected to (or last tried) */
	int port;
	char project[1024];          /* with -M: the project of that master, else "" */
	char *workdir;               /* WORKDIR */
	struct wqi_loop *loop;
	int sigfd;                   /* signalfd: SIGCHLD, SIGTERM, SIGINT, SIGHUP */
	struct wqi_link *link;       /* the master, NULL when disconnected */
	int welcomed;                /* WELCOME received on this connection */
	int want_write;              /* WQI_EV_WRITE registered */
	int broken;                  /* the outgoing stream is inconsistent: drop the master */
	struct wqi_wk_cache cache;
	struct wqi_wk_cgroup cg;     /* cgroup v2 of memory-limited tasks (dir NULL: none) */
	struct wqi_wk_task *tasks;      /* running or preparing */
	int n_tasks;
	uint64_t last_heard_us;      /* monotonic: last bytes from the master */
	uint64_t idle_since_us;      /* monotonic: when the last task ended (or start) */
	uint64_t next_sample_us;     /* monotonic: next memory/disk sample of limited tasks */
	/* a PUT stream being received */
	uint64_t stream_left;        /* bytes still to come */
	int stream_fd;               /* where they go, -1 = discard */
	char stream_name[WQI_NAME_MAX + 1]; /* its cachename (for failure reports) */
	/* ending */
	int quit;                    /* leave the loop */
	int exit_code;
};

/* Run a worker; returns the exit code (0: told to exit or idle; 1: error or rejected). */
int wqi_wk_run(const struct wqi_wk_config *cfg);

/* Defaults for a config (everything but host and port). */
void wqi_wk_config_defaults(struct wqi_wk_config *cfg);

/* ---- lookup.c: -M ---- */

/* Ask the catalogs of cfg->catalogs for live masters whose project matches
 * cfg->master_name (whole name, POSIX ERE): newest first, at most max.
 * Blocks (each catalog at most timeout_ms); only called with no master.
 * Returns how many, 0 when none matched or no catalog answered. */
struct wqi_catalog_master;
int wqi_wk_lookup(const struct wqi_wk_config *cfg, struct wqi_catalog_master *out, int max, int timeout_ms);

/* ---- between worker.c and messages.c ---- */

/* Handle one frame from the master. 0, or -WQ_EPROTO (drop the master). */
int wqi_wk_frame(struct wqi_wk *w, uint8_t type, const char *p, size_t n);
/* Send what is queued on the link (register for writability if needed). 0 or <0 (drop). */
int wqi_wk_flush(struct wqi_wk *w);
/* Prepare and start a new task (names checked, helpers or spawn). */
void wqi_wk_loop_task_start(struct wqi_wk *w, struct wqi_wk_task *t);
/* Report a finished (or failed) task and forget it. */
void wqi_wk_loop_task_finish(struct wqi_wk *w, struct wqi_wk_task *t, int with_outputs);
/* Kill a task, clean up, forget it, send nothing. */
void wqi_wk_loop_task_discard(struct wqi_wk *w, struct wqi_wk_task *t);
struct wqi_wk_task *wqi_wk_loop_task_find(struct wqi_wk *w, uint64_t taskid);

#endif
