/*
 * master_transfer.c - the real comm (tasks and their inputs out to a
 * worker's link) and the receive side (OUTPUT and RESULT streams in).
 *
 * Out: for each input the worker does not hold, PUT frames with the file
 * bytes queued straight from the file (wqi_link_queue_file, sendfile(2)), a
 * PUT_END, then the TASK frame. Nothing is read into memory but buffers the
 * user gave; nothing waits for the socket: the link sends when it can.
 *
 * In: an output file streams into "<dir>/.<name>.wqtmp.<taskid>" and is
 * renamed to the user's path only when the RESULT arrives, so a broken
 * transfer never leaves half a file at the user's path.
 *
 * Whose fault, on the receive side: a malformed or out-of-place message is
 * the worker's (return an error: the connection closes and its tasks run
 * elsewhere); a file we cannot write here is the master's (the stream is
 * discarded and the task's result is OUTPUT_TRANSFER_ERROR).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debug.h"
#include "link.h"
#include "master.h"
#include "proto.h"
#include "sched_policy.h"
#include "util.h"

#define RX_CHUNK (8u << 20)   /* stream bytes moved per call, for fairness between workers */
#define RX_BUF_KEEP (4u << 10) /* a worker's output buffer is kept between results up to this size */
#define TREE_DEPTH_MAX 64     /* directory inputs deeper than this are cut */

/* ---- sending ---- */

/* Append one frame (encoded by fn) and count its bytes. */
#define COUNTED(l, counter, expr) \
	do { \
		struct wqi_buf *b_ = wqi_link_out(l); \
		size_t before_ = wqi_buf_used(b_); \
		int rc_ = (expr); \
		if (rc_ < 0) \
			return rc_; \
		*(counter) += (int64_t)(wqi_buf_used(b_) - before_); \
	} while (0)

/* PUT of a regular file under name/path, its bytes from fd (taken over). */
static int put_file(struct wqi_link *l, const char *cachename, const char *path, int fd, const struct stat *st, int64_t *bytes)
{
	struct wqi_msg_put m = { wqi_str_c(cachename), wqi_str_c(path), WQI_KIND_FILE, (uint32_t)(st->st_mode & 0777), (uint64_t)st->st_size };
	int rc = wqi_proto_encode_put(wqi_link_out(l), &m);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*bytes += 64 + (int64_t)strlen(cachename) + (int64_t)strlen(path);
	if (st->st_size == 0) {
		close(fd);
		return 0;
	}
	rc = wqi_link_queue_file(l, fd, 0, (uint64_t)st->st_size, 1);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*bytes += st->st_size;
	return 0;
}

/*
 * Send a directory tree below dir as PUT entries (directories before what
 * they contain). Walked now, at dispatch; an entry that vanishes meanwhile is
 * skipped (the PUT frames already queued cannot be taken back). Symlinks are
 * followed to regular files and directories; anything else is skipped.
 */
static int put_tree(struct wqi_link *l, const char *cachename, const char *dir, const char *rel, int depth, int64_t *bytes)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *full = NULL, *sub = NULL;
		if (asprintf(&full, "%s/%s", dir, de->d_name) < 0) {
			closedir(d);
			return WQ_ENOMEM;
		}
		if (asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
			free(full);
			closedir(d);
			return WQ_ENOMEM;
		}
		struct stat st;
		if (strlen(sub) <= WQI_NAME_MAX && stat(full, &st) == 0) {
			if (S_ISDIR(st.st_mode) && depth < TREE_DEPTH_MAX) {
				struct wqi_msg_put m = { wqi_str_c(cachename), wqi_str_c(sub), WQI_KIND_DIR, (uint32_t)(st.st_mode & 0777), 0 };
				rc = wqi_proto_encode_put(wqi_link_out(l), &m);
				if (rc == 0)
					rc = put_tree(l, cachename, full, sub, depth + 1, bytes);
			} else if (S_ISREG(st.st_mode)) {
				int fd = open(full, O_RDONLY | O_CLOEXEC);
				struct stat fst;
				if (fd >= 0 && fstat(fd, &fst) == 0)
					rc = put_file(l, cachename, sub, fd, &fst, bytes);
				else if (fd >= 0)
					close(fd);
			}
		}
		free(full);
		free(sub);
	}
	closedir(d);
	return rc;
}

/* What phase 1 found for one input. */
struct prep {
	int send;      /* the object must be PUT */
	int fd;        /* LOCAL: the opened file, else -1 */
	struct stat st;
};

#define SEND_STACK_N 8   /* inputs/outputs/env entries described on the stack */

/*
 * Scratch arrays of send_task: on the stack for tasks with up to
 * SEND_STACK_N of each (nearly all), else from the heap. This was four
 * callocs and frees per dispatched task (about 12 % of the master's user
 * CPU per task in benchmark 2).
 */
struct send_scratch {
	struct prep pr[SEND_STACK_N];
	struct wqi_task_input in[SEND_STACK_N];
	struct wqi_task_output out[SEND_STACK_N];
	struct wqi_task_env env[SEND_STACK_N];
};

/* n zeroed elements of size sz: the stack array when n fits, else calloc. */
static void *scratch_array(void *stack, uint32_t n, size_t sz)
{
	if (n <= SEND_STACK_N) {
		memset(stack, 0, (size_t)n * sz);
		return stack;
	}
	return calloc(n, sz);
}

/* Free what scratch_array took from the heap. */
static void scratch_free(void *p, void *stack)
{
	if (p != stack)
		free(p);
}

/*
 * The comm's send_task. Phase 1 opens every local input that must be sent,
 * so a missing one fails the task (the task's fault, WQ_ENOENT) before any
 * byte is queued; phase 2 queues PUTs and the TASK frame.
 */
static int send_task(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t)
{
	struct wqi_link *l = w->link;
	uint32_t ni = t->n_inputs;
	struct send_scratch sc;
	struct prep *pr = scratch_array(sc.pr, ni, sizeof(*pr));
	struct wqi_task_input *in = scratch_array(sc.in, ni, sizeof(*in));
	struct wqi_task_output *out = scratch_array(sc.out, t->n_outputs, sizeof(*out));
	struct wqi_task_env *env = scratch_array(sc.env, t->n_env, sizeof(*env));
	int rc = 0;
	uint32_t i;
	if (pr)
		for (i = 0; i < ni; i++)
			pr[i].fd = -1;
	if (!pr || !in || !out || !env) {
		rc = WQ_ENOMEM;
		goto done;
	}
	for (i = 0; i < ni; i++) {
		struct wqi_file *f = &t->inputs[i];
		int cached = (f->flags & WORK_QUEUE_CACHE) && wqi_cache_has(w, f->cachename);
		if (f->src == WQI_FILE_LOCAL && !cached) {
			pr[i].fd = open(f->local, O_RDONLY | O_CLOEXEC);
			if (pr[i].fd < 0 || fstat(pr[i].fd, &pr[i].st) != 0 || !S_ISREG(pr[i].st.st_mode)) {
				rc = WQ_ENOENT;
				goto done;
			}
			pr[i].send = 1;
		} else if (f->src == WQI_FILE_DIR && f->recursive && !cached) {
			if (stat(f->local, &pr[i].st) != 0 || !S_ISDIR(pr[i].st.st_mode) || access(f->local, R_OK | X_OK) != 0) {
				rc = WQ_ENOENT;
				goto done;
			}
			pr[i].send = 1;
		} else if (f->src == WQI_FILE_BUFFER && !cached) {
			pr[i].send = 1;
		}
	}

	int64_t bytes = 0;
	for (i = 0; i < ni; i++) {
		struct wqi_file *f = &t->inputs[i];
		in[i].cachename = wqi_str_c(f->cachename);
		in[i].remote_name = wqi_str_c(f->remote);
		in[i].flags = f->flags;
		in[i].arg = wqi_str_c(f->arg);
		in[i].source = f->src == WQI_FILE_URL ? WQI_SRC_URL : f->src == WQI_FILE_COMMAND ? WQI_SRC_COMMAND
			     : (f->src == WQI_FILE_DIR && !f->recursive) ? WQI_SRC_EMPTY_DIR : WQI_SRC_CACHE;
		if (!pr[i].send)
			continue;
		if (f->src == WQI_FILE_LOCAL) {
			int fd = pr[i].fd;
			pr[i].fd = -1;
			rc = put_file(l, f->cachename, "", fd, &pr[i].st, &bytes);
		} else if (f->src == WQI_FILE_DIR) {
			struct wqi_msg_put m = { wqi_str_c(f->cachename), wqi_str_c(""), WQI_KIND_DIR, (uint32_t)(pr[i].st.st_mode & 0777), 0 };
			rc = wqi_proto_encode_put(wqi_link_out(l), &m);
			if (rc == 0)
				rc = put_tree(l, f->cachename, f->local, "", 0, &bytes);
		} else {
			struct wqi_msg_put m = { wqi_str_c(f->cachename), wqi_str_c(""), WQI_KIND_FILE, 0644, f->len };
			rc = wqi_proto_encode_put(wqi_link_out(l), &m);
			if (rc == 0 && f->len)
				rc = wqi_buf_append(wqi_link_out(l), f->data, f->len);
			bytes += (int64_t)f->len + 64;
		}
		if (rc < 0)
			goto broken;
		struct wqi_msg_name e = { wqi_str_c(f->cachename) };
		rc = wqi_proto_encode_name(wqi_link_out(l), WQI_MSG_PUT_END, &e);
		if (rc < 0)
			goto broken;
		if (f->flags & WORK_QUEUE_CACHE)
			wqi_cache_add(w, f->cachename);
	}
	/* URL and command inputs the worker makes itself are cached there too
	 * (until a CACHE_FAIL says otherwise): FILES counts them */
	for (i = 0; i < ni; i++)
		if ((t->inputs[i].flags & WORK_QUEUE_CACHE) && (t->inputs[i].src == WQI_FILE_URL || t->inputs[i].src == WQI_FILE_COMMAND))
			wqi_cache_add(w, t->inputs[i].cachename);
	for (i = 0; i < t->n_outputs; i++) {
		out[i].remote_name = wqi_str_c(t->outputs[i].remote);
		out[i].flags = t->outputs[i].flags;
	}
	for (i = 0; i < t->n_env; i++) {
		env[i].name = wqi_str_c(t->env[i].name);
		env[i].value = wqi_str_c(t->env[i].value);
	}
	struct wqi_msg_task m = {
		.taskid = t->taskid,
		.command = wqi_str_c(t->command),
		.cores = t->a_cores, .memory_mb = t->a_memory, .disk_mb = t->a_disk, .gpus = t->a_gpus,
		.memory_limit_mb = t->memory > 0 ? t->memory : 0, .disk_limit_mb = t->disk > 0 ? t->disk : 0,
		.max_run_time_us = (uint64_t)t->max_run_time_s * 1000000,
		.end_time_us = (uint64_t)t->end_time_us,
		.output_max = q->max_output,
		.n_env = t->n_env, .env = env,
		.n_inputs = ni, .inputs = in,
		.n_outputs = t->n_outputs, .outputs = out,
	};
	struct wqi_buf *b = wqi_link_out(l);
	size_t before = wqi_buf_used(b);
	rc = wqi_proto_encode_task(b, &m);
	if (rc < 0)
		goto broken;
	bytes += (int64_t)(wqi_buf_used(b) - before);
	t->bytes_sent = bytes;
	wqi_io_want_flush(w);
	goto done;
broken:
	/* Out of memory half-way through (the master's fault): frames already
	 * queued cannot be taken back, so the connection is unusable. Close it
	 * after this pass; the task goes back to the queue. */
	wqi_warn("cannot queue task %llu for worker %s: %s", (unsigned long long)t->taskid, w->addr, work_queue_strerror(rc));
	rc = WQ_ENOMEM;
	w->broken = 1;
	wqi_io_want_flush(w);
done:
	if (pr)
		for (i = 0; i < ni; i++)
			if (pr[i].fd >= 0)
				close(pr[i].fd);
	scratch_free(pr, sc.pr);
	scratch_free(in, sc.in);
	scratch_free(out, sc.out);
	scratch_free(env, sc.env);
	return rc;
}

/* The comm's kill: KILL frame, and forget any stream of t being received. */
static void kill_task(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t)
{
	struct wqi_msg_kill m = { t->taskid };
	if (w->link && wqi_proto_encode_kill(wqi_link_out(w->link), &m) == 0)
		wqi_io_want_flush(w);
	if (w->rx_task == t) {
		w->rx_task = NULL;
		if (w->rx_fd >= 0)
			close(w->rx_fd);
		w->rx_fd = -1;
		w->rx_keep = 0;
	}
}

/* The comm's disconnect: close now (its tasks were given back by the caller). */
static void disconnect(struct work_queue *q, struct wqi_worker *w, const char *reason)
{
	wqi_io_close(q, w, 1, reason);
}

const struct wqi_comm wqi_comm_net = { send_task, kill_task, disconnect };

/* ---- receiving ---- */

void wqi_transfer_rx_reset(struct wqi_worker *w)
{
	if (w->rx_fd >= 0)
		close(w->rx_fd);
	w->rx_fd = -1;
	if (w->rx_buf) {
		wqi_buf_free(w->rx_buf);
		free(w->rx_buf);
		w->rx_buf = NULL;
	}
	w->rx_task = NULL;
	w->rx_state = WQI_RX_FRAMES;
	w->rx_left = w->rx_keep = 0;
}

/* Open a new file at path for an output stream (O_EXCL; a stale one is replaced). */
static int open_out(const char *path, uint32_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (fd < 0 && errno == EEXIST && unlink(path) == 0)
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	return fd;
}

/* The master cannot write an output: its fault, not the worker's. */
static void out_error(struct work_queue_task *t, struct wqi_file *f, const char *what)
{
	if (f->out_state != WQI_OUT_ERROR)
		wqi_warn("task %llu: cannot write output %s (%s): %s", (unsigned long long)t->taskid, f->local, what, strerror(errno));
	f->out_state = WQI_OUT_ERROR;
}

/*
 * OUTPUT: the root of output `index` (path "") or an entry of an output
 * directory. Sets up the stream of a FILE (to a temporary file, or
 * discarded). An OUTPUT for a task this worker does not run (cancelled) is
 * consumed and ignored.
 */
int wqi_transfer_output(struct wqi_worker *w, const char *payload, size_t n)
{
	struct work_queue *q = w->q;
	struct wqi_msg_output m;
	if (wqi_proto_decode_output(payload, n, &m) < 0)
		return WQ_EPROTO;
	if (m.kind < WQI_KIND_FILE || m.kind > WQI_KIND_SYMLINK_OUTSIDE)
		return WQ_EPROTO;
	if (m.path.n && !wqi_proto_name_ok(m.path.p, m.path.n, 1))
		return WQ_ENAME;
	w->rx_task = NULL;
	w->rx_fd = -1;
	w->rx_left = m.kind == WQI_KIND_FILE ? m.size : 0;
	struct work_queue_task *t = wqi_itab_get(&q->tasks, m.taskid);
	if (t && t->worker == w) {
		if (m.index >= t->n_outputs)
			return WQ_EPROTO;
		struct wqi_file *f = &t->outputs[m.index];
		w->rx_task = t;
		w->rx_index = m.index;
		t->bytes_received += (int64_t)w->rx_left;
		if (m.path.n == 0) {
			if (f->out_state != WQI_OUT_NONE)
				return WQ_EPROTO; /* the root twice */
			if (m.kind == WQI_KIND_MISSING || m.kind == WQI_KIND_SYMLINK_OUTSIDE) {
				f->out_state = WQI_OUT_MISSING;
			} else if (!f->tmp && !(f->tmp = wqi_task_tmp_path(t, f))) {
				return WQ_ENOMEM;
			} else if (m.kind == WQI_KIND_FILE) {
				w->rx_fd = open_out(f->tmp, m.mode);
				if (w->rx_fd < 0)
					out_error(t, f, "temporary file");
				else
					f->out_state = WQI_OUT_FILE;
			} else {
				if (mkdir(f->tmp, (m.mode & 0777) | 0700) != 0 && errno == EEXIST && wqi_rm_rf(f->tmp) == 0)
					mkdir(f->tmp, (m.mode & 0777) | 0700);
				struct stat st;
				if (lstat(f->tmp, &st) != 0 || !S_ISDIR(st.st_mode))
					out_error(t, f, "temporary directory");
				else
					f->out_state = WQI_OUT_DIR;
			}
		} else if (f->out_state == WQI_OUT_DIR) {
			char *full = NULL;
			if (asprintf(&full, "%s/%.*s", f->tmp, (int)m.path.n, m.path.p) < 0)
				return WQ_ENOMEM;
			if (m.kind == WQI_KIND_FILE) {
				w->rx_fd = open_out(full, m.mode);
				if (w->rx_fd < 0)
					out_error(t, f, "file in directory");
			} else if (m.kind == WQI_KIND_DIR && mkdir(full, (m.mode & 0777) | 0700) != 0) {
				out_error(t, f, "directory in directory");
			}
			free(full);
		} else if (f->out_state != WQI_OUT_ERROR) {
			return WQ_EPROTO; /* an entry of an output that is not a directory */
		}
	}
	if (w->rx_left > 0) {
		w->rx_state = WQI_RX_OUTPUT;
	} else if (w->rx_fd >= 0) {
		close(w->rx_fd);
		w->rx_fd = -1;
	}
	return 0;
}

/* RESULT: the header now, the task's output streams after it. */
int wqi_transfer_result(struct wqi_worker *w, const char *payload, size_t n)
{
	struct work_queue *q = w->q;
	struct wqi_msg_result m;
	if (wqi_proto_decode_result(payload, n, &m) < 0)
		return WQ_EPROTO;
	struct work_queue_task *t = wqi_itab_get(&q->tasks, m.taskid);
	w->rx_task = (t && t->worker == w) ? t : NULL;
	w->rx_res.result = m.result;
	w->rx_res.exit_status = m.exit_status;
	w->rx_res.start_us = m.start_us;
	w->rx_res.end_us = m.end_us;
	w->rx_res.truncated = m.output_truncated;
	w->rx_left = m.output_size;
	w->rx_keep = w->rx_task ? (m.output_size < q->max_output ? m.output_size : q->max_output) : 0;
	if (w->rx_task && m.output_size > q->max_output)
		w->rx_res.truncated = 1;
	if (!w->rx_buf && !(w->rx_buf = calloc(1, sizeof(*w->rx_buf))))
		return WQ_ENOMEM;
	wqi_buf_clear(w->rx_buf);
	w->rx_state = WQI_RX_RESULT;
	return 0;
}

/* Is output f of a task kept, given its FAILURE_ONLY / SUCCESS_ONLY flags? */
static int output_wanted(const struct wqi_file *f, int success)
{
	if ((f->flags & WORK_QUEUE_FAILURE_ONLY) && success)
		return 0;
	if ((f->flags & WORK_QUEUE_SUCCESS_ONLY) && !success)
		return 0;
	return 1;
}

/*
 * The RESULT and its output have arrived: rename the outputs into place,
 * set the task's results and hand it to dispatch as done. Renaming is
 * the master's part: a failure there is OUTPUT_TRANSFER_ERROR.
 */
static void finish_result(struct wqi_worker *w)
{
	struct work_queue *q = w->q;
	struct work_queue_task *t = w->rx_task;
	w->rx_task = NULL;
	if (!t)
		return;
	struct wqi_buf *b = w->rx_buf;
	wqi_task_set_output(t, wqi_buf_head(b), wqi_buf_used(b));
	/* kept for the next result unless a big output grew it */
	if (b->cap > RX_BUF_KEEP)
		wqi_buf_free(b);
	else
		wqi_buf_clear(b);
	t->result = w->rx_res.result;
	t->return_status = w->rx_res.exit_status;
	t->t_start = w->rx_res.start_us;
	t->t_end = w->rx_res.end_us;
	t->t_done = wqi_now_us();
	t->bytes_received += (int64_t)t->output_len;
	if (w->rx_res.truncated && t->result == 0)
		t->result = WORK_QUEUE_RESULT_STDOUT_MISSING;
	int success = t->result == 0 && t->return_status == 0;
	int transfer_error = 0, missing = 0;
	for (uint32_t i = 0; i < t->n_outputs; i++) {
		struct wqi_file *f = &t->outputs[i];
		int wanted = output_wanted(f, success);
		if (f->out_state == WQI_OUT_ERROR) {
			transfer_error |= wanted;
		} else if (f->out_state == WQI_OUT_FILE || f->out_state == WQI_OUT_DIR) {
			if (wanted) {
				struct stat st;
				if (lstat(f->local, &st) == 0 && S_ISDIR(st.st_mode))
					wqi_rm_rf(f->local);
				if (rename(f->tmp, f->local) != 0) {
					wqi_warn("task %llu: cannot rename %s to %s: %s", (unsigned long long)t->taskid, f->tmp, f->local, strerror(errno));
					transfer_error = 1;
				} else {
					free(f->tmp);
					f->tmp = NULL;
				}
			}
		} else if (wanted) {
			missing = 1;
		}
	}
	wqi_task_discard_outputs(t); /* temporaries not renamed into place */
	if (transfer_error)
		t->result = WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR;
	else if (t->result == 0 && missing)
		t->result = WORK_QUEUE_RESULT_OUTPUT_MISSING;
	if (t->t_end > t->t_start)
		q->cum.time_workers_execute += t->t_end - t->t_start;
	wqi_dispatch_task_done(q, t);
}

/* Move bytes of the current stream. 1 = done, 0 = need more, < 0 = close. */
int wqi_transfer_stream(struct wqi_worker *w)
{
	if (w->rx_state == WQI_RX_OUTPUT) {
		uint64_t want = w->rx_left < RX_CHUNK ? w->rx_left : RX_CHUNK;
		int64_t r = wqi_link_recv_to_fd(w->link, w->rx_fd, want);
		if (r == WQ_EFILE) {
			/* disk full or similar: the master's fault; nothing was lost from
			 * the stream, so drop the rest of this output and go on */
			struct work_queue_task *t = w->rx_task;
			if (t && w->rx_index < t->n_outputs)
				out_error(t, &t->outputs[w->rx_index], "write failed");
			close(w->rx_fd);
			w->rx_fd = -1;
			r = wqi_link_recv_to_fd(w->link, -1, want);
		}
		if (r < 0)
			return (int)r;
		w->rx_left -= (uint64_t)r;
		if (w->rx_left > 0)
			return 0; /* the rest is in the socket: the next READ event brings it */
		if (w->rx_fd >= 0)
			close(w->rx_fd);
		w->rx_fd = -1;
		w->rx_state = WQI_RX_FRAMES;
		return 1;
	}
	/* RESULT: keep rx_keep bytes, discard the rest */
	int64_t r;
	if (w->rx_keep > 0) {
		uint64_t want = w->rx_keep < RX_CHUNK ? w->rx_keep : RX_CHUNK;
		r = wqi_link_recv_to_buf(w->link, w->rx_buf, want);
		if (r > 0)
			w->rx_keep -= (uint64_t)r;
	} else {
		uint64_t want = w->rx_left < RX_CHUNK ? w->rx_left : RX_CHUNK;
		r = want ? wqi_link_recv_to_fd(w->link, -1, want) : 0;
	}
	if (r < 0)
		return (int)r;
	w->rx_left -= (uint64_t)r;
	if (w->rx_left > 0)
		return 0;
	w->rx_state = WQI_RX_FRAMES;
	finish_result(w);
	return 1;
}
