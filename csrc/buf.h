/*
 * buf.h - growable byte buffers (internal).
 *
 * A wqi_buf holds bytes [off, len) of data[0, cap). Appends grow the
 * allocation on demand (doubling); consuming from the front only moves off,
 * and the bytes are slid down lazily when space is needed at the end.
 * wqi_buf_shrink() gives memory back when a buffer has gone idle, so 10,000
 * idle links cost little.
 *
 * Errors: functions returning int give 0 or -WQ_ENOMEM. Nothing here blocks.
 */
#ifndef WQI_BUF_H
#define WQI_BUF_H

#include <stddef.h>
#include <stdint.h>

struct wqi_buf {
	char *data;   /* allocation, NULL until first use */
	size_t off;   /* start of unconsumed bytes */
	size_t len;   /* end of valid bytes */
	size_t cap;   /* size of the allocation */
};

#define WQI_BUF_INIT { NULL, 0, 0, 0 }

void wqi_buf_init(struct wqi_buf *b);
void wqi_buf_free(struct wqi_buf *b);              /* frees the allocation, buffer reusable */
static inline size_t wqi_buf_used(const struct wqi_buf *b) { return b->len - b->off; }
static inline char *wqi_buf_head(const struct wqi_buf *b) { return b->data + b->off; }
int wqi_buf_reserve(struct wqi_buf *b, size_t n);  /* ensure n free bytes at the end */
static inline char *wqi_buf_tail(const struct wqi_buf *b) { return b->data + b->len; }
static inline size_t wqi_buf_avail(const struct wqi_buf *b) { return b->cap - b->len; }
static inline void wqi_buf_commit(struct wqi_buf *b, size_t n) { b->len += n; } /* after writing n bytes at tail */
int wqi_buf_append(struct wqi_buf *b, const void *p, size_t n);
int wqi_buf_append_str(struct wqi_buf *b, const char *s);
int wqi_buf_printf(struct wqi_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wqi_buf_consume(struct wqi_buf *b, size_t n); /* drop n bytes from the front */
void wqi_buf_clear(struct wqi_buf *b);             /* drop everything, keep allocation */
void wqi_buf_shrink(struct wqi_buf *b);            /* free the allocation if empty and large */

/* Little-endian field helpers used by proto.c */
int wqi_buf_put_u8(struct wqi_buf *b, uint8_t v);
int wqi_buf_put_u32(struct wqi_buf *b, uint32_t v);
int wqi_buf_put_u64(struct wqi_buf *b, uint64_t v);
int wqi_buf_put_str(struct wqi_buf *b, const char *s, size_t n); /* u32 length + bytes */

#endif
