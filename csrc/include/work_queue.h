/*
 * work_queue.h - the one installed header of libworkqueue.
 *
 * A master/worker framework for scientific ensembles. A program creates a
 * queue, submits tasks (a shell command with input and output files), and
 * calls work_queue_wait() to collect them as workers (wq_worker) run them.
 *
 * Names, constants and return conventions follow CCTools Work Queue 8.0 so
 * that C programs written for it build and behave the same; docs/c-api.md
 * lists where we differ and how direct field reads map to accessors.
 *
 * Contracts:
 *  - Functions with the original's names keep its conventions:
 *    work_queue_task_specify_* return 1 on success and 0 on failure,
 *    work_queue_submit returns the task id (> 0) or -1, work_queue_empty and
 *    work_queue_hungry return a boolean, constructors return NULL on failure
 *    (with errno set).
 *  - Functions new to this library return 0 or a negative WQ_E* code;
 *    work_queue_strerror() describes a code.
 *  - Ownership: a submitted task belongs to the queue until wait() or a
 *    cancel returns it; the caller then owns it again and may submit it
 *    again or delete it. work_queue_delete() deletes tasks still inside.
 *    Strings passed in are copied; strings returned are owned by the object
 *    and valid until it changes or is deleted.
 *  - Blocking: only work_queue_wait* blocks, and never longer than its
 *    timeout. All network work happens inside it. The queue is not
 *    thread-safe: use it from one thread at a time.
 */
#ifndef WORK_QUEUE_H
#define WORK_QUEUE_H

#include <stdint.h>
#include <time.h>

#if defined(__GNUC__)
#define WQ_API __attribute__((visibility("default")))
#else
#define WQ_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constants (the original's names and values) ---- */

#define WORK_QUEUE_DEFAULT_PORT 9123
#define WORK_QUEUE_RANDOM_PORT 0
#define WORK_QUEUE_WAITFORTASK -1   /* timeout for wait(): wait for ever */

#define WORK_QUEUE_TASK_ORDER_FIFO 0
#define WORK_QUEUE_TASK_ORDER_LIFO 1

#define WORK_QUEUE_DEFAULT_KEEPALIVE_INTERVAL 120 /* seconds */
#define WORK_QUEUE_DEFAULT_KEEPALIVE_TIMEOUT 30   /* seconds */

typedef uint64_t timestamp_t; /* microseconds since the epoch */

typedef enum {
	WORK_QUEUE_INPUT = 0,
	WORK_QUEUE_OUTPUT = 1
} work_queue_file_type_t;

typedef enum {
	WORK_QUEUE_NOCACHE = 0,
	WORK_QUEUE_CACHE = 1,
	WORK_QUEUE_SYMLINK = 2,        /* accepted, treated as a link into the sandbox */
	WORK_QUEUE_PREEXIST = 4,       /* accepted, not implemented: see docs/c-api.md */
	WORK_QUEUE_THIRDGET = 8,       /* accepted, not implemented */
	WORK_QUEUE_THIRDPUT = 16,      /* accepted, not implemented */
	WORK_QUEUE_WATCH = 32,         /* accepted, not implemented */
	WORK_QUEUE_FAILURE_ONLY = 64,  /* return this output only if the task failed */
	WORK_QUEUE_SUCCESS_ONLY = 128  /* return this output only if the task succeeded */
} work_queue_file_flags_t;

typedef enum {
	WORK_QUEUE_SCHEDULE_UNSET = 0,
	WORK_QUEUE_SCHEDULE_FCFS,
	WORK_QUEUE_SCHEDULE_FILES,
	WORK_QUEUE_SCHEDULE_TIME,
	WORK_QUEUE_SCHEDULE_RAND,
	WORK_QUEUE_SCHEDULE_WORST
} work_queue_schedule_t;
#define WORK_QUEUE_SCHEDULE_DEFAULT WORK_QUEUE_SCHEDULE_FCFS

typedef enum {
	WORK_QUEUE_RESULT_SUCCESS = 0,
	WORK_QUEUE_RESULT_INPUT_MISSING = 1,
	WORK_QUEUE_RESULT_OUTPUT_MISSING = 2,
	WORK_QUEUE_RESULT_STDOUT_MISSING = 4,
	WORK_QUEUE_RESULT_SIGNAL = 1 << 3,
	WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION = 2 << 3,
	WORK_QUEUE_RESULT_TASK_TIMEOUT = 3 << 3,
	WORK_QUEUE_RESULT_UNKNOWN = 4 << 3,
	WORK_QUEUE_RESULT_FORSAKEN = 5 << 3,
	WORK_QUEUE_RESULT_MAX_RETRIES = 6 << 3,
	WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME = 7 << 3,
	WORK_QUEUE_RESULT_DISK_ALLOC_FULL = 8 << 3,
	WORK_QUEUE_RESULT_RMONITOR_ERROR = 9 << 3,
	WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR = 10 << 3
} work_queue_result_t;

typedef enum {
	WORK_QUEUE_TASK_UNKNOWN = 0,
	WORK_QUEUE_TASK_READY,
	WORK_QUEUE_TASK_RUNNING,
	WORK_QUEUE_TASK_WAITING_RETRIEVAL,
	WORK_QUEUE_TASK_RETRIEVED,
	WORK_QUEUE_TASK_DONE,
	WORK_QUEUE_TASK_CANCELED
} work_queue_task_state_t;

/* ---- errors of the functions new to this library ---- */

typedef enum {
	WQ_OK = 0,
	WQ_ENOMEM = -1,     /* out of memory */
	WQ_EINVAL = -2,     /* invalid argument */
	WQ_EAGAIN = -3,     /* would block; try again */
	WQ_ECLOSED = -4,    /* connection closed by the peer */
	WQ_EIO = -5,        /* input/output error on a connection */
	WQ_EPROTO = -6,     /* malformed or unexpected protocol message */
	WQ_ETOOBIG = -7,    /* a length beyond its limit */
	WQ_ENOENT = -8,     /* no such file or directory */
	WQ_EEXIST = -9,     /* already exists */
	WQ_ETIMEDOUT = -10, /* timed out */
	WQ_ENOTASK = -11,   /* no such task */
	WQ_EADDR = -12,     /* cannot listen on the address or port */
	WQ_ENAME = -13,     /* a remote name that is absolute or escapes the sandbox */
	WQ_EVERSION = -14,  /* protocol versions differ */
	WQ_EFILE = -15,     /* a local file could not be read or written */
	WQ_ECONNECT = -16,  /* cannot connect */
	WQ_ESTATE = -17,    /* not allowed in the object's current state */
	WQ_EINTR = -18      /* interrupted */
} work_queue_error_t;

/* A sentence describing an error code (static storage). */
WQ_API const char *work_queue_strerror(int code);
/* A short name for a result code ("SUCCESS", "INPUT_MISSING", ...). */
WQ_API const char *work_queue_result_str(work_queue_result_t result);
/* "TASK_READY", ... */
WQ_API const char *work_queue_task_state_str(work_queue_task_state_t state);
/* The library's version, "MAJOR.MINOR.PATCH". */
WQ_API const char *work_queue_version(void);

/* ---- statistics: the original's fields (and older aliases) ---- */

struct work_queue_stats {
	/* workers, now */
	int workers_connected;   /* connected, handshake done */
	int workers_init;        /* connected, handshake not yet done */
	int workers_idle;        /* connected with no task */
	int workers_busy;        /* connected with at least one task */
	int workers_able;        /* could run a waiting task */
	/* workers, cumulative */
	int workers_joined;
	int workers_removed;
	int workers_released;    /* removed by shut_down_workers */
	int workers_idled_out;
	int workers_fast_aborted;
	int workers_blacklisted;
	int workers_lost;        /* disconnected while running tasks */
	/* tasks, now */
	int tasks_waiting;       /* ready, not dispatched */
	int tasks_on_workers;    /* dispatched, not yet retrieved */
	int tasks_running;       /* running on a worker */
	int tasks_with_results;  /* retrieved, not yet returned by wait */
	/* tasks, cumulative */
	int tasks_submitted;
	int tasks_dispatched;
	int tasks_done;          /* returned by wait */
	int tasks_failed;        /* returned with a result other than SUCCESS */
	int tasks_cancelled;
	int tasks_exhausted_attempts;
	/* times, microseconds */
	timestamp_t time_when_started;
	timestamp_t time_send;
	timestamp_t time_receive;
	timestamp_t time_send_good;
	timestamp_t time_receive_good;
	timestamp_t time_status_msgs;
	timestamp_t time_internal;
	timestamp_t time_polling;
	timestamp_t time_application;
	timestamp_t time_workers_execute;
	timestamp_t time_workers_execute_good;
	timestamp_t time_workers_execute_exhaustion;
	/* bytes */
	int64_t bytes_sent;
	int64_t bytes_received;
	double bandwidth;        /* bytes/s over time_send + time_receive */
	/* capacity estimates */
	int capacity_tasks;
	int capacity_cores;
	int capacity_memory;
	int capacity_disk;
	int capacity_gpus;
	int capacity_instantaneous;
	int capacity_weighted;
	/* resources of connected workers */
	int64_t total_cores;
	int64_t total_memory;
	int64_t total_disk;
	int64_t total_gpus;
	int64_t committed_cores;
	int64_t committed_memory;
	int64_t committed_disk;
	int64_t committed_gpus;
	int64_t min_cores, max_cores;
	int64_t min_memory, max_memory;
	int64_t min_disk, max_disk;
	int64_t min_gpus, max_gpus;
	int port;
	int priority;
	/* fast abort and blocking (not in the original's struct) */
	int tasks_fast_aborted;        /* task runs aborted by fast abort */
	int tasks_lost;                /* task runs lost with their worker */
	/* older names of the same figures, kept for old programs */
	int total_workers_connected;  /* = workers_connected */
	int total_workers_joined;     /* = workers_joined */
	int total_workers_removed;    /* = workers_removed */
	int total_workers_lost;       /* = workers_lost */
	int total_workers_idled_out;  /* = workers_idled_out */
	int total_workers_fast_aborted; /* = workers_fast_aborted */
	int tasks_complete;           /* = tasks_with_results */
	int total_tasks_dispatched;   /* = tasks_dispatched */
	int total_tasks_complete;     /* = tasks_done */
	int total_tasks_failed;       /* = tasks_failed */
	int total_tasks_cancelled;    /* = tasks_cancelled */
	int total_exhausted_attempts; /* = tasks_exhausted_attempts */
	int64_t total_bytes_sent;     /* = bytes_sent */
	int64_t total_bytes_received; /* = bytes_received */
	timestamp_t total_send_time;  /* = time_send */
	timestamp_t total_receive_time; /* = time_receive */
	timestamp_t total_execute_time; /* = time_workers_execute */
	timestamp_t start_time;       /* = time_when_started */
};

struct work_queue;
struct work_queue_task;

/* ---- tasks ---- */

/* A new task running the shell command full_command (may be NULL, set later). */
WQ_API struct work_queue_task *work_queue_task_create(const char *full_command);
/* A copy of a task's specification (not its results); NULL on failure. */
WQ_API struct work_queue_task *work_queue_task_clone(const struct work_queue_task *t);
/* Delete a task the caller owns (never one inside a queue). */
WQ_API void work_queue_task_delete(struct work_queue_task *t);

WQ_API void work_queue_task_specify_command(struct work_queue_task *t, const char *cmd);
/* Inputs and outputs: 1 on success, 0 on failure (bad or duplicate remote
 * name, missing local name). A remote name must be relative and must not
 * contain "..". */
WQ_API int work_queue_task_specify_file(struct work_queue_task *t, const char *local_name, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags);
WQ_API int work_queue_task_specify_buffer(struct work_queue_task *t, const char *data, int length, const char *remote_name, work_queue_file_flags_t flags);
WQ_API int work_queue_task_specify_directory(struct work_queue_task *t, const char *local_name, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags, int recursive);
/* An input the worker fetches over HTTP. */
WQ_API int work_queue_task_specify_url(struct work_queue_task *t, const char *url, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags);
/* An input the worker makes by running cmd, in which %% stands for the file's path. */
WQ_API int work_queue_task_specify_file_command(struct work_queue_task *t, const char *remote_name, const char *cmd, work_queue_file_type_t type, work_queue_file_flags_t flags);
/* A buffer input of length bytes, copied now (length is a 64-bit size). */
WQ_API int work_queue_task_specify_buffer_size(struct work_queue_task *t, const void *data, uint64_t length, const char *remote_name, work_queue_file_flags_t flags);

WQ_API void work_queue_task_specify_tag(struct work_queue_task *t, const char *tag);
WQ_API void work_queue_task_specify_category(struct work_queue_task *t, const char *category);
WQ_API void work_queue_task_specify_cores(struct work_queue_task *t, int cores);
WQ_API void work_queue_task_specify_memory(struct work_queue_task *t, int64_t memory_mb);
WQ_API void work_queue_task_specify_disk(struct work_queue_task *t, int64_t disk_mb);
WQ_API void work_queue_task_specify_gpus(struct work_queue_task *t, int gpus);
WQ_API void work_queue_task_specify_priority(struct work_queue_task *t, double priority);
WQ_API void work_queue_task_specify_max_retries(struct work_queue_task *t, int64_t max_retries);
WQ_API void work_queue_task_specify_running_time_max(struct work_queue_task *t, int64_t seconds);
WQ_API void work_queue_task_specify_end_time(struct work_queue_task *t, int64_t useconds);
WQ_API void work_queue_task_specify_environment_variable(struct work_queue_task *t, const char *name, const char *value);
WQ_API void work_queue_task_specify_algorithm(struct work_queue_task *t, work_queue_schedule_t algorithm);
/* Prefer workers on this host (by host name or address; call again to add
 * more). The task goes to a preferred host when one has room, elsewhere once
 * it has waited the queue's preferred-host wait (see
 * work_queue_specify_preferred_host_wait). */
WQ_API void work_queue_task_specify_preferred_host(struct work_queue_task *t, const char *hostname);

/* Accessors (the original's programs read these as struct fields; see docs/c-api.md). */
WQ_API int work_queue_task_get_taskid(const struct work_queue_task *t);
WQ_API const char *work_queue_task_get_command(const struct work_queue_task *t);
WQ_API const char *work_queue_task_get_tag(const struct work_queue_task *t);
WQ_API const char *work_queue_task_get_category(const struct work_queue_task *t);
WQ_API work_queue_result_t work_queue_task_get_result(const struct work_queue_task *t);
WQ_API int work_queue_task_get_return_status(const struct work_queue_task *t);
/* stdout and stderr of the command together, NUL-terminated; NULL before completion. */
WQ_API const char *work_queue_task_get_output(const struct work_queue_task *t);
WQ_API uint64_t work_queue_task_get_output_length(const struct work_queue_task *t);
WQ_API const char *work_queue_task_get_host(const struct work_queue_task *t);     /* "ip:port" of the worker */
WQ_API const char *work_queue_task_get_hostname(const struct work_queue_task *t); /* the worker's host name */
WQ_API work_queue_task_state_t work_queue_task_get_state(const struct work_queue_task *t);
WQ_API int64_t work_queue_task_get_cores(const struct work_queue_task *t);
WQ_API int64_t work_queue_task_get_memory(const struct work_queue_task *t);
WQ_API int64_t work_queue_task_get_disk(const struct work_queue_task *t);
WQ_API int64_t work_queue_task_get_gpus(const struct work_queue_task *t);
WQ_API double work_queue_task_get_priority(const struct work_queue_task *t);
WQ_API int64_t work_queue_task_get_max_retries(const struct work_queue_task *t);
WQ_API int64_t work_queue_task_get_try_count(const struct work_queue_task *t);
/* Times in microseconds since the epoch, 0 if not reached: "submit",
 * "dispatch" (sent to a worker), "start" and "end" (command start/end on the
 * worker), "done" (result received); returns 0 for an unknown name. */
WQ_API timestamp_t work_queue_task_get_time(const struct work_queue_task *t, const char *which);
WQ_API int64_t work_queue_task_get_bytes_sent(const struct work_queue_task *t);      /* master -> worker, last run */
WQ_API int64_t work_queue_task_get_bytes_received(const struct work_queue_task *t);  /* worker -> master, last run */

/* ---- queues ---- */

/* Listen on port (0 = any free port) on all interfaces; NULL + errno on failure. */
WQ_API struct work_queue *work_queue_create(int port);
/* The same, on one address ("127.0.0.1"); 0 or a negative WQ_E* code, *q set on success. */
WQ_API int work_queue_create_on(const char *address, int port, struct work_queue **q);
/* Close the port, disconnect the workers (they stay alive and reconnect
 * elsewhere), delete every task still inside. */
WQ_API void work_queue_delete(struct work_queue *q);
WQ_API int work_queue_port(struct work_queue *q);

WQ_API void work_queue_specify_name(struct work_queue *q, const char *name);
WQ_API const char *work_queue_name(struct work_queue *q);
WQ_API void work_queue_specify_algorithm(struct work_queue *q, work_queue_schedule_t algorithm);
WQ_API void work_queue_specify_task_order(struct work_queue *q, int order);
WQ_API void work_queue_specify_priority(struct work_queue *q, int priority);
WQ_API void work_queue_specify_keepalive_interval(struct work_queue *q, int interval_s);
WQ_API void work_queue_specify_keepalive_timeout(struct work_queue *q, int timeout_s);
/* Bytes of a task's output kept (default 1 GiB); beyond it the output is
 * truncated and the result is WORK_QUEUE_RESULT_STDOUT_MISSING. 0 or WQ_EINVAL. */
WQ_API int work_queue_specify_max_output_size(struct work_queue *q, uint64_t bytes);
/* The library's debug log: path NULL or "" = stderr. 0 or a WQ_E* code. */
WQ_API int work_queue_specify_debug_log(const char *path);
/* Fast abort: once enough tasks of a category have completed (see
 * docs/scheduling.md), a task running longer than multiplier x the
 * category's average execution time is aborted and runs again elsewhere;
 * multiplier <= 0 turns it off. Returns 0. The _category form sets one
 * category; the plain form sets the default for all categories. */
WQ_API int work_queue_activate_fast_abort(struct work_queue *q, double multiplier);
WQ_API int work_queue_activate_fast_abort_category(struct work_queue *q, const char *category, double multiplier);
/* Blocked hosts (by host name or address) get no new tasks; tasks running
 * there go on. With a timeout (seconds > 0) the block lifts by itself. */
WQ_API void work_queue_block_host(struct work_queue *q, const char *hostname);
WQ_API void work_queue_block_host_with_timeout(struct work_queue *q, const char *hostname, int64_t seconds);
WQ_API void work_queue_unblock_host(struct work_queue *q, const char *hostname);
WQ_API void work_queue_unblock_all(struct work_queue *q);
/* The original's deprecated "blacklist" names, kept for old programs:
 * blacklist_add = block_host, blacklist_add_with_timeout =
 * block_host_with_timeout (seconds > 0: lifts by itself), blacklist_remove =
 * unblock_host, blacklist_clear = unblock_all. */
WQ_API void work_queue_blacklist_add(struct work_queue *q, const char *hostname);
WQ_API void work_queue_blacklist_add_with_timeout(struct work_queue *q, const char *hostname, time_t seconds);
WQ_API void work_queue_blacklist_remove(struct work_queue *q, const char *hostname);
WQ_API void work_queue_blacklist_clear(struct work_queue *q);
/* Seconds a task with preferred hosts waits for one before going elsewhere. */
WQ_API void work_queue_specify_preferred_host_wait(struct work_queue *q, int64_t seconds);
/* Accepted for compatibility: a queue with a name advertises itself to the
 * catalogs named by specify_catalog_server(s) or CATALOG_HOST/CATALOG_PORT. */
WQ_API void work_queue_specify_master_mode(struct work_queue *q, int mode);
/* Catalogs to advertise to (only when the queue has a name): one host and
 * port, or a comma-separated list "host:port,host:port". Names are resolved
 * off the event loop; a dead catalog never slows dispatch. No catalog is
 * contacted unless one is named (here or in CATALOG_HOST/CATALOG_PORT). */
WQ_API void work_queue_specify_catalog_server(struct work_queue *q, const char *hostname, int port);
WQ_API void work_queue_specify_catalog_servers(struct work_queue *q, const char *hosts);
/* Seconds between advertisements (default 10). */
WQ_API void work_queue_specify_catalog_update_interval(struct work_queue *q, int seconds);
/* The performance log and the transactions log (docs/logs.md): 1 if the file
 * was opened, 0 otherwise (the original's convention). */
WQ_API int work_queue_specify_log(struct work_queue *q, const char *logfile);
WQ_API int work_queue_specify_transactions_log(struct work_queue *q, const char *logfile);

/* Submit a task; the queue owns it until wait or cancel returns it.
 * Returns its id (> 0), or -1 if the task is already inside a queue or
 * has no command. */
WQ_API int work_queue_submit(struct work_queue *q, struct work_queue_task *t);
/* Wait up to timeout seconds (WORK_QUEUE_WAITFORTASK: for ever) for a
 * completed task; NULL on timeout. */
WQ_API struct work_queue_task *work_queue_wait(struct work_queue *q, int timeout);
WQ_API struct work_queue_task *work_queue_wait_for_tag(struct work_queue *q, const char *tag, int timeout);
/* The same with a timeout in milliseconds (-1: for ever; 0: poll once). */
WQ_API struct work_queue_task *work_queue_wait_ms(struct work_queue *q, const char *tag, int64_t timeout_ms);
/* 1 when no task is waiting, running or holding a result, else 0. */
WQ_API int work_queue_empty(struct work_queue *q);
/* 1 when the queue would like more tasks (see docs/c-api.md), else 0. */
WQ_API int work_queue_hungry(struct work_queue *q);
/* Remove a task from the queue and return it to the caller (killed on its
 * worker if running); NULL if unknown. wait() never returns it. */
WQ_API struct work_queue_task *work_queue_cancel_by_taskid(struct work_queue *q, int id);
WQ_API struct work_queue_task *work_queue_cancel_by_tasktag(struct work_queue *q, const char *tag);
/* The state of the task with this id while the queue holds it (from submit
 * until wait or a cancel returns it): WORK_QUEUE_TASK_READY (waiting for a
 * worker), _RUNNING (on a worker), _WAITING_RETRIEVAL (completed, not yet
 * returned by wait). WORK_QUEUE_TASK_UNKNOWN for an id the queue does not
 * hold (never given, or already returned: see work_queue_task_get_state for
 * a returned task). O(1). */
WQ_API work_queue_task_state_t work_queue_task_state(struct work_queue *q, int taskid);
/* Tasks submitted from now on get ids >= minid; a minid at or below the next
 * id is ignored (ids never go down). Returns the id the next submitted task
 * will get, or -1 for a NULL queue. Ids stay within int: submit fails (-1)
 * once they would pass INT_MAX. */
WQ_API int work_queue_specify_min_taskid(struct work_queue *q, int minid);
/* Ask n connected workers (0 = all) to exit; returns how many were asked. */
WQ_API int work_queue_shut_down_workers(struct work_queue *q, int n);

WQ_API void work_queue_get_stats(struct work_queue *q, struct work_queue_stats *s);
/* The stats as a JSON object (malloc'd; the caller frees it), NULL on ENOMEM. */
WQ_API char *work_queue_get_stats_json(struct work_queue *q);

#ifdef __cplusplus
}
#endif

#endif
