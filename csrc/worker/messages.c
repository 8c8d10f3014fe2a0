/*
 * messages.c - what the worker does with each frame from the master.
 *
 * Every decoder failure and every name the master should never have sent
 * is a protocol error: it is logged and the connection is dropped (the
 * master's fault; the worker reconnects). A bad name inside a TASK is the
 * exception the protocol asks for: the task gets result 1 or 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debug.h"
#include "link.h"
#include "proto.h"
#include "util.h"
#include "work_queue.h"
#include "worker/cache.h"
#include "worker/exec.h"
#include "worker/worker.h"

/* Log why the master's frame is refused; returns -WQ_EPROTO. */
static int refuse(const char *type, const char *why)
{
	wqi_warn("bad %s from the master: %s; dropping the connection", type, why);
	return WQ_EPROTO;
}

/* WELCOME: the handshake is done if versions agree and no auth is asked. */
static int on_welcome(struct wqi_wk *w, const char *p, size_t n)
{
	struct wqi_msg_welcome m;
	if (wqi_proto_decode_welcome(p, n, &m) < 0)
		return refuse("WELCOME", "malformed");
	if (m.version != WQI_PROTO_VERSION)
		return refuse("WELCOME", "protocol version differs");
	if (m.auth.n)
		return refuse("WELCOME", "authentication asked for, not supported");
	w->welcomed = 1;
	WQI_DEBUG("welcomed by master (version %.*s, project '%.*s', keepalive %" PRIu32 " s)", (int)m.master_version.n,
		  m.master_version.p, (int)m.project.n, m.project.p, m.keepalive_interval_s);
	return 0;
}

/* REJECT: print the reason and exit 1 without reconnecting. */
static int on_reject(struct wqi_wk *w, const char *p, size_t n)
{
	struct wqi_msg_text m;
	if (wqi_proto_decode_text(p, n, &m) < 0)
		fprintf(stderr, "wq_worker: rejected by the master (malformed reason)\n");
	else
		fprintf(stderr, "wq_worker: rejected by the master: %.*s\n", (int)m.reason.n, m.reason.p);
	w->quit = 1;
	w->exit_code = 1;
	return 0;
}

/* PUT: begin or extend a partial object; a FILE's bytes follow. */
static int on_put(struct wqi_wk *w, const char *p, size_t n)
{
	struct wqi_msg_put m;
	if (wqi_proto_decode_put(p, n, &m) < 0)
		return refuse("PUT", "malformed");
	if (m.kind == WQI_KIND_FILE && m.size > WQI_STREAM_MAX)
		return refuse("PUT", "size beyond the limit");
	int fd = -1;
	int rc = wqi_wk_cache_put(&w->cache, &m, &fd);
	if (rc == WQ_ENAME)
		return refuse("PUT", "bad cachename, path or kind");
	if (rc < 0) {
		wqi_warn("PUT %.*s: %s", (int)m.cachename.n, m.cachename.p, work_queue_strerror(rc));
		fd = -1; /* the bytes are discarded; PUT_END reports nothing was recorded */
	}
	if (m.kind == WQI_KIND_FILE) {
		memcpy(w->stream_name, m.cachename.p, m.cachename.n);
		w->stream_name[m.cachename.n] = 0;
		w->stream_left = m.size;
		w->stream_fd = fd;
		if (m.size == 0 && fd >= 0) {
			close(fd);
			w->stream_fd = -1;
		}
	}
	return 0;
}

/* PUT_END: the object is complete (or report why it is not). */
static int on_put_end(struct wqi_wk *w, const char *p, size_t n)
{
	struct wqi_msg_name m;
	char reason[512];
	if (wqi_proto_decode_name(p, n, &m) < 0)
		return refuse("PUT_END", "malformed");
	int rc = wqi_wk_cache_put_end(&w->cache, m.cachename, reason, sizeof reason);
	if (rc == WQ_ENAME)
		return refuse("PUT_END", "bad cachename or no PUT before it");
	if (rc < 0) {
		wqi_warn("cache object %.*s failed: %s", (int)m.cachename.n, m.cachename.p, reason);
		struct wqi_msg_cache_fail f = { m.cachename, wqi_str_c(reason) };
		if (wqi_proto_encode_cache_fail(wqi_link_out(w->link), &f) < 0)
			return WQ_ENOMEM;
	} else {
		WQI_DEBUG("cached %.*s", (int)m.cachename.n, m.cachename.p);
	}
	return 0;
}

/* TASK: copy it and start preparing it. */
static int on_task(struct wqi_wk *w, const char *p, size_t n)
{
	struct wqi_msg_task m;
	if (wqi_proto_decode_task(p, n, &m) < 0)
		return refuse("TASK", "malformed");
	if (wqi_wk_loop_task_find(w, m.taskid)) {
		wqi_msg_task_free(&m);
		return refuse("TASK", "task id already running here");
	}
	struct wqi_wk_task *t = wqi_wk_task_create(&m, w->workdir);
	wqi_msg_task_free(&m);
	if (!t)
		return WQ_ENOMEM;
	wqi_wk_loop_task_start(w, t);
	return 0;
}

/* KILL: the task goes without a word; unknown ids are ignored. */
static int on_kill(struct wqi_wk *w, const char *p, size_t n)
{
	struct wqi_msg_kill m;
	if (wqi_proto_decode_kill(p, n, &m) < 0)
		return refuse("KILL", "malformed");
	struct wqi_wk_task *t = wqi_wk_loop_task_find(w, m.taskid);
	WQI_DEBUG("KILL task %" PRIu64 "%s", m.taskid, t ? "" : " (unknown, ignored)");
	if (t)
		wqi_wk_loop_task_discard(w, t);
	return 0;
}

/* EXIT: leave (the caller kills tasks and removes the workdir). */
static int on_exit_msg(struct wqi_wk *w, const char *p, size_t n)
{
	struct wqi_msg_text m;
	if (wqi_proto_decode_text(p, n, &m) < 0)
		return refuse("EXIT", "malformed");
	WQI_DEBUG("master asks us to exit: %.*s", (int)m.reason.n, m.reason.p);
	w->quit = 1;
	w->exit_code = 0;
	return 0;
}

/* UNLINK: forget a cached object. */
static int on_unlink(struct wqi_wk *w, const char *p, size_t n)
{
	struct wqi_msg_name m;
	if (wqi_proto_decode_name(p, n, &m) < 0)
		return refuse("UNLINK", "malformed");
	if (!wqi_wk_cachename_ok(m.cachename.p, m.cachename.n))
		return refuse("UNLINK", "bad cachename");
	char name[WQI_NAME_MAX + 1];
	memcpy(name, m.cachename.p, m.cachename.n);
	name[m.cachename.n] = 0;
	wqi_wk_cache_unlink(&w->cache, name);
	return 0;
}

int wqi_wk_frame(struct wqi_wk *w, uint8_t type, const char *p, size_t n)
{
	const char *name = wqi_proto_msg_name(type);
	if (!w->welcomed) {
		if (type == WQI_MSG_WELCOME)
			return on_welcome(w, p, n);
		if (type == WQI_MSG_REJECT)
			return on_reject(w, p, n);
		return refuse(name ? name : "frame", "expected WELCOME or REJECT");
	}
	switch (type) {
	case WQI_MSG_PUT:
		return on_put(w, p, n);
	case WQI_MSG_PUT_END:
		return on_put_end(w, p, n);
	case WQI_MSG_TASK:
		return on_task(w, p, n);
	case WQI_MSG_KILL:
		return on_kill(w, p, n);
	case WQI_MSG_KEEPALIVE:
		if (wqi_proto_decode_empty(p, n) < 0)
			return refuse("KEEPALIVE", "malformed");
		return wqi_proto_encode_empty(wqi_link_out(w->link), WQI_MSG_ALIVE);
	case WQI_MSG_EXIT:
		return on_exit_msg(w, p, n);
	case WQI_MSG_UNLINK:
		return on_unlink(w, p, n);
	case WQI_MSG_REJECT:
		return on_reject(w, p, n);
	default:
		return refuse(name ? name : "frame", "unexpected message type");
	}
}
