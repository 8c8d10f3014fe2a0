/*
 * fetch.c - URL and COMMAND inputs, made by helper children.
 */
#include "worker/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "debug.h"
#include "net.h"
#include "util.h"
#include "work_queue.h"
#include "worker/cache.h"
#include "worker/exec.h"

#define HEAD_MAX 65536
#define FETCH_TIMEOUT_MS (300 * 1000)  /* a stalled server: give up after 5 minutes */

int wqi_wk_url_parse(const char *url, char *host, size_t hlen, int *port, char *path, size_t plen)
{
	if (strncasecmp(url, "http://", 7) != 0)
		return WQ_EINVAL;
	const char *h = url + 7;
	size_t hl = strcspn(h, ":/?#");
	if (hl == 0 || hl >= hlen)
		return WQ_EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	const char *p = h + hl;
	*port = 80;
	if (*p == ':') {
		char *end;
		long v = strtol(p + 1, &end, 10);
		if (end == p + 1 || v <= 0 || v > 65535)
			return WQ_EINVAL;
		*port = (int)v;
		p = end;
	}
	if (*p == '#' || *p == 0) {
		if (plen < 2)
			return WQ_EINVAL;
		strcpy(path, "/");
		return 0;
	}
	size_t pl = strcspn(p, "#");
	if (*p == '?') { /* "http://h?x" means "/?x" */
		if (pl + 2 > plen)
			return WQ_EINVAL;
		path[0] = '/';
		memcpy(path + 1, p, pl);
		path[pl + 1] = 0;
		return 0;
	}
	if (*p != '/' || pl + 1 > plen)
		return WQ_EINVAL;
	memcpy(path, p, pl);
	path[pl] = 0;
	for (size_t i = 0; i < pl; i++)
		if ((unsigned char)path[i] <= ' ')
			return WQ_EINVAL; /* no spaces or control bytes in a request line */
	return 0;
}

int wqi_wk_http_parse_head(const char *head, size_t n, int *status, int64_t *content_length)
{
	*content_length = -1;
	if (n < 12 || strncmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ')
		return WQ_EPROTO;
	if (head[9] < '1' || head[9] > '9' || head[10] < '0' || head[10] > '9' || head[11] < '0' || head[11] > '9')
		return WQ_EPROTO;
	*status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
	const char *end = head + n;
	const char *line = memchr(head, '\n', n);
	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t ll = eol ? (size_t)(eol - line) : (size_t)(end - line);
		if (ll >= 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
			const char *v = line + 15;
			while (v < line + ll && (*v == ' ' || *v == '\t'))
				v++;
			int64_t x = 0;
			int digits = 0;
			while (v < line + ll && *v >= '0' && *v <= '9' && digits < 18) {
				x = x * 10 + (*v++ - '0');
				digits++;
			}
			if (!digits)
				return WQ_EPROTO;
			*content_length = x;
		}
		line = eol;
	}
	return 0;
}

/* write(2) all of p to fd. 0 or -1. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
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

/*
 * A plain blocking GET: send the request, read the head (at most 64 KiB),
 * require status 200, then copy the body to fd: Content-Length bytes when
 * given (fewer is an error), else everything up to EOF.
 */
int wqi_wk_http_get(const char *url, int fd, int timeout_ms, char *err, size_t elen)
{
	char host[1024], path[8192];
	int port;
	if (wqi_wk_url_parse(url, host, sizeof host, &port, path, sizeof path) < 0) {
		snprintf(err, elen, "not an http:// URL: %s", url);
		return WQ_EINVAL;
	}
	int s = wqi_net_connect(host, port, timeout_ms);
	if (s < 0) {
		snprintf(err, elen, "cannot connect to %s:%d", host, port);
		return WQ_ECONNECT;
	}
	wqi_net_set_nonblocking(s, 0);
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	char *buf = malloc(HEAD_MAX + 1);
	int rc = 0;
	if (!buf) {
		close(s);
		return WQ_ENOMEM;
	}
	char hosthdr[1100];
	if (port == 80)
		snprintf(hosthdr, sizeof hosthdr, "%s", host);
	else
		snprintf(hosthdr, sizeof hosthdr, "%s:%d", host, port);
	int rl = snprintf(buf, HEAD_MAX, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: wq_worker\r\nConnection: close\r\n\r\n",
			  path, hosthdr);
	if (rl < 0 || rl >= HEAD_MAX || send(s, buf, (size_t)rl, MSG_NOSIGNAL) != rl) {
		snprintf(err, elen, "cannot send the request to %s", host);
		rc = WQ_EIO;
		goto out;
	}
	size_t got = 0;
	char *body = NULL;
	while (!body) {
		if (got >= HEAD_MAX) {
			snprintf(err, elen, "response head longer than %d bytes", HEAD_MAX);
			rc = WQ_EPROTO;
			goto out;
		}
		ssize_t n = recv(s, buf + got, HEAD_MAX - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, elen, "connection %s before the response head", n == 0 ? "closed" : "timed out");
			rc = WQ_EIO;
			goto out;
		}
		got += (size_t)n;
		buf[got] = 0;
		body = memmem(buf, got, "\r\n\r\n", 4);
		if (body)
			body += 4;
	}
	int status;
	int64_t clen;
	if (wqi_wk_http_parse_head(buf, (size_t)(body - buf), &status, &clen) < 0) {
		snprintf(err, elen, "malformed response head");
		rc = WQ_EPROTO;
		goto out;
	}
	if (status != 200) {
		snprintf(err, elen, "HTTP status %d", status);
		rc = WQ_ENOENT;
		goto out;
	}
	uint64_t want = clen >= 0 ? (uint64_t)clen : UINT64_MAX, have = 0;
	size_t first = got - (size_t)(body - buf);
	if (first > want)
		first = (size_t)want;
	if (write_all(fd, body, first) < 0) {
		snprintf(err, elen, "write: %s", strerror(errno));
		rc = WQ_EFILE;
		goto out;
	}
	have = first;
	while (have < want) {
		size_t ask = want - have < HEAD_MAX ? (size_t)(want - have) : HEAD_MAX;
		ssize_t n = recv(s, buf, ask, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && clen < 0)
			break;
		if (n <= 0) {
			snprintf(err, elen, "body %s after %" PRIu64 " bytes", n == 0 ? "ended" : "timed out", have);
			rc = WQ_EIO;
			goto out;
		}
		if (write_all(fd, buf, (size_t)n) < 0) {
			snprintf(err, elen, "write: %s", strerror(errno));
			rc = WQ_EFILE;
			goto out;
		}
		have += (uint64_t)n;
	}
out:
	free(buf);
	close(s);
	return rc;
}

char *wqi_wk_fetch_expand(const char *cmd, const char *path)
{
	size_t n = 0, pl = strlen(path);
	for (const char *p = cmd; *p; p++) {
		if (p[0] == '%' && p[1] == '%') {
			n += pl;
			p++;
		} else {
			n++;
		}
	}
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = cmd; *p; p++) {
		if (p[0] == '%' && p[1] == '%') {
			memcpy(o, path, pl);
			o += pl;
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	return out;
}

/*
 * Fork a child that downloads url into target and exits 0 on success. The
 * child drops the worker's descriptors (the master's socket must not live
 * on in it), unblocks signals and makes its own process group.
 */
static pid_t start_url(const char *url, const char *target)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid < 0 ? WQ_EFILE : pid;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	int debug = wqi_debug_enabled();
	close_range(3, ~0U, 0);
	int fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char err[512] = "";
	int rc = fd < 0 ? WQ_EFILE : wqi_wk_http_get(url, fd, FETCH_TIMEOUT_MS, err, sizeof err);
	if (fd >= 0 && close(fd) < 0)
		rc = WQ_EFILE;
	if (rc < 0 && debug)
		dprintf(2, "wq_worker: fetching %s: %s\n", url, err[0] ? err : "cannot create the file");
	_exit(rc < 0 ? 1 : 0);
}

int wqi_wk_fetch_start(struct wqi_wk_task *t, struct wqi_wk_cache *c)
{
	for (uint32_t i = 0; i < t->n_inputs; i++) {
		struct wqi_wk_task_in *in = &t->inputs[i];
		if (in->source != WQI_SRC_URL && in->source != WQI_SRC_COMMAND)
			continue;
		if (wqi_wk_cache_exists(c, in->cachename))
			continue;
		char name[96];
		snprintf(name, sizeof name, "/.fetch.%" PRIu64 ".%" PRIu32, t->taskid, i);
		size_t n = strlen(c->dir) + strlen(name) + 1;
		free(in->tmp);
		in->tmp = malloc(n);
		if (!in->tmp)
			return WQ_ENOMEM;
		snprintf(in->tmp, n, "%s%s", c->dir, name);
		unlink(in->tmp);
		pid_t pid;
		if (in->source == WQI_SRC_URL) {
			pid = start_url(in->arg, in->tmp);
		} else {
			char *cmd = wqi_wk_fetch_expand(in->arg, in->tmp);
			if (!cmd)
				return WQ_ENOMEM;
			pid = wqi_wk_spawn_shell(cmd, c->dir, -1, NULL);
			free(cmd);
		}
		if (pid < 0)
			return WQ_EFILE;
		WQI_DEBUG("task %" PRIu64 ": making input %s (pid %d)", t->taskid, in->cachename, (int)pid);
		in->helper = pid;
		t->helpers++;
	}
	return 0;
}

int wqi_wk_fetch_reaped(struct wqi_wk_task *t, struct wqi_wk_cache *c, pid_t pid, int status, int *failed)
{
	for (uint32_t i = 0; i < t->n_inputs; i++) {
		struct wqi_wk_task_in *in = &t->inputs[i];
		if (in->helper != pid)
			continue;
		in->helper = 0;
		t->helpers--;
		kill(-pid, SIGKILL); /* anything the command left behind */
		char dst[WQI_NAME_MAX + 512];
		struct stat st;
		*failed = 1;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && in->tmp && lstat(in->tmp, &st) == 0 &&
		    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) && wqi_wk_cache_path(c, in->cachename, dst, sizeof dst) == 0) {
			wqi_rm_rf(dst);
			if (rename(in->tmp, dst) == 0)
				*failed = 0;
		}
		if (*failed)
			WQI_DEBUG("task %" PRIu64 ": input %s could not be made (status 0x%x)", t->taskid, in->cachename, status);
		if (in->tmp) {
			wqi_rm_rf(in->tmp);
			free(in->tmp);
			in->tmp = NULL;
		}
		return 1;
	}
	return 0;
}
