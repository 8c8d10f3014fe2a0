/*
 * outputs.h - report a finished task to the master: OUTPUT frames with the
 * output files' contents, then RESULT with the command's output (internal
 * to wq_worker).
 *
 * Everything is queued on the link, nothing is sent here: file contents go
 * as file ranges (sendfile) on descriptors the link owns, so the sandbox may
 * be removed as soon as this returns. Outputs are read without ever leaving
 * the sandbox: an output (or an entry of an output directory) that resolves
 * outside it is reported as SYMLINK_OUTSIDE (or skipped inside a directory).
 */
#ifndef WQI_WORKER_OUTPUTS_H
#define WQI_WORKER_OUTPUTS_H

struct wqi_wk_task;
struct wqi_link;

/*
 * Queue the task's OUTPUT frames (when with_outputs: the command ran) and
 * its RESULT, adding result bits 2 (an output missing or outside) and 4
 * (output truncated) to t->result. 0 or -WQ_ENOMEM / -WQ_EINVAL.
 */
int wqi_wk_outputs_send(struct wqi_wk_task *t, struct wqi_link *l, int with_outputs);
/* Is real (a resolved path) root itself or inside root (also resolved)? */
int wqi_wk_path_inside(const char *real, const char *root);

#endif
