/*
 * resources.c - detect the cores, memory, disk and gpus this worker offers.
 *
 * The figures respect containers: a CPU quota or a memory limit set on the
 * worker's cgroup wins over what the whole machine has, since a task that
 * uses more than the quota is throttled or killed.
 */
#include "worker/resources.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "work_queue.h"

#define MB (1024LL * 1024LL)
/* cgroup v1 reports "no limit" as a page-aligned value near 2^63. */
#define NO_LIMIT_BYTES (1LL << 62)

/* Skip spaces and tabs. */
static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Parse a decimal integer at p (after optional spaces); the rest of the
 * word must be empty or whitespace. 0 on success.
 */
static int parse_ll(const char *p, long long *out)
{
	char *end;
	if (!p)
		return -1;
	p = skip_ws(p);
	errno = 0;
	long long v = strtoll(p, &end, 10);
	if (end == p || errno)
		return -1;
	if (*end && *end != ' ' && *end != '\t' && *end != '\n')
		return -1;
	*out = v;
	return 0;
}

int64_t wqi_wk_res_parse_meminfo(const char *text)
{
	const char *line = text;
	while (line && *line) {
		if (strncmp(line, "MemTotal:", 9) == 0) {
			long long kb;
			if (parse_ll(line + 9, &kb) < 0 || kb < 0)
				return -1;
			return kb / 1024;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

/* ceil(quota / period) for positive figures, else -1. */
static int64_t quota_cores(long long quota, long long period)
{
	if (quota <= 0 || period <= 0)
		return -1;
	return (quota + period - 1) / period;
}

int64_t wqi_wk_res_parse_cpu_max(const char *text)
{
	if (!text)
		return -1;
	const char *p = skip_ws(text);
	if (strncmp(p, "max", 3) == 0)
		return -1;
	long long quota, period;
	if (parse_ll(p, &quota) < 0)
		return -1;
	p = strpbrk(p, " \t");
	if (!p || parse_ll(p, &period) < 0)
		return -1;
	return quota_cores(quota, period);
}

int64_t wqi_wk_res_parse_cfs(const char *quota_text, const char *period_text)
{
	long long quota, period;
	if (parse_ll(quota_text, &quota) < 0 || parse_ll(period_text, &period) < 0)
		return -1;
	return quota_cores(quota, period);
}

int64_t wqi_wk_res_parse_mem_limit(const char *text)
{
	if (!text)
		return -1;
	const char *p = skip_ws(text);
	if (strncmp(p, "max", 3) == 0)
		return -1;
	long long v;
	if (parse_ll(p, &v) < 0 || v <= 0 || v >= NO_LIMIT_BYTES)
		return -1;
	return v / MB;
}

/*
 * Lines of /proc/self/cgroup read "id:controllers:path". v1 controllers are a
 * comma-separated list; the v2 line has id 0 and an empty list.
 */
int wqi_wk_res_cgroup_path(const char *text, const char *controller, char *out, size_t len)
{
	const char *line = text;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t ll = eol ? (size_t)(eol - line) : strlen(line);
		const char *c1 = memchr(line, ':', ll);
		const char *c2 = c1 ? memchr(c1 + 1, ':', ll - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			const char *ctl = c1 + 1;
			size_t cl = (size_t)(c2 - ctl);
			int match = 0;
			if (!controller) {
				match = cl == 0 && c1 - line == 1 && line[0] == '0';
			} else {
				size_t want = strlen(controller);
				const char *q = ctl;
				while (q < c2 && !match) {
					const char *comma = memchr(q, ',', (size_t)(c2 - q));
					const char *e = comma ? comma : c2;
					if ((size_t)(e - q) == want && memcmp(q, controller, want) == 0)
						match = 1;
					q = e + 1;
				}
			}
			size_t pl = ll - (size_t)(c2 + 1 - line);
			if (match && pl + 1 <= len) {
				memcpy(out, c2 + 1, pl);
				out[pl] = 0;
				return 0;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return WQ_ENOENT;
}

/* Read a small file into buf (NUL-terminated); 0 or -1. */
static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	return got ? 0 : -1;
}

/*
 * Read file name of the process's cgroup for controller (NULL = v2) under
 * mount: first at mount/<own path>/name, then at mount/name (a container
 * often sees its own cgroup as the mount's root). 0 or -1.
 */
static int read_cgroup_file(const char *selfcg, const char *controller, const char *mount, const char *name, char *buf, size_t len)
{
	char cg[1024], path[2048];
	if (selfcg && wqi_wk_res_cgroup_path(selfcg, controller, cg, sizeof cg) == 0) {
		snprintf(path, sizeof path, "%s%s/%s", mount, strcmp(cg, "/") == 0 ? "" : cg, name);
		if (read_small(path, buf, len) == 0)
			return 0;
	}
	snprintf(path, sizeof path, "%s/%s", mount, name);
	return read_small(path, buf, len);
}

/* Cores: the affinity mask, lowered by a v2 or v1 CPU quota. */
static int64_t detect_cores(const char *selfcg)
{
	int64_t cores = 0;
	/* the raw system call: <sched.h> is shadowed by csrc/sched.h under -Icsrc */
	unsigned long mask[4096 / (8 * sizeof(unsigned long))];
	long got = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
	for (long i = 0; got > 0 && i < got / (long)sizeof mask[0]; i++)
		cores += __builtin_popcountl(mask[i]);
	if (cores <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cores = n > 0 ? n : 1;
	}
	char a[256], b[256];
	int64_t q = -1;
	if (read_cgroup_file(selfcg, NULL, "/sys/fs/cgroup", "cpu.max", a, sizeof a) == 0)
		q = wqi_wk_res_parse_cpu_max(a);
	else if (read_cgroup_file(selfcg, "cpu", "/sys/fs/cgroup/cpu", "cpu.cfs_quota_us", a, sizeof a) == 0 &&
		 read_cgroup_file(selfcg, "cpu", "/sys/fs/cgroup/cpu", "cpu.cfs_period_us", b, sizeof b) == 0)
		q = wqi_wk_res_parse_cfs(a, b);
	if (q > 0 && q < cores)
		cores = q;
	return cores;
}

/* Memory: MemTotal, capped by a v2 or v1 memory limit. */
static int64_t detect_memory(const char *selfcg)
{
	static char info[16384];
	int64_t mem = 0;
	if (read_small("/proc/meminfo", info, sizeof info) == 0)
		mem = wqi_wk_res_parse_meminfo(info);
	if (mem < 0)
		mem = 0;
	char a[256];
	int64_t lim = -1;
	if (read_cgroup_file(selfcg, NULL, "/sys/fs/cgroup", "memory.max", a, sizeof a) == 0)
		lim = wqi_wk_res_parse_mem_limit(a);
	else if (read_cgroup_file(selfcg, "memory", "/sys/fs/cgroup/memory", "memory.limit_in_bytes", a, sizeof a) == 0)
		lim = wqi_wk_res_parse_mem_limit(a);
	if (lim >= 0 && (mem == 0 || lim < mem))
		mem = lim;
	return mem;
}

int64_t wqi_wk_res_disk_free_mb(const char *path)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", path && *path ? path : ".");
	for (;;) {
		struct statvfs s;
		if (statvfs(p, &s) == 0)
			return (int64_t)((unsigned long long)s.f_bavail * s.f_frsize / MB);
		char *slash = strrchr(p, '/');
		if (!slash)
			return -1;
		if (slash == p) {
			if (p[1] == 0)
				return -1;
			p[1] = 0;
		} else {
			*slash = 0;
		}
	}
}

/* GPUs: the number of /dev/nvidiaN device nodes. */
static int64_t detect_gpus(void)
{
	DIR *d = opendir("/dev");
	if (!d)
		return 0;
	int64_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *s = e->d_name;
		if (strncmp(s, "nvidia", 6) != 0 || !s[6])
			continue;
		s += 6;
		while (*s >= '0' && *s <= '9')
			s++;
		if (!*s)
			n++;
	}
	closedir(d);
	return n;
}

void wqi_wk_resources_detect(struct wqi_wk_resources *r, const char *workdir)
{
	static char selfcg[8192];
	const char *cg = read_small("/proc/self/cgroup", selfcg, sizeof selfcg) == 0 ? selfcg : NULL;
	r->cores = detect_cores(cg);
	r->memory_mb = detect_memory(cg);
	int64_t d = wqi_wk_res_disk_free_mb(workdir);
	r->disk_mb = d > 0 ? d : 0;
	r->gpus = detect_gpus();
}
