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

/*
 * The field writers below are on the hot path of every frame (a TASK has a
 * dozen fields): they check the free space once and store in place rather
 * than going through wqi_buf_append with a temporary array. The byte-wise
 * little-endian stores, written out, are merged by the compiler into one
 * store on little-endian machines and stay correct on the others.
 */
static inline void store_le32(char *d, uint32_t v)
{
	unsigned char *p = (unsigned char *)d;
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline void store_le64(char *d, uint64_t v)
{
	store_le32(d, (uint32_t)v);
	store_le32(d + 4, (uint32_t)(v >> 32));
}

int wqi_buf_put_u8(struct wqi_buf *b, uint8_t v)
{
	if (b->cap - b->len < 1 && wqi_buf_reserve(b, 1) < 0)
		return WQ_ENOMEM;
	b->data[b->len++] = (char)v;
	return 0;
}

int wqi_buf_put_u32(struct wqi_buf *b, uint32_t v)
{
	if (b->cap - b->len < 4 && wqi_buf_reserve(b, 4) < 0)
		return WQ_ENOMEM;
	store_le32(b->data + b->len, v);
	b->len += 4;
	return 0;
}

int wqi_buf_put_u64(struct wqi_buf *b, uint64_t v)
{
	if (b->cap - b->len < 8 && wqi_buf_reserve(b, 8) < 0)
		return WQ_ENOMEM;
	store_le64(b->data + b->len, v);
	b->len += 8;
	return 0;
}

/* A length-prefixed string; n must fit in a u32 (the caller checks limits). */
int wqi_buf_put_str(struct wqi_buf *b, const char *s, size_t n)
{
	if (n > UINT32_MAX)
		return WQ_EINVAL;
	if (b->cap - b->len < 4 + n && wqi_buf_reserve(b, 4 + n) < 0)
		return WQ_ENOMEM;
	store_le32(b->data + b->len, (uint32_t)n);
	if (n)
		memcpy(b->data + b->len + 4, s, n);
	b->len += 4 + n;
	return 0;
}
