/*
 * records_test.c - unit tests of the catalog's record table and save file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/records.h"
#include "catalog/save.h"
#include "testing.h"
#include "work_queue.h"

#define SEC 1000000ULL

static int upd(struct wqi_cat_records *t, const char *s, const char *addr, uint64_t now)
{
	return wqi_cat_records_update(t, s, strlen(s), addr, now);
}

/* The table's /query.json text (static buffer). */
static const char *dump(const struct wqi_cat_records *t, const char *project)
{
	static char out[8192];
	struct wqi_buf b = WQI_BUF_INIT;
	wqi_cat_records_write(t, &b, project);
	size_t n = wqi_buf_used(&b) < sizeof out - 1 ? wqi_buf_used(&b) : sizeof out - 1;
	memcpy(out, wqi_buf_head(&b), n);
	out[n] = 0;
	wqi_buf_free(&b);
	return out;
}

static void test_newest_wins(void)
{
	struct wqi_cat_records t;
	wqi_cat_records_init(&t, 100, 60 * SEC);
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"h\",\"port\":9123,\"workers\":1}", "1.2.3.4", 10 * SEC), 0);
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"h\",\"port\":9123,\"workers\":7,\"lastheardfrom\":5}", "1.2.3.5", 11 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_count(&t), 1);
	CHECK_EQ_STR(dump(&t, NULL),
		"[\n{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"h\",\"port\":9123,\"workers\":7,\"lastheardfrom\":11,\"address\":\"1.2.3.5\"}\n]\n");
	/* the same name on another port, and a nameless master keyed by its address */
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"q\",\"name\":\"h\",\"port\":9124}", "1.2.3.4", 12 * SEC), 0);
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"q\",\"port\":9124}", "1.2.3.4", 12 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_count(&t), 3);
	CHECK(wqi_cat_records_find(&t, "h:9123") != NULL);
	CHECK(wqi_cat_records_find(&t, "h:9124") != NULL);
	CHECK(wqi_cat_records_find(&t, "1.2.3.4:9124") != NULL);
	/* the filter is exact */
	CHECK(strstr(dump(&t, "q"), "\"p\"") == NULL);
	CHECK(strstr(dump(&t, "q"), "9124") != NULL);
	CHECK_EQ_STR(dump(&t, "Q"), "[]\n");
	CHECK_EQ_INT(t.c.received, 4);
	CHECK_EQ_INT(t.c.accepted, 4);
	/* gone removes at once; gone for an unknown master is accepted and does nothing */
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"h\",\"port\":9123,\"state\":\"gone\"}", "9.9.9.9", 13 * SEC), 0);
	CHECK(wqi_cat_records_find(&t, "h:9123") == NULL);
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"x\",\"port\":1,\"state\":\"gone\"}", "9.9.9.9", 13 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_count(&t), 2);
	CHECK_EQ_INT(t.c.gone, 1);
	wqi_cat_records_free(&t);
}

static void test_malformed(void)
{
	struct wqi_cat_records t;
	wqi_cat_records_init(&t, 100, 60 * SEC);
	static const char *bad[] = {
		"", "[]", "\"x\"", "{", "{}", "null",
		"{\"project\":\"p\",\"port\":1}",                             /* no type */
		"{\"type\":\"wq_master\",\"port\":1}",                        /* no project */
		"{\"type\":\"wq_master\",\"project\":\"p\"}",                 /* no port */
		"{\"type\":\"wq_master\",\"project\":\"p\",\"port\":\"1\"}",  /* port a string */
		"{\"type\":\"wq_master\",\"project\":\"p\",\"port\":0}",
		"{\"type\":\"wq_master\",\"project\":\"p\",\"port\":65536}",
		"{\"type\":\"wq_master\",\"project\":\"p\",\"port\":1.5}",
		"{\"type\":\"wq_master\",\"project\":\"\",\"port\":1}",
		"{\"type\":1,\"project\":\"p\",\"port\":1}",
		"{\"type\":\"wq_master\",\"project\":[\"p\"],\"port\":1}",
		"{\"type\":\"wq_master\",\"project\":\"p\",\"port\":1,\"name\":5}",
		"{\"type\":\"wq_master\",\"project\":\"p\",\"port\":1,\"workers\":\"many\"}",
		"{\"type\":\"wq_master\",\"project\":\"p\",\"port\":1,\"tasks_waiting\":-1}",
		"{\"type\":\"wq_master\",\"project\":\"p\\u0000x\",\"port\":1}",
		NULL,
	};
	int n = 0;
	for (int i = 0; bad[i]; i++, n++)
		CHECK_EQ_INT(upd(&t, bad[i], "1.1.1.1", SEC), WQ_EPROTO);
	/* oversized, even if it is valid JSON */
	size_t big = WQI_CAT_MAX_UPDATE + 1;
	char *s = malloc(big + 1);
	memset(s, ' ', big);
	const char *obj = "{\"type\":\"wq_master\",\"project\":\"p\",\"port\":1}";
	memcpy(s, obj, strlen(obj));
	s[big] = 0;
	CHECK_EQ_INT(upd(&t, s, "1.1.1.1", SEC), WQ_ETOOBIG);
	s[big - 1] = 0; /* exactly the limit is fine */
	CHECK_EQ_INT(upd(&t, s, "1.1.1.1", SEC), 0);
	free(s);
	CHECK_EQ_INT(t.c.dropped_malformed, n);
	CHECK_EQ_INT(t.c.dropped_oversized, 1);
	CHECK_EQ_INT(t.c.accepted, 1);
	CHECK_EQ_INT(t.c.received, n + 2);
	wqi_cat_records_drop(&t, WQ_ETOOBIG);
	wqi_cat_records_drop(&t, WQ_EPROTO);
	CHECK_EQ_INT(t.c.received, n + 4);
	CHECK_EQ_INT(t.c.dropped_oversized + t.c.dropped_malformed + t.c.accepted, t.c.received);
	wqi_cat_records_free(&t);
}

static void test_expiry(void)
{
	struct wqi_cat_records t;
	wqi_cat_records_init(&t, 100, 10 * SEC);
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"a\",\"port\":1}", "1.1.1.1", 100 * SEC), 0);
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"b\",\"port\":1}", "1.1.1.1", 105 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_expire(&t, 110 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_expire(&t, 110 * SEC + 1), 1);
	CHECK(wqi_cat_records_find(&t, "a:1") == NULL);
	/* an update keeps a record alive */
	CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"b\",\"port\":1}", "1.1.1.1", 114 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_expire(&t, 120 * SEC), 0);
	CHECK_EQ_INT(wqi_cat_records_expire(&t, 125 * SEC), 1);
	CHECK_EQ_INT(wqi_cat_records_count(&t), 0);
	CHECK_EQ_INT(t.c.expired, 2);
	CHECK_EQ_INT(t.bytes, 0);
	wqi_cat_records_free(&t);
}

static void test_bounds(void)
{
	struct wqi_cat_records t;
	wqi_cat_records_init(&t, 3, 1000 * SEC);
	char s[256];
	for (int i = 0; i < 10; i++) {
		snprintf(s, sizeof s, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"m%d\",\"port\":1}", i);
		CHECK_EQ_INT(upd(&t, s, "1.1.1.1", (uint64_t)(100 + i) * SEC), 0);
		CHECK(wqi_cat_records_count(&t) <= 3);
		if (i == 5) {
			/* m3 heard again: it now outlives m4 and m5 */
			CHECK_EQ_INT(upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"m3\",\"port\":1}", "1.1.1.1", 106 * SEC), 0);
		}
	}
	CHECK_EQ_INT(wqi_cat_records_count(&t), 3);
	CHECK(wqi_cat_records_find(&t, "m9:1") && wqi_cat_records_find(&t, "m8:1") && wqi_cat_records_find(&t, "m7:1"));
	CHECK_EQ_INT(t.c.evicted, 7);
	/* a thousand updates of one master keep one record */
	for (int i = 0; i < 1000; i++)
		upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"m9\",\"port\":1}", "1.1.1.1", 200 * SEC);
	CHECK_EQ_INT(wqi_cat_records_count(&t), 3);
	wqi_cat_records_free(&t);
}

static void test_save_load(void)
{
	char path[] = "/tmp/wq-records-test-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	struct wqi_cat_records t, u;
	wqi_cat_records_init(&t, 100, 50 * SEC);
	upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"old\",\"port\":1}", "1.1.1.1", 100 * SEC);
	upd(&t, "{\"type\":\"wq_master\",\"project\":\"p\",\"name\":\"new\",\"port\":2,\"x\":{\"y\":[1e999]}}", "2.2.2.2", 140 * SEC);
	CHECK_EQ_INT(wqi_cat_save(&t, path), 0);
	/* a damaged line and a blank line are skipped */
	FILE *f = fopen(path, "a");
	fputs("{\"type\":\"wq_master\",\"proj\n\n[1,2]\n", f);
	fclose(f);
	wqi_cat_records_init(&u, 100, 50 * SEC);
	size_t loaded, skipped;
	CHECK_EQ_INT(wqi_cat_load(&u, path, 160 * SEC, &loaded, &skipped), 0);
	CHECK_EQ_INT(loaded, 1); /* "old" expired at 150 s */
	CHECK_EQ_INT(skipped, 3);
	struct wqi_cat_record *r = wqi_cat_records_find(&u, "new:2");
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ_STR(r->address, "2.2.2.2");
		CHECK(r->heard_us == 140 * SEC);
		CHECK(strstr(dump(&u, NULL), "\"old\"") == NULL);
		CHECK(strstr(dump(&u, NULL), "\"x\":{\"y\":[1e999]},\"lastheardfrom\":140,\"address\":\"2.2.2.2\"") != NULL);
	}
	CHECK_EQ_INT(wqi_cat_load(&u, "/nonexistent/x", 0, &loaded, &skipped), WQ_ENOENT);
	CHECK_EQ_INT(wqi_cat_save(&u, "/nonexistent/x"), WQ_EFILE);
	unlink(path);
	wqi_cat_records_free(&t);
	wqi_cat_records_free(&u);
}

static const struct wqi_test tests[] = {
	TEST(test_newest_wins), TEST(test_malformed), TEST(test_expiry), TEST(test_bounds), TEST(test_save_load), { 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
