/*
 * history.c - a ring of recent figures per master (see history.h).
 */
#include "catalog/history.h"

#include <inttypes.h>
#include <stdlib.h>

#include "work_queue.h"

static const char *const FIELDS[WQI_CAT_HISTORY_FIELDS] = { "workers", "tasks_waiting", "tasks_running",
							    "tasks_complete" };

/* A count from the advertisement: a non-negative integer, else 0. */
static uint32_t field(const struct wqi_json *obj, const char *key)
{
	int64_t v = 0;
	const struct wqi_json *j = wqi_json_get(obj, key);
	if (!j || wqi_json_int(j, 0, UINT32_MAX, &v) < 0)
		return 0;
	return (uint32_t)v;
}

int wqi_cat_history_add(struct wqi_cat_history *h, const struct wqi_json *obj, uint64_t heard_us)
{
	if (!h->s && !(h->s = calloc(WQI_CAT_HISTORY, sizeof *h->s)))
		return WQ_ENOMEM;
	uint32_t t = (uint32_t)(heard_us / 1000000u);
	struct wqi_cat_sample *last = h->n ? &h->s[(h->first + h->n - 1) % WQI_CAT_HISTORY] : NULL;
	struct wqi_cat_sample *s;
	if (last && t >= last->t_s && t - last->t_s < WQI_CAT_HISTORY_STEP_S) {
		s = last;   /* too close: the newer figures win, the sample keeps its time */
		t = last->t_s;
	} else if (h->n < WQI_CAT_HISTORY) {
		s = &h->s[(h->first + h->n++) % WQI_CAT_HISTORY];
	} else {
		s = &h->s[h->first];   /* full: the oldest goes */
		h->first = (h->first + 1) % WQI_CAT_HISTORY;
	}
	s->t_s = t;
	for (int i = 0; i < WQI_CAT_HISTORY_FIELDS; i++)
		s->v[i] = field(obj, FIELDS[i]);
	return 0;
}

void wqi_cat_history_free(struct wqi_cat_history *h)
{
	free(h->s);
	h->s = NULL;
	h->first = h->n = 0;
}

int wqi_cat_history_write(struct wqi_buf *b, const struct wqi_cat_history *h)
{
	if (wqi_buf_append(b, "[", 1) < 0)
		return WQ_ENOMEM;
	for (uint32_t i = 0; i < h->n; i++) {
		const struct wqi_cat_sample *s = &h->s[(h->first + i) % WQI_CAT_HISTORY];
		if (wqi_buf_printf(b, "%s[%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 "]", i ? "," : "",
				   s->t_s, s->v[0], s->v[1], s->v[2], s->v[3]) < 0)
			return WQ_ENOMEM;
	}
	return wqi_buf_append(b, "]", 1) < 0 ? WQ_ENOMEM : 0;
}
