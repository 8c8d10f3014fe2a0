/*
 * json_test.c - unit tests of the JSON parser, writer and stream scanner.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "testing.h"
#include "work_queue.h"

/* Parse s, write it back compactly, and return the text (static buffer). */
static const char *roundtrip(const char *s)
{
	static char out[4096];
	int err;
	const char *why;
	struct wqi_json *v = wqi_json_parse(s, strlen(s), WQI_JSON_MAX_DEPTH, &err, &why);
	if (!v)
		return "(error)";
	struct wqi_buf b = WQI_BUF_INIT;
	wqi_json_write(&b, v);
	size_t n = wqi_buf_used(&b) < sizeof out - 1 ? wqi_buf_used(&b) : sizeof out - 1;
	memcpy(out, wqi_buf_head(&b), n);
	out[n] = 0;
	wqi_buf_free(&b);
	wqi_json_delete(v);
	return out;
}

/* The error code of parsing s (0 if it parsed). */
static int parse_err(const char *s, size_t n, int depth, const char **why)
{
	int err = 0;
	struct wqi_json *v = wqi_json_parse(s, n, depth, &err, why);
	wqi_json_delete(v);
	return v ? 0 : err;
}

static void test_valid(void)
{
	CHECK_EQ_STR(roundtrip(" {\"a\" : 1 , \"b\":[true,false,null, -0.5e+3 ],\"c\":{}} "),
		"{\"a\":1,\"b\":[true,false,null,-0.5e+3],\"c\":{}}");
	CHECK_EQ_STR(roundtrip("[]"), "[]");
	CHECK_EQ_STR(roundtrip("\"x\""), "\"x\"");
	CHECK_EQ_STR(roundtrip("0"), "0");
	CHECK_EQ_STR(roundtrip("[[[]],{\"\":\"\"}]"), "[[[]],{\"\":\"\"}]");
	const char *s = "{\"type\":\"wq_master\",\"port\":9123,\"name\":\"h\",\"x\":1,\"x\":2}";
	struct wqi_json *v = wqi_json_parse(s, strlen(s), 8, NULL, NULL);
	CHECK(v != NULL);
	CHECK_EQ_STR(wqi_json_get_str(v, "type"), "wq_master");
	CHECK(wqi_json_get_str(v, "port") == NULL);
	int64_t x = 0;
	CHECK_EQ_INT(wqi_json_int(wqi_json_get(v, "port"), 1, 65535, &x), 0);
	CHECK_EQ_INT(x, 9123);
	CHECK_EQ_INT(wqi_json_int(wqi_json_get(v, "x"), 0, 10, &x), 0);
	CHECK_EQ_INT(x, 2); /* last duplicate wins */
	CHECK(wqi_json_get(v, "missing") == NULL);
	wqi_json_delete(v);
}

static void test_invalid(void)
{
	static const char *bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "[01]", "[1.]", "[.5]", "[1e]",
		"[+1]", "[NaN]", "[Infinity]", "tru", "nul", "[true false]", "{\"a\" 1}", "{\"a\":}",
		"\"abc", "\"a\tb\"", "\"\\x\"", "\"\\u12G4\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
		"[1] 2", "/* c */ 1", "[1,2", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"\xf5\x80\x80\x80\"", "\"\x80\"",
		"-", "--1", "[-]", NULL,
	};
	for (int i = 0; bad[i]; i++) {
		const char *why = NULL;
		int err = parse_err(bad[i], strlen(bad[i]), 16, &why);
		if (err != WQ_EPROTO)
			fprintf(stderr, "input %d <%s> gave %d\n", i, bad[i], err);
		CHECK_EQ_INT(err, WQ_EPROTO);
		CHECK(why != NULL);
	}
	/* a NUL byte inside the input is just a bad character */
	CHECK_EQ_INT(parse_err("[1,\0]", 5, 16, NULL), WQ_EPROTO);
	CHECK_EQ_INT(parse_err(NULL, 0, 16, NULL), WQ_EINVAL);
}

static void test_depth(void)
{
	char s[400];
	for (int d = 1; d <= 200; d++) {
		memset(s, '[', (size_t)d);
		memset(s + d, ']', (size_t)d);
		int err = parse_err(s, (size_t)d * 2, 64, NULL);
		CHECK_EQ_INT(err, d <= 64 ? 0 : WQ_ETOOBIG);
	}
	/* a very deep truncated input is refused on depth, without recursion trouble */
	size_t n = 1 << 20;
	char *deep = malloc(n);
	memset(deep, '[', n);
	CHECK_EQ_INT(parse_err(deep, n, WQI_JSON_MAX_DEPTH, NULL), WQ_ETOOBIG);
	memset(deep, '{', n);
	CHECK_EQ_INT(parse_err(deep, n, WQI_JSON_MAX_DEPTH, NULL), WQ_EPROTO); /* '{' needs a key */
	free(deep);
	CHECK_EQ_INT(parse_err("{\"a\":{\"b\":{}}}", 14, 3, NULL), 0);
	CHECK_EQ_INT(parse_err("{\"a\":{\"b\":{}}}", 14, 2, NULL), WQ_ETOOBIG);
}

static void test_numbers(void)
{
	const char *big = "[123456789012345678901234567890, 1e999999, -1e-999999, 9223372036854775807, 9223372036854775808]";
	struct wqi_json *v = wqi_json_parse(big, strlen(big), 8, NULL, NULL);
	CHECK(v != NULL && v->n == 5);
	if (!v)
		return;
	int64_t x;
	CHECK_EQ_STR(v->items[0]->str, "123456789012345678901234567890"); /* kept exactly */
	CHECK_EQ_INT(wqi_json_int(v->items[0], INT64_MIN, INT64_MAX, &x), WQ_EINVAL);
	CHECK(v->items[1]->num > 1e308); /* inf */
	CHECK_EQ_INT(wqi_json_int(v->items[1], INT64_MIN, INT64_MAX, &x), WQ_EINVAL);
	CHECK_EQ_INT(wqi_json_int(v->items[3], INT64_MIN, INT64_MAX, &x), 0);
	CHECK(x == INT64_MAX);
	CHECK_EQ_INT(wqi_json_int(v->items[4], INT64_MIN, INT64_MAX, &x), WQ_EINVAL);
	wqi_json_delete(v);
	CHECK_EQ_STR(roundtrip("[1e999999]"), "[1e999999]");
	v = wqi_json_parse("[2.0, 2.5, 1e3, -7]", 19, 8, NULL, NULL);
	CHECK(v != NULL);
	CHECK_EQ_INT(wqi_json_int(v->items[0], 0, 10, &x), 0);
	CHECK_EQ_INT(x, 2);
	CHECK_EQ_INT(wqi_json_int(v->items[1], 0, 10, &x), WQ_EINVAL);
	CHECK_EQ_INT(wqi_json_int(v->items[2], 0, 10000, &x), 0);
	CHECK_EQ_INT(x, 1000);
	CHECK_EQ_INT(wqi_json_int(v->items[3], 0, 10, &x), WQ_EINVAL); /* out of range */
	wqi_json_delete(v);
}

static void test_escapes(void)
{
	const char *s = "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\"";
	struct wqi_json *v = wqi_json_parse(s, strlen(s), 8, NULL, NULL);
	CHECK(v != NULL && v->type == WQI_JSON_STRING);
	if (!v)
		return;
	const char want[] = "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
	CHECK_EQ_INT(v->len, sizeof want - 1);
	CHECK(memcmp(v->str, want, sizeof want - 1) == 0);
	wqi_json_delete(v);
	/* writing escapes what must be, and HTML's special characters */
	CHECK_EQ_STR(roundtrip(s), "\"a\\\"b\\\\c/d\\u0008\\u000c\\n\\r\\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u0000z\"");
	CHECK_EQ_STR(roundtrip("\"</script>&\""), "\"\\u003c/script\\u003e\\u0026\"");
	/* raw UTF-8 passes */
	CHECK_EQ_STR(roundtrip("\"h\xc3\xa9llo \xf0\x9f\x98\x80\""), "\"h\xc3\xa9llo \xf0\x9f\x98\x80\"");
}

static void test_truncated(void)
{
	const char *s = "{\"type\":\"wq_master\",\"a\":[1,2.5e3,true,null,\"\\u00e9\xc3\xa9\"],\"b\":{\"c\":false}}";
	size_t n = strlen(s);
	for (size_t k = 0; k < n; k++) {
		const char *why = NULL;
		int err = parse_err(s, k, 8, &why);
		CHECK_EQ_INT(err, WQ_EPROTO);
		if (err == WQ_EPROTO && strcmp(why, "unexpected end of input") != 0) {
			fprintf(stderr, "prefix %zu: %s\n", k, why);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(parse_err(s, n, 8, NULL), 0);
}

static void test_garbage(void)
{
	/* random bytes never crash it and never parse into something odd */
	unsigned seed = 12345;
	char s[256];
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof s);
		static const char alphabet[] = "{}[]\",:0123456789-+.eEtrufalsn\\u \xc3\xa9\x80\xff";
		for (size_t i = 0; i < n; i++)
			s[i] = (round & 1) ? (char)rand_r(&seed) : alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		int err = 0;
		struct wqi_json *v = wqi_json_parse(s, n, 16, &err, NULL);
		CHECK(v != NULL || err == WQ_EPROTO || err == WQ_ETOOBIG);
		if (v) {
			/* what parsed writes back as something that parses */
			struct wqi_buf b = WQI_BUF_INIT;
			CHECK_EQ_INT(wqi_json_write(&b, v), 0);
			struct wqi_json *w = wqi_json_parse(wqi_buf_head(&b), wqi_buf_used(&b), 16, NULL, NULL);
			CHECK(w != NULL);
			wqi_json_delete(w);
			wqi_buf_free(&b);
		}
		wqi_json_delete(v);
	}
}

static void test_scan(void)
{
	struct wqi_json_scan sc;
	const char *s = "  {\"a\":\"}\\\"]\",\"b\":[{}]}trailing";
	size_t end = strlen("  {\"a\":\"}\\\"]\",\"b\":[{}]}");
	/* fed one byte at a time */
	wqi_json_scan_init(&sc);
	int64_t r = 0;
	size_t i;
	for (i = 0; i < strlen(s) && r == 0; i++)
		r = wqi_json_scan_feed(&sc, s + i, 1);
	CHECK_EQ_INT(r, (int64_t)end);
	/* fed at once */
	wqi_json_scan_init(&sc);
	CHECK_EQ_INT(wqi_json_scan_feed(&sc, s, strlen(s)), (int64_t)end);
	/* incomplete */
	wqi_json_scan_init(&sc);
	CHECK_EQ_INT(wqi_json_scan_feed(&sc, s, end - 1), 0);
	/* not an object */
	wqi_json_scan_init(&sc);
	CHECK_EQ_INT(wqi_json_scan_feed(&sc, " x{}", 4), WQ_EPROTO);
}

static const struct wqi_test tests[] = {
	TEST(test_valid), TEST(test_invalid), TEST(test_depth), TEST(test_numbers),
	TEST(test_escapes), TEST(test_truncated), TEST(test_garbage), TEST(test_scan), { 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
