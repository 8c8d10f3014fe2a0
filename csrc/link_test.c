/*
 * link_test.c - unit tests of link.c (with net.c, loop.c, proto.c framing)
 * over socketpairs and TCP loopback. Both ends are driven from one loop:
 * nothing blocks, so a test that stalls fails at its deadline instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "testing.h"
#include "util.h"
#include "work_queue.h"

#define DEADLINE_US (20 * 1000000ull)

static char tmpdir[128];

static void pair(struct wqi_link **a, struct wqi_link **b)
{
	int sv[2];
	*a = *b = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	*a = wqi_link_create(sv[0]);
	*b = wqi_link_create(sv[1]);
}

/* A connected TCP loopback pair, through net.c. */
static void tcp_pair(struct wqi_link **a, struct wqi_link **b)
{
	*a = *b = NULL;
	int lfd = wqi_net_listen("127.0.0.1", 0);
	CHECK(lfd >= 0);
	if (lfd < 0)
		return;
	int port = wqi_net_local_port(lfd);
	CHECK(port > 0);
	int c = wqi_net_connect("127.0.0.1", port, 5000);
	CHECK(c >= 0);
	char addr[64];
	int s = WQ_EAGAIN;
	uint64_t end = wqi_mono_us() + DEADLINE_US;
	while (s == WQ_EAGAIN && wqi_mono_us() < end) {
		struct pollfd p = { lfd, POLLIN, 0 };
		poll(&p, 1, 100);
		s = wqi_net_accept(lfd, addr, sizeof addr);
	}
	CHECK(s >= 0);
	CHECK(strncmp(addr, "127.0.0.1:", 10) == 0);
	char ip[64];
	CHECK_EQ_INT(wqi_net_peer_ip(s, ip, sizeof ip), 0);
	CHECK_EQ_STR(ip, "127.0.0.1");
	close(lfd);
	if (c < 0 || s < 0)
		return;
	*a = wqi_link_create(c);
	*b = wqi_link_create(s);
}

/* Wait briefly until either link's socket is ready, so loops do not spin. */
static void nap(struct wqi_link *a, struct wqi_link *b, int want_write_a)
{
	struct pollfd p[2] = { { wqi_link_fd(a), (short)(want_write_a ? POLLOUT : 0), 0 }, { wqi_link_fd(b), POLLIN, 0 } };
	poll(p, 2, 10);
}

static char *tmpfile_with(size_t size, unsigned seed, int *fd_out)
{
	static int counter;
	char *path = malloc(256);
	snprintf(path, 256, "%s/f%d", tmpdir, counter++);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char chunk[65536];
	uint32_t x = seed;
	for (size_t done = 0; done < size;) {
		size_t k = size - done < sizeof chunk ? size - done : sizeof chunk;
		for (size_t i = 0; i < k; i++) {
			x = x * 1103515245u + 12345u;
			chunk[i] = (char)(x >> 16);
		}
		if (write(fd, chunk, k) != (ssize_t)k)
			break;
		done += k;
	}
	*fd_out = fd;
	return path;
}

static int files_equal(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int eq = fa && fb;
	while (eq) {
		char x[65536], y[65536];
		size_t na = fread(x, 1, sizeof x, fa), nb = fread(y, 1, sizeof y, fb);
		if (na != nb || memcmp(x, y, na) != 0)
			eq = 0;
		if (na == 0)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return eq;
}

/* Read one frame from r (filling as needed); returns its type or -1. */
static int next_frame(struct wqi_link *w, struct wqi_link *r, struct wqi_buf *payload)
{
	uint64_t end = wqi_mono_us() + DEADLINE_US;
	while (wqi_mono_us() < end) {
		uint8_t type;
		const char *p;
		size_t n, flen;
		int rc = wqi_proto_frame(wqi_link_in(r), &type, &p, &n, &flen);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			wqi_buf_clear(payload);
			wqi_buf_append(payload, p, n);
			wqi_buf_consume(wqi_link_in(r), flen);
			return type;
		}
		if (w && wqi_link_flush(w) < 0)
			return -1;
		int64_t got = wqi_link_fill(r);
		if (got < 0)
			return -1;
		if (got == 0)
			nap(w ? w : r, r, w && wqi_link_pending(w) > 0);
	}
	return -1;
}

/* Many small frames arrive whole and in order, with no per-frame allocation of segments. */
static void test_many_small_frames(void)
{
	struct wqi_link *a, *b;
	pair(&a, &b);
	CHECK(a && b);
	if (!a || !b)
		return;
	const int N = 20000;
	int sent = 0, got = 0, bad = 0;
	uint64_t end = wqi_mono_us() + DEADLINE_US;
	while (got < N && wqi_mono_us() < end) {
		for (int k = 0; k < 100 && sent < N; k++, sent++) {
			struct wqi_msg_kill m = { (uint64_t)sent };
			CHECK_EQ_INT(wqi_proto_encode_kill(wqi_link_out(a), &m), 0);
		}
		int rc = wqi_link_flush(a);
		CHECK(rc == 0 || rc == 1);
		int64_t f = wqi_link_fill(b);
		CHECK(f >= 0);
		uint8_t type;
		const char *p;
		size_t n, flen;
		while (wqi_proto_frame(wqi_link_in(b), &type, &p, &n, &flen) == 1) {
			struct wqi_msg_kill m;
			if (type != WQI_MSG_KILL || wqi_proto_decode_kill(p, n, &m) != 0 || m.taskid != (uint64_t)got)
				bad++;
			got++;
			wqi_buf_consume(wqi_link_in(b), flen);
		}
		if (f == 0)
			nap(a, b, wqi_link_pending(a) > 0);
	}
	CHECK_EQ_INT(got, N);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(wqi_link_pending(a), 0);
	CHECK_EQ_INT(wqi_link_bytes_sent(a), (uint64_t)N * 13);
	CHECK_EQ_INT(wqi_link_bytes_received(b), (uint64_t)N * 13);
	wqi_link_delete(a);
	wqi_link_delete(b);
}

/* bytes, file range, bytes: in order, over TCP (sendfile). */
static void test_file_between_bytes(void)
{
	struct wqi_link *a, *b;
	tcp_pair(&a, &b);
	if (!a || !b)
		return;
	int fd;
	char *path = tmpfile_with(100000, 7, &fd);
	wqi_buf_append(wqi_link_out(a), "HEAD", 4);
	CHECK_EQ_INT(wqi_link_queue_file(a, fd, 1000, 50000, 1), 0);
	CHECK_EQ_INT(wqi_link_queue_file(a, -1, 0, 1, 0), WQ_EINVAL);
	wqi_buf_append(wqi_link_out(a), "TAIL", 4);
	CHECK_EQ_INT(wqi_link_pending(a), 4 + 50000 + 4);
	struct wqi_buf got = WQI_BUF_INIT;
	uint64_t end = wqi_mono_us() + DEADLINE_US;
	int rc = 1;
	while ((rc == 1 || wqi_buf_used(wqi_link_in(b)) < 50008) && wqi_mono_us() < end) {
		rc = wqi_link_flush(a);
		CHECK(rc == 0 || rc == 1);
		if (rc < 0)
			break;
		if (wqi_link_fill(b) == 0)
			nap(a, b, rc == 1);
	}
	struct wqi_buf *in = wqi_link_in(b);
	CHECK_EQ_INT(wqi_buf_used(in), 50008);
	char *expect = malloc(50000);
	CHECK(pread(fd, expect, 50000, 1000) == -1);  /* the link closed the fd it owned */
	int fd2 = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(pread(fd2, expect, 50000, 1000) == 50000);
	close(fd2);
	if (wqi_buf_used(in) == 50008) {
		CHECK(memcmp(wqi_buf_head(in), "HEAD", 4) == 0);
		CHECK(memcmp(wqi_buf_head(in) + 4, expect, 50000) == 0);
		CHECK(memcmp(wqi_buf_head(in) + 50004, "TAIL", 4) == 0);
	}
	CHECK_EQ_INT(wqi_link_bytes_sent(a), 50008);
	free(expect);
	free(path);
	wqi_buf_free(&got);
	wqi_link_delete(a);
	wqi_link_delete(b);
}

/*
 * A 20 MiB file announced by a frame, streamed with sendfile, received with
 * recv_to_fd (part of it already in the in-buffer after the header), then a
 * frame after it: byte for byte, with both ends nonblocking.
 */
static void test_stream_20mib(void)
{
	struct wqi_link *a, *b;
	tcp_pair(&a, &b);
	if (!a || !b)
		return;
	const uint64_t SIZE = 20u << 20;
	int fd;
	char *src = tmpfile_with(SIZE, 42, &fd);
	struct wqi_msg_put put = { wqi_str_c("file-1"), wqi_str_c(""), WQI_KIND_FILE, 0644, SIZE };
	CHECK_EQ_INT(wqi_proto_encode_put(wqi_link_out(a), &put), 0);
	CHECK_EQ_INT(wqi_link_queue_file(a, fd, 0, SIZE, 1), 0);
	struct wqi_msg_name end_m = { wqi_str_c("file-1") };
	CHECK_EQ_INT(wqi_proto_encode_name(wqi_link_out(a), WQI_MSG_PUT_END, &end_m), 0);

	struct wqi_buf pl = WQI_BUF_INIT;
	CHECK_EQ_INT(next_frame(a, b, &pl), WQI_MSG_PUT);
	struct wqi_msg_put got;
	CHECK_EQ_INT(wqi_proto_decode_put(wqi_buf_head(&pl), wqi_buf_used(&pl), &got), 0);
	CHECK(got.size == SIZE);

	char dst[256];
	snprintf(dst, sizeof dst, "%s/received", tmpdir);
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	uint64_t left = SIZE;
	uint64_t end = wqi_mono_us() + DEADLINE_US;
	while (left > 0 && wqi_mono_us() < end) {
		int rc = wqi_link_flush(a);
		CHECK(rc == 0 || rc == 1);
		int64_t m = wqi_link_recv_to_fd(b, out, left);
		CHECK(m >= 0);
		if (m < 0)
			break;
		left -= (uint64_t)m;
		if (m == 0)
			nap(a, b, rc == 1);
	}
	CHECK_EQ_INT(left, 0);
	close(out);
	CHECK_EQ_INT(next_frame(a, b, &pl), WQI_MSG_PUT_END);
	CHECK(files_equal(src, dst));
	CHECK_EQ_INT(wqi_link_pending(a), 0);
	CHECK_EQ_INT(wqi_link_bytes_received(b), wqi_link_bytes_sent(a));
	wqi_link_shrink(a);
	wqi_link_shrink(b);
	free(src);
	wqi_buf_free(&pl);
	wqi_link_delete(a);
	wqi_link_delete(b);
}

/* fd < 0 discards exactly the stream; a failed local write keeps the stream position. */
static void test_discard_and_write_error(void)
{
	struct wqi_link *a, *b;
	pair(&a, &b);
	if (!a || !b)
		return;
	const size_t SIZE = 3u << 20;
	char *blob = malloc(SIZE);
	memset(blob, 'q', SIZE);
	struct wqi_msg_kill k1 = { 1 }, k2 = { 2 };
	CHECK_EQ_INT(wqi_proto_encode_kill(wqi_link_out(a), &k1), 0);
	wqi_buf_append(wqi_link_out(a), blob, SIZE);
	CHECK_EQ_INT(wqi_proto_encode_kill(wqi_link_out(a), &k2), 0);
	wqi_buf_append(wqi_link_out(a), blob, SIZE);
	CHECK_EQ_INT(wqi_proto_encode_kill(wqi_link_out(a), &k1), 0);
	free(blob);
	struct wqi_buf pl = WQI_BUF_INIT;

	/* first stream: discarded */
	CHECK_EQ_INT(next_frame(a, b, &pl), WQI_MSG_KILL);
	uint64_t left = SIZE;
	uint64_t end = wqi_mono_us() + DEADLINE_US;
	while (left > 0 && wqi_mono_us() < end) {
		int rc = wqi_link_flush(a);
		int64_t m = wqi_link_recv_to_fd(b, -1, left);
		CHECK(m >= 0);
		if (m < 0)
			break;
		left -= (uint64_t)m;
		if (m == 0)
			nap(a, b, rc == 1);
	}
	CHECK_EQ_INT(left, 0);
	CHECK_EQ_INT(next_frame(a, b, &pl), WQI_MSG_KILL);
	struct wqi_msg_kill k;
	CHECK(wqi_proto_decode_kill(wqi_buf_head(&pl), wqi_buf_used(&pl), &k) == 0 && k.taskid == 2);

	/* second stream: the local file refuses writes; switch to discarding */
	int ro = open("/dev/null", O_RDONLY | O_CLOEXEC);
	left = SIZE;
	int errors = 0;
	end = wqi_mono_us() + DEADLINE_US;
	while (left > 0 && wqi_mono_us() < end) {
		int rc = wqi_link_flush(a);
		int64_t m = wqi_link_recv_to_fd(b, errors ? -1 : ro, left);
		if (m == WQ_EFILE) {
			errors++;
			continue;
		}
		CHECK(m >= 0);
		if (m < 0)
			break;
		left -= (uint64_t)m;
		if (m == 0)
			nap(a, b, rc == 1);
	}
	close(ro);
	CHECK_EQ_INT(errors, 1);
	CHECK_EQ_INT(left, 0);
	CHECK_EQ_INT(next_frame(a, b, &pl), WQI_MSG_KILL);
	CHECK(wqi_proto_decode_kill(wqi_buf_head(&pl), wqi_buf_used(&pl), &k) == 0 && k.taskid == 1);
	wqi_buf_free(&pl);
	wqi_link_delete(a);
	wqi_link_delete(b);
}

/* recv_to_buf takes exactly n bytes, leaving the next frame in place. */
static void test_recv_to_buf(void)
{
	struct wqi_link *a, *b;
	pair(&a, &b);
	if (!a || !b)
		return;
	wqi_buf_append(wqi_link_out(a), "0123456789", 10);
	struct wqi_msg_kill k1 = { 9 };
	wqi_proto_encode_kill(wqi_link_out(a), &k1);
	CHECK_EQ_INT(wqi_link_flush(a), 0);
	struct wqi_buf got = WQI_BUF_INIT, pl = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_link_recv_to_buf(b, &got, 4), 4);   /* straight from the socket */
	CHECK_EQ_INT(wqi_link_fill(b), 6 + 13);
	CHECK_EQ_INT(wqi_link_recv_to_buf(b, &got, 6), 6);   /* from the in-buffer */
	CHECK(wqi_buf_used(&got) == 10 && memcmp(wqi_buf_head(&got), "0123456789", 10) == 0);
	CHECK_EQ_INT(next_frame(NULL, b, &pl), WQI_MSG_KILL);
	wqi_buf_free(&got);
	wqi_buf_free(&pl);
	wqi_link_delete(a);
	wqi_link_delete(b);
}

/*
 * Lazy input buffer: a small message into an empty link allocates about its
 * size, not a whole read's worth; a big one grows the buffer, which is given
 * back at the next read once it has been consumed; a message split across
 * reads keeps its first part.
 */
static void test_lazy_in(void)
{
	struct wqi_link *a, *b;
	pair(&a, &b);
	if (!a || !b)
		return;
	struct wqi_buf *in = wqi_link_in(b);
	CHECK_EQ_INT(wqi_link_fill(b), 0);
	CHECK(in->cap == 0);
	wqi_buf_append(wqi_link_out(a), "0123456789", 10);
	CHECK_EQ_INT(wqi_link_flush(a), 0);
	CHECK_EQ_INT(wqi_link_fill(b), 10);
	CHECK(in->cap > 0 && in->cap <= 4096);
	CHECK(wqi_buf_used(in) == 10 && memcmp(wqi_buf_head(in), "0123456789", 10) == 0);
	/* a partial message: the next bytes are appended after it */
	wqi_buf_append(wqi_link_out(a), "abc", 3);
	CHECK_EQ_INT(wqi_link_flush(a), 0);
	CHECK_EQ_INT(wqi_link_fill(b), 3);
	CHECK(wqi_buf_used(in) == 13 && memcmp(wqi_buf_head(in) + 10, "abc", 3) == 0);
	wqi_buf_consume(in, 13);
	/* 100 KB in one go: more than one read, all of it in order */
	size_t big = 100000;
	char *p = malloc(big);
	CHECK(p != NULL);
	if (p) {
		for (size_t i = 0; i < big; i++)
			p[i] = (char)(i * 7);
		wqi_buf_append(wqi_link_out(a), p, big);
		int f = wqi_link_flush(a);
		int64_t got = 0;
		uint64_t end = wqi_mono_us() + DEADLINE_US;
		while ((size_t)got < big && wqi_mono_us() < end) {
			int64_t r = wqi_link_fill(b);
			CHECK(r >= 0);
			if (r < 0)
				break;
			got += r;
			if (f == 1)
				f = wqi_link_flush(a);
		}
		CHECK(wqi_buf_used(in) == big && memcmp(wqi_buf_head(in), p, big) == 0);
		CHECK(in->cap > 4096);
		wqi_buf_consume(in, big);
		free(p);
	}
	/* consumed: the next small message no longer keeps the big buffer */
	wqi_buf_append(wqi_link_out(a), "z", 1);
	CHECK_EQ_INT(wqi_link_flush(a), 0);
	CHECK_EQ_INT(wqi_link_fill(b), 1);
	CHECK(in->cap <= 4096 && wqi_buf_used(in) == 1 && *wqi_buf_head(in) == 'z');
	CHECK_EQ_INT(wqi_link_fill(b), 0);
	wqi_link_delete(a);
	wqi_link_delete(b);
}

/* EOF: fill and recv_to_fd report -WQ_ECLOSED once buffered bytes are gone. */
static void test_eof(void)
{
	struct wqi_link *a, *b;
	pair(&a, &b);
	if (!a || !b)
		return;
	wqi_buf_append(wqi_link_out(a), "xyz", 3);
	CHECK_EQ_INT(wqi_link_flush(a), 0);
	wqi_link_delete(a);
	CHECK_EQ_INT(wqi_link_fill(b), 3);
	CHECK_EQ_INT(wqi_link_fill(b), WQ_ECLOSED);
	CHECK_EQ_INT(wqi_link_recv_to_fd(b, -1, 10), 3);
	CHECK_EQ_INT(wqi_link_recv_to_fd(b, -1, 10), WQ_ECLOSED);
	struct wqi_buf x = WQI_BUF_INIT;
	CHECK_EQ_INT(wqi_link_recv_to_buf(b, &x, 10), WQ_ECLOSED);
	wqi_buf_free(&x);
	/* sending to a closed peer: an error, never SIGPIPE (bytes and sendfile paths) */
	wqi_buf_append(wqi_link_out(b), "abc", 3);
	CHECK_EQ_INT(wqi_link_flush(b), WQ_ECLOSED);
	wqi_link_delete(b);

	tcp_pair(&a, &b);
	if (!a || !b)
		return;
	int fd;
	char *path = tmpfile_with(1u << 20, 3, &fd);
	wqi_link_delete(b);
	usleep(10000);
	int rc = 0;
	for (int i = 0; i < 50 && rc >= 0; i++) {
		CHECK_EQ_INT(wqi_link_queue_file(a, fd, 0, 1u << 20, 0), 0);
		rc = wqi_link_flush(a);
		if (rc == 1)
			usleep(1000);
	}
	CHECK(rc == WQ_ECLOSED || rc == WQ_EIO);
	sigset_t pend;
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGPIPE));
	close(fd);
	free(path);
	wqi_link_delete(a);
}

/* A file shorter than the range queued is -WQ_EFILE. */
static void test_short_file(void)
{
	struct wqi_link *a, *b;
	tcp_pair(&a, &b);
	if (!a || !b)
		return;
	int fd;
	char *path = tmpfile_with(1000, 1, &fd);
	CHECK_EQ_INT(wqi_link_queue_file(a, fd, 0, 5000, 1), 0);
	int rc = 1;
	for (int i = 0; i < 100 && rc == 1; i++)
		rc = wqi_link_flush(a);
	CHECK_EQ_INT(rc, WQ_EFILE);
	free(path);
	wqi_link_delete(a);
	wqi_link_delete(b);
}

/* The loop reports readiness, hang-up as ERROR|READ, and EINTR-free timeouts. */
static void test_loop(void)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	struct wqi_loop *l = wqi_loop_create();
	CHECK(l != NULL);
	if (!l)
		return;
	int tag = 5;
	struct wqi_event ev[4];
	CHECK_EQ_INT(wqi_loop_add(l, sv[0], WQI_EV_READ, &tag), 0);
	CHECK_EQ_INT(wqi_loop_add(l, sv[0], WQI_EV_READ, &tag), WQ_EEXIST);
	CHECK_EQ_INT(wqi_loop_wait(l, ev, 4, 0), 0);
	CHECK(write(sv[1], "x", 1) == 1);
	CHECK_EQ_INT(wqi_loop_wait(l, ev, 4, 1000), 1);
	CHECK(ev[0].ptr == &tag && ev[0].events == WQI_EV_READ);
	CHECK_EQ_INT(wqi_loop_mod(l, sv[0], WQI_EV_READ | WQI_EV_WRITE, &tag), 0);
	CHECK_EQ_INT(wqi_loop_wait(l, ev, 4, 1000), 1);
	CHECK_EQ_INT(ev[0].events, WQI_EV_READ | WQI_EV_WRITE);
	close(sv[1]);
	CHECK_EQ_INT(wqi_loop_wait(l, ev, 4, 1000), 1);
	CHECK(ev[0].events & WQI_EV_ERROR);
	CHECK(ev[0].events & WQI_EV_READ);
	CHECK_EQ_INT(wqi_loop_del(l, sv[0]), 0);
	CHECK_EQ_INT(wqi_loop_del(l, sv[0]), WQ_ENOENT);
	uint64_t t0 = wqi_mono_us();
	CHECK_EQ_INT(wqi_loop_wait(l, ev, 4, 30), 0);
	CHECK(wqi_mono_us() - t0 >= 25000);
	close(sv[0]);
	wqi_loop_delete(l);
}

/* net: connect to a closed port fails cleanly; bad arguments are refused. */
static void test_net_errors(void)
{
	int lfd = wqi_net_listen("127.0.0.1", 0);
	int port = wqi_net_local_port(lfd);
	close(lfd);
	CHECK(wqi_net_connect("127.0.0.1", port, 2000) < 0);
	CHECK_EQ_INT(wqi_net_listen("not-an-address", 0), WQ_EINVAL);
	CHECK_EQ_INT(wqi_net_connect("127.0.0.1", 0, 100), WQ_EINVAL);
	int fd = wqi_net_connect("localhost", 1, 2000);
	CHECK(fd < 0);
	lfd = wqi_net_listen(NULL, 0);
	CHECK(lfd >= 0);
	char a[64];
	CHECK_EQ_INT(wqi_net_accept(lfd, a, sizeof a), WQ_EAGAIN);
	CHECK(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	close(lfd);
}

static const struct wqi_test tests[] = {
	TEST(test_many_small_frames),
	TEST(test_file_between_bytes),
	TEST(test_stream_20mib),
	TEST(test_discard_and_write_error),
	TEST(test_recv_to_buf),
	TEST(test_eof),
	TEST(test_short_file),
	TEST(test_loop),
	TEST(test_net_errors),
	TEST(test_lazy_in),
	{ 0 },
};

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/wq_link_test.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	int rc = wqi_test_run(tests);
	wqi_rm_rf(tmpdir);
	return rc;
}
