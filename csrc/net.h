/*
 * net.h - socket helpers (internal). Every descriptor they return is
 * close-on-exec; sockets they return are nonblocking unless said otherwise.
 * Errors: -WQ_E* codes (negative), errno preserved where meaningful.
 */
#ifndef WQI_NET_H
#define WQI_NET_H

#include <stddef.h>

/* Listen on addr:port (addr NULL or "" = all interfaces; port 0 = any free port).
 * SO_REUSEADDR, nonblocking, CLOEXEC, backlog large. Returns fd or -WQ_E*. */
int wqi_net_listen(const char *addr, int port);
/* The local port a socket is bound to, or -WQ_E*. */
int wqi_net_local_port(int fd);
/* Accept one connection: nonblocking, CLOEXEC, TCP_NODELAY, SO_KEEPALIVE.
 * Returns fd, -WQ_EAGAIN when none pending, or -WQ_E*. addr_out (>= 64 bytes)
 * receives "ip:port" of the peer. */
int wqi_net_accept(int lfd, char *addr_out, size_t addr_len);
/* Blocking connect with a timeout (for the worker and tests, never the master loop).
 * host may be a name (resolved here) or a numeric address. Returns a
 * nonblocking CLOEXEC fd with TCP_NODELAY and SO_KEEPALIVE, or -WQ_E*. */
int wqi_net_connect(const char *host, int port, int timeout_ms);
int wqi_net_set_nonblocking(int fd, int on);
int wqi_net_set_cloexec(int fd);
/* "ip" of the peer of a connected socket into out. 0 or -WQ_E*. */
int wqi_net_peer_ip(int fd, char *out, size_t len);

#endif
