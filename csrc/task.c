/*
 * task.c - tasks: creation, specification, accessors, cache names.
 *
 * Everything here is plain data handling; nothing touches the network. The
 * only file-system calls are stat() at submit (cache names must identify the
 * version of a file that was submitted) and unlink/rm of temporary outputs.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debug.h"
#include "proto.h"
#include "ready.h"
#include "task.h"
#include "util.h"

struct work_queue_task *work_queue_task_create(const char *full_command)
{
	struct work_queue_task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (full_command && !(t->command = strdup(full_command))) {
		free(t);
		return NULL;
	}
	t->cores = t->memory = t->disk = t->gpus = -1;
	t->state = WORK_QUEUE_TASK_UNKNOWN;
	t->ready_pos = WQI_READY_NONE;
	t->parked_idx = SIZE_MAX;
	wqi_list_init(&t->wnode);
	wqi_list_init(&t->cnode);
	wqi_list_init(&t->catnode);
	return t;
}

static void file_free(struct wqi_file *f)
{
	free(f->local);
	free(f->remote);
	free(f->arg);
	free(f->data);
	free(f->cachename);
	free(f->tmp);
}

/* Copy a file spec (not its per-run state); 0 or WQ_ENOMEM. */
static int file_copy(struct wqi_file *d, const struct wqi_file *s)
{
	memset(d, 0, sizeof(*d));
	d->src = s->src;
	d->len = s->len;
	d->flags = s->flags;
	d->recursive = s->recursive;
	d->local = wqi_strdup(s->local);
	d->remote = wqi_strdup(s->remote);
	d->arg = wqi_strdup(s->arg);
	if (s->data && s->len) {
		d->data = malloc(s->len);
		if (d->data)
			memcpy(d->data, s->data, s->len);
	}
	if ((s->local && !d->local) || (s->remote && !d->remote) || (s->arg && !d->arg) || (s->data && s->len && !d->data)) {
		file_free(d);
		return WQ_ENOMEM;
	}
	return 0;
}

void work_queue_task_delete(struct work_queue_task *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->n_inputs; i++)
		file_free(&t->inputs[i]);
	for (uint32_t i = 0; i < t->n_outputs; i++) {
		if (t->outputs[i].tmp)
			wqi_rm_rf(t->outputs[i].tmp);
		file_free(&t->outputs[i]);
	}
	for (uint32_t i = 0; i < t->n_env; i++) {
		free(t->env[i].name);
		free(t->env[i].value);
	}
	for (uint32_t i = 0; i < t->n_pref; i++)
		free(t->pref_hosts[i]);
	free(t->pref_hosts);
	free(t->inputs);
	free(t->outputs);
	free(t->env);
	free(t->command);
	free(t->tag);
	free(t->category);
	wqi_task_free_output(t);
	wqi_peer_names_release(t->peer);
	free(t);
}

/* Append a file spec to inputs or outputs (taking ownership of f's strings). */
static int file_push(struct wqi_file **arr, uint32_t *n, uint32_t *cap, const struct wqi_file *f)
{
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 4;
		struct wqi_file *na = realloc(*arr, nc * sizeof(**arr));
		if (!na)
			return WQ_ENOMEM;
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = *f;
	return 0;
}

struct work_queue_task *work_queue_task_clone(const struct work_queue_task *s)
{
	if (!s)
		return NULL;
	struct work_queue_task *t = work_queue_task_create(s->command);
	if (!t)
		return NULL;
	t->cores = s->cores;
	t->memory = s->memory;
	t->disk = s->disk;
	t->gpus = s->gpus;
	t->priority = s->priority;
	t->max_retries = s->max_retries;
	t->max_run_time_s = s->max_run_time_s;
	t->end_time_us = s->end_time_us;
	t->algorithm = s->algorithm;
	for (uint32_t i = 0; i < s->n_pref; i++)
		work_queue_task_specify_preferred_host(t, s->pref_hosts[i]);
	if (t->n_pref != s->n_pref)
		goto fail;
	if ((s->tag && !(t->tag = strdup(s->tag))) || (s->category && !(t->category = strdup(s->category))))
		goto fail;
	for (uint32_t i = 0; i < s->n_inputs; i++) {
		struct wqi_file f;
		if (file_copy(&f, &s->inputs[i]))
			goto fail;
		if (file_push(&t->inputs, &t->n_inputs, &t->cap_inputs, &f)) {
			file_free(&f);
			goto fail;
		}
	}
	for (uint32_t i = 0; i < s->n_outputs; i++) {
		struct wqi_file f;
		if (file_copy(&f, &s->outputs[i]))
			goto fail;
		if (file_push(&t->outputs, &t->n_outputs, &t->cap_outputs, &f)) {
			file_free(&f);
			goto fail;
		}
	}
	for (uint32_t i = 0; i < s->n_env; i++)
		work_queue_task_specify_environment_variable(t, s->env[i].name, s->env[i].value);
	if (t->n_env != s->n_env)
		goto fail;
	return t;
fail:
	work_queue_task_delete(t);
	errno = ENOMEM;
	return NULL;
}

/* Replace *dst with a copy of s (NULL allowed). */
static void set_str(char **dst, const char *s)
{
	char *c = wqi_strdup(s);
	if (s && !c)
		return; /* out of memory: keep the old value */
	free(*dst);
	*dst = c;
}

void work_queue_task_specify_command(struct work_queue_task *t, const char *cmd)
{
	if (t && !t->q)
		set_str(&t->command, cmd);
}

/*
 * Validate a remote name and check it is not already used by another spec of
 * the same direction (two inputs at one sandbox path, or two outputs at one
 * path, would clash). Outputs must also differ in local path: their
 * temporary files are named after it.
 */
/*
 * Normalise a remote name the way old programs write them: "./x" -> "x",
 * "a//b" -> "a/b", "dir/" -> "dir". Absolute names and ".." stay as they
 * are, so the check after this refuses them. 0, or -1 if too long.
 */
static int normalize_remote(const char *in, char out[WQI_NAME_MAX + 1])
{
	size_t o = 0;
	if (in[0] == '/')
		out[o++] = '/';
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			p = e;
			continue;
		}
		if (o && out[o - 1] != '/')
			out[o++] = '/';
		if (o + n > WQI_NAME_MAX)
			return -1;
		memcpy(out + o, p, n);
		o += n;
		p = e;
	}
	out[o] = '\0';
	return 0;
}

static int spec_ok(const struct work_queue_task *t, const char *local, const char *remote_in, int type, char remote[WQI_NAME_MAX + 1])
{
	if (!t || t->q || !remote_in || normalize_remote(remote_in, remote) < 0 || !wqi_proto_name_ok(remote, strlen(remote), 1))
		return 0;
	const struct wqi_file *arr = type == WORK_QUEUE_INPUT ? t->inputs : t->outputs;
	uint32_t n = type == WORK_QUEUE_INPUT ? t->n_inputs : t->n_outputs;
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(arr[i].remote, remote) == 0)
			return 0;
		if (type == WORK_QUEUE_OUTPUT && local && strcmp(arr[i].local, local) == 0)
			return 0;
	}
	return 1;
}

/* Record a spec: strings copied; returns the original's 1/0. */
static int add_spec(struct work_queue_task *t, int type, int src, const char *local, const char *remote, const char *arg, const void *data, uint64_t len, uint32_t flags, int recursive)
{
	struct wqi_file f;
	memset(&f, 0, sizeof(f));
	f.src = src;
	f.flags = flags;
	f.recursive = recursive;
	f.len = len;
	f.local = wqi_strdup(local);
	f.remote = wqi_strdup(remote);
	f.arg = wqi_strdup(arg);
	if (data && len) {
		if (len > SIZE_MAX || !(f.data = malloc(len)))
			goto fail;
		memcpy(f.data, data, len);
	}
	if ((local && !f.local) || !f.remote || (arg && !f.arg))
		goto fail;
	if (type == WORK_QUEUE_INPUT ? file_push(&t->inputs, &t->n_inputs, &t->cap_inputs, &f)
				     : file_push(&t->outputs, &t->n_outputs, &t->cap_outputs, &f))
		goto fail;
	return 1;
fail:
	file_free(&f);
	return 0;
}

int work_queue_task_specify_file(struct work_queue_task *t, const char *local_name, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags)
{
	char norm[WQI_NAME_MAX + 1];
	if (!local_name || !*local_name || (type != WORK_QUEUE_INPUT && type != WORK_QUEUE_OUTPUT))
		return 0;
	if (!spec_ok(t, local_name, remote_name, type, norm))
		return 0;
	return add_spec(t, type, WQI_FILE_LOCAL, local_name, norm, NULL, NULL, 0, flags, 0);
}

int work_queue_task_specify_buffer_size(struct work_queue_task *t, const void *data, uint64_t length, const char *remote_name, work_queue_file_flags_t flags)
{
	char norm[WQI_NAME_MAX + 1];
	if ((!data && length) || !spec_ok(t, NULL, remote_name, WORK_QUEUE_INPUT, norm))
		return 0;
	return add_spec(t, WORK_QUEUE_INPUT, WQI_FILE_BUFFER, NULL, norm, NULL, data, length, flags, 0);
}

int work_queue_task_specify_buffer(struct work_queue_task *t, const char *data, int length, const char *remote_name, work_queue_file_flags_t flags)
{
	if (length < 0)
		return 0;
	return work_queue_task_specify_buffer_size(t, data, (uint64_t)length, remote_name, flags);
}

/* An output directory arrives like an output file (the worker tells the
 * kind); an input directory is sent as a tree or made empty. */
int work_queue_task_specify_directory(struct work_queue_task *t, const char *local_name, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags, int recursive)
{
	char norm[WQI_NAME_MAX + 1];
	if (type == WORK_QUEUE_OUTPUT)
		return work_queue_task_specify_file(t, local_name, remote_name, type, flags);
	if (type != WORK_QUEUE_INPUT || (recursive && (!local_name || !*local_name)))
		return 0;
	if (!spec_ok(t, NULL, remote_name, WORK_QUEUE_INPUT, norm))
		return 0;
	return add_spec(t, WORK_QUEUE_INPUT, WQI_FILE_DIR, local_name, norm, NULL, NULL, 0, flags, recursive ? 1 : 0);
}

int work_queue_task_specify_url(struct work_queue_task *t, const char *url, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags)
{
	char norm[WQI_NAME_MAX + 1];
	if (!url || strncmp(url, "http://", 7) != 0 || type != WORK_QUEUE_INPUT || strlen(url) > WQI_STR_MAX)
		return 0;
	if (!spec_ok(t, NULL, remote_name, WORK_QUEUE_INPUT, norm))
		return 0;
	return add_spec(t, WORK_QUEUE_INPUT, WQI_FILE_URL, NULL, norm, url, NULL, 0, flags, 0);
}

int work_queue_task_specify_file_command(struct work_queue_task *t, const char *remote_name, const char *cmd, work_queue_file_type_t type, work_queue_file_flags_t flags)
{
	char norm[WQI_NAME_MAX + 1];
	if (!cmd || !*cmd || type != WORK_QUEUE_INPUT || strlen(cmd) > WQI_STR_MAX)
		return 0;
	if (!spec_ok(t, NULL, remote_name, WORK_QUEUE_INPUT, norm))
		return 0;
	return add_spec(t, WORK_QUEUE_INPUT, WQI_FILE_COMMAND, NULL, norm, cmd, NULL, 0, flags, 0);
}

void work_queue_task_specify_tag(struct work_queue_task *t, const char *tag) { if (t && !t->q) set_str(&t->tag, tag); }
void work_queue_task_specify_category(struct work_queue_task *t, const char *c) { if (t && !t->q) set_str(&t->category, c); }
void work_queue_task_specify_cores(struct work_queue_task *t, int cores) { if (t && !t->q) t->cores = cores < 0 ? -1 : cores; }
void work_queue_task_specify_memory(struct work_queue_task *t, int64_t mb) { if (t && !t->q) t->memory = mb < 0 ? -1 : mb; }
void work_queue_task_specify_disk(struct work_queue_task *t, int64_t mb) { if (t && !t->q) t->disk = mb < 0 ? -1 : mb; }
void work_queue_task_specify_gpus(struct work_queue_task *t, int gpus) { if (t && !t->q) t->gpus = gpus < 0 ? -1 : gpus; }
void work_queue_task_specify_priority(struct work_queue_task *t, double p) { if (t && !t->q) t->priority = p; }
void work_queue_task_specify_max_retries(struct work_queue_task *t, int64_t n) { if (t && !t->q) t->max_retries = n < 0 ? 0 : n; }
void work_queue_task_specify_running_time_max(struct work_queue_task *t, int64_t s) { if (t && !t->q) t->max_run_time_s = s < 0 ? 0 : s; }
void work_queue_task_specify_end_time(struct work_queue_task *t, int64_t us) { if (t && !t->q) t->end_time_us = us < 0 ? 0 : us; }
void work_queue_task_specify_algorithm(struct work_queue_task *t, work_queue_schedule_t a) { if (t && !t->q) t->algorithm = a; }

/* Add a preferred host (copied; a duplicate is ignored). */
void work_queue_task_specify_preferred_host(struct work_queue_task *t, const char *hostname)
{
	if (!t || t->q || !hostname || !*hostname)
		return;
	for (uint32_t i = 0; i < t->n_pref; i++)
		if (strcmp(t->pref_hosts[i], hostname) == 0)
			return;
	char **np = realloc(t->pref_hosts, (t->n_pref + 1) * sizeof(*np));
	if (!np)
		return;
	t->pref_hosts = np;
	if ((np[t->n_pref] = strdup(hostname)))
		t->n_pref++;
}

/*
 * Does any preferred host of t name this worker? A name matches the
 * worker's host name, its address without the port, its "ip:port" or its
 * worker id, so two workers on one machine can still be told apart.
 */
int wqi_task_prefers(const struct work_queue_task *t, const char *hostname, const char *ip, const char *addr, const char *worker_id)
{
	for (uint32_t i = 0; i < t->n_pref; i++) {
		const char *h = t->pref_hosts[i];
		if ((hostname && !strcmp(h, hostname)) || (ip && !strcmp(h, ip)) || (addr && !strcmp(h, addr)) ||
		    (worker_id && *worker_id && !strcmp(h, worker_id)))
			return 1;
	}
	return 0;
}

/* Set (or replace) a variable of the task's environment; NULL value = "". */
void work_queue_task_specify_environment_variable(struct work_queue_task *t, const char *name, const char *value)
{
	if (!t || t->q || !name || !*name || strchr(name, '='))
		return;
	if (!value)
		value = "";
	for (uint32_t i = 0; i < t->n_env; i++) {
		if (strcmp(t->env[i].name, name) == 0) {
			set_str(&t->env[i].value, value);
			return;
		}
	}
	if (t->n_env == t->cap_env) {
		uint32_t nc = t->cap_env ? t->cap_env * 2 : 4;
		struct wqi_env *ne = realloc(t->env, nc * sizeof(*ne));
		if (!ne)
			return;
		t->env = ne;
		t->cap_env = nc;
	}
	char *n = strdup(name), *v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return;
	}
	t->env[t->n_env].name = n;
	t->env[t->n_env].value = v;
	t->n_env++;
}

/* ---- accessors ---- */

int work_queue_task_get_taskid(const struct work_queue_task *t) { return t ? (int)t->taskid : 0; }
const char *work_queue_task_get_command(const struct work_queue_task *t) { return t ? t->command : NULL; }
const char *work_queue_task_get_tag(const struct work_queue_task *t) { return t ? t->tag : NULL; }
const char *work_queue_task_get_category(const struct work_queue_task *t) { return t ? t->category : NULL; }
work_queue_result_t work_queue_task_get_result(const struct work_queue_task *t) { return t ? (work_queue_result_t)t->result : WORK_QUEUE_RESULT_UNKNOWN; }
int work_queue_task_get_return_status(const struct work_queue_task *t) { return t ? t->return_status : 0; }
const char *work_queue_task_get_output(const struct work_queue_task *t) { return t ? t->output : NULL; }
uint64_t work_queue_task_get_output_length(const struct work_queue_task *t) { return t ? t->output_len : 0; }
const char *work_queue_task_get_host(const struct work_queue_task *t) { return t && t->peer ? t->peer->addr : NULL; }
const char *work_queue_task_get_hostname(const struct work_queue_task *t) { return t && t->peer ? t->peer->hostname : NULL; }
work_queue_task_state_t work_queue_task_get_state(const struct work_queue_task *t) { return t ? t->state : WORK_QUEUE_TASK_UNKNOWN; }
int64_t work_queue_task_get_cores(const struct work_queue_task *t) { return t ? t->cores : -1; }
int64_t work_queue_task_get_memory(const struct work_queue_task *t) { return t ? t->memory : -1; }
int64_t work_queue_task_get_disk(const struct work_queue_task *t) { return t ? t->disk : -1; }
int64_t work_queue_task_get_gpus(const struct work_queue_task *t) { return t ? t->gpus : -1; }
double work_queue_task_get_priority(const struct work_queue_task *t) { return t ? t->priority : 0; }
int64_t work_queue_task_get_max_retries(const struct work_queue_task *t) { return t ? t->max_retries : 0; }
int64_t work_queue_task_get_try_count(const struct work_queue_task *t) { return t ? t->try_count : 0; }
int64_t work_queue_task_get_bytes_sent(const struct work_queue_task *t) { return t ? t->bytes_sent : 0; }
int64_t work_queue_task_get_bytes_received(const struct work_queue_task *t) { return t ? t->bytes_received : 0; }

timestamp_t work_queue_task_get_time(const struct work_queue_task *t, const char *which)
{
	if (!t || !which)
		return 0;
	if (!strcmp(which, "submit"))
		return t->t_submit;
	if (!strcmp(which, "dispatch"))
		return t->t_dispatch;
	if (!strcmp(which, "start"))
		return t->t_start;
	if (!strcmp(which, "end"))
		return t->t_end;
	if (!strcmp(which, "done"))
		return t->t_done;
	return 0;
}

/* ---- internal ---- */

/*
 * A task ends with INPUT_MISSING because a local input is missing or
 * unreadable (at submit or at dispatch): say which one, in the task's
 * output (so the program sees it where it looks for the command's output)
 * and as a warning. The first local input that cannot be read is named.
 */
void wqi_task_note_missing_input(struct work_queue_task *t)
{
	const char *path = NULL;
	for (uint32_t i = 0; i < t->n_inputs && !path; i++) {
		const struct wqi_file *f = &t->inputs[i];
		struct stat st;
		if (f->src == WQI_FILE_LOCAL) {
			if (stat(f->local, &st) != 0 || !S_ISREG(st.st_mode) || access(f->local, R_OK) != 0)
				path = f->local;
		} else if (f->src == WQI_FILE_DIR && f->recursive) {
			if (stat(f->local, &st) != 0 || !S_ISDIR(st.st_mode) || access(f->local, R_OK | X_OK) != 0)
				path = f->local;
		}
	}
	char *msg = NULL;
	int n = path ? asprintf(&msg, "work_queue: task %llu: input file '%s' not found", (unsigned long long)t->taskid, path)
		     : asprintf(&msg, "work_queue: task %llu: an input file could not be read", (unsigned long long)t->taskid);
	if (n < 0)
		return;
	wqi_warn("%s", msg);
	wqi_task_free_output(t);
	t->output = msg;
	t->output_len = (uint64_t)n;
}

/* The output of every task that printed nothing (shared, never freed). */
static char empty_output[1];

void wqi_task_free_output(struct work_queue_task *t)
{
	if (t->output != empty_output)
		free(t->output);
	t->output = NULL;
	t->output_len = 0;
}

int wqi_task_set_output(struct work_queue_task *t, const char *p, size_t n)
{
	wqi_task_free_output(t);
	if (n == 0) {
		t->output = empty_output;
		return 0;
	}
	char *o = malloc(n + 1);
	if (!o)
		return WQ_ENOMEM;
	memcpy(o, p, n);
	o[n] = 0;
	t->output = o;
	t->output_len = n;
	return 0;
}

struct wqi_peer_names *wqi_peer_names_new(const char *addr, const char *hostname)
{
	size_t la = strlen(addr) + 1;
	struct wqi_peer_names *p = malloc(sizeof(*p) + la);
	if (!p)
		return NULL;
	if (!(p->hostname = strdup(hostname))) {
		free(p);
		return NULL;
	}
	memcpy(p->addr, addr, la);
	atomic_init(&p->refs, 1);
	return p;
}

struct wqi_peer_names *wqi_peer_names_hold(struct wqi_peer_names *p)
{
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void wqi_peer_names_release(struct wqi_peer_names *p)
{
	if (p && atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1) {
		free(p->hostname);
		free(p);
	}
}

int64_t wqi_task_cores_wanted(const struct work_queue_task *t)
{
	return t->cores >= 0 ? t->cores : 1;
}

void wqi_task_reset(struct work_queue_task *t)
{
	t->state = WORK_QUEUE_TASK_UNKNOWN;
	t->result = 0;
	t->return_status = 0;
	wqi_task_free_output(t);
	wqi_peer_names_release(t->peer);
	t->peer = NULL;
	t->try_count = 0;
	t->free_tries = 0;
	t->avoid_serial = 0;
	t->t_submit = t->t_dispatch = t->t_start = t->t_end = t->t_done = 0;
	t->bytes_sent = t->bytes_received = 0;
	t->input_missing = 0;
	wqi_task_discard_outputs(t);
}

void wqi_task_discard_outputs(struct work_queue_task *t)
{
	for (uint32_t i = 0; i < t->n_outputs; i++) {
		struct wqi_file *f = &t->outputs[i];
		if (f->tmp) {
			wqi_rm_rf(f->tmp);
			free(f->tmp);
			f->tmp = NULL;
		}
		f->out_state = WQI_OUT_NONE;
	}
}

char *wqi_task_tmp_path(const struct work_queue_task *t, const struct wqi_file *f)
{
	const char *slash = strrchr(f->local, '/');
	int dirlen = slash ? (int)(slash - f->local) + 1 : 0;
	const char *base = slash ? slash + 1 : f->local;
	char *p = NULL;
	if (asprintf(&p, "%.*s.%s.wqtmp.%llu", dirlen, f->local, base, (unsigned long long)t->taskid) < 0)
		return NULL;
	return p;
}

/* Hash of a local object's identity: absolute path, dev, ino, size, mtime ns. */
static uint64_t local_identity(const char *path, const struct stat *st)
{
	uint64_t h = WQI_HASH_INIT;
	if (path[0] == '/') {
		h = wqi_hash_field(h, path, strlen(path));
	} else {
		char cwd[PATH_MAX];
		char *abs = NULL;
		if (getcwd(cwd, sizeof cwd) && asprintf(&abs, "%s/%s", cwd, path) >= 0) {
			h = wqi_hash_field(h, abs, strlen(abs));
			free(abs);
		} else {
			h = wqi_hash_field(h, path, strlen(path));
		}
	}
	uint64_t v[5] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
			  (uint64_t)st->st_mtim.tv_sec * 1000000000ULL + (uint64_t)st->st_mtim.tv_nsec, 0 };
	for (int i = 0; i < 4; i++)
		h = wqi_hash_field(h, &v[i], sizeof v[i]);
	return h;
}

/*
 * Fix each input's cache name for this submission (see "Cache names" in
 * docs/protocol.md). Local files are stat'ed now: a missing one is the
 * task's fault and ends it with INPUT_MISSING without reaching a worker.
 */
int wqi_task_prepare(struct work_queue_task *t)
{
	int missing = 0;
	for (uint32_t i = 0; i < t->n_inputs; i++) {
		struct wqi_file *f = &t->inputs[i];
		uint64_t h = WQI_HASH_INIT;
		const char *prefix = NULL;
		struct stat st;
		f->size = 1; /* URL, command, directory: size unknown here */
		char *name = NULL;
		switch (f->src) {
		case WQI_FILE_LOCAL:
		case WQI_FILE_DIR:
			if (f->src == WQI_FILE_DIR && !f->recursive) {
				prefix = ""; /* EMPTY_DIR: no cached object */
				break;
			}
			if (stat(f->local, &st) != 0 || (f->src == WQI_FILE_DIR) != !!S_ISDIR(st.st_mode)) {
				missing = 1;
				prefix = "";
				break;
			}
			h = local_identity(f->local, &st);
			prefix = "file-";
			f->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 1;
			break;
		case WQI_FILE_BUFFER:
			h = wqi_hash_field(h, f->data ? f->data : "", f->len);
			h = wqi_hash_field(h, &f->len, sizeof f->len);
			prefix = "buf-";
			f->size = f->len;
			break;
		case WQI_FILE_URL:
			h = wqi_hash_field(h, f->arg, strlen(f->arg));
			prefix = "url-";
			break;
		default:
			h = wqi_hash_field(h, f->arg, strlen(f->arg));
			prefix = "cmd-";
			break;
		}
		int r;
		if (!*prefix)
			r = asprintf(&name, "%s", "");
		else if (!(f->flags & WORK_QUEUE_CACHE))
			r = asprintf(&name, "tmp-%llu-%u", (unsigned long long)t->taskid, i);
		else
			r = asprintf(&name, "%s%016llx", prefix, (unsigned long long)h);
		if (r < 0)
			return WQ_ENOMEM;
		free(f->cachename);
		f->cachename = name;
	}
	t->input_missing = missing;
	return missing ? WQ_ENOENT : 0;
}
