/*
 * loop.c - the event loop (see loop.h), backed by epoll.
 *
 * The backend is hidden behind a few static helpers (to_epoll / from_epoll),
 * in the manner of redis ae_epoll.c, so a poll() backend could be dropped in
 * without touching callers. Level-triggered: a caller that leaves bytes
 * unread is told again next time.
 */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "work_queue.h"

#define LOOP_BATCH 256   /* epoll_event scratch entries (on the stack) */

struct wqi_loop {
	int epfd;   /* the epoll instance */
};

/* WQI_EV_* -> epoll bits. RDHUP is always asked for so a half-close shows up. */
static uint32_t to_epoll(int events)
{
	uint32_t e = EPOLLRDHUP;
	if (events & WQI_EV_READ)
		e |= EPOLLIN;
	if (events & WQI_EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

/*
 * epoll bits -> WQI_EV_*. Error and hang-up become WQI_EV_ERROR and also
 * READ, so a caller that reads on READ sees the EOF (or the socket error)
 * through its normal read path and any final bytes are not lost.
 */
static int from_epoll(uint32_t e)
{
	int r = 0;
	if (e & EPOLLIN)
		r |= WQI_EV_READ;
	if (e & EPOLLOUT)
		r |= WQI_EV_WRITE;
	if (e & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		r |= WQI_EV_ERROR | WQI_EV_READ;
	return r;
}

struct wqi_loop *wqi_loop_create(void)
{
	struct wqi_loop *l = malloc(sizeof *l);
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;
		free(l);
		errno = e;
		return NULL;
	}
	return l;
}

void wqi_loop_delete(struct wqi_loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l);
}

/* Map an epoll_ctl errno to our codes. */
static int ctl_error(void)
{
	switch (errno) {
	case ENOMEM:
	case ENOSPC:
		return WQ_ENOMEM;
	case EEXIST:
		return WQ_EEXIST;
	case ENOENT:
		return WQ_ENOENT;
	default:
		return WQ_EINVAL;
	}
}

int wqi_loop_add(struct wqi_loop *l, int fd, int events, void *ptr)
{
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = ptr };
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? ctl_error() : 0;
}

int wqi_loop_mod(struct wqi_loop *l, int fd, int events, void *ptr)
{
	struct epoll_event ev = { .events = to_epoll(events), .data.ptr = ptr };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? ctl_error() : 0;
}

int wqi_loop_del(struct wqi_loop *l, int fd)
{
	struct epoll_event ev = { 0 };  /* non-NULL for pre-2.6.9 kernels */
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, &ev) < 0 ? ctl_error() : 0;
}

/*
 * One epoll_wait of up to max (capped at LOOP_BATCH per call; the rest come
 * next call since we are level-triggered). EINTR is 0 events, as promised.
 */
int wqi_loop_wait(struct wqi_loop *l, struct wqi_event *ev, int max, int timeout_ms)
{
	struct epoll_event e[LOOP_BATCH];
	if (max <= 0)
		return WQ_EINVAL;
	if (max > LOOP_BATCH)
		max = LOOP_BATCH;
	int n = epoll_wait(l->epfd, e, max, timeout_ms < 0 ? -1 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : WQ_EIO;
	for (int i = 0; i < n; i++) {
		ev[i].ptr = e[i].data.ptr;
		ev[i].events = from_epoll(e[i].events);
	}
	return n;
}
