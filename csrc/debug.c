/*
 * debug.c - the process-global debug log (see debug.h).
 *
 * Each line is "YYYY/MM/DD HH:MM:SS.uuuuuu [pid] prefix: message". Lines are
 * formatted into one stack buffer and written with one fputs, so lines from
 * two processes sharing a file interleave whole. Thread-safety is not needed.
 */
#include "debug.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "work_queue.h"

static FILE *log_file;        /* NULL = log off */
static int log_is_stderr;     /* log_file is stderr: never fclose it */
static char log_prefix[64];   /* e.g. "wq_worker" */

int wqi_debug_open(const char *path, const char *prefix)
{
	wqi_debug_close();
	if (!path || !*path) {
		log_file = stderr;
		log_is_stderr = 1;
	} else {
		FILE *f = fopen(path, "ae");
		if (!f)
			return WQ_EFILE;
		setvbuf(f, NULL, _IOLBF, 0);
		log_file = f;
		log_is_stderr = 0;
	}
	snprintf(log_prefix, sizeof log_prefix, "%s", prefix ? prefix : "wq");
	return 0;
}

void wqi_debug_set_prefix(const char *prefix)
{
	snprintf(log_prefix, sizeof log_prefix, "%s", prefix ? prefix : "wq");
}

void wqi_debug_close(void)
{
	if (log_file && !log_is_stderr)
		fclose(log_file);
	log_file = NULL;
	log_is_stderr = 0;
}

int wqi_debug_enabled(void)
{
	return log_file != NULL;
}

/*
 * Format one line with timestamp, pid and prefix and write it to f.
 * Overlong messages are cut rather than allocated for.
 */
static void emit(FILE *f, const char *level, const char *fmt, va_list ap)
{
	char line[4096];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(line, sizeof line, "%Y/%m/%d %H:%M:%S", &tm);
	int k = snprintf(line + n, sizeof line - n, ".%06ld [%ld] %s%s: ", (long)tv.tv_usec,
	                 (long)getpid(), log_prefix[0] ? log_prefix : "wq", level);
	if (k > 0)
		n += (size_t)k < sizeof line - n ? (size_t)k : sizeof line - n - 1;
	k = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (k > 0)
		n += (size_t)k < sizeof line - n ? (size_t)k : sizeof line - n - 1;
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, f);
	fflush(f);
}

void wqi_debug(const char *fmt, ...)
{
	if (!log_file)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(log_file, "", fmt, ap);
	va_end(ap);
}

/* Warnings always go somewhere: the log when it is on, else stderr. */
void wqi_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(log_file ? log_file : stderr, " warning", fmt, ap);
	va_end(ap);
}
