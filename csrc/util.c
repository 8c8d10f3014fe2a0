/*
 * util.c - clocks, hashing, and file-system helpers (see util.h).
 */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "work_queue.h"

uint64_t wqi_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t wqi_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t wqi_hash_add(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The length goes in first, as 8 little-endian bytes, so "ab"+"c" != "a"+"bc". */
uint64_t wqi_hash_field(uint64_t h, const void *p, size_t n)
{
	unsigned char len[8];
	uint64_t v = n;
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(v >> (8 * i));
	h = wqi_hash_add(h, len, 8);
	return wqi_hash_add(h, p, n);
}

/*
 * mkdir -p: make each prefix ending at a '/' in turn, tolerating EEXIST when
 * what exists is a directory (stat follows symlinks here on purpose: a
 * symlinked parent directory is the user's choice).
 */
int wqi_mkdir_p(const char *path, int mode)
{
	if (!path || !*path) {
		errno = EINVAL;
		return WQ_EFILE;
	}
	size_t n = strlen(path);
	char *p = malloc(n + 1);
	if (!p) {
		errno = ENOMEM;
		return WQ_EFILE;
	}
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			free(p);
			return WQ_EFILE;
		}
		p[i] = c;
	}
	struct stat st;
	int rc = stat(p, &st);
	int saved = errno;
	free(p);
	if (rc < 0) {
		errno = saved;
		return WQ_EFILE;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return WQ_EFILE;
	}
	return 0;
}

/*
 * Remove everything inside the directory open as dfd (which this closes).
 * Entries are opened with O_NOFOLLOW|O_DIRECTORY relative to their parent, so
 * a symlink is unlinked, never entered, and a path swapped for a symlink
 * between check and use cannot redirect us. Depth is bounded by the stack,
 * one fd per level (trees deeper than the fd limit fail with EMFILE).
 */
static int rm_dir_contents(int dfd)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			if (errno)
				rc = -1;
			break;
		}
		const char *name = e->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), name, 0) == 0)
			continue;
		if (errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			rc = -1;
			continue;
		}
		/* a directory (Linux says EISDIR; POSIX allows EPERM) */
		int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0) {
			rc = -1;
			continue;
		}
		if (rm_dir_contents(sub) < 0)
			rc = -1;
		if (unlinkat(dirfd(d), name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/*
 * rm -rf path without ever following a symlink: path itself, if a symlink,
 * is unlinked (its target is left alone). A missing path is success.
 */
int wqi_rm_rf(const char *path)
{
	struct stat st;
	if (!path || !*path) {
		errno = EINVAL;
		return WQ_EFILE;
	}
	/* the common case first, an empty directory: one rmdir, no walk (which
	 * costs an lstat, open, fstat, two getdents and a close). rmdir never
	 * follows a symlink (ENOTDIR), so the checks below still decide those. */
	if (rmdir(path) == 0)
		return 0;
	if (errno == ENOENT)
		return 0;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : WQ_EFILE;
	if (!S_ISDIR(st.st_mode))
		return (unlink(path) == 0 || errno == ENOENT) ? 0 : WQ_EFILE;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return WQ_EFILE;
	int rc = rm_dir_contents(fd);
	int saved = errno;
	if (rmdir(path) < 0 && errno != ENOENT)
		return WQ_EFILE;
	if (rc < 0) {
		errno = saved;
		return WQ_EFILE;
	}
	return 0;
}

void *wqi_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t min_cap)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : min_cap;
	if (nc < *cap || nc > SIZE_MAX / elem)
		return NULL;
	void *na = realloc(arr, nc * elem);
	if (na)
		*cap = nc;
	return na;
}

char *wqi_strdup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *r = malloc(n);
	if (r)
		memcpy(r, s, n);
	return r;
}

/* gethostname once; "localhost" if it fails. Always NUL-terminated. */
const char *wqi_hostname(void)
{
	static char name[HOST_NAME_MAX + 1];
	if (!name[0]) {
		if (gethostname(name, sizeof name - 1) < 0 || !name[0])
			strcpy(name, "localhost");
		name[sizeof name - 1] = '\0';
	}
	return name;
}
