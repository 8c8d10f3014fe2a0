/*
 * master_hosts.c - blocked hosts, the preferred-host wait, and the
 * scheduling timers (fast-abort checks, block expiry, preferred-host
 * wake-ups) that the wait loop runs.
 *
 * A blocked name matches a worker's host name, its address ("ip"), its
 * "ip:port" or its worker id. A blocked worker is kept off q->avail
 * (w->blocked), so no policy ever looks at it and nothing is checked per
 * event; its running tasks go on. A timed block lifts at a timer
 * (q->block_next_us), which re-evaluates the connected workers once.
 */
#include <stdint.h>
#include <stdlib.h>

#include "debug.h"
#include "master.h"
#include "sched_policy.h"
#include "util.h"

struct wqi_block {
	uint64_t until_us;  /* monotonic end of the block, 0 = until unblocked */
};

/* Is w blocked at now by one of its names? */
static int matches(struct work_queue *q, struct wqi_worker *w, uint64_t now)
{
	const char *names[4] = { w->hostname, w->ip, w->addr, w->worker_id };
	for (int i = 0; i < 4; i++) {
		if (!names[i] || !*names[i])
			continue;
		struct wqi_block *b = wqi_stab_get(&q->blocked, names[i]);
		if (b && (!b->until_us || b->until_us > now))
			return 1;
	}
	return 0;
}

/* Seconds left of the longest block matching w (0: until unblocked), for the log. */
static int64_t block_seconds(struct work_queue *q, struct wqi_worker *w, uint64_t now)
{
	const char *names[4] = { w->hostname, w->ip, w->addr, w->worker_id };
	uint64_t until = 1;
	for (int i = 0; i < 4; i++) {
		struct wqi_block *b = names[i] && *names[i] ? wqi_stab_get(&q->blocked, names[i]) : NULL;
		if (!b)
			continue;
		if (!b->until_us)
			return 0;
		if (b->until_us > until)
			until = b->until_us;
	}
	return until > now ? (int64_t)((until - now + 999999) / 1000000) : 0;
}

/* Re-evaluate w->blocked of every connected worker after the table
 * changed; returns how many became blocked. */
static int refresh(struct work_queue *q)
{
	uint64_t now = wqi_mono_us();
	int newly = 0;
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->workers) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_all);
		if (w->state != WQI_W_READY)
			continue;
		int b = wqi_stab_count(&q->blocked) ? matches(q, w, now) : 0;
		if (b == w->blocked)
			continue;
		w->blocked = b;
		newly += b;
		if (b && q->txn_log)
			wqi_log_worker(q, w, "BLOCKED", "%lld", (long long)block_seconds(q, w, now));
		WQI_DEBUG("worker %s (%s) %s", w->addr, w->hostname ? w->hostname : "", b ? "blocked" : "unblocked");
		wqi_worker_update_avail(w);
		q->dispatch_dirty = 1;
	}
	q->cum.workers_blacklisted += newly;
	return newly;
}

/* The earliest end of a timed block, 0 when none. */
static void next_expiry(struct work_queue *q)
{
	size_t pos = 0;
	void *v;
	q->block_next_us = 0;
	while (wqi_stab_next(&q->blocked, &pos, NULL, &v)) {
		struct wqi_block *b = v;
		if (b->until_us && (!q->block_next_us || b->until_us < q->block_next_us))
			q->block_next_us = b->until_us;
	}
}

/* Add or replace a block (seconds <= 0: until unblocked). 0 or WQ_ENOMEM. */
static int block(struct work_queue *q, const char *name, int64_t seconds)
{
	struct wqi_block *b = wqi_stab_get(&q->blocked, name);
	if (!b) {
		if (!(b = calloc(1, sizeof(*b))))
			return WQ_ENOMEM;
		if (wqi_stab_put(&q->blocked, name, b)) {
			free(b);
			return WQ_ENOMEM;
		}
	}
	b->until_us = seconds > 0 ? wqi_mono_us() + (uint64_t)seconds * 1000000 : 0;
	next_expiry(q);
	return 0;
}

void work_queue_block_host_with_timeout(struct work_queue *q, const char *hostname, int64_t seconds)
{
	if (!q || !hostname || !*hostname)
		return;
	if (block(q, hostname, seconds) == 0)
		refresh(q);
}

void work_queue_block_host(struct work_queue *q, const char *hostname)
{
	work_queue_block_host_with_timeout(q, hostname, 0);
}

void work_queue_unblock_host(struct work_queue *q, const char *hostname)
{
	if (!q || !hostname)
		return;
	free(wqi_stab_remove(&q->blocked, hostname));
	next_expiry(q);
	refresh(q);
}

void work_queue_unblock_all(struct work_queue *q)
{
	if (!q)
		return;
	wqi_hosts_free(q);
	refresh(q);
}

/* The original's deprecated names of the four functions above. */
void work_queue_blacklist_add(struct work_queue *q, const char *hostname)
{
	work_queue_block_host(q, hostname);
}

void work_queue_blacklist_add_with_timeout(struct work_queue *q, const char *hostname, time_t seconds)
{
	work_queue_block_host_with_timeout(q, hostname, (int64_t)seconds);
}

void work_queue_blacklist_remove(struct work_queue *q, const char *hostname)
{
	work_queue_unblock_host(q, hostname);
}

void work_queue_blacklist_clear(struct work_queue *q)
{
	work_queue_unblock_all(q);
}

void wqi_hosts_free(struct work_queue *q)
{
	size_t pos = 0;
	void *v;
	while (wqi_stab_next(&q->blocked, &pos, NULL, &v))
		free(v);
	wqi_stab_free(&q->blocked);
	q->block_next_us = 0;
}

void wqi_hosts_worker_ready(struct work_queue *q, struct wqi_worker *w)
{
	w->blocked = wqi_stab_count(&q->blocked) ? matches(q, w, wqi_mono_us()) : 0;
}

/* Fast abort blocks one worker process (its id), not its whole host,
 * which may run healthy workers too. */
void wqi_hosts_block_worker(struct work_queue *q, struct wqi_worker *w, int64_t seconds)
{
	const char *name = w->worker_id && *w->worker_id ? w->worker_id : w->addr;
	if (block(q, name, seconds) == 0)
		refresh(q);
}

void work_queue_specify_preferred_host_wait(struct work_queue *q, int64_t seconds)
{
	if (!q)
		return;
	q->pref_wait_us = seconds > 0 ? seconds * 1000000 : 0;
	q->dispatch_dirty = 1;
}

/* Remove the blocks that have ended and unblock their workers. */
static void expire(struct work_queue *q, uint64_t now)
{
	for (;;) {
		size_t pos = 0;
		const char *name = NULL, *k;
		void *v;
		while (wqi_stab_next(&q->blocked, &pos, &k, &v)) {
			struct wqi_block *b = v;
			if (b->until_us && b->until_us <= now) {
				name = k;
				break;
			}
		}
		if (!name)
			break;
		WQI_DEBUG("block of %s expired", name);
		free(wqi_stab_remove(&q->blocked, name));
	}
	next_expiry(q);
	refresh(q);
}

/*
 * The scheduling timers, run by the wait loop before each dispatch: the
 * fast-abort check when its earliest deadline is due, the end of timed
 * blocks, and a new dispatch pass when a task waiting for its preferred
 * hosts may go anywhere. Returns ms until the next one, -1 when none.
 */
int64_t wqi_sched_timers(struct work_queue *q)
{
	uint64_t now = wqi_mono_us(), next = UINT64_MAX;
	if (q->fa_next_us && now >= q->fa_next_us)
		wqi_fa_check(q, now);
	if (q->fa_next_us)
		next = q->fa_next_us;
	if (q->block_next_us && now >= q->block_next_us)
		expire(q, now);
	if (q->block_next_us && q->block_next_us < next)
		next = q->block_next_us;
	if (q->pref_wake_us) {
		uint64_t wall = wqi_now_us();
		if (wall >= q->pref_wake_us) {
			q->pref_wake_us = 0;
			q->dispatch_dirty = 1;
		} else if (now + (q->pref_wake_us - wall) < next) {
			next = now + (q->pref_wake_us - wall);
		}
	}
	if (next == UINT64_MAX)
		return -1;
	return next > now ? (int64_t)((next - now + 999) / 1000) : 0;
}
