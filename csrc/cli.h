/*
 * cli.h - option parsing shared by the command-line programs (wq_worker,
 * wq_catalog_server). Not part of the library: these helpers exit.
 */
#ifndef WQI_CLI_H
#define WQI_CLI_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
