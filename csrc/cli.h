/*
 * cli.h - option parsing shared by the command-line programs (wq_worker,
 * wq_catalog_server). Not part of the library: these helpers exit.
 */
#ifndef WQI_CLI_H
#define WQI_CLI_H

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "debug.h"

/* The long options every program takes (-d, -o, -h, -v), then the end of the table. */
#define WQI_CLI_COMMON_LONGOPTS                                 \
	{ "debug", no_argument, NULL, 'd' },                    \
	{ "debug-file", required_argument, NULL, 'o' },         \
	{ "help", no_argument, NULL, 'h' },                     \
	{ "version", no_argument, NULL, 'v' },                  \
	{ NULL, 0, NULL, 0 }

/* The name for usage and error lines: the base name of argv[0], or fallback when it has none. */
static inline const char *wqi_cli_prog(int argc, char **argv, const char *fallback)
{
	if (argc < 1 || !argv[0])
		return fallback;
	const char *slash = strrchr(argv[0], '/');
	const char *base = slash ? slash + 1 : argv[0];
	return *base ? base : fallback;
}

/* A whole number in [lo, hi] for option opt, or exit 1 naming the problem. */
static inline long long wqi_cli_num(const char *prog, const char *opt, const char *s, long long lo, long long hi)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "%s: %s needs a whole number from %lld to %lld, not '%s'\n", prog, opt, lo, hi, s);
		exit(1);
	}
	return v;
}

/* Exit 1 naming the bad option getopt_long just returned c for (':' = its value is missing). */
static inline _Noreturn void wqi_cli_bad_option(const char *prog, int c, char **argv)
{
	if (c == ':')
		fprintf(stderr, "%s: option %s needs a value (see --help)\n", prog, argv[optind - 1]);
	else
		fprintf(stderr, "%s: unknown option %s (see --help)\n", prog, argv[optind - 1]);
	exit(1);
}

/*
 * Prefix debug lines with name and, when debug is set, open the debug log
 * (to file, or stderr when file is NULL), or exit 1 naming the problem.
 */
static inline void wqi_cli_debug_start(const char *prog, const char *name, int debug, const char *file)
{
	wqi_debug_set_prefix(name);
	if (debug && wqi_debug_open(file, name) < 0) {
		fprintf(stderr, "%s: cannot open the debug file %s: %s\n", prog, file, strerror(errno));
		exit(1);
	}
}

/* Raise the open-file limit to its hard maximum: every connection and open output holds a descriptor. */
static inline void wqi_cli_raise_nofile(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

#endif
