/*
 * http_test.c - unit tests of the catalog server's HTTP parsing.
 */
#include <string.h>

#include "catalog/http.h"
#include "testing.h"

static int parse(const char *s, struct wqi_http_req *r)
{
	return wqi_http_parse(s, strlen(s), r);
}

static void test_head_end(void)
{
	CHECK_EQ_INT(wqi_http_head_end("GET / HTTP/1.0\r\n\r\nxyz", 21), 18);
	CHECK_EQ_INT(wqi_http_head_end("GET / HTTP/1.0\n\nxyz", 19), 16);
	CHECK_EQ_INT(wqi_http_head_end("GET / HTTP/1.0\r\nHost: a\r\n", 25), 0);
	CHECK_EQ_INT(wqi_http_head_end("GET / HTTP/1.0\r\n\r", 17), 0);
	CHECK_EQ_INT(wqi_http_head_end("", 0), 0);
}

static void test_parse(void)
{
	struct wqi_http_req r;
	CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
	CHECK_EQ_STR(r.path, "/");
	CHECK(!r.head_only && !r.has_project);
	CHECK_EQ_INT(parse("HEAD /query.json HTTP/1.0\r\n\r\n", &r), 0);
	CHECK(r.head_only);
	CHECK_EQ_STR(r.path, "/query.json");
	CHECK_EQ_INT(parse("GET /query.json?x=1&project=my+proj%2Fa&y HTTP/1.0\n\n", &r), 0);
	CHECK(r.has_project);
	CHECK_EQ_STR(r.project, "my proj/a");
	CHECK_EQ_INT(parse("GET /query.json?project= HTTP/1.0\n\n", &r), 0);
	CHECK(r.has_project);
	CHECK_EQ_STR(r.project, "");
	CHECK_EQ_INT(parse("GET /a%2e%2Fb HTTP/1.0\n\n", &r), 0);
	CHECK_EQ_STR(r.path, "/a./b");
}

static void test_errors(void)
{
	struct wqi_http_req r;
	CHECK_EQ_INT(parse("POST /query.json HTTP/1.0\r\n\r\n", &r), 405);
	CHECK_EQ_INT(parse("DELETE / HTTP/1.1\r\n\r\n", &r), 405);
	CHECK_EQ_INT(parse("GET / HTTP/2.0\r\n\r\n", &r), 505);
	CHECK_EQ_INT(parse("GET / HTTP/1.0 extra\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GET /\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GET  / HTTP/1.0\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("get / HTTP/1.0\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GET x HTTP/1.0\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GET /%zz HTTP/1.0\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GET /%4 HTTP/1.0\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GET /%00 HTTP/1.0\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GET /?project=%ZZ HTTP/1.0\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GET /\x01 HTTP/1.0\r\n\r\n", &r), 400);
	CHECK_EQ_INT(parse("GARBAGE", &r), 400);
	char longpath[600];
	memset(longpath, 0, sizeof longpath);
	strcpy(longpath, "GET /");
	memset(longpath + 5, 'a', 400);
	strcat(longpath, " HTTP/1.0\r\n\r\n");
	CHECK_EQ_INT(parse(longpath, &r), 414);
}

static void test_response_head(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_http_head(&b, 405, "text/plain", 3), 0);
	wqi_buf_append(&b, "", 1);
	CHECK(strncmp(wqi_buf_head(&b), "HTTP/1.0 405 Method Not Allowed\r\n", 33) == 0);
	CHECK(strstr(wqi_buf_head(&b), "Content-Length: 3\r\n") != NULL);
	CHECK(strstr(wqi_buf_head(&b), "Allow: GET, HEAD\r\n") != NULL);
	CHECK(strstr(wqi_buf_head(&b), "\r\n\r\n") != NULL);
	wqi_buf_free(&b);
}

static const struct wqi_test tests[] = {
	TEST(test_head_end), TEST(test_parse), TEST(test_errors), TEST(test_response_head), { 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
