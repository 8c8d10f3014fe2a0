/*
 * json.h - a small, strict JSON parser and writer (internal).
 *
 * Used by the catalog server to read masters' advertisements, and meant for
 * the master's advertiser and status answers later. RFC 8259 grammar, no
 * extensions: no comments, no trailing commas, no NaN, no leading zeros.
 * Strings must be valid UTF-8; \u escapes are decoded (surrogate pairs
 * joined, a lone surrogate is an error). A number keeps its literal text as
 * well as its double value, so huge numbers pass through unchanged.
 *
 * Limits: the caller bounds the input size; nesting deeper than max_depth is
 * refused (WQ_ETOOBIG) before it can exhaust the stack. Objects keep their
 * members in order; duplicate keys are kept, and wqi_json_get() returns the
 * last one (the usual "last wins").
 *
 * Ownership: wqi_json_parse() returns a tree owned by the caller, freed with
 * wqi_json_delete(). Nothing here blocks. Errors: NULL with *err set to
 * WQ_EPROTO (malformed or truncated), WQ_ETOOBIG (too deep) or WQ_ENOMEM,
 * and *why to a static sentence.
 */
#ifndef WQI_JSON_H
#define WQI_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WQI_JSON_MAX_DEPTH 64  /* a sensible max_depth for untrusted input */

enum wqi_json_type {
	WQI_JSON_NULL,
	WQI_JSON_FALSE,
	WQI_JSON_TRUE,
	WQI_JSON_NUMBER,
	WQI_JSON_STRING,
	WQI_JSON_ARRAY,
	WQI_JSON_OBJECT
};

struct wqi_json {
	enum wqi_json_type type;   /* which of the fields below are used */
	double num;                /* NUMBER: value (may be +-inf for huge literals) */
	char *str;                 /* NUMBER: literal text; STRING: decoded UTF-8, NUL-terminated */
	size_t len;                /* STRING/NUMBER: bytes in str (a string may hold \u0000) */
	struct wqi_json **items;   /* ARRAY/OBJECT: n values */
	char **keys;               /* OBJECT: n keys (decoded, NUL-terminated) */
	size_t *key_lens;          /* OBJECT: byte length of each key */
	size_t n;                  /* ARRAY/OBJECT: number of items */
};

/* Parse exactly one JSON value from p[0, n) (surrounding white space allowed). */
struct wqi_json *wqi_json_parse(const char *p, size_t n, int max_depth, int *err, const char **why);
void wqi_json_delete(struct wqi_json *v);

/* The member named key of an object (the last one if repeated), or NULL. */
const struct wqi_json *wqi_json_get(const struct wqi_json *obj, const char *key);
/* The string member key: its text, or NULL if absent or not a string. */
const char *wqi_json_get_str(const struct wqi_json *obj, const char *key);
/* A number as an integer: 0 and *out set if v is a NUMBER with an integral
 * value in [lo, hi]; WQ_EINVAL otherwise. */
int wqi_json_int(const struct wqi_json *v, int64_t lo, int64_t hi, int64_t *out);

/* Append v as compact JSON. 0 or WQ_ENOMEM. */
int wqi_json_write(struct wqi_buf *b, const struct wqi_json *v);
/* Append s[0, n) as a JSON string literal with quotes. Control characters,
 * '"', '\\', and '<', '>', '&' (so the text is safe inside HTML) are escaped;
 * other bytes are copied. 0 or WQ_ENOMEM. */
int wqi_json_write_string(struct wqi_buf *b, const char *s, size_t n);

/*
 * Find where one JSON object or array ends in a stream that arrives in
 * pieces, without parsing it (for TCP framing). Feed each new piece in order;
 * the scanner tracks nesting and strings, and only brackets count, so the
 * cost is linear in the bytes fed.
 */
struct wqi_json_scan {
	int started;     /* the opening bracket was seen */
	int in_string;   /* inside a string literal */
	int escaped;     /* the previous byte was a backslash inside a string */
	uint32_t depth;  /* open brackets */
	size_t offset;   /* bytes fed so far */
};
void wqi_json_scan_init(struct wqi_json_scan *s);
/* Feed p[0, n). Returns the total stream length up to and including the
 * closing bracket once the value is complete (> 0), 0 if more is needed, or
 * WQ_EPROTO if the stream does not start (after white space) with '{' or '['. */
int64_t wqi_json_scan_feed(struct wqi_json_scan *s, const char *p, size_t n);

#endif
