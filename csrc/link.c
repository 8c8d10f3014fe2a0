/*
 * link.c - a nonblocking, buffered connection (see link.h).
 *
 * Outgoing data: a FIFO of segments (older byte buffers and file ranges)
 * followed by `out`, the byte buffer callers append frames to. In the common
 * case (no files queued) the FIFO is empty and frames simply accumulate in
 * `out`, which one send() drains: no allocation per frame, and every frame
 * queued between two flushes goes out in one system call. Queuing a file
 * moves `out` (the struct, not its bytes) into the FIFO and starts a new one.
 *
 * Incoming data: `in` is filled by wqi_link_fill(). When `in` is empty the
 * first read goes to a stack buffer and only the bytes read are copied into
 * `in`, which is sized to them (a few hundred bytes for a RESULT), and an
 * empty `in` holding more than IN_KEEP bytes is given back first: an idle
 * link keeps at most a small buffer, not the 16 KiB a read asks for, so
 * 10,000 idle links stay cheap. Streams of known length
 * (file contents) bypass it in wqi_link_recv_to_fd(), which reads the socket
 * into a stack buffer and writes to the file. If that write fails, the bytes
 * not written are put back at the head of `in`, so the stream position is
 * never lost and the caller can go on discarding.
 */
#include "link.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "work_queue.h"

#define FILL_MAX (1u << 20)          /* bytes read per wqi_link_fill, for fairness */
#define FILL_FIRST (16u << 10)       /* first read asks for this much; grows if filled */
#define IN_KEEP 4096u                /* an empty `in` larger than this is freed before a read */
#define FILL_GROW (256u << 10)
#define STREAM_CHUNK (128u << 10)    /* stack buffer of recv_to_fd */
#define STREAM_CALL_MAX (4u << 20)   /* bytes moved per recv_to_* call, for fairness */
#define SENDFILE_CHUNK (16u << 20)   /* bytes asked of one sendfile call */

enum seg_kind { SEG_BYTES, SEG_FILE };

struct seg {
	struct seg *next;
	enum seg_kind kind;
	struct wqi_buf buf;   /* SEG_BYTES: bytes still to send */
	int fd;               /* SEG_FILE: the file */
	int own_fd;           /* SEG_FILE: close fd when done */
	uint64_t off;         /* SEG_FILE: next offset to send */
	uint64_t left;        /* SEG_FILE: bytes still to send */
};

struct wqi_link {
	int fd;                          /* the socket (owned) */
	struct wqi_transport t;          /* how bytes cross it */
	void *ctx;                       /* the transport's state (owned) */
	struct seg *head, *tail;         /* queued segments, before `out` */
	struct seg *spare;               /* one recycled segment */
	uint64_t queued;                 /* bytes pending in head..tail */
	struct wqi_buf out;              /* the tail byte buffer (frames) */
	struct wqi_buf in;               /* received, not consumed */
	uint64_t sent, received;         /* counters */
};

/* ---- the plain TCP transport ---- */

static ssize_t tcp_recv(void *ctx, int fd, void *p, size_t n)
{
	return recv(fd, p, n, 0);
}

static ssize_t tcp_send(void *ctx, int fd, const void *p, size_t n)
{
	return send(fd, p, n, MSG_NOSIGNAL);
}

static ssize_t tcp_sendfile(void *ctx, int fd, int file_fd, off_t *off, size_t n)
{
	return sendfile(fd, file_fd, off, n);
}

static const struct wqi_transport tcp_transport = { tcp_recv, tcp_send, tcp_sendfile, NULL };

/* ---- create / delete ---- */

struct wqi_link *wqi_link_create(int fd)
{
	return wqi_link_create_transport(fd, &tcp_transport, NULL);
}

struct wqi_link *wqi_link_create_transport(int fd, const struct wqi_transport *t, void *ctx)
{
	struct wqi_link *l = calloc(1, sizeof *l);
	if (!l) {
		errno = ENOMEM;
		return NULL;
	}
	l->fd = fd;
	l->t = *t;
	l->ctx = ctx;
	wqi_buf_init(&l->out);
	wqi_buf_init(&l->in);
	return l;
}

static void seg_release(struct seg *s)
{
	if (s->kind == SEG_FILE && s->own_fd && s->fd >= 0)
		close(s->fd);
	wqi_buf_free(&s->buf);
}

void wqi_link_delete(struct wqi_link *l)
{
	if (!l)
		return;
	struct seg *s = l->head;
	while (s) {
		struct seg *next = s->next;
		seg_release(s);
		free(s);
		s = next;
	}
	free(l->spare);
	if (l->t.close)
		l->t.close(l->ctx);
	if (l->fd >= 0)
		close(l->fd);
	wqi_buf_free(&l->out);
	wqi_buf_free(&l->in);
	free(l);
}

int wqi_link_fd(const struct wqi_link *l)
{
	return l->fd;
}

/* ---- outgoing ---- */

struct wqi_buf *wqi_link_out(struct wqi_link *l)
{
	return &l->out;
}

static struct seg *seg_new(struct wqi_link *l)
{
	struct seg *s = l->spare;
	if (s)
		l->spare = NULL;
	else if (!(s = malloc(sizeof *s)))
		return NULL;
	memset(s, 0, sizeof *s);
	s->fd = -1;
	return s;
}

static void seg_push(struct wqi_link *l, struct seg *s)
{
	s->next = NULL;
	if (l->tail)
		l->tail->next = s;
	else
		l->head = s;
	l->tail = s;
}

/*
 * Pop the finished head segment. A drained byte buffer is handed to `out`
 * when `out` has no allocation of its own, so a PUT/file/PUT_END rhythm
 * reuses one allocation instead of making a new one per file.
 */
static void seg_pop(struct wqi_link *l)
{
	struct seg *s = l->head;
	l->head = s->next;
	if (!l->head)
		l->tail = NULL;
	if (s->kind == SEG_BYTES && !l->out.data && s->buf.data) {
		l->out = s->buf;
		wqi_buf_clear(&l->out);
		wqi_buf_init(&s->buf);
	}
	seg_release(s);
	if (!l->spare)
		l->spare = s;
	else
		free(s);
}

int wqi_link_queue_file(struct wqi_link *l, int file_fd, uint64_t offset, uint64_t len, int own_fd)
{
	if (file_fd < 0 || offset > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - offset)
		return WQ_EINVAL;
	if (len == 0) {
		if (own_fd)
			close(file_fd);
		return 0;
	}
	struct seg *b = NULL;
	if (wqi_buf_used(&l->out) > 0) {
		b = seg_new(l);
		if (!b)
			return WQ_ENOMEM;
	}
	struct seg *f = seg_new(l);
	if (!f) {
		free(b);
		return WQ_ENOMEM;
	}
	if (b) {
		b->kind = SEG_BYTES;
		b->buf = l->out;
		wqi_buf_init(&l->out);
		l->queued += wqi_buf_used(&b->buf);
		seg_push(l, b);
	}
	f->kind = SEG_FILE;
	f->fd = file_fd;
	f->own_fd = own_fd;
	f->off = offset;
	f->left = len;
	l->queued += len;
	seg_push(l, f);
	return 0;
}

uint64_t wqi_link_pending(const struct wqi_link *l)
{
	return l->queued + wqi_buf_used(&l->out);
}

static int send_error(int e)
{
	if (e == EPIPE || e == ECONNRESET || e == ENOTCONN)
		return WQ_ECLOSED;
	return WQ_EIO;
}

/* Send from a byte buffer until it is empty (0), the socket is full (1) or an error. */
static int flush_bytes(struct wqi_link *l, struct wqi_buf *b, int counts_queued)
{
	while (wqi_buf_used(b) > 0) {
		ssize_t r = l->t.send(l->ctx, l->fd, wqi_buf_head(b), wqi_buf_used(b));
		if (r > 0) {
			wqi_buf_consume(b, (size_t)r);
			l->sent += (uint64_t)r;
			if (counts_queued)
				l->queued -= (uint64_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		return r == 0 ? WQ_EIO : send_error(errno);
	}
	return 0;
}

/*
 * Block SIGPIPE while sendfile runs: unlike send() it has no MSG_NOSIGNAL,
 * and a library must neither die of SIGPIPE nor change the process's
 * dispositions. If our sendfile raised one (EPIPE) it is consumed before the
 * mask is restored; a SIGPIPE that was already pending is left alone.
 */
struct sigpipe_guard {
	sigset_t old;      /* mask to restore */
	int was_pending;   /* SIGPIPE pending before: not ours to consume */
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_unblock(struct sigpipe_guard *g, int got_epipe)
{
	if (got_epipe && !g->was_pending) {
		sigset_t set;
		struct timespec zero = { 0, 0 };
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	sigprocmask(SIG_SETMASK, &g->old, NULL);
}

/*
 * Send a file range: with the transport's sendfile when it has one, else (or
 * when the kernel refuses sendfile for this kind of file) by pread + send
 * through a stack buffer. 0 = done, 1 = socket full, or an error. A file that
 * ends before the range does is -WQ_EFILE.
 */
static int flush_file(struct wqi_link *l, struct seg *s)
{
	int use_sendfile = l->t.sendfile != NULL;
	int rc = 0, epipe = 0;
	struct sigpipe_guard g;
	if (use_sendfile)
		sigpipe_block(&g);
	while (s->left > 0) {
		size_t want = s->left < SENDFILE_CHUNK ? (size_t)s->left : SENDFILE_CHUNK;
		ssize_t r;
		if (use_sendfile) {
			off_t off = (off_t)s->off;
			r = l->t.sendfile(l->ctx, l->fd, s->fd, &off, want);
			if (r < 0 && (errno == EINVAL || errno == ENOSYS || errno == EOVERFLOW)) {
				/* not a sendfile-able file (a pipe, /proc, ...): copy instead */
				sigpipe_unblock(&g, 0);
				use_sendfile = 0;
				continue;
			}
			if (r == 0) {
				rc = WQ_EFILE;  /* the file is shorter than queued */
				break;
			}
		} else {
			char chunk[64 << 10];
			if (want > sizeof chunk)
				want = sizeof chunk;
			ssize_t k = pread(s->fd, chunk, want, (off_t)s->off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				rc = WQ_EFILE;
				break;
			}
			r = l->t.send(l->ctx, l->fd, chunk, (size_t)k);
			if (r == 0) {
				rc = WQ_EIO;
				break;
			}
		}
		if (r > 0) {
			s->off += (uint64_t)r;
			s->left -= (uint64_t)r;
			l->queued -= (uint64_t)r;
			l->sent += (uint64_t)r;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			rc = 1;
			break;
		}
		if (errno == EPIPE)
			epipe = 1;
		/* sendfile cannot say which side failed; EIO is the disk's */
		rc = (use_sendfile && errno == EIO) ? WQ_EFILE : send_error(errno);
		break;
	}
	if (use_sendfile)
		sigpipe_unblock(&g, epipe);
	return rc;
}

int wqi_link_flush(struct wqi_link *l)
{
	while (l->head) {
		struct seg *s = l->head;
		int rc = s->kind == SEG_BYTES ? flush_bytes(l, &s->buf, 1) : flush_file(l, s);
		if (rc != 0)
			return rc;
		seg_pop(l);
	}
	return flush_bytes(l, &l->out, 0);
}

/* ---- incoming ---- */

struct wqi_buf *wqi_link_in(struct wqi_link *l)
{
	return &l->in;
}

static int recv_error(int e)
{
	return (e == ECONNRESET || e == ENOTCONN || e == EPIPE) ? WQ_ECLOSED : WQ_EIO;
}

/*
 * After a recv in a read loop returned r <= 0 (errno set), with `moved`
 * bytes read so far in the call: 1 when interrupted (EINTR: recv again),
 * else 0 with *ret set to what the call returns: moved when the socket is
 * drained (EAGAIN), or when bytes came before EOF or an error (reported by
 * the next call), else WQ_ECLOSED or the error's code.
 */
static int recv_again(ssize_t r, uint64_t moved, int64_t *ret)
{
	if (r < 0 && errno == EINTR)
		return 1;
	if (moved || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
		*ret = (int64_t)moved;
	else
		*ret = r == 0 ? WQ_ECLOSED : recv_error(errno);
	return 0;
}

/*
 * First read of a fill into an empty `in`: through a stack buffer, so `in`
 * is allocated only for the bytes that came (lazy growth; see the top of
 * this file). Returns what recv returned (with errno), or -2 on ENOMEM.
 */
static ssize_t fill_first_lazy(struct wqi_link *l)
{
	char scratch[FILL_FIRST];
	if (l->in.cap > IN_KEEP)
		wqi_buf_free(&l->in);
	ssize_t r;
	do
		r = l->t.recv(l->ctx, l->fd, scratch, sizeof scratch);
	while (r < 0 && errno == EINTR);
	if (r > 0) {
		if (wqi_buf_append(&l->in, scratch, (size_t)r) < 0)
			return -2;  /* the bytes are lost: the caller must drop the link */
		l->received += (uint64_t)r;
	}
	return r;
}

/*
 * Read into `in` until the socket is drained or FILL_MAX bytes came in. The
 * first read of a call asks for a little (idle links stay small); a read
 * that fills what was asked suggests more is waiting, so the next reserves
 * more. EOF or an error after some bytes is reported by the next call.
 */
int64_t wqi_link_fill(struct wqi_link *l)
{
	int64_t total = 0;
	size_t want = FILL_FIRST;
	if (wqi_buf_used(&l->in) == 0) {
		ssize_t r = fill_first_lazy(l);
		if (r == -2)
			return WQ_ENOMEM;  /* bytes lost: the stream is broken, the caller drops the link */
		if (r == 0)
			return WQ_ECLOSED;
		if (r < 0)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : recv_error(errno);
		total = r;
		if ((size_t)r < FILL_FIRST)
			return total;  /* drained */
		want = FILL_GROW;
	}
	while (total < (int64_t)FILL_MAX) {
		if (wqi_buf_reserve(&l->in, want) < 0)
			return total ? total : WQ_ENOMEM;
		size_t ask = wqi_buf_avail(&l->in);
		if (ask > FILL_MAX - (size_t)total)
			ask = FILL_MAX - (size_t)total;
		ssize_t r = l->t.recv(l->ctx, l->fd, wqi_buf_tail(&l->in), ask);
		if (r > 0) {
			wqi_buf_commit(&l->in, (size_t)r);
			l->received += (uint64_t)r;
			total += r;
			if ((size_t)r < ask)
				break;  /* drained; level-triggered polling will call again */
			want = FILL_GROW;
			continue;
		}
		int64_t ret;
		if (!recv_again(r, (uint64_t)total, &ret))
			return ret;
	}
	return total;
}

/*
 * Write all n bytes to fd (a local file: blocking writes are expected to
 * complete). Returns how many were written; fewer than n means an error.
 */
static size_t write_all(int fd, const char *p, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return done;
}

/*
 * Stream up to n bytes to fd (or nowhere if fd < 0). Bytes that were read
 * from the socket but could not be written are pushed back at the head of
 * `in`: the stream position is kept, and a later call (perhaps with fd = -1)
 * moves them. -WQ_EFILE is returned only when nothing moved in this call,
 * so a positive return is always the exact count moved.
 */
int64_t wqi_link_recv_to_fd(struct wqi_link *l, int fd, uint64_t n)
{
	uint64_t moved = 0;
	if (n > STREAM_CALL_MAX)
		n = STREAM_CALL_MAX;
	size_t have = wqi_buf_used(&l->in);
	if (have > 0 && n > 0) {
		size_t k = have < n ? have : (size_t)n;
		size_t w = fd >= 0 ? write_all(fd, wqi_buf_head(&l->in), k) : k;
		wqi_buf_consume(&l->in, w);
		moved += w;
		if (w < k)
			return moved ? (int64_t)moved : WQ_EFILE;
		if (wqi_buf_used(&l->in) > 0)
			return (int64_t)moved;  /* n reached */
	}
	char chunk[STREAM_CHUNK];
	while (moved < n) {
		uint64_t want = n - moved;
		size_t ask = want < sizeof chunk ? (size_t)want : sizeof chunk;
		ssize_t r = l->t.recv(l->ctx, l->fd, chunk, ask);
		if (r > 0) {
			l->received += (uint64_t)r;
			size_t w = fd >= 0 ? write_all(fd, chunk, (size_t)r) : (size_t)r;
			moved += w;
			if (w < (size_t)r) {
				/* keep the unwritten bytes in the stream, in front of anything later */
				if (wqi_buf_append(&l->in, chunk + w, (size_t)r - w) < 0)
					return WQ_ENOMEM;
				return moved ? (int64_t)moved : WQ_EFILE;
			}
			if ((size_t)r < ask)
				break;
			continue;
		}
		int64_t ret;
		if (!recv_again(r, moved, &ret))
			return ret;
	}
	return (int64_t)moved;
}

/* As recv_to_fd, into a buffer: bytes from `in` first, then from the socket. */
int64_t wqi_link_recv_to_buf(struct wqi_link *l, struct wqi_buf *b, uint64_t n)
{
	uint64_t moved = 0;
	if (n > STREAM_CALL_MAX)
		n = STREAM_CALL_MAX;
	size_t have = wqi_buf_used(&l->in);
	if (have > 0 && n > 0) {
		size_t k = have < n ? have : (size_t)n;
		if (wqi_buf_append(b, wqi_buf_head(&l->in), k) < 0)
			return WQ_ENOMEM;
		wqi_buf_consume(&l->in, k);
		moved += k;
	}
	while (moved < n) {
		uint64_t want = n - moved;
		size_t ask = want < STREAM_CHUNK ? (size_t)want : STREAM_CHUNK;
		if (wqi_buf_reserve(b, ask) < 0)
			return moved ? (int64_t)moved : WQ_ENOMEM;
		ssize_t r = l->t.recv(l->ctx, l->fd, wqi_buf_tail(b), ask);
		if (r > 0) {
			wqi_buf_commit(b, (size_t)r);
			l->received += (uint64_t)r;
			moved += (uint64_t)r;
			if ((size_t)r < ask)
				break;
			continue;
		}
		int64_t ret;
		if (!recv_again(r, moved, &ret))
			return ret;
	}
	return (int64_t)moved;
}

void wqi_link_shrink(struct wqi_link *l)
{
	wqi_buf_shrink(&l->in);
	wqi_buf_shrink(&l->out);
	for (struct seg *s = l->head; s; s = s->next)
		if (s->kind == SEG_BYTES)
			wqi_buf_shrink(&s->buf);
	/* the one spare segment is small and saves a malloc per file queued: kept */
}

uint64_t wqi_link_bytes_sent(const struct wqi_link *l)
{
	return l->sent;
}

uint64_t wqi_link_bytes_received(const struct wqi_link *l)
{
	return l->received;
}
