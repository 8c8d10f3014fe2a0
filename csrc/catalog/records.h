/*
 * records.h - the catalog server's table of masters (internal).
 *
 * One record per master, keyed by "NAME:PORT" (the advertisement's name and
 * port) or, for an advertisement without a name, "ADDRESS:PORT" (the
 * sender's IP). An update replaces the record under its key: the newest
 * always wins. A record is kept as its advertisement re-written as compact
 * JSON (the catalog's own fields lastheardfrom and address removed), so
 * answering a query is copying text, and its memory is about the size of
 * what the master sent.
 *
 * Bounds: at most max_records records, each from an update of at most
 * WQI_CAT_MAX_UPDATE bytes. When the table is full, a new master evicts
 * the record heard from least recently. Each record also keeps its recent
 * figures (history.h, 2.4 KB). Records not heard from for
 * lifetime_us are removed by wqi_cat_records_expire(); an update with
 * "state":"gone" removes its record at once.
 *
 * Errors: 0 or -WQ_E*: WQ_EPROTO (malformed update), WQ_ETOOBIG (oversized),
 * WQ_ENOMEM. Nothing here blocks or does I/O (save.c does the file).
 */
#ifndef WQI_CAT_RECORDS_H
#define WQI_CAT_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "catalog/history.h"
#include "json.h"
#include "table.h"

#define WQI_CAT_MAX_UPDATE (64u << 10)   /* bytes in one advertisement */
#define WQI_CAT_MAX_STRING 1024          /* bytes in type, project, name, owner, state */
#define WQI_CAT_JSON_DEPTH 32            /* nesting allowed in an advertisement */

struct wqi_cat_record {
	char *key;                          /* "NAME:PORT" or "ADDRESS:PORT" (the table owns the key copy too) */
	char *project;                      /* the project name, for the filter */
	char *json;                         /* "{...members" as compact JSON, without the closing brace */
	size_t json_len;                    /* bytes in json */
	char address[64];                   /* IP the last update came from */
	uint64_t heard_us;                  /* wall clock of the last update, microseconds */
	struct wqi_cat_history hist;        /* recent figures, for the dashboard (history.h) */
	struct wqi_cat_record *prev, *next; /* in order of the last update: head is the oldest */
};

/* Counters since start; received = accepted + dropped_malformed + dropped_oversized. */
struct wqi_cat_counters {
	uint64_t received;           /* updates received (UDP datagrams, TCP update connections) */
	uint64_t accepted;           /* valid updates (stored or gone) */
	uint64_t dropped_malformed;  /* not JSON, not an object, missing or mistyped fields, truncated */
	uint64_t dropped_oversized;  /* more than WQI_CAT_MAX_UPDATE bytes */
	uint64_t expired;            /* records removed after lifetime_us of silence */
	uint64_t evicted;            /* records removed to make room (table full) */
	uint64_t gone;               /* records removed by a "state":"gone" update */
};

struct wqi_cat_records {
	struct wqi_stab by_key;              /* key -> record */
	struct wqi_cat_record *head, *tail;  /* all records, oldest update first */
	size_t max_records;                  /* bound on the table */
	uint64_t lifetime_us;                /* silence after which a record expires */
	uint64_t generation;                 /* bumped at every change (for cached answers) */
	size_t bytes;                        /* sum of json_len over the records */
	struct wqi_cat_counters c;           /* counters */
};

void wqi_cat_records_init(struct wqi_cat_records *t, size_t max_records, uint64_t lifetime_us);
void wqi_cat_records_free(struct wqi_cat_records *t);
static inline size_t wqi_cat_records_count(const struct wqi_cat_records *t) { return wqi_stab_count(&t->by_key); }

/* One update as received: p[0, n) from address (an IP) at now_us. Counts it
 * (received, then accepted or a drop) and applies it. 0 if accepted. */
int wqi_cat_records_update(struct wqi_cat_records *t, const char *p, size_t n, const char *address, uint64_t now_us);
/* Count an update the server dropped before it could be parsed (err is
 * WQ_ETOOBIG for oversized, anything else counts as malformed). */
void wqi_cat_records_drop(struct wqi_cat_records *t, int err);
/* Apply a parsed advertisement heard at heard_us (no counting; save.c uses
 * it to reload). 0, WQ_EPROTO with *why set, or WQ_ENOMEM. */
int wqi_cat_records_put(struct wqi_cat_records *t, const struct wqi_json *obj, const char *address, uint64_t heard_us,
	const char **why);
/* Remove the records silent for longer than the lifetime; returns how many. */
size_t wqi_cat_records_expire(struct wqi_cat_records *t, uint64_t now_us);
struct wqi_cat_record *wqi_cat_records_find(const struct wqi_cat_records *t, const char *key);

/* Append one record as a JSON object with lastheardfrom (seconds since the
 * epoch) and address added. 0 or WQ_ENOMEM. */
int wqi_cat_record_write(struct wqi_buf *b, const struct wqi_cat_record *r);
/* Append the records (all, or those whose project equals project exactly)
 * as a JSON array, oldest update first. 0 or WQ_ENOMEM. */
int wqi_cat_records_write(const struct wqi_cat_records *t, struct wqi_buf *b, const char *project);
/* Append the recent figures of the records (all, or of one project) as a
 * JSON object: key -> [[t, workers, tasks_waiting, tasks_running,
 * tasks_complete], ...], oldest first. 0 or WQ_ENOMEM. */
int wqi_cat_records_write_history(const struct wqi_cat_records *t, struct wqi_buf *b, const char *project);

#endif
