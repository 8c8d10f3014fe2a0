/*
 * resources.h - what this worker offers: cores, memory, disk, gpus
 * (internal to wq_worker).
 *
 * wqi_wk_resources_detect() looks at the machine: cores from the CPU affinity
 * mask reduced by a cgroup CPU quota, memory from /proc/meminfo capped by a
 * cgroup memory limit (v1 or v2, the process's own cgroup), disk as the free
 * space of the workdir's file system, gpus as the count of /dev/nvidiaN.
 * The parse functions are pure (they take file contents) so that they can be
 * tested on sample texts. Nothing here blocks beyond reading small files.
 */
#ifndef WQI_WORKER_RESOURCES_H
#define WQI_WORKER_RESOURCES_H

#include <stddef.h>
#include <stdint.h>

struct wqi_wk_resources {
	int64_t cores;      /* whole cores */
	int64_t memory_mb;  /* MB (2^20 bytes) */
	int64_t disk_mb;    /* MB free in the workdir's file system */
	int64_t gpus;       /* whole GPUs */
};

/* MemTotal of a /proc/meminfo text, in MB; -1 if absent. */
int64_t wqi_wk_res_parse_meminfo(const char *text);
/* Cores allowed by a cgroup v2 cpu.max text ("max 100000" or "150000 100000"),
 * rounded up; -1 when unlimited or unparsable. */
int64_t wqi_wk_res_parse_cpu_max(const char *text);
/* Cores allowed by cgroup v1 cpu.cfs_quota_us / cpu.cfs_period_us texts,
 * rounded up; -1 when unlimited (quota -1) or unparsable. */
int64_t wqi_wk_res_parse_cfs(const char *quota_text, const char *period_text);
/* A memory limit text (v2 memory.max "max" or bytes; v1 limit_in_bytes) in
 * MB; -1 when unlimited (or a v1 "no limit" value near 2^63). */
int64_t wqi_wk_res_parse_mem_limit(const char *text);
/* The cgroup path of a controller in a /proc/self/cgroup text: for v1 the
 * line whose controller list holds controller, for v2 (controller NULL) the
 * "0::" line. Copies the path into out; 0, or -WQ_ENOENT if there is none. */
int wqi_wk_res_cgroup_path(const char *text, const char *controller, char *out, size_t len);

/* Detect everything; workdir is used for the disk figure (may not exist
 * yet: then its parent directories are tried). Never fails: an unknown
 * figure is a safe guess (1 core, 0 MB). */
void wqi_wk_resources_detect(struct wqi_wk_resources *r, const char *workdir);
/* Free MB of the file system holding path (or its nearest existing parent); -1 on error. */
int64_t wqi_wk_res_disk_free_mb(const char *path);

#endif
