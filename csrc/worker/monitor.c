/*
 * monitor.c - sampling of tasks' memory and disk use, and enforcement of
 * their limits (see monitor.h for what is measured and why).
 */
#include "worker/monitor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debug.h"
#include "work_queue.h"
#include "worker/cgroup.h"
#include "worker/exec.h"

#define TREE_DEPTH_MAX 256   /* deeper sandboxes are not measured further */
#define MB ((uint64_t)1 << 20)

/* Is t a running task with a memory or disk limit? */
static int limited(const struct wqi_wk_task *t)
{
	return t->state == WQI_WK_TASK_RUNNING && t->pid > 0 && !t->limit_hit &&
	       (t->memory_limit_mb > 0 || t->disk_limit_mb > 0);
}

int wqi_wk_monitor_wanted(const struct wqi_wk_task *list)
{
	for (const struct wqi_wk_task *t = list; t; t = t->next)
		if (limited(t))
			return 1;
	return 0;
}

/*
 * Process group and RSS (pages) of one process from its /proc/<pid>/stat.
 * The command name (field 2) may hold spaces and parentheses, so fields
 * are counted from the last ')'. 0, or -1 when it vanished or is unreadable.
 */
static int read_stat(int procfd, const char *pid, pid_t *pgrp, uint64_t *rss_pages)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "%s/stat", pid);
	int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	/* fields after ')': state(3) ppid(4) pgrp(5) ... rss(24) */
	long long v[22];
	int k = 0;
	char *save = NULL, *tok = strtok_r(p, " ", &save);
	for (; tok && k < 22; tok = strtok_r(NULL, " ", &save), k++)
		v[k] = k == 0 ? 0 : strtoll(tok, NULL, 10);
	if (k < 22)
		return -1;
	*pgrp = (pid_t)v[2];
	*rss_pages = v[21] > 0 ? (uint64_t)v[21] : 0;
	return 0;
}

/*
 * One pass over /proc: each process whose group is one of pgids adds its
 * RSS to that group's total. Processes come and go during the pass; one
 * that vanishes is skipped (it holds no memory any more).
 */
int wqi_wk_pgroups_rss(const pid_t *pgids, uint64_t *bytes, int n)
{
	for (int i = 0; i < n; i++)
		bytes[i] = 0;
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return WQ_EFILE;
	DIR *d = fdopendir(procfd);
	if (!d) {
		close(procfd);
		return WQ_EFILE;
	}
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t pgrp;
		uint64_t rss;
		if (read_stat(dirfd(d), e->d_name, &pgrp, &rss) < 0)
			continue;
		for (int i = 0; i < n; i++)
			if (pgids[i] == pgrp) {
				bytes[i] += rss * page;
				break;
			}
	}
	closedir(d);
	return 0;
}

/* Add the bytes under the directory open as fd (closed here) to *sum. */
static int tree_add(int fd, uint64_t *sum, int depth)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* removed meanwhile */
		if (S_ISDIR(st.st_mode)) {
			if (depth >= TREE_DEPTH_MAX)
				continue;
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				rc = tree_add(sub, sum, depth + 1);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			*sum += (uint64_t)st.st_size;
		}
	}
	closedir(d);
	return rc;
}

int wqi_wk_tree_bytes(const char *dir, uint64_t *bytes)
{
	*bytes = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	return tree_add(fd, bytes, 0);
}

/* Kill t for a resource limit: reaped later, reported with result 16. */
static void kill_for(struct wqi_wk_task *t, const char *what, uint64_t used, int64_t limit_mb)
{
	wqi_warn("task %" PRIu64 ": %s %" PRIu64 " MB over its limit of %" PRId64 " MB, killing it", t->taskid, what,
		 used / MB, limit_mb);
	t->limit_hit = 1;
	t->limit_result = WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION;
	if (t->pid > 0)
		kill(-t->pid, SIGKILL);
	if (t->cgroup)
		wqi_wk_cgroup_kill(t->cgroup);
}

/*
 * RSS of the members of a task's cgroup (cgroup.h), or -1 when it has none
 * listed (no cgroup, or the task could not join it): then its process
 * group is measured instead.
 */
static int64_t cgroup_rss(const struct wqi_wk_task *t)
{
	pid_t pids[1024];
	int n = t->cgroup ? wqi_wk_cgroup_pids(t->cgroup, pids, 1024) : 0;
	if (n <= 0)
		return -1;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), sum = 0;
	for (int i = 0; i < n; i++) {
		char path[64], buf[256];
		snprintf(path, sizeof path, "/proc/%d/statm", (int)pids[i]);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t k = read(fd, buf, sizeof buf - 1);
		close(fd);
		unsigned long long size, rss;
		if (k > 0 && (buf[k] = 0, sscanf(buf, "%llu %llu", &size, &rss) == 2))
			sum += rss * page;
	}
	return (int64_t)sum;
}

/* Check a memory sample against the limit; 1 if the task was killed. */
static int check_memory(struct wqi_wk_task *t, uint64_t bytes)
{
	t->mem_bytes = bytes;
	if (bytes <= (uint64_t)t->memory_limit_mb * MB)
		return 0;
	kill_for(t, "memory", bytes, t->memory_limit_mb);
	return 1;
}

/*
 * Memory first: tasks in a cgroup by their members, the others by process
 * group in one /proc pass for all of them (the arrays are small: one entry
 * per limited task); then each disk-limited sandbox is walked.
 */
int wqi_wk_monitor_sample(struct wqi_wk_task *list)
{
	int n_pg = 0, killed = 0;
	for (struct wqi_wk_task *t = list; t; t = t->next) {
		if (!limited(t) || t->memory_limit_mb <= 0)
			continue;
		int64_t b = cgroup_rss(t);
		if (b >= 0)
			killed += check_memory(t, (uint64_t)b);
		else
			n_pg++;
	}
	if (n_pg > 0) {
		pid_t *pg = calloc((size_t)n_pg, sizeof *pg);
		uint64_t *b = calloc((size_t)n_pg, sizeof *b);
		struct wqi_wk_task **which = calloc((size_t)n_pg, sizeof *which);
		int k = 0;
		if (pg && b && which) {
			for (struct wqi_wk_task *t = list; t && k < n_pg; t = t->next)
				if (limited(t) && t->memory_limit_mb > 0 && cgroup_rss(t) < 0) {
					which[k] = t;
					pg[k++] = t->pid;
				}
			if (wqi_wk_pgroups_rss(pg, b, k) == 0)
				for (int i = 0; i < k; i++)
					killed += check_memory(which[i], b[i]);
		}
		free(pg);
		free(b);
		free(which);
	}
	for (struct wqi_wk_task *t = list; t; t = t->next) {
		if (!limited(t) || t->disk_limit_mb <= 0)
			continue;
		if (wqi_wk_tree_bytes(t->sandbox, &t->disk_bytes) == 0 &&
		    t->disk_bytes > (uint64_t)t->disk_limit_mb * MB) {
			kill_for(t, "disk", t->disk_bytes, t->disk_limit_mb);
			killed++;
		}
	}
	return killed;
}
