/*
 * dispatch_test.c - the dispatch reactor against a fake comm: no sockets.
 *
 * Fake workers are wqi_worker structs with resources and no link; the fake
 * comm (fake_comm_test.h, shared with sched_test.c) records every send_task
 * and kill so the tests can check which task went where, what was committed
 * and released, and what was killed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"
#include "sched_policy.h"
#include "testing.h"
#include "util.h"

#include "fake_comm_test.h"

/* A fake worker "name" at "name:1" with these resources, ready for tasks. */
static struct wqi_worker *fake_worker(struct work_queue *q, const char *name, int64_t cores, int64_t mem, int64_t disk, int64_t gpus)
{
	char addr[64];
	snprintf(addr, sizeof addr, "%s:1", name);
	return fake_worker_add(q, name, addr, NULL, cores, mem, disk, gpus);
}

static struct work_queue_task *task(struct work_queue *q, double prio, int cores)
{
	struct work_queue_task *t = work_queue_task_create("true");
	work_queue_task_specify_priority(t, prio);
	if (cores >= 0)
		work_queue_task_specify_cores(t, cores);
	CHECK(wqi_dispatch_submit(q, t) > 0);
	return t;
}

/* Equal tasks fill the first worker, then the next; the rest wait; a done task frees room. */
static void test_fill_and_release(void)
{
	struct work_queue q;
	fake_setup(&q);
	struct wqi_worker *a = fake_worker(&q, "a", 2, 2000, 4000, 0);
	struct wqi_worker *b = fake_worker(&q, "b", 2, 1000, 1000, 0);
	struct work_queue_task *t[5];
	for (int i = 0; i < 5; i++)
		t[i] = task(&q, 0, -1);
	CHECK_EQ_INT(t[0]->taskid, 1);
	CHECK_EQ_INT(t[4]->taskid, 5);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(n_calls, 4);
	CHECK(calls[0].w == a && calls[0].taskid == 1);
	CHECK(calls[1].w == a && calls[1].taskid == 2);
	CHECK(calls[2].w == b && calls[2].taskid == 3);
	CHECK(calls[3].w == b && calls[3].taskid == 4);
	/* undeclared task: 1 core, memory and disk in proportion */
	CHECK_EQ_INT(t[0]->a_cores, 1);
	CHECK_EQ_INT(t[0]->a_memory, 1000);
	CHECK_EQ_INT(t[0]->a_disk, 2000);
	CHECK_EQ_INT(t[0]->a_gpus, 0);
	CHECK_EQ_INT(t[2]->a_memory, 500);
	CHECK_EQ_INT(a->u_cores, 2);
	CHECK_EQ_INT(a->u_memory, 2000);
	CHECK_EQ_INT(q.used_cores, 4);
	CHECK_EQ_INT(wqi_ready_count(&q.ready), 1);
	CHECK(t[4]->state == WORK_QUEUE_TASK_READY);
	CHECK(wqi_list_empty(&q.avail));
	CHECK_EQ_STR(work_queue_task_get_host(t[2]), "b:1");
	CHECK_EQ_INT(t[0]->try_count, 1);
	/* nothing changed: a second pass sends nothing */
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(n_calls, 4);
	/* task 3 finishes on b: resources released, task 5 goes to b */
	wqi_dispatch_task_done(&q, t[2]);
	CHECK_EQ_INT(b->u_cores, 1);
	CHECK(t[2]->state == WORK_QUEUE_TASK_WAITING_RETRIEVAL);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(n_calls, 5);
	CHECK(calls[4].w == b && calls[4].taskid == 5);
	CHECK(wqi_dispatch_take_complete(&q, NULL) == t[2]);
	CHECK(t[2]->q == NULL && t[2]->state == WORK_QUEUE_TASK_DONE);
	CHECK(wqi_dispatch_take_complete(&q, NULL) == NULL);
	work_queue_task_delete(t[2]);
	fake_teardown(&q);
}

/* Higher priority first, FIFO among equals. */
static void test_priority_order(void)
{
	struct work_queue q;
	fake_setup(&q);
	task(&q, 1, -1);   /* 1 */
	task(&q, 5, -1);   /* 2 */
	task(&q, 1, -1);   /* 3 */
	task(&q, 3, -1);   /* 4 */
	task(&q, 5, -1);   /* 5 */
	struct wqi_worker *w = fake_worker(&q, "w", 1, 100, 100, 0);
	uint64_t expect[5] = { 2, 5, 4, 1, 3 };
	for (int i = 0; i < 5; i++) {
		wqi_dispatch_run(&q);
		CHECK_EQ_INT(n_calls, i + 1);
		CHECK_EQ_INT(calls[i].taskid, expect[i]);
		struct work_queue_task *t = wqi_itab_get(&q.tasks, calls[i].taskid);
		wqi_dispatch_task_done(&q, t);
	}
	CHECK_EQ_INT(w->u_cores, 0);
	fake_teardown(&q);
}

/* LIFO order among equal priorities when asked. */
static void test_lifo(void)
{
	struct work_queue q;
	fake_setup(&q);
	q.task_order = WORK_QUEUE_TASK_ORDER_LIFO;
	for (int i = 0; i < 3; i++)
		task(&q, 0, -1);
	fake_worker(&q, "w", 3, 0, 0, 0);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(n_calls, 3);
	CHECK_EQ_INT(calls[0].taskid, 3);
	CHECK_EQ_INT(calls[2].taskid, 1);
	fake_teardown(&q);
}

/* Declared resources as given; a big task waits while smaller ones pass it. */
static void test_resources_fit(void)
{
	struct work_queue q;
	fake_setup(&q);
	struct wqi_worker *small = fake_worker(&q, "small", 4, 4000, 4000, 0);
	struct work_queue_task *big = task(&q, 10, 8);
	struct work_queue_task *mem = task(&q, 5, -1);
	work_queue_task_delete(NULL);
	/* a task that declares memory beyond the small worker but not cores */
	struct work_queue_task *m = work_queue_task_create("x");
	work_queue_task_specify_memory(m, 6000);
	CHECK(wqi_dispatch_submit(&q, m) > 0);
	struct work_queue_task *gpu = work_queue_task_create("g");
	work_queue_task_specify_gpus(gpu, 1);
	CHECK(wqi_dispatch_submit(&q, gpu) > 0);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(n_calls, 1);
	CHECK(calls[0].taskid == mem->taskid && calls[0].w == small);
	CHECK(big->state == WORK_QUEUE_TASK_READY);
	CHECK(m->state == WORK_QUEUE_TASK_READY);
	CHECK(gpu->state == WORK_QUEUE_TASK_READY);
	/* a big worker arrives: the big task, the memory task and the gpu task go there */
	struct wqi_worker *large = fake_worker(&q, "large", 16, 16000, 16000, 1);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(n_calls, 4);
	CHECK(big->worker == large && big->a_cores == 8 && big->a_memory == 8000);
	CHECK(m->worker == large && m->a_cores == 1 && m->a_memory == 6000);
	CHECK(gpu->worker == large && gpu->a_gpus == 1);
	CHECK_EQ_INT(large->u_memory, 8000 + 6000 + 1000);
	CHECK_EQ_INT(q.total_cores, 20);
	fake_teardown(&q);
}

/* A lost worker's tasks return to the front of the ready queue, in priority order. */
static void test_lost_worker(void)
{
	struct work_queue q;
	fake_setup(&q);
	struct wqi_worker *a = fake_worker(&q, "a", 2, 0, 0, 0);
	struct work_queue_task *t1 = task(&q, 1, -1);
	struct work_queue_task *t2 = task(&q, 2, -1);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(n_calls, 2);
	struct work_queue_task *t3 = task(&q, 1, -1);
	struct work_queue_task *t4 = task(&q, 2, -1);
	const char *host1 = work_queue_task_get_host(t1);
	CHECK(host1 != NULL && host1 == work_queue_task_get_host(t2)); /* one shared record per worker */
	wqi_dispatch_worker_gone(&q, a);
	wqi_worker_free(a);
	/* the names outlive the worker: its tasks still hold them */
	CHECK_EQ_STR(work_queue_task_get_host(t1), host1);
	CHECK(work_queue_task_get_hostname(t1) != NULL);
	CHECK_EQ_INT(q.cum.workers_lost, 1);
	CHECK_EQ_INT(q.used_cores, 0);
	CHECK_EQ_INT(wqi_ready_count(&q.ready), 4);
	CHECK(t1->worker == NULL && t1->state == WORK_QUEUE_TASK_READY);
	struct wqi_worker *b = fake_worker(&q, "b", 1, 0, 0, 0);
	n_calls = 0;
	uint64_t expect[4] = { t2->taskid, t4->taskid, t1->taskid, t3->taskid };
	for (int i = 0; i < 4; i++) {
		wqi_dispatch_run(&q);
		CHECK_EQ_INT(n_calls, i + 1);
		CHECK_EQ_INT(calls[i].taskid, expect[i]);
		CHECK(calls[i].w == b);
		wqi_dispatch_task_done(&q, wqi_itab_get(&q.tasks, calls[i].taskid));
	}
	CHECK_EQ_INT(t2->try_count, 2);
	CHECK_EQ_INT(t3->try_count, 1);
	fake_teardown(&q);
}

/* Cancel: ready (no kill), running (kill, release), completed, unknown. */
static void test_cancel(void)
{
	struct work_queue q;
	fake_setup(&q);
	struct wqi_worker *w = fake_worker(&q, "w", 1, 0, 0, 0);
	struct work_queue_task *run = task(&q, 0, -1);
	struct work_queue_task *wait = task(&q, 0, -1);
	wqi_dispatch_run(&q);
	CHECK(run->worker == w);
	wqi_dispatch_cancel(&q, run);
	CHECK_EQ_INT(n_calls, 2);
	CHECK(calls[1].kind == 'k' && calls[1].w == w && calls[1].taskid == run->taskid);
	CHECK_EQ_INT(w->u_cores, 0);
	CHECK(run->state == WORK_QUEUE_TASK_CANCELED && run->q == NULL);
	CHECK(wqi_itab_get(&q.tasks, run->taskid) == NULL);
	/* the freed core goes to the waiting task; cancel it after it completes */
	wqi_dispatch_run(&q);
	CHECK(wait->worker == w);
	wqi_dispatch_task_done(&q, wait);
	wqi_dispatch_cancel(&q, wait);
	CHECK(wqi_dispatch_take_complete(&q, NULL) == NULL);
	CHECK_EQ_INT(q.n_complete, 0);
	/* cancel from the ready queue */
	struct work_queue_task *r = task(&q, 0, 4);
	wqi_dispatch_run(&q);
	CHECK(r->state == WORK_QUEUE_TASK_READY);
	int before = n_calls;
	wqi_dispatch_cancel(&q, r);
	CHECK_EQ_INT(n_calls, before);
	CHECK_EQ_INT(wqi_ready_count(&q.ready), 0);
	CHECK_EQ_INT(q.ready_cores, 0);
	CHECK_EQ_INT(q.cum.tasks_cancelled, 3);
	/* cancelled tasks can be submitted again and get new ids */
	CHECK(wqi_dispatch_submit(&q, run) == 4);
	CHECK(wqi_dispatch_submit(&q, run) == -1);
	work_queue_task_delete(wait);
	work_queue_task_delete(r);
	fake_teardown(&q);
}

/* An input that cannot be opened at dispatch completes the task with INPUT_MISSING;
 * a master failure puts it back without losing it. Tags select completions. */
static void test_send_failures_and_tags(void)
{
	struct work_queue q;
	fake_setup(&q);
	struct work_queue_task *t1 = task(&q, 0, -1);
	struct work_queue_task *t2 = task(&q, 0, -1);
	work_queue_task_delete(NULL);
	fail_next_send = WQ_ENOENT;
	struct wqi_worker *w = fake_worker(&q, "w", 1, 0, 0, 0);
	wqi_dispatch_run(&q);
	CHECK(t1->state == WORK_QUEUE_TASK_WAITING_RETRIEVAL);
	CHECK_EQ_INT(t1->result, WORK_QUEUE_RESULT_INPUT_MISSING);
	CHECK(t2->worker == w);
	wqi_dispatch_cancel(&q, t2);
	fail_next_send = WQ_ENOMEM;
	struct work_queue_task *t3 = task(&q, 0, -1);
	work_queue_task_specify_tag(t3, "ignored-inside-queue");
	wqi_dispatch_run(&q);
	CHECK(t3->state == WORK_QUEUE_TASK_READY);
	CHECK_EQ_INT(t3->try_count, 0);
	q.dispatch_dirty = 1;
	wqi_dispatch_run(&q);
	CHECK(t3->worker == w);
	/* tags */
	struct work_queue_task *ta = work_queue_task_create("a");
	work_queue_task_specify_tag(ta, "A");
	CHECK(wqi_dispatch_submit(&q, ta) > 0);
	wqi_dispatch_task_done(&q, t3);
	wqi_dispatch_run(&q);
	CHECK(ta->worker == w);
	wqi_dispatch_task_done(&q, ta);
	CHECK(wqi_dispatch_take_complete(&q, "B") == NULL);
	CHECK(wqi_dispatch_take_complete(&q, "A") == ta);
	CHECK(wqi_dispatch_take_complete(&q, NULL) == t1);
	CHECK(wqi_dispatch_take_complete(&q, NULL) == t3);
	CHECK_EQ_INT(q.cum.tasks_failed, 1);
	work_queue_task_delete(t1);
	work_queue_task_delete(t2);
	work_queue_task_delete(t3);
	work_queue_task_delete(ta);
	fake_teardown(&q);
}

/* max_retries 2 = two reruns: a task lost with its worker a third time comes back with MAX_RETRIES. */
static void test_max_retries(void)
{
	struct work_queue q;
	fake_setup(&q);
	struct work_queue_task *t = work_queue_task_create("crash");
	work_queue_task_specify_max_retries(t, 2);
	CHECK(wqi_dispatch_submit(&q, t) > 0);
	for (int i = 0; i < 3; i++) {
		CHECK(t->state == WORK_QUEUE_TASK_READY);
		struct wqi_worker *w = fake_worker(&q, "w", 1, 0, 0, 0);
		wqi_dispatch_run(&q);
		CHECK(t->worker == w);
		wqi_dispatch_worker_gone(&q, w);
		wqi_worker_free(w);
	}
	CHECK(t->state == WORK_QUEUE_TASK_WAITING_RETRIEVAL);
	CHECK_EQ_INT(t->result, WORK_QUEUE_RESULT_MAX_RETRIES);
	CHECK_EQ_INT(q.cum.tasks_exhausted_attempts, 1);
	fake_teardown(&q);
}

/* Many equal tasks over many workers: every task dispatched exactly once. */
static void test_many(void)
{
	struct work_queue q;
	fake_setup(&q);
	for (int i = 0; i < 50; i++)
		fake_worker(&q, "w", 4, 400, 400, 0);
	for (int i = 0; i < 1000; i++)
		task(&q, i % 3, -1);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(n_calls, 200);
	CHECK_EQ_INT(q.n_running, 200);
	CHECK_EQ_INT(wqi_ready_count(&q.ready), 800);
	/* the highest priority went first */
	for (int i = 0; i < 200; i++)
		CHECK_EQ_INT(((struct work_queue_task *)wqi_itab_get(&q.tasks, calls[i].taskid))->priority, 2);
	fake_teardown(&q);
}

/* 100 tasks larger than every worker at the head of the queue don't hide
 * the small task behind them; a bigger worker joining takes them. */
static void test_oversized_tasks_park(void)
{
	struct work_queue q;
	fake_setup(&q);
	struct wqi_worker *small = fake_worker(&q, "small", 4, 4000, 4000, 0);
	struct work_queue_task *big[100];
	for (int i = 0; i < 100; i++)
		big[i] = task(&q, 10, 8);
	struct work_queue_task *t = task(&q, 0, 1);
	wqi_dispatch_run(&q);
	CHECK(t->worker == small);
	CHECK_EQ_INT(q.n_parked, 100);
	CHECK_EQ_INT(wqi_ready_count(&q.ready), 0);
	struct work_queue_stats st;
	work_queue_get_stats(&q, &st);
	CHECK_EQ_INT(st.tasks_waiting, 100);
	wqi_dispatch_cancel(&q, big[50]);
	CHECK_EQ_INT(q.n_parked, 99);
	CHECK(big[50]->state == WORK_QUEUE_TASK_CANCELED);
	struct wqi_worker *large = fake_worker(&q, "large", 16, 16000, 16000, 0);
	CHECK_EQ_INT(q.n_parked, 0);
	wqi_dispatch_run(&q);
	CHECK(big[0]->worker == large && big[1]->worker == large);
	CHECK_EQ_INT(large->u_cores, 16);
	/* the large worker leaves: the rest no longer fit anyone and park again */
	wqi_dispatch_worker_gone(&q, large);
	wqi_worker_free(large);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(q.n_parked, 99); /* 97 waiting + the 2 it ran, back again */
	work_queue_task_delete(big[50]);
	fake_teardown(&q);
}

/* work_queue_task_state follows a task through the queue (parked too);
 * work_queue_specify_min_taskid raises the next id, never lowers it, and
 * ids stop at INT_MAX. */
static void test_task_state_and_min_taskid(void)
{
	struct work_queue q;
	fake_setup(&q);
	struct work_queue_task *t = task(&q, 0, -1);
	int id = (int)t->taskid;
	CHECK(work_queue_task_state(&q, id) == WORK_QUEUE_TASK_READY);
	CHECK(work_queue_task_state(&q, id + 1) == WORK_QUEUE_TASK_UNKNOWN);
	CHECK(work_queue_task_state(&q, 0) == WORK_QUEUE_TASK_UNKNOWN);
	CHECK(work_queue_task_state(&q, -5) == WORK_QUEUE_TASK_UNKNOWN);
	CHECK(work_queue_task_state(NULL, id) == WORK_QUEUE_TASK_UNKNOWN);
	struct wqi_worker *w = fake_worker(&q, "w", 1, 1000, 1000, 0);
	struct work_queue_task *big = task(&q, 0, 8); /* larger than every worker: parked */
	wqi_dispatch_run(&q);
	CHECK(work_queue_task_state(&q, id) == WORK_QUEUE_TASK_RUNNING && t->worker == w);
	CHECK(work_queue_task_state(&q, (int)big->taskid) == WORK_QUEUE_TASK_READY);
	wqi_dispatch_task_done(&q, t);
	CHECK(work_queue_task_state(&q, id) == WORK_QUEUE_TASK_WAITING_RETRIEVAL);
	CHECK(wqi_dispatch_take_complete(&q, NULL) == t);
	CHECK(work_queue_task_state(&q, id) == WORK_QUEUE_TASK_UNKNOWN);
	CHECK(work_queue_task_get_state(t) == WORK_QUEUE_TASK_DONE);
	wqi_dispatch_cancel(&q, big);
	CHECK(work_queue_task_state(&q, (int)big->taskid) == WORK_QUEUE_TASK_UNKNOWN);
	/* min taskid */
	CHECK_EQ_INT(work_queue_specify_min_taskid(&q, 0), 3);
	CHECK_EQ_INT(work_queue_specify_min_taskid(&q, 100), 100);
	CHECK_EQ_INT(work_queue_specify_min_taskid(&q, 50), 100);
	CHECK_EQ_INT(work_queue_specify_min_taskid(&q, -7), 100);
	CHECK_EQ_INT(work_queue_specify_min_taskid(NULL, 10), -1);
	CHECK_EQ_INT(wqi_dispatch_submit(&q, t), 100);
	CHECK_EQ_INT(work_queue_specify_min_taskid(&q, 100), 101);
	wqi_dispatch_cancel(&q, t);
	CHECK_EQ_INT(work_queue_specify_min_taskid(&q, INT_MAX), INT_MAX);
	CHECK_EQ_INT(wqi_dispatch_submit(&q, t), INT_MAX);
	wqi_dispatch_cancel(&q, t);
	CHECK_EQ_INT(work_queue_specify_min_taskid(&q, 5), -1);
	CHECK_EQ_INT(wqi_dispatch_submit(&q, t), -1); /* no id past INT_MAX */
	CHECK(t->q == NULL);
	work_queue_task_delete(t);
	work_queue_task_delete(big);
	fake_teardown(&q);
}

static const struct wqi_test tests[] = {
	TEST(test_task_state_and_min_taskid),
	TEST(test_oversized_tasks_park),
	TEST(test_fill_and_release),
	TEST(test_priority_order),
	TEST(test_lifo),
	TEST(test_resources_fit),
	TEST(test_lost_worker),
	TEST(test_cancel),
	TEST(test_send_failures_and_tags),
	TEST(test_max_retries),
	TEST(test_many),
	{ 0 },
};

int main(void) { return wqi_test_run(tests); }
