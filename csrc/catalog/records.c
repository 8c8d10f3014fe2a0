/*
 * records.c - the catalog server's table of masters (see records.h).
 *
 * A string hash table finds a record by key in O(1); a doubly linked list in
 * order of the last update gives the least recently heard record for
 * eviction in O(1). Expiry walks the list (a few thousand records at a few
 * hertz is nothing) rather than trusting its order, because records reloaded
 * from a save file or a wall clock stepped back can leave it out of order.
 */
#include "records.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "work_queue.h"

/* Fields the catalog adds itself: dropped from what a master sends. */
static const char *const own_fields[] = { "lastheardfrom", "address", NULL };

/* Numeric fields of the advertisement: when present they must be numbers >= 0. */
static const char *const count_fields[] = {
	"starttime", "workers", "tasks_waiting", "tasks_running", "tasks_complete", NULL,
};

void wqi_cat_records_init(struct wqi_cat_records *t, size_t max_records, uint64_t lifetime_us)
{
	memset(t, 0, sizeof *t);
	wqi_stab_init(&t->by_key);
	t->max_records = max_records ? max_records : 1;
	t->lifetime_us = lifetime_us;
}

static void record_free(struct wqi_cat_record *r)
{
	free(r->key);
	free(r->project);
	free(r->json);
	wqi_cat_history_free(&r->hist);
	free(r);
}

static void list_unlink(struct wqi_cat_records *t, struct wqi_cat_record *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		t->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		t->tail = r->prev;
	r->prev = r->next = NULL;
}

static void list_append(struct wqi_cat_records *t, struct wqi_cat_record *r)
{
	r->prev = t->tail;
	r->next = NULL;
	if (t->tail)
		t->tail->next = r;
	else
		t->head = r;
	t->tail = r;
}

/* Take r out of the table and free it. */
static void record_remove(struct wqi_cat_records *t, struct wqi_cat_record *r)
{
	wqi_stab_remove(&t->by_key, r->key);
	list_unlink(t, r);
	t->bytes -= r->json_len;
	t->generation++;
	record_free(r);
}

void wqi_cat_records_free(struct wqi_cat_records *t)
{
	struct wqi_cat_record *r = t->head;
	while (r) {
		struct wqi_cat_record *next = r->next;
		record_free(r);
		r = next;
	}
	wqi_stab_free(&t->by_key);
	t->head = t->tail = NULL;
	t->bytes = 0;
}

struct wqi_cat_record *wqi_cat_records_find(const struct wqi_cat_records *t, const char *key)
{
	return wqi_stab_get(&t->by_key, key);
}

/* A string member that, if present, must be a string of 1..WQI_CAT_MAX_STRING
 * bytes without NUL. Returns 0 (absent or good, *out set or NULL) or WQ_EPROTO. */
static int get_string(const struct wqi_json *obj, const char *key, const char **out)
{
	const struct wqi_json *v = wqi_json_get(obj, key);
	*out = NULL;
	if (!v)
		return 0;
	if (v->type != WQI_JSON_STRING || v->len == 0 || v->len > WQI_CAT_MAX_STRING || strlen(v->str) != v->len)
		return WQ_EPROTO;
	*out = v->str;
	return 0;
}

static int is_own_field(const char *key, size_t len)
{
	for (int i = 0; own_fields[i]; i++)
		if (strlen(own_fields[i]) == len && memcmp(own_fields[i], key, len) == 0)
			return 1;
	return 0;
}

/* The members of obj as compact JSON "{a:..,b:.." (no closing brace), minus
 * the catalog's own fields, into a malloc'd string. */
static char *members_json(const struct wqi_json *obj, size_t *len)
{
	struct wqi_buf b = WQI_BUF_INIT;
	int first = 1;
	if (wqi_buf_append(&b, "{", 1) < 0)
		goto nomem;
	for (size_t i = 0; i < obj->n; i++) {
		if (is_own_field(obj->keys[i], obj->key_lens[i]))
			continue;
		if (!first && wqi_buf_append(&b, ",", 1) < 0)
			goto nomem;
		first = 0;
		if (wqi_json_write_string(&b, obj->keys[i], obj->key_lens[i]) < 0 || wqi_buf_append(&b, ":", 1) < 0 ||
			wqi_json_write(&b, obj->items[i]) < 0)
			goto nomem;
	}
	*len = wqi_buf_used(&b);
	char *s = malloc(*len + 1);
	if (!s)
		goto nomem;
	memcpy(s, wqi_buf_head(&b), *len);
	s[*len] = 0;
	wqi_buf_free(&b);
	return s;
nomem:
	wqi_buf_free(&b);
	return NULL;
}

/*
 * Check an advertisement and derive its key. Required: type, project
 * (non-empty strings) and port (integer 1..65535); name, owner and state
 * must be strings when present, the count fields numbers >= 0.
 */
static int validate(const struct wqi_json *obj, const char *address, char *key, size_t keylen, const char **project,
	int *gone, const char **why)
{
	const char *type, *name, *owner, *state;
	int64_t port;
	if (!obj || obj->type != WQI_JSON_OBJECT) {
		*why = "not a JSON object";
		return WQ_EPROTO;
	}
	if (get_string(obj, "type", &type) < 0 || !type) {
		*why = "type missing or not a string";
		return WQ_EPROTO;
	}
	if (get_string(obj, "project", project) < 0 || !*project) {
		*why = "project missing or not a string";
		return WQ_EPROTO;
	}
	if (wqi_json_int(wqi_json_get(obj, "port"), 1, 65535, &port) < 0) {
		*why = "port missing or not a whole number from 1 to 65535";
		return WQ_EPROTO;
	}
	if (get_string(obj, "name", &name) < 0 || get_string(obj, "owner", &owner) < 0 ||
		get_string(obj, "state", &state) < 0) {
		*why = "name, owner or state not a string";
		return WQ_EPROTO;
	}
	for (int i = 0; count_fields[i]; i++) {
		const struct wqi_json *v = wqi_json_get(obj, count_fields[i]);
		if (v && (v->type != WQI_JSON_NUMBER || !(v->num >= 0))) {
			*why = "a count field (starttime, workers, tasks_*) is not a number >= 0";
			return WQ_EPROTO;
		}
	}
	snprintf(key, keylen, "%s:%d", name ? name : address, (int)port);
	*gone = state && strcmp(state, "gone") == 0;
	return 0;
}

int wqi_cat_records_put(struct wqi_cat_records *t, const struct wqi_json *obj, const char *address, uint64_t heard_us,
	const char **why)
{
	char key[WQI_CAT_MAX_STRING + 16];
	const char *project = NULL, *dummy;
	int gone = 0;
	if (!why)
		why = &dummy;
	if (!address)
		address = "";
	int rc = validate(obj, address, key, sizeof key, &project, &gone, why);
	if (rc < 0)
		return rc;
	struct wqi_cat_record *old = wqi_stab_get(&t->by_key, key);
	if (gone) {
		if (old) {
			record_remove(t, old);
			t->c.gone++;
		}
		return 0;
	}
	size_t len;
	char *json = members_json(obj, &len);
	char *proj = wqi_strdup(project);
	if (!json || !proj) {
		free(json);
		free(proj);
		*why = "out of memory";
		return WQ_ENOMEM;
	}
	if (old) {
		/* replace in place: no allocation can fail past this point */
		free(old->json);
		free(old->project);
		t->bytes = t->bytes - old->json_len + len;
		old->json = json;
		old->json_len = len;
		old->project = proj;
		list_unlink(t, old);
		list_append(t, old);
		snprintf(old->address, sizeof old->address, "%s", address);
		old->heard_us = heard_us;
		wqi_cat_history_add(&old->hist, obj, heard_us); /* out of memory: no sample, nothing else lost */
		t->generation++;
		return 0;
	}
	struct wqi_cat_record *r = calloc(1, sizeof *r);
	char *k = wqi_strdup(key);
	if (!r || !k || wqi_stab_put(&t->by_key, key, r) < 0) {
		free(r);
		free(k);
		free(json);
		free(proj);
		*why = "out of memory";
		return WQ_ENOMEM;
	}
	r->key = k;
	r->project = proj;
	r->json = json;
	r->json_len = len;
	snprintf(r->address, sizeof r->address, "%s", address);
	r->heard_us = heard_us;
	wqi_cat_history_add(&r->hist, obj, heard_us);
	list_append(t, r);
	t->bytes += len;
	t->generation++;
	/* full: the least recently heard goes (never the one just added) */
	while (wqi_stab_count(&t->by_key) > t->max_records && t->head != r) {
		record_remove(t, t->head);
		t->c.evicted++;
	}
	return 0;
}

void wqi_cat_records_drop(struct wqi_cat_records *t, int err)
{
	t->c.received++;
	if (err == WQ_ETOOBIG)
		t->c.dropped_oversized++;
	else
		t->c.dropped_malformed++;
}

int wqi_cat_records_update(struct wqi_cat_records *t, const char *p, size_t n, const char *address, uint64_t now_us)
{
	if (n > WQI_CAT_MAX_UPDATE) {
		wqi_cat_records_drop(t, WQ_ETOOBIG);
		return WQ_ETOOBIG;
	}
	int err = 0;
	const char *why = NULL;
	struct wqi_json *obj = wqi_json_parse(p, n, WQI_CAT_JSON_DEPTH, &err, &why);
	if (obj)
		err = wqi_cat_records_put(t, obj, address, now_us, &why);
	wqi_json_delete(obj);
	if (err == WQ_ENOMEM) {
		t->c.received++; /* not the sender's fault: counted as received only */
		return err;
	}
	if (err < 0) {
		wqi_cat_records_drop(t, WQ_EPROTO);
		return WQ_EPROTO;
	}
	t->c.received++;
	t->c.accepted++;
	return 0;
}

size_t wqi_cat_records_expire(struct wqi_cat_records *t, uint64_t now_us)
{
	size_t n = 0;
	struct wqi_cat_record *r = t->head;
	while (r) {
		struct wqi_cat_record *next = r->next;
		if (now_us > r->heard_us && now_us - r->heard_us > t->lifetime_us) {
			record_remove(t, r);
			n++;
		}
		r = next;
	}
	t->c.expired += n;
	return n;
}

int wqi_cat_record_write(struct wqi_buf *b, const struct wqi_cat_record *r)
{
	if (wqi_buf_append(b, r->json, r->json_len) < 0 ||
		wqi_buf_printf(b, "%s\"lastheardfrom\":%" PRIu64 ",\"address\":", r->json_len > 1 ? "," : "",
			r->heard_us / 1000000) < 0 ||
		wqi_json_write_string(b, r->address, strlen(r->address)) < 0 || wqi_buf_append(b, "}", 1) < 0)
		return WQ_ENOMEM;
	return 0;
}

int wqi_cat_records_write(const struct wqi_cat_records *t, struct wqi_buf *b, const char *project)
{
	int first = 1;
	if (wqi_buf_append(b, "[", 1) < 0)
		return WQ_ENOMEM;
	for (const struct wqi_cat_record *r = t->head; r; r = r->next) {
		if (project && strcmp(project, r->project) != 0)
			continue;
		if (wqi_buf_append(b, first ? "\n" : ",\n", first ? 1 : 2) < 0 || wqi_cat_record_write(b, r) < 0)
			return WQ_ENOMEM;
		first = 0;
	}
	return wqi_buf_append(b, first ? "]\n" : "\n]\n", first ? 2 : 3);
}

int wqi_cat_records_write_history(const struct wqi_cat_records *t, struct wqi_buf *b, const char *project)
{
	int first = 1;
	if (wqi_buf_append(b, "{", 1) < 0)
		return WQ_ENOMEM;
	for (const struct wqi_cat_record *r = t->head; r; r = r->next) {
		if (project && strcmp(project, r->project) != 0)
			continue;
		if ((!first && wqi_buf_append(b, ",", 1) < 0) || wqi_buf_append(b, "\n", 1) < 0 ||
		    wqi_json_write_string(b, r->key, strlen(r->key)) < 0 || wqi_buf_append(b, ":", 1) < 0 ||
		    wqi_cat_history_write(b, &r->hist) < 0)
			return WQ_ENOMEM;
		first = 0;
	}
	return wqi_buf_append(b, "\n}\n", 3) < 0 ? WQ_ENOMEM : 0;
}
