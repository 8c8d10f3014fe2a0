/*
 * proto_test.c - unit tests of proto.c: every message round-trips; truncated,
 * padded, oversized and random input is refused without crashing; names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "proto.h"
#include "testing.h"
#include "work_queue.h"

#define S(x) wqi_str_c(x)

static int str_is(struct wqi_str s, const char *c)
{
	return wqi_str_eq(s, c);
}

/* Frame the single message in b; returns its type and payload. */
static int one_frame(const struct wqi_buf *b, uint8_t *type, const char **p, size_t *n)
{
	size_t flen;
	int rc = wqi_proto_frame(b, type, p, n, &flen);
	if (rc != 1 || flen != wqi_buf_used(b))
		return -1;
	return 0;
}

/* ---- the sample of every message, encoded into one buffer each ---- */

static struct wqi_task_env sample_env[] = { { { "A", 1 }, { "1", 1 } }, { { "PATH", 4 }, { "/bin:/usr/bin", 13 } } };
static struct wqi_task_input sample_in[] = {
	{ WQI_SRC_CACHE, { "file-0123456789abcdef", 21 }, { "in/data.txt", 11 }, WORK_QUEUE_CACHE, { "", 0 } },
	{ WQI_SRC_URL, { "url-1", 5 }, { "u", 1 }, 0, { "http://x/y", 10 } },
	{ WQI_SRC_COMMAND, { "cmd-1", 5 }, { "c", 1 }, 1, { "echo hi > %%", 12 } },
	{ WQI_SRC_EMPTY_DIR, { "", 0 }, { "emptydir", 8 }, 0, { "", 0 } },
};
static struct wqi_task_output sample_out[] = { { { "out.txt", 7 }, 0 }, { { "res/dir", 7 }, WORK_QUEUE_SUCCESS_ONLY } };

static struct wqi_msg_task sample_task(void)
{
	struct wqi_msg_task t;
	memset(&t, 0, sizeof t);
	t.taskid = 0x123456789ull;
	t.command = S("cat in/data.txt > out.txt");
	t.cores = 2;
	t.memory_mb = -1;
	t.disk_mb = 1ll << 40;
	t.gpus = 0;
	t.memory_limit_mb = 512;
	t.disk_limit_mb = 0;
	t.max_run_time_us = 5000000;
	t.end_time_us = 0xffffffffffffull;
	t.output_max = 1u << 30;
	t.n_env = 2;
	t.env = sample_env;
	t.n_inputs = 4;
	t.inputs = sample_in;
	t.n_outputs = 2;
	t.outputs = sample_out;
	return t;
}

/* Encode message number i of the sample set into b; returns its type, or -1 past the end. */
static int encode_sample(int i, struct wqi_buf *b)
{
	switch (i) {
	case 0: {
		struct wqi_msg_hello m = { 1, S("0.1.0"), S("host"), S("Linux"), S("x86_64"), S("id-1"), 4, 8192, 100000, 1, S("proj"), S("") };
		return wqi_proto_encode_hello(b, &m) ? -2 : WQI_MSG_HELLO;
	}
	case 1: {
		struct wqi_msg_output m = { 77, 3, S("sub/file"), WQI_KIND_FILE, 0644, 12345 };
		return wqi_proto_encode_output(b, &m) ? -2 : WQI_MSG_OUTPUT;
	}
	case 2: {
		struct wqi_msg_result m = { 77, 8, -9, 111, 222, 333, 1 };
		return wqi_proto_encode_result(b, &m) ? -2 : WQI_MSG_RESULT;
	}
	case 3: return wqi_proto_encode_empty(b, WQI_MSG_ALIVE) ? -2 : WQI_MSG_ALIVE;
	case 4: {
		struct wqi_msg_text m = { S("bye now") };
		return wqi_proto_encode_text(b, WQI_MSG_BYE, &m) ? -2 : WQI_MSG_BYE;
	}
	case 5: {
		struct wqi_msg_cache_fail m = { S("url-9"), S("404") };
		return wqi_proto_encode_cache_fail(b, &m) ? -2 : WQI_MSG_CACHE_FAIL;
	}
	case 6: {
		struct wqi_msg_welcome m = { 1, S("0.1.0"), S("proj"), 120, S("") };
		return wqi_proto_encode_welcome(b, &m) ? -2 : WQI_MSG_WELCOME;
	}
	case 7: {
		struct wqi_msg_text m = { S("version 2 != 1") };
		return wqi_proto_encode_text(b, WQI_MSG_REJECT, &m) ? -2 : WQI_MSG_REJECT;
	}
	case 8: {
		struct wqi_msg_put m = { S("file-1"), S(""), WQI_KIND_FILE, 0755, 1ull << 40 };
		return wqi_proto_encode_put(b, &m) ? -2 : WQI_MSG_PUT;
	}
	case 9: {
		struct wqi_msg_name m = { S("file-1") };
		return wqi_proto_encode_name(b, WQI_MSG_PUT_END, &m) ? -2 : WQI_MSG_PUT_END;
	}
	case 10: {
		struct wqi_msg_task m = sample_task();
		return wqi_proto_encode_task(b, &m) ? -2 : WQI_MSG_TASK;
	}
	case 11: {
		struct wqi_msg_kill m = { 99 };
		return wqi_proto_encode_kill(b, &m) ? -2 : WQI_MSG_KILL;
	}
	case 12: return wqi_proto_encode_empty(b, WQI_MSG_KEEPALIVE) ? -2 : WQI_MSG_KEEPALIVE;
	case 13: {
		struct wqi_msg_text m = { S("shutting down") };
		return wqi_proto_encode_text(b, WQI_MSG_EXIT, &m) ? -2 : WQI_MSG_EXIT;
	}
	case 14: {
		struct wqi_msg_name m = { S("tmp-5-0") };
		return wqi_proto_encode_name(b, WQI_MSG_UNLINK, &m) ? -2 : WQI_MSG_UNLINK;
	}
	default: return -1;
	}
}

/* Decode a payload by type with the matching decoder (task freed here). */
static int decode_any(uint8_t type, const char *p, size_t n)
{
	union {
		struct wqi_msg_hello hello;
		struct wqi_msg_output output;
		struct wqi_msg_result result;
		struct wqi_msg_text text;
		struct wqi_msg_cache_fail cf;
		struct wqi_msg_welcome welcome;
		struct wqi_msg_put put;
		struct wqi_msg_name name;
		struct wqi_msg_kill kill;
		struct wqi_msg_task task;
	} u;
	int rc;
	switch (type) {
	case WQI_MSG_HELLO: return wqi_proto_decode_hello(p, n, &u.hello);
	case WQI_MSG_OUTPUT: return wqi_proto_decode_output(p, n, &u.output);
	case WQI_MSG_RESULT: return wqi_proto_decode_result(p, n, &u.result);
	case WQI_MSG_ALIVE:
	case WQI_MSG_KEEPALIVE: return wqi_proto_decode_empty(p, n);
	case WQI_MSG_BYE:
	case WQI_MSG_REJECT:
	case WQI_MSG_EXIT: return wqi_proto_decode_text(p, n, &u.text);
	case WQI_MSG_CACHE_FAIL: return wqi_proto_decode_cache_fail(p, n, &u.cf);
	case WQI_MSG_WELCOME: return wqi_proto_decode_welcome(p, n, &u.welcome);
	case WQI_MSG_PUT: return wqi_proto_decode_put(p, n, &u.put);
	case WQI_MSG_PUT_END:
	case WQI_MSG_UNLINK: return wqi_proto_decode_name(p, n, &u.name);
	case WQI_MSG_KILL: return wqi_proto_decode_kill(p, n, &u.kill);
	case WQI_MSG_TASK:
		rc = wqi_proto_decode_task(p, n, &u.task);
		wqi_msg_task_free(&u.task);
		return rc;
	default: return WQ_EPROTO;
	}
}

/* ---- round trips: every field comes back ---- */

static void test_roundtrip_all(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	uint8_t type;
	const char *p;
	size_t n;
	int count = 0;
	for (int i = 0;; i++) {
		wqi_buf_clear(&b);
		int t = encode_sample(i, &b);
		if (t == -1)
			break;
		CHECK(t >= 0);
		CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
		CHECK_EQ_INT(type, t);
		CHECK(wqi_proto_msg_name(type) != NULL);
		CHECK_EQ_INT(decode_any(type, p, n), 0);
		count++;
	}
	CHECK_EQ_INT(count, 15);
	wqi_buf_free(&b);
}

static void test_roundtrip_fields(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	uint8_t type;
	const char *p;
	size_t n;

	encode_sample(0, &b);
	struct wqi_msg_hello h;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_hello(p, n, &h), 0);
	CHECK(h.version == 1 && str_is(h.worker_version, "0.1.0") && str_is(h.hostname, "host"));
	CHECK(str_is(h.os, "Linux") && str_is(h.arch, "x86_64") && str_is(h.worker_id, "id-1"));
	CHECK(h.cores == 4 && h.memory_mb == 8192 && h.disk_mb == 100000 && h.gpus == 1);
	CHECK(str_is(h.project, "proj") && h.auth.n == 0);

	wqi_buf_clear(&b);
	encode_sample(1, &b);
	struct wqi_msg_output o;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_output(p, n, &o), 0);
	CHECK(o.taskid == 77 && o.index == 3 && str_is(o.path, "sub/file") && o.kind == WQI_KIND_FILE && o.mode == 0644 && o.size == 12345);

	wqi_buf_clear(&b);
	encode_sample(2, &b);
	struct wqi_msg_result r;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_result(p, n, &r), 0);
	CHECK(r.taskid == 77 && r.result == 8 && r.exit_status == -9 && r.start_us == 111 && r.end_us == 222 && r.output_size == 333 && r.output_truncated == 1);

	wqi_buf_clear(&b);
	encode_sample(5, &b);
	struct wqi_msg_cache_fail cf;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_cache_fail(p, n, &cf), 0);
	CHECK(str_is(cf.cachename, "url-9") && str_is(cf.reason, "404"));

	wqi_buf_clear(&b);
	encode_sample(6, &b);
	struct wqi_msg_welcome w;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_welcome(p, n, &w), 0);
	CHECK(w.version == 1 && str_is(w.master_version, "0.1.0") && str_is(w.project, "proj") && w.keepalive_interval_s == 120 && w.auth.n == 0);

	wqi_buf_clear(&b);
	encode_sample(7, &b);
	struct wqi_msg_text tx;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(type, WQI_MSG_REJECT);
	CHECK_EQ_INT(wqi_proto_decode_text(p, n, &tx), 0);
	CHECK(str_is(tx.reason, "version 2 != 1"));

	wqi_buf_clear(&b);
	encode_sample(8, &b);
	struct wqi_msg_put pu;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_put(p, n, &pu), 0);
	CHECK(str_is(pu.cachename, "file-1") && pu.path.n == 0 && pu.kind == WQI_KIND_FILE && pu.mode == 0755 && pu.size == 1ull << 40);

	wqi_buf_clear(&b);
	encode_sample(14, &b);
	struct wqi_msg_name nm;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(type, WQI_MSG_UNLINK);
	CHECK_EQ_INT(wqi_proto_decode_name(p, n, &nm), 0);
	CHECK(str_is(nm.cachename, "tmp-5-0"));

	wqi_buf_clear(&b);
	encode_sample(11, &b);
	struct wqi_msg_kill k;
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_kill(p, n, &k), 0);
	CHECK(k.taskid == 99);

	wqi_buf_clear(&b);
	encode_sample(10, &b);
	struct wqi_msg_task t, want = sample_task();
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_task(p, n, &t), 0);
	CHECK(t.taskid == want.taskid && str_is(t.command, "cat in/data.txt > out.txt"));
	CHECK(t.cores == 2 && t.memory_mb == -1 && t.disk_mb == 1ll << 40 && t.gpus == 0);
	CHECK(t.memory_limit_mb == 512 && t.disk_limit_mb == 0);
	CHECK(t.max_run_time_us == want.max_run_time_us && t.end_time_us == want.end_time_us && t.output_max == want.output_max);
	CHECK(t.n_env == 2 && t.n_inputs == 4 && t.n_outputs == 2);
	if (t.n_env == 2 && t.n_inputs == 4 && t.n_outputs == 2) {
		CHECK(str_is(t.env[1].name, "PATH") && str_is(t.env[1].value, "/bin:/usr/bin"));
		for (int i = 0; i < 4; i++) {
			CHECK(t.inputs[i].source == sample_in[i].source);
			CHECK(t.inputs[i].cachename.n == sample_in[i].cachename.n && memcmp(t.inputs[i].cachename.p, sample_in[i].cachename.p, t.inputs[i].cachename.n) == 0);
			CHECK(t.inputs[i].remote_name.n == sample_in[i].remote_name.n && memcmp(t.inputs[i].remote_name.p, sample_in[i].remote_name.p, t.inputs[i].remote_name.n) == 0);
			CHECK(t.inputs[i].flags == sample_in[i].flags);
			CHECK(t.inputs[i].arg.n == sample_in[i].arg.n && memcmp(t.inputs[i].arg.p, sample_in[i].arg.p, t.inputs[i].arg.n) == 0);
		}
		CHECK(str_is(t.outputs[1].remote_name, "res/dir") && t.outputs[1].flags == WORK_QUEUE_SUCCESS_ONLY);
	}
	wqi_msg_task_free(&t);
	wqi_msg_task_free(&t);  /* twice is harmless */

	/* a task with empty lists allocates nothing */
	struct wqi_msg_task e;
	memset(&e, 0, sizeof e);
	e.taskid = 1;
	e.command = S("true");
	wqi_buf_clear(&b);
	CHECK_EQ_INT(wqi_proto_encode_task(&b, &e), 0);
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_task(p, n, &t), 0);
	CHECK(t.n_env == 0 && t.n_inputs == 0 && t.n_outputs == 0 && t.env == NULL);
	wqi_msg_task_free(&t);
	wqi_buf_free(&b);
}

/* Exact bytes of one frame, against the spec by hand. */
static void test_wire_bytes(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_kill k = { 0x0102 };
	CHECK_EQ_INT(wqi_proto_encode_kill(&b, &k), 0);
	const unsigned char want[] = { 9, 0, 0, 0, 0x45, 2, 1, 0, 0, 0, 0, 0, 0 };
	CHECK_EQ_INT(wqi_buf_used(&b), sizeof want);
	CHECK(memcmp(wqi_buf_head(&b), want, sizeof want) == 0);
	wqi_buf_clear(&b);
	CHECK_EQ_INT(wqi_proto_put_preamble(&b), 0);
	CHECK(wqi_buf_used(&b) == 4 && memcmp(wqi_buf_head(&b), "WQ\x01\x00", 4) == 0);
	wqi_buf_free(&b);
}

/* Every message cut short at every length: the frame needs more, and the
 * payload alone cut short is refused by its decoder. Bytes added: refused. */
static void test_truncated_and_trailing(void)
{
	struct wqi_buf b = WQI_BUF_INIT, c = WQI_BUF_INIT;
	uint8_t type;
	const char *p;
	size_t n, flen;
	for (int i = 0;; i++) {
		wqi_buf_clear(&b);
		int t = encode_sample(i, &b);
		if (t == -1)
			break;
		size_t total = wqi_buf_used(&b);
		for (size_t cut = 0; cut < total; cut++) {
			wqi_buf_clear(&c);
			wqi_buf_append(&c, wqi_buf_head(&b), cut);
			CHECK_EQ_INT(wqi_proto_frame(&c, &type, &p, &n, &flen), 0);
		}
		CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
		for (size_t cut = 0; cut < n; cut++) {
			/* a heap copy of exactly cut bytes, so ASan sees any overread */
			char *q = malloc(cut ? cut : 1);
			memcpy(q, p, cut);
			int rc = decode_any(type, q, cut);
			if (rc != WQ_EPROTO)
				fprintf(stderr, "type %s cut %zu accepted\n", wqi_proto_msg_name(type), cut);
			CHECK_EQ_INT(rc, WQ_EPROTO);
			free(q);
		}
		char *q = malloc(n + 1);
		memcpy(q, p, n);
		q[n] = 0;
		CHECK_EQ_INT(decode_any(type, q, n + 1), WQ_EPROTO);
		free(q);
	}
	wqi_buf_free(&b);
	wqi_buf_free(&c);
}

static void test_frame_lengths(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	uint8_t type;
	const char *p;
	size_t n, flen;
	const unsigned char zero[] = { 0, 0, 0, 0, 1 };
	wqi_buf_append(&b, zero, sizeof zero);
	CHECK_EQ_INT(wqi_proto_frame(&b, &type, &p, &n, &flen), WQ_EPROTO);
	wqi_buf_clear(&b);
	wqi_buf_put_u32(&b, WQI_FRAME_MAX + 1);
	CHECK_EQ_INT(wqi_proto_frame(&b, &type, &p, &n, &flen), WQ_EPROTO);
	wqi_buf_clear(&b);
	wqi_buf_put_u32(&b, 0xffffffffu);
	CHECK_EQ_INT(wqi_proto_frame(&b, &type, &p, &n, &flen), WQ_EPROTO);
	wqi_buf_clear(&b);
	wqi_buf_put_u32(&b, WQI_FRAME_MAX);   /* legal length, bytes not here yet */
	wqi_buf_put_u8(&b, WQI_MSG_TASK);
	CHECK_EQ_INT(wqi_proto_frame(&b, &type, &p, &n, &flen), 0);
	wqi_buf_clear(&b);
	/* two frames back to back: the first is reported with its own length */
	wqi_proto_encode_empty(&b, WQI_MSG_ALIVE);
	wqi_proto_encode_empty(&b, WQI_MSG_KEEPALIVE);
	CHECK_EQ_INT(wqi_proto_frame(&b, &type, &p, &n, &flen), 1);
	CHECK(type == WQI_MSG_ALIVE && n == 0 && flen == 5);
	wqi_buf_consume(&b, flen);
	CHECK_EQ_INT(wqi_proto_frame(&b, &type, &p, &n, &flen), 1);
	CHECK(type == WQI_MSG_KEEPALIVE);
	CHECK(wqi_proto_msg_name(0x99) == NULL && wqi_proto_msg_name(0) == NULL);
	wqi_buf_free(&b);
}

/* Limits: oversized strings, lists and sizes are refused both ways. */
static void test_limits(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	uint8_t type;
	const char *p;
	size_t n;
	/* encoders refuse, and leave the buffer as it was */
	char *big = malloc(WQI_STR_MAX + 1);
	memset(big, 'a', WQI_STR_MAX + 1);
	wqi_buf_append(&b, "XY", 2);
	struct wqi_msg_text t = { { big, WQI_STR_MAX + 1 } };
	CHECK_EQ_INT(wqi_proto_encode_text(&b, WQI_MSG_BYE, &t), WQ_EINVAL);
	CHECK_EQ_INT(wqi_buf_used(&b), 2);
	t.reason.n = WQI_STR_MAX;
	CHECK_EQ_INT(wqi_proto_encode_text(&b, WQI_MSG_BYE, &t), 0);
	wqi_buf_consume(&b, 2);
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	struct wqi_msg_text back;
	CHECK_EQ_INT(wqi_proto_decode_text(p, n, &back), 0);
	CHECK_EQ_INT(back.reason.n, WQI_STR_MAX);
	struct wqi_msg_text nul = { { "a\0b", 3 } };
	CHECK_EQ_INT(wqi_proto_encode_text(&b, WQI_MSG_BYE, &nul), WQ_EINVAL);
	struct wqi_msg_put put = { S("f"), S(""), WQI_KIND_FILE, 0, WQI_STREAM_MAX + 1 };
	CHECK_EQ_INT(wqi_proto_encode_put(&b, &put), WQ_EINVAL);
	/* a task whose strings add up past the frame limit */
	struct wqi_task_env env[20];
	for (int i = 0; i < 20; i++) {
		env[i].name = S("X");
		env[i].value.p = big;
		env[i].value.n = WQI_STR_MAX;
	}
	struct wqi_msg_task tk;
	memset(&tk, 0, sizeof tk);
	tk.command = S("true");
	tk.n_env = 20;
	tk.env = env;
	wqi_buf_clear(&b);
	CHECK_EQ_INT(wqi_proto_encode_task(&b, &tk), WQ_EINVAL);
	CHECK_EQ_INT(wqi_buf_used(&b), 0);
	tk.n_env = WQI_LIST_MAX + 1;
	CHECK_EQ_INT(wqi_proto_encode_task(&b, &tk), WQ_EINVAL);
	free(big);

	/* decoders refuse hand-made oversized fields */
	wqi_buf_clear(&b);
	wqi_buf_put_u32(&b, WQI_STR_MAX + 1);   /* a str length beyond the limit */
	CHECK_EQ_INT(wqi_proto_decode_text(wqi_buf_head(&b), wqi_buf_used(&b), &back), WQ_EPROTO);
	wqi_buf_clear(&b);
	wqi_buf_put_str(&b, "f", 1);
	wqi_buf_put_str(&b, "", 0);
	wqi_buf_put_u8(&b, WQI_KIND_FILE);
	wqi_buf_put_u32(&b, 0644);
	wqi_buf_put_u64(&b, WQI_STREAM_MAX + 1);
	struct wqi_msg_put pb;
	CHECK_EQ_INT(wqi_proto_decode_put(wqi_buf_head(&b), wqi_buf_used(&b), &pb), WQ_EPROTO);
	/* the same PUT with a legal size passes (the test is of the size alone) */
	b.len -= 8;
	wqi_buf_put_u64(&b, WQI_STREAM_MAX);
	CHECK_EQ_INT(wqi_proto_decode_put(wqi_buf_head(&b), wqi_buf_used(&b), &pb), 0);
	/* a bad kind */
	b.data[b.off + 4 + 1 + 4 + 0] = WQI_KIND_MISSING;
	CHECK_EQ_INT(wqi_proto_decode_put(wqi_buf_head(&b), wqi_buf_used(&b), &pb), WQ_EPROTO);

	/* a task announcing more list entries than allowed, or than bytes left */
	struct wqi_msg_task d;
	for (int which = 0; which < 2; which++) {
		wqi_buf_clear(&b);
		wqi_buf_put_u64(&b, 1);
		wqi_buf_put_str(&b, "true", 4);
		for (int i = 0; i < 7; i++)
			wqi_buf_put_u64(&b, 0);
		wqi_buf_put_u32(&b, which ? 1000 : WQI_LIST_MAX + 1);
		CHECK_EQ_INT(wqi_proto_decode_task(wqi_buf_head(&b), wqi_buf_used(&b), &d), WQ_EPROTO);
		CHECK(d.env == NULL);
	}
	wqi_buf_free(&b);
}

/* Hand-build PUT / OUTPUT / name payloads with chosen names. */
static int decode_put_with(const char *cachename, size_t cn, const char *path, size_t pn)
{
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_put m;
	wqi_buf_put_str(&b, cachename, cn);
	wqi_buf_put_str(&b, path, pn);
	wqi_buf_put_u8(&b, WQI_KIND_DIR);
	wqi_buf_put_u32(&b, 0755);
	wqi_buf_put_u64(&b, 0);
	int rc = wqi_proto_decode_put(wqi_buf_head(&b), wqi_buf_used(&b), &m);
	wqi_buf_free(&b);
	return rc;
}

static int decode_output_with(const char *path, size_t pn)
{
	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_output m;
	wqi_buf_put_u64(&b, 1);
	wqi_buf_put_u32(&b, 0);
	wqi_buf_put_str(&b, path, pn);
	wqi_buf_put_u8(&b, WQI_KIND_MISSING);
	wqi_buf_put_u32(&b, 0);
	wqi_buf_put_u64(&b, 0);
	int rc = wqi_proto_decode_output(wqi_buf_head(&b), wqi_buf_used(&b), &m);
	wqi_buf_free(&b);
	return rc;
}

/*
 * Name rules (see wqi_proto_name_ok in proto.c): refused are "", absolute,
 * any ".." / "." / empty component (so "a//b" and "a/" too), NUL, > 4096
 * bytes; "..a", "a..", ".hidden" are ordinary names.
 */
static void test_names(void)
{
	CHECK(wqi_proto_name_ok("a", 1, 0));
	CHECK(wqi_proto_name_ok("a/b", 3, 1));
	CHECK(!wqi_proto_name_ok("a/b", 3, 0));
	CHECK(wqi_proto_name_ok("..a", 3, 0));
	CHECK(wqi_proto_name_ok("a..", 3, 0));
	CHECK(wqi_proto_name_ok(".hidden", 7, 0));
	CHECK(wqi_proto_name_ok("x/..y/z..", 9, 1));
	CHECK(!wqi_proto_name_ok("", 0, 1));
	CHECK(!wqi_proto_name_ok("..", 2, 1));
	CHECK(!wqi_proto_name_ok("../x", 4, 1));
	CHECK(!wqi_proto_name_ok("a/../b", 6, 1));
	CHECK(!wqi_proto_name_ok("a/..", 4, 1));
	CHECK(!wqi_proto_name_ok("/abs", 4, 1));
	CHECK(!wqi_proto_name_ok("a\0b", 3, 1));
	CHECK(!wqi_proto_name_ok(".", 1, 1));
	CHECK(!wqi_proto_name_ok("a/./b", 5, 1));
	CHECK(!wqi_proto_name_ok("a//b", 4, 1));
	CHECK(!wqi_proto_name_ok("a/", 2, 1));
	char *longname = malloc(WQI_NAME_MAX + 1);
	memset(longname, 'n', WQI_NAME_MAX + 1);
	CHECK(wqi_proto_name_ok(longname, WQI_NAME_MAX, 0));
	CHECK(!wqi_proto_name_ok(longname, WQI_NAME_MAX + 1, 0));
	free(longname);

	/* decoders: PUT.path and OUTPUT.path may be "", cachenames never */
	CHECK_EQ_INT(decode_put_with("c", 1, "", 0), 0);
	CHECK_EQ_INT(decode_put_with("c", 1, "d/e", 3), 0);
	CHECK_EQ_INT(decode_put_with("", 0, "", 0), WQ_EPROTO);
	CHECK_EQ_INT(decode_put_with("a/b", 3, "", 0), WQ_EPROTO);
	CHECK_EQ_INT(decode_put_with("..", 2, "", 0), WQ_EPROTO);
	CHECK_EQ_INT(decode_put_with("c", 1, "../x", 4), WQ_EPROTO);
	CHECK_EQ_INT(decode_put_with("c", 1, "/abs", 4), WQ_EPROTO);
	CHECK_EQ_INT(decode_put_with("c", 1, "a/../b", 6), WQ_EPROTO);
	CHECK_EQ_INT(decode_put_with("c", 1, "a\0b", 3), WQ_EPROTO);
	CHECK_EQ_INT(decode_output_with("", 0), 0);
	CHECK_EQ_INT(decode_output_with("x/y", 3), 0);
	CHECK_EQ_INT(decode_output_with("../x", 4), WQ_EPROTO);
	CHECK_EQ_INT(decode_output_with("/etc/passwd", 11), WQ_EPROTO);

	struct wqi_buf b = WQI_BUF_INIT;
	struct wqi_msg_name nm;
	wqi_buf_put_str(&b, "a/b", 3);
	CHECK_EQ_INT(wqi_proto_decode_name(wqi_buf_head(&b), wqi_buf_used(&b), &nm), WQ_EPROTO);
	wqi_buf_free(&b);
}

/* A TASK with bad remote names decodes (the worker fails the task); a bad
 * cachename or a non-empty EMPTY_DIR cachename does not. */
static void test_task_names(void)
{
	struct wqi_buf b = WQI_BUF_INIT;
	uint8_t type;
	const char *p;
	size_t n;
	struct wqi_task_input in[2] = {
		{ WQI_SRC_CACHE, S("file-1"), S("../escape"), 0, S("") },
		{ WQI_SRC_EMPTY_DIR, S(""), S("/abs"), 0, S("") },
	};
	struct wqi_task_output out[1] = { { S("a/../../b"), 0 } };
	struct wqi_msg_task t, d;
	memset(&t, 0, sizeof t);
	t.taskid = 5;
	t.command = S("true");
	t.n_inputs = 2;
	t.inputs = in;
	t.n_outputs = 1;
	t.outputs = out;
	CHECK_EQ_INT(wqi_proto_encode_task(&b, &t), 0);
	CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
	CHECK_EQ_INT(wqi_proto_decode_task(p, n, &d), 0);
	if (d.n_inputs == 2 && d.n_outputs == 1) {
		CHECK(str_is(d.inputs[0].remote_name, "../escape"));
		CHECK(!wqi_proto_name_ok(d.inputs[0].remote_name.p, d.inputs[0].remote_name.n, 1));
		CHECK(str_is(d.outputs[0].remote_name, "a/../../b"));
	}
	wqi_msg_task_free(&d);

	const struct { struct wqi_task_input in; } bad[] = {
		{ { WQI_SRC_CACHE, S(""), S("x"), 0, S("") } },
		{ { WQI_SRC_CACHE, S("a/b"), S("x"), 0, S("") } },
		{ { WQI_SRC_URL, S(".."), S("x"), 0, S("http://h/") } },
		{ { WQI_SRC_EMPTY_DIR, S("c"), S("x"), 0, S("") } },
		{ { 9, S("c"), S("x"), 0, S("") } },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		wqi_buf_clear(&b);
		t.n_inputs = 1;
		t.inputs = (struct wqi_task_input *)&bad[i].in;
		CHECK_EQ_INT(wqi_proto_encode_task(&b, &t), 0);
		CHECK_EQ_INT(one_frame(&b, &type, &p, &n), 0);
		CHECK_EQ_INT(wqi_proto_decode_task(p, n, &d), WQ_EPROTO);
		CHECK(d.env == NULL && d.inputs == NULL);
	}
	wqi_buf_free(&b);
}

static void test_classify(void)
{
	uint16_t v = 0;
	CHECK_EQ_INT(wqi_proto_classify("", 0, &v), WQI_PEER_NEED_MORE);
	CHECK_EQ_INT(wqi_proto_classify("W", 1, &v), WQI_PEER_NEED_MORE);
	CHECK_EQ_INT(wqi_proto_classify("WQ", 2, &v), WQI_PEER_NEED_MORE);
	CHECK_EQ_INT(wqi_proto_classify("WQ\x01", 3, &v), WQI_PEER_NEED_MORE);
	CHECK_EQ_INT(wqi_proto_classify("WQ\x01\x00", 4, &v), WQI_PEER_WORKER);
	CHECK_EQ_INT(v, 1);
	CHECK_EQ_INT(wqi_proto_classify("WQ\x02\x01xyz", 7, &v), WQI_PEER_WORKER);
	CHECK_EQ_INT(v, 0x0102);
	CHECK_EQ_INT(wqi_proto_classify("WX", 2, &v), WQI_PEER_UNKNOWN);
	CHECK_EQ_INT(wqi_proto_classify("G", 1, &v), WQI_PEER_NEED_MORE);
	CHECK_EQ_INT(wqi_proto_classify("GET", 3, &v), WQI_PEER_NEED_MORE);
	CHECK_EQ_INT(wqi_proto_classify("GET /", 5, &v), WQI_PEER_HTTP);
	CHECK_EQ_INT(wqi_proto_classify("GETX", 4, &v), WQI_PEER_UNKNOWN);
	CHECK_EQ_INT(wqi_proto_classify("HEAD /", 6, &v), WQI_PEER_HTTP);
	CHECK_EQ_INT(wqi_proto_classify("POST", 4, &v), WQI_PEER_HTTP);
	CHECK_EQ_INT(wqi_proto_classify("\x16\x03\x01", 3, &v), WQI_PEER_TLS);
	CHECK_EQ_INT(wqi_proto_classify("\x16", 1, &v), WQI_PEER_TLS);
	CHECK_EQ_INT(wqi_proto_classify("hello", 5, &v), WQI_PEER_UNKNOWN);
	CHECK_EQ_INT(wqi_proto_classify("\0", 1, &v), WQI_PEER_UNKNOWN);
}

/* Random payloads and random single-byte corruptions never crash; random
 * bytes are almost never a valid message, and any that decode must obey
 * the limits (checked by ASan/UBSan rather than by value). */
static void test_garbage(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct wqi_buf b = WQI_BUF_INIT;
	static const uint8_t types[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48 };
	int accepted = 0;
	for (int iter = 0; iter < 20000; iter++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t n = (size_t)(seed >> 33) % 200;
		char *q = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			q[i] = (char)(seed >> 56);
		}
		uint8_t type = types[iter % sizeof types];
		int rc = decode_any(type, q, n);
		CHECK(rc == 0 || rc == WQ_EPROTO);
		if (rc == 0 && n > 0)
			accepted++;
		free(q);
	}
	CHECK(accepted < 100);
	/* flip bytes of valid frames */
	for (int i = 0;; i++) {
		wqi_buf_clear(&b);
		int t = encode_sample(i, &b);
		if (t == -1)
			break;
		size_t total = wqi_buf_used(&b);
		for (size_t pos = 5; pos < total; pos++) {
			for (int v = 0; v < 256; v += 37) {
				char *q = malloc(total - 5);
				memcpy(q, wqi_buf_head(&b) + 5, total - 5);
				q[pos - 5] = (char)v;
				int rc = decode_any((uint8_t)t, q, total - 5);
				CHECK(rc == 0 || rc == WQ_EPROTO);
				free(q);
			}
		}
	}
	wqi_buf_free(&b);
}

static const struct wqi_test tests[] = {
	TEST(test_roundtrip_all),
	TEST(test_roundtrip_fields),
	TEST(test_wire_bytes),
	TEST(test_truncated_and_trailing),
	TEST(test_frame_lengths),
	TEST(test_limits),
	TEST(test_names),
	TEST(test_task_names),
	TEST(test_classify),
	TEST(test_garbage),
	{ 0 },
};

int main(void)
{
	return wqi_test_run(tests);
}
