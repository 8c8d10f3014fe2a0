/*
 * master_comm.h - how the dispatch reactor talks to workers (internal).
 *
 * master_dispatch.c decides which task goes where and keeps the books; it
 * never touches a socket. Everything it wants sent goes through a struct
 * wqi_comm: master_transfer.c provides the real one (frames and file streams
 * on the worker's link), dispatch_test.c a fake that records calls. A
 * reactor over an injectable comm is what lets the dispatch logic be tested
 * without sockets (HyperQueue's reactor does the same).
 */
#ifndef WQI_MASTER_COMM_H
#define WQI_MASTER_COMM_H

struct work_queue;
struct wqi_worker;
struct work_queue_task;

struct wqi_comm {
	/* Send task t (allocation already set) and the inputs w lacks. 0, or
	 * WQ_ENOENT / WQ_EFILE when a local input cannot be opened (the task's
	 * fault: it completes with INPUT_MISSING), or another negative code
	 * (the master's fault, e.g. WQ_ENOMEM: the task goes back to the queue). */
	int (*send_task)(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t);
	/* Tell w to kill t and forget any stream of t being received. */
	void (*kill)(struct work_queue *q, struct wqi_worker *w, struct work_queue_task *t);
	/* Drop the connection to w (the master's decision, e.g. too many fast
	 * aborts); its remaining tasks go back through wqi_dispatch_worker_gone. */
	void (*disconnect)(struct work_queue *q, struct wqi_worker *w, const char *reason);
};

#endif
