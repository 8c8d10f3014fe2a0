/*
 * buf_test.c - unit tests of buf.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "testing.h"
#include "work_queue.h"

static void test_append_consume(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_buf_used(&b), 0);
	CHECK_EQ_INT(wqi_buf_append(&b, "hello", 5), 0);
	CHECK_EQ_INT(wqi_buf_append_str(&b, " world"), 0);
	CHECK_EQ_INT(wqi_buf_used(&b), 11);
	CHECK(memcmp(wqi_buf_head(&b), "hello world", 11) == 0);
	wqi_buf_consume(&b, 6);
	CHECK_EQ_INT(wqi_buf_used(&b), 5);
	CHECK(memcmp(wqi_buf_head(&b), "world", 5) == 0);
	wqi_buf_consume(&b, 100);
	CHECK_EQ_INT(wqi_buf_used(&b), 0);
	CHECK_EQ_INT(b.off, 0);
	wqi_buf_free(&b);
	CHECK(b.data == NULL);
}

/* A produce/consume rhythm must not grow the allocation without bound. */
static void test_slide_keeps_cap(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	char chunk[100];
	memset(chunk, 'x', sizeof chunk);
	for (int i = 0; i < 10000; i++) {
		CHECK_EQ_INT(wqi_buf_append(&b, chunk, sizeof chunk), 0);
		wqi_buf_consume(&b, 60);
	}
	CHECK_EQ_INT(wqi_buf_used(&b), 10000 * 40);
	size_t cap = b.cap;
	for (int i = 0; i < 10000; i++) {
		CHECK_EQ_INT(wqi_buf_append(&b, chunk, 50), 0);
		wqi_buf_consume(&b, 50);
	}
	CHECK_EQ_INT(b.cap, cap);
	wqi_buf_free(&b);
}

static void test_printf(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_buf_printf(&b, "%d-%s", 42, "x"), 0);
	CHECK_EQ_INT(wqi_buf_used(&b), 4);
	char big[5000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_EQ_INT(wqi_buf_printf(&b, "%s!", big), 0);
	CHECK_EQ_INT(wqi_buf_used(&b), 4 + 4999 + 1);
	CHECK(memcmp(wqi_buf_head(&b), "42-x", 4) == 0);
	CHECK(wqi_buf_head(&b)[4 + 4999] == '!');
	wqi_buf_free(&b);
}

static void test_le_fields(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_buf_put_u8(&b, 0xab), 0);
	CHECK_EQ_INT(wqi_buf_put_u32(&b, 0x01020304u), 0);
	CHECK_EQ_INT(wqi_buf_put_u64(&b, 0x1122334455667788ull), 0);
	CHECK_EQ_INT(wqi_buf_put_str(&b, "hi", 2), 0);
	const unsigned char want[] = { 0xab, 4, 3, 2, 1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 2, 0, 0, 0, 'h', 'i' };
	CHECK_EQ_INT(wqi_buf_used(&b), sizeof want);
	CHECK(memcmp(wqi_buf_head(&b), want, sizeof want) == 0);
	wqi_buf_free(&b);
}

static void test_reserve_commit_shrink(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_buf_reserve(&b, 200000), 0);
	CHECK(wqi_buf_avail(&b) >= 200000);
	memset(wqi_buf_tail(&b), 'z', 10);
	wqi_buf_commit(&b, 10);
	CHECK_EQ_INT(wqi_buf_used(&b), 10);
	wqi_buf_shrink(&b);          /* not empty: kept */
	CHECK(b.data != NULL);
	wqi_buf_consume(&b, 10);
	wqi_buf_shrink(&b);          /* empty and large: freed */
	CHECK(b.data == NULL);
	CHECK_EQ_INT(wqi_buf_append(&b, "a", 1), 0);
	wqi_buf_consume(&b, 1);
	wqi_buf_shrink(&b);          /* empty and small: kept */
	CHECK(b.data != NULL);
	wqi_buf_clear(&b);
	wqi_buf_free(&b);
}

static const struct wqi_test tests[] = {
	TEST(test_append_consume),
	TEST(test_slide_keeps_cap),
	TEST(test_printf),
	TEST(test_le_fields),
	TEST(test_reserve_commit_shrink),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
