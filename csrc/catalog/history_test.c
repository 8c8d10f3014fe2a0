/* history_test.c - the dashboard's per-master history (history.c, and its
 * rendering by records.c for /history.json). */
#include <stdio.h>
#include <string.h>

#include "catalog/history.h"
#include "catalog/records.h"
#include "testing.h"
#include "work_queue.h"

#define SEC 1000000ull

static void add(struct wqi_cat_history *h, const char *json, uint64_t t_us)
{
	int err = 0;
	const char *why = NULL;
	struct wqi_json *obj = wqi_json_parse(json, strlen(json), 8, &err, &why);
	CHECK(obj != NULL);
	if (obj)
		CHECK_EQ_INT(wqi_cat_history_add(h, obj, t_us), 0);
	wqi_json_delete(obj);
}

static const char *render(const struct wqi_cat_history *h)
{
	static char out[16384];
	struct wqi_buf b = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_cat_history_write(&b, h), 0);
	snprintf(out, sizeof out, "%.*s", (int)wqi_buf_used(&b), wqi_buf_head(&b));
	wqi_buf_free(&b);
	return out;
}

/* Fields are read as counts; missing, negative or non-numeric ones are 0;
 * samples closer than the step replace the last one. */
static void test_samples(void)
{
	struct wqi_cat_history h = { 0 };
	CHECK_EQ_STR(render(&h), "[]");
	add(&h, "{\"workers\":3,\"tasks_waiting\":10,\"tasks_running\":2,\"tasks_complete\":1}", 100 * SEC);
	add(&h, "{\"workers\":\"x\",\"tasks_waiting\":-5,\"tasks_running\":1.5}", 110 * SEC);
	CHECK_EQ_STR(render(&h), "[[100,3,10,2,1],[110,0,0,0,0]]");
	add(&h, "{\"workers\":4}", 111 * SEC);   /* 1 s after: newer figures, same sample */
	CHECK_EQ_STR(render(&h), "[[100,3,10,2,1],[110,4,0,0,0]]");
	add(&h, "{\"workers\":5}", 112 * SEC);   /* 2 s after the sample: a new one */
	CHECK_EQ_STR(render(&h), "[[100,3,10,2,1],[110,4,0,0,0],[112,5,0,0,0]]");
	wqi_cat_history_free(&h);
}

/* The ring keeps the newest WQI_CAT_HISTORY samples, oldest first. */
static void test_ring(void)
{
	struct wqi_cat_history h = { 0 };
	char js[64];
	for (int i = 0; i < WQI_CAT_HISTORY + 5; i++) {
		snprintf(js, sizeof js, "{\"workers\":%d}", i);
		add(&h, js, (uint64_t)(1000 + 10 * i) * SEC);
	}
	CHECK_EQ_INT(h.n, WQI_CAT_HISTORY);
	char want[64];
	snprintf(want, sizeof want, "[[1050,5,0,0,0],[1060,6,");
	CHECK(strncmp(render(&h), want, strlen(want)) == 0);
	wqi_cat_history_free(&h);
}

/* /history.json: one member per master (by its key), filtered by project. */
static void test_records_history(void)
{
	struct wqi_cat_records t;
	wqi_cat_records_init(&t, 10, 60 * SEC);
	const char *a = "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"h1\",\"port\":9000,\"workers\":2}";
	const char *b = "{\"type\":\"wq_master\",\"project\":\"q\",\"name\":\"h2\",\"port\":9001,\"workers\":7}";
	CHECK_EQ_INT(wqi_cat_records_update(&t, a, strlen(a), "10.0.0.1", 50 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_update(&t, b, strlen(b), "10.0.0.2", 51 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_update(&t, a, strlen(a), "10.0.0.1", 60 * SEC), 0);
	struct wqi_buf buf = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_cat_records_write_history(&t, &buf, NULL), 0);
	char out[1024];
	snprintf(out, sizeof out, "%.*s", (int)wqi_buf_used(&buf), wqi_buf_head(&buf));
	CHECK_EQ_STR(out, "{\n\"h2:9001\":[[51,7,0,0,0]],\n\"h1:9000\":[[50,2,0,0,0],[60,2,0,0,0]]\n}\n");
	wqi_buf_clear(&buf);
	CHECK_EQ_INT(wqi_cat_records_write_history(&t, &buf, "q"), 0);
	snprintf(out, sizeof out, "%.*s", (int)wqi_buf_used(&buf), wqi_buf_head(&buf));
	CHECK_EQ_STR(out, "{\n\"h2:9001\":[[51,7,0,0,0]]\n}\n");
	wqi_buf_free(&buf);
	wqi_cat_records_free(&t);
}

static const struct wqi_test tests[] = {
	TEST(test_samples),
	TEST(test_ring),
	TEST(test_records_history),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
