/*
 * link.h - a nonblocking, buffered connection (internal).
 *
 * The link moves bytes and knows no messages. Outgoing data is a queue of
 * segments: bytes appended to wqi_link_out() and file ranges queued with
 * wqi_link_queue_file(), sent in the order they were queued. File ranges go
 * out with sendfile(2) on plain TCP. Incoming bytes land in wqi_link_in();
 * a stream of known length (a file's contents) can instead be moved
 * straight to a file descriptor with wqi_link_recv_to_fd().
 *
 * The transport (plain TCP now, TLS later) sits behind struct wqi_transport.
 * No function here blocks; each returns when the socket would block.
 * Errors: -WQ_ECLOSED (peer closed), -WQ_EIO (socket error), -WQ_EFILE
 * (a local file could not be read or written), -WQ_ENOMEM.
 */
#ifndef WQI_LINK_H
#define WQI_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct wqi_link;

/* A transport: how bytes cross the socket. ctx is the transport's state. */
struct wqi_transport {
	/* like recv/send: >0 bytes, 0 EOF (recv only), -1 with errno (EAGAIN when it would block) */
	ssize_t (*recv)(void *ctx, int fd, void *p, size_t n);
	ssize_t (*send)(void *ctx, int fd, const void *p, size_t n);
	/* like sendfile(2); NULL means read+send is used instead */
	ssize_t (*sendfile)(void *ctx, int fd, int file_fd, off_t *off, size_t n);
	void (*close)(void *ctx);   /* free ctx; may be NULL */
};

/* Plain TCP link over a connected nonblocking socket; the link owns fd. NULL on ENOMEM. */
struct wqi_link *wqi_link_create(int fd);
/* Link over a given transport (ctx owned by the link, closed by transport->close). */
struct wqi_link *wqi_link_create_transport(int fd, const struct wqi_transport *t, void *ctx);
/* Close the fd, close queued file descriptors that the link owns, free everything. */
void wqi_link_delete(struct wqi_link *l);
int wqi_link_fd(const struct wqi_link *l);

/* The buffer to append outgoing bytes to (frames). Valid until the next queue_file/flush. */
struct wqi_buf *wqi_link_out(struct wqi_link *l);
/* Queue len bytes of file_fd from offset, after everything queued so far.
 * If own_fd, the link closes file_fd when done (or on delete). */
int wqi_link_queue_file(struct wqi_link *l, int file_fd, uint64_t offset, uint64_t len, int own_fd);
/* Bytes queued and not yet sent (bytes and file ranges). */
uint64_t wqi_link_pending(const struct wqi_link *l);
/* Send as much as the socket takes. 0 = all sent, 1 = more remains (wait for
 * writability), or a negative error. A file shorter than queued is -WQ_EFILE
 * and leaves the stream unusable: the caller closes the link. */
int wqi_link_flush(struct wqi_link *l);

/* Incoming bytes not yet consumed by the caller. */
struct wqi_buf *wqi_link_in(struct wqi_link *l);
/* Read what the socket has (at most about 1 MiB per call, for fairness) into
 * wqi_link_in(). Returns bytes read (> 0), 0 when nothing was available,
 * -WQ_ECLOSED at EOF, or -WQ_EIO. */
int64_t wqi_link_fill(struct wqi_link *l);
/* Move up to n bytes of an incoming stream to fd: first bytes already in
 * wqi_link_in(), then straight from the socket. fd < 0 discards the bytes.
 * Returns bytes moved (0 when the socket has nothing now), -WQ_ECLOSED,
 * -WQ_EIO, or -WQ_EFILE when writing to fd failed (nothing was lost from the
 * stream: the caller may go on with fd = -1 to discard the rest). */
int64_t wqi_link_recv_to_fd(struct wqi_link *l, int fd, uint64_t n);
/* Move up to n bytes of an incoming stream into a buffer (same rules). */
int64_t wqi_link_recv_to_buf(struct wqi_link *l, struct wqi_buf *b, uint64_t n);

/* Give idle buffer memory back (both directions). */
void wqi_link_shrink(struct wqi_link *l);

/* Counters since creation. */
uint64_t wqi_link_bytes_sent(const struct wqi_link *l);
uint64_t wqi_link_bytes_received(const struct wqi_link *l);

#endif
