/*
 * loop.h - the event loop (internal). epoll underneath (poll fallback hidden
 * in loop.c); nothing above this module calls epoll or poll.
 *
 * Each registered fd carries a user pointer returned with its events.
 * Level-triggered. Not thread-safe. wqi_loop_wait never blocks longer than
 * its timeout and returns -WQ_EINTR-free: EINTR is reported as 0 events.
 */
#ifndef WQI_LOOP_H
#define WQI_LOOP_H

#define WQI_EV_READ  1
#define WQI_EV_WRITE 2
#define WQI_EV_ERROR 4   /* error or hang-up; reported even if not asked for */

struct wqi_loop;

struct wqi_event {
	void *ptr;    /* user pointer given at add */
	int events;   /* WQI_EV_* bits that fired */
};

struct wqi_loop *wqi_loop_create(void);                     /* NULL + errno on failure */
void wqi_loop_delete(struct wqi_loop *l);
int wqi_loop_add(struct wqi_loop *l, int fd, int events, void *ptr);
int wqi_loop_mod(struct wqi_loop *l, int fd, int events, void *ptr);
int wqi_loop_del(struct wqi_loop *l, int fd);
/* Wait up to timeout_ms (-1 forever, 0 poll) and fill up to max events.
 * Returns the number of events (0 on timeout or EINTR) or -WQ_E*. */
int wqi_loop_wait(struct wqi_loop *l, struct wqi_event *ev, int max, int timeout_ms);

#endif
