/*
 * sched_test.c - scheduling policies, preferred and blocked hosts, and fast
 * abort, against the dispatch reactor with the fake comm of fake_comm_test.h
 * (no sockets), as in dispatch_test.c. Times are set on the tasks directly,
 * so nothing sleeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master.h"
#include "sched_policy.h"
#include "testing.h"
#include "util.h"

#include "fake_comm_test.h"

/* An empty master on the fake comm with this scheduling policy. */
static void setup(struct work_queue *q, int algorithm)
{
	fake_setup(q);
	q->algorithm = algorithm;
	q->sched = wqi_sched_get(algorithm);
}

/* A ready fake worker "name" (id "id-name") with 1000 MB of disk and an
 * address of its own, made from the serial wqi_worker_new will give it. */
static struct wqi_worker *worker(struct work_queue *q, const char *name, int64_t cores, int64_t mem)
{
	char addr[64], id[32];
	uint64_t serial = q->next_serial + 1;
	snprintf(addr, sizeof addr, "10.0.0.%d:%d", (int)(serial % 250), 9000 + (int)serial);
	snprintf(id, sizeof id, "id-%s", name);
	return fake_worker_add(q, name, addr, id, cores, mem, 1000, 0);
}

static struct work_queue_task *task(struct work_queue *q, const char *cached_buf, int bytes)
{
	struct work_queue_task *t = work_queue_task_create("true");
	if (cached_buf) {
		char *data = malloc(bytes);
		memset(data, cached_buf[0], bytes);
		CHECK(work_queue_task_specify_buffer(t, data, bytes, cached_buf, WORK_QUEUE_CACHE) == 1);
		free(data);
	}
	CHECK(wqi_dispatch_submit(q, t) > 0);
	return t;
}

/* Complete t successfully as if it had run for took_us. */
static void finish(struct work_queue *q, struct work_queue_task *t, uint64_t took_us)
{
	t->dispatch_mono_us = wqi_mono_us() - took_us;
	wqi_dispatch_task_done(q, t);
	CHECK(wqi_dispatch_take_complete(q, NULL) == t);
	work_queue_task_delete(t);
}

/* FILES: the worker holding the most bytes of the task's cached inputs; FCFS otherwise. */
static void test_files(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_FILES);
	struct wqi_worker *a = worker(&q, "a", 4, 400), *b = worker(&q, "b", 4, 400), *c = worker(&q, "c", 4, 400);
	CHECK(wqi_cache_add(b, "small") == 0 && wqi_cache_add(c, "big") == 0);
	struct work_queue_task *t1 = task(&q, "x", 100);   /* held by nobody: FCFS, a */
	wqi_dispatch_run(&q);
	CHECK(t1->worker == a);
	/* a now holds x: the next tasks with x go to a while it has room */
	struct work_queue_task *t2 = task(&q, "x", 100), *t3 = task(&q, "x", 100);
	wqi_dispatch_run(&q);
	CHECK(t2->worker == a && t3->worker == a);
	/* b holds one input, c a bigger one: c */
	struct work_queue_task *t4 = work_queue_task_create("true");
	work_queue_task_specify_buffer(t4, "0123456789", 10, "small", WORK_QUEUE_CACHE);
	char big[1000];
	memset(big, 'B', sizeof big);
	work_queue_task_specify_buffer(t4, big, sizeof big, "big", WORK_QUEUE_CACHE);
	CHECK(wqi_dispatch_submit(&q, t4) > 0);
	/* cache names are content hashes: point them at the test's names */
	free(t4->inputs[0].cachename);
	t4->inputs[0].cachename = strdup("small");
	free(t4->inputs[1].cachename);
	t4->inputs[1].cachename = strdup("big");
	q.dispatch_dirty = 1;
	wqi_dispatch_run(&q);
	CHECK(t4->worker == c);
	/* the index follows CACHE_FAIL and lost workers */
	wqi_cache_remove(c, "big");
	CHECK(!wqi_cache_has(c, "big"));
	CHECK(wqi_stab_get(&q.holders, "big") == NULL);
	CHECK(wqi_cache_add(a, "small") == 0 && wqi_cache_add(c, "small") == 0);
	wqi_cache_remove(b, "small"); /* the last holder moves into b's place */
	CHECK(wqi_cache_has(c, "small") && wqi_cache_has(a, "small"));
	wqi_cache_remove(c, "small");
	CHECK(wqi_cache_has(a, "small"));
	fake_teardown(&q);
}

/* TIME: lowest average first; a worker without history is tried first. */
static void test_time(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_TIME);
	struct wqi_worker *slow = worker(&q, "slow", 1, 100), *fast = worker(&q, "fast", 1, 100);
	struct work_queue_task *t1 = task(&q, NULL, 0), *t2 = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK(t1->worker == slow && t2->worker == fast);
	finish(&q, t1, 1000000);
	finish(&q, t2, 10000);
	/* both free now: every next task goes to the fast one */
	for (int i = 0; i < 5; i++) {
		struct work_queue_task *t = task(&q, NULL, 0);
		wqi_dispatch_run(&q);
		CHECK(t->worker == fast);
		finish(&q, t, 10000);
	}
	/* the fast one busy: the slow one takes the next */
	struct work_queue_task *f = task(&q, NULL, 0), *s = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK(f->worker == fast && s->worker == slow);
	finish(&q, f, 10000);
	finish(&q, s, 1000000);
	/* a new worker is tried first */
	struct wqi_worker *fresh = worker(&q, "fresh", 1, 100);
	struct work_queue_task *t = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK(t->worker == fresh);
	fake_teardown(&q);
}

/* WORST: most free cores first, then memory; spreads the tasks. */
static void test_worst(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_WORST);
	struct wqi_worker *a = worker(&q, "a", 4, 400), *b = worker(&q, "b", 8, 800), *c = worker(&q, "c", 8, 1600);
	struct work_queue_task *t[20];
	for (int i = 0; i < 20; i++)
		t[i] = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK(t[0]->worker == c); /* 8 cores like b, more memory */
	CHECK(t[1]->worker == b);
	/* after 20 tasks the free cores are as equal as they can be: 0 each */
	CHECK(a->u_cores == 4 && b->u_cores == 8 && c->u_cores == 8);
	/* b and c reach a's 4 free cores before a gets any */
	for (int i = 0; i < 8; i++)
		CHECK(t[i]->worker != a);
	fake_teardown(&q);
}

/* RAND: roughly uniform over the workers; never a full one. */
static void test_rand(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_RAND);
	q.rng = 12345;
	struct wqi_worker *w[4];
	for (int i = 0; i < 4; i++)
		w[i] = worker(&q, "w", i == 3 ? 2 : 1000, 100000);
	for (int i = 0; i < 2000; i++)
		task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK_EQ_INT(q.n_running, 2000);
	CHECK_EQ_INT(w[3]->u_cores, 2);
	for (int i = 0; i < 3; i++)
		CHECK(w[i]->u_cores > 550 && w[i]->u_cores < 780);
	fake_teardown(&q);
}

/* A task's own algorithm overrides the queue's. */
static void test_task_algorithm(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_FCFS);
	struct wqi_worker *a = worker(&q, "a", 2, 100), *b = worker(&q, "b", 8, 100);
	struct work_queue_task *t1 = task(&q, NULL, 0);
	struct work_queue_task *t2 = work_queue_task_create("true");
	work_queue_task_specify_algorithm(t2, WORK_QUEUE_SCHEDULE_WORST);
	CHECK(wqi_dispatch_submit(&q, t2) > 0);
	wqi_dispatch_run(&q);
	CHECK(t1->worker == a && t2->worker == b);
	fake_teardown(&q);
}

/* Preferred hosts: only there while the wait lasts, then anywhere;
 * matched by host name, address, ip:port or worker id. */
static void test_preferred(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_FCFS);
	struct wqi_worker *a = worker(&q, "alpha", 4, 400), *b = worker(&q, "beta", 4, 400);
	struct work_queue_task *t1 = work_queue_task_create("true");
	work_queue_task_specify_preferred_host(t1, "beta");
	struct work_queue_task *t2 = work_queue_task_create("true");
	work_queue_task_specify_preferred_host(t2, b->addr);
	struct work_queue_task *t3 = work_queue_task_create("true");
	work_queue_task_specify_preferred_host(t3, "nowhere");
	work_queue_task_specify_preferred_host(t3, "nowhere");
	CHECK_EQ_INT(t3->n_pref, 1);
	struct work_queue_task *t4 = work_queue_task_create("true");
	work_queue_task_specify_preferred_host(t4, "id-beta");
	struct work_queue_task *c = work_queue_task_clone(t4);
	CHECK(c && c->n_pref == 1 && strcmp(c->pref_hosts[0], "id-beta") == 0);
	work_queue_task_delete(c);
	CHECK(wqi_dispatch_submit(&q, t1) > 0 && wqi_dispatch_submit(&q, t2) > 0);
	CHECK(wqi_dispatch_submit(&q, t3) > 0 && wqi_dispatch_submit(&q, t4) > 0);
	wqi_dispatch_run(&q);
	CHECK(t1->worker == b && t2->worker == b && t4->worker == b);
	CHECK(t3->state == WORK_QUEUE_TASK_READY);
	CHECK(q.pref_wake_us == t3->t_submit + 5000000);
	CHECK(wqi_sched_timers(&q) > 4000);
	/* the wait is over: the next pass sends it anywhere */
	t3->t_submit -= 6000000;
	q.pref_wake_us = 1;
	CHECK(wqi_sched_timers(&q) == -1);
	CHECK(q.dispatch_dirty);
	wqi_dispatch_run(&q);
	CHECK(t3->worker == a);
	/* a zero wait: the preference never holds a task back */
	work_queue_specify_preferred_host_wait(&q, 0);
	struct work_queue_task *t5 = work_queue_task_create("true");
	work_queue_task_specify_preferred_host(t5, "nowhere");
	CHECK(wqi_dispatch_submit(&q, t5) > 0);
	wqi_dispatch_run(&q);
	CHECK(t5->worker == a);
	fake_teardown(&q);
}

/* Blocked hosts get no new tasks; unblock and timed blocks release them. */
static void test_blocked(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_FCFS);
	struct wqi_worker *a = worker(&q, "alpha", 1, 100), *b = worker(&q, "beta", 1, 100);
	work_queue_block_host(&q, "alpha");
	CHECK(a->blocked && !b->blocked);
	CHECK_EQ_INT(q.cum.workers_blacklisted, 1);
	struct work_queue_task *t1 = task(&q, NULL, 0), *t2 = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK(t1->worker == b && t2->state == WORK_QUEUE_TASK_READY);
	work_queue_unblock_host(&q, "alpha");
	CHECK(!a->blocked && q.dispatch_dirty);
	wqi_dispatch_run(&q);
	CHECK(t2->worker == a);
	finish(&q, t1, 1000);
	finish(&q, t2, 1000);
	/* by address, with a timeout; a worker joining later is blocked too */
	work_queue_block_host_with_timeout(&q, b->ip, 30);
	CHECK(b->blocked && q.block_next_us > 0);
	struct wqi_worker *c = wqi_worker_new(&q);
	snprintf(c->addr, sizeof c->addr, "%.40s:7", b->ip);
	c->hostname = strdup("gamma");
	c->cores = 1;
	wqi_dispatch_worker_ready(&q, c);
	CHECK(c->blocked);
	struct work_queue_task *t3 = task(&q, NULL, 0), *t4 = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK(t3->worker == a && t4->state == WORK_QUEUE_TASK_READY);
	/* the timer lifts it */
	struct wqi_block_peek { uint64_t until_us; } *blk = wqi_stab_get(&q.blocked, b->ip);
	CHECK(blk != NULL);
	blk->until_us = wqi_mono_us() - 1;
	q.block_next_us = blk->until_us;
	wqi_sched_timers(&q);
	CHECK(!b->blocked && !c->blocked && wqi_stab_count(&q.blocked) == 0);
	wqi_dispatch_run(&q);
	CHECK(t4->worker == b);
	work_queue_block_host(&q, "gamma");
	work_queue_block_host(&q, "beta");
	work_queue_unblock_all(&q);
	CHECK(!b->blocked && !c->blocked);
	fake_teardown(&q);
}

/* Fast abort: nothing before 10 measured runs; then a task over
 * multiplier x average is killed, requeued at the front and sent elsewhere;
 * a worker with 3 aborts is disconnected and blocked. */
static void test_fast_abort(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_FCFS);
	CHECK(work_queue_activate_fast_abort(&q, 3) == 0);
	struct wqi_worker *slow = worker(&q, "slow", 4, 400);
	struct wqi_worker *fast = worker(&q, "fast", 1, 100);
	/* 9 runs measured: no abort yet */
	struct work_queue_task *hog = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK(hog->worker == slow);
	hog->dispatch_mono_us = wqi_mono_us() - 10000000;
	for (int i = 0; i < 9; i++) {
		struct work_queue_task *t = task(&q, NULL, 0);
		wqi_dispatch_run(&q);
		CHECK(t->worker == slow);
		finish(&q, t, 100000);
	}
	wqi_fa_check(&q, wqi_mono_us());
	CHECK(hog->worker == slow);
	struct work_queue_task *t = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	finish(&q, t, 100000);
	/* 10 runs of 0.1 s: limit 0.3 s; the hog (10 s) is aborted at the next check */
	CHECK(q.fa_next_us > 0 && q.fa_next_us <= wqi_mono_us());
	n_calls = 0;
	CHECK(wqi_sched_timers(&q) >= -1);
	CHECK(n_calls == 1 && calls[0].kind == 'k' && calls[0].w == slow && calls[0].taskid == hog->taskid);
	CHECK(hog->state == WORK_QUEUE_TASK_READY && hog->worker == NULL && slow->u_cores == 0);
	CHECK_EQ_INT(q.cum.tasks_fast_aborted, 1);
	CHECK_EQ_INT(slow->fast_aborts, 1);
	/* it is not sent to the slow worker again: the fast one takes it, though it joined later */
	wqi_dispatch_run(&q);
	CHECK(hog->worker == fast);
	CHECK_EQ_INT(hog->try_count, 2);
	CHECK_EQ_INT(hog->free_tries, 1);
	/* a category with fast abort off is left alone */
	CHECK(work_queue_activate_fast_abort_category(&q, "patient", 0) == 0);
	struct work_queue_task *p = work_queue_task_create("true");
	work_queue_task_specify_category(p, "patient");
	CHECK(wqi_dispatch_submit(&q, p) > 0);
	wqi_dispatch_run(&q);
	CHECK(p->worker == slow);
	p->dispatch_mono_us -= 100000000;
	finish(&q, hog, 100000);
	/* two more stragglers on the slow worker: the third abort drops it */
	struct work_queue_task *s1 = task(&q, NULL, 0), *s2 = task(&q, NULL, 0);
	wqi_dispatch_run(&q);
	CHECK(s1->worker == slow && s2->worker == slow);
	s1->dispatch_mono_us -= 1000000;
	s2->dispatch_mono_us -= 1000000;
	n_calls = 0;
	wqi_fa_check(&q, wqi_mono_us());
	CHECK_EQ_INT(q.cum.tasks_fast_aborted, 3);
	CHECK_EQ_INT(q.cum.workers_fast_aborted, 1);
	CHECK_EQ_INT(q.cum.workers_blacklisted, 1);
	CHECK(slow->state == WQI_W_DEAD);
	CHECK(n_calls >= 4 && calls[n_calls - 1].kind == 'd' && calls[n_calls - 1].w == slow);
	/* the patient task went back too (not as a fast abort, not a lost try) */
	CHECK(p->state == WORK_QUEUE_TASK_READY && p->free_tries == 1);
	CHECK(wqi_stab_get(&q.blocked, "id-slow") != NULL);
	/* the same worker process coming back is blocked */
	struct wqi_worker *again = worker(&q, "slow", 4, 400);
	CHECK(again->blocked);
	fake_teardown(&q);
}

/* Fast aborts do not count against max_retries; lost workers do. */
static void test_fast_abort_retries(void)
{
	struct work_queue q;
	setup(&q, WORK_QUEUE_SCHEDULE_FCFS);
	work_queue_activate_fast_abort(&q, 2);
	struct wqi_worker *a = worker(&q, "a", 1, 100);
	for (int i = 0; i < 10; i++) {
		struct work_queue_task *t = task(&q, NULL, 0);
		wqi_dispatch_run(&q);
		finish(&q, t, 1000);
	}
	struct work_queue_task *t = work_queue_task_create("true");
	work_queue_task_specify_max_retries(t, 1);
	CHECK(wqi_dispatch_submit(&q, t) > 0);
	wqi_dispatch_run(&q);
	CHECK(t->worker == a);
	wqi_fa_check(&q, wqi_mono_us() + 1000000);
	CHECK(t->state == WORK_QUEUE_TASK_READY);
	wqi_dispatch_run(&q);
	CHECK(t->worker == a); /* the only worker: it may go back */
	wqi_dispatch_worker_gone(&q, a);
	wqi_worker_free(a);
	CHECK(t->state == WORK_QUEUE_TASK_READY); /* lost once: one retry left */
	a = worker(&q, "a2", 1, 100);
	wqi_dispatch_run(&q);
	CHECK(t->worker == a);
	wqi_dispatch_worker_gone(&q, a);
	CHECK_EQ_INT(t->result, WORK_QUEUE_RESULT_MAX_RETRIES);
	CHECK_EQ_INT(t->try_count, 3);
	CHECK_EQ_INT(q.cum.tasks_lost, 2);
	fake_teardown(&q);
}

/* Many workers and tasks, every policy: each task dispatched once, resources consistent. */
static void test_policies_many(void)
{
	int algs[5] = { WORK_QUEUE_SCHEDULE_FCFS, WORK_QUEUE_SCHEDULE_FILES, WORK_QUEUE_SCHEDULE_TIME,
			WORK_QUEUE_SCHEDULE_RAND, WORK_QUEUE_SCHEDULE_WORST };
	for (int k = 0; k < 5; k++) {
		struct work_queue q;
		setup(&q, algs[k]);
		for (int i = 0; i < 40; i++)
			worker(&q, "w", 1 + i % 4, 1000);
		for (int i = 0; i < 300; i++) {
			char name[8];
			snprintf(name, sizeof name, "%c", 'a' + i % 7);
			task(&q, name, 10 + i % 7);
		}
		wqi_dispatch_run(&q);
		CHECK_EQ_INT(q.n_running, 100);
		CHECK_EQ_INT(q.used_cores, 100);
		CHECK(wqi_list_empty(&q.avail));
		/* release half and go again */
		int done = 0;
		size_t pos = 0;
		void *v;
		struct work_queue_task *fin[60];
		while (done < 60 && wqi_itab_next(&q.tasks, &pos, NULL, &v))
			if (((struct work_queue_task *)v)->worker)
				fin[done++] = v;
		for (int i = 0; i < done; i++)
			finish(&q, fin[i], 1000 * (uint64_t)(i + 1));
		wqi_dispatch_run(&q);
		CHECK_EQ_INT(q.n_running, 100);
		CHECK_EQ_INT(wqi_ready_count(&q.ready), 140);
		fake_teardown(&q);
	}
}

static const struct wqi_test tests[] = {
	TEST(test_files),
	TEST(test_time),
	TEST(test_worst),
	TEST(test_rand),
	TEST(test_task_algorithm),
	TEST(test_preferred),
	TEST(test_blocked),
	TEST(test_fast_abort),
	TEST(test_fast_abort_retries),
	TEST(test_policies_many),
	{ 0 },
};

int main(void) { return wqi_test_run(tests); }
