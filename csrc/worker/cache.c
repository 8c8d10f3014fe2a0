/*
 * cache.c - the worker's cache directory and PUT reception.
 */
#include "worker/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debug.h"
#include "util.h"
#include "work_queue.h"

/* An object between its first PUT and its PUT_END. */
struct wqi_wk_cache_partial {
	char *name;                     /* cachename */
	int kind;                       /* WQI_KIND_FILE or WQI_KIND_DIR (of the root) */
	int failed;                     /* a local failure happened */
	char reason[256];               /* its description */
	struct wqi_wk_cache_partial *next;
};

int wqi_wk_name_ok(const char *p, size_t n)
{
	return wqi_proto_name_ok(p, n, 1); /* the wire's rules for a path: the same */
}

int wqi_wk_cachename_ok(const char *p, size_t n)
{
	return wqi_wk_name_ok(p, n) && !memchr(p, '/', n) && p[0] != '.';
}

/* Join dir and a name checked by the caller into out. 0 or -WQ_ETOOBIG. */
static int join(char *out, size_t len, const char *dir, const char *prefix, const char *name)
{
	int w = snprintf(out, len, "%s/%s%s", dir, prefix, name);
	return w < 0 || (size_t)w >= len ? WQ_ETOOBIG : 0;
}

int wqi_wk_cache_init(struct wqi_wk_cache *c, const char *workdir)
{
	c->partials = NULL;
	size_t n = strlen(workdir) + 8;
	c->dir = malloc(n);
	if (!c->dir)
		return WQ_ENOMEM;
	snprintf(c->dir, n, "%s/cache", workdir);
	wqi_rm_rf(c->dir);
	if (wqi_mkdir_p(c->dir, 0700) < 0) {
		free(c->dir);
		c->dir = NULL;
		return WQ_EFILE;
	}
	return 0;
}

/* Unlink a partial record (its files are removed by the caller). */
static void partial_free(struct wqi_wk_cache_partial *p)
{
	free(p->name);
	free(p);
}

void wqi_wk_cache_fini(struct wqi_wk_cache *c)
{
	while (c->partials) {
		struct wqi_wk_cache_partial *p = c->partials;
		c->partials = p->next;
		partial_free(p);
	}
	free(c->dir);
	c->dir = NULL;
}

int wqi_wk_cache_clear(struct wqi_wk_cache *c)
{
	while (c->partials) {
		struct wqi_wk_cache_partial *p = c->partials;
		c->partials = p->next;
		partial_free(p);
	}
	wqi_rm_rf(c->dir);
	return wqi_mkdir_p(c->dir, 0700) < 0 ? WQ_EFILE : 0;
}

int wqi_wk_cache_path(const struct wqi_wk_cache *c, const char *name, char *out, size_t len)
{
	if (!wqi_wk_cachename_ok(name, strlen(name)))
		return WQ_ENAME;
	return join(out, len, c->dir, "", name);
}

int wqi_wk_cache_exists(const struct wqi_wk_cache *c, const char *name)
{
	char path[WQI_NAME_MAX + 512];
	struct stat st;
	if (wqi_wk_cache_path(c, name, path, sizeof path) < 0 || lstat(path, &st) < 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return 1;
	if (S_ISDIR(st.st_mode))
		return 2;
	return 0;
}

int wqi_wk_cache_unlink(struct wqi_wk_cache *c, const char *name)
{
	char path[WQI_NAME_MAX + 512];
	int rc = wqi_wk_cache_path(c, name, path, sizeof path);
	if (rc < 0)
		return rc;
	return wqi_rm_rf(path) < 0 ? WQ_EFILE : 0;
}

/* The partial record of a cachename, or NULL. */
static struct wqi_wk_cache_partial *partial_find(struct wqi_wk_cache *c, struct wqi_str name)
{
	for (struct wqi_wk_cache_partial *p = c->partials; p; p = p->next)
		if (wqi_str_eq(name, p->name))
			return p;
	return NULL;
}

/* Record a local failure with its reason (first one wins). */
static void partial_fail(struct wqi_wk_cache_partial *p, const char *what, int err)
{
	if (p->failed)
		return;
	p->failed = 1;
	snprintf(p->reason, sizeof p->reason, "%s: %s", what, strerror(err));
}

void wqi_wk_cache_put_failed(struct wqi_wk_cache *c, struct wqi_str cachename, const char *reason)
{
	struct wqi_wk_cache_partial *p = partial_find(c, cachename);
	if (p && !p->failed) {
		p->failed = 1;
		snprintf(p->reason, sizeof p->reason, "%s", reason);
	}
}

/*
 * The root PUT (path "") starts a new partial object, throwing away an
 * earlier unfinished one of the same name; entry PUTs add to a directory
 * begun before. Entries are created with O_NOFOLLOW/O_EXCL-free semantics on
 * names already checked, inside a tree holding only our files and dirs.
 */
int wqi_wk_cache_put(struct wqi_wk_cache *c, const struct wqi_msg_put *m, int *fd)
{
	*fd = -1;
	if (!wqi_wk_cachename_ok(m->cachename.p, m->cachename.n))
		return WQ_ENAME;
	if (m->kind != WQI_KIND_FILE && m->kind != WQI_KIND_DIR)
		return WQ_ENAME;
	char name[WQI_NAME_MAX + 1], rel[WQI_NAME_MAX + 1];
	memcpy(name, m->cachename.p, m->cachename.n);
	name[m->cachename.n] = 0;
	char path[2 * WQI_NAME_MAX + 512];
	struct wqi_wk_cache_partial *p = partial_find(c, m->cachename);

	if (m->path.n == 0) {
		if (join(path, sizeof path, c->dir, ".partial.", name) < 0)
			return WQ_ENAME;
		wqi_rm_rf(path);
		if (!p) {
			p = calloc(1, sizeof *p);
			if (!p || !(p->name = strdup(name))) {
				free(p);
				return WQ_ENOMEM;
			}
			p->next = c->partials;
			c->partials = p;
		}
		p->kind = m->kind;
		p->failed = 0;
		p->reason[0] = 0;
	} else {
		if (!wqi_wk_name_ok(m->path.p, m->path.n))
			return WQ_ENAME;
		if (!p || p->kind != WQI_KIND_DIR)
			return WQ_ENAME; /* an entry of an object that was never begun as a directory */
		if (p->failed)
			return 0;
		memcpy(rel, m->path.p, m->path.n);
		rel[m->path.n] = 0;
		int w = snprintf(path, sizeof path, "%s/.partial.%s/%s", c->dir, name, rel);
		if (w < 0 || (size_t)w >= sizeof path)
			return WQ_ENAME;
	}
	if (p->failed)
		return 0;
	if (m->kind == WQI_KIND_DIR) {
		if (mkdir(path, (m->mode & 0777) | 0700) < 0 && errno != EEXIST)
			partial_fail(p, "mkdir", errno);
		return 0;
	}
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, (m->mode & 0777) | 0600);
	if (f < 0) {
		partial_fail(p, "create", errno);
		return 0;
	}
	fchmod(f, (m->mode & 0777) | 0400);
	*fd = f;
	return 0;
}

int wqi_wk_cache_put_end(struct wqi_wk_cache *c, struct wqi_str cachename, char *reason, size_t rlen)
{
	if (!wqi_wk_cachename_ok(cachename.p, cachename.n))
		return WQ_ENAME;
	struct wqi_wk_cache_partial *p = partial_find(c, cachename), **pp;
	if (!p)
		return WQ_ENAME;
	for (pp = &c->partials; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	char from[WQI_NAME_MAX + 512], to[WQI_NAME_MAX + 512];
	int rc = 0;
	if (join(from, sizeof from, c->dir, ".partial.", p->name) < 0 || join(to, sizeof to, c->dir, "", p->name) < 0) {
		partial_free(p);
		return WQ_ENAME;
	}
	if (!p->failed) {
		wqi_rm_rf(to);
		if (rename(from, to) < 0)
			partial_fail(p, "rename", errno);
	}
	if (p->failed) {
		snprintf(reason, rlen, "%s", p->reason);
		wqi_rm_rf(from);
		rc = WQ_EFILE;
	}
	partial_free(p);
	return rc;
}
