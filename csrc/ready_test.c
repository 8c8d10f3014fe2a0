/* ready_test.c - the ready queue (ready.c) against a plain sorted reference. */
#include <stdlib.h>

#include "ready.h"
#include "task.h"
#include "testing.h"
#include "work_queue.h"

#define N 3000

static struct work_queue_task tasks[N];

static int before(const struct work_queue_task *a, const struct work_queue_task *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->qseq < b->qseq;
}

/* The first queued task by a scan of every task. */
static struct work_queue_task *ref_top(void)
{
	struct work_queue_task *best = NULL;
	for (int i = 0; i < N; i++)
		if (tasks[i].ready_pos != WQI_READY_NONE && (!best || before(&tasks[i], best)))
			best = &tasks[i];
	return best;
}

/* Pop the top, which must have the reference's key; 0 when the queue was empty. */
static int pop_checked(struct wqi_ready *r)
{
	struct work_queue_task *top = wqi_ready_top(r), *want = ref_top();
	CHECK(top != NULL && want != NULL && top->priority == want->priority && top->qseq == want->qseq);
	if (!top)
		return 0;
	wqi_ready_remove(r, top);
	return 1;
}

static void reset(void)
{
	for (int i = 0; i < N; i++)
		tasks[i] = (struct work_queue_task){ .ready_pos = WQI_READY_NONE, .qseq = i };
}

/* In-order pushes stay in the ring: FIFO out, and removal from the middle. */
static void test_fifo_and_middle_removal(void)
{
	struct wqi_ready r;
	wqi_ready_init(&r);
	reset();
	for (int i = 0; i < 1000; i++)
		CHECK_EQ_INT(wqi_ready_push(&r, &tasks[i]), 0);
	CHECK_EQ_INT(r.n_heap, 0);
	for (int i = 0; i < 1000; i += 3)
		wqi_ready_remove(&r, &tasks[i]);
	CHECK(tasks[0].ready_pos == WQI_READY_NONE);
	for (int i = 0; i < 1000; i++) {
		if (i % 3 == 0)
			continue;
		struct work_queue_task *t = wqi_ready_top(&r);
		CHECK(t == &tasks[i]);
		if (!t)
			break;
		wqi_ready_remove(&r, t);
	}
	CHECK(wqi_ready_top(&r) == NULL);
	CHECK_EQ_INT(wqi_ready_count(&r), 0);
	wqi_ready_free(&r);
}

/* A higher priority, a requeued task (lower qseq) and LIFO keys go to the heap
 * and still come out first. */
static void test_out_of_order_pushes(void)
{
	struct wqi_ready r;
	wqi_ready_init(&r);
	reset();
	for (int i = 10; i < 20; i++)
		wqi_ready_push(&r, &tasks[i]);
	tasks[5].priority = 7;
	tasks[5].qseq = 100;
	wqi_ready_push(&r, &tasks[5]);     /* higher priority: heap */
	tasks[2].qseq = -5;
	wqi_ready_push(&r, &tasks[2]);     /* back to the front: heap */
	CHECK_EQ_INT(r.n_heap, 2);
	CHECK(wqi_ready_top(&r) == &tasks[5]);
	wqi_ready_remove(&r, &tasks[5]);
	CHECK(wqi_ready_top(&r) == &tasks[2]);
	wqi_ready_remove(&r, &tasks[2]);
	CHECK(wqi_ready_top(&r) == &tasks[10]);
	CHECK_EQ_INT(wqi_ready_count(&r), 10);
	wqi_ready_free(&r);
}

/* Random pushes (mixed priorities, in and out of order), removals anywhere
 * and pops, checked against the reference after every step; the ring grows
 * with removed slots inside. */
static void test_random_against_reference(void)
{
	struct wqi_ready r;
	wqi_ready_init(&r);
	reset();
	srand(7);
	int64_t seq = 0;
	size_t live = 0;
	for (int step = 0; step < 60000; step++) {
		int op = rand() % 10;
		struct work_queue_task *t = &tasks[rand() % N];
		if (op < 5 && t->ready_pos == WQI_READY_NONE) {
			int kind = rand() % 4;
			t->priority = kind == 0 ? (double)(rand() % 3) : 0;
			t->qseq = kind == 1 ? seq - 1000 : ++seq;
			CHECK_EQ_INT(wqi_ready_push(&r, t), 0);
			live++;
		} else if (op < 7 && t->ready_pos != WQI_READY_NONE) {
			wqi_ready_remove(&r, t);
			live--;
		} else if (op >= 7 && live) {
			if (!pop_checked(&r))
				break;
			live--;
		}
		CHECK_EQ_INT(wqi_ready_count(&r), live);
	}
	while (live && pop_checked(&r))
		live--;
	CHECK_EQ_INT(live, 0);
	CHECK(wqi_ready_top(&r) == NULL);
	wqi_ready_free(&r);
}

static const struct wqi_test tests[] = {
	TEST(test_fifo_and_middle_removal),
	TEST(test_out_of_order_pushes),
	TEST(test_random_against_reference),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
