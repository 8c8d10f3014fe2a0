/*
 * master_catalog.c - a named queue advertises itself to its catalogs
 * (docs/catalog.md): which catalogs, when, and what the advertisement says.
 * The sending (resolver thread, UDP/TCP) is catalog_client.c's.
 *
 * A queue advertises when it has a name and catalogs are named, by
 * specify_catalog_server(s) or else by CATALOG_HOST/CATALOG_PORT; never
 * otherwise. It sends at once when the name or the catalogs are set, then
 * every update interval (default 10 s) from inside wait(), and a last
 * update with "state":"gone" from work_queue_delete. Each send costs one
 * stats pass and one nonblocking datagram per catalog.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog_client.h"
#include "debug.h"
#include "json.h"
#include "master.h"
#include "util.h"

#define DEFAULT_INTERVAL_S 10

/* "key":"escaped", */
static int put_str(struct wqi_buf *b, const char *key, const char *s)
{
	int rc = wqi_buf_printf(b, "\"%s\":", key);
	rc |= wqi_json_write_string(b, s, strlen(s));
	rc |= wqi_buf_append(b, ",", 1);
	return rc;
}

/* The identity fields every update carries (the record's key is name:port). */
static int put_identity(struct work_queue *q, struct wqi_buf *b)
{
	int rc = wqi_buf_append_str(b, "{\"type\":\"wq_master\",");
	rc |= put_str(b, "project", q->name);
	rc |= put_str(b, "name", wqi_hostname());
	rc |= wqi_buf_printf(b, "\"port\":%d,", q->port);
	return rc;
}

/* The advertisement: identity, owner, start, version, counts, resources. */
static int advertisement(struct work_queue *q, struct wqi_buf *b)
{
	struct work_queue_stats s;
	work_queue_get_stats(q, &s);
	int rc = put_identity(q, b);
	rc |= put_str(b, "owner", wqi_status_owner());
	rc |= put_str(b, "version", work_queue_version());
	rc |= wqi_buf_printf(b,
			     "\"starttime\":%llu,\"workers\":%d,\"workers_busy\":%d,\"tasks_waiting\":%d,"
			     "\"tasks_running\":%d,\"tasks_complete\":%d,\"tasks_submitted\":%d,\"tasks_done\":%d,"
			     "\"total_cores\":%lld,\"total_memory\":%lld,\"total_disk\":%lld,\"total_gpus\":%lld,"
			     "\"committed_cores\":%lld,\"committed_memory\":%lld,\"committed_disk\":%lld,\"committed_gpus\":%lld}",
			     (unsigned long long)(s.time_when_started / 1000000), s.workers_connected, s.workers_busy,
			     s.tasks_waiting, s.tasks_running, s.tasks_done + s.tasks_with_results, s.tasks_submitted,
			     s.tasks_done, (long long)s.total_cores, (long long)s.total_memory, (long long)s.total_disk,
			     (long long)s.total_gpus, (long long)s.committed_cores, (long long)s.committed_memory,
			     (long long)s.committed_disk, (long long)s.committed_gpus);
	return rc ? WQ_ENOMEM : 0;
}

/* Stop advertising (no final update: used when the catalogs change or the name goes). */
static void stop(struct work_queue *q)
{
	if (q->catalog)
		wqi_catalog_delete(q->catalog, NULL, 0);
	q->catalog = NULL;
	free(q->catalog_using);
	q->catalog_using = NULL;
}

int64_t wqi_catalog_tick(struct work_queue *q)
{
	if (!q->name && !q->catalog)
		return -1;
	uint64_t now = wqi_mono_us();
	if (q->catalog_next_us && now < q->catalog_next_us)
		return (int64_t)((q->catalog_next_us - now + 999) / 1000);
	int interval = q->catalog_interval_s > 0 ? q->catalog_interval_s : DEFAULT_INTERVAL_S;
	q->catalog_next_us = now + (uint64_t)interval * 1000000;
	char *hosts = q->name ? (q->catalog_hosts ? wqi_strdup(q->catalog_hosts) : wqi_catalog_env_hosts()) : NULL;
	if (!hosts) {
		stop(q);
		return q->name ? interval * 1000 : -1;
	}
	if (!q->catalog || strcmp(q->catalog_using, hosts) != 0) {
		stop(q);
		q->catalog = wqi_catalog_create(hosts);
		if (!q->catalog) {
			wqi_warn("cannot advertise to the catalogs '%s': %s", hosts,
				 errno == EINVAL ? "not a list of host:port" : "out of resources");
			free(hosts);
			return interval * 1000;
		}
		q->catalog_using = hosts;
		WQI_DEBUG("advertising project %s to %s every %d s", q->name, hosts, interval);
	} else {
		free(hosts);
	}
	struct wqi_buf b = WQI_BUF_INIT;
	if (advertisement(q, &b) == 0)
		wqi_catalog_send(q->catalog, wqi_buf_head(&b), wqi_buf_used(&b));
	wqi_buf_free(&b);
	return interval * 1000;
}

/* The last update ("state":"gone", best effort) and the advertiser's end. */
void wqi_catalog_retire(struct work_queue *q)
{
	if (q->catalog && q->name) {
		struct wqi_buf b = WQI_BUF_INIT;
		if (put_identity(q, &b) == 0 && wqi_buf_append_str(&b, "\"state\":\"gone\"}") == 0)
			wqi_catalog_delete(q->catalog, wqi_buf_head(&b), wqi_buf_used(&b));
		else
			wqi_catalog_delete(q->catalog, NULL, 0);
		wqi_buf_free(&b);
		q->catalog = NULL;
	}
	stop(q);
}

void wqi_catalog_close(struct work_queue *q)
{
	wqi_catalog_retire(q);
	free(q->catalog_hosts);
	q->catalog_hosts = NULL;
}

void wqi_catalog_advertise_now(struct work_queue *q)
{
	q->catalog_next_us = 0;
	wqi_catalog_tick(q);
}

void work_queue_specify_catalog_server(struct work_queue *q, const char *hostname, int port)
{
	if (!q)
		return;
	char *list = NULL;
	if (hostname && *hostname) {
		struct wqi_buf b = WQI_BUF_INIT;
		if (wqi_buf_printf(&b, "%s:%d", hostname, port > 0 && port <= 65535 ? port : WQI_CATALOG_DEFAULT_PORT) < 0 ||
		    wqi_buf_append(&b, "", 1) < 0) {
			wqi_buf_free(&b);
			return;
		}
		list = b.data;
	}
	free(q->catalog_hosts);
	q->catalog_hosts = list;
	wqi_catalog_advertise_now(q);
}

void work_queue_specify_catalog_servers(struct work_queue *q, const char *hosts)
{
	if (!q)
		return;
	char *list = hosts && *hosts ? strdup(hosts) : NULL;
	if (hosts && *hosts && !list)
		return;
	free(q->catalog_hosts);
	q->catalog_hosts = list;
	wqi_catalog_advertise_now(q);
}

void work_queue_specify_catalog_update_interval(struct work_queue *q, int seconds)
{
	if (!q || seconds <= 0)
		return;
	q->catalog_interval_s = seconds;
	q->catalog_next_us = 0;
}

