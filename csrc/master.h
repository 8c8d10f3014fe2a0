/*
 * master.h - the master's internal state: struct work_queue, struct
 * wqi_worker, and the functions the master_*.c files call in each other.
 *
 *   master.c           lifecycle and the public queue API (wait is the loop)
 *   master_io.c        accept, first bytes, handshake, frames, keepalive, close
 *   master_dispatch.c  the reactor: ready queue, resources, which task where
 *   master_transfer.c  the real comm: TASK + PUT streams out, OUTPUT/RESULT in
 *   master_fastabort.c fast abort: categories, their averages, the check
 *   master_hosts.c     blocked hosts, preferred-host wait, the scheduling timers
 *   sched_*.c          scheduling policies (sched_policy.h), their worker
 *                      indexes (sched_common.c) and the cache index (sched_files.c)
 *   stats.c            work_queue_get_stats, _json
 *   master_status.c    HTTP status answers on the master's port (docs/status.md)
 *   master_log.c       the performance and transactions logs (docs/logs.md)
 *   master_catalog.c   advertising to the catalogs (catalog_client.c does the sending)
 *
 * Ownership: the queue owns every task from submit until wait/cancel returns
 * it (q->tasks maps id -> task for all of them) and every connection
 * (q->workers). A task is in exactly one of: the ready queue, a worker's task
 * list, the completed list.
 */
#ifndef WQI_MASTER_H
#define WQI_MASTER_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "master_comm.h"
#include "queue.h"
#include "ready.h"
#include "table.h"
#include "task.h"
#include "work_queue.h"

struct wqi_link;
struct wqi_loop;
struct wqi_sched;
struct wqi_catalog;

/* the worker indexes a policy may need, kept over q->avail once used */
enum wqi_idx {
	WQI_IDX_RAND = 0,     /* plain array (uniform picks) */
	WQI_IDX_TIME,         /* heap: lowest average task time first */
	WQI_IDX_WORST,        /* heap: most free cores, then memory, first */
	WQI_IDX_N
};

struct wqi_windex {
	struct wqi_worker **a;         /* n workers (a heap for TIME and WORST) */
	size_t n, cap;
};

/* a fast-abort category: its completed runs and its running tasks */
struct wqi_category {
	double multiplier;             /* own setting; 0 = none (use the queue's default), < 0 = off */
	int64_t n_done;                /* successful runs measured */
	uint64_t sum_us;               /* their total time, dispatch to result */
	struct wqi_list running;       /* running tasks, oldest dispatch first (task.catnode) */
};

/* connection states */
enum wqi_wstate {
	WQI_W_PREAMBLE = 1,   /* accepted, waiting for the first bytes */
	WQI_W_HELLO,          /* worker preamble read, waiting for HELLO */
	WQI_W_READY,          /* handshake done: a worker that runs tasks */
	WQI_W_CLOSING,        /* flushing a last reply (REJECT, HTTP answer), then close */
	WQI_W_HTTP,           /* an HTTP client: reading its request head */
	WQI_W_DEAD,           /* closed, freed at the end of the loop iteration */
};

/* what incoming bytes are, after the last frame */
enum wqi_rx {
	WQI_RX_FRAMES = 0,    /* framed messages */
	WQI_RX_OUTPUT,        /* rx_left bytes of an output file -> rx_fd (-1: discard) */
	WQI_RX_RESULT,        /* rx_left bytes of a task's output -> rx_buf */
};

struct wqi_worker {
	struct work_queue *q;          /* the queue it belongs to */
	struct wqi_link *link;         /* the connection; NULL for fake workers in tests */
	int state;                     /* enum wqi_wstate */
	char addr[64];                 /* "ip:port" of the peer */
	char *hostname, *os, *arch, *worker_id, *version; /* from HELLO */
	struct wqi_peer_names *peer;   /* addr + hostname for its tasks (made at the first dispatch) */
	int64_t cores, memory, disk, gpus;                 /* total, from HELLO */
	int64_t u_cores, u_memory, u_disk, u_gpus;         /* committed to tasks */
	int ntasks;                    /* tasks on wtasks */
	struct wqi_list wtasks;        /* tasks dispatched here (task.wnode) */
	struct wqi_stab cache;         /* cachenames the worker holds -> 1 + index in the holder list */
	struct wqi_list n_all;         /* on q->workers */
	struct wqi_list n_avail;       /* on q->avail while READY with free resources */
	struct wqi_list n_flush;       /* on q->flush while it has output to send */
	struct wqi_list n_dead;        /* on q->dead after close */
	uint64_t accept_us;            /* monotonic time of accept */
	uint64_t last_heard_us;        /* monotonic time bytes last arrived */
	uint64_t keepalive_sent_us;    /* monotonic time of an unanswered KEEPALIVE, 0 = none */
	uint64_t serial;               /* unique per connection (from 1) */
	char ip[64];                   /* addr without the port */
	int blocked;                   /* matches a blocked host: kept off q->avail */
	int http;                      /* a status client: its bytes are not worker traffic */
	int fast_aborts;               /* tasks fast-aborted on it */
	struct wqi_list n_doom;        /* on q->doomed: to disconnect after a fast-abort check */
	uint64_t avail_seq;            /* when it last joined q->avail (FCFS order) */
	size_t ipos[WQI_IDX_N];        /* position in each worker index, SIZE_MAX = absent */
	int64_t n_done;                /* successful tasks (TIME) */
	uint64_t sum_done_us;          /* their total time, dispatch to result (TIME) */
	uint64_t score_stamp;          /* FILES: q->score_stamp when score was set */
	uint64_t score;                /* FILES: bytes of the task's inputs it holds */
	int write_armed;               /* WRITE interest registered in the loop */
	int broken;                    /* output stream unusable (half-queued task): close at flush */
	/* receive state */
	int rx_state;                  /* enum wqi_rx */
	uint64_t rx_left;              /* bytes of the current stream still to come */
	uint64_t rx_keep;              /* RESULT: bytes of rx_left to keep, the rest discarded */
	struct work_queue_task *rx_task; /* task the stream belongs to, NULL = discard */
	int rx_fd;                     /* OUTPUT: file being written, -1 = discard */
	uint32_t rx_index;             /* OUTPUT: which output of rx_task */
	struct wqi_buf *rx_buf;        /* RESULT: output being collected */
	uint64_t close_by_us;          /* monotonic deadline of a status client, 0 = the handshake rule */
	uint64_t joined_wall_us;       /* wall time of the handshake (status /workers) */
	int64_t n_results;             /* results received from it, any outcome */
	const char *gone_reason;       /* transactions-log reason of the disconnection, NULL = LOST */
	struct wqi_msg_result_copy {   /* RESULT header kept while its output streams */
		uint32_t result;
		int32_t exit_status;
		uint64_t start_us, end_us;
		uint8_t truncated;
	} rx_res;
};

struct work_queue {
	int listen_fd;                 /* listening socket, -1 without one (tests) */
	int port;                      /* its port */
	struct wqi_loop *loop;         /* the event loop, NULL without sockets */
	char *name;                    /* project name, or NULL */
	int algorithm, task_order, priority;
	int keepalive_interval_s, keepalive_timeout_s;
	uint64_t max_output;           /* bytes of task output kept */

	uint64_t next_taskid;          /* next id to give out (from 1) */
	int64_t next_seq;              /* submission counter */
	struct wqi_itab tasks;         /* id -> task, every task inside the queue */
	struct wqi_ready ready;         /* ready tasks (priority desc, qseq asc): ready.h */
	int64_t ready_cores;           /* cores the ready tasks want (hungry) */
	struct work_queue_task **parked; /* ready tasks larger than every connected worker */
	size_t n_parked, cap_parked;
	int64_t wmax[4];               /* largest cores, memory, disk, gpus of a READY worker */
	struct wqi_list complete;      /* completed, not returned (task.cnode) */
	int n_complete;
	int n_running;                 /* tasks on workers */

	struct wqi_list workers;       /* every connection (worker.n_all) */
	int n_conns;                   /* connections on that list */
	int n_ready_workers;           /* of which READY */
	struct wqi_list avail;         /* READY workers with free resources */
	struct wqi_list flush;         /* workers with output queued */
	struct wqi_list dead;          /* closed, to free */
	int dispatch_dirty;            /* something changed that may allow a dispatch */
	const struct wqi_comm *comm;   /* how tasks reach workers */
	void *comm_ctx;                /* the comm's state */
	const struct wqi_sched *sched; /* the scheduling policy */

	int64_t total_cores, total_memory, total_disk, total_gpus;   /* of READY workers */
	int64_t used_cores, used_memory, used_disk, used_gpus;       /* committed */
	uint64_t next_timer_us;        /* monotonic time of the next timer scan */
	uint64_t closed_bytes_sent, closed_bytes_received; /* of links already closed */
	uint64_t left_wait_us;         /* wall time wait() last returned (time_application) */

	/* scheduling (sched_*.c, master_hosts.c, master_fastabort.c) */
	uint64_t next_serial;          /* last worker serial given */
	uint64_t avail_seq;            /* counter for worker.avail_seq */
	struct wqi_windex idx[WQI_IDX_N]; /* worker indexes over q->avail */
	unsigned idx_on;               /* bit i: idx[i] is kept */
	uint64_t rng;                  /* xorshift state (RAND) */
	struct wqi_stab holders;       /* cachename -> struct wqi_holders (FILES) */
	uint64_t score_stamp;          /* FILES scratch generation */
	struct wqi_stab blocked;       /* host/address/worker id -> struct wqi_block */
	uint64_t block_next_us;        /* monotonic time the next timed block ends, 0 = none */
	int64_t pref_wait_us;          /* preferred-host wait */
	uint64_t pref_wake_us;         /* wall time a skipped preferred task may go anywhere, 0 = none */
	double fa_default;             /* fast-abort multiplier of categories without their own, <= 0 off */
	struct wqi_stab categories;    /* name -> struct wqi_category ("default" for none) */
	uint64_t fa_next_us;           /* monotonic time of the next fast-abort check, 0 = none due */
	struct wqi_list doomed;        /* workers to disconnect (too many fast aborts) */
	struct work_queue_stats cum;   /* cumulative counters (and time_*) */

	/* catalog, logs (master_catalog.c, master_log.c) */
	struct wqi_catalog *catalog;   /* the advertiser, NULL while not advertising */
	char *catalog_hosts;           /* "host:port,..." named by the program, NULL = environment */
	char *catalog_using;           /* the host list q->catalog was made for */
	int catalog_interval_s;        /* seconds between advertisements (10) */
	uint64_t catalog_next_us;      /* monotonic time of the next advertisement, 0 = now */
	FILE *perf_log;                /* performance log, NULL = none */
	uint64_t perf_next_us;         /* monotonic time of its next check */
	uint64_t perf_last_us;         /* monotonic time of its last line */
	uint64_t perf_digest;          /* digest of the columns of its last line */
	FILE *txn_log;                 /* transactions log, NULL = none */
};

/* ---- master_dispatch.c: the reactor ---- */
/* Initialise/free the dispatch state of q (no sockets); used by create and tests. */
int wqi_master_init(struct work_queue *q);
void wqi_master_free_state(struct work_queue *q);
/* The allocation t gets on w; 1 if it fits the free resources. */
int wqi_alloc(const struct wqi_worker *w, const struct work_queue_task *t, int64_t a[4]);
int wqi_fits(const struct wqi_worker *w, const struct work_queue_task *t);
/* Submit: reset, new id, cache names, queue (or complete if an input is missing). Id or -1. */
int wqi_dispatch_submit(struct work_queue *q, struct work_queue_task *t);
/* Send ready tasks to workers with room (only if something changed). */
void wqi_dispatch_run(struct work_queue *q);
/* A worker finished its handshake / is going away (its tasks go back to the front). */
void wqi_dispatch_worker_ready(struct work_queue *q, struct wqi_worker *w);
void wqi_dispatch_worker_gone(struct work_queue *q, struct wqi_worker *w);
/* A task on w finished (results already stored): release, move to completed. */
void wqi_dispatch_task_done(struct work_queue *q, struct work_queue_task *t);
/* Complete a task that never ran (result set by the caller). */
void wqi_dispatch_complete(struct work_queue *q, struct work_queue_task *t);
/* Take a task out of the queue wherever it is (kill if running); state CANCELED. */
void wqi_dispatch_cancel(struct work_queue *q, struct work_queue_task *t);
/* First completed task (with that tag if tag != NULL), removed and returned, or NULL. */
struct work_queue_task *wqi_dispatch_take_complete(struct work_queue *q, const char *tag);
/* Re-evaluate whether w belongs on the avail list. */
void wqi_worker_update_avail(struct wqi_worker *w);
/* Put a task that ran on a worker back at the front of the ready queue
 * (resources released first by the caller). free_try: the run does not
 * count against max_retries. */
void wqi_dispatch_requeue(struct work_queue *q, struct work_queue_task *t, int free_try);
/* Take a running task off its worker, releasing its resources. */
void wqi_dispatch_uncommit(struct work_queue *q, struct work_queue_task *t);
/* A worker struct for q (state given), and its release (tests and io). */
struct wqi_worker *wqi_worker_new(struct work_queue *q);
void wqi_worker_free(struct wqi_worker *w);

/* ---- master_fastabort.c ---- */
/* Book keeping as a task starts, leaves its worker, or completes successfully. */
int wqi_fa_task_started(struct work_queue *q, struct work_queue_task *t);
void wqi_fa_task_stopped(struct work_queue *q, struct work_queue_task *t);
void wqi_fa_task_done(struct work_queue *q, struct work_queue_task *t, uint64_t took_us);
/* Abort the running tasks past their category's limit; monotonic time of the next check (0 none). */
uint64_t wqi_fa_check(struct work_queue *q, uint64_t now_mono);
void wqi_fa_free(struct work_queue *q);

/* ---- master_hosts.c ---- */
/* Set w->blocked from the blocked-host table (at handshake). */
void wqi_hosts_worker_ready(struct work_queue *q, struct wqi_worker *w);
/* Block one worker (by its worker id, else its address) for seconds (> 0). */
void wqi_hosts_block_worker(struct work_queue *q, struct wqi_worker *w, int64_t seconds);
/* Fast-abort checks, block expiry, preferred-host wake-ups: ms until the next (-1 none). */
int64_t wqi_sched_timers(struct work_queue *q);
void wqi_hosts_free(struct work_queue *q);

/* ---- master_io.c ---- */
int wqi_io_accept_all(struct work_queue *q);
void wqi_io_handle(struct work_queue *q, struct wqi_worker *w, int events);
/* Queue w for flushing at the end of the iteration. */
void wqi_io_want_flush(struct wqi_worker *w);
void wqi_io_flush_all(struct work_queue *q);
/* Keepalives and handshake timeouts; returns ms until the next check (-1 none). */
int64_t wqi_io_timers(struct work_queue *q);
/* Close a connection (reason logged: warn if is_warn, else debug); its tasks go back. */
void wqi_io_close(struct work_queue *q, struct wqi_worker *w, int is_warn, const char *reason);
void wqi_io_reap(struct work_queue *q);
/* Send EXIT to w and close it. */
void wqi_io_release(struct work_queue *q, struct wqi_worker *w, const char *reason);

/* ---- master_transfer.c: the real comm and the receive side ---- */
extern const struct wqi_comm wqi_comm_net;
/* An OUTPUT / RESULT frame from w: start its stream. 0 or a negative code (protocol error: close w). */
int wqi_transfer_output(struct wqi_worker *w, const char *payload, size_t n);
int wqi_transfer_result(struct wqi_worker *w, const char *payload, size_t n);
/* Move stream bytes; 1 = the stream is done (back to frames), 0 = need more, < 0 = close w. */
int wqi_transfer_stream(struct wqi_worker *w);
/* Abandon the receive state of w (closing it). */
void wqi_transfer_rx_reset(struct wqi_worker *w);

/* ---- master_status.c ---- */
/* An HTTP client's request head so far: 0 = need more, 1 = the answer is
 * queued on w's link (close once flushed), negative = close at once. */
int wqi_status_http(struct work_queue *q, struct wqi_worker *w);
/* The /summary object (stats + identity) appended to b; 0 or WQ_ENOMEM. */
int wqi_status_summary(struct work_queue *q, struct wqi_buf *b);
/* The owner (user name) of the master process (static storage). */
const char *wqi_status_owner(void);

/* ---- master_log.c ---- */
/* One transactions-log line "TASK id EVENT details" / "WORKER id EVENT
 * details" / "MASTER 0 EVENT details"; nothing when no log is open.
 * Details are printf-formatted; use wqi_log_word for free text. */
void wqi_log_task(struct work_queue *q, const struct work_queue_task *t, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void wqi_log_worker(struct work_queue *q, const struct wqi_worker *w, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Free text as one log word ('%' -> %25, space -> %20, other blanks -> %20) into out. */
const char *wqi_log_word(const char *s, char *out, size_t len);
/* Write a performance-log line if one is due; ms until the next (-1 none). */
int64_t wqi_log_perf_tick(struct work_queue *q);
/* The last lines (perf, MASTER END) and close both logs (work_queue_delete). */
void wqi_log_close(struct work_queue *q);

/* ---- master_catalog.c ---- */
/* Advertise if due (or at once after a change); ms until the next (-1 none). */
int64_t wqi_catalog_tick(struct work_queue *q);
/* Advertise now (a new name or new catalogs), outside wait() too: one datagram per catalog. */
void wqi_catalog_advertise_now(struct work_queue *q);
/* The final "state":"gone" update (best effort, nonblocking) and the advertiser's end. */
void wqi_catalog_retire(struct work_queue *q);
/* retire, and forget the named catalogs (work_queue_delete). */
void wqi_catalog_close(struct work_queue *q);

#endif
