/*
 * stats.c - work_queue_get_stats and work_queue_get_stats_json.
 *
 * Cumulative figures are kept as they happen (q->cum); figures about "now"
 * are computed here from the books, one pass over the connections.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "link.h"
#include "master.h"

void work_queue_get_stats(struct work_queue *q, struct work_queue_stats *s)
{
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	if (!q)
		return;
	*s = q->cum;
	uint64_t sent = q->closed_bytes_sent, recvd = q->closed_bytes_received;
	struct work_queue_task *top = wqi_ready_top(&q->ready);
	int first = 1;
	struct wqi_list *n, *nx;
	wqi_list_foreach_safe(n, nx, &q->workers) {
		struct wqi_worker *w = wqi_container_of(n, struct wqi_worker, n_all);
		if (w->link && !w->http) {
			sent += wqi_link_bytes_sent(w->link);
			recvd += wqi_link_bytes_received(w->link);
		}
		if (w->state != WQI_W_READY) {
			/* status clients and closing connections are not workers */
			if (w->state == WQI_W_PREAMBLE || w->state == WQI_W_HELLO)
				s->workers_init++;
			continue;
		}
		s->workers_connected++;
		if (w->ntasks)
			s->workers_busy++;
		else
			s->workers_idle++;
		if (top && wqi_fits(w, top))
			s->workers_able++;
#define MINMAX(field, v) do { if (first || (v) < s->min_##field) s->min_##field = (v); if (first || (v) > s->max_##field) s->max_##field = (v); } while (0)
		MINMAX(cores, w->cores);
		MINMAX(memory, w->memory);
		MINMAX(disk, w->disk);
		MINMAX(gpus, w->gpus);
#undef MINMAX
		first = 0;
	}
	s->tasks_waiting = (int)(wqi_ready_count(&q->ready) + q->n_parked);
	s->tasks_on_workers = q->n_running;
	s->tasks_running = q->n_running;
	s->tasks_with_results = q->n_complete;
	s->bytes_sent = (int64_t)sent;
	s->bytes_received = (int64_t)recvd;
	s->time_send_good = s->time_send;
	s->time_receive_good = s->time_receive;
	s->time_workers_execute_good = s->time_workers_execute;
	double secs = (double)(s->time_send + s->time_receive) / 1e6;
	s->bandwidth = secs > 0 ? (double)(sent + recvd) / secs : 0;
	s->total_cores = q->total_cores;
	s->total_memory = q->total_memory;
	s->total_disk = q->total_disk;
	s->total_gpus = q->total_gpus;
	s->committed_cores = q->used_cores;
	s->committed_memory = q->used_memory;
	s->committed_disk = q->used_disk;
	s->committed_gpus = q->used_gpus;
	/* capacity: how many tasks of the typical size (1 core) the workers hold now */
	s->capacity_cores = (int)q->total_cores;
	s->capacity_memory = (int)q->total_memory;
	s->capacity_disk = (int)q->total_disk;
	s->capacity_gpus = (int)q->total_gpus;
	s->capacity_tasks = (int)q->total_cores;
	s->capacity_instantaneous = (int)q->total_cores;
	s->capacity_weighted = (int)q->total_cores;
	s->port = q->port;
	s->priority = q->priority;
	/* the older names */
	s->total_workers_connected = s->workers_connected;
	s->total_workers_joined = s->workers_joined;
	s->total_workers_removed = s->workers_removed;
	s->total_workers_lost = s->workers_lost;
	s->total_workers_idled_out = s->workers_idled_out;
	s->total_workers_fast_aborted = s->workers_fast_aborted;
	s->tasks_complete = s->tasks_with_results;
	s->total_tasks_dispatched = s->tasks_dispatched;
	s->total_tasks_complete = s->tasks_done;
	s->total_tasks_failed = s->tasks_failed;
	s->total_tasks_cancelled = s->tasks_cancelled;
	s->total_exhausted_attempts = s->tasks_exhausted_attempts;
	s->total_bytes_sent = s->bytes_sent;
	s->total_bytes_received = s->bytes_received;
	s->total_send_time = s->time_send;
	s->total_receive_time = s->time_receive;
	s->total_execute_time = s->time_workers_execute;
	s->start_time = s->time_when_started;
}

/* Every field of struct work_queue_stats by name, in declaration order. */
char *work_queue_get_stats_json(struct work_queue *q)
{
	struct work_queue_stats s;
	struct wqi_buf b = WQI_BUF_INIT;
	int rc = 0;
	work_queue_get_stats(q, &s);
#define I(f) rc |= wqi_buf_printf(&b, "\"%s\":%lld,", #f, (long long)s.f)
#define U(f) rc |= wqi_buf_printf(&b, "\"%s\":%llu,", #f, (unsigned long long)s.f)
	rc |= wqi_buf_append_str(&b, "{");
	I(workers_connected); I(workers_init); I(workers_idle); I(workers_busy); I(workers_able);
	I(workers_joined); I(workers_removed); I(workers_released); I(workers_idled_out);
	I(workers_fast_aborted); I(workers_blacklisted); I(workers_lost);
	I(tasks_waiting); I(tasks_on_workers); I(tasks_running); I(tasks_with_results);
	I(tasks_submitted); I(tasks_dispatched); I(tasks_done); I(tasks_failed); I(tasks_cancelled);
	I(tasks_exhausted_attempts);
	U(time_when_started); U(time_send); U(time_receive); U(time_send_good); U(time_receive_good);
	U(time_status_msgs); U(time_internal); U(time_polling); U(time_application);
	U(time_workers_execute); U(time_workers_execute_good); U(time_workers_execute_exhaustion);
	I(bytes_sent); I(bytes_received);
	rc |= wqi_buf_printf(&b, "\"bandwidth\":%.3f,", s.bandwidth);
	I(capacity_tasks); I(capacity_cores); I(capacity_memory); I(capacity_disk); I(capacity_gpus);
	I(capacity_instantaneous); I(capacity_weighted);
	I(total_cores); I(total_memory); I(total_disk); I(total_gpus);
	I(committed_cores); I(committed_memory); I(committed_disk); I(committed_gpus);
	I(min_cores); I(max_cores); I(min_memory); I(max_memory); I(min_disk); I(max_disk); I(min_gpus); I(max_gpus);
	I(port); I(priority);
	I(tasks_fast_aborted); I(tasks_lost);
	I(total_workers_connected); I(total_workers_joined); I(total_workers_removed); I(total_workers_lost);
	I(total_workers_idled_out); I(total_workers_fast_aborted); I(tasks_complete); I(total_tasks_dispatched);
	I(total_tasks_complete); I(total_tasks_failed); I(total_tasks_cancelled); I(total_exhausted_attempts);
	I(total_bytes_sent); I(total_bytes_received);
	U(total_send_time); U(total_receive_time); U(total_execute_time);
	rc |= wqi_buf_printf(&b, "\"start_time\":%llu}", (unsigned long long)s.start_time);
#undef I
#undef U
	if (rc || wqi_buf_append(&b, "", 1) < 0) {
		wqi_buf_free(&b);
		return NULL;
	}
	/* hand the allocation over: the JSON starts at offset 0 (nothing consumed) */
	return b.data;
}
