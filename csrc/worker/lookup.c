/*
 * lookup.c - wq_worker -M: find the masters of a project through the
 * catalogs (docs/catalog.md, "Workers").
 *
 * Each catalog of the list is asked in turn (GET /query.json, blocking with
 * a timeout: the worker looks up only while it has no master and no task);
 * the answers are merged, one entry per master (address and port), the
 * newest report winning, and ordered newest lastheardfrom first, so a
 * restarted master is tried before the record its dead predecessor left.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "catalog_client.h"
#include "debug.h"
#include "work_queue.h"
#include "worker/worker.h"

#define PICK_MAX 64   /* masters kept from one catalog's answer */

/* Newest first (insertion sort: the lists are short). */
static void sort_newest(struct wqi_catalog_master *m, int n)
{
	for (int i = 1; i < n; i++) {
		struct wqi_catalog_master x = m[i];
		int j = i;
		for (; j > 0 && m[j - 1].lastheardfrom < x.lastheardfrom; j--)
			m[j] = m[j - 1];
		m[j] = x;
	}
}

int wqi_wk_lookup(const struct wqi_wk_config *cfg, struct wqi_catalog_master *out, int max, int timeout_ms)
{
	struct wqi_catalog_host hs[WQI_CATALOG_MAX_HOSTS];
	int nh = wqi_catalog_parse_hosts(cfg->catalogs, WQI_CATALOG_DEFAULT_PORT, hs, WQI_CATALOG_MAX_HOSTS);
	regex_t re;
	char err[256];
	if (nh <= 0 || wqi_catalog_regcomp(&re, cfg->master_name, err, sizeof err) < 0)
		return 0;
	static struct wqi_catalog_master found[PICK_MAX];
	struct wqi_buf body = WQI_BUF_INIT;
	int n = 0;
	for (int i = 0; i < nh; i++) {
		int rc = wqi_catalog_query(hs[i].host, hs[i].port, timeout_ms, &body);
		if (rc < 0) {
			WQI_DEBUG("catalog %s:%d: %s", hs[i].host, hs[i].port, work_queue_strerror(rc));
			continue;
		}
		int k = wqi_catalog_pick(wqi_buf_head(&body), wqi_buf_used(&body), &re, found, PICK_MAX);
		if (k < 0) {
			WQI_DEBUG("catalog %s:%d: the answer is not a JSON array", hs[i].host, hs[i].port);
			continue;
		}
		for (int j = 0; j < k; j++) {
			int same = -1;
			for (int e = 0; e < n && same < 0; e++)
				if (out[e].port == found[j].port && strcmp(out[e].address, found[j].address) == 0 &&
				    strcmp(out[e].name, found[j].name) == 0)
					same = e;
			if (same >= 0) {
				if (found[j].lastheardfrom > out[same].lastheardfrom)
					out[same] = found[j];
			} else if (n < max) {
				out[n++] = found[j];
			}
		}
	}
	wqi_buf_free(&body);
	regfree(&re);
	sort_newest(out, n);
	return n;
}
