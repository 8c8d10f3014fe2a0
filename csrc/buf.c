/*
 * buf.c - growable byte buffers (see buf.h).
 *
 * Consumption only advances `off`; the live bytes are slid back to the start
 * of the allocation when an append needs room and sliding suffices, so a
 * buffer that is filled and drained in turn never grows without bound.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "work_queue.h"

#define BUF_MIN_CAP 256
#define BUF_SHRINK_ABOVE (64 * 1024)  /* idle buffers larger than this are freed */

void wqi_buf_init(struct wqi_buf *b)
{
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void wqi_buf_free(struct wqi_buf *b)
{
	free(b->data);
	wqi_buf_init(b);
}

/*
 * Make room for n more bytes after len. First slide live bytes to the front
 * if that alone makes room (cheap compared with a realloc, and keeps the
 * allocation steady under a produce/consume pattern); otherwise grow by
 * doubling so appends are amortised O(1).
 */
int wqi_buf_reserve(struct wqi_buf *b, size_t n)
{
	size_t used = b->len - b->off;
	if (b->cap - b->len >= n)
		return 0;
	if (used == 0) {
		b->off = b->len = 0;
		if (b->cap >= n)
			return 0;
	} else if (b->off > 0 && b->cap - used >= n) {
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
		return 0;
	}
	if (n > SIZE_MAX / 2 - used)
		return WQ_ENOMEM;
	size_t need = used + n;
	size_t cap = b->cap ? b->cap : BUF_MIN_CAP;
	while (cap < need)
		cap *= 2;
	if (b->off > 0) {
		/* slide first so realloc copies only live bytes */
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
	}
	char *d = realloc(b->data, cap);
	if (!d)
		return WQ_ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int wqi_buf_append(struct wqi_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	int rc = wqi_buf_reserve(b, n);
	if (rc < 0)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int wqi_buf_append_str(struct wqi_buf *b, const char *s)
{
	return wqi_buf_append(b, s, strlen(s));
}

/*
 * printf into the buffer: try the free space first, then reserve exactly what
 * vsnprintf said it needs and format again. The result is not NUL-counted in
 * len, but a NUL is always written after it (there is room for it).
 */
int wqi_buf_printf(struct wqi_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc = wqi_buf_reserve(b, 64);
	if (rc < 0)
		return rc;
	va_start(ap, fmt);
	int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return WQ_EINVAL;
	if ((size_t)n >= b->cap - b->len) {
		rc = wqi_buf_reserve(b, (size_t)n + 1);
		if (rc < 0)
			return rc;
		va_start(ap, fmt);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return WQ_EINVAL;
	}
	b->len += (size_t)n;
	return 0;
}

void wqi_buf_consume(struct wqi_buf *b, size_t n)
{
	size_t used = b->len - b->off;
	if (n >= used) {
		b->off = b->len = 0;
		return;
	}
	b->off += n;
}

void wqi_buf_clear(struct wqi_buf *b)
{
	b->off = b->len = 0;
}

void wqi_buf_shrink(struct wqi_buf *b)
{
	if (b->len == b->off && b->cap > BUF_SHRINK_ABOVE)
		wqi_buf_free(b);
}

int wqi_buf_put_u8(struct wqi_buf *b, uint8_t v)
{
	return wqi_buf_append(b, &v, 1);
}

int wqi_buf_put_u32(struct wqi_buf *b, uint32_t v)
{
	unsigned char p[4];
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return wqi_buf_append(b, p, 4);
}

int wqi_buf_put_u64(struct wqi_buf *b, uint64_t v)
{
	unsigned char p[8];
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
	return wqi_buf_append(b, p, 8);
}

/* A length-prefixed string; n must fit in a u32 (the caller checks limits). */
int wqi_buf_put_str(struct wqi_buf *b, const char *s, size_t n)
{
	if (n > UINT32_MAX)
		return WQ_EINVAL;
	int rc = wqi_buf_reserve(b, 4 + n);
	if (rc < 0)
		return rc;
	wqi_buf_put_u32(b, (uint32_t)n);
	if (n)
		wqi_buf_append(b, s, n);
	return 0;
}
