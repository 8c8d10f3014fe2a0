/*
 * server.h - wq_catalog_server's event loop (internal).
 *
 * One thread, one nonblocking event loop (loop.h) over: a UDP socket and a
 * TCP listener on the same port number, and the TCP connections. A TCP
 * connection is told apart by its first byte: '{' is one advertisement,
 * 'A'..'Z' is an HTTP request, anything else is garbage (counted, closed).
 * docs/catalog.md is the contract.
 */
#ifndef WQI_CAT_SERVER_H
#define WQI_CAT_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define WQI_CAT_DEFAULT_PORT 9097

struct wqi_cat_config {
	int port;                /* TCP and UDP port; 0 = any free port */
	uint64_t lifetime_us;    /* a master silent this long is removed */
	size_t max_records;      /* bound on the table */
	const char *save_path;   /* save file, or NULL */
	int save_interval_s;     /* seconds between periodic saves (when changed) */
	int max_conns;           /* concurrent TCP connections */
	int idle_timeout_ms;     /* a connection making no progress this long is closed */
	int max_conn_ms;         /* no connection lives longer than this */
};

void wqi_cat_config_defaults(struct wqi_cat_config *c);

/* Serve until *stop becomes non-zero (a signal handler sets it), then save
 * (if configured) and free everything. Prints
 * "wq_catalog_server: listening on port N" on stdout when ready.
 * Returns 0, or -WQ_E* if it could not start (a message on stderr). */
int wqi_cat_server_run(const struct wqi_cat_config *cfg, volatile sig_atomic_t *stop);

/* The dashboard page (dashboard.c). */
extern const char wqi_cat_dashboard_html[];

#endif
