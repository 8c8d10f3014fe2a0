/*
 * task.h - struct work_queue_task and its file specs (internal).
 *
 * A task is created and specified by the user (work_queue_task_specify_*),
 * owned by the queue between submit and the wait/cancel that returns it,
 * and carries both its specification and the results of its last run.
 * Inputs and outputs are recorded at specify time (buffers are copied);
 * cache names are fixed at submit (wqi_task_prepare).
 *
 * The queue-bookkeeping fields (ready-heap index, list nodes, allocation)
 * are owned by master_dispatch.c; task.c only initialises them.
 */
#ifndef WQI_TASK_H
#define WQI_TASK_H

#include <stdint.h>
#include <sys/types.h>

#include "queue.h"
#include "work_queue.h"

struct wqi_worker;
struct wqi_category;

/* where an input comes from */
enum wqi_file_src {
	WQI_FILE_LOCAL = 1,   /* a local file (input) or the user's path (output) */
	WQI_FILE_BUFFER,      /* bytes copied at specify time */
	WQI_FILE_DIR,         /* a local directory (recursive) or an empty one */
	WQI_FILE_URL,         /* the worker fetches arg over HTTP */
	WQI_FILE_COMMAND,     /* the worker runs arg to make the file */
};

/* what has arrived of an output during the current run */
enum wqi_out_state {
	WQI_OUT_NONE = 0,     /* nothing yet */
	WQI_OUT_FILE,         /* a file in tmp (complete once its stream ended) */
	WQI_OUT_DIR,          /* a directory tree in tmp */
	WQI_OUT_MISSING,      /* the worker reported MISSING or SYMLINK_OUTSIDE */
	WQI_OUT_ERROR,        /* could not be written here (master's fault) */
};

struct wqi_file {
	int src;              /* enum wqi_file_src */
	char *local;          /* local path (LOCAL, DIR), else NULL */
	char *remote;         /* name in the task's sandbox */
	char *arg;            /* URL or command (URL, COMMAND), else NULL */
	char *data;           /* BUFFER bytes (may be NULL when len is 0) */
	uint64_t len;         /* BUFFER length */
	uint32_t flags;       /* work_queue_file_flags_t bits */
	int recursive;        /* DIR: send the tree (1) or make an empty dir (0) */
	char *cachename;      /* inputs: set at submit ("" for an empty dir) */
	uint64_t size;        /* inputs: bytes at submit (LOCAL, BUFFER; 1 for others), FILES' weight */
	int out_state;        /* outputs: enum wqi_out_state for this run */
	char *tmp;            /* outputs: temporary path while receiving, else NULL */
};

struct wqi_env {
	char *name;           /* variable name */
	char *value;          /* its value ("" for NULL) */
};

/*
 * The names of a worker as its tasks report them (work_queue_task_get_host,
 * _get_hostname), shared by the worker and every task it ran instead of two
 * string copies per dispatch. Counted with atomics: a task the user owns may
 * be deleted on another thread while the master dispatches.
 */
struct wqi_peer_names {
	_Atomic int refs;
	char *hostname;                   /* never NULL ("" when unknown) */
	char addr[];                      /* "ip:port" */
};
/* A record with refs = 1, or NULL (out of memory). */
struct wqi_peer_names *wqi_peer_names_new(const char *addr, const char *hostname);
struct wqi_peer_names *wqi_peer_names_hold(struct wqi_peer_names *p);
void wqi_peer_names_release(struct wqi_peer_names *p);  /* NULL is fine */

struct work_queue_task {
	/* specification */
	uint64_t taskid;                  /* assigned at submit, 0 before */
	char *command;                    /* shell command */
	char *tag;                        /* user's tag or NULL */
	char *category;                   /* user's category or NULL */
	int64_t cores, memory, disk, gpus; /* declared resources; -1 = not declared */
	double priority;                  /* higher runs first */
	int64_t max_retries;              /* 0 = retry for ever after a lost worker */
	int64_t max_run_time_s;           /* 0 = none */
	int64_t end_time_us;              /* absolute, 0 = none */
	int algorithm;                    /* work_queue_schedule_t, UNSET = the queue's */
	char **pref_hosts;                /* preferred hosts (names or addresses) */
	uint32_t n_pref;                  /* how many */
	struct wqi_file *inputs;          /* n_inputs specs */
	uint32_t n_inputs, cap_inputs;
	struct wqi_file *outputs;         /* n_outputs specs */
	uint32_t n_outputs, cap_outputs;
	struct wqi_env *env;              /* n_env variables */
	uint32_t n_env, cap_env;

	/* results of the last run */
	work_queue_task_state_t state;
	uint32_t result;                  /* work_queue_result_t bits */
	int return_status;                /* exit code, or the signal number */
	char *output;                     /* NUL-terminated output, NULL before completion */
	uint64_t output_len;              /* bytes of output (without the NUL) */
	struct wqi_peer_names *peer;      /* the worker's "ip:port" and host name (shared), NULL before */
	int64_t try_count;                /* times dispatched */
	timestamp_t t_submit, t_dispatch, t_start, t_end, t_done;
	int64_t bytes_sent;               /* master -> worker, last run */
	int64_t bytes_received;           /* worker -> master, last run */

	/* queue bookkeeping (master_dispatch.c) */
	struct work_queue *q;             /* the queue holding it, NULL when the user owns it */
	struct wqi_worker *worker;        /* where it runs, or NULL */
	int64_t a_cores, a_memory, a_disk, a_gpus; /* allocation on that worker */
	uint64_t ready_pos;               /* place in q->ready (ready.c), WQI_READY_NONE when not there */
	size_t parked_idx;                /* index in q->parked, or SIZE_MAX */
	int64_t qseq;                     /* order among equal priorities (lower first) */
	int64_t submit_seq;               /* order of submission, kept across requeues */
	struct wqi_list wnode;            /* on its worker's task list */
	struct wqi_list cnode;            /* on the queue's completed list */
	int input_missing;                /* a local input was missing at submit */
	struct wqi_category *cat;         /* fast-abort category while running, else NULL */
	struct wqi_list catnode;          /* on cat->running (oldest dispatch first) */
	uint64_t dispatch_mono_us;        /* monotonic time of the last dispatch */
	uint64_t avoid_serial;            /* worker (serial) that fast-aborted it, 0 = none */
	int64_t free_tries;               /* tries that do not count against max_retries */
	int pref_on;                      /* during a dispatch pass: only preferred hosts */
};

/* Fix cache names for this submission (t->taskid is set): stat local
 * inputs, hash them, name uncached inputs tmp-<taskid>-<n>. Returns 0,
 * WQ_ENOENT if a local input is missing (the task then completes with
 * INPUT_MISSING), or WQ_ENOMEM. */
int wqi_task_prepare(struct work_queue_task *t);
/* Drop the output (t->output NULL, length 0). */
void wqi_task_free_output(struct work_queue_task *t);
/* Set the output to a copy of n bytes at p (NUL-terminated); 0 or WQ_ENOMEM
 * (then the output is empty). Empty outputs share one static string. */
int wqi_task_set_output(struct work_queue_task *t, const char *p, size_t n);
/* Clear the results of a previous run (resubmit). */
void wqi_task_reset(struct work_queue_task *t);
/* Remove temporary output files of the current run and forget them. */
void wqi_task_discard_outputs(struct work_queue_task *t);
/* Temporary path of an output: "<dir of local>/.<basename>.wqtmp.<taskid>" (malloc'd). */
char *wqi_task_tmp_path(const struct work_queue_task *t, const struct wqi_file *f);
/* 1 if w (host name, "ip", "ip:port" or worker id given) is one of t's preferred hosts. */
int wqi_task_prefers(const struct work_queue_task *t, const char *hostname, const char *ip, const char *addr, const char *worker_id);
/* Set t's output to a sentence naming its first missing or unreadable
 * local input ("work_queue: task N: input file 'PATH' not found") and warn. */
void wqi_task_note_missing_input(struct work_queue_task *t);
/* Cores a waiting task asks for (1 when nothing is declared), for hungry(). */
int64_t wqi_task_cores_wanted(const struct work_queue_task *t);

#endif
