/*
 * cgroup.h - cgroup v2 containment of tasks with a memory limit (internal
 * to wq_worker).
 *
 * Where a cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or
 * /sys/fs/cgroup/unified on a hybrid v1/v2 host) and the worker may create
 * a child of its own cgroup, the worker makes <its cgroup>/wq-worker-<pid>/
 * and, for each task with a memory limit, a cgroup t.<taskid>/ inside it
 * that the task's first process joins before it execs. Every process the
 * task starts is then a member, even one that leaves the process group
 * (setsid, daemons): the monitor measures the members and a kill reaches
 * all of them (cgroup.kill, else SIGKILL to each listed pid).
 *
 * No controller is needed (the memory controller may live in a v1
 * hierarchy, as on this project's CI machine): membership is what is used.
 * Where cgroup v2 is absent or not writable everything here is a no-op and
 * tasks are followed by their process group (monitor.h).
 */
#ifndef WQI_WORKER_CGROUP_H
#define WQI_WORKER_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

struct wqi_wk_cgroup {
	char *dir;        /* the worker's cgroup directory, NULL when not available */
	int made;         /* dir exists (made at the first task that needs it) */
	int leftovers;    /* task cgroups whose removal must be retried */
};

/* Find cgroup v2 and remove empty directories of workers that died
 * (SIGKILLed workers cannot clean up). The worker's own directory is made
 * at its first memory-limited task, so a worker without one leaves no trace
 * when killed. 0, or -WQ_EFILE (cg->dir NULL: the worker goes on without
 * cgroups). */
int wqi_wk_cgroup_init(struct wqi_wk_cgroup *cg);
/* Kill whatever is left in the worker's cgroups and remove them. */
void wqi_wk_cgroup_fini(struct wqi_wk_cgroup *cg);
/* Make the cgroup of a task: its malloc'd path, or NULL (not available). */
char *wqi_wk_cgroup_task_create(struct wqi_wk_cgroup *cg, uint64_t taskid);
/* Remove a task's cgroup (retried later if processes are still leaving). */
void wqi_wk_cgroup_task_remove(struct wqi_wk_cgroup *cg, const char *dir);
/* Retry the removals that failed (cheap when there are none). */
void wqi_wk_cgroup_sweep(struct wqi_wk_cgroup *cg);
/* Up to max member pids of the cgroup dir into pids; their count (0 if unreadable). */
int wqi_wk_cgroup_pids(const char *dir, pid_t *pids, int max);
/* SIGKILL every member of the cgroup dir. */
void wqi_wk_cgroup_kill(const char *dir);

#endif
