/*
 * errors.c - the public descriptions of error codes, result codes and task
 * states, and the library version. Pure tables; nothing here allocates.
 */
#include "work_queue.h"

#define WQ_VERSION_STRING "0.1.0"

/* A sentence for each WQ_E* code; unknown codes get a generic sentence. */
WQ_API const char *work_queue_strerror(int code)
{
	switch (code) {
	case WQ_OK: return "success";
	case WQ_ENOMEM: return "out of memory";
	case WQ_EINVAL: return "invalid argument";
	case WQ_EAGAIN: return "operation would block; try again";
	case WQ_ECLOSED: return "connection closed by the peer";
	case WQ_EIO: return "input/output error on a connection";
	case WQ_EPROTO: return "malformed or unexpected protocol message";
	case WQ_ETOOBIG: return "a length is beyond its limit";
	case WQ_ENOENT: return "no such file or directory";
	case WQ_EEXIST: return "already exists";
	case WQ_ETIMEDOUT: return "timed out";
	case WQ_ENOTASK: return "no such task";
	case WQ_EADDR: return "cannot listen on the address or port";
	case WQ_ENAME: return "a remote name is absolute or escapes the sandbox";
	case WQ_EVERSION: return "protocol versions differ";
	case WQ_EFILE: return "a local file could not be read or written";
	case WQ_ECONNECT: return "cannot connect";
	case WQ_ESTATE: return "not allowed in the object's current state";
	case WQ_EINTR: return "interrupted";
	default: return "unknown error";
	}
}

/*
 * Short names of result codes, as the original's work_queue_result_str
 * returns them. Codes are exact values, not bit sets: the master reports one.
 */
WQ_API const char *work_queue_result_str(work_queue_result_t result)
{
	switch (result) {
	case WORK_QUEUE_RESULT_SUCCESS: return "SUCCESS";
	case WORK_QUEUE_RESULT_INPUT_MISSING: return "INPUT_MISSING";
	case WORK_QUEUE_RESULT_OUTPUT_MISSING: return "OUTPUT_MISSING";
	case WORK_QUEUE_RESULT_STDOUT_MISSING: return "STDOUT_MISSING";
	case WORK_QUEUE_RESULT_SIGNAL: return "SIGNAL";
	case WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION: return "RESOURCE_EXHAUSTION";
	case WORK_QUEUE_RESULT_TASK_TIMEOUT: return "TASK_TIMEOUT";
	case WORK_QUEUE_RESULT_UNKNOWN: return "UNKNOWN";
	case WORK_QUEUE_RESULT_FORSAKEN: return "FORSAKEN";
	case WORK_QUEUE_RESULT_MAX_RETRIES: return "MAX_RETRIES";
	case WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME: return "TASK_MAX_RUN_TIME";
	case WORK_QUEUE_RESULT_DISK_ALLOC_FULL: return "DISK_ALLOC_FULL";
	case WORK_QUEUE_RESULT_RMONITOR_ERROR: return "RMONITOR_ERROR";
	case WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR: return "OUTPUT_TRANSFER_ERROR";
	default: return "UNKNOWN";
	}
}

WQ_API const char *work_queue_task_state_str(work_queue_task_state_t state)
{
	switch (state) {
	case WORK_QUEUE_TASK_UNKNOWN: return "UNKNOWN";
	case WORK_QUEUE_TASK_READY: return "TASK_READY";
	case WORK_QUEUE_TASK_RUNNING: return "TASK_RUNNING";
	case WORK_QUEUE_TASK_WAITING_RETRIEVAL: return "TASK_WAITING_RETRIEVAL";
	case WORK_QUEUE_TASK_RETRIEVED: return "TASK_RETRIEVED";
	case WORK_QUEUE_TASK_DONE: return "TASK_DONE";
	case WORK_QUEUE_TASK_CANCELED: return "TASK_CANCELED";
	default: return "UNKNOWN";
	}
}

WQ_API const char *work_queue_version(void)
{
	return WQ_VERSION_STRING;
}
