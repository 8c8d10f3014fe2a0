/*
 * proto.c - encode/decode of every message of docs/protocol.md (see proto.h).
 *
 * Encoders write a frame header with a placeholder length, append the fields,
 * then patch the length; on any failure the buffer is rolled back to where it
 * was, so a caller never sends half a frame. Decoders read through a bounds-
 * checked cursor that turns every short read into a sticky error, and finish
 * by checking that no byte is left over.
 *
 * What the decoders check, beyond the field encodings:
 *  - every str <= WQI_STR_MAX with no NUL; every list count <= WQI_LIST_MAX;
 *  - every streamed size (OUTPUT.size, PUT.size, RESULT.output_size)
 *    <= WQI_STREAM_MAX;
 *  - cachenames (PUT, PUT_END, UNLINK, CACHE_FAIL, TASK inputs) are single-
 *    component names; an EMPTY_DIR input's cachename must be empty;
 *  - PUT.path and OUTPUT.path are "" or a relative name;
 *  - kinds: PUT is FILE or DIR, OUTPUT any of the four; input sources 1..4
 *    (otherwise the receiver could not know whether a stream follows or what
 *    to do with the input, so the peer speaks another protocol);
 *  - TASK remote names are NOT checked here: they are returned as they are
 *    so the worker can fail that one task (result 1 or 2) and keep the
 *    connection.
 */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

#include "work_queue.h"

/* ---- the message table ---- */

static const char *const msg_names[256] = {
	[WQI_MSG_HELLO] = "HELLO",
	[WQI_MSG_OUTPUT] = "OUTPUT",
	[WQI_MSG_RESULT] = "RESULT",
	[WQI_MSG_ALIVE] = "ALIVE",
	[WQI_MSG_BYE] = "BYE",
	[WQI_MSG_CACHE_FAIL] = "CACHE_FAIL",
	[WQI_MSG_WELCOME] = "WELCOME",
	[WQI_MSG_REJECT] = "REJECT",
	[WQI_MSG_PUT] = "PUT",
	[WQI_MSG_PUT_END] = "PUT_END",
	[WQI_MSG_TASK] = "TASK",
	[WQI_MSG_KILL] = "KILL",
	[WQI_MSG_KEEPALIVE] = "KEEPALIVE",
	[WQI_MSG_EXIT] = "EXIT",
	[WQI_MSG_UNLINK] = "UNLINK",
};

const char *wqi_proto_msg_name(uint8_t type)
{
	return msg_names[type];
}

char *wqi_str_dup(struct wqi_str s)
{
	char *r = malloc((size_t)s.n + 1);
	if (!r)
		return NULL;
	if (s.n)
		memcpy(r, s.p, s.n);
	r[s.n] = '\0';
	return r;
}

/* ---- preamble, classification, framing ---- */

int wqi_proto_put_preamble(struct wqi_buf *b)
{
	const char p[WQI_PREAMBLE_LEN] = { 'W', 'Q', (char)(WQI_PROTO_VERSION & 0xff), (char)(WQI_PROTO_VERSION >> 8) };
	return wqi_buf_append(b, p, sizeof p);
}

/*
 * Decide what kind of peer sent the first n bytes. Each known opening is a
 * fixed prefix; while the bytes seen so far are a prefix of some opening we
 * need more, and as soon as they match none the peer is UNKNOWN (so garbage
 * is refused after its first byte, without waiting).
 */
enum wqi_peer wqi_proto_classify(const char *p, size_t n, uint16_t *version)
{
	static const struct {
		const char *open;
		size_t len;
		enum wqi_peer peer;
	} openings[] = {
		{ "WQ", 2, WQI_PEER_WORKER },
		{ "GET ", 4, WQI_PEER_HTTP },
		{ "HEAD", 4, WQI_PEER_HTTP },
		{ "POST", 4, WQI_PEER_HTTP },
		{ "\x16", 1, WQI_PEER_TLS },
	};
	int need_more = 0;
	if (n == 0)
		return WQI_PEER_NEED_MORE;
	for (size_t i = 0; i < sizeof openings / sizeof openings[0]; i++) {
		size_t k = n < openings[i].len ? n : openings[i].len;
		if (memcmp(p, openings[i].open, k) != 0)
			continue;
		if (n < openings[i].len) {
			need_more = 1;
			continue;
		}
		if (openings[i].peer == WQI_PEER_WORKER) {
			if (n < WQI_PREAMBLE_LEN)
				return WQI_PEER_NEED_MORE;
			if (version)
				*version = (uint16_t)((unsigned char)p[2] | ((unsigned char)p[3] << 8));
		}
		return openings[i].peer;
	}
	return need_more ? WQI_PEER_NEED_MORE : WQI_PEER_UNKNOWN;
}

static uint32_t rd_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/*
 * Is a whole frame at the head of b? Only the length is judged here; the
 * type is the caller's to dispatch (an unknown type is its protocol error).
 */
int wqi_proto_frame(const struct wqi_buf *b, uint8_t *type, const char **payload, size_t *plen, size_t *frame_len)
{
	size_t used = wqi_buf_used(b);
	if (used < 4)
		return 0;
	const unsigned char *h = (const unsigned char *)wqi_buf_head(b);
	uint32_t len = rd_le32(h);
	if (len == 0 || len > WQI_FRAME_MAX)
		return WQ_EPROTO;
	if (used - 4 < len)
		return 0;
	*type = h[4];
	*payload = (const char *)h + 5;
	*plen = len - 1;
	*frame_len = (size_t)len + 4;
	return 1;
}

/*
 * Name rules. Refused: empty, longer than WQI_NAME_MAX, a NUL byte, a leading
 * '/', and any component that is "..", "." or empty ("a//b", "a/" with its
 * trailing slash). Refusing "." and empty components keeps names canonical
 * (one spelling per path) and keeps "." from naming the sandbox or cache
 * directory itself; they add no expressive power. Components that merely
 * contain dots ("..a", "a..", ".hidden") are fine. With !allow_slash the name
 * must be one component.
 */
int wqi_proto_name_ok(const char *p, size_t n, int allow_slash)
{
	if (!p || n == 0 || n > WQI_NAME_MAX)
		return 0;
	if (memchr(p, '\0', n))
		return 0;
	size_t i = 0;
	while (i <= n) {
		size_t j = i;
		while (j < n && p[j] != '/')
			j++;
		size_t clen = j - i;
		if (clen == 0)
			return 0;  /* leading '/', "//" or trailing '/' */
		if (clen == 1 && p[i] == '.')
			return 0;
		if (clen == 2 && p[i] == '.' && p[i + 1] == '.')
			return 0;
		if (j < n && !allow_slash)
			return 0;
		i = j + 1;
	}
	return 1;
}

/* ---- encoding ---- */

struct enc {
	struct wqi_buf *b;
	size_t start;   /* frame start, relative to b->off (survives slides and reallocs) */
	int err;        /* first error, sticky */
};

static void enc_begin(struct enc *e, struct wqi_buf *b, uint8_t type)
{
	e->b = b;
	e->start = wqi_buf_used(b);
	e->err = wqi_buf_reserve(b, 64);
	if (!e->err)
		e->err = wqi_buf_put_u32(b, 0);
	if (!e->err)
		e->err = wqi_buf_put_u8(b, type);
}

static void e_u8(struct enc *e, uint8_t v)
{
	if (!e->err)
		e->err = wqi_buf_put_u8(e->b, v);
}

static void e_u32(struct enc *e, uint32_t v)
{
	if (!e->err)
		e->err = wqi_buf_put_u32(e->b, v);
}

static void e_u64(struct enc *e, uint64_t v)
{
	if (!e->err)
		e->err = wqi_buf_put_u64(e->b, v);
}

static void e_i32(struct enc *e, int32_t v) { e_u32(e, (uint32_t)v); }
static void e_i64(struct enc *e, int64_t v) { e_u64(e, (uint64_t)v); }

/* A str field; refuses what a decoder would refuse (too long, a NUL inside). */
static void e_str(struct enc *e, struct wqi_str s)
{
	if (e->err)
		return;
	if (s.n > WQI_STR_MAX || (s.n && (!s.p || memchr(s.p, '\0', s.n)))) {
		e->err = WQ_EINVAL;
		return;
	}
	e->err = wqi_buf_put_str(e->b, s.p, s.n);
}

static void e_count(struct enc *e, uint32_t n)
{
	if (!e->err && n > WQI_LIST_MAX)
		e->err = WQ_EINVAL;
	e_u32(e, n);
}

static void e_size(struct enc *e, uint64_t n)
{
	if (!e->err && n > WQI_STREAM_MAX)
		e->err = WQ_EINVAL;
	e_u64(e, n);
}

/* Patch the frame length, or roll the buffer back to before the frame. */
static int enc_end(struct enc *e)
{
	struct wqi_buf *b = e->b;
	size_t flen = wqi_buf_used(b) - e->start - 4;
	if (!e->err && flen > WQI_FRAME_MAX)
		e->err = WQ_EINVAL;
	if (e->err) {
		b->len = b->off + e->start;
		return e->err;
	}
	unsigned char *h = (unsigned char *)b->data + b->off + e->start;
	for (int i = 0; i < 4; i++)
		h[i] = (unsigned char)(flen >> (8 * i));
	return 0;
}

int wqi_proto_encode_hello(struct wqi_buf *b, const struct wqi_msg_hello *m)
{
	struct enc e;
	enc_begin(&e, b, WQI_MSG_HELLO);
	e_u32(&e, m->version);
	e_str(&e, m->worker_version);
	e_str(&e, m->hostname);
	e_str(&e, m->os);
	e_str(&e, m->arch);
	e_str(&e, m->worker_id);
	e_i64(&e, m->cores);
	e_i64(&e, m->memory_mb);
	e_i64(&e, m->disk_mb);
	e_i64(&e, m->gpus);
	e_str(&e, m->project);
	e_str(&e, m->auth);
	return enc_end(&e);
}

int wqi_proto_encode_output(struct wqi_buf *b, const struct wqi_msg_output *m)
{
	struct enc e;
	enc_begin(&e, b, WQI_MSG_OUTPUT);
	e_u64(&e, m->taskid);
	e_u32(&e, m->index);
	e_str(&e, m->path);
	e_u8(&e, m->kind);
	e_u32(&e, m->mode);
	e_size(&e, m->size);
	return enc_end(&e);
}

int wqi_proto_encode_result(struct wqi_buf *b, const struct wqi_msg_result *m)
{
	struct enc e;
	enc_begin(&e, b, WQI_MSG_RESULT);
	e_u64(&e, m->taskid);
	e_u32(&e, m->result);
	e_i32(&e, m->exit_status);
	e_u64(&e, m->start_us);
	e_u64(&e, m->end_us);
	e_size(&e, m->output_size);
	e_u8(&e, m->output_truncated);
	return enc_end(&e);
}

int wqi_proto_encode_empty(struct wqi_buf *b, uint8_t type)
{
	struct enc e;
	enc_begin(&e, b, type);
	return enc_end(&e);
}

int wqi_proto_encode_text(struct wqi_buf *b, uint8_t type, const struct wqi_msg_text *m)
{
	struct enc e;
	enc_begin(&e, b, type);
	e_str(&e, m->reason);
	return enc_end(&e);
}

int wqi_proto_encode_cache_fail(struct wqi_buf *b, const struct wqi_msg_cache_fail *m)
{
	struct enc e;
	enc_begin(&e, b, WQI_MSG_CACHE_FAIL);
	e_str(&e, m->cachename);
	e_str(&e, m->reason);
	return enc_end(&e);
}

int wqi_proto_encode_welcome(struct wqi_buf *b, const struct wqi_msg_welcome *m)
{
	struct enc e;
	enc_begin(&e, b, WQI_MSG_WELCOME);
	e_u32(&e, m->version);
	e_str(&e, m->master_version);
	e_str(&e, m->project);
	e_u32(&e, m->keepalive_interval_s);
	e_str(&e, m->auth);
	return enc_end(&e);
}

int wqi_proto_encode_put(struct wqi_buf *b, const struct wqi_msg_put *m)
{
	struct enc e;
	enc_begin(&e, b, WQI_MSG_PUT);
	e_str(&e, m->cachename);
	e_str(&e, m->path);
	e_u8(&e, m->kind);
	e_u32(&e, m->mode);
	e_size(&e, m->size);
	return enc_end(&e);
}

int wqi_proto_encode_name(struct wqi_buf *b, uint8_t type, const struct wqi_msg_name *m)
{
	struct enc e;
	enc_begin(&e, b, type);
	e_str(&e, m->cachename);
	return enc_end(&e);
}

int wqi_proto_encode_kill(struct wqi_buf *b, const struct wqi_msg_kill *m)
{
	struct enc e;
	enc_begin(&e, b, WQI_MSG_KILL);
	e_u64(&e, m->taskid);
	return enc_end(&e);
}

int wqi_proto_encode_task(struct wqi_buf *b, const struct wqi_msg_task *m)
{
	struct enc e;
	enc_begin(&e, b, WQI_MSG_TASK);
	e_u64(&e, m->taskid);
	e_str(&e, m->command);
	e_i64(&e, m->cores);
	e_i64(&e, m->memory_mb);
	e_i64(&e, m->disk_mb);
	e_i64(&e, m->gpus);
	e_i64(&e, m->memory_limit_mb);
	e_i64(&e, m->disk_limit_mb);
	e_u64(&e, m->max_run_time_us);
	e_u64(&e, m->end_time_us);
	e_u64(&e, m->output_max);
	e_count(&e, m->n_env);
	for (uint32_t i = 0; i < m->n_env && !e.err; i++) {
		e_str(&e, m->env[i].name);
		e_str(&e, m->env[i].value);
	}
	e_count(&e, m->n_inputs);
	for (uint32_t i = 0; i < m->n_inputs && !e.err; i++) {
		const struct wqi_task_input *in = &m->inputs[i];
		e_u8(&e, in->source);
		e_str(&e, in->cachename);
		e_str(&e, in->remote_name);
		e_u32(&e, in->flags);
		e_str(&e, in->arg);
	}
	e_count(&e, m->n_outputs);
	for (uint32_t i = 0; i < m->n_outputs && !e.err; i++) {
		e_str(&e, m->outputs[i].remote_name);
		e_u32(&e, m->outputs[i].flags);
	}
	return enc_end(&e);
}

/* ---- decoding ---- */

struct rd {
	const unsigned char *p;  /* payload */
	size_t n;                /* payload length */
	size_t off;              /* next byte to read */
	int bad;                 /* a check failed; every later read yields zero */
};

static void rd_init(struct rd *r, const char *p, size_t n)
{
	r->p = (const unsigned char *)p;
	r->n = n;
	r->off = 0;
	r->bad = 0;
}

/* The next k bytes, or NULL (and r->bad) if the payload has fewer. */
static const unsigned char *take(struct rd *r, size_t k)
{
	if (r->bad || r->n - r->off < k) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *q = r->p + r->off;
	r->off += k;
	return q;
}

static uint8_t g_u8(struct rd *r)
{
	const unsigned char *q = take(r, 1);
	return q ? q[0] : 0;
}

static uint32_t g_u32(struct rd *r)
{
	const unsigned char *q = take(r, 4);
	return q ? rd_le32(q) : 0;
}

static uint64_t g_u64(struct rd *r)
{
	const unsigned char *q = take(r, 8);
	return q ? (uint64_t)rd_le32(q) | ((uint64_t)rd_le32(q + 4) << 32) : 0;
}

static int32_t g_i32(struct rd *r) { return (int32_t)g_u32(r); }
static int64_t g_i64(struct rd *r) { return (int64_t)g_u64(r); }

/* A str: length within WQI_STR_MAX and the payload, no NUL inside. */
static struct wqi_str g_str(struct rd *r)
{
	struct wqi_str s = { "", 0 };
	uint32_t n = g_u32(r);
	if (r->bad)
		return s;
	if (n > WQI_STR_MAX) {
		r->bad = 1;
		return s;
	}
	const unsigned char *q = take(r, n);
	if (!q)
		return s;
	if (n && memchr(q, '\0', n)) {
		r->bad = 1;
		return s;
	}
	s.p = (const char *)q;
	s.n = n;
	return s;
}

/* A str that must be a name (or "" when allow_empty). */
static struct wqi_str g_name(struct rd *r, int allow_empty, int allow_slash)
{
	struct wqi_str s = g_str(r);
	if (!r->bad && !(allow_empty && s.n == 0) && !wqi_proto_name_ok(s.p, s.n, allow_slash))
		r->bad = 1;
	return s;
}

static uint64_t g_size(struct rd *r)
{
	uint64_t v = g_u64(r);
	if (v > WQI_STREAM_MAX)
		r->bad = 1;
	return v;
}

/* A list count within WQI_LIST_MAX that leaves room for count * min_item bytes. */
static uint32_t g_count(struct rd *r, size_t min_item)
{
	uint32_t c = g_u32(r);
	if (!r->bad && (c > WQI_LIST_MAX || (size_t)c * min_item > r->n - r->off))
		r->bad = 1;
	return r->bad ? 0 : c;
}

static void rd_fail(struct rd *r) { r->bad = 1; }

/* All fields read, nothing left over? */
static int rd_end(struct rd *r)
{
	return (r->bad || r->off != r->n) ? WQ_EPROTO : 0;
}

int wqi_proto_decode_hello(const char *p, size_t n, struct wqi_msg_hello *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->version = g_u32(&r);
	m->worker_version = g_str(&r);
	m->hostname = g_str(&r);
	m->os = g_str(&r);
	m->arch = g_str(&r);
	m->worker_id = g_str(&r);
	m->cores = g_i64(&r);
	m->memory_mb = g_i64(&r);
	m->disk_mb = g_i64(&r);
	m->gpus = g_i64(&r);
	m->project = g_str(&r);
	m->auth = g_str(&r);
	return rd_end(&r);
}

int wqi_proto_decode_output(const char *p, size_t n, struct wqi_msg_output *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->taskid = g_u64(&r);
	m->index = g_u32(&r);
	m->path = g_name(&r, 1, 1);
	m->kind = g_u8(&r);
	if (m->kind < WQI_KIND_FILE || m->kind > WQI_KIND_SYMLINK_OUTSIDE)
		rd_fail(&r);
	m->mode = g_u32(&r);
	m->size = g_size(&r);
	return rd_end(&r);
}

int wqi_proto_decode_result(const char *p, size_t n, struct wqi_msg_result *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->taskid = g_u64(&r);
	m->result = g_u32(&r);
	m->exit_status = g_i32(&r);
	m->start_us = g_u64(&r);
	m->end_us = g_u64(&r);
	m->output_size = g_size(&r);
	m->output_truncated = g_u8(&r);
	return rd_end(&r);
}

int wqi_proto_decode_empty(const char *p, size_t n)
{
	return n == 0 ? 0 : WQ_EPROTO;
}

int wqi_proto_decode_text(const char *p, size_t n, struct wqi_msg_text *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->reason = g_str(&r);
	return rd_end(&r);
}

int wqi_proto_decode_cache_fail(const char *p, size_t n, struct wqi_msg_cache_fail *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->cachename = g_name(&r, 0, 0);
	m->reason = g_str(&r);
	return rd_end(&r);
}

int wqi_proto_decode_welcome(const char *p, size_t n, struct wqi_msg_welcome *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->version = g_u32(&r);
	m->master_version = g_str(&r);
	m->project = g_str(&r);
	m->keepalive_interval_s = g_u32(&r);
	m->auth = g_str(&r);
	return rd_end(&r);
}

int wqi_proto_decode_put(const char *p, size_t n, struct wqi_msg_put *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->cachename = g_name(&r, 0, 0);
	m->path = g_name(&r, 1, 1);
	m->kind = g_u8(&r);
	if (m->kind != WQI_KIND_FILE && m->kind != WQI_KIND_DIR)
		rd_fail(&r);
	m->mode = g_u32(&r);
	m->size = g_size(&r);
	return rd_end(&r);
}

int wqi_proto_decode_name(const char *p, size_t n, struct wqi_msg_name *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->cachename = g_name(&r, 0, 0);
	return rd_end(&r);
}

int wqi_proto_decode_kill(const char *p, size_t n, struct wqi_msg_kill *m)
{
	struct rd r;
	rd_init(&r, p, n);
	m->taskid = g_u64(&r);
	return rd_end(&r);
}

/* Smallest encodings of list items, to refuse absurd counts before allocating. */
#define MIN_ENV (4 + 4)
#define MIN_INPUT (1 + 4 + 4 + 4 + 4)
#define MIN_OUTPUT (4 + 4)

/*
 * The three lists of a TASK. With fill == 0 this only validates and counts
 * (setting m->n_*); with fill == 1 it stores entries into m's arrays, which
 * the caller sized from the first pass. Two passes let the arrays be one
 * exact allocation without a realloc dance.
 */
static void task_lists(struct rd *r, struct wqi_msg_task *m, int fill)
{
	uint32_t c = g_count(r, MIN_ENV);
	if (!fill)
		m->n_env = c;
	for (uint32_t i = 0; i < c && !r->bad; i++) {
		struct wqi_str name = g_str(r), value = g_str(r);
		if (fill) {
			m->env[i].name = name;
			m->env[i].value = value;
		}
	}
	c = g_count(r, MIN_INPUT);
	if (!fill)
		m->n_inputs = c;
	for (uint32_t i = 0; i < c && !r->bad; i++) {
		struct wqi_task_input in;
		in.source = g_u8(r);
		if (in.source < WQI_SRC_CACHE || in.source > WQI_SRC_EMPTY_DIR)
			rd_fail(r);
		/* an EMPTY_DIR has no cached object: its cachename must be "" */
		in.cachename = g_name(r, in.source == WQI_SRC_EMPTY_DIR, 0);
		if (in.source == WQI_SRC_EMPTY_DIR && in.cachename.n != 0)
			rd_fail(r);
		in.remote_name = g_str(r);  /* checked by the worker: see top of file */
		in.flags = g_u32(r);
		in.arg = g_str(r);
		if (fill)
			m->inputs[i] = in;
	}
	c = g_count(r, MIN_OUTPUT);
	if (!fill)
		m->n_outputs = c;
	for (uint32_t i = 0; i < c && !r->bad; i++) {
		struct wqi_str name = g_str(r);
		uint32_t flags = g_u32(r);
		if (fill) {
			m->outputs[i].remote_name = name;
			m->outputs[i].flags = flags;
		}
	}
}

static void task_head(struct rd *r, struct wqi_msg_task *m)
{
	m->taskid = g_u64(r);
	m->command = g_str(r);
	m->cores = g_i64(r);
	m->memory_mb = g_i64(r);
	m->disk_mb = g_i64(r);
	m->gpus = g_i64(r);
	m->memory_limit_mb = g_i64(r);
	m->disk_limit_mb = g_i64(r);
	m->max_run_time_us = g_u64(r);
	m->end_time_us = g_u64(r);
	m->output_max = g_u64(r);
}

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/*
 * Decode a TASK. The env, inputs and outputs arrays share one allocation
 * whose base is kept in m->env (even when n_env is 0), so
 * wqi_msg_task_free() has one pointer to free. Returns 0, -WQ_EPROTO, or
 * -WQ_ENOMEM; on failure nothing is allocated.
 */
int wqi_proto_decode_task(const char *p, size_t n, struct wqi_msg_task *m)
{
	struct rd r;
	memset(m, 0, sizeof *m);
	rd_init(&r, p, n);
	task_head(&r, m);
	size_t lists_at = r.off;
	task_lists(&r, m, 0);
	int rc = rd_end(&r);
	if (rc < 0) {
		memset(m, 0, sizeof *m);
		return rc;
	}
	if (m->n_env == 0 && m->n_inputs == 0 && m->n_outputs == 0)
		return 0;
	size_t a = _Alignof(struct wqi_task_input);
	if (_Alignof(struct wqi_task_env) > a)
		a = _Alignof(struct wqi_task_env);
	if (_Alignof(struct wqi_task_output) > a)
		a = _Alignof(struct wqi_task_output);
	size_t in_at = align_up((size_t)m->n_env * sizeof(struct wqi_task_env), a);
	size_t out_at = align_up(in_at + (size_t)m->n_inputs * sizeof(struct wqi_task_input), a);
	size_t total = out_at + (size_t)m->n_outputs * sizeof(struct wqi_task_output);
	char *block = malloc(total ? total : 1);
	if (!block) {
		memset(m, 0, sizeof *m);
		return WQ_ENOMEM;
	}
	m->env = (struct wqi_task_env *)block;
	m->inputs = m->n_inputs ? (struct wqi_task_input *)(block + in_at) : NULL;
	m->outputs = m->n_outputs ? (struct wqi_task_output *)(block + out_at) : NULL;
	r.off = lists_at;
	task_lists(&r, m, 1);
	return 0;
}

void wqi_msg_task_free(struct wqi_msg_task *m)
{
	if (!m)
		return;
	free(m->env);
	m->env = NULL;
	m->inputs = NULL;
	m->outputs = NULL;
	m->n_env = m->n_inputs = m->n_outputs = 0;
}
