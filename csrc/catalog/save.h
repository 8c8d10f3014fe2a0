/*
 * save.h - the catalog server's save file (internal).
 *
 * JSON Lines: one record per line, each exactly as /query.json shows it
 * (the advertisement plus lastheardfrom and address). Written to PATH.tmp
 * and renamed over PATH, so a crash mid-save leaves the previous file.
 * These functions do blocking file I/O: the server calls them at start,
 * at exit and at most once a minute.
 */
#ifndef WQI_CAT_SAVE_H
#define WQI_CAT_SAVE_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

/* Write every record to path. 0 or WQ_EFILE (errno set). */
int wqi_cat_save(const struct wqi_cat_records *t, const char *path);
/* Add the records of path that are well formed and not expired at now_us,
 * in file order. *loaded and *skipped count lines. 0, WQ_ENOENT if the file
 * does not exist, WQ_EFILE if it cannot be read, WQ_ENOMEM. */
int wqi_cat_load(struct wqi_cat_records *t, const char *path, uint64_t now_us, size_t *loaded, size_t *skipped);

#endif
