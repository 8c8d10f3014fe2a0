/*
 * util.h - small helpers shared by master and worker (internal).
 */
#ifndef WQI_UTIL_H
#define WQI_UTIL_H

#include <stddef.h>
#include <stdint.h>

uint64_t wqi_now_us(void);        /* wall clock, microseconds since the epoch */
uint64_t wqi_mono_us(void);       /* monotonic clock, microseconds */

/* 64-bit FNV-1a, incremental: h = wqi_hash_init(); h = wqi_hash_add(h, p, n); */
#define WQI_HASH_INIT 0xcbf29ce484222325ULL
uint64_t wqi_hash_add(uint64_t h, const void *p, size_t n);
/* Add a length-prefixed field (u64 length then bytes), so fields cannot run together. */
uint64_t wqi_hash_field(uint64_t h, const void *p, size_t n);

/* mkdir -p; 0 or -WQ_EFILE (errno set). */
int wqi_mkdir_p(const char *path, int mode);
/* rm -rf that never follows symlinks; 0 or -WQ_EFILE. */
int wqi_rm_rf(const char *path);
/* strdup that returns NULL on NULL. */
char *wqi_strdup(const char *s);
/* Room for one more element in array arr (elements of size elem, n used, *cap
 * allocated): arr itself when there is room, else a copy twice as large
 * (min_cap at first) with *cap updated, or NULL when out of memory (arr and
 * *cap unchanged). */
void *wqi_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t min_cap);
/* The host name, never NULL (static storage). */
const char *wqi_hostname(void);

#endif
