/*
 * save.c - write and reload the catalog server's table (see save.h).
 */
#include "save.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "json.h"
#include "work_queue.h"

/* A line longer than this cannot be a record we wrote: skipped unparsed. */
#define MAX_LINE (WQI_CAT_MAX_UPDATE + 4096)

int wqi_cat_save(const struct wqi_cat_records *t, const char *path)
{
	size_t n = strlen(path) + 8;
	char *tmp = malloc(n);
	if (!tmp)
		return WQ_ENOMEM;
	snprintf(tmp, n, "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f) {
		free(tmp);
		return WQ_EFILE;
	}
	struct wqi_buf b = WQI_BUF_INIT;
	int rc = 0;
	for (const struct wqi_cat_record *r = t->head; r && rc == 0; r = r->next) {
		wqi_buf_clear(&b);
		if (wqi_cat_record_write(&b, r) < 0 || wqi_buf_append(&b, "\n", 1) < 0)
			rc = WQ_ENOMEM;
		else if (fwrite(wqi_buf_head(&b), 1, wqi_buf_used(&b), f) != wqi_buf_used(&b))
			rc = WQ_EFILE;
	}
	wqi_buf_free(&b);
	int e = errno;
	if (fclose(f) != 0 && rc == 0)
		rc = WQ_EFILE;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = WQ_EFILE;
	if (rc < 0) {
		e = errno;
		unlink(tmp);
	}
	free(tmp);
	errno = e;
	return rc;
}

/*
 * One saved line back into the table: the record must pass the same checks
 * as an update, with lastheardfrom (seconds) and address as written by
 * wqi_cat_save; expired ones are skipped. 1 loaded, 0 skipped, WQ_ENOMEM.
 */
static int load_line(struct wqi_cat_records *t, const char *line, size_t len, uint64_t now_us)
{
	struct wqi_json *obj = wqi_json_parse(line, len, WQI_CAT_JSON_DEPTH, NULL, NULL);
	int64_t heard_s;
	const char *addr = wqi_json_get_str(obj, "address");
	int rc = 0;
	if (obj && addr && strlen(addr) < 64 &&
		wqi_json_int(wqi_json_get(obj, "lastheardfrom"), 0, INT64_MAX / 1000000, &heard_s) == 0) {
		uint64_t heard_us = (uint64_t)heard_s * 1000000;
		int live = heard_us >= now_us || now_us - heard_us <= t->lifetime_us;
		if (live) {
			rc = wqi_cat_records_put(t, obj, addr, heard_us, NULL);
			rc = rc == 0 ? 1 : rc == WQ_ENOMEM ? WQ_ENOMEM : 0;
		}
	}
	wqi_json_delete(obj);
	return rc;
}

int wqi_cat_load(struct wqi_cat_records *t, const char *path, uint64_t now_us, size_t *loaded, size_t *skipped)
{
	*loaded = *skipped = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? WQ_ENOENT : WQ_EFILE;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		int r = len > MAX_LINE ? 0 : load_line(t, line, (size_t)len, now_us);
		if (r == WQ_ENOMEM) {
			rc = r;
			break;
		}
		if (r == 1)
			(*loaded)++;
		else
			(*skipped)++;
	}
	if (rc == 0 && ferror(f))
		rc = WQ_EFILE;
	free(line);
	fclose(f);
	return rc;
}
