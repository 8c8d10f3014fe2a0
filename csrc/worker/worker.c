/*
 * worker.c - the worker's life: workdir, connection, event loop, signals,
 * task lifecycle, reconnection and exit.
 */
#include "worker/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "debug.h"
#include "link.h"
#include "loop.h"
#include "net.h"
#include "util.h"
#include "catalog_client.h"
#include "work_queue.h"
#include "worker/exec.h"
#include "worker/fetch.h"
#include "worker/monitor.h"
#include "worker/outputs.h"

#define SEC ((uint64_t)1000000)
#define BACKOFF_MAX_US (30 * SEC)
#define STREAM_SLICE (64u << 20)   /* bytes of a stream moved per wakeup, for fairness */

extern char **environ;

/* Tags for the loop's user pointers. */
static char tag_signal, tag_master;

void wqi_wk_config_defaults(struct wqi_wk_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->res.cores = cfg->res.memory_mb = cfg->res.disk_mb = cfg->res.gpus = -1;
	cfg->idle_timeout_s = 900;
	cfg->silence_max_us = 3600 * SEC;
	cfg->connect_timeout_ms = 10000;
}

struct wqi_wk_task *wqi_wk_loop_task_find(struct wqi_wk *w, uint64_t taskid)
{
	for (struct wqi_wk_task *t = w->tasks; t; t = t->next)
		if (t->taskid == taskid)
			return t;
	return NULL;
}

/* Take t out of the list and free it; the worker goes idle with its last task. */
static void task_forget(struct wqi_wk *w, struct wqi_wk_task *t)
{
	struct wqi_wk_task **pp = &w->tasks;
	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = t->next;
		w->n_tasks--;
	}
	if (t->cgroup)
		wqi_wk_cgroup_task_remove(&w->cg, t->cgroup);
	wqi_wk_task_free(t);
	if (w->n_tasks == 0)
		w->idle_since_us = wqi_mono_us();
}

void wqi_wk_loop_task_discard(struct wqi_wk *w, struct wqi_wk_task *t)
{
	wqi_wk_task_kill(t);
	wqi_wk_task_cleanup(t, &w->cache);
	task_forget(w, t);
}

/*
 * Queue the task's report (outputs, then RESULT), then remove its files:
 * the link holds open descriptors of everything it still has to send.
 */
static void report_queue(struct wqi_wk *w, struct wqi_wk_task *t, int with_outputs)
{
	WQI_DEBUG("task %" PRIu64 " done: result %" PRIu32 ", exit status %" PRId32, t->taskid, t->result, t->exit_status);
	if (!w->link)
		return;
	int rc = wqi_wk_outputs_send(t, w->link, with_outputs);
	if (rc < 0) {
		/* half a report may be queued: the stream cannot go on */
		wqi_warn("task %" PRIu64 ": cannot report it: %s", t->taskid, work_queue_strerror(rc));
		w->broken = 1; /* dropped by connected_turn, where it is safe */
	}
}

/* Send what is queued now: the master waits for it (cleanup comes after). */
static void report_send(struct wqi_wk *w)
{
	if (w->link && !w->broken && wqi_wk_flush(w) < 0)
		w->broken = 1;
}

void wqi_wk_loop_task_finish(struct wqi_wk *w, struct wqi_wk_task *t, int with_outputs)
{
	report_queue(w, t, with_outputs);
	report_send(w);
	wqi_wk_task_cleanup(t, &w->cache);
	task_forget(w, t);
}

/* Start the command of a task whose sandbox is ready (it may be reported at once). */
static void task_spawn(struct wqi_wk *w, struct wqi_wk_task *t)
{
	t->spawn_at_mono_us = 0;
	if (t->memory_limit_mb > 0)
		t->cgroup = wqi_wk_cgroup_task_create(&w->cg, t->taskid); /* NULL: by process group */
	int rc = wqi_wk_task_spawn(t, environ);
	if (rc < 0) {
		wqi_warn("task %" PRIu64 ": cannot start /bin/sh: %s", t->taskid, strerror(errno));
		t->result = WORK_QUEUE_RESULT_UNKNOWN;
		wqi_wk_loop_task_finish(w, t, 0);
		return;
	}
	WQI_DEBUG("task %" PRIu64 " started (pid %d): %s", t->taskid, (int)t->pid, t->command);
}

/*
 * Inputs are ready: build the sandbox and start the command, or, with
 * --test-slow, note when it may start: the loop's timeout wakes us then
 * (start_due_tasks), so a slow worker never sleeps and still answers
 * KEEPALIVE and KILL while its tasks wait.
 */
static void task_run(struct wqi_wk *w, struct wqi_wk_task *t)
{
	int rc = wqi_wk_task_sandbox(t, &w->cache);
	if (rc < 0) {
		t->result = WORK_QUEUE_RESULT_INPUT_MISSING;
		wqi_wk_loop_task_finish(w, t, 0);
		return;
	}
	if (w->cfg->test_slow_us) {
		t->spawn_at_mono_us = wqi_mono_us() + w->cfg->test_slow_us;
		WQI_DEBUG("task %" PRIu64 ": --test-slow, starting in %" PRIu64 " ms", t->taskid, w->cfg->test_slow_us / 1000);
		return;
	}
	task_spawn(w, t);
}

/* Start every task held back by --test-slow whose time has come. */
static void start_due_tasks(struct wqi_wk *w, uint64_t now)
{
	struct wqi_wk_task *t = w->tasks, *next;
	for (; t; t = next) {
		next = t->next; /* task_spawn may finish and free t (never another task) */
		if (t->state == WQI_WK_TASK_PREPARING && t->spawn_at_mono_us && t->spawn_at_mono_us <= now)
			task_spawn(w, t);
	}
}

/*
 * A new task: bad names and a passed end time end it at once (sandbox
 * untouched); otherwise helpers make URL/COMMAND inputs first, or it runs now.
 */
void wqi_wk_loop_task_start(struct wqi_wk *w, struct wqi_wk_task *t)
{
	t->next = w->tasks;
	w->tasks = t;
	w->n_tasks++;
	uint32_t bad = wqi_wk_task_check_names(t);
	if (bad) {
		wqi_warn("task %" PRIu64 ": bad %s name, refused", t->taskid, bad == 1 ? "input" : "output");
		t->result = bad;
		wqi_wk_loop_task_finish(w, t, 0);
		return;
	}
	if (t->end_time_us && t->end_time_us <= wqi_now_us()) {
		t->result = WORK_QUEUE_RESULT_TASK_TIMEOUT;
		wqi_wk_loop_task_finish(w, t, 0);
		return;
	}
	if (wqi_wk_fetch_start(t, &w->cache) < 0) {
		wqi_wk_task_kill(t);
		t->result = WORK_QUEUE_RESULT_INPUT_MISSING;
		wqi_wk_loop_task_finish(w, t, 0);
		return;
	}
	if (t->helpers == 0)
		task_run(w, t);
}

/* Register for writability only while bytes wait, then try to send them now. */
int wqi_wk_flush(struct wqi_wk *w)
{
	if (!w->link)
		return 0;
	int rc = wqi_link_flush(w->link);
	if (rc < 0)
		return rc;
	int want = rc == 1;
	if (want != w->want_write) {
		wqi_loop_mod(w->loop, wqi_link_fd(w->link), WQI_EV_READ | (want ? WQI_EV_WRITE : 0), &tag_master);
		w->want_write = want;
	}
	return 0;
}

/* Close the current PUT stream's file. */
static void stream_close(struct wqi_wk *w)
{
	if (w->stream_fd >= 0 && close(w->stream_fd) < 0)
		wqi_wk_cache_put_failed(&w->cache, wqi_str_c(w->stream_name), strerror(errno));
	w->stream_fd = -1;
	w->stream_left = 0;
}

/*
 * The master has gone (or misbehaved): kill its tasks, forget its cache,
 * close. With --single-shot the worker then exits.
 */
static void drop_master(struct wqi_wk *w, const char *why)
{
	if (!w->link)
		return;
	wqi_warn("disconnected from master %s:%d: %s", w->host, w->port, why);
	while (w->tasks)
		wqi_wk_loop_task_discard(w, w->tasks);
	stream_close(w);
	wqi_wk_cache_clear(&w->cache);
	wqi_loop_del(w->loop, wqi_link_fd(w->link));
	wqi_link_delete(w->link);
	w->link = NULL;
	w->welcomed = 0;
	w->want_write = 0;
	w->broken = 0;
	w->idle_since_us = wqi_mono_us();
	if (w->cfg->single_shot)
		w->quit = 1;
}

/*
 * Read what the master sent: PUT streams straight to their files, frames
 * to the handlers. Returns 0 (wait for more) or a negative code (drop).
 */
static int master_readable(struct wqi_wk *w)
{
	uint64_t moved = 0;
	struct wqi_buf *in = wqi_link_in(w->link);
	while (!w->quit && w->link && !w->broken) {
		if (w->stream_left > 0) {
			if (moved >= STREAM_SLICE)
				return 0; /* level-triggered: we come back */
			int64_t n = wqi_link_recv_to_fd(w->link, w->stream_fd, w->stream_left);
			if (n == WQ_EFILE) {
				/* a local write failed: report it, then discard the rest of the
				 * stream (the link keeps its position), so framing stays intact */
				wqi_wk_cache_put_failed(&w->cache, wqi_str_c(w->stream_name), strerror(errno));
				if (w->stream_fd >= 0)
					close(w->stream_fd);
				w->stream_fd = -1;
				continue;
			}
			if (n < 0)
				return (int)n;
			if (n == 0)
				return 0;
			w->last_heard_us = wqi_mono_us();
			moved += (uint64_t)n;
			w->stream_left -= (uint64_t)n;
			if (w->stream_left == 0)
				stream_close(w);
			continue;
		}
		uint8_t type;
		const char *payload;
		size_t plen, flen;
		int rc = wqi_proto_frame(in, &type, &payload, &plen, &flen);
		if (rc < 0) {
			wqi_warn("bad frame length from the master; dropping the connection");
			return WQ_EPROTO;
		}
		if (rc == 0) {
			int64_t r = wqi_link_fill(w->link);
			if (r < 0)
				return (int)r;
			if (r == 0)
				return 0;
			w->last_heard_us = wqi_mono_us();
			continue;
		}
		rc = wqi_wk_frame(w, type, payload, plen);
		wqi_buf_consume(in, flen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Reap every exited child: a task (report it) or an input helper. The
 * reports of tasks that ended together leave in one send, and their
 * sandboxes are cleaned after it: on a many-core worker, short tasks often
 * end in the same turn.
 */
#define REAP_BATCH 64

static void reap_children(struct wqi_wk *w)
{
	int status;
	pid_t pid;
	struct wqi_wk_task *done[REAP_BATCH];
	int n_done = 0;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (struct wqi_wk_task *t = w->tasks; t; t = t->next) {
			if (t->state == WQI_WK_TASK_RUNNING && t->pid == pid) {
				wqi_wk_task_reaped(t, status); /* FINISHED: not matched again */
				if (n_done == REAP_BATCH) {
					wqi_wk_loop_task_finish(w, t, 1);
				} else {
					report_queue(w, t, 1);
					done[n_done++] = t;
				}
				break;
			}
			int failed = 0;
			if (t->state == WQI_WK_TASK_PREPARING && wqi_wk_fetch_reaped(t, &w->cache, pid, status, &failed)) {
				if (failed)
					t->result = WORK_QUEUE_RESULT_INPUT_MISSING;
				if (t->helpers == 0) {
					if (t->result)
						wqi_wk_loop_task_finish(w, t, 0);
					else
						task_run(w, t);
				}
				break;
			}
		}
	}
	if (n_done)
		report_send(w);
	for (int i = 0; i < n_done; i++) {
		wqi_wk_task_cleanup(done[i], &w->cache);
		task_forget(w, done[i]);
	}
}

/* Drain the signalfd: children to reap, or a request to terminate. */
static void on_signals(struct wqi_wk *w)
{
	struct signalfd_siginfo si;
	int chld = 0;
	while (read(w->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD) {
			chld = 1;
		} else {
			WQI_DEBUG("signal %d received, exiting", (int)si.ssi_signo);
			w->quit = 1;
			w->exit_code = 0;
		}
	}
	if (chld)
		reap_children(w);
}

/*
 * One attempt to reach the master: connect (blocking, with a timeout),
 * send the preamble and HELLO. 0 or a negative code.
 */
static int connect_master(struct wqi_wk *w, const char *worker_id)
{
	int fd = wqi_net_connect(w->host, w->port, w->cfg->connect_timeout_ms);
	if (fd < 0)
		return fd;
	w->link = wqi_link_create(fd);
	if (!w->link) {
		close(fd);
		return WQ_ENOMEM;
	}
	struct utsname u;
	if (uname(&u) < 0)
		snprintf(u.machine, sizeof u.machine, "unknown");
	struct wqi_msg_hello h = {
		WQI_PROTO_VERSION, wqi_str_c(work_queue_version()), wqi_str_c(wqi_hostname()), wqi_str_c("linux"),
		wqi_str_c(u.machine), wqi_str_c(worker_id), w->cfg->res.cores, w->cfg->res.memory_mb,
		w->cfg->res.disk_mb, w->cfg->res.gpus, wqi_str_c(w->project), wqi_str_c(""),
	};
	struct wqi_buf *out = wqi_link_out(w->link);
	int rc = wqi_proto_put_preamble(out);
	if (rc == 0)
		rc = wqi_proto_encode_hello(out, &h);
	if (rc == 0)
		rc = wqi_loop_add(w->loop, fd, WQI_EV_READ, &tag_master);
	if (rc < 0) {
		wqi_link_delete(w->link);
		w->link = NULL;
		return rc;
	}
	w->want_write = 0;
	w->welcomed = 0;
	w->last_heard_us = wqi_mono_us();
	rc = wqi_wk_flush(w);
	if (rc < 0) {
		wqi_loop_del(w->loop, fd);
		wqi_link_delete(w->link);
		w->link = NULL;
		return rc;
	}
	WQI_DEBUG("connected to master %s:%d as %s", w->host, w->port, worker_id);
	return 0;
}

/* Milliseconds until the monotonic time at (>= 0, rounded up, at most cap). */
static int ms_until(uint64_t at, uint64_t now, int cap)
{
	if (at <= now)
		return 0;
	uint64_t ms = (at - now + 999) / 1000;
	return ms > (uint64_t)cap ? cap : (int)ms;
}

/* The loop's timeout: the nearest task limit, idle timeout or silence limit. */
static int next_timeout(struct wqi_wk *w, uint64_t now)
{
	int ms = 60000;
	for (struct wqi_wk_task *t = w->tasks; t; t = t->next)
		if (t->state == WQI_WK_TASK_RUNNING && t->deadline_mono_us && !t->limit_hit) {
			int m = ms_until(t->deadline_mono_us, now, ms);
			if (m < ms)
				ms = m;
		}
	for (struct wqi_wk_task *t = w->tasks; t; t = t->next)
		if (t->state == WQI_WK_TASK_PREPARING && t->spawn_at_mono_us) {
			int m = ms_until(t->spawn_at_mono_us, now, ms);
			if (m < ms)
				ms = m;
		}
	if (wqi_wk_monitor_wanted(w->tasks)) {
		int m = ms_until(w->next_sample_us, now, ms);
		if (m < ms)
			ms = m;
	}
	if (w->n_tasks == 0) {
		int m = ms_until(w->idle_since_us + (uint64_t)w->cfg->idle_timeout_s * SEC, now, ms);
		if (m < ms)
			ms = m;
	}
	int m = ms_until(w->last_heard_us + w->cfg->silence_max_us, now, ms);
	return m < ms ? m : ms;
}

/* Say BYE and give the master up to a second to take it (best effort). */
static void say_bye(struct wqi_wk *w, const char *reason)
{
	if (!w->link)
		return;
	struct wqi_msg_text m = { wqi_str_c(reason) };
	if (wqi_proto_encode_text(wqi_link_out(w->link), WQI_MSG_BYE, &m) < 0)
		return;
	uint64_t end = wqi_mono_us() + SEC;
	while (wqi_link_flush(w->link) == 1 && wqi_mono_us() < end) {
		struct wqi_event ev[4];
		wqi_loop_wait(w->loop, ev, 4, 50);
	}
}

/* One turn of the connected loop: wait, handle events, apply limits. */
static void connected_turn(struct wqi_wk *w)
{
	struct wqi_event ev[16];
	int n = wqi_loop_wait(w->loop, ev, 16, next_timeout(w, wqi_mono_us()));
	for (int i = 0; i < n && !w->quit; i++) {
		if (ev[i].ptr == &tag_signal) {
			on_signals(w);
		} else if (ev[i].ptr == &tag_master && w->link) {
			int rc = 0;
			if (ev[i].events & (WQI_EV_READ | WQI_EV_ERROR))
				rc = master_readable(w);
			if (rc == 0 && w->link && (ev[i].events & WQI_EV_WRITE))
				rc = wqi_wk_flush(w);
			if (rc < 0)
				drop_master(w, rc == WQ_ECLOSED ? "connection closed" : work_queue_strerror(rc));
		}
	}
	uint64_t now = wqi_mono_us();
	start_due_tasks(w, now);
	for (struct wqi_wk_task *t = w->tasks; t; t = t->next)
		wqi_wk_task_check_limits(t, now);
	if (now >= w->next_sample_us) {
		w->next_sample_us = now + WQI_WK_SAMPLE_US;
		wqi_wk_monitor_sample(w->tasks);
		wqi_wk_cgroup_sweep(&w->cg);
	}
	if (w->link) {
		int rc = wqi_wk_flush(w);
		if (rc < 0)
			drop_master(w, work_queue_strerror(rc));
	}
	if (w->link && w->broken)
		drop_master(w, "a task's report could not be queued or sent");
	if (w->link && now - w->last_heard_us >= w->cfg->silence_max_us)
		drop_master(w, "silent for too long");
	if (w->link && w->welcomed && w->n_tasks == 0 &&
	    now - w->idle_since_us >= (uint64_t)w->cfg->idle_timeout_s * SEC) {
		WQI_DEBUG("idle for %d s, exiting", w->cfg->idle_timeout_s);
		say_bye(w, "idle timeout");
		w->quit = 1;
		w->exit_code = 0;
	}
}

/* Wait up to ms for a signal while disconnected (no sleeping through SIGTERM). */
static void wait_signals(struct wqi_wk *w, int ms)
{
	struct wqi_event ev[4];
	int n = wqi_loop_wait(w->loop, ev, 4, ms);
	for (int i = 0; i < n; i++)
		if (ev[i].ptr == &tag_signal)
			on_signals(w);
}

/* A random 64-bit worker id in hex. */
static void make_worker_id(char *out, size_t len)
{
	uint64_t r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r)
		r = wqi_now_us() ^ ((uint64_t)getpid() << 32);
	if (fd >= 0)
		close(fd);
	snprintf(out, len, "%016" PRIx64, r);
}

/* Block the signals the loop reads from its signalfd. -1 on failure. */
static int setup_signals(struct wqi_wk *w)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return w->sigfd < 0 ? -1 : 0;
}

/*
 * Connect to the master: the one named on the command line, or with -M
 * the masters of the project the catalogs know, newest first, until one
 * takes the connection (its address as the catalog saw it, then its host
 * name). A lost master is looked up again, so the worker follows the
 * project to wherever its master restarts. 0 or a negative code.
 */
static int find_and_connect(struct wqi_wk *w, const char *worker_id)
{
	if (!w->cfg->master_name)
		return connect_master(w, worker_id);
	static struct wqi_catalog_master m[16];
	int n = wqi_wk_lookup(w->cfg, m, 16, w->cfg->connect_timeout_ms);
	for (int i = 0; i < n && !w->quit; i++) {
		const char *cands[2] = { m[i].address, m[i].name };
		for (int c = 0; c < 2; c++) {
			if (!*cands[c] || (c == 1 && strcmp(cands[0], cands[1]) == 0))
				continue;
			size_t hl = strnlen(cands[c], sizeof w->host - 1);
			memcpy(w->host, cands[c], hl);
			w->host[hl] = 0;
			w->port = m[i].port;
			memcpy(w->project, m[i].project, sizeof w->project); /* same size, NUL-terminated */
			if (connect_master(w, worker_id) == 0) {
				wqi_warn("connected to master %s:%d of project '%s' (from the catalog)", w->host, w->port, m[i].project);
				return 0;
			}
		}
	}
	return WQ_ECONNECT;
}

/*
 * The connect/run/reconnect cycle, until told to quit. Every new attempt
 * after a failed connect or a lost master waits the backoff (1 s doubling
 * to 30 s, back to 1 s after a master welcomed us), so a master that
 * accepts and closes at once is not hammered.
 */
static void run(struct wqi_wk *w)
{
	char worker_id[32];
	make_worker_id(worker_id, sizeof worker_id);
	uint64_t backoff = SEC, next_try = 0;
	int connected_once = 0;
	while (!w->quit) {
		if (w->link) {
			int was_welcomed = w->welcomed;
			connected_turn(w);
			if (!w->link) {
				if (was_welcomed)
					backoff = SEC;
				next_try = wqi_mono_us() + backoff;
				backoff = backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : backoff * 2;
			}
			continue;
		}
		uint64_t now = wqi_mono_us();
		uint64_t idle_end = w->idle_since_us + (uint64_t)w->cfg->idle_timeout_s * SEC;
		if (connected_once && w->cfg->single_shot)
			break;
		if (now >= idle_end) {
			wqi_warn("no master for %d s (idle timeout), exiting", w->cfg->idle_timeout_s);
			break;
		}
		if (now < next_try) {
			wait_signals(w, ms_until(next_try < idle_end ? next_try : idle_end, now, 60000));
			continue;
		}
		if (find_and_connect(w, worker_id) == 0) {
			connected_once = 1;
			continue;
		}
		if (w->cfg->master_name)
			WQI_DEBUG("no master of project '%s' reachable, looking again in %" PRIu64 " s", w->cfg->master_name, backoff / SEC);
		else
			WQI_DEBUG("cannot connect to %s:%d, retrying in %" PRIu64 " s", w->host, w->port, backoff / SEC);
		next_try = now + backoff;
		backoff = backoff * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : backoff * 2;
	}
}

int wqi_wk_run(const struct wqi_wk_config *cfg)
{
	struct wqi_wk w;
	memset(&w, 0, sizeof w);
	w.cfg = cfg;
	if (cfg->host)
		snprintf(w.host, sizeof w.host, "%s", cfg->host);
	w.port = cfg->port;
	w.stream_fd = -1;
	w.sigfd = -1;
	w.exit_code = 0;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/worker-%d-%d", cfg->workdir_parent && *cfg->workdir_parent ? cfg->workdir_parent : "/tmp",
		 (int)getuid(), (int)getpid());
	w.workdir = dir;
	if (wqi_mkdir_p(dir, 0700) < 0) {
		fprintf(stderr, "wq_worker: cannot create the workdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (setup_signals(&w) < 0 || !(w.loop = wqi_loop_create()) ||
	    wqi_loop_add(w.loop, w.sigfd, WQI_EV_READ, &tag_signal) < 0 || wqi_wk_cache_init(&w.cache, dir) < 0) {
		fprintf(stderr, "wq_worker: cannot set up: %s\n", strerror(errno));
		w.exit_code = 1;
	} else {
		w.idle_since_us = wqi_mono_us();
		wqi_wk_cgroup_init(&w.cg); /* optional: tasks are followed by process group without it */
		run(&w);
	}
	while (w.tasks)
		wqi_wk_loop_task_discard(&w, w.tasks);
	if (w.link) {
		wqi_loop_del(w.loop, wqi_link_fd(w.link));
		wqi_link_delete(w.link);
	}
	if (w.stream_fd >= 0)
		close(w.stream_fd);
	wqi_wk_cgroup_fini(&w.cg);
	wqi_wk_cache_fini(&w.cache);
	if (w.loop)
		wqi_loop_delete(w.loop);
	if (w.sigfd >= 0)
		close(w.sigfd);
	wqi_rm_rf(dir);
	return w.exit_code;
}
