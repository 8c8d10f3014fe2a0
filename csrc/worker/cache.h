/*
 * cache.h - the worker's cache directory and the receiving side of PUT
 * (internal to wq_worker).
 *
 * Objects live in WORKDIR/cache/<cachename>: a file or a directory tree. A
 * PUT sequence is written into WORKDIR/cache/.partial.<cachename> and
 * renamed into place at PUT_END, so a half-received object never looks
 * complete. Names from the master are checked before any path is made from
 * them; only regular files and directories are ever created, so nothing
 * inside the cache is a symlink that could lead out of it.
 *
 * Errors: 0 or a negative WQ_E* code. WQ_ENAME means the master sent a bad
 * name (its fault: the caller drops the connection); WQ_EFILE a local
 * failure (disk full, ...) that the caller reports with CACHE_FAIL.
 */
#ifndef WQI_WORKER_CACHE_H
#define WQI_WORKER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct wqi_wk_cache_partial;

struct wqi_wk_cache {
	char *dir;                          /* WORKDIR/cache */
	struct wqi_wk_cache_partial *partials; /* objects between their first PUT and PUT_END */
};

/*
 * Name checks: a name is a path by the wire's rules (wqi_proto_name_ok with
 * slashes): non-empty, at most WQI_NAME_MAX bytes, relative, without NUL,
 * without "." or ".." or empty components (so no "a//b", no trailing "/").
 * A cachename (stricter) is one such component that does not start with "."
 * (those are the cache's own work files).
 */
int wqi_wk_name_ok(const char *p, size_t n);
int wqi_wk_cachename_ok(const char *p, size_t n);

/* Make WORKDIR/cache (emptied if present). 0 or -WQ_EFILE / -WQ_ENOMEM. */
int wqi_wk_cache_init(struct wqi_wk_cache *c, const char *workdir);
/* Drop partial objects and free memory (the directory stays). */
void wqi_wk_cache_fini(struct wqi_wk_cache *c);
/* Remove every object and partial object (the master has gone). */
int wqi_wk_cache_clear(struct wqi_wk_cache *c);
/* The path of an object into out ("" cachename is not allowed). 0 or -WQ_ENAME / -WQ_ETOOBIG. */
int wqi_wk_cache_path(const struct wqi_wk_cache *c, const char *name, char *out, size_t len);
/* Is an object present? 1 = file, 2 = directory, 0 = absent. */
int wqi_wk_cache_exists(const struct wqi_wk_cache *c, const char *name);
/* Remove an object (absent is fine). 0 or -WQ_ENAME / -WQ_EFILE. */
int wqi_wk_cache_unlink(struct wqi_wk_cache *c, const char *name);

/*
 * A PUT frame. For a FILE, *fd is set to an open descriptor where the
 * caller writes the m->size bytes that follow, and then closes; otherwise
 * (a DIR, or a local failure) *fd is -1 and the caller discards the bytes of
 * a FILE. A local failure is remembered and reported at PUT_END, so the
 * return is 0 for it; -WQ_ENAME for a bad name or kind (the master's fault).
 */
int wqi_wk_cache_put(struct wqi_wk_cache *c, const struct wqi_msg_put *m, int *fd);
/* Note a write failure while streaming into the object (reported at PUT_END). */
void wqi_wk_cache_put_failed(struct wqi_wk_cache *c, struct wqi_str cachename, const char *reason);
/*
 * PUT_END: rename the partial object into place, replacing an older one.
 * 0; -WQ_ENAME for a bad name or an object never begun; -WQ_EFILE when the
 * object failed (reason filled, partial removed): send CACHE_FAIL.
 */
int wqi_wk_cache_put_end(struct wqi_wk_cache *c, struct wqi_str cachename, char *reason, size_t rlen);

#endif
