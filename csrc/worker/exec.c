/*
 * exec.c - sandboxes, spawning, limits and cleanup of the worker's tasks.
 *
 * Empty sandboxes and empty output files are recycled: on an ext4 mounted
 * with `discard` a mkdir + rmdir costs about 230 us and a create + unlink
 * about 70 us, a rename about 15 us, and all of it sat on the round trip
 * of every short task. A task's empty sandbox (and its empty .out file) is
 * renamed to WORKDIR/.spare.N at cleanup and renamed back for a later
 * task; anything not empty, or not as we made it, is removed as before.
 */
#include "worker/exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "debug.h"
#include "util.h"
#include "work_queue.h"
#include "worker/cache.h"
#include "worker/cgroup.h"

#define PATH_LEN (2 * WQI_NAME_MAX + 512)
#define SPARE_MAX 16   /* recycled sandboxes (and output files) kept */

/*
 * A pool of recycled paths of one kind (empty directories or empty files).
 * A recycled sandbox keeps its name: the next task simply runs in it (its
 * path is only ever given to the task through WORK_QUEUE_SANDBOX), so
 * recycling costs no system call at all; renaming it to a task's own name
 * cost two renames per task, 20-30 us each on ext4 here.
 */
struct spare_pool {
	char *path[SPARE_MAX];   /* empty directories or files under a workdir, malloc'd */
	int n;
};

static struct spare_pool spare_dirs, spare_outs;   /* the worker is one thread */
static uint64_t name_seq;                          /* makes fresh names unique */

/* Length of the directory part of path ("a/b/c" -> 3), 0 when none. */
static size_t dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? (size_t)(slash - path) : 0;
}

/*
 * Give *path (a malloc'd name under some directory) the name of a spare of
 * the pool living in the same directory, which it then owns. 1 when done;
 * 0 when there is none.
 */
static int spare_take(struct spare_pool *p, char **path)
{
	size_t d = dir_len(*path);
	for (int i = p->n - 1; i >= 0; i--) {
		char *sp = p->path[i];
		if (dir_len(sp) != d || strncmp(sp, *path, d) != 0)
			continue;
		p->path[i] = p->path[--p->n];
		free(*path);
		*path = sp;
		return 1;
	}
	return 0;
}

/* Keep path (an empty directory or file we checked) in the pool under its
 * own name. 1 when kept; 0 when the pool is full: the caller removes it. */
static int spare_put(struct spare_pool *p, const char *path)
{
	if (p->n >= SPARE_MAX)
		return 0;
	char *sp = strdup(path);
	if (!sp)
		return 0;
	p->path[p->n++] = sp;
	return 1;
}

/*
 * Is the directory open as fd empty, with mode 0755 (as mkdir made it)?
 * One getdents64 into a buffer with room for any entry after "." and
 * "..": when it returns only those two, there is nothing else.
 */
static int dir_fresh(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 07777) != 0755 || st.st_uid != geteuid())
		return 0;
	char buf[1024];
	ssize_t n = getdents64(fd, buf, sizeof buf);
	if (n <= 0 || (size_t)n + 300 > sizeof buf)
		return 0;
	for (ssize_t off = 0; off < n;) {
		struct dirent64 *e = (struct dirent64 *)(buf + off);
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			return 0;
		off += e->d_reclen;
	}
	return 1;
}

/* Recycle the sandbox when it is empty and as we made it, else remove it. */
static void sandbox_release(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int fresh = fd >= 0 && dir_fresh(fd);
	if (fd >= 0)
		close(fd);
	if (!fresh || !spare_put(&spare_dirs, path))
		wqi_rm_rf(path);
}

/* Recycle the output file when it is empty, ours and not linked elsewhere, else unlink it. */
static void outfile_release(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	int fresh = S_ISREG(st.st_mode) && st.st_size == 0 && st.st_nlink == 1 && (st.st_mode & 07777) == 0600 &&
		    st.st_uid == geteuid();
	if (!fresh || !spare_put(&spare_outs, path))
		unlink(path);
}

/* A malloc'd "dir/name" or NULL. */
static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

struct wqi_wk_task *wqi_wk_task_create(const struct wqi_msg_task *m, const char *workdir)
{
	struct wqi_wk_task *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->taskid = m->taskid;
	t->cores = m->cores;
	t->memory_mb = m->memory_mb;
	t->disk_mb = m->disk_mb;
	t->gpus = m->gpus;
	t->memory_limit_mb = m->memory_limit_mb > 0 ? m->memory_limit_mb : 0;
	t->disk_limit_mb = m->disk_limit_mb > 0 ? m->disk_limit_mb : 0;
	t->max_run_time_us = m->max_run_time_us;
	t->end_time_us = m->end_time_us;
	t->output_max = m->output_max;
	t->command = wqi_str_dup(m->command);
	t->env = calloc(m->n_env + 1, sizeof *t->env);
	t->inputs = calloc(m->n_inputs + 1, sizeof *t->inputs);
	t->outputs = calloc(m->n_outputs + 1, sizeof *t->outputs);
	/* fresh names, unique in this worker's life (a recycled sandbox named
	 * after an earlier task may still be in use: see spare_take) */
	char name[64];
	snprintf(name, sizeof name, "t.%" PRIu64 ".%" PRIu64, m->taskid, name_seq);
	t->sandbox = path_join(workdir, name);
	snprintf(name, sizeof name, "t.%" PRIu64 ".%" PRIu64 ".out", m->taskid, name_seq++);
	t->outfile = path_join(workdir, name);
	if (!t->command || !t->env || !t->inputs || !t->outputs || !t->sandbox || !t->outfile)
		goto fail;
	for (uint32_t i = 0; i < m->n_env; i++, t->n_env++) {
		const struct wqi_task_env *e = &m->env[i];
		t->env[i] = malloc((size_t)e->name.n + e->value.n + 2);
		if (!t->env[i])
			goto fail;
		memcpy(t->env[i], e->name.p, e->name.n);
		t->env[i][e->name.n] = '=';
		memcpy(t->env[i] + e->name.n + 1, e->value.p, e->value.n);
		t->env[i][e->name.n + 1 + e->value.n] = 0;
	}
	for (uint32_t i = 0; i < m->n_inputs; i++, t->n_inputs++) {
		const struct wqi_task_input *s = &m->inputs[i];
		struct wqi_wk_task_in *d = &t->inputs[i];
		d->source = s->source;
		d->flags = s->flags;
		d->cachename = wqi_str_dup(s->cachename);
		d->remote_name = wqi_str_dup(s->remote_name);
		d->arg = wqi_str_dup(s->arg);
		if (!d->cachename || !d->remote_name || !d->arg) {
			t->n_inputs++;
			goto fail;
		}
	}
	for (uint32_t i = 0; i < m->n_outputs; i++, t->n_outputs++) {
		t->outputs[i].flags = m->outputs[i].flags;
		t->outputs[i].remote_name = wqi_str_dup(m->outputs[i].remote_name);
		if (!t->outputs[i].remote_name) {
			t->n_outputs++;
			goto fail;
		}
	}
	return t;
fail:
	wqi_wk_task_free(t);
	return NULL;
}

void wqi_wk_task_free(struct wqi_wk_task *t)
{
	if (!t)
		return;
	free(t->command);
	for (uint32_t i = 0; i < t->n_env; i++)
		free(t->env[i]);
	free(t->env);
	for (uint32_t i = 0; i < t->n_inputs; i++) {
		free(t->inputs[i].cachename);
		free(t->inputs[i].remote_name);
		free(t->inputs[i].arg);
		free(t->inputs[i].tmp);
	}
	free(t->inputs);
	for (uint32_t i = 0; i < t->n_outputs; i++)
		free(t->outputs[i].remote_name);
	free(t->outputs);
	free(t->sandbox);
	free(t->outfile);
	free(t->cgroup);
	free(t);
}

/*
 * Names are checked on the C strings: the decoder allowed them, but a NUL
 * inside a wqi_str would have been cut by wqi_str_dup, so the wire's check
 * (no NUL) is what makes the C string the whole name.
 */
uint32_t wqi_wk_task_check_names(const struct wqi_wk_task *t)
{
	for (uint32_t i = 0; i < t->n_inputs; i++) {
		const struct wqi_wk_task_in *in = &t->inputs[i];
		if (!wqi_wk_name_ok(in->remote_name, strlen(in->remote_name)))
			return WORK_QUEUE_RESULT_INPUT_MISSING;
		if (in->source == WQI_SRC_EMPTY_DIR)
			continue;
		if (in->source < WQI_SRC_CACHE || in->source > WQI_SRC_EMPTY_DIR ||
		    !wqi_wk_cachename_ok(in->cachename, strlen(in->cachename)))
			return WORK_QUEUE_RESULT_INPUT_MISSING;
	}
	for (uint32_t i = 0; i < t->n_outputs; i++)
		if (!wqi_wk_name_ok(t->outputs[i].remote_name, strlen(t->outputs[i].remote_name)))
			return WORK_QUEUE_RESULT_OUTPUT_MISSING;
	return 0;
}

/* Make the parent directories of path (inside the sandbox). 0 or -WQ_EFILE. */
static int make_parents(const char *path)
{
	char tmp[PATH_LEN];
	snprintf(tmp, sizeof tmp, "%s", path);
	char *slash = strrchr(tmp, '/');
	if (!slash)
		return 0;
	*slash = 0;
	return wqi_mkdir_p(tmp, 0755) < 0 ? WQ_EFILE : 0;
}

/* Copy a regular file (when a hard link is impossible). 0 or -WQ_EFILE. */
static int copy_file(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return WQ_EFILE;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (out < 0) {
		close(in);
		return WQ_EFILE;
	}
	int rc = 0;
	for (;;) {
		ssize_t n = sendfile(out, in, NULL, 1 << 30);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = WQ_EFILE;
			break;
		}
	}
	close(in);
	if (close(out) < 0)
		rc = WQ_EFILE;
	return rc;
}

/* Hard-link src at dst, copying when linking fails (another file system, ...). */
static int link_file(const char *src, const char *dst, mode_t mode)
{
	if (link(src, dst) == 0)
		return 0;
	if (errno == EEXIST)
		return WQ_EFILE;
	return copy_file(src, dst, mode);
}

/*
 * Rebuild the tree src at dst: directories made, regular files hard-linked,
 * anything else (there is nothing else in the cache) skipped. depth bounds
 * the recursion.
 */
static int link_tree(const char *src, const char *dst, int depth)
{
	if (depth > 256)
		return WQ_EFILE;
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return WQ_EFILE;
	DIR *d = opendir(src);
	if (!d)
		return WQ_EFILE;
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *s = path_join(src, e->d_name), *t = path_join(dst, e->d_name);
		struct stat st;
		if (!s || !t)
			rc = WQ_ENOMEM;
		else if (lstat(s, &st) < 0)
			rc = WQ_EFILE;
		else if (S_ISDIR(st.st_mode))
			rc = link_tree(s, t, depth + 1);
		else if (S_ISREG(st.st_mode))
			rc = link_file(s, t, st.st_mode);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

int wqi_wk_task_sandbox(struct wqi_wk_task *t, struct wqi_wk_cache *c)
{
	if (!spare_take(&spare_dirs, &t->sandbox) && mkdir(t->sandbox, 0755) < 0) {
		if (errno != EEXIST)
			return WQ_EFILE;
		wqi_rm_rf(t->sandbox);
		if (mkdir(t->sandbox, 0755) < 0)
			return WQ_EFILE;
	}
	for (uint32_t i = 0; i < t->n_inputs; i++) {
		struct wqi_wk_task_in *in = &t->inputs[i];
		char src[PATH_LEN], *dst = path_join(t->sandbox, in->remote_name);
		if (!dst)
			return WQ_ENOMEM;
		int rc = make_parents(dst);
		if (rc == 0 && in->source == WQI_SRC_EMPTY_DIR) {
			rc = wqi_mkdir_p(dst, 0755) < 0 ? WQ_EFILE : 0;
		} else if (rc == 0) {
			struct stat st;
			if (wqi_wk_cache_path(c, in->cachename, src, sizeof src) < 0 || lstat(src, &st) < 0)
				rc = WQ_ENOENT;
			else if (S_ISDIR(st.st_mode))
				rc = link_tree(src, dst, 0);
			else if (S_ISREG(st.st_mode))
				rc = link_file(src, dst, st.st_mode);
			else
				rc = WQ_ENOENT;
		}
		if (rc < 0)
			WQI_DEBUG("task %" PRIu64 ": input %s -> %s: %s", t->taskid, in->cachename, in->remote_name,
				  rc == WQ_ENOENT ? "not in the cache" : strerror(errno));
		free(dst);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * vfork + execve: no copy of the worker's page tables, so spawning stays
 * cheap however big the worker is. (posix_spawn would do the same, but
 * <spawn.h> pulls in <sched.h>, which csrc/sched.h shadows under -Icsrc.)
 * The child only makes async-signal-safe system calls before execve: its
 * own process group, death with the worker (PR_SET_PDEATHSIG: the shell
 * only; what it forks may outlive a SIGKILLed worker), default signal
 * handling (the worker ignores SIGPIPE and blocks the signals of its
 * signalfd), descriptors 0-2, cwd.
 */
/* What the vfork child needs, prepared before vfork. */
struct spawn_args {
	char *argv[4];
	char **env;
	const char *cwd;
	int in_fd, out_fd;
	int cgroup_fd;          /* cgroup.procs to join first, -1 = none */
	sigset_t none;
	struct sigaction dfl;
};

/* The child's side, between vfork and execve: system calls only. */
static __attribute__((noreturn, noinline)) void spawn_child(const struct spawn_args *a)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGPIPE };
	if (a->cgroup_fd >= 0 && write(a->cgroup_fd, "0", 1) < 0) {
		/* not fatal: the task is then followed by its process group */
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a SIGKILLed worker takes its commands with it */
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &a->dfl, NULL);
	sigprocmask(SIG_SETMASK, &a->none, NULL);
	if (dup2(a->in_fd, 0) < 0 || dup2(a->out_fd, 1) < 0 || dup2(a->out_fd, 2) < 0)
		_exit(127);
	if (a->cwd && chdir(a->cwd) < 0)
		_exit(127);
	execve("/bin/sh", a->argv, a->env);
	_exit(127);
}

/* vfork alone in its frame, so nothing of the caller's can be clobbered. */
static __attribute__((noinline)) pid_t spawn_vfork(const struct spawn_args *a)
{
	pid_t pid = vfork();
	if (pid == 0)
		spawn_child(a);
	return pid;
}

/* wqi_wk_spawn_shell, joining the cgroup whose cgroup.procs is open as cgroup_fd (-1: none). */
static pid_t spawn_shell_cg(const char *cmd, const char *cwd, int out_fd, char **envp, int cgroup_fd)
{
	extern char **environ;
	struct spawn_args a;
	memset(&a, 0, sizeof a);
	a.cgroup_fd = cgroup_fd;
	a.argv[0] = "/bin/sh";
	a.argv[1] = "-c";
	a.argv[2] = (char *)cmd;
	a.env = envp ? envp : environ;
	a.cwd = cwd;
	sigemptyset(&a.none);
	a.dfl.sa_handler = SIG_DFL;
	/* /dev/null for stdin stays open (close-on-exec) for the next spawn: two
	 * system calls less per task */
	static int nul_in = -1;
	if (nul_in < 0)
		nul_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int nul_out = out_fd < 0 ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
	a.in_fd = nul_in;
	a.out_fd = out_fd >= 0 ? out_fd : nul_out;
	pid_t pid = -1;
	if (a.in_fd >= 0 && a.out_fd >= 0)
		pid = spawn_vfork(&a);
	int err = errno;
	if (nul_out >= 0)
		close(nul_out);
	if (pid < 0) {
		errno = err;
		return WQ_EFILE;
	}
	return pid;
}

pid_t wqi_wk_spawn_shell(const char *cmd, const char *cwd, int out_fd, char **envp)
{
	return spawn_shell_cg(cmd, cwd, out_fd, envp, -1);
}

/* Length of the name part of "NAME=VALUE". */
static size_t env_name_len(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq ? (size_t)(eq - s) : strlen(s);
}

/* Does any of list[from..n) set the same name as s? */
static int env_overridden(const char *s, char **list, size_t from, size_t n)
{
	size_t l = env_name_len(s);
	for (size_t i = from; i < n; i++)
		if (env_name_len(list[i]) == l && memcmp(list[i], s, l) == 0)
			return 1;
	return 0;
}

/*
 * The task's environment: the worker's, then the master's list, then the
 * allocation and sandbox variables; a later setting of a name replaces an
 * earlier one, so the child sees each name once. Returns a NULL-terminated
 * array (strings in over[] are borrowed) or NULL.
 */
static char **build_env(char **base, char **over, size_t n_over)
{
	size_t nb = 0;
	while (base && base[nb])
		nb++;
	char **env = calloc(nb + n_over + 1, sizeof *env);
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < nb; i++)
		if (!env_overridden(base[i], over, 0, n_over))
			env[k++] = base[i];
	for (size_t i = 0; i < n_over; i++)
		if (!env_overridden(over[i], over, i + 1, n_over))
			env[k++] = over[i];
	env[k] = NULL;
	return env;
}

int wqi_wk_task_spawn(struct wqi_wk_task *t, char **environ_base)
{
	enum { N_OWN = 7 };
	char own[N_OWN][WQI_NAME_MAX + 64];
	snprintf(own[0], sizeof own[0], "CORES=%" PRId64, t->cores);
	snprintf(own[1], sizeof own[1], "OMP_NUM_THREADS=%" PRId64, t->cores);
	snprintf(own[2], sizeof own[2], "MEMORY=%" PRId64, t->memory_mb);
	snprintf(own[3], sizeof own[3], "DISK=%" PRId64, t->disk_mb);
	snprintf(own[4], sizeof own[4], "GPUS=%" PRId64, t->gpus);
	snprintf(own[5], sizeof own[5], "WORK_QUEUE_SANDBOX=%s", t->sandbox);
	snprintf(own[6], sizeof own[6], "TMPDIR=%s", t->sandbox);
	size_t n_over = 0;
	char **over = calloc(t->n_env + N_OWN, sizeof *over);
	if (!over)
		return WQ_ENOMEM;
	for (uint32_t i = 0; i < t->n_env; i++)
		if (env_name_len(t->env[i]) > 0 && strchr(t->env[i], '='))
			over[n_over++] = t->env[i];
	for (int i = 0; i < N_OWN; i++)
		over[n_over++] = own[i];
	char **env = build_env(environ_base, over, n_over);
	spare_take(&spare_outs, &t->outfile);  /* an empty one to truncate: cheaper than creating */
	int out = open(t->outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = 0;
	if (!env || out < 0) {
		rc = env ? WQ_EFILE : WQ_ENOMEM;
	} else {
		int cg_fd = -1;
		if (t->cgroup) {
			char *procs = path_join(t->cgroup, "cgroup.procs");
			cg_fd = procs ? open(procs, O_WRONLY | O_CLOEXEC) : -1;
			free(procs);
		}
		pid_t pid = spawn_shell_cg(t->command, t->sandbox, out, env, cg_fd);
		if (cg_fd >= 0)
			close(cg_fd);
		if (pid < 0) {
			rc = WQ_EFILE;
		} else {
			uint64_t now_mono = wqi_mono_us(), now = wqi_now_us();
			t->pid = pid;
			t->state = WQI_WK_TASK_RUNNING;
			t->start_us = now;
			t->deadline_mono_us = 0;
			if (t->max_run_time_us) {
				t->deadline_mono_us = now_mono + t->max_run_time_us;
				t->limit_result = WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME;
			}
			if (t->end_time_us) {
				uint64_t d = now_mono + (t->end_time_us > now ? t->end_time_us - now : 0);
				if (!t->deadline_mono_us || d < t->deadline_mono_us) {
					t->deadline_mono_us = d;
					t->limit_result = WORK_QUEUE_RESULT_TASK_TIMEOUT;
				}
			}
		}
	}
	if (out >= 0)
		close(out);
	free(env);
	free(over);
	return rc;
}

void wqi_wk_task_reaped(struct wqi_wk_task *t, int status)
{
	/* leftovers of the command (background jobs) go with it */
	if (t->pid > 0)
		kill(-t->pid, SIGKILL);
	if (t->cgroup)
		wqi_wk_cgroup_kill(t->cgroup);
	t->pid = 0;
	t->end_us = wqi_now_us();
	t->state = WQI_WK_TASK_FINISHED;
	if (t->limit_hit) {
		t->result = t->limit_result;
		t->exit_status = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		t->result = WORK_QUEUE_RESULT_SIGNAL;
		t->exit_status = WTERMSIG(status);
	} else {
		t->result = 0;
		t->exit_status = WEXITSTATUS(status);
	}
}

int wqi_wk_task_check_limits(struct wqi_wk_task *t, uint64_t now_mono)
{
	if (t->state != WQI_WK_TASK_RUNNING || t->limit_hit || !t->deadline_mono_us || now_mono < t->deadline_mono_us)
		return 0;
	t->limit_hit = 1;
	WQI_DEBUG("task %" PRIu64 ": %s passed, killing it", t->taskid,
		  t->limit_result == WORK_QUEUE_RESULT_TASK_TIMEOUT ? "end time" : "max run time");
	if (t->pid > 0)
		kill(-t->pid, SIGKILL);
	if (t->cgroup)
		wqi_wk_cgroup_kill(t->cgroup);
	return 1;
}

void wqi_wk_task_kill(struct wqi_wk_task *t)
{
	if (t->pid > 0)
		kill(-t->pid, SIGKILL);
	if (t->cgroup && t->pid > 0)
		wqi_wk_cgroup_kill(t->cgroup);
	for (uint32_t i = 0; i < t->n_inputs; i++)
		if (t->inputs[i].helper > 0)
			kill(-t->inputs[i].helper, SIGKILL);
}

void wqi_wk_task_cleanup(struct wqi_wk_task *t, struct wqi_wk_cache *c)
{
	sandbox_release(t->sandbox);
	outfile_release(t->outfile);
	for (uint32_t i = 0; i < t->n_inputs; i++) {
		struct wqi_wk_task_in *in = &t->inputs[i];
		if (in->tmp) {
			wqi_rm_rf(in->tmp);
			free(in->tmp);
			in->tmp = NULL;
		}
		if (in->source != WQI_SRC_EMPTY_DIR && !(in->flags & WORK_QUEUE_CACHE))
			wqi_wk_cache_unlink(c, in->cachename);
	}
}
