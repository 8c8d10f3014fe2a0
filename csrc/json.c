/*
 * json.c - strict JSON parser and writer (see json.h).
 *
 * A recursive-descent parser over a bounded input: the recursion depth is
 * capped by max_depth, so hostile nesting ends in an error, not a stack
 * overflow. Every allocation failure unwinds cleanly (the partial tree is
 * freed), so a parse of untrusted bytes either returns a whole tree or NULL.
 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "work_queue.h"

struct parser {
	const char *p;       /* input */
	size_t n;            /* input length */
	size_t i;            /* position */
	int max_depth;       /* nesting allowed */
	int err;             /* first error code */
	const char *why;     /* first error sentence */
};

static struct wqi_json *parse_value(struct parser *ps, int depth);

/* Record the first error only: later ones are consequences of it. */
static void fail(struct parser *ps, int err, const char *why)
{
	if (!ps->err) {
		ps->err = err;
		ps->why = why;
	}
}

static void skip_ws(struct parser *ps)
{
	while (ps->i < ps->n) {
		char c = ps->p[ps->i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		ps->i++;
	}
}

static struct wqi_json *new_value(struct parser *ps, enum wqi_json_type t)
{
	struct wqi_json *v = calloc(1, sizeof *v);
	if (!v)
		fail(ps, WQ_ENOMEM, "out of memory");
	else
		v->type = t;
	return v;
}

void wqi_json_delete(struct wqi_json *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		wqi_json_delete(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->key_lens);
	free(v->str);
	free(v);
}

/* Match a literal keyword (true, false, null) at the current position. */
static struct wqi_json *parse_word(struct parser *ps, const char *word, enum wqi_json_type t)
{
	size_t k = strlen(word);
	if (ps->n - ps->i < k) {
		if (memcmp(ps->p + ps->i, word, ps->n - ps->i) == 0)
			fail(ps, WQ_EPROTO, "unexpected end of input");
		else
			fail(ps, WQ_EPROTO, "unknown literal");
		return NULL;
	}
	if (memcmp(ps->p + ps->i, word, k) != 0) {
		fail(ps, WQ_EPROTO, "unknown literal");
		return NULL;
	}
	ps->i += k;
	return new_value(ps, t);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/*
 * Skip the digits at *i, of which a fraction or an exponent needs at least
 * one: 0, or -1 with the error recorded when there is none.
 */
static int skip_digits(struct parser *ps, size_t *i)
{
	size_t j = *i;
	if (j >= ps->n || !is_digit(ps->p[j])) {
		fail(ps, WQ_EPROTO, j >= ps->n ? "unexpected end of input" : "bad number");
		return -1;
	}
	while (j < ps->n && is_digit(ps->p[j]))
		j++;
	*i = j;
	return 0;
}

/*
 * A number per the JSON grammar. The literal is kept as text (so 2^70 or
 * 1e400 pass through unchanged) and converted with strtod for its value.
 */
static struct wqi_json *parse_number(struct parser *ps)
{
	size_t start = ps->i, i = ps->i;
	const char *p = ps->p;
	if (i < ps->n && p[i] == '-')
		i++;
	if (i >= ps->n) {
		fail(ps, WQ_EPROTO, "unexpected end of input");
		return NULL;
	}
	if (p[i] == '0') {
		i++;
	} else if (p[i] >= '1' && p[i] <= '9') {
		while (i < ps->n && is_digit(p[i]))
			i++;
	} else {
		fail(ps, WQ_EPROTO, "bad number");
		return NULL;
	}
	if (i < ps->n && p[i] == '.') {
		i++;
		if (skip_digits(ps, &i) < 0)
			return NULL;
	}
	if (i < ps->n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < ps->n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (skip_digits(ps, &i) < 0)
			return NULL;
	}
	struct wqi_json *v = new_value(ps, WQI_JSON_NUMBER);
	if (!v)
		return NULL;
	v->len = i - start;
	v->str = malloc(v->len + 1);
	if (!v->str) {
		free(v);
		fail(ps, WQ_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(v->str, p + start, v->len);
	v->str[v->len] = 0;
	v->num = strtod(v->str, NULL); /* ERANGE gives +-inf or 0: the text stays exact */
	ps->i = i;
	return v;
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int k = 0; k < 4; k++) {
		char c = p[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Append code point cp as UTF-8. */
static int put_utf8(struct wqi_buf *b, uint32_t cp)
{
	char u[4];
	size_t k;
	if (cp < 0x80) {
		u[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	return wqi_buf_append(b, u, k);
}

/*
 * Length of the valid UTF-8 sequence starting at p[0] (a byte >= 0x80),
 * or 0 if it is invalid: overlong forms, surrogates and code points past
 * U+10FFFF are refused, as RFC 3629 says.
 */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	size_t k;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < k)
		return 0;
	for (size_t j = 1; j < k; j++) {
		if ((p[j] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[j] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/*
 * A string literal (the opening quote at ps->i) decoded into a malloc'd
 * NUL-terminated copy; *len gets its byte length. NULL on error.
 */
static char *parse_string(struct parser *ps, size_t *len)
{
	struct wqi_buf b = WQI_BUF_INIT;
	const char *p = ps->p;
	size_t i = ps->i + 1;
	for (;;) {
		if (i >= ps->n) {
			fail(ps, WQ_EPROTO, "unexpected end of input");
			goto bad;
		}
		unsigned char c = (unsigned char)p[i];
		if (c == '"')
			break;
		if (c < 0x20) {
			fail(ps, WQ_EPROTO, "control character in a string");
			goto bad;
		}
		if (c == '\\') {
			if (i + 1 >= ps->n) {
				fail(ps, WQ_EPROTO, "unexpected end of input");
				goto bad;
			}
			char e = p[i + 1], out;
			i += 2;
			switch (e) {
			case '"': out = '"'; break;
			case '\\': out = '\\'; break;
			case '/': out = '/'; break;
			case 'b': out = '\b'; break;
			case 'f': out = '\f'; break;
			case 'n': out = '\n'; break;
			case 'r': out = '\r'; break;
			case 't': out = '\t'; break;
			case 'u': {
				uint32_t cp, lo;
				if (ps->n - i < 4) {
					fail(ps, WQ_EPROTO, "unexpected end of input");
					goto bad;
				}
				if (hex4(p + i, &cp) < 0) {
					fail(ps, WQ_EPROTO, "bad \\u escape");
					goto bad;
				}
				i += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					fail(ps, WQ_EPROTO, "lone surrogate in \\u escape");
					goto bad;
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (ps->n - i < 6) {
						fail(ps, WQ_EPROTO, ps->n - i == 0 ? "unexpected end of input" : "lone surrogate in \\u escape");
						goto bad;
					}
					if (p[i] != '\\' || p[i + 1] != 'u' || hex4(p + i + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
						fail(ps, WQ_EPROTO, "lone surrogate in \\u escape");
						goto bad;
					}
					i += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (put_utf8(&b, cp) < 0)
					goto nomem;
				continue;
			}
			default:
				fail(ps, WQ_EPROTO, "bad escape in a string");
				goto bad;
			}
			if (wqi_buf_append(&b, &out, 1) < 0)
				goto nomem;
			continue;
		}
		/* a run of plain bytes, copied at once */
		size_t start = i;
		while (i < ps->n) {
			c = (unsigned char)p[i];
			if (c == '"' || c == '\\' || c < 0x20)
				break;
			if (c < 0x80) {
				i++;
				continue;
			}
			size_t k = utf8_len((const unsigned char *)p + i, ps->n - i);
			if (k == 0) {
				fail(ps, WQ_EPROTO, i + 4 > ps->n && c >= 0xc2 ? "unexpected end of input" : "invalid UTF-8 in a string");
				goto bad;
			}
			i += k;
		}
		if (wqi_buf_append(&b, p + start, i - start) < 0)
			goto nomem;
	}
	if (wqi_buf_reserve(&b, 1) < 0)
		goto nomem;
	*len = wqi_buf_used(&b);
	b.data[b.len] = 0;
	ps->i = i + 1;
	if (b.off)
		memmove(b.data, b.data + b.off, *len + 1);
	return b.data;
nomem:
	fail(ps, WQ_ENOMEM, "out of memory");
bad:
	wqi_buf_free(&b);
	return NULL;
}

/* Grow an array/object's item arrays to hold one more entry. */
static int grow(struct parser *ps, struct wqi_json *v, size_t *cap, int with_keys)
{
	if (v->n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 4;
	struct wqi_json **items = realloc(v->items, nc * sizeof *items);
	if (!items)
		goto nomem;
	v->items = items;
	if (with_keys) {
		char **keys = realloc(v->keys, nc * sizeof *keys);
		if (!keys)
			goto nomem;
		v->keys = keys;
		size_t *kl = realloc(v->key_lens, nc * sizeof *kl);
		if (!kl)
			goto nomem;
		v->key_lens = kl;
	}
	*cap = nc;
	return 0;
nomem:
	fail(ps, WQ_ENOMEM, "out of memory");
	return -1;
}

/* An array or object (the bracket at ps->i); depth is its own nesting level. */
static struct wqi_json *parse_container(struct parser *ps, int depth, int is_obj)
{
	if (depth > ps->max_depth) {
		fail(ps, WQ_ETOOBIG, "nested too deeply");
		return NULL;
	}
	struct wqi_json *v = new_value(ps, is_obj ? WQI_JSON_OBJECT : WQI_JSON_ARRAY);
	if (!v)
		return NULL;
	char close = is_obj ? '}' : ']';
	size_t cap = 0;
	ps->i++;
	skip_ws(ps);
	if (ps->i < ps->n && ps->p[ps->i] == close) {
		ps->i++;
		return v;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->i >= ps->n) {
			fail(ps, WQ_EPROTO, "unexpected end of input");
			goto bad;
		}
		if (grow(ps, v, &cap, is_obj) < 0)
			goto bad;
		char *key = NULL;
		size_t klen = 0;
		if (is_obj) {
			if (ps->p[ps->i] != '"') {
				fail(ps, WQ_EPROTO, "expected a string key");
				goto bad;
			}
			key = parse_string(ps, &klen);
			if (!key)
				goto bad;
			skip_ws(ps);
			if (ps->i >= ps->n || ps->p[ps->i] != ':') {
				free(key);
				fail(ps, WQ_EPROTO, ps->i >= ps->n ? "unexpected end of input" : "expected ':'");
				goto bad;
			}
			ps->i++;
		}
		struct wqi_json *item = parse_value(ps, depth);
		if (!item) {
			free(key);
			goto bad;
		}
		v->items[v->n] = item;
		if (is_obj) {
			v->keys[v->n] = key;
			v->key_lens[v->n] = klen;
		}
		v->n++;
		skip_ws(ps);
		if (ps->i >= ps->n) {
			fail(ps, WQ_EPROTO, "unexpected end of input");
			goto bad;
		}
		char c = ps->p[ps->i++];
		if (c == close)
			return v;
		if (c != ',') {
			fail(ps, WQ_EPROTO, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
			goto bad;
		}
	}
bad:
	wqi_json_delete(v);
	return NULL;
}

/* Any value at the current position (after white space). depth = levels open around it. */
static struct wqi_json *parse_value(struct parser *ps, int depth)
{
	skip_ws(ps);
	if (ps->i >= ps->n) {
		fail(ps, WQ_EPROTO, "unexpected end of input");
		return NULL;
	}
	char c = ps->p[ps->i];
	switch (c) {
	case '{': return parse_container(ps, depth + 1, 1);
	case '[': return parse_container(ps, depth + 1, 0);
	case '"': {
		size_t len;
		char *s = parse_string(ps, &len);
		if (!s)
			return NULL;
		struct wqi_json *v = new_value(ps, WQI_JSON_STRING);
		if (!v) {
			free(s);
			return NULL;
		}
		v->str = s;
		v->len = len;
		return v;
	}
	case 't': return parse_word(ps, "true", WQI_JSON_TRUE);
	case 'f': return parse_word(ps, "false", WQI_JSON_FALSE);
	case 'n': return parse_word(ps, "null", WQI_JSON_NULL);
	default:
		if (c == '-' || is_digit(c))
			return parse_number(ps);
		fail(ps, WQ_EPROTO, "unexpected character");
		return NULL;
	}
}

struct wqi_json *wqi_json_parse(const char *p, size_t n, int max_depth, int *err, const char **why)
{
	struct parser ps = { p, n, 0, max_depth, 0, NULL };
	struct wqi_json *v = p ? parse_value(&ps, 0) : NULL;
	if (!p)
		fail(&ps, WQ_EINVAL, "no input");
	if (v) {
		skip_ws(&ps);
		if (ps.i != ps.n) {
			fail(&ps, WQ_EPROTO, "trailing characters after the value");
			wqi_json_delete(v);
			v = NULL;
		}
	}
	if (err)
		*err = v ? 0 : ps.err;
	if (why)
		*why = v ? NULL : ps.why;
	return v;
}

const struct wqi_json *wqi_json_get(const struct wqi_json *obj, const char *key)
{
	if (!obj || obj->type != WQI_JSON_OBJECT)
		return NULL;
	size_t kl = strlen(key);
	for (size_t i = obj->n; i-- > 0;)
		if (obj->key_lens[i] == kl && memcmp(obj->keys[i], key, kl) == 0)
			return obj->items[i];
	return NULL;
}

const char *wqi_json_get_str(const struct wqi_json *obj, const char *key)
{
	const struct wqi_json *v = wqi_json_get(obj, key);
	return v && v->type == WQI_JSON_STRING ? v->str : NULL;
}

/*
 * An integer from a number. A plain integer literal is read exactly with
 * strtoll (doubles lose precision past 2^53); a literal with a fraction or
 * exponent counts if its value is integral and within +-2^53.
 */
int wqi_json_int(const struct wqi_json *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (!v || v->type != WQI_JSON_NUMBER)
		return WQ_EINVAL;
	int64_t x;
	if (strpbrk(v->str, ".eE") == NULL) {
		char *end;
		errno = 0;
		long long t = strtoll(v->str, &end, 10);
		if (errno || *end)
			return WQ_EINVAL;
		x = t;
	} else {
		if (!isfinite(v->num) || v->num != floor(v->num) || fabs(v->num) > 9007199254740992.0)
			return WQ_EINVAL;
		x = (int64_t)v->num;
	}
	if (x < lo || x > hi)
		return WQ_EINVAL;
	*out = x;
	return 0;
}

int wqi_json_write_string(struct wqi_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (wqi_buf_reserve(b, n + 2) < 0 || wqi_buf_append(b, "\"", 1) < 0)
		return WQ_ENOMEM;
	size_t run = 0; /* start of the pending run of bytes copied as they are */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
				u[4] = hex[c >> 4]; u[5] = hex[c & 15];
				esc = u;
			}
		}
		if (!esc)
			continue;
		if (wqi_buf_append(b, s + run, i - run) < 0)
			return WQ_ENOMEM;
		if (wqi_buf_append(b, esc, esc == u ? 6 : strlen(esc)) < 0)
			return WQ_ENOMEM;
		run = i + 1;
	}
	if (wqi_buf_append(b, s + run, n - run) < 0 || wqi_buf_append(b, "\"", 1) < 0)
		return WQ_ENOMEM;
	return 0;
}

int wqi_json_write(struct wqi_buf *b, const struct wqi_json *v)
{
	switch (v->type) {
	case WQI_JSON_NULL: return wqi_buf_append(b, "null", 4);
	case WQI_JSON_FALSE: return wqi_buf_append(b, "false", 5);
	case WQI_JSON_TRUE: return wqi_buf_append(b, "true", 4);
	case WQI_JSON_NUMBER: return wqi_buf_append(b, v->str, v->len);
	case WQI_JSON_STRING: return wqi_json_write_string(b, v->str, v->len);
	case WQI_JSON_ARRAY:
	case WQI_JSON_OBJECT: {
		int obj = v->type == WQI_JSON_OBJECT;
		if (wqi_buf_append(b, obj ? "{" : "[", 1) < 0)
			return WQ_ENOMEM;
		for (size_t i = 0; i < v->n; i++) {
			if (i && wqi_buf_append(b, ",", 1) < 0)
				return WQ_ENOMEM;
			if (obj && (wqi_json_write_string(b, v->keys[i], v->key_lens[i]) < 0 || wqi_buf_append(b, ":", 1) < 0))
				return WQ_ENOMEM;
			if (wqi_json_write(b, v->items[i]) < 0)
				return WQ_ENOMEM;
		}
		return wqi_buf_append(b, obj ? "}" : "]", 1);
	}
	}
	return WQ_EINVAL;
}

void wqi_json_scan_init(struct wqi_json_scan *s)
{
	memset(s, 0, sizeof *s);
}

/*
 * Track brackets outside strings; inside strings only quotes and
 * backslashes matter. Malformed content between the brackets is left for
 * the parser to find: the scanner only says where the value ends.
 */
int64_t wqi_json_scan_feed(struct wqi_json_scan *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		s->offset++;
		if (!s->started) {
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				continue;
			if (c != '{' && c != '[')
				return WQ_EPROTO;
			s->started = 1;
			s->depth = 1;
			continue;
		}
		if (s->in_string) {
			if (s->escaped)
				s->escaped = 0;
			else if (c == '\\')
				s->escaped = 1;
			else if (c == '"')
				s->in_string = 0;
			continue;
		}
		if (c == '"') {
			s->in_string = 1;
		} else if (c == '{' || c == '[') {
			if (s->depth == UINT32_MAX)
				return WQ_EPROTO;
			s->depth++;
		} else if (c == '}' || c == ']') {
			if (--s->depth == 0)
				return (int64_t)s->offset;
		}
	}
	return 0;
}
