/*
 * monitor.h - resource enforcement on the worker: memory and disk use of
 * running tasks, sampled, against the limits the TASK message carries
 * (internal to wq_worker).
 *
 * Every WQI_WK_SAMPLE_US (0.5 s) the worker's loop calls
 * wqi_wk_monitor_sample(). Only running tasks with a limit are measured, so a
 * worker whose tasks declare nothing pays nothing:
 *   - memory: the sum of the resident set sizes (RSS) of the task's
 *     processes. Where cgroup v2 is writable (cgroup.h) those are the
 *     members of the task's own cgroup, so a process that leaves the
 *     process group (setsid) is still counted and killed; elsewhere (cgroup
 *     v1 hosts) they are the processes of the task's process group, found
 *     in one pass over /proc/<pid>/stat for all limited tasks together. RSS
 *     rather than a cgroup's memory.current: it needs no memory controller
 *     and does not count the page cache a task's writes leave behind.
 *   - disk: the bytes of the files under the task's sandbox (apparent size
 *     of regular files, symlinks themselves counted as their length), walked
 *     with fstatat(AT_SYMLINK_NOFOLLOW), never following a symlink.
 * A task over a limit has its process group SIGKILLed; it is reaped as
 * usual and reported with result WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION (16),
 * its outputs sent as usual (missing ones reported missing).
 *
 * Nothing here blocks beyond reading /proc and walking one sandbox.
 */
#ifndef WQI_WORKER_MONITOR_H
#define WQI_WORKER_MONITOR_H

#include <stdint.h>
#include <sys/types.h>

struct wqi_wk_task;

#define WQI_WK_SAMPLE_US 500000ULL   /* sampling interval of limited tasks */

/* Does any running task in the list have a memory or disk limit? */
int wqi_wk_monitor_wanted(const struct wqi_wk_task *list);
/* Measure every running limited task of the list (t->mem_bytes,
 * t->disk_bytes) and kill those over a limit. Returns how many were killed. */
int wqi_wk_monitor_sample(struct wqi_wk_task *list);

/* Sum of RSS bytes of each process group in pgids[0..n) into bytes[0..n)
 * (one pass over /proc). 0 or -WQ_EFILE when /proc cannot be read. */
int wqi_wk_pgroups_rss(const pid_t *pgids, uint64_t *bytes, int n);
/* Bytes of files under dir (not following symlinks; depth bounded).
 * 0 (*bytes set; a missing dir is 0 bytes) or -WQ_ENOMEM. */
int wqi_wk_tree_bytes(const char *dir, uint64_t *bytes);

#endif
