# _core.pxd - declarations of the C API of libworkqueue (csrc/include/work_queue.h)
# and of the two extension classes of _core.pyx. Declarations only; no code.
#
# Only the functions that exist in the header are declared: what the C side
# has not built yet (fast abort, host blocking) is wrapped when it lands.

from libc.stdint cimport int64_t, uint64_t
from libc.limits cimport INT_MAX
from libc.time cimport time_t
from cpython.pythread cimport PyThread_type_lock

cdef extern from "work_queue.h" nogil:
    ctypedef uint64_t timestamp_t

    int WORK_QUEUE_DEFAULT_PORT
    int WORK_QUEUE_RANDOM_PORT
    int WORK_QUEUE_WAITFORTASK
    int WORK_QUEUE_TASK_ORDER_FIFO
    int WORK_QUEUE_TASK_ORDER_LIFO
    int WORK_QUEUE_DEFAULT_KEEPALIVE_INTERVAL
    int WORK_QUEUE_DEFAULT_KEEPALIVE_TIMEOUT

    ctypedef enum work_queue_file_type_t:
        WORK_QUEUE_INPUT
        WORK_QUEUE_OUTPUT

    ctypedef enum work_queue_file_flags_t:
        WORK_QUEUE_NOCACHE
        WORK_QUEUE_CACHE
        WORK_QUEUE_SYMLINK
        WORK_QUEUE_PREEXIST
        WORK_QUEUE_THIRDGET
        WORK_QUEUE_THIRDPUT
        WORK_QUEUE_WATCH
        WORK_QUEUE_FAILURE_ONLY
        WORK_QUEUE_SUCCESS_ONLY

    ctypedef enum work_queue_schedule_t:
        WORK_QUEUE_SCHEDULE_UNSET
        WORK_QUEUE_SCHEDULE_FCFS
        WORK_QUEUE_SCHEDULE_FILES
        WORK_QUEUE_SCHEDULE_TIME
        WORK_QUEUE_SCHEDULE_RAND
        WORK_QUEUE_SCHEDULE_WORST
    int WORK_QUEUE_SCHEDULE_DEFAULT

    ctypedef enum work_queue_result_t:
        WORK_QUEUE_RESULT_SUCCESS
        WORK_QUEUE_RESULT_INPUT_MISSING
        WORK_QUEUE_RESULT_OUTPUT_MISSING
        WORK_QUEUE_RESULT_STDOUT_MISSING
        WORK_QUEUE_RESULT_SIGNAL
        WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION
        WORK_QUEUE_RESULT_TASK_TIMEOUT
        WORK_QUEUE_RESULT_UNKNOWN
        WORK_QUEUE_RESULT_FORSAKEN
        WORK_QUEUE_RESULT_MAX_RETRIES
        WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME
        WORK_QUEUE_RESULT_DISK_ALLOC_FULL
        WORK_QUEUE_RESULT_RMONITOR_ERROR
        WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR

    ctypedef enum work_queue_task_state_t:
        WORK_QUEUE_TASK_UNKNOWN
        WORK_QUEUE_TASK_READY
        WORK_QUEUE_TASK_RUNNING
        WORK_QUEUE_TASK_WAITING_RETRIEVAL
        WORK_QUEUE_TASK_RETRIEVED
        WORK_QUEUE_TASK_DONE
        WORK_QUEUE_TASK_CANCELED

    ctypedef enum work_queue_error_t:
        WQ_OK
        WQ_ENOMEM
        WQ_EINVAL
        WQ_EAGAIN
        WQ_ECLOSED
        WQ_EIO
        WQ_EPROTO
        WQ_ETOOBIG
        WQ_ENOENT
        WQ_EEXIST
        WQ_ETIMEDOUT
        WQ_ENOTASK
        WQ_EADDR
        WQ_ENAME
        WQ_EVERSION
        WQ_EFILE
        WQ_ECONNECT
        WQ_ESTATE
        WQ_EINTR

    const char *work_queue_strerror(int code)
    const char *work_queue_result_str(work_queue_result_t result)
    const char *work_queue_task_state_str(work_queue_task_state_t state)
    const char *work_queue_version()

    struct work_queue_stats:
        int workers_connected
        int workers_init
        int workers_idle
        int workers_busy
        int workers_able
        int workers_joined
        int workers_removed
        int workers_released
        int workers_idled_out
        int workers_fast_aborted
        int workers_blacklisted
        int workers_lost
        int tasks_waiting
        int tasks_on_workers
        int tasks_running
        int tasks_with_results
        int tasks_submitted
        int tasks_dispatched
        int tasks_done
        int tasks_failed
        int tasks_cancelled
        int tasks_exhausted_attempts
        timestamp_t time_when_started
        timestamp_t time_send
        timestamp_t time_receive
        timestamp_t time_send_good
        timestamp_t time_receive_good
        timestamp_t time_status_msgs
        timestamp_t time_internal
        timestamp_t time_polling
        timestamp_t time_application
        timestamp_t time_workers_execute
        timestamp_t time_workers_execute_good
        timestamp_t time_workers_execute_exhaustion
        int64_t bytes_sent
        int64_t bytes_received
        double bandwidth
        int capacity_tasks
        int capacity_cores
        int capacity_memory
        int capacity_disk
        int capacity_gpus
        int capacity_instantaneous
        int capacity_weighted
        int64_t total_cores
        int64_t total_memory
        int64_t total_disk
        int64_t total_gpus
        int64_t committed_cores
        int64_t committed_memory
        int64_t committed_disk
        int64_t committed_gpus
        int64_t min_cores
        int64_t max_cores
        int64_t min_memory
        int64_t max_memory
        int64_t min_disk
        int64_t max_disk
        int64_t min_gpus
        int64_t max_gpus
        int port
        int priority
        int tasks_fast_aborted
        int tasks_lost
        int total_workers_connected
        int total_workers_joined
        int total_workers_removed
        int total_workers_lost
        int total_workers_idled_out
        int total_workers_fast_aborted
        int tasks_complete
        int total_tasks_dispatched
        int total_tasks_complete
        int total_tasks_failed
        int total_tasks_cancelled
        int total_exhausted_attempts
        int64_t total_bytes_sent
        int64_t total_bytes_received
        timestamp_t total_send_time
        timestamp_t total_receive_time
        timestamp_t total_execute_time
        timestamp_t start_time

    struct work_queue
    struct work_queue_task

    # tasks
    work_queue_task *work_queue_task_create(const char *full_command)
    work_queue_task *work_queue_task_clone(const work_queue_task *t)
    void work_queue_task_delete(work_queue_task *t)
    void work_queue_task_specify_command(work_queue_task *t, const char *cmd)
    int work_queue_task_specify_file(work_queue_task *t, const char *local_name, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags)
    int work_queue_task_specify_directory(work_queue_task *t, const char *local_name, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags, int recursive)
    int work_queue_task_specify_url(work_queue_task *t, const char *url, const char *remote_name, work_queue_file_type_t type, work_queue_file_flags_t flags)
    int work_queue_task_specify_file_command(work_queue_task *t, const char *remote_name, const char *cmd, work_queue_file_type_t type, work_queue_file_flags_t flags)
    int work_queue_task_specify_buffer_size(work_queue_task *t, const void *data, uint64_t length, const char *remote_name, work_queue_file_flags_t flags)
    void work_queue_task_specify_tag(work_queue_task *t, const char *tag)
    void work_queue_task_specify_category(work_queue_task *t, const char *category)
    void work_queue_task_specify_cores(work_queue_task *t, int cores)
    void work_queue_task_specify_memory(work_queue_task *t, int64_t memory_mb)
    void work_queue_task_specify_disk(work_queue_task *t, int64_t disk_mb)
    void work_queue_task_specify_gpus(work_queue_task *t, int gpus)
    void work_queue_task_specify_priority(work_queue_task *t, double priority)
    void work_queue_task_specify_max_retries(work_queue_task *t, int64_t max_retries)
    void work_queue_task_specify_running_time_max(work_queue_task *t, int64_t seconds)
    void work_queue_task_specify_end_time(work_queue_task *t, int64_t useconds)
    void work_queue_task_specify_environment_variable(work_queue_task *t, const char *name, const char *value)
    void work_queue_task_specify_algorithm(work_queue_task *t, work_queue_schedule_t algorithm)
    void work_queue_task_specify_preferred_host(work_queue_task *t, const char *hostname)

    int work_queue_task_get_taskid(const work_queue_task *t)
    const char *work_queue_task_get_command(const work_queue_task *t)
    const char *work_queue_task_get_tag(const work_queue_task *t)
    const char *work_queue_task_get_category(const work_queue_task *t)
    work_queue_result_t work_queue_task_get_result(const work_queue_task *t)
    int work_queue_task_get_return_status(const work_queue_task *t)
    const char *work_queue_task_get_output(const work_queue_task *t)
    uint64_t work_queue_task_get_output_length(const work_queue_task *t)
    const char *work_queue_task_get_host(const work_queue_task *t)
    const char *work_queue_task_get_hostname(const work_queue_task *t)
    work_queue_task_state_t work_queue_task_get_state(const work_queue_task *t)
    int64_t work_queue_task_get_cores(const work_queue_task *t)
    int64_t work_queue_task_get_memory(const work_queue_task *t)
    int64_t work_queue_task_get_disk(const work_queue_task *t)
    int64_t work_queue_task_get_gpus(const work_queue_task *t)
    double work_queue_task_get_priority(const work_queue_task *t)
    int64_t work_queue_task_get_max_retries(const work_queue_task *t)
    int64_t work_queue_task_get_try_count(const work_queue_task *t)
    timestamp_t work_queue_task_get_time(const work_queue_task *t, const char *which)
    int64_t work_queue_task_get_bytes_sent(const work_queue_task *t)
    int64_t work_queue_task_get_bytes_received(const work_queue_task *t)

    # queues
    int work_queue_create_on(const char *address, int port, work_queue **q)
    void work_queue_delete(work_queue *q)
    int work_queue_port(work_queue *q)
    void work_queue_specify_name(work_queue *q, const char *name)
    const char *work_queue_name(work_queue *q)
    void work_queue_specify_algorithm(work_queue *q, work_queue_schedule_t algorithm)
    void work_queue_specify_task_order(work_queue *q, int order)
    void work_queue_specify_priority(work_queue *q, int priority)
    void work_queue_specify_keepalive_interval(work_queue *q, int interval_s)
    void work_queue_specify_keepalive_timeout(work_queue *q, int timeout_s)
    int work_queue_activate_fast_abort(work_queue *q, double multiplier)
    int work_queue_activate_fast_abort_category(work_queue *q, const char *category, double multiplier)
    void work_queue_block_host(work_queue *q, const char *hostname)
    void work_queue_block_host_with_timeout(work_queue *q, const char *hostname, int64_t seconds)
    void work_queue_unblock_host(work_queue *q, const char *hostname)
    void work_queue_unblock_all(work_queue *q)
    void work_queue_blacklist_add(work_queue *q, const char *hostname)
    void work_queue_blacklist_add_with_timeout(work_queue *q, const char *hostname, time_t seconds)
    void work_queue_blacklist_remove(work_queue *q, const char *hostname)
    void work_queue_blacklist_clear(work_queue *q)
    work_queue_task_state_t work_queue_task_state(work_queue *q, int taskid)
    int work_queue_specify_min_taskid(work_queue *q, int minid)
    void work_queue_specify_preferred_host_wait(work_queue *q, int64_t seconds)
    int work_queue_specify_max_output_size(work_queue *q, uint64_t bytes)
    int work_queue_specify_debug_log(const char *path)
    void work_queue_specify_master_mode(work_queue *q, int mode)
    void work_queue_specify_catalog_server(work_queue *q, const char *hostname, int port)
    void work_queue_specify_catalog_servers(work_queue *q, const char *hosts)
    void work_queue_specify_catalog_update_interval(work_queue *q, int seconds)
    int work_queue_specify_log(work_queue *q, const char *logfile)
    int work_queue_specify_transactions_log(work_queue *q, const char *logfile)
    int work_queue_submit(work_queue *q, work_queue_task *t)
    work_queue_task *work_queue_wait_ms(work_queue *q, const char *tag, int64_t timeout_ms)
    int work_queue_empty(work_queue *q)
    int work_queue_hungry(work_queue *q)
    work_queue_task *work_queue_cancel_by_taskid(work_queue *q, int id)
    work_queue_task *work_queue_cancel_by_tasktag(work_queue *q, const char *tag)
    int work_queue_shut_down_workers(work_queue *q, int n)
    void work_queue_get_stats(work_queue *q, work_queue_stats *s)
    char *work_queue_get_stats_json(work_queue *q)


cdef class Task:
    cdef work_queue_task *_t      # the C task; owned by this object unless _queued
    cdef bint _queued             # 1 while a queue holds _t (between submit and wait/cancel)
    cdef list _locals             # local input paths (for the missing-input message), or None
    cdef object _note             # a message the binding adds to output (missing input), or None
    cdef dict __dict__            # user attributes (subclasses and plain tasks alike)
    cdef object __weakref__
    cdef int _modifiable(self) except -1
    cdef int _spec_ok(self, int ok, str what, bytes remote) except -1
    cdef bint _results(self)
    cdef uint64_t _time(self, const char *which)


cdef class _Queue:
    cdef work_queue *_q           # the C queue; NULL once closed
    cdef dict _tasks              # task id -> the Task object submitted (keeps it alive)
    cdef PyThread_type_lock _lock # held around every call into the C queue
    cdef int _contenders          # threads waiting for _lock (wait() yields to them)
    cdef int _acquire(self) except -1
    cdef void _release(self) noexcept
    cdef Task _adopt(self, work_queue_task *t)
    cdef int _delete(self, bint shutdown) except -1
