/*
 * net.c - socket helpers (see net.h). Network setup only; no protocol here.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "work_queue.h"

#define LISTEN_BACKLOG 1024

/* TCP_NODELAY (small frames go out now) and SO_KEEPALIVE (dead peers are noticed). */
static void set_stream_opts(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

int wqi_net_set_nonblocking(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return WQ_EINVAL;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl) < 0 ? WQ_EINVAL : 0;
}

int wqi_net_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return WQ_EINVAL;
	return 0;
}

/*
 * Render a socket address as "ip" (with_port 0) or "ip:port" ("[ip]:port"
 * for IPv6). Unknown families give "?".
 */
static void addr_str(const struct sockaddr_storage *ss, char *out, size_t len, int with_port)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0, v6 = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		port = ntohs(a->sin6_port);
		v6 = 1;
	}
	if (!out || len == 0)
		return;
	if (!with_port)
		snprintf(out, len, "%s", ip);
	else if (v6)
		snprintf(out, len, "[%s]:%d", ip, port);
	else
		snprintf(out, len, "%s:%d", ip, port);
}

/*
 * Listen on addr:port. A numeric address is required (the master never does
 * DNS); NULL or "" binds IPv4 INADDR_ANY, which is what workers connect to
 * in the original.
 */
int wqi_net_listen(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	memset(&ss, 0, sizeof ss);
	if (port < 0 || port > 65535)
		return WQ_EINVAL;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (!addr || !*addr) {
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
		a4->sin_port = htons((uint16_t)port);
		slen = sizeof *a4;
	} else if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		slen = sizeof *a4;
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		slen = sizeof *a6;
	} else {
		return WQ_EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return WQ_EADDR;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, slen) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return WQ_EADDR;
	}
	return fd;
}

int wqi_net_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) < 0)
		return WQ_EINVAL;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return WQ_EINVAL;
}

/*
 * Accept one pending connection. Transient per-connection failures
 * (ECONNABORTED, EPROTO, ...) are reported as -WQ_EAGAIN too: the listener
 * stays usable and the caller simply tries again on the next readiness.
 * Running out of descriptors (EMFILE/ENFILE) is -WQ_EIO so the caller can
 * log it and back off.
 */
int wqi_net_accept(int lfd, char *addr_out, size_t addr_len)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof ss;
	int fd = accept4(lfd, (struct sockaddr *)&ss, &slen, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		switch (errno) {
		case EAGAIN:
#if EAGAIN != EWOULDBLOCK
		case EWOULDBLOCK:
#endif
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
		case EPERM:
			return WQ_EAGAIN;
		case ENOMEM:
		case ENOBUFS:
			return WQ_ENOMEM;
		default:
			return WQ_EIO;
		}
	}
	set_stream_opts(fd);
	if (addr_out && addr_len)
		addr_str(&ss, addr_out, addr_len, 1);
	return fd;
}

/*
 * Nonblocking connect to one resolved address, waiting with poll() until
 * deadline (monotonic us). Returns the connected fd or -errno-ish failure
 * (negative WQ_E*); errno tells why.
 */
static int connect_one(const struct addrinfo *ai, uint64_t deadline_us)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return WQ_ECONNECT;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		set_stream_opts(fd);
		return fd;
	}
	if (errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return WQ_ECONNECT;
	}
	for (;;) {
		uint64_t now = wqi_mono_us();
		if (now >= deadline_us) {
			close(fd);
			errno = ETIMEDOUT;
			return WQ_ETIMEDOUT;
		}
		uint64_t left_ms = (deadline_us - now + 999) / 1000;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int r = poll(&p, 1, left_ms > 1000000 ? 1000000 : (int)left_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return WQ_ECONNECT;
		}
		if (r == 0)
			continue;
		int err = 0;
		socklen_t el = sizeof err;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			close(fd);
			errno = err;
			return WQ_ECONNECT;
		}
		set_stream_opts(fd);
		return fd;
	}
}

/*
 * Resolve host (getaddrinfo: this blocks, which is why only the worker and
 * tests call it) and try each address in turn within one overall timeout.
 * timeout_ms < 0 means a long default (one hour).
 */
int wqi_net_connect(const char *host, int port, int timeout_ms)
{
	if (!host || !*host || port <= 0 || port > 65535)
		return WQ_EINVAL;
	char service[16];
	snprintf(service, sizeof service, "%d", port);
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	int g = getaddrinfo(host, service, &hints, &res);
	if (g != 0 || !res) {
		if (g != EAI_SYSTEM || errno == 0)
			errno = EHOSTUNREACH;  /* gai errors have no errno of their own */
		return WQ_ECONNECT;
	}
	uint64_t deadline = wqi_mono_us() + (uint64_t)(timeout_ms < 0 ? 3600000 : timeout_ms) * 1000u;
	int rc = WQ_ECONNECT;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		rc = connect_one(ai, deadline);
		if (rc >= 0 || rc == WQ_ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	return rc;
}

int wqi_net_peer_ip(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t slen = sizeof ss;
	if (!out || len == 0)
		return WQ_EINVAL;
	if (getpeername(fd, (struct sockaddr *)&ss, &slen) < 0)
		return errno == ENOTCONN ? WQ_ECLOSED : WQ_EINVAL;
	addr_str(&ss, out, len, 0);
	return 0;
}
