/*
 * harness_net.c - sockets and HTTP for the C end-to-end tests (see
 * harness.h): a blocking TCP client, a small forked HTTP/1.0 file server
 * (the source of URL inputs) and an HTTP/1.0 GET client that keeps a
 * master's loop running while it waits for the answer.
 *
 * These are test helpers, so they block (with timeouts); the library never does.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- sockets ---- */

int h_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Write all of p to fd (blocking); 0 or -1. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- HTTP file server ---- */

/* Answer one HTTP/1.0 request on c with a file of dir (200), or 404/400. */
static void http_serve_one(int c, const char *dir)
{
	struct timeval tv = { 10, 0 };
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	char req[8192];
	size_t n = 0;
	while (n < sizeof req - 1) {
		ssize_t r = read(c, req + n, sizeof req - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = 0;
	char method[16], target[4096];
	char hdr[512];
	if (sscanf(req, "%15s %4095s", method, target) != 2 || strcmp(method, "GET") != 0 || target[0] != '/' || strstr(target, "..")) {
		const char *bad = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
		write_all(c, bad, strlen(bad));
		return;
	}
	char path[8192];
	snprintf(path, sizeof path, "%s%s", dir, target);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		const char *body = "not found\n";
		snprintf(hdr, sizeof hdr, "HTTP/1.0 404 Not Found\r\nContent-Length: %zu\r\nContent-Type: text/plain\r\n\r\n%s", strlen(body), body);
		write_all(c, hdr, strlen(hdr));
		return;
	}
	snprintf(hdr, sizeof hdr, "HTTP/1.0 200 OK\r\nContent-Length: %lld\r\nContent-Type: application/octet-stream\r\n\r\n", (long long)st.st_size);
	if (write_all(c, hdr, strlen(hdr)) == 0) {
		char buf[65536];
		ssize_t r;
		while ((r = read(fd, buf, sizeof buf)) > 0)
			if (write_all(c, buf, (size_t)r) < 0)
				break;
	}
	close(fd);
}

int h_http_start(const char *dir)
{
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) < 0) {
		close(lfd);
		return -1;
	}
	int port = ntohs(a.sin_port);
	pid_t parent = getpid();
	pid_t pid = hi_fork_other();
	if (pid < 0) {
		close(lfd);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGPIPE, SIG_IGN);
		for (;;) {
			int c = accept(lfd, NULL, NULL);
			if (c < 0) {
				if (errno == EINTR || errno == ECONNABORTED)
					continue;
				_exit(1);
			}
			http_serve_one(c, dir);
			close(c);
		}
	}
	close(lfd);
	return port;
}

/* ---- HTTP client ---- */

int h_http_get(struct work_queue *q, int port, const char *path, char **body, int timeout_ms)
{
	*body = NULL;
	int fd = h_connect(port);
	if (fd < 0)
		return -1;
	char req[1200];
	int rl = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write_all(fd, req, (size_t)rl) < 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int done = 0;
	uint64_t end = h_mono_ms() + (uint64_t)timeout_ms;
	while (!done && h_mono_ms() < end) {
		if (q)
			h_pump(q, 10); /* the master answers only inside its loop */
		else {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			poll(&pf, 1, 50);
		}
		for (;;) {
			if (cap - len < 65536) {
				char *nb = realloc(buf, cap + 65536 + 1);
				if (!nb) {
					done = -1;
					break;
				}
				buf = nb;
				cap += 65536;
			}
			ssize_t r = read(fd, buf + len, cap - len);
			if (r > 0) {
				len += (size_t)r;
				continue;
			}
			if (r == 0)
				done = 1;
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				done = -1;
			break;
		}
	}
	close(fd);
	int status = -1;
	if (done == 1 && buf) {
		buf[len] = 0;
		char *sep = strstr(buf, "\r\n\r\n");
		if (sscanf(buf, "HTTP/1.%*d %d", &status) == 1 && sep) {
			size_t off = (size_t)(sep + 4 - buf);
			memmove(buf, buf + off, len - off + 1);
			*body = buf;
			return status;
		}
		status = -1;
	}
	free(buf);
	return status;
}
