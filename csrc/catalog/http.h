/*
 * http.h - the little HTTP/1.0 the catalog server speaks (internal).
 *
 * Pure functions over buffers: find the end of a request head, parse its
 * request line, write a response head. No sockets here, so every odd
 * request can be unit tested. Only GET and HEAD are served; the server
 * answers once and closes (HTTP/1.0 semantics, keep-alive is not offered).
 */
#ifndef WQI_CAT_HTTP_H
#define WQI_CAT_HTTP_H

#include <stddef.h>

#include "buf.h"

#define WQI_HTTP_MAX_HEAD 8192  /* bytes in a request line plus headers */

struct wqi_http_req {
	int head_only;        /* HEAD: answer without a body */
	char path[256];       /* decoded path, without the query */
	int has_project;      /* the query had project=... */
	char project[1024];   /* decoded value of project= */
};

/* Length of the request head in p[0, n) including its blank line (CRLF CRLF,
 * or LF LF from sloppy clients), or 0 if it is not complete yet. */
size_t wqi_http_head_end(const char *p, size_t n);

/* Parse the request line at the start of a head. 0 if it is a GET or HEAD
 * we can serve, else the HTTP status to answer: 400 (malformed), 405 (another
 * method), 414 (a path or query too long), 505 (not HTTP/1.x). */
int wqi_http_parse(const char *p, size_t n, struct wqi_http_req *r);

/* Append a response head: status line, Content-Type, Content-Length,
 * Connection: close, no caching, Allow on 405. 0 or WQ_ENOMEM. */
int wqi_http_head(struct wqi_buf *b, int status, const char *content_type, size_t content_length);

/* "OK", "Not Found", ... */
const char *wqi_http_reason(int status);

#endif
