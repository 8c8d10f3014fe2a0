/*
 * main.c - wq_catalog_server: options and signals, then wqi_cat_server_run().
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "debug.h"
#include "server.h"
#include "work_queue.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = 1;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [options]\n"
		"\n"
		"Keep the list of work_queue masters: masters advertise themselves in JSON\n"
		"over UDP or TCP, workers and people ask over HTTP on the same port.\n"
		"See docs/catalog.md.\n"
		"\n"
		"Options:\n"
		"  -p, --port PORT          TCP and UDP port (default %d; 0 = any free port).\n"
		"                           The port is printed on stdout as\n"
		"                           \"wq_catalog_server: listening on port N\"\n"
		"  -l, --lifetime SECS      forget a master not heard from for SECS seconds\n"
		"                           (default 300)\n"
		"      --max-records N      keep at most N masters; when full, a new one\n"
		"                           evicts the one heard from least recently\n"
		"                           (default 10000)\n"
		"      --max-connections N  at most N TCP connections at once (default 1000)\n"
		"      --idle-timeout SECS  close a TCP connection idle this long (default 10)\n"
		"  -s, --save FILE          reload the table from FILE at start, save it there\n"
		"                           on SIGTERM/SIGINT and every 60 s when it changed\n"
		"  -d, --debug              write a debug log (to stderr unless -o is given)\n"
		"  -o, --debug-file FILE    write the debug log to FILE (implies -d)\n"
		"  -h, --help               show this help and exit\n"
		"  -v, --version            show the version and exit\n"
		"\n"
		"Exit status: 0 after SIGTERM or SIGINT, 1 on a usage error or when the\n"
		"port cannot be opened.\n",
		prog, WQI_CAT_DEFAULT_PORT);
}

int main(int argc, char **argv)
{
	const char *name = "wq_catalog_server";
	const char *prog = wqi_cli_prog(argc, argv, name);
	enum { OPT_MAX_RECORDS = 1000, OPT_MAX_CONNS, OPT_IDLE };
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "max-records", required_argument, NULL, OPT_MAX_RECORDS },
		{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "save", required_argument, NULL, 's' },
		WQI_CLI_COMMON_LONGOPTS,
	};
	struct wqi_cat_config cfg;
	wqi_cat_config_defaults(&cfg);
	int debug = 0, c;
	const char *debug_file = NULL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:l:s:do:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': cfg.port = (int)wqi_cli_num(prog, "--port", optarg, 0, 65535); break;
		case 'l': cfg.lifetime_us = (uint64_t)wqi_cli_num(prog, "--lifetime", optarg, 1, 365LL * 86400) * 1000000; break;
		case OPT_MAX_RECORDS: cfg.max_records = (size_t)wqi_cli_num(prog, "--max-records", optarg, 1, 10000000); break;
		case OPT_MAX_CONNS: cfg.max_conns = (int)wqi_cli_num(prog, "--max-connections", optarg, 1, 100000); break;
		case OPT_IDLE: cfg.idle_timeout_ms = (int)wqi_cli_num(prog, "--idle-timeout", optarg, 1, 86400) * 1000; break;
		case 's':
			if (!*optarg) {
				fprintf(stderr, "%s: --save needs a file name\n", prog);
				return 1;
			}
			cfg.save_path = optarg;
			break;
		case 'd': debug = 1; break;
		case 'o': debug = 1; debug_file = optarg; break;
		case 'h': usage(stdout, prog); return 0;
		case 'v': printf("%s %s\n", name, work_queue_version()); return 0;
		default: wqi_cli_bad_option(prog, c, argv);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
		return 1;
	}
	if (cfg.max_conn_ms < cfg.idle_timeout_ms)
		cfg.max_conn_ms = cfg.idle_timeout_ms;
	wqi_cli_debug_start(prog, name, debug, debug_file);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	wqi_cli_raise_nofile(); /* max_conns connections, each possibly sending a snapshot */
	int rc = wqi_cat_server_run(&cfg, &stop_requested);
	wqi_debug_close();
	return rc < 0 ? 1 : 0;
}
