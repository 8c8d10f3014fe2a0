/*
 * history.h - recent figures of one master for the dashboard's charts
 * (internal to the catalog server).
 *
 * Each accepted advertisement adds a sample of its workers, tasks_waiting,
 * tasks_running and tasks_complete (missing or non-numeric fields count as
 * 0) to a ring of WQI_CAT_HISTORY samples. Samples closer than
 * WQI_CAT_HISTORY_STEP_S seconds after the newest one update its figures
 * (it keeps its time), so a burst of updates cannot wash the older history
 * out. The ring is allocated at
 * the first sample: 2.4 KB per master.
 */
#ifndef WQI_CAT_HISTORY_H
#define WQI_CAT_HISTORY_H

#include <stdint.h>

#include "buf.h"
#include "json.h"

#define WQI_CAT_HISTORY 120       /* samples kept per master */
#define WQI_CAT_HISTORY_STEP_S 2  /* least spacing between two samples */
#define WQI_CAT_HISTORY_FIELDS 4  /* workers, tasks_waiting, tasks_running, tasks_complete */

struct wqi_cat_sample {
	uint32_t t_s;                          /* seconds since the epoch */
	uint32_t v[WQI_CAT_HISTORY_FIELDS];
};

struct wqi_cat_history {
	struct wqi_cat_sample *s;              /* WQI_CAT_HISTORY slots, NULL before the first sample */
	uint32_t first, n;                     /* oldest slot, samples held */
};

/* Add the figures of advertisement obj heard at heard_us. 0 or WQ_ENOMEM
 * (then the history is unchanged). */
int wqi_cat_history_add(struct wqi_cat_history *h, const struct wqi_json *obj, uint64_t heard_us);
void wqi_cat_history_free(struct wqi_cat_history *h);
/* Append the samples, oldest first, as a JSON array of
 * [t, workers, tasks_waiting, tasks_running, tasks_complete]. 0 or WQ_ENOMEM. */
int wqi_cat_history_write(struct wqi_buf *b, const struct wqi_cat_history *h);

#endif
