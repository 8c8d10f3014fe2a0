/*
 * convert.c - the distributed-convert example, in C.
 *
 *   convert [-p PORT] [-c CONVERTER] EXT FILE...
 *
 * Submits one task per input file, "convert IN OUT", where OUT is IN with
 * its extension replaced by EXT; sends IN and brings OUT back next to IN.
 * Waits for every task, printing the command and result of each, and exits
 * non-zero if any failed.
 *
 * ImageMagick may be absent on the workers' machine: the example uses
 * `convert` only when `convert -version` says "Version: ImageMagick" here;
 * otherwise it ships its own small converter, wq-convert (a shell/awk script
 * beside this file: .ppm -> .pgm, text -> uppercase), as an input file of
 * every task. -c gives its path; by default it is looked for beside this
 * program, in examples/c/ and through $WQ_CONVERT.
 *
 * The master listens on PORT (default 0: any free port) and prints it, so
 * workers can be pointed at it: wq_worker HOST PORT.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "work_queue.h"

/* Does `convert -version` here say it is ImageMagick? (Stand-ins that
 * merely mention the name do not count.) */
static int have_imagemagick(void)
{
	FILE *p = popen("convert -version 2>/dev/null", "r");
	if (!p)
		return 0;
	char line[512];
	int yes = 0;
	while (fgets(line, sizeof line, p))
		if (strncmp(line, "Version: ImageMagick", 20) == 0)
			yes = 1;
	pclose(p);
	return yes;
}

/* Where is the shipped converter? -c, $WQ_CONVERT, beside argv[0],
 * examples/c/, or the source tree seen from build/examples/c/. */
static const char *find_converter(const char *given, const char *argv0, char *buf, size_t len)
{
	if (given)
		return given;
	const char *env = getenv("WQ_CONVERT");
	if (env && *env)
		return env;
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", argv0);
	const char *dir = dirname(copy);
	const char *tries[] = { "%s/wq-convert", "examples/c/wq-convert", "%s/../../../examples/c/wq-convert" };
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		if (strstr(tries[i], "%s"))
			snprintf(buf, len, tries[i], dir);
		else
			snprintf(buf, len, "%s", tries[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

/* OUT for IN: IN with its extension (after the last '.' of the last path
 * component) replaced by ext; malloc'd. */
static char *output_name(const char *in, const char *ext)
{
	const char *slash = strrchr(in, '/');
	const char *base = slash ? slash + 1 : in;
	const char *dot = strrchr(base, '.');
	size_t keep = dot && dot != base ? (size_t)(dot - in) : strlen(in);
	size_t n = keep + 1 + strlen(ext) + 1;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%.*s.%s", (int)keep, in, ext);
	return out;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-p PORT] [-c CONVERTER] EXT FILE...\n"
	                "  converts each FILE into FILE with extension EXT, one task per file\n", prog);
}

int main(int argc, char **argv)
{
	int port = 0, opt;
	const char *conv_opt = NULL;
	while ((opt = getopt(argc, argv, "p:c:h")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'c': conv_opt = optarg; break;
		default: usage(argv[0]); return opt == 'h' ? 0 : 2;
		}
	}
	if (argc - optind < 2) {
		usage(argv[0]);
		return 2;
	}
	const char *ext = argv[optind];
	if (ext[0] == '.')
		ext++;

	char convbuf[4096];
	const char *shipped = NULL;
	if (have_imagemagick()) {
		printf("using ImageMagick's convert on the workers\n");
	} else {
		shipped = find_converter(conv_opt, argv[0], convbuf, sizeof convbuf);
		if (!shipped) {
			fprintf(stderr, "%s: ImageMagick is not here and wq-convert was not found (use -c PATH)\n", argv[0]);
			return 1;
		}
		printf("ImageMagick not found: shipping %s with each task\n", shipped);
	}

	struct work_queue *q = work_queue_create(port);
	if (!q) {
		perror("work_queue_create");
		return 1;
	}
	printf("listening on port %d\n", work_queue_port(q));
	fflush(stdout);

	int submitted = 0, failed = 0;
	for (int i = optind + 1; i < argc; i++) {
		const char *in = argv[i];
		char *out = output_name(in, ext);
		if (!out)
			break;
		char cmd[8192];
		snprintf(cmd, sizeof cmd, "%s '%s' '%s'", shipped ? "./wq-convert" : "convert", base_name(in), base_name(out));
		struct work_queue_task *t = work_queue_task_create(cmd);
		int ok = t != NULL;
		if (ok && shipped)
			ok = work_queue_task_specify_file(t, shipped, "wq-convert", WORK_QUEUE_INPUT, WORK_QUEUE_CACHE);
		ok = ok && work_queue_task_specify_file(t, in, base_name(in), WORK_QUEUE_INPUT, WORK_QUEUE_NOCACHE);
		ok = ok && work_queue_task_specify_file(t, out, base_name(out), WORK_QUEUE_OUTPUT, WORK_QUEUE_NOCACHE);
		int id = ok ? work_queue_submit(q, t) : -1;
		if (id > 0) {
			printf("submitted task %d: %s\n", id, cmd);
			submitted++;
		} else {
			fprintf(stderr, "cannot submit a task for %s\n", in);
			work_queue_task_delete(t);
			failed++;
		}
		free(out);
	}
	fflush(stdout);

	printf("waiting for %d tasks...\n", submitted);
	fflush(stdout);
	while (!work_queue_empty(q)) {
		struct work_queue_task *t = work_queue_wait(q, 5);
		if (!t)
			continue;
		int result = work_queue_task_get_result(t), status = work_queue_task_get_return_status(t);
		printf("task %d: %s -> result %d (%s), exit %d\n", work_queue_task_get_taskid(t), work_queue_task_get_command(t), result,
		       work_queue_result_str((work_queue_result_t)result), status);
		if (result != WORK_QUEUE_RESULT_SUCCESS || status != 0) {
			const char *o = work_queue_task_get_output(t);
			if (o && *o)
				printf("  output: %s", o);
			failed++;
		}
		fflush(stdout);
		work_queue_task_delete(t);
	}
	printf("all done: %d tasks, %d failed\n", submitted, failed);
	work_queue_delete(q);
	return failed ? 1 : 0;
}
