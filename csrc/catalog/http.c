/*
 * http.c - request parsing and response heads for the catalog server (see http.h).
 */
#include "http.h"

#include <stdio.h>
#include <string.h>

#include "work_queue.h"

size_t wqi_http_head_end(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s[0, n) into out (size cap), '+' as a space when plus is
 * set (query strings). NUL bytes and bad escapes are refused. 0, 400 or 414.
 */
static int url_decode(const char *s, size_t n, char *out, size_t cap, int plus)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return 400;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return 400;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (k + 1 >= cap)
			return 414;
		out[k++] = c;
	}
	out[k] = 0;
	return 0;
}

/* Find project=VALUE among the &-separated parameters of a query string;
 * other parameters are ignored. 0, 400 or 414. */
static int parse_query(const char *q, size_t n, struct wqi_http_req *r)
{
	size_t i = 0;
	while (i <= n) {
		size_t j = i;
		while (j < n && q[j] != '&')
			j++;
		const char *eq = memchr(q + i, '=', j - i);
		if (eq && (size_t)(eq - (q + i)) == 7 && memcmp(q + i, "project", 7) == 0) {
			int rc = url_decode(eq + 1, (size_t)(q + j - (eq + 1)), r->project, sizeof r->project, 1);
			if (rc)
				return rc;
			r->has_project = 1;
		}
		i = j + 1;
	}
	return 0;
}

int wqi_http_parse(const char *p, size_t n, struct wqi_http_req *r)
{
	memset(r, 0, sizeof *r);
	const char *eol = memchr(p, '\n', n);
	if (!eol)
		return 400;
	size_t len = (size_t)(eol - p);
	if (len > 0 && p[len - 1] == '\r')
		len--;
	/* METHOD SP TARGET SP HTTP/1.x, nothing else */
	const char *sp1 = memchr(p, ' ', len);
	if (!sp1 || sp1 == p)
		return 400;
	size_t mlen = (size_t)(sp1 - p);
	for (size_t i = 0; i < mlen; i++)
		if (p[i] < 'A' || p[i] > 'Z')
			return 400;
	const char *target = sp1 + 1;
	const char *sp2 = memchr(target, ' ', len - (size_t)(target - p));
	if (!sp2 || sp2 == target)
		return 400;
	const char *ver = sp2 + 1;
	size_t vlen = len - (size_t)(ver - p);
	if (memchr(ver, ' ', vlen))
		return 400;
	if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0)
		return vlen >= 5 && memcmp(ver, "HTTP/", 5) == 0 ? 505 : 400;
	if (ver[7] != '0' && ver[7] != '1')
		return 505;
	size_t tlen = (size_t)(sp2 - target);
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
			return 400;
	if (mlen == 4 && memcmp(p, "HEAD", 4) == 0)
		r->head_only = 1;
	else if (!(mlen == 3 && memcmp(p, "GET", 3) == 0))
		return 405;
	if (target[0] != '/')
		return 400;
	const char *qm = memchr(target, '?', tlen);
	size_t plen = qm ? (size_t)(qm - target) : tlen;
	int rc = url_decode(target, plen, r->path, sizeof r->path, 0);
	if (rc)
		return rc;
	if (qm)
		return parse_query(qm + 1, tlen - plen - 1, r);
	return 0;
}

const char *wqi_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

int wqi_http_head(struct wqi_buf *b, int status, const char *content_type, size_t content_length)
{
	int rc = wqi_buf_printf(b,
		"HTTP/1.0 %d %s\r\n"
		"Server: wq_catalog_server/%s\r\n"
		"Content-Type: %s\r\n"
		"Content-Length: %zu\r\n"
		"Cache-Control: no-store\r\n"
		"Access-Control-Allow-Origin: *\r\n"
		"%s"
		"Connection: close\r\n\r\n",
		status, wqi_http_reason(status), work_queue_version(), content_type, content_length,
		status == 405 ? "Allow: GET, HEAD\r\n" : "");
	return rc < 0 ? WQ_ENOMEM : 0;
}
