/*
 * cgroup.c - cgroup v2 directories for tasks with a memory limit (see
 * cgroup.h for why membership, not a controller, is what is used).
 */
#include "worker/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "debug.h"
#include "work_queue.h"

#define CGROUP2_MAGIC 0x63677270   /* CGROUP2_SUPER_MAGIC of <linux/magic.h> */
#define CG_PATH 4096                /* longer cgroup paths are not used */

/* "dir/name" into out[CG_PATH]; 0, or -1 when it does not fit. */
static int cg_path(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, CG_PATH, "%s/%s", dir, name);
	return n < 0 || n >= CG_PATH ? -1 : 0;
}

/* Is path the root of a cgroup v2 file system? */
static int is_cgroup2(const char *path)
{
	struct statfs s;
	return statfs(path, &s) == 0 && (unsigned long)s.f_type == CGROUP2_MAGIC;
}

/* The worker's own v2 cgroup path ("0::<path>" of /proc/self/cgroup) into out. */
static int own_path(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	char line[4096];
	int rc = -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, len, "%s", strcmp(line + 3, "/") == 0 ? "" : line + 3);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* Write s to dir/name; 0 or -1. */
static int write_to(const char *dir, const char *name, const char *s)
{
	char path[CG_PATH];
	if (cg_path(path, dir, name) < 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Remove the empty directories of workers that are gone: wq-worker-<pid>
 * with no live <pid>, and their empty t.* children. A directory that still
 * holds processes (tasks that outlived their worker) stays: they are not
 * ours to kill.
 */
static void remove_stale(const char *parent)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	char path[CG_PATH], proc[64];
	while ((e = readdir(d))) {
		int pid = 0;
		if (sscanf(e->d_name, "wq-worker-%d", &pid) != 1 || pid <= 0)
			continue;
		snprintf(proc, sizeof proc, "/proc/%d", pid);
		if (access(proc, F_OK) == 0 || cg_path(path, parent, e->d_name) < 0)
			continue;
		DIR *sub = opendir(path);
		struct dirent *t;
		char tp[CG_PATH];
		while (sub && (t = readdir(sub)))
			if (strncmp(t->d_name, "t.", 2) == 0 && cg_path(tp, path, t->d_name) == 0)
				rmdir(tp);
		if (sub)
			closedir(sub);
		rmdir(path);
	}
	closedir(d);
}

int wqi_wk_cgroup_init(struct wqi_wk_cgroup *cg)
{
	memset(cg, 0, sizeof cg[0]);
	const char *mnt = is_cgroup2("/sys/fs/cgroup") ? "/sys/fs/cgroup"
			  : is_cgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : NULL;
	char own[CG_PATH], base[CG_PATH], name[64];
	if (!mnt || own_path(own, sizeof own) < 0)
		return WQ_EFILE;
	int n = snprintf(base, sizeof base, "%s%s", mnt, own);
	if (n < 0 || n >= CG_PATH || access(base, W_OK) < 0)
		return WQ_EFILE;
	remove_stale(base);
	snprintf(name, sizeof name, "wq-worker-%d", (int)getpid());
	char dir[CG_PATH];
	if (cg_path(dir, base, name) < 0 || !(cg->dir = strdup(dir)))
		return WQ_EFILE;
	return 0;
}

/* Make the worker's directory at first use; on failure give cgroups up. */
static int make_dir(struct wqi_wk_cgroup *cg)
{
	if (cg->made)
		return 0;
	char procs[CG_PATH];
	if ((mkdir(cg->dir, 0755) < 0 && errno != EEXIST) || cg_path(procs, cg->dir, "cgroup.procs") < 0 ||
	    access(procs, W_OK) < 0) {
		WQI_DEBUG("cgroup v2 directory %s not usable (%s): tasks are followed by process group", cg->dir,
			  strerror(errno));
		rmdir(cg->dir);
		free(cg->dir);
		cg->dir = NULL;
		return -1;
	}
	WQI_DEBUG("tasks with a memory limit run in cgroups under %s", cg->dir);
	cg->made = 1;
	return 0;
}

int wqi_wk_cgroup_pids(const char *dir, pid_t *pids, int max)
{
	char path[CG_PATH];
	if (cg_path(path, dir, "cgroup.procs") < 0)
		return 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int n = 0;
	long v;
	while (n < max && fscanf(f, "%ld", &v) == 1)
		if (v > 0)
			pids[n++] = (pid_t)v;
	fclose(f);
	return n;
}

/* cgroup.kill (Linux 5.14) kills members atomically, including ones being
 * forked; without it each listed member gets SIGKILL. */
void wqi_wk_cgroup_kill(const char *dir)
{
	if (write_to(dir, "cgroup.kill", "1") == 0)
		return;
	pid_t pids[1024];
	int n = wqi_wk_cgroup_pids(dir, pids, 1024);
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
}

char *wqi_wk_cgroup_task_create(struct wqi_wk_cgroup *cg, uint64_t taskid)
{
	if (!cg->dir || make_dir(cg) < 0)
		return NULL;
	char *p = NULL;
	if (asprintf(&p, "%s/t.%" PRIu64, cg->dir, taskid) < 0)
		return NULL;
	if (mkdir(p, 0755) < 0 && errno != EEXIST) {
		free(p);
		return NULL;
	}
	return p;
}

void wqi_wk_cgroup_task_remove(struct wqi_wk_cgroup *cg, const char *dir)
{
	if (rmdir(dir) < 0 && errno == EBUSY) {
		wqi_wk_cgroup_kill(dir);  /* a straggler: it goes too */
		cg->leftovers++;
	}
}

/* rmdir every task cgroup of the worker (killing members first when kill is set). */
static int remove_all(struct wqi_wk_cgroup *cg, int kill_first)
{
	DIR *d = opendir(cg->dir);
	if (!d)
		return 0;
	int left = 0;
	struct dirent *e;
	char path[CG_PATH];
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "t.", 2) != 0 || cg_path(path, cg->dir, e->d_name) < 0)
			continue;
		if (kill_first)
			wqi_wk_cgroup_kill(path);
		if (rmdir(path) < 0 && errno == EBUSY)
			left++;
	}
	closedir(d);
	return left;
}

void wqi_wk_cgroup_sweep(struct wqi_wk_cgroup *cg)
{
	if (cg->dir && cg->made && cg->leftovers > 0)
		cg->leftovers = remove_all(cg, 0);
}

/* At exit only: a bounded wait (up to 0.5 s) for killed members to leave. */
void wqi_wk_cgroup_fini(struct wqi_wk_cgroup *cg)
{
	if (!cg->dir)
		return;
	for (int i = 0; cg->made && i < 100 && remove_all(cg, 1) > 0; i++)
		usleep(5000);
	if (cg->made)
		rmdir(cg->dir);
	free(cg->dir);
	cg->dir = NULL;
}
