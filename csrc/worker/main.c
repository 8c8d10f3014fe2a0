/*
 * main.c - wq_worker (also installed as work_queue_worker): options, then
 * wqi_wk_run().
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_client.h"
#include "cli.h"
#include "debug.h"
#include "work_queue.h"
#include "worker/resources.h"
#include "worker/worker.h"

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [options] HOST PORT\n"
		"       %s [options] HOST:PORT\n"
		"       %s [options] -M PROJECT [-C CATALOG[:PORT][,...]]\n"
		"\n"
		"Connect to the work_queue master at HOST PORT and run the tasks it sends.\n"
		"With -M, find the master through the catalog server(s) instead: the live\n"
		"master of PROJECT heard from most recently, looked up again whenever the\n"
		"worker has no master, so it follows the project when its master restarts.\n"
		"When the master goes away the worker drops its tasks and cache and\n"
		"reconnects (1 s backoff doubling to 30 s) until the idle timeout.\n"
		"A task that declared memory or disk is sampled every 0.5 s (RSS of its\n"
		"processes, bytes under its sandbox) and killed when over it (result 16).\n"
		"\n"
		"Options:\n"
		"  -M, --master-name NAME  the project to work for: a POSIX extended regular\n"
		"                       expression matched against the whole project name\n"
		"                       (not with HOST PORT)\n"
		"  -C, --catalog HOST[:PORT][,HOST[:PORT]...]\n"
		"                       catalog servers for -M (default: CATALOG_HOST and\n"
		"                       CATALOG_PORT; port 9097 when not given)\n"
		"  --cores N            cores offered (default: detected: CPU affinity,\n"
		"                       lowered by a cgroup CPU quota)\n"
		"  --memory MB          memory offered in MB (default: detected: MemTotal,\n"
		"                       capped by a cgroup memory limit)\n"
		"  --disk MB            disk offered in MB (default: free space of the\n"
		"                       workdir's file system)\n"
		"  --gpus N             GPUs offered (default: number of /dev/nvidiaN)\n"
		"  -s, --workdir DIR    make the work directory DIR/worker-UID-PID\n"
		"                       (default DIR: $TMPDIR, else /tmp); it holds the\n"
		"                       cache and the task sandboxes and is removed at exit\n"
		"  -t, --timeout SECS   exit after SECS seconds without a task, connected\n"
		"                       or not (default 900)\n"
		"      --single-shot    exit when the first connection to the master ends\n"
		"                       instead of reconnecting\n"
		"      --test-slow SECS testing only: start every task's command SECS seconds\n"
		"                       late (decimals allowed), as on a slow machine; the\n"
		"                       worker stays responsive meanwhile\n"
		"  -d, --debug          write a debug log (to stderr unless -o is given)\n"
		"  -o, --debug-file F   write the debug log to file F (implies -d)\n"
		"  -h, --help           show this help and exit\n"
		"  -v, --version        show the version and exit\n"
		"\n"
		"Exit status: 0 when the master said EXIT, the idle timeout passed, or a\n"
		"signal (TERM, INT, HUP) asked it to stop; 1 on a usage error, a REJECT\n"
		"from the master, or a setup failure.\n",
		prog, prog, prog);
}

/* Seconds (decimals allowed) from 0 to one day as microseconds, or exit 1. */
static uint64_t parse_seconds(const char *prog, const char *opt, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !(v >= 0 && v <= 86400)) {
		fprintf(stderr, "%s: %s needs a number of seconds from 0 to 86400, not '%s'\n", prog, opt, s);
		exit(1);
	}
	return (uint64_t)(v * 1e6 + 0.5);
}

int main(int argc, char **argv)
{
	const char *name = "wq_worker";
	const char *prog = wqi_cli_prog(argc, argv, name);
	enum { OPT_CORES = 1000, OPT_MEMORY, OPT_DISK, OPT_GPUS, OPT_SINGLE, OPT_SLOW };
	static const struct option longopts[] = {
		{ "cores", required_argument, NULL, OPT_CORES },
		{ "master-name", required_argument, NULL, 'M' },
		{ "catalog", required_argument, NULL, 'C' },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "gpus", required_argument, NULL, OPT_GPUS },
		{ "workdir", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "single-shot", no_argument, NULL, OPT_SINGLE },
		{ "test-slow", required_argument, NULL, OPT_SLOW },
		WQI_CLI_COMMON_LONGOPTS,
	};
	struct wqi_wk_config cfg;
	wqi_wk_config_defaults(&cfg);
	int debug = 0;
	const char *debug_file = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:t:do:hvM:C:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CORES: cfg.res.cores = wqi_cli_num(prog, "--cores", optarg, 0, 1 << 20); break;
		case OPT_MEMORY: cfg.res.memory_mb = wqi_cli_num(prog, "--memory", optarg, 0, 1LL << 40); break;
		case OPT_DISK: cfg.res.disk_mb = wqi_cli_num(prog, "--disk", optarg, 0, 1LL << 40); break;
		case OPT_GPUS: cfg.res.gpus = wqi_cli_num(prog, "--gpus", optarg, 0, 1 << 20); break;
		case 's': cfg.workdir_parent = optarg; break;
		case 'M': cfg.master_name = optarg; break;
		case 'C': cfg.catalogs = optarg; break;
		case 't': cfg.idle_timeout_s = (int)wqi_cli_num(prog, "--timeout", optarg, 1, INT_MAX / 2); break;
		case OPT_SINGLE: cfg.single_shot = 1; break;
		case OPT_SLOW: cfg.test_slow_us = parse_seconds(prog, "--test-slow", optarg); break;
		case 'd': debug = 1; break;
		case 'o': debug = 1; debug_file = optarg; break;
		case 'h': usage(stdout, prog); return 0;
		case 'v': printf("%s %s (protocol %d)\n", name, work_queue_version(), WQI_PROTO_VERSION); return 0;
		default: wqi_cli_bad_option(prog, c, argv);
		}
	}
	char hostbuf[1024];
	const char *portstr = NULL;
	int nargs = argc - optind;
	char *env_catalogs = NULL;
	if (cfg.master_name) {
		/* -M: the master comes from the catalogs; HOST PORT would contradict it */
		if (nargs > 0) {
			fprintf(stderr, "%s: give either HOST PORT or -M PROJECT, not both (see --help)\n", prog);
			return 1;
		}
		regex_t re;
		char err[256];
		if (!*cfg.master_name || wqi_catalog_regcomp(&re, cfg.master_name, err, sizeof err) < 0) {
			fprintf(stderr, "%s: -M '%s' is not a valid regular expression: %s\n", prog, cfg.master_name,
				*cfg.master_name ? err : "empty");
			return 1;
		}
		regfree(&re);
		if (!cfg.catalogs)
			cfg.catalogs = env_catalogs = wqi_catalog_env_hosts();
		struct wqi_catalog_host hs[WQI_CATALOG_MAX_HOSTS];
		if (!cfg.catalogs) {
			fprintf(stderr, "%s: -M needs a catalog: -C HOST[:PORT] or CATALOG_HOST (see --help)\n", prog);
			return 1;
		}
		if (wqi_catalog_parse_hosts(cfg.catalogs, WQI_CATALOG_DEFAULT_PORT, hs, WQI_CATALOG_MAX_HOSTS) < 0) {
			fprintf(stderr, "%s: -C expects HOST[:PORT][,HOST[:PORT]...] (at most %d), not '%s'\n", prog,
				WQI_CATALOG_MAX_HOSTS, cfg.catalogs);
			return 1;
		}
	} else if (cfg.catalogs) {
		fprintf(stderr, "%s: -C/--catalog is only used with -M PROJECT (see --help)\n", prog);
		return 1;
	} else if (nargs == 1) {
		const char *colon = strrchr(argv[optind], ':');
		if (!colon || colon == argv[optind] || (size_t)(colon - argv[optind]) >= sizeof hostbuf) {
			fprintf(stderr, "%s: expected HOST PORT or HOST:PORT, got '%s' (see --help)\n", prog, argv[optind]);
			return 1;
		}
		memcpy(hostbuf, argv[optind], (size_t)(colon - argv[optind]));
		hostbuf[colon - argv[optind]] = 0;
		cfg.host = hostbuf;
		portstr = colon + 1;
	} else if (nargs == 2) {
		cfg.host = argv[optind];
		portstr = argv[optind + 1];
	} else {
		fprintf(stderr, "%s: expected HOST PORT, HOST:PORT or -M PROJECT, got %d arguments (see --help)\n", prog, nargs);
		return 1;
	}
	if (!cfg.master_name)
		cfg.port = (int)wqi_cli_num(prog, "the port", portstr, 1, 65535);
	if (!cfg.workdir_parent) {
		const char *t = getenv("TMPDIR");
		cfg.workdir_parent = t && *t ? t : "/tmp";
	}
	wqi_cli_debug_start(prog, name, debug, debug_file);
	struct wqi_wk_resources det;
	wqi_wk_resources_detect(&det, cfg.workdir_parent);
	if (cfg.res.cores < 0)
		cfg.res.cores = det.cores;
	if (cfg.res.memory_mb < 0)
		cfg.res.memory_mb = det.memory_mb;
	if (cfg.res.disk_mb < 0)
		cfg.res.disk_mb = det.disk_mb;
	if (cfg.res.gpus < 0)
		cfg.res.gpus = det.gpus;
	wqi_cli_raise_nofile(); /* outputs are sent from open descriptors */
	if (debug)
		fprintf(stderr, "wq_worker %s: master %s:%d%s%s, workdir %s/worker-%d-%d, cores %" PRId64 ", memory %" PRId64
			" MB, disk %" PRId64 " MB, gpus %" PRId64 ", idle timeout %d s\n",
			work_queue_version(), cfg.host ? cfg.host : "(from the catalog)", cfg.port,
			cfg.master_name ? ", project " : "", cfg.master_name ? cfg.master_name : "", cfg.workdir_parent, (int)getuid(), (int)getpid(),
			cfg.res.cores, cfg.res.memory_mb, cfg.res.disk_mb, cfg.res.gpus, cfg.idle_timeout_s);
	int rc = wqi_wk_run(&cfg);
	free(env_catalogs);
	wqi_debug_close();
	return rc;
}
