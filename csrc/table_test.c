/*
 * table_test.c - unit tests of the hash tables and intrusive lists.
 */
#include <stdio.h>
#include <stdlib.h>

#include "queue.h"
#include "table.h"
#include "testing.h"
#include "work_queue.h"

/* Insert, look up, replace and remove many sequential keys. */
static void test_itab_basic(void)
{
	struct wqi_itab t = WQI_ITAB_INIT;
	static int vals[10000];
	CHECK(wqi_itab_get(&t, 1) == NULL);
	CHECK(wqi_itab_remove(&t, 1) == NULL);
	for (int i = 0; i < 10000; i++)
		CHECK_EQ_INT(wqi_itab_put(&t, (uint64_t)i + 1, &vals[i]), 0);
	CHECK_EQ_INT(wqi_itab_count(&t), 10000);
	for (int i = 0; i < 10000; i++)
		CHECK(wqi_itab_get(&t, (uint64_t)i + 1) == &vals[i]);
	CHECK(wqi_itab_get(&t, 10001) == NULL);
	CHECK_EQ_INT(wqi_itab_put(&t, 5, &vals[0]), 0);
	CHECK(wqi_itab_get(&t, 5) == &vals[0]);
	CHECK_EQ_INT(wqi_itab_count(&t), 10000);
	CHECK_EQ_INT(wqi_itab_put(&t, 5, NULL), WQ_EINVAL);
	/* remove every other key; the rest stay reachable */
	for (int i = 0; i < 10000; i += 2)
		CHECK(wqi_itab_remove(&t, (uint64_t)i + 1) != NULL);
	CHECK_EQ_INT(wqi_itab_count(&t), 5000);
	for (int i = 0; i < 10000; i++) {
		if (i % 2)
			CHECK(wqi_itab_get(&t, (uint64_t)i + 1) != NULL);
		else
			CHECK(wqi_itab_get(&t, (uint64_t)i + 1) == NULL);
	}
	size_t pos = 0, n = 0;
	uint64_t k;
	void *v;
	while (wqi_itab_next(&t, &pos, &k, &v)) {
		CHECK(k % 2 == 0);
		n++;
	}
	CHECK_EQ_INT(n, 5000);
	wqi_itab_free(&t);
	CHECK_EQ_INT(wqi_itab_count(&t), 0);
}

/* Random keys with collisions in the low bits: removal keeps clusters intact. */
static void test_itab_random(void)
{
	struct wqi_itab t = WQI_ITAB_INIT;
	uint64_t keys[2000];
	srand(7);
	for (int i = 0; i < 2000; i++) {
		keys[i] = ((uint64_t)rand() << 32 | (uint64_t)rand()) & ~0xfffULL;
		keys[i] |= (uint64_t)i; /* distinct */
		CHECK_EQ_INT(wqi_itab_put(&t, keys[i], &keys[i]), 0);
	}
	for (int round = 0; round < 2000; round += 3)
		CHECK(wqi_itab_remove(&t, keys[round]) == &keys[round]);
	for (int i = 0; i < 2000; i++)
		CHECK(wqi_itab_get(&t, keys[i]) == (i % 3 ? &keys[i] : NULL));
	wqi_itab_free(&t);
}

/* String keys are copied, found, replaced and removed. */
static void test_stab(void)
{
	struct wqi_stab t = WQI_STAB_INIT;
	char key[32];
	static int one = 1;
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "file-%d", i);
		CHECK_EQ_INT(wqi_stab_put(&t, key, &one), 0);
	}
	CHECK_EQ_INT(wqi_stab_count(&t), 3000);
	CHECK(wqi_stab_get(&t, "file-17") == &one);
	CHECK(wqi_stab_get(&t, "file-3000") == NULL);
	for (int i = 0; i < 3000; i += 2) {
		snprintf(key, sizeof key, "file-%d", i);
		CHECK(wqi_stab_remove(&t, key) == &one);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "file-%d", i);
		CHECK(wqi_stab_get(&t, key) == (i % 2 ? &one : NULL));
	}
	size_t pos = 0, n = 0;
	const char *k;
	while (wqi_stab_next(&t, &pos, &k, NULL))
		n++;
	CHECK_EQ_INT(n, 1500);
	CHECK_EQ_INT(wqi_stab_put(&t, NULL, &one), WQ_EINVAL);
	wqi_stab_free(&t);
}

struct item {
	int v;
	struct wqi_list node;
};

/* Push front/back, remove in the middle, iterate safely while removing. */
static void test_list(void)
{
	struct wqi_list head, *n, *nx;
	struct item it[4];
	wqi_list_init(&head);
	CHECK(wqi_list_empty(&head));
	for (int i = 0; i < 4; i++) {
		it[i].v = i;
		wqi_list_init(&it[i].node);
		CHECK(!wqi_list_linked(&it[i].node));
	}
	wqi_list_push_back(&head, &it[1].node);
	wqi_list_push_back(&head, &it[2].node);
	wqi_list_push_front(&head, &it[0].node);
	wqi_list_push_back(&head, &it[3].node);
	int expect = 0;
	wqi_list_foreach_safe(n, nx, &head) {
		CHECK_EQ_INT(wqi_container_of(n, struct item, node)->v, expect);
		expect++;
	}
	wqi_list_remove(&it[2].node);
	CHECK(!wqi_list_linked(&it[2].node));
	int sum = 0;
	wqi_list_foreach_safe(n, nx, &head) {
		sum += wqi_container_of(n, struct item, node)->v;
		wqi_list_remove(n);
	}
	CHECK_EQ_INT(sum, 0 + 1 + 3);
	CHECK(wqi_list_empty(&head));
}

static const struct wqi_test tests[] = {
	TEST(test_itab_basic),
	TEST(test_itab_random),
	TEST(test_stab),
	TEST(test_list),
	{ 0 },
};

int main(void) { return wqi_test_run(tests); }
