/*
 * e2e_sandbox.c - names never escape the sandbox.
 *
 *  1. The API refuses remote names "../x", "/etc/x", "a/../../b".
 *  2. A fake master (this program, speaking docs/protocol.md through
 *     csrc/proto.h, net.h, link.h) accepts a real wq_worker and sends TASKs
 *     whose input remote_name is "../escape" and whose output is
 *     "../../etc/x": the worker answers RESULT with bit 1 (or 2) and
 *     creates nothing outside its workdir. A well-formed TASK then runs, to
 *     show the fake master itself is right.
 *  3. Through the real master: an output that is a symlink to /etc/passwd
 *     gives result 2 and no local file; output over the cap
 *     (work_queue_specify_max_output_size(q, 1000), 5000 bytes printed) is
 *     truncated to 1000 bytes with result 4.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"
#include "link.h"
#include "net.h"
#include "proto.h"

#define CACHENAME "file-00000000000000aa"

/* ---- the fake master's I/O: blocking helpers over a nonblocking link ---- */

/* Send everything queued on the link, waiting up to 10 s. 0 or -1. */
static int fm_flush(struct wqi_link *l)
{
	uint64_t end = h_mono_ms() + 10000;
	for (;;) {
		int rc = wqi_link_flush(l);
		if (rc == 0)
			return 0;
		if (rc < 0 || h_mono_ms() > end)
			return -1;
		struct pollfd p = { wqi_link_fd(l), POLLOUT, 0 };
		poll(&p, 1, 100);
	}
}

/* Read more bytes into the link's input, waiting up to 100 ms. 0, or -1 when closed. */
static int fm_fill(struct wqi_link *l)
{
	struct pollfd p = { wqi_link_fd(l), POLLIN, 0 };
	poll(&p, 1, 100);
	int64_t r = wqi_link_fill(l);
	return r < 0 ? -1 : 0;
}

/* The next frame from the worker, within timeout_ms. 1 = got one (the
 * caller consumes frame_len after use), 0 = timeout, -1 = closed or bad. */
static int fm_frame(struct wqi_link *l, uint8_t *type, const char **payload, size_t *plen, size_t *flen, int timeout_ms)
{
	uint64_t end = h_mono_ms() + (uint64_t)timeout_ms;
	for (;;) {
		int rc = wqi_proto_frame(wqi_link_in(l), type, payload, plen, flen);
		if (rc == 1)
			return 1;
		if (rc < 0)
			return -1;
		if (h_mono_ms() > end)
			return 0;
		if (fm_fill(l) < 0)
			return wqi_proto_frame(wqi_link_in(l), type, payload, plen, flen) == 1 ? 1 : -1;
	}
}

/* Read n raw stream bytes into out (may be NULL to discard). 0 or -1. */
static int fm_stream(struct wqi_link *l, uint64_t n, struct wqi_buf *out)
{
	struct wqi_buf sink = WQI_BUF_INIT;
	uint64_t end = h_mono_ms() + 10000;
	while (n > 0) {
		int64_t r = wqi_link_recv_to_buf(l, out ? out : &sink, n);
		if (r < 0)
			break;
		n -= (uint64_t)r;
		if (!out)
			wqi_buf_clear(&sink);
		if (n > 0) {
			if (h_mono_ms() > end)
				break;
			struct pollfd p = { wqi_link_fd(l), POLLIN, 0 };
			poll(&p, 1, 100);
		}
	}
	wqi_buf_free(&sink);
	return n == 0 ? 0 : -1;
}

/* Append one frame (u32 length, type, payload) to the link's output. */
static void fm_send_frame(struct wqi_link *l, uint8_t type, const struct wqi_buf *payload)
{
	struct wqi_buf *o = wqi_link_out(l);
	wqi_buf_put_u32(o, (uint32_t)(1 + wqi_buf_used(payload)));
	wqi_buf_put_u8(o, type);
	wqi_buf_append(o, wqi_buf_head(payload), wqi_buf_used(payload));
}

/* A TASK, encoded by hand (the library's encoder may rightly refuse the
 * bad names this test needs). One CACHE input, one output. */
static void fm_send_task(struct wqi_link *l, uint64_t id, const char *cmd, const char *in_name, const char *out_name)
{
	struct wqi_buf p = WQI_BUF_INIT;
	wqi_buf_put_u64(&p, id);
	wqi_buf_put_str(&p, cmd, strlen(cmd));
	wqi_buf_put_u64(&p, 1);      /* cores */
	wqi_buf_put_u64(&p, 10);     /* memory_mb */
	wqi_buf_put_u64(&p, 10);     /* disk_mb */
	wqi_buf_put_u64(&p, 0);      /* gpus */
	wqi_buf_put_u64(&p, 0);      /* memory_limit_mb */
	wqi_buf_put_u64(&p, 0);      /* disk_limit_mb */
	wqi_buf_put_u64(&p, 0);      /* max_run_time_us */
	wqi_buf_put_u64(&p, 0);      /* end_time_us */
	wqi_buf_put_u64(&p, 1 << 20); /* output_max */
	wqi_buf_put_u32(&p, 0);      /* env */
	wqi_buf_put_u32(&p, 1);      /* inputs */
	wqi_buf_put_u8(&p, WQI_SRC_CACHE);
	wqi_buf_put_str(&p, CACHENAME, strlen(CACHENAME));
	wqi_buf_put_str(&p, in_name, strlen(in_name));
	wqi_buf_put_u32(&p, WORK_QUEUE_CACHE);
	wqi_buf_put_str(&p, "", 0);
	wqi_buf_put_u32(&p, 1);      /* outputs */
	wqi_buf_put_str(&p, out_name, strlen(out_name));
	wqi_buf_put_u32(&p, 0);
	fm_send_frame(l, WQI_MSG_TASK, &p);
	wqi_buf_free(&p);
}

struct fm_result {
	int got;                 /* a RESULT arrived */
	int closed;              /* the worker closed the connection instead */
	uint32_t result;
	int32_t exit_status;
	char output[256];        /* the task's output (first bytes) */
	int n_outputs;           /* OUTPUT frames seen */
	uint8_t out_kind;        /* kind of the last OUTPUT */
	char out_data[256];      /* contents of the last FILE output (first bytes) */
};

/* Read frames until the RESULT for taskid (OUTPUTs and ALIVEs on the way). */
static void fm_wait_result(struct wqi_link *l, uint64_t taskid, struct fm_result *r, int timeout_ms)
{
	memset(r, 0, sizeof *r);
	uint64_t end = h_mono_ms() + (uint64_t)timeout_ms;
	while (h_mono_ms() < end) {
		uint8_t type;
		const char *pl;
		size_t plen, flen;
		int rc = fm_frame(l, &type, &pl, &plen, &flen, 1000);
		if (rc < 0) {
			r->closed = 1;
			return;
		}
		if (rc == 0)
			continue;
		if (type == WQI_MSG_OUTPUT) {
			struct wqi_msg_output m;
			if (wqi_proto_decode_output(pl, plen, &m) < 0) {
				h_note("worker sent a bad OUTPUT frame");
				r->closed = 1;
				return;
			}
			uint8_t kind = m.kind;
			uint64_t size = m.size;
			wqi_buf_consume(wqi_link_in(l), flen);
			r->n_outputs++;
			r->out_kind = kind;
			if (kind == WQI_KIND_FILE) {
				struct wqi_buf data = WQI_BUF_INIT;
				if (fm_stream(l, size, &data) < 0) {
					wqi_buf_free(&data);
					r->closed = 1;
					return;
				}
				size_t n = wqi_buf_used(&data) < sizeof r->out_data - 1 ? wqi_buf_used(&data) : sizeof r->out_data - 1;
				if (n)
					memcpy(r->out_data, wqi_buf_head(&data), n);
				r->out_data[n] = 0;
				wqi_buf_free(&data);
			}
		} else if (type == WQI_MSG_RESULT) {
			struct wqi_msg_result m;
			if (wqi_proto_decode_result(pl, plen, &m) < 0) {
				h_note("worker sent a bad RESULT frame");
				r->closed = 1;
				return;
			}
			wqi_buf_consume(wqi_link_in(l), flen);
			struct wqi_buf data = WQI_BUF_INIT;
			int ok = fm_stream(l, m.output_size, &data) == 0;
			size_t n = wqi_buf_used(&data) < sizeof r->output - 1 ? wqi_buf_used(&data) : sizeof r->output - 1;
			if (n)
				memcpy(r->output, wqi_buf_head(&data), n);
			r->output[n] = 0;
			wqi_buf_free(&data);
			if (!ok) {
				r->closed = 1;
				return;
			}
			if (m.taskid != taskid) {
				h_note("RESULT for task %llu while waiting for %llu", (unsigned long long)m.taskid, (unsigned long long)taskid);
				continue;
			}
			r->got = 1;
			r->result = m.result;
			r->exit_status = m.exit_status;
			return;
		} else {
			const char *name = wqi_proto_msg_name(type);
			if (type != WQI_MSG_ALIVE)
				h_note("fake master: got %s (0x%02x) frame", name ? name : "unknown", type);
			wqi_buf_consume(wqi_link_in(l), flen);
		}
	}
}

/* Names of the entries of dir, sorted into one string (for before/after). */
static char *list_dir(const char *dir)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	struct wqi_buf b = WQI_BUF_INIT;
	for (int i = 0; i < n; i++) {
		wqi_buf_printf(&b, "%s\n", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	wqi_buf_append(&b, "", 1);
	return b.data ? b.data + b.off : strdup("");
}

/* Is there an entry named name anywhere under dir? */
static int find_name(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int found = 0;
	while (!found && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(e->d_name, name)) {
			found = 1;
			break;
		}
		char sub[4096];
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			found = find_name(sub, name);
	}
	closedir(d);
	return found;
}

/* ---- part 1: the API ---- */

static void test_api_names(void)
{
	const char *local = h_path("api-in.txt");
	h_write_file(local, "x", 1, 0644);
	static const char *bad[] = { "../x", "/etc/x", "a/../../b", "..", "a/..", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct work_queue_task *t = work_queue_task_create("true");
		H_CHECK(work_queue_task_specify_file(t, local, bad[i], WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE) == 0,
			"specify_file refuses input remote name \"%s\"", bad[i]);
		H_CHECK(work_queue_task_specify_file(t, local, bad[i], WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE) == 0,
			"specify_file refuses output remote name \"%s\"", bad[i]);
		H_CHECK(work_queue_task_specify_buffer(t, "x", 1, bad[i], WORK_QUEUE_NOCACHE) == 0,
			"specify_buffer refuses remote name \"%s\"", bad[i]);
		work_queue_task_delete(t);
	}
	struct work_queue_task *t = work_queue_task_create("true");
	H_CHECK(work_queue_task_specify_file(t, local, "sub/dir/in.txt", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE) == 1,
		"specify_file accepts a relative name with directories \"sub/dir/in.txt\"");
	H_CHECK(work_queue_task_specify_file(t, local, "a..b", WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE) == 1,
		"specify_file accepts \"a..b\" (not a .. component)");
	work_queue_task_delete(t);
}

/* ---- part 2: a hostile master ---- */

static void test_fake_master(void)
{
	int lfd = wqi_net_listen("127.0.0.1", 0);
	int port = lfd >= 0 ? wqi_net_local_port(lfd) : -1;
	if (!H_CHECK(lfd >= 0 && port > 0, "fake master listens on port %d", port))
		return;
	const char *outer = h_mkdir("w");       /* the workdir's parent: must stay untouched */
	const char *wd = h_path("w/wd");
	h_mkdir("w/wd");
	char *before = list_dir(outer);
	struct h_worker *w = h_worker_start_in("127.0.0.1", port, wd, "--cores 1 --memory 100 --disk 100");

	int fd = -1;
	char addr[64];
	uint64_t end = h_mono_ms() + 30000;
	while (fd < 0 && h_mono_ms() < end) {
		struct pollfd p = { lfd, POLLIN, 0 };
		poll(&p, 1, 100);
		fd = wqi_net_accept(lfd, addr, sizeof addr);
	}
	close(lfd);
	if (!H_CHECK(fd >= 0, "the worker connects to the fake master")) {
		free(before);
		return;
	}
	struct wqi_link *l = wqi_link_create(fd);

	/* preamble + HELLO */
	while (wqi_buf_used(wqi_link_in(l)) < WQI_PREAMBLE_LEN && h_mono_ms() < end)
		if (fm_fill(l) < 0)
			break;
	uint16_t ver = 0;
	enum wqi_peer peer = wqi_proto_classify(wqi_buf_head(wqi_link_in(l)), wqi_buf_used(wqi_link_in(l)), &ver);
	H_CHECK(peer == WQI_PEER_WORKER && ver == WQI_PROTO_VERSION, "the worker sends the preamble \"WQ\" + version %d", ver);
	if (wqi_buf_used(wqi_link_in(l)) >= WQI_PREAMBLE_LEN)
		wqi_buf_consume(wqi_link_in(l), WQI_PREAMBLE_LEN);
	uint8_t type = 0;
	const char *pl;
	size_t plen, flen;
	int rc = fm_frame(l, &type, &pl, &plen, &flen, 10000);
	struct wqi_msg_hello hello;
	H_CHECK(rc == 1 && type == WQI_MSG_HELLO && wqi_proto_decode_hello(pl, plen, &hello) == 0, "the worker sends HELLO");
	if (rc == 1)
		wqi_buf_consume(wqi_link_in(l), flen);

	/* WELCOME, then the cached input "hello" */
	struct wqi_msg_welcome wel = { WQI_PROTO_VERSION, wqi_str_c("e2e-fake"), wqi_str_c(""), 120, wqi_str_c("") };
	wqi_proto_encode_welcome(wqi_link_out(l), &wel);
	struct wqi_msg_put put = { wqi_str_c(CACHENAME), wqi_str_c(""), WQI_KIND_FILE, 0644, 5 };
	wqi_proto_encode_put(wqi_link_out(l), &put);
	wqi_buf_append(wqi_link_out(l), "hello", 5);
	struct wqi_msg_name pe = { wqi_str_c(CACHENAME) };
	wqi_proto_encode_name(wqi_link_out(l), WQI_MSG_PUT_END, &pe);

	/* task 1: bad input and bad output names, a command that would write out */
	fm_send_task(l, 1, "echo pwned > ../../etc/x; echo pwned > ../escape-ran", "../escape", "../../etc/x");
	H_CHECK(fm_flush(l) == 0, "fake master sends WELCOME, PUT, PUT_END, TASK");
	struct fm_result r;
	fm_wait_result(l, 1, &r, 20000);
	if (H_CHECK(r.got, "bad names: the worker answers RESULT (closed the connection instead: %d)", r.closed))
		H_CHECK((r.result & 3) != 0, "bad names: result has bit 1 or 2 (got %u)", r.result);

	/* task 2: a good input, a bad output name */
	if (!r.closed) {
		fm_send_task(l, 2, "cat in.txt > out.txt", "in.txt", "../../etc/x");
		fm_flush(l);
		fm_wait_result(l, 2, &r, 20000);
		if (H_CHECK(r.got, "bad output name: the worker answers RESULT (closed: %d)", r.closed))
			H_CHECK((r.result & 2) != 0, "bad output name: result has bit 2 (got %u)", r.result);
	}

	/* task 3: well-formed, to show the fake master speaks the protocol right */
	if (!r.closed) {
		fm_send_task(l, 3, "cat in.txt > out.txt; cat in.txt", "in.txt", "out.txt");
		fm_flush(l);
		fm_wait_result(l, 3, &r, 20000);
		H_CHECK(r.got && r.result == 0 && r.exit_status == 0 && strcmp(r.output, "hello") == 0,
			"a good task on the fake master: result %u, exit %d, output \"%s\"", r.result, r.exit_status, r.output);
		H_CHECK(r.n_outputs == 1 && r.out_kind == WQI_KIND_FILE && strcmp(r.out_data, "hello") == 0,
			"a good task returns its output file (%d OUTPUT frames, kind %u, \"%s\")", r.n_outputs, r.out_kind, r.out_data);
	}

	/* task 4: an output that is a symlink out of the sandbox */
	if (!r.closed) {
		fm_send_task(l, 4, "ln -s /etc/passwd out.txt", "in.txt", "out.txt");
		fm_flush(l);
		fm_wait_result(l, 4, &r, 20000);
		H_CHECK(r.got && (r.result & 2) && r.n_outputs == 1 && r.out_kind == WQI_KIND_SYMLINK_OUTSIDE,
			"a symlink output to /etc/passwd: OUTPUT kind SYMLINK_OUTSIDE (%u), result bit 2 (%u)", r.out_kind, r.result);
	}

	char *after = list_dir(outer);
	if (!H_CHECK(strcmp(before, after) == 0, "nothing appeared beside the workdir"))
		h_note("before:\n%safter:\n%s", before, after);
	H_CHECK(!h_file_exists(h_path("w/etc")) && !h_file_exists(h_path("etc")) && !h_file_exists(h_path("escape")) && !h_file_exists(h_path("escape-ran")),
		"nothing appeared above the workdir");
	H_CHECK(!find_name(wd, "escape") && !find_name(wd, "escape-ran") && !find_name(wd, "etc"),
		"the bad names were not made inside the workdir either (the command never ran)");
	free(before);
	free(after);

	/* EXIT: the worker leaves */
	struct wqi_msg_text ex = { wqi_str_c("test over") };
	wqi_proto_encode_text(wqi_link_out(l), WQI_MSG_EXIT, &ex);
	fm_flush(l);
	H_CHECK(h_worker_reap(w, 10000), "the worker exits after EXIT");
	char *left = list_dir(wd);
	if (!H_CHECK(strcmp(left, ".\n..\n") == 0, "the worker removed its work directory"))
		h_note("left in the workdir:\n%s", left);
	free(left);
	wqi_link_delete(l);
}

/* ---- part 3: the real master ---- */

static void test_real_master(void)
{
	struct work_queue *q = work_queue_create(0);
	if (!H_CHECK(q != NULL, "work_queue_create(0) makes a master"))
		return;
	h_worker_start(work_queue_port(q), "--cores 1 --memory 1000 --disk 1000");
	if (!H_CHECK(h_wait_workers(q, 1, 30000), "a worker connects to the real master")) {
		work_queue_delete(q);
		return;
	}
	/* an output that is a symlink to /etc/passwd */
	const char *dir = h_mkdir("symout");
	const char *local = h_path("symout/out");
	struct work_queue_task *t = work_queue_task_create("ln -s /etc/passwd out");
	work_queue_task_specify_file(t, local, "out", WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE);
	work_queue_submit(q, t);
	struct work_queue_task *r = h_next_task(q, 30000);
	if (H_CHECK(r != NULL, "the symlink-output task comes back")) {
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_OUTPUT_MISSING, "symlink out of the sandbox: result 2 (got %d)", work_queue_task_get_result(r));
		work_queue_task_delete(r);
	}
	char *ls = list_dir(dir);
	if (!H_CHECK(!h_file_exists(local) && strcmp(ls, ".\n..\n") == 0, "no local output file (nor a temporary) is made"))
		h_note("the directory holds:\n%s", ls);
	free(ls);

	/* output over the cap */
	H_CHECK(work_queue_specify_max_output_size(q, 1000) == 0, "specify_max_output_size(q, 1000)");
	t = work_queue_task_create("head -c 5000 /dev/zero | tr '\\000' a");
	work_queue_submit(q, t);
	r = h_next_task(q, 30000);
	if (H_CHECK(r != NULL, "the 5000-byte task comes back")) {
		const char *out = work_queue_task_get_output(r);
		uint64_t len = work_queue_task_get_output_length(r);
		H_CHECK(work_queue_task_get_result(r) == WORK_QUEUE_RESULT_STDOUT_MISSING, "output over the cap: result 4 (got %d)", work_queue_task_get_result(r));
		H_CHECK(len == 1000 && out && strlen(out) == 1000, "output truncated to 1000 bytes (length %llu, strlen %zu)", (unsigned long long)len, out ? strlen(out) : 0);
		H_CHECK(out && strspn(out, "a") == strlen(out), "the kept bytes are the first ones");
		work_queue_task_delete(r);
	}
	t = work_queue_task_create("echo small");
	work_queue_submit(q, t);
	r = h_next_task(q, 30000);
	H_CHECK(r && work_queue_task_get_result(r) == WORK_QUEUE_RESULT_SUCCESS, "output under the cap: result 0");
	if (r)
		work_queue_task_delete(r);
	if (h_failed_count())
		h_print_stats(q);
	work_queue_delete(q);
}

int main(void)
{
	h_init("e2e_sandbox", 120);
	test_api_names();
	test_fake_master();
	test_real_master();
	return h_finish();
}
