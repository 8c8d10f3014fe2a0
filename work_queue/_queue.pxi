# _queue.pxi - cdef class _Queue: the C queue under WorkQueue, its lock and
# the submitted Task objects by id.
#
# Included by _core.pyx after _task.pxi, never compiled on its own: it uses
# the module's cimports, _check(), the argument converters and Task. The
# threading rules are in the comment at the top of _core.pyx.


@cython.no_gc_clear
cdef class _Queue:
    """The C queue under WorkQueue: one C pointer, a lock, the submitted
    Task objects by id. Use WorkQueue."""

    def __cinit__(self, *args, **kwargs):
        self._q = NULL
        self._tasks = {}
        self._contenders = 0
        self._lock = PyThread_allocate_lock()
        if self._lock == NULL:
            raise MemoryError()

    def __dealloc__(self):
        self._delete(False)
        if self._lock != NULL:
            PyThread_free_lock(self._lock)
            self._lock = NULL

    def _open(self, port, address=None):
        """Listen on port (0: any free port) on address (None: every interface)."""
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError("port must be an int, not %s" % type(port).__name__)
        if port < 0 or port > 65535:
            raise ValueError("port must be from 0 to 65535, not %d" % port)
        if self._q != NULL:
            raise ValueError("the queue is already open")
        cdef bytes a = _text(address, "address") if address is not None else None
        cdef work_queue *q = NULL
        cdef int rc = work_queue_create_on(_cstr(a), port, &q)
        _check(rc, "cannot listen on %s port %d" % (address or "every interface,", port))
        self._q = q

    cdef int _acquire(self) except -1:
        """Take the lock around a call into C; waits (GIL released) behind a
        wait() slice; raises ValueError once the queue is closed."""
        if self._q == NULL:
            raise ValueError("the queue is closed")
        if not PyThread_acquire_lock(self._lock, NOWAIT_LOCK):
            self._contenders += 1
            with nogil:
                PyThread_acquire_lock(self._lock, WAIT_LOCK)
            self._contenders -= 1
        if self._q == NULL:
            PyThread_release_lock(self._lock)
            raise ValueError("the queue is closed")
        return 0

    cdef void _release(self) noexcept:
        PyThread_release_lock(self._lock)

    cdef Task _adopt(self, work_queue_task *t):
        """The Task object for a C task that wait or cancel handed back: the
        very object submitted, ours again."""
        cdef int tid = work_queue_task_get_taskid(t)
        cdef Task task = self._tasks.pop(tid, None)
        if task is None or task._t != t:
            # Not ours (cannot happen): wrap it so it is freed once.
            task = Task.__new__(Task)
            work_queue_task_delete(task._t)
            task._t = t
        task._queued = False
        wqpy_gc_retrack(task)
        if work_queue_task_get_result(t) == WORK_QUEUE_RESULT_INPUT_MISSING:
            missing = task.missing_inputs
            if missing:
                task._note = "work_queue: task %d: input file%s %s not found" % (
                    tid, "s" if len(missing) > 1 else "", ", ".join(repr(m) for m in missing))
            else:
                task._note = "work_queue: task %d: an input was missing" % tid
            _log.warning("%s", task._note)
        return task

    def submit(self, Task task not None) -> int:
        """Hand task to the queue; returns its id. The queue holds the task
        until wait() or a cancel returns it. ValueError if the task is still
        in a queue or has no command."""
        if task._t == NULL:
            raise ValueError("this task was deleted with its queue")
        if task._queued:
            raise ValueError("task %d is still in a queue: wait for it (or cancel it) "
                             "before submitting it again" % task.id)
        if work_queue_task_get_command(task._t) == NULL:
            raise ValueError("the task has no command")
        cdef int tid
        self._acquire()
        try:
            tid = work_queue_submit(self._q, task._t)
            if tid > 0:
                task._queued = True
                task._note = None
                self._tasks[tid] = task
                wqpy_gc_untrack_plain(task, Task)
        finally:
            self._release()
        if tid <= 0:
            raise ValueError("the queue refused the task (already in a queue, or out of memory)")
        return tid

    def _wait(self, tag, timeout):
        """wait()/wait_for_tag(): slices of at most _SLICE_MS inside C with the
        GIL released, the lock given up between slices, signals checked."""
        cdef double tmo
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError("timeout must be a number of seconds, not %s" % type(timeout).__name__)
        tmo = timeout
        if tmo != tmo:
            raise ValueError("timeout must not be NaN")
        cdef bytes btag = _text(tag, "tag") if tag is not None else None
        cdef const char *ctag = _cstr(btag)
        cdef bint forever = tmo < 0
        cdef double deadline = _time.monotonic() + (tmo if not forever else 0)
        cdef double left
        cdef int64_t ms
        cdef int spins
        cdef work_queue_task *t
        cdef work_queue *q
        cdef bint empty
        while True:
            if forever:
                ms = _SLICE_MS
            else:
                left = deadline - _time.monotonic()
                ms = <int64_t>(left * 1000.0 + 0.999) if left > 0 else 0
                if ms > _SLICE_MS:
                    ms = _SLICE_MS
            self._acquire()
            try:
                q = self._q
                with nogil:
                    t = work_queue_wait_ms(q, ctag, ms)
                if t != NULL:
                    return self._adopt(t)
                empty = work_queue_empty(q)
            finally:
                self._release()
            if empty:
                return None  # nothing inside can complete (the original's rule)
            if not forever and _time.monotonic() >= deadline:
                return None
            PyErr_CheckSignals()
            # Let threads blocked on the lock (submit, cancel) in first.
            spins = 0
            while self._contenders > 0 and spins < 2000:
                with nogil:
                    usleep(50)
                spins += 1

    def wait(self, timeout=WORK_QUEUE_WAITFORTASK):
        """Run the queue until a task completes or timeout seconds (int or
        float; WORK_QUEUE_WAITFORTASK: for ever) pass; return that Task (the
        object submitted) or None. Returns None at once when the queue is
        empty. Ctrl-C raises KeyboardInterrupt promptly."""
        return self._wait(None, timeout)

    def wait_for_tag(self, tag, timeout=WORK_QUEUE_WAITFORTASK):
        """Like wait(), for a task with this tag."""
        if tag is None:
            raise TypeError("tag must be a str, not None")
        return self._wait(tag, timeout)

    def empty(self) -> bool:
        """True when no task is waiting, running or holding a result."""
        if self._q == NULL:
            return True
        self._acquire()
        try:
            return work_queue_empty(self._q) != 0
        finally:
            self._release()

    def hungry(self) -> bool:
        """True when the queue would like more tasks to keep its workers busy."""
        self._acquire()
        try:
            return work_queue_hungry(self._q) != 0
        finally:
            self._release()

    def cancel_by_taskid(self, int id):
        """Remove the task with this id from the queue (killed on its worker
        if running) and return it, or None if the queue does not hold it."""
        cdef work_queue_task *t
        self._acquire()
        try:
            t = work_queue_cancel_by_taskid(self._q, id)
            return self._adopt(t) if t != NULL else None
        finally:
            self._release()

    def cancel_by_tasktag(self, tag):
        """Remove one task with this tag and return it, or None."""
        cdef bytes b = _text(tag, "tag")
        cdef work_queue_task *t
        self._acquire()
        try:
            t = work_queue_cancel_by_tasktag(self._q, b)
            return self._adopt(t) if t != NULL else None
        finally:
            self._release()

    def shutdown_workers(self, int n=0) -> int:
        """Ask n connected workers (0: all) to exit; returns how many were asked."""
        if n < 0:
            raise ValueError("n must not be negative")
        self._acquire()
        try:
            return work_queue_shut_down_workers(self._q, n)
        finally:
            self._release()

    def specify_name(self, name) -> None:
        """Set the project name."""
        cdef bytes b = _text(name, "name")
        self._acquire()
        try:
            work_queue_specify_name(self._q, b)
        finally:
            self._release()

    def specify_algorithm(self, algorithm) -> None:
        """The scheduling policy, a WORK_QUEUE_SCHEDULE_* constant."""
        cdef int a = _algorithm(algorithm)
        self._acquire()
        try:
            work_queue_specify_algorithm(self._q, <work_queue_schedule_t>a)
        finally:
            self._release()

    def activate_fast_abort(self, multiplier) -> int:
        """Fast abort for every category: once 10 tasks of a category have
        succeeded, a task running longer than multiplier x their average is
        aborted and runs again elsewhere. multiplier <= 0 turns it off."""
        cdef double m = _number(multiplier, "multiplier")
        cdef int rc
        self._acquire()
        try:
            rc = work_queue_activate_fast_abort(self._q, m)
        finally:
            self._release()
        _check(rc, "fast abort")
        return rc

    def activate_fast_abort_category(self, category, multiplier) -> int:
        """Fast abort for one category (see activate_fast_abort)."""
        cdef bytes c = _text(category, "category")
        cdef double m = _number(multiplier, "multiplier")
        cdef int rc
        self._acquire()
        try:
            rc = work_queue_activate_fast_abort_category(self._q, c, m)
        finally:
            self._release()
        _check(rc, "fast abort for category %r" % category)
        return rc

    def block_host(self, host) -> None:
        """Give no new tasks to workers on host (host name, address, "ip:port"
        or worker id); tasks running there go on."""
        cdef bytes h = _text(host, "host")
        self._acquire()
        try:
            work_queue_block_host(self._q, h)
        finally:
            self._release()

    def block_host_with_timeout(self, host, timeout) -> None:
        """Block host for timeout seconds; the block then lifts by itself."""
        cdef bytes h = _text(host, "host")
        cdef int64_t s = _nonneg(timeout, "timeout")
        self._acquire()
        try:
            work_queue_block_host_with_timeout(self._q, h, s)
        finally:
            self._release()

    def unblock_host(self, host=None) -> None:
        """Lift the block on host, or on every host when host is None."""
        cdef bytes h = _text(host, "host") if host is not None else None
        self._acquire()
        try:
            if h is None:
                work_queue_unblock_all(self._q)
            else:
                work_queue_unblock_host(self._q, h)
        finally:
            self._release()

    def unblock_all(self) -> None:
        """Lift every block."""
        self.unblock_host(None)

    @cython.annotation_typing(False)
    def blacklist(self, host: str) -> None:
        """The original's older name of block_host(): give no new tasks to
        workers on host."""
        cdef bytes h = _text(host, "host")
        self._acquire()
        try:
            work_queue_blacklist_add(self._q, h)
        finally:
            self._release()

    @cython.annotation_typing(False)
    def blacklist_with_timeout(self, host: str, timeout: int) -> None:
        """The original's older name of block_host_with_timeout(): block host
        for timeout seconds; the block then lifts by itself."""
        cdef bytes h = _text(host, "host")
        cdef int64_t s = _nonneg(timeout, "timeout")
        self._acquire()
        try:
            work_queue_blacklist_add_with_timeout(self._q, h, <time_t>s)
        finally:
            self._release()

    @cython.annotation_typing(False)
    def blacklist_clear(self, host: str | None = None) -> None:
        """The original's older name of unblock_host(): lift the block on
        host, or on every host when host is None."""
        cdef bytes h = _text(host, "host") if host is not None else None
        self._acquire()
        try:
            if h is None:
                work_queue_blacklist_clear(self._q)
            else:
                work_queue_blacklist_remove(self._q, h)
        finally:
            self._release()

    @cython.annotation_typing(False)
    def task_state(self, taskid: int) -> int:
        """The state of the task with this id while the queue holds it:
        WORK_QUEUE_TASK_READY, _RUNNING or _WAITING_RETRIEVAL;
        WORK_QUEUE_TASK_UNKNOWN for an id the queue does not hold (never
        given, or already returned by wait or a cancel)."""
        if isinstance(taskid, bool) or not isinstance(taskid, int):
            raise TypeError("taskid must be an int, not %s" % type(taskid).__name__)
        if taskid <= 0 or taskid > INT_MAX:
            return WORK_QUEUE_TASK_UNKNOWN
        self._acquire()
        try:
            return <int>work_queue_task_state(self._q, <int>taskid)
        finally:
            self._release()

    @cython.annotation_typing(False)
    def specify_min_taskid(self, minid: int) -> int:
        """Tasks submitted from now on get ids >= minid (a minid at or
        below the next id changes nothing: ids never go down). Returns the
        id the next submitted task will get."""
        cdef int64_t m = _nonneg(minid, "minid")
        cdef int rc
        if m > INT_MAX:
            raise ValueError("minid must be at most %d (got %d)" % (INT_MAX, m))
        self._acquire()
        try:
            rc = work_queue_specify_min_taskid(self._q, <int>m)
        finally:
            self._release()
        if rc < 0:
            raise ValueError("the queue has given out every task id")
        return rc

    def specify_preferred_host_wait(self, seconds) -> None:
        """Seconds a task with preferred hosts waits for one (default 5)."""
        cdef int64_t s = _nonneg(seconds, "seconds")
        self._acquire()
        try:
            work_queue_specify_preferred_host_wait(self._q, s)
        finally:
            self._release()

    def specify_task_order(self, int order) -> None:
        """WORK_QUEUE_TASK_ORDER_FIFO (default) or _LIFO among equal priorities."""
        if order != WORK_QUEUE_TASK_ORDER_FIFO and order != WORK_QUEUE_TASK_ORDER_LIFO:
            raise ValueError("order must be WORK_QUEUE_TASK_ORDER_FIFO or _LIFO")
        self._acquire()
        try:
            work_queue_specify_task_order(self._q, order)
        finally:
            self._release()

    def specify_priority(self, int priority) -> None:
        """The queue's priority (reported in its stats)."""
        self._acquire()
        try:
            work_queue_specify_priority(self._q, priority)
        finally:
            self._release()

    def specify_keepalive_interval(self, interval) -> None:
        """Seconds of silence before the master checks on a worker."""
        cdef int64_t s = _nonneg(interval, "interval")
        self._acquire()
        try:
            work_queue_specify_keepalive_interval(self._q, <int>min(s, 0x7fffffff))
        finally:
            self._release()

    def specify_keepalive_timeout(self, timeout) -> None:
        """Seconds a worker has to answer a keepalive."""
        cdef int64_t s = _nonneg(timeout, "timeout")
        self._acquire()
        try:
            work_queue_specify_keepalive_timeout(self._q, <int>min(s, 0x7fffffff))
        finally:
            self._release()

    def specify_max_output_size(self, nbytes) -> None:
        """Bytes of a task's output kept (default 1 GiB); beyond, the output is
        truncated and the result is WORK_QUEUE_RESULT_STDOUT_MISSING."""
        cdef int64_t n = _nonneg(nbytes, "nbytes")
        cdef int rc
        self._acquire()
        try:
            rc = work_queue_specify_max_output_size(self._q, <uint64_t>n)
        finally:
            self._release()
        _check(rc, "max output size %d" % n)

    def specify_master_mode(self, int mode) -> None:
        """Accepted for compatibility (the catalog comes later)."""
        self._acquire()
        try:
            work_queue_specify_master_mode(self._q, mode)
        finally:
            self._release()

    def specify_catalog_server(self, hostname, int port) -> None:
        """Advertise to the catalog at hostname:port (only while the queue has
        a name). Replaces catalogs named before; CATALOG_HOST/CATALOG_PORT
        name one when this is never called."""
        cdef bytes h = _text(hostname, "hostname")
        if not h:
            raise ValueError("hostname must not be empty")
        if port < 1 or port > 65535:
            raise ValueError("port must be from 1 to 65535, not %d" % port)
        self._acquire()
        try:
            work_queue_specify_catalog_server(self._q, h, port)
        finally:
            self._release()

    def specify_catalog_servers(self, hosts) -> None:
        """Advertise to several catalogs: "host:port,host:port" (a port may be
        left out for the default 9097)."""
        cdef bytes h = _text(hosts, "hosts")
        if not h.strip(b" ,"):
            raise ValueError("hosts must name at least one catalog")
        self._acquire()
        try:
            work_queue_specify_catalog_servers(self._q, h)
        finally:
            self._release()

    def specify_catalog_update_interval(self, seconds) -> None:
        """Seconds between two advertisements to the catalogs (default 10)."""
        cdef int64_t s = _nonneg(seconds, "seconds")
        if s < 1:
            raise ValueError("seconds must be at least 1")
        self._acquire()
        try:
            work_queue_specify_catalog_update_interval(self._q, <int>min(s, 0x7fffffff))
        finally:
            self._release()

    def specify_log(self, path) -> None:
        """Write the performance log (docs/logs.md) to path: a header line,
        then the stats every few seconds while wait() runs. OSError naming
        the path if it cannot be opened."""
        cdef bytes p = _path(path, "path")
        cdef int ok
        cdef int err
        self._acquire()
        try:
            wqpy_errno_set(0)
            ok = work_queue_specify_log(self._q, p)
            err = wqpy_errno_get()
        finally:
            self._release()
        if not ok:
            _log_open_failed(err, "performance log", path)

    def specify_transactions_log(self, path) -> None:
        """Write the transactions log (docs/logs.md) to path: one line per
        task and worker event. OSError naming the path if it cannot be
        opened."""
        cdef bytes p = _path(path, "path")
        cdef int ok
        cdef int err
        self._acquire()
        try:
            wqpy_errno_set(0)
            ok = work_queue_specify_transactions_log(self._q, p)
            err = wqpy_errno_get()
        finally:
            self._release()
        if not ok:
            _log_open_failed(err, "transactions log", path)

    def _stats_json(self) -> str:
        """work_queue_get_stats_json(): the stats as the master reports them
        in JSON (the same text as its /summary fields)."""
        cdef char *j
        self._acquire()
        try:
            j = work_queue_get_stats_json(self._q)
        finally:
            self._release()
        if j == NULL:
            raise MemoryError()
        try:
            return (<bytes>j).decode("utf-8", "replace")
        finally:
            free(j)

    @property
    def port(self) -> int:
        """The port the queue listens on (the real one when asked for 0)."""
        if self._q == NULL:
            return -1
        return work_queue_port(self._q)

    @property
    def name(self):
        """The project name, or None."""
        if self._q == NULL:
            return None
        self._acquire()
        try:
            return _str_or_none(work_queue_name(self._q))
        finally:
            self._release()

    @property
    def closed(self) -> bool:
        return self._q == NULL

    def _stats_dict(self) -> dict:
        """The C stats struct as a dict of its fields."""
        cdef work_queue_stats s
        self._acquire()
        try:
            work_queue_get_stats(self._q, &s)
        finally:
            self._release()
        return s

    def _tasks_inside(self) -> int:
        """How many submitted tasks the queue holds."""
        return len(self._tasks)

    cdef int _delete(self, bint shutdown) except -1:
        """Take every task back (cancel), then delete the C queue."""
        cdef work_queue *q = self._q
        cdef work_queue_task *t
        cdef Task task
        if q == NULL:
            return 0
        if not PyThread_acquire_lock(self._lock, NOWAIT_LOCK):
            with nogil:
                PyThread_acquire_lock(self._lock, WAIT_LOCK)
        try:
            if shutdown:
                work_queue_shut_down_workers(q, 0)
            for tid, task in list(self._tasks.items()):
                t = work_queue_cancel_by_taskid(q, tid)
                if t == NULL:
                    task._t = NULL  # the C queue keeps it and deletes it
                task._queued = False
                wqpy_gc_retrack(task)
            self._tasks.clear()
            self._q = NULL
            work_queue_delete(q)
        finally:
            PyThread_release_lock(self._lock)
        return 0

    def _close(self, shutdown=False):
        """Delete the C queue; every task inside comes back to its owner."""
        self._delete(bool(shutdown))
