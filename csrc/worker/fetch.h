/*
 * fetch.h - inputs the worker makes itself: URL downloads (a small
 * HTTP/1.0 client) and COMMAND outputs (internal to wq_worker).
 *
 * Each is made by a helper child so the worker's loop never waits: the
 * helper writes WORKDIR/cache/.fetch.<taskid>.<n>, and when it exits 0 the
 * worker renames that to cache/<cachename>. Helpers run in their own
 * process group so a KILL or the worker's exit can kill them.
 */
#ifndef WQI_WORKER_FETCH_H
#define WQI_WORKER_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct wqi_wk_task;
struct wqi_wk_cache;

/* Split "http://host[:port][/path]". 0 or -WQ_EINVAL (not http://, bad port, too long). */
int wqi_wk_url_parse(const char *url, char *host, size_t hlen, int *port, char *path, size_t plen);
/*
 * Parse an HTTP response head (status line and headers, up to the blank
 * line). *status = the code; *content_length = Content-Length or -1.
 * 0 or -WQ_EPROTO.
 */
int wqi_wk_http_parse_head(const char *head, size_t n, int *status, int64_t *content_length);
/* GET url into fd, blocking (for a helper child or a test). 0 or -WQ_E*; err describes a failure. */
int wqi_wk_http_get(const char *url, int fd, int timeout_ms, char *err, size_t elen);
/* cmd with each "%%" replaced by path (malloc'd), NULL on ENOMEM. */
char *wqi_wk_fetch_expand(const char *cmd, const char *path);

/*
 * Start helpers for the task's URL and COMMAND inputs that are not in the
 * cache yet; t->helpers counts them. 0 or -WQ_E* (a helper could not start:
 * the task fails with result 1).
 */
int wqi_wk_fetch_start(struct wqi_wk_task *t, struct wqi_wk_cache *c);
/*
 * A helper of t exited with status: move its file into the cache.
 * Returns 1 if pid was one of t's helpers (and then *failed is set when it
 * did not succeed), 0 if not.
 */
int wqi_wk_fetch_reaped(struct wqi_wk_task *t, struct wqi_wk_cache *c, pid_t pid, int status, int *failed);

#endif
