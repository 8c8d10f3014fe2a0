/*
 * testing.h - the tiny harness of the C unit tests (foo_test.c).
 *
 *   static void test_roundtrip(void) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *   static const struct wqi_test tests[] = { TEST(test_roundtrip), { 0 } };
 *   int main(void) { return wqi_test_run(tests); }
 *
 * A failed CHECK prints file:line and the expression and marks the test
 * failed; the test goes on. wqi_test_run prints one line per test and the
 * closing "N passed, N failed" line, and returns 0 only if all passed.
 */
#ifndef WQI_TESTING_H
#define WQI_TESTING_H

#include <stdio.h>
#include <string.h>

struct wqi_test {
	const char *name;
	void (*fn)(void);
};
#define TEST(f) { #f, f }

static int wqi_test_failed_;

#define CHECK(e) do { if (!(e)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #e); wqi_test_failed_ = 1; } } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); if (a_ != b_) { fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, a_, b_); wqi_test_failed_ = 1; } } while (0)
#define CHECK_EQ_STR(a, b) do { const char *a_ = (a), *b_ = (b); if (!a_ || !b_ || strcmp(a_, b_) != 0) { fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); wqi_test_failed_ = 1; } } while (0)

static inline int wqi_test_run(const struct wqi_test *t)
{
	int pass = 0, fail = 0;
	for (; t->name; t++) {
		wqi_test_failed_ = 0;
		t->fn();
		printf("%s %s\n", wqi_test_failed_ ? "FAIL" : "ok  ", t->name);
		if (wqi_test_failed_)
			fail++;
		else
			pass++;
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}

#endif
