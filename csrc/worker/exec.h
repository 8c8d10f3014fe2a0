/*
 * exec.h - a task on the worker: its sandbox, its process, its limits
 * (internal to wq_worker).
 *
 * A task's life: made from a TASK message (wqi_wk_task_create), names checked
 * (wqi_wk_task_check_names), inputs made by helpers if needed (fetch.h), the
 * sandbox WORKDIR/t.<taskid>/ filled with hard links to cached inputs
 * (wqi_wk_task_sandbox), the command started in its own process group
 * (wqi_wk_task_spawn), killed for its limits or a KILL (wqi_wk_task_kill), reaped
 * by the caller's waitpid, its outputs sent (outputs.h), and cleaned up
 * (wqi_wk_task_cleanup). The worker's loop owns the list of tasks.
 *
 * Errors: 0 or a negative WQ_E* code. Nothing here blocks: the process is
 * started with vfork + execve (no copy of the worker's memory).
 */
#ifndef WQI_WORKER_EXEC_H
#define WQI_WORKER_EXEC_H

#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

struct wqi_wk_cache;

enum wqi_wk_task_state {
	WQI_WK_TASK_PREPARING = 0,  /* helpers make URL/COMMAND inputs */
	WQI_WK_TASK_RUNNING,        /* the command runs */
	WQI_WK_TASK_FINISHED        /* reaped (or failed before running): report it */
};

struct wqi_wk_task_in {
	uint8_t source;          /* enum wqi_source */
	uint32_t flags;          /* WORK_QUEUE_CACHE, ... */
	char *cachename;         /* "" for EMPTY_DIR */
	char *remote_name;       /* path inside the sandbox */
	char *arg;               /* URL or command, else "" */
	pid_t helper;            /* pid of the helper making it, 0 when none */
	char *tmp;               /* helper's target (renamed into the cache on success) */
};

struct wqi_wk_task_out {
	char *remote_name;       /* path inside the sandbox */
	uint32_t flags;
};

struct wqi_wk_task {
	uint64_t taskid;
	char *command;
	int64_t cores, memory_mb, disk_mb, gpus;  /* the allocation */
	int64_t memory_limit_mb, disk_limit_mb;   /* enforced limits (monitor.h), 0 = none */
	uint64_t max_run_time_us;                 /* 0 = none */
	uint64_t end_time_us;                     /* absolute, wall clock; 0 = none */
	uint64_t output_max;                      /* bytes of output kept */
	uint32_t n_env;
	char **env;                               /* "NAME=VALUE" strings */
	uint32_t n_inputs;
	struct wqi_wk_task_in *inputs;
	uint32_t n_outputs;
	struct wqi_wk_task_out *outputs;

	enum wqi_wk_task_state state;
	pid_t pid;                 /* the command's pid = its process group, 0 when not running */
	int helpers;               /* helpers still running */
	uint64_t start_us, end_us; /* wall clock of the command's start and end */
	uint64_t spawn_at_mono_us; /* --test-slow: monotonic time the command may start, 0 = now */
	uint64_t deadline_mono_us; /* monotonic time of the nearest limit, 0 = none */
	uint32_t limit_result;     /* result of the limit that killed it (56, 24 or 16) */
	int limit_hit;             /* killed for a limit (time, memory or disk) */
	uint64_t mem_bytes;        /* last sampled memory (RSS of its process group) */
	uint64_t disk_bytes;       /* last sampled bytes of files in its sandbox */
	uint32_t result;           /* WORK_QUEUE_RESULT_* bits */
	int32_t exit_status;       /* exit code, or signal number with result 8 */
	char *sandbox;             /* WORKDIR/t.<taskid>.<seq>, or a recycled one of an earlier task */
	char *outfile;             /* WORKDIR/t.<taskid>.<seq>.out, or a recycled one */
	char *cgroup;              /* its cgroup v2 directory (cgroup.h), NULL when none */
	struct wqi_wk_task *next;     /* the worker's list */
};

/* A task from a decoded TASK (deep copy); NULL on ENOMEM. */
struct wqi_wk_task *wqi_wk_task_create(const struct wqi_msg_task *m, const char *workdir);
void wqi_wk_task_free(struct wqi_wk_task *t);
/* Check every name: 0 when all are good, else WORK_QUEUE_RESULT_INPUT_MISSING (1)
 * for a bad input name or cachename, WORK_QUEUE_RESULT_OUTPUT_MISSING (2) for a bad
 * output name. */
uint32_t wqi_wk_task_check_names(const struct wqi_wk_task *t);
/*
 * Make the sandbox and put every input into it: hard links to cached
 * files (a copy when linking fails), trees of hard links for directories,
 * empty directories. 0; -WQ_ENOENT when an input is not in the cache (result 1);
 * -WQ_EFILE on a local failure.
 */
int wqi_wk_task_sandbox(struct wqi_wk_task *t, struct wqi_wk_cache *c);
/* Start the command (state RUNNING, deadline set). 0 or -WQ_EFILE. */
int wqi_wk_task_spawn(struct wqi_wk_task *t, char **environ_base);
/* Note an exit status from waitpid (state FINISHED, result and exit_status set). */
void wqi_wk_task_reaped(struct wqi_wk_task *t, int status);
/* Apply time limits at monotonic time now: kill a task past its limit.
 * Returns 1 if it was killed now. */
int wqi_wk_task_check_limits(struct wqi_wk_task *t, uint64_t now_mono);
/* SIGKILL the task's process group and its helpers (they are reaped later). */
void wqi_wk_task_kill(struct wqi_wk_task *t);
/* Remove the sandbox, the output file and the inputs not marked WORK_QUEUE_CACHE. */
void wqi_wk_task_cleanup(struct wqi_wk_task *t, struct wqi_wk_cache *c);

/*
 * Start "/bin/sh -c cmd" in its own process group with cwd, stdin from
 * /dev/null, stdout and stderr to out_fd (-1: /dev/null), environment envp
 * (NULL: the worker's). Returns the pid or -WQ_EFILE.
 */
pid_t wqi_wk_spawn_shell(const char *cmd, const char *cwd, int out_fd, char **envp);

#endif
