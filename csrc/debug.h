/*
 * debug.h - the library's debug log (internal).
 *
 * Off by default. wqi_debug_open() turns it on, to a file or to stderr.
 * Warnings (wqi_warn) go to the debug log when it is on, else to stderr;
 * they are for things a user must know (a peer closed for a bad message).
 * The log is process-global, as in the original.
 */
#ifndef WQI_DEBUG_H
#define WQI_DEBUG_H

/* path NULL or "" = stderr, else append to that file. 0 or -WQ_EFILE. */
int wqi_debug_open(const char *path, const char *prefix);
void wqi_debug_close(void);
/* Name the program in log and warning lines ("wq_worker"), log on or off. */
void wqi_debug_set_prefix(const char *prefix);
int wqi_debug_enabled(void);
void wqi_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wqi_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define WQI_DEBUG(...) do { if (wqi_debug_enabled()) wqi_debug(__VA_ARGS__); } while (0)

#endif
