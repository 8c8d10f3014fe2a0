/*
 * fetch_test.c - URL parsing, HTTP response heads, %% expansion.
 */
#include <stdlib.h>
#include <string.h>

#include "testing.h"
#include "work_queue.h"
#include "worker/fetch.h"

static void test_url_parse(void)
{
	char host[64], path[64];
	int port;
	CHECK(wqi_wk_url_parse("http://example.org/a/b?c=1", host, sizeof host, &port, path, sizeof path) == 0);
	CHECK_EQ_STR(host, "example.org");
	CHECK_EQ_INT(port, 80);
	CHECK_EQ_STR(path, "/a/b?c=1");
	CHECK(wqi_wk_url_parse("HTTP://h:8080", host, sizeof host, &port, path, sizeof path) == 0);
	CHECK_EQ_STR(host, "h");
	CHECK_EQ_INT(port, 8080);
	CHECK_EQ_STR(path, "/");
	CHECK(wqi_wk_url_parse("http://h/x#frag", host, sizeof host, &port, path, sizeof path) == 0);
	CHECK_EQ_STR(path, "/x");
	CHECK(wqi_wk_url_parse("http://h?q", host, sizeof host, &port, path, sizeof path) == 0);
	CHECK_EQ_STR(path, "/?q");
	CHECK(wqi_wk_url_parse("https://h/", host, sizeof host, &port, path, sizeof path) == WQ_EINVAL);
	CHECK(wqi_wk_url_parse("ftp://h/", host, sizeof host, &port, path, sizeof path) == WQ_EINVAL);
	CHECK(wqi_wk_url_parse("http:///x", host, sizeof host, &port, path, sizeof path) == WQ_EINVAL);
	CHECK(wqi_wk_url_parse("http://h:0/", host, sizeof host, &port, path, sizeof path) == WQ_EINVAL);
	CHECK(wqi_wk_url_parse("http://h:99999/", host, sizeof host, &port, path, sizeof path) == WQ_EINVAL);
	CHECK(wqi_wk_url_parse("http://h/a b", host, sizeof host, &port, path, sizeof path) == WQ_EINVAL);
	CHECK(wqi_wk_url_parse("http://h/a\r\nX: y", host, sizeof host, &port, path, sizeof path) == WQ_EINVAL);
}

static void test_http_head(void)
{
	int status;
	int64_t len;
	const char *h = "HTTP/1.1 200 OK\r\nServer: x\r\ncontent-length:  1234\r\n\r\n";
	CHECK(wqi_wk_http_parse_head(h, strlen(h), &status, &len) == 0);
	CHECK_EQ_INT(status, 200);
	CHECK_EQ_INT(len, 1234);
	h = "HTTP/1.0 404 Not Found\r\n\r\n";
	CHECK(wqi_wk_http_parse_head(h, strlen(h), &status, &len) == 0);
	CHECK_EQ_INT(status, 404);
	CHECK_EQ_INT(len, -1);
	h = "HTTP/1.0 200 OK\r\nContent-Length: abc\r\n\r\n";
	CHECK(wqi_wk_http_parse_head(h, strlen(h), &status, &len) == WQ_EPROTO);
	h = "SSH-2.0-OpenSSH\r\n\r\n";
	CHECK(wqi_wk_http_parse_head(h, strlen(h), &status, &len) == WQ_EPROTO);
	CHECK(wqi_wk_http_parse_head("HTTP/1.", 7, &status, &len) == WQ_EPROTO);
}

static void test_expand(void)
{
	char *s = wqi_wk_fetch_expand("gen %% && cat %% > x; echo 100%", "/w/t");
	CHECK_EQ_STR(s, "gen /w/t && cat /w/t > x; echo 100%");
	free(s);
	s = wqi_wk_fetch_expand("", "/p");
	CHECK_EQ_STR(s, "");
	free(s);
	s = wqi_wk_fetch_expand("%%%", "P");
	CHECK_EQ_STR(s, "P%");
	free(s);
}

static const struct wqi_test tests[] = {
	TEST(test_url_parse),
	TEST(test_http_head),
	TEST(test_expand),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
