/*
 * proto.h - the wire protocol: pure encode/decode over buffers (internal).
 *
 * docs/protocol.md is the specification; this header implements it. Every
 * message is in the table in proto.c (wqi_proto_msg_name). Encoders append
 * one whole frame to a wqi_buf. Decoders parse one frame's payload into a
 * struct whose wqi_str fields borrow from the payload (valid until the
 * caller consumes the frame from its buffer). Decoders check every limit
 * and return 0 or -WQ_EPROTO; they never read past the payload.
 *
 * Version and change log:
 *   1  2026-11-25  first version
 */
#ifndef WQI_PROTO_H
#define WQI_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

#define WQI_PROTO_VERSION 1
#define WQI_PREAMBLE_LEN 4                 /* "WQ" + u16 version */
#define WQI_FRAME_MAX (16u << 20)          /* type byte + payload */
#define WQI_STR_MAX (1u << 20)
#define WQI_NAME_MAX 4096
#define WQI_LIST_MAX 65536
#define WQI_STREAM_MAX (1ULL << 50)

enum wqi_msg_type {
	/* worker -> master */
	WQI_MSG_HELLO = 0x01,
	WQI_MSG_OUTPUT = 0x02,
	WQI_MSG_RESULT = 0x03,
	WQI_MSG_ALIVE = 0x04,
	WQI_MSG_BYE = 0x05,
	WQI_MSG_CACHE_FAIL = 0x06,
	/* master -> worker */
	WQI_MSG_WELCOME = 0x40,
	WQI_MSG_REJECT = 0x41,
	WQI_MSG_PUT = 0x42,
	WQI_MSG_PUT_END = 0x43,
	WQI_MSG_TASK = 0x44,
	WQI_MSG_KILL = 0x45,
	WQI_MSG_KEEPALIVE = 0x46,
	WQI_MSG_EXIT = 0x47,
	WQI_MSG_UNLINK = 0x48,
};

/* kind of a PUT or OUTPUT object */
enum wqi_kind { WQI_KIND_FILE = 1, WQI_KIND_DIR = 2, WQI_KIND_MISSING = 3, WQI_KIND_SYMLINK_OUTSIDE = 4 };
/* source of a task input */
enum wqi_source { WQI_SRC_CACHE = 1, WQI_SRC_URL = 2, WQI_SRC_COMMAND = 3, WQI_SRC_EMPTY_DIR = 4 };

/* A borrowed string: p points into a frame payload (or a C string), not NUL-terminated. */
struct wqi_str {
	const char *p;
	uint32_t n;
};
static inline struct wqi_str wqi_str_c(const char *s) { struct wqi_str r = { s ? s : "", s ? (uint32_t)strlen(s) : 0 }; return r; }
static inline int wqi_str_eq(struct wqi_str a, const char *s) { size_t n = strlen(s); return a.n == n && memcmp(a.p, s, n) == 0; }
char *wqi_str_dup(struct wqi_str s);        /* malloc'd NUL-terminated copy, NULL on ENOMEM */

struct wqi_msg_hello {
	uint32_t version;
	struct wqi_str worker_version, hostname, os, arch, worker_id;
	int64_t cores, memory_mb, disk_mb, gpus;
	struct wqi_str project, auth;
};
struct wqi_msg_output {       /* then size bytes if kind == FILE */
	uint64_t taskid;
	uint32_t index;           /* which output of the task */
	struct wqi_str path;      /* "" for the output's root, else relative to it */
	uint8_t kind;
	uint32_t mode;
	uint64_t size;
};
struct wqi_msg_result {       /* then output_size bytes */
	uint64_t taskid;
	uint32_t result;          /* WORK_QUEUE_RESULT_* bits from the worker */
	int32_t exit_status;
	uint64_t start_us, end_us;
	uint64_t output_size;
	uint8_t output_truncated;
};
struct wqi_msg_text {         /* BYE, REJECT, EXIT */
	struct wqi_str reason;
};
struct wqi_msg_cache_fail {
	struct wqi_str cachename, reason;
};
struct wqi_msg_welcome {
	uint32_t version;
	struct wqi_str master_version, project;
	uint32_t keepalive_interval_s;
	struct wqi_str auth;
};
struct wqi_msg_put {          /* then size bytes if kind == FILE */
	struct wqi_str cachename, path;
	uint8_t kind;
	uint32_t mode;
	uint64_t size;
};
struct wqi_msg_name {         /* PUT_END, UNLINK */
	struct wqi_str cachename;
};
struct wqi_msg_kill {
	uint64_t taskid;
};
struct wqi_task_env {
	struct wqi_str name, value;
};
struct wqi_task_input {
	uint8_t source;           /* enum wqi_source */
	struct wqi_str cachename, remote_name;
	uint32_t flags;           /* WORK_QUEUE_CACHE, ... */
	struct wqi_str arg;       /* URL or command, else "" */
};
struct wqi_task_output {
	struct wqi_str remote_name;
	uint32_t flags;
};
struct wqi_msg_task {
	uint64_t taskid;
	struct wqi_str command;
	int64_t cores, memory_mb, disk_mb, gpus;   /* the allocation */
	int64_t memory_limit_mb, disk_limit_mb;    /* enforced limits, 0 = none (declared by the task) */
	uint64_t max_run_time_us, end_time_us, output_max;
	uint32_t n_env;
	struct wqi_task_env *env;
	uint32_t n_inputs;
	struct wqi_task_input *inputs;
	uint32_t n_outputs;
	struct wqi_task_output *outputs;
};

/* Name of a message type for logs ("HELLO"), or NULL for an unknown type. */
const char *wqi_proto_msg_name(uint8_t type);

/* Preamble: "WQ" + u16 version (little-endian). */
int wqi_proto_put_preamble(struct wqi_buf *b);
enum wqi_peer { WQI_PEER_NEED_MORE = 0, WQI_PEER_WORKER, WQI_PEER_HTTP, WQI_PEER_TLS, WQI_PEER_UNKNOWN };
/* Classify a connection by its first n bytes. For WQI_PEER_WORKER, *version
 * is the peer's protocol version (which may differ from ours). */
enum wqi_peer wqi_proto_classify(const char *p, size_t n, uint16_t *version);

/* A complete frame at the head of b? 1 = yes (type, payload, plen set;
 * frame_len = bytes to consume), 0 = need more bytes, -WQ_EPROTO = bad length. */
int wqi_proto_frame(const struct wqi_buf *b, uint8_t *type, const char **payload, size_t *plen, size_t *frame_len);

/* Is this an acceptable relative name? (non-empty, not absolute, no ".",
 * ".." or empty component, no NUL, <= WQI_NAME_MAX; single component if
 * !allow_slash) */
int wqi_proto_name_ok(const char *p, size_t n, int allow_slash);

/* Encoders: append one frame. 0 or -WQ_ENOMEM (-WQ_EINVAL if a field breaks a limit). */
int wqi_proto_encode_hello(struct wqi_buf *b, const struct wqi_msg_hello *m);
int wqi_proto_encode_output(struct wqi_buf *b, const struct wqi_msg_output *m);
int wqi_proto_encode_result(struct wqi_buf *b, const struct wqi_msg_result *m);
int wqi_proto_encode_empty(struct wqi_buf *b, uint8_t type);                          /* ALIVE, KEEPALIVE */
int wqi_proto_encode_text(struct wqi_buf *b, uint8_t type, const struct wqi_msg_text *m); /* BYE, REJECT, EXIT */
int wqi_proto_encode_cache_fail(struct wqi_buf *b, const struct wqi_msg_cache_fail *m);
int wqi_proto_encode_welcome(struct wqi_buf *b, const struct wqi_msg_welcome *m);
int wqi_proto_encode_put(struct wqi_buf *b, const struct wqi_msg_put *m);
int wqi_proto_encode_name(struct wqi_buf *b, uint8_t type, const struct wqi_msg_name *m); /* PUT_END, UNLINK */
int wqi_proto_encode_kill(struct wqi_buf *b, const struct wqi_msg_kill *m);
int wqi_proto_encode_task(struct wqi_buf *b, const struct wqi_msg_task *m);

/* Decoders: payload of a frame of the matching type. 0 or -WQ_EPROTO. */
int wqi_proto_decode_hello(const char *p, size_t n, struct wqi_msg_hello *m);
int wqi_proto_decode_output(const char *p, size_t n, struct wqi_msg_output *m);
int wqi_proto_decode_result(const char *p, size_t n, struct wqi_msg_result *m);
int wqi_proto_decode_empty(const char *p, size_t n);
int wqi_proto_decode_text(const char *p, size_t n, struct wqi_msg_text *m);
int wqi_proto_decode_cache_fail(const char *p, size_t n, struct wqi_msg_cache_fail *m);
int wqi_proto_decode_welcome(const char *p, size_t n, struct wqi_msg_welcome *m);
int wqi_proto_decode_put(const char *p, size_t n, struct wqi_msg_put *m);
int wqi_proto_decode_name(const char *p, size_t n, struct wqi_msg_name *m);
int wqi_proto_decode_kill(const char *p, size_t n, struct wqi_msg_kill *m);
/* Allocates m->env/inputs/outputs (one block); free with wqi_msg_task_free. */
int wqi_proto_decode_task(const char *p, size_t n, struct wqi_msg_task *m);
void wqi_msg_task_free(struct wqi_msg_task *m);

#endif
