/*
 * outputs.c - OUTPUT and RESULT frames of a finished task.
 */
#include "worker/outputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debug.h"
#include "link.h"
#include "proto.h"
#include "work_queue.h"
#include "worker/exec.h"

#define DIR_DEPTH_MAX 64   /* bounds recursion through symlinked directories */

/* What one output is being sent as. */
struct out_ctx {
	struct wqi_wk_task *t;
	struct wqi_link *l;
	uint32_t index;         /* which output */
	const char *sbreal;     /* the sandbox, resolved */
};

int wqi_wk_path_inside(const char *real, const char *root)
{
	size_t n = strlen(root);
	if (strncmp(real, root, n) != 0)
		return 0;
	return real[n] == 0 || real[n] == '/' || (n == 1 && root[0] == '/');
}

/* Queue one OUTPUT frame without contents (DIR, MISSING, SYMLINK_OUTSIDE). */
static int send_frame(struct out_ctx *c, const char *path, uint8_t kind, uint32_t mode)
{
	struct wqi_msg_output m = { c->t->taskid, c->index, wqi_str_c(path), kind, mode, 0 };
	return wqi_proto_encode_output(wqi_link_out(c->l), &m);
}

/*
 * Queue a FILE frame and the file's bytes. The size sent is the size of
 * the open descriptor, so the frame and the stream agree. A file that cannot
 * be opened returns 1 (the caller decides what that means).
 */
static int send_file(struct out_ctx *c, const char *real, const char *path)
{
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 1;
	}
	struct wqi_msg_output m = { c->t->taskid, c->index, wqi_str_c(path), WQI_KIND_FILE,
				    (uint32_t)(st.st_mode & 07777), (uint64_t)st.st_size };
	int rc = wqi_proto_encode_output(wqi_link_out(c->l), &m);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	return wqi_link_queue_file(c->l, fd, 0, (uint64_t)st.st_size, 1);
}

/*
 * Send the entries of directory real (whose path relative to the output's
 * root is rel, "" for the root), parents before what they contain. A
 * symlink is followed only when it resolves inside the sandbox; anything
 * else that is not a file or directory is skipped.
 */
static int send_dir(struct out_ctx *c, const char *real, const char *rel, int depth)
{
	if (depth > DIR_DEPTH_MAX) {
		wqi_warn("task %" PRIu64 ": output directory deeper than %d levels, cut at %s", c->t->taskid, DIR_DEPTH_MAX, rel);
		return 0;
	}
	DIR *d = opendir(real);
	if (!d)
		return 0;
	int rc = 0;
	struct dirent *e;
	char *src = malloc(PATH_MAX + NAME_MAX + 2), *res = malloc(PATH_MAX), *sub = malloc(WQI_NAME_MAX + 2);
	if (!src || !res || !sub)
		rc = WQ_ENOMEM;
	while (rc == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int w = snprintf(sub, WQI_NAME_MAX + 2, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (w < 0 || w > WQI_NAME_MAX) {
			wqi_warn("task %" PRIu64 ": output entry name too long, skipped", c->t->taskid);
			continue;
		}
		snprintf(src, PATH_MAX + NAME_MAX + 2, "%s/%s", real, e->d_name);
		struct stat st;
		if (lstat(src, &st) < 0)
			continue;
		const char *use = src;
		if (S_ISLNK(st.st_mode)) {
			if (!realpath(src, res) || !wqi_wk_path_inside(res, c->sbreal) || stat(res, &st) < 0) {
				WQI_DEBUG("task %" PRIu64 ": output entry %s is a symlink out of the sandbox (or dangling), skipped",
					  c->t->taskid, sub);
				continue;
			}
			use = res;
		}
		if (S_ISREG(st.st_mode)) {
			rc = send_file(c, use, sub);
			if (rc == 1)
				rc = 0; /* vanished or unreadable: skip it */
		} else if (S_ISDIR(st.st_mode)) {
			rc = send_frame(c, sub, WQI_KIND_DIR, (uint32_t)(st.st_mode & 07777));
			if (rc == 0) {
				char *copy = strdup(use);
				rc = copy ? send_dir(c, copy, sub, depth + 1) : WQ_ENOMEM;
				free(copy);
			}
		}
	}
	free(src);
	free(res);
	free(sub);
	closedir(d);
	return rc;
}

/* One output: resolve it inside the sandbox and send what it is. */
static int send_output(struct out_ctx *c, const char *remote_name)
{
	size_t n = strlen(c->t->sandbox) + strlen(remote_name) + 2;
	char *full = malloc(n), *real = malloc(PATH_MAX);
	int rc = 0;
	if (!full || !real) {
		rc = WQ_ENOMEM;
		goto out;
	}
	snprintf(full, n, "%s/%s", c->t->sandbox, remote_name);
	struct stat st;
	if (lstat(full, &st) < 0) {
		rc = send_frame(c, "", WQI_KIND_MISSING, 0);
		c->t->result |= WORK_QUEUE_RESULT_OUTPUT_MISSING;
		goto out;
	}
	/* realpath resolves every component, so a symlinked parent directory is caught too */
	if (!realpath(full, real)) {
		rc = send_frame(c, "", WQI_KIND_MISSING, 0); /* a dangling symlink */
		c->t->result |= WORK_QUEUE_RESULT_OUTPUT_MISSING;
		goto out;
	}
	if (!wqi_wk_path_inside(real, c->sbreal) || strcmp(real, c->sbreal) == 0) {
		WQI_DEBUG("task %" PRIu64 ": output %s resolves to %s, outside the sandbox", c->t->taskid, remote_name, real);
		rc = send_frame(c, "", WQI_KIND_SYMLINK_OUTSIDE, 0);
		c->t->result |= WORK_QUEUE_RESULT_OUTPUT_MISSING;
		goto out;
	}
	if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = send_frame(c, "", WQI_KIND_DIR, (uint32_t)(st.st_mode & 07777));
		if (rc == 0)
			rc = send_dir(c, real, "", 0);
		goto out;
	}
	rc = send_file(c, real, "");
	if (rc == 1) {
		rc = send_frame(c, "", WQI_KIND_MISSING, 0);
		c->t->result |= WORK_QUEUE_RESULT_OUTPUT_MISSING;
	}
out:
	free(full);
	free(real);
	return rc;
}

/* RESULT and the first output_max bytes of the command's output file. */
static int send_result(struct wqi_wk_task *t, struct wqi_link *l)
{
	int fd = open(t->outfile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	uint64_t size = 0;
	if (fd >= 0 && fstat(fd, &st) == 0)
		size = (uint64_t)st.st_size;
	uint8_t truncated = 0;
	if (size > t->output_max) {
		size = t->output_max;
		truncated = 1;
		t->result |= WORK_QUEUE_RESULT_STDOUT_MISSING;
	}
	struct wqi_msg_result m = { t->taskid, t->result, t->exit_status, t->start_us, t->end_us, size, truncated };
	int rc = wqi_proto_encode_result(wqi_link_out(l), &m);
	if (rc < 0 || size == 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return wqi_link_queue_file(l, fd, 0, size, 1);
}

int wqi_wk_outputs_send(struct wqi_wk_task *t, struct wqi_link *l, int with_outputs)
{
	if (with_outputs && t->n_outputs) {
		char *sbreal = realpath(t->sandbox, NULL);
		if (!sbreal)
			return WQ_EFILE;
		struct out_ctx c = { t, l, 0, sbreal };
		int rc = 0;
		for (uint32_t i = 0; i < t->n_outputs && rc == 0; i++) {
			c.index = i;
			rc = send_output(&c, t->outputs[i].remote_name);
		}
		free(sbreal);
		if (rc < 0)
			return rc;
	}
	return send_result(t, l);
}
