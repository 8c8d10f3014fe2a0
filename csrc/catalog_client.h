/*
 * catalog_client.h - talking to catalog servers (internal): the master's
 * advertiser and the worker's look-up (docs/catalog.md).
 *
 * The advertiser (struct wqi_catalog) is made for a list of catalogs. A
 * small detached thread resolves their names (getaddrinfo blocks, so it
 * never runs on the master's loop), again every 5 minutes (30 s after a
 * failure), and carries out the sends that may block: an advertisement
 * larger than WQI_CATALOG_UDP_MAX goes over TCP, with timeouts, from that
 * thread. The loop itself only sends UDP datagrams to addresses already
 * resolved, with MSG_DONTWAIT: a dead or unresolvable catalog never slows
 * dispatch. The newest advertisement is also sent by the thread to each
 * catalog as soon as its name resolves, so the first update is not lost
 * while the name is being looked up.
 *
 * The look-up (wqi_catalog_query) is for the worker and tools: it blocks,
 * with a timeout, and must never be called from the master's loop.
 *
 * Errors: 0 or a negative WQ_E* code; constructors return NULL + errno.
 */
#ifndef WQI_CATALOG_CLIENT_H
#define WQI_CATALOG_CLIENT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WQI_CATALOG_DEFAULT_PORT 9097
#define WQI_CATALOG_UDP_MAX 1400     /* bytes: larger advertisements go over TCP */
#define WQI_CATALOG_MAX_HOSTS 16     /* catalogs in one list, at most */

struct wqi_catalog;

/* One catalog address "host[:port]" of a list. */
struct wqi_catalog_host {
	char host[256];   /* name or address */
	int port;         /* 1..65535 */
};

/* Parse "h1[:p1],h2[:p2],..." (default port for entries without one) into
 * out (at most max). Returns how many (>= 1), or WQ_EINVAL for an empty
 * list, a bad port or a name too long. */
int wqi_catalog_parse_hosts(const char *list, int default_port, struct wqi_catalog_host *out, int max);
/* The list named by CATALOG_HOST (which may itself be a list) and
 * CATALOG_PORT (the default port, else 9097), malloc'd "h:p,h:p"; NULL
 * when CATALOG_HOST is unset or empty. */
char *wqi_catalog_env_hosts(void);

/* ---- the advertiser (master side) ---- */

/* Start advertising to the catalogs of hosts ("h:p,..."); NULL + errno
 * (EINVAL for a bad list). Nothing is sent until wqi_catalog_send. */
struct wqi_catalog *wqi_catalog_create(const char *hosts);
/* Send one advertisement (a JSON object) to every catalog. Never blocks:
 * UDP with MSG_DONTWAIT to resolved addresses; over WQI_CATALOG_UDP_MAX
 * bytes it is handed to the thread for TCP. Returns how many catalogs
 * were sent to (or handed over), or WQ_ENOMEM. */
int wqi_catalog_send(struct wqi_catalog *c, const char *json, size_t n);
/* Send a last update (best effort, UDP, nonblocking) and stop; the thread
 * ends by itself (it may still be inside a look-up) and frees what is left. */
void wqi_catalog_delete(struct wqi_catalog *c, const char *final_json, size_t n);

/* ---- the look-up (worker side, blocking) ---- */

/* GET /query.json from host:port within timeout_ms; the body into body
 * (at most 64 MiB). 0, WQ_ECONNECT, WQ_ETIMEDOUT, WQ_EPROTO (not a 200
 * answer) or WQ_ETOOBIG. */
int wqi_catalog_query(const char *host, int port, int timeout_ms, struct wqi_buf *body);

/* A master found in a catalog's answer. */
struct wqi_catalog_master {
	char project[1024];   /* its project */
	char name[256];       /* its host name ("" if none) */
	char address[64];     /* the address the catalog heard it from ("" if none) */
	int port;             /* its port */
	int64_t lastheardfrom; /* seconds since the epoch */
};

/* The live masters (type "wq_master") of a /query.json answer whose whole
 * project name matches re, newest lastheardfrom first, at most max into
 * out. Returns how many, or WQ_EPROTO when json is not a JSON array. */
int wqi_catalog_pick(const char *json, size_t n, const regex_t *re, struct wqi_catalog_master *out, int max);
/* Compile NAME as a POSIX extended regular expression matching a whole
 * project name ("^(NAME)$"). 0 or WQ_EINVAL (errbuf says why). */
int wqi_catalog_regcomp(regex_t *re, const char *name, char *errbuf, size_t errlen);

#endif
