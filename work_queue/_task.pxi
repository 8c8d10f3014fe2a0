# _task.pxi - cdef class Task: one C task, its files, resources and results.
#
# Included by _core.pyx, never compiled on its own: it uses the module's
# cimports, _check() and the argument converters defined there. The
# ownership rules are in the comment at the top of _core.pyx.


@cython.freelist(64)
cdef class Task:
    """A task: a shell command with its input and output files.

    ``Task(command)`` makes a task that runs command with ``/bin/sh -c`` on
    a worker. Specify its files and resources, hand it to
    ``WorkQueue.submit()``; ``WorkQueue.wait()`` returns this very object
    (subclass Task or set attributes on it freely) once it has run. A task
    returned by wait() may be submitted again.

    Results (``result``, ``return_status``, ``output``, ``host``, times and
    byte counts) are read once wait() has returned the task; while it is in
    a queue they read as None or 0. ``output`` is the command's stdout and
    stderr together; for a task whose local input was missing (result
    ``WORK_QUEUE_RESULT_INPUT_MISSING``) it is a message naming the file.
    """

    def __cinit__(self, *args, **kwargs):
        self._t = work_queue_task_create(NULL)
        if self._t == NULL:
            raise MemoryError()
        self._queued = False

    def __init__(self, command=None):
        if command is not None:
            work_queue_task_specify_command(self._t, _text(command, "command"))

    def __dealloc__(self):
        # Never free a task a queue holds (it cannot happen: the queue's dict
        # keeps us alive; leaking beats a double free if it ever did).
        if self._t != NULL and not self._queued:
            work_queue_task_delete(self._t)
        self._t = NULL

    cdef int _modifiable(self) except -1:
        if self._t == NULL:
            raise ValueError("this task was deleted with its queue")
        if self._queued:
            raise ValueError("task %d is in a queue: it cannot be changed until "
                             "wait() or a cancel returns it" % self.id)
        return 0

    cdef int _spec_ok(self, int ok, str what, bytes remote) except -1:
        if not ok:
            raise ValueError("%s: remote name %r is invalid (empty, absolute, containing "
                             "'..', or already used by another %s of this task)"
                             % (what, remote.decode("utf-8", "replace"), what.split()[-1]))
        return 0

    def clone(self):
        """A new Task with this task's specification (not its results)."""
        if self._t == NULL:
            raise ValueError("this task was deleted with its queue")
        cdef Task c = Task.__new__(Task)
        cdef work_queue_task *t = work_queue_task_clone(self._t)
        if t == NULL:
            raise MemoryError()
        work_queue_task_delete(c._t)
        c._t = t
        c._locals = list(self._locals) if self._locals is not None else None
        return c

    def specify_command(self, command) -> None:
        """Set the shell command."""
        self._modifiable()
        work_queue_task_specify_command(self._t, _text(command, "command"))

    def specify_file(self, local_name, remote_name=None, type=None, flags=None,
                     cache=True, failure_only=None):
        """A file the task reads (type WORK_QUEUE_INPUT, the default) or makes
        (WORK_QUEUE_OUTPUT). remote_name is its name in the task's sandbox
        (default: the local name's base name). cache=True keeps an input in
        the worker's cache for later tasks. Returns 1; raises ValueError for
        a bad or duplicate remote name."""
        self._modifiable()
        cdef bytes local = _path(local_name, "local_name")
        cdef bytes remote = _path(remote_name if remote_name is not None
                                  else _os.path.basename(local), "remote_name")
        cdef int ty = _file_type(type, WORK_QUEUE_INPUT)
        cdef int fl = _flags(flags, cache, failure_only)
        self._spec_ok(work_queue_task_specify_file(self._t, local, remote,
                                                   <work_queue_file_type_t>ty,
                                                   <work_queue_file_flags_t>fl),
                      "input file" if ty == WORK_QUEUE_INPUT else "output file", remote)
        if ty == WORK_QUEUE_INPUT:
            if self._locals is None:
                self._locals = []
            self._locals.append(local)
        return 1

    def specify_input_file(self, local_name, remote_name=None, flags=None, cache=True) -> int:
        """A local file sent to the task as remote_name (see specify_file)."""
        return self.specify_file(local_name, remote_name, WORK_QUEUE_INPUT, flags, cache)

    def specify_output_file(self, local_name, remote_name=None, flags=None, cache=False,
                            failure_only=None) -> int:
        """A file the task makes, brought back to local_name (see specify_file)."""
        return self.specify_file(local_name, remote_name, WORK_QUEUE_OUTPUT, flags, cache,
                                 failure_only)

    def specify_directory(self, local_name, remote_name=None, type=None, flags=None,
                          recursive=False, cache=True) -> int:
        """A directory: an input sent whole when recursive, else made empty in
        the sandbox; an output brought back whole. Returns 1."""
        self._modifiable()
        cdef bytes local = _path(local_name, "local_name")
        cdef bytes remote = _path(remote_name if remote_name is not None
                                  else _os.path.basename(local.rstrip(b"/")), "remote_name")
        cdef int ty = _file_type(type, WORK_QUEUE_INPUT)
        cdef int fl = _flags(flags, cache)
        self._spec_ok(work_queue_task_specify_directory(self._t, local, remote,
                                                        <work_queue_file_type_t>ty,
                                                        <work_queue_file_flags_t>fl,
                                                        1 if recursive else 0),
                      "input directory" if ty == WORK_QUEUE_INPUT else "output directory", remote)
        if ty == WORK_QUEUE_INPUT and recursive:
            if self._locals is None:
                self._locals = []
            self._locals.append(local)
        return 1

    def specify_buffer(self, buffer, remote_name, flags=None, cache=True) -> int:
        """An input file made from buffer: any C-contiguous buffer-protocol
        object (bytes, bytearray, memoryview, a numpy array) is read in place
        and copied once by the C library; a str is sent UTF-8 encoded."""
        self._modifiable()
        cdef bytes remote = _path(remote_name, "remote_name")
        cdef int fl = _flags(flags, cache)
        cdef Py_buffer view
        cdef int ok
        if isinstance(buffer, str):
            buffer = (<str>buffer).encode("utf-8")
        try:
            PyObject_GetBuffer(buffer, &view, PyBUF_SIMPLE)
        except (BufferError, ValueError) as e:
            raise TypeError("buffer must be a C-contiguous buffer-protocol object "
                            "(bytes, bytearray, memoryview, numpy array): %s" % e) from None
        except TypeError:
            raise TypeError("buffer must be a bytes-like object or str, not %s"
                            % type(buffer).__name__) from None
        try:
            ok = work_queue_task_specify_buffer_size(self._t, view.buf, <uint64_t>view.len,
                                                     remote, <work_queue_file_flags_t>fl)
        finally:
            PyBuffer_Release(&view)
        self._spec_ok(ok, "input buffer", remote)
        return 1

    def specify_url(self, url, remote_name, type=None, flags=None, cache=True) -> int:
        """An input the worker fetches over HTTP from url into remote_name."""
        self._modifiable()
        cdef bytes u = _text(url, "url")
        cdef bytes remote = _path(remote_name, "remote_name")
        cdef int ty = _file_type(type, WORK_QUEUE_INPUT)
        cdef int fl = _flags(flags, cache)
        self._spec_ok(work_queue_task_specify_url(self._t, u, remote, <work_queue_file_type_t>ty,
                                                  <work_queue_file_flags_t>fl),
                      "url input", remote)
        return 1

    def specify_file_command(self, remote_name, cmd, type=None, flags=None, cache=True) -> int:
        """An input the worker makes by running the shell command cmd, in
        which %% stands for the file's path."""
        self._modifiable()
        cdef bytes remote = _path(remote_name, "remote_name")
        cdef bytes c = _text(cmd, "cmd")
        cdef int ty = _file_type(type, WORK_QUEUE_INPUT)
        cdef int fl = _flags(flags, cache)
        self._spec_ok(work_queue_task_specify_file_command(self._t, remote, c,
                                                           <work_queue_file_type_t>ty,
                                                           <work_queue_file_flags_t>fl),
                      "command input", remote)
        return 1

    def specify_tag(self, tag) -> None:
        """A free-form tag (see WorkQueue.wait_for_tag and cancel_by_tasktag)."""
        self._modifiable()
        work_queue_task_specify_tag(self._t, _text(tag, "tag"))

    def specify_category(self, category) -> None:
        """The task's category name."""
        self._modifiable()
        work_queue_task_specify_category(self._t, _text(category, "category"))

    def specify_algorithm(self, algorithm) -> None:
        """A WORK_QUEUE_SCHEDULE_* policy for this task alone."""
        self._modifiable()
        work_queue_task_specify_algorithm(self._t, <work_queue_schedule_t>_algorithm(algorithm))

    def specify_preferred_host(self, hostname) -> None:
        """Prefer workers on this host (host name, address, "ip:port" or worker
        id; call again to add more). The task waits for one of them up to the
        queue's preferred-host wait, then goes anywhere."""
        self._modifiable()
        work_queue_task_specify_preferred_host(self._t, _text(hostname, "hostname"))

    def specify_cores(self, cores) -> None:
        """Cores the task needs (an int >= 0)."""
        self._modifiable()
        cdef int64_t n = _nonneg(cores, "cores")
        if n > 0x7fffffff:
            raise ValueError("cores is too large (got %d)" % n)
        work_queue_task_specify_cores(self._t, <int>n)

    def specify_memory(self, memory) -> None:
        """Memory the task needs, in MB (an int >= 0)."""
        self._modifiable()
        work_queue_task_specify_memory(self._t, _nonneg(memory, "memory"))

    def specify_disk(self, disk) -> None:
        """Disk the task needs, in MB (an int >= 0)."""
        self._modifiable()
        work_queue_task_specify_disk(self._t, _nonneg(disk, "disk"))

    def specify_gpus(self, gpus) -> None:
        """GPUs the task needs (an int >= 0)."""
        self._modifiable()
        cdef int64_t n = _nonneg(gpus, "gpus")
        if n > 0x7fffffff:
            raise ValueError("gpus is too large (got %d)" % n)
        work_queue_task_specify_gpus(self._t, <int>n)

    def specify_priority(self, priority) -> None:
        """Priority: tasks with higher priority are dispatched first."""
        self._modifiable()
        if not isinstance(priority, (int, float)) or isinstance(priority, bool):
            raise TypeError("priority must be a number, not %s" % type(priority).__name__)
        work_queue_task_specify_priority(self._t, <double>priority)

    def specify_max_retries(self, max_retries) -> None:
        """How many times the task is tried again after a lost worker (0: for ever)."""
        self._modifiable()
        work_queue_task_specify_max_retries(self._t, _nonneg(max_retries, "max_retries"))

    def specify_running_time_max(self, seconds) -> None:
        """Kill the task after it has run this many seconds (0: no limit)."""
        self._modifiable()
        work_queue_task_specify_running_time_max(self._t, _nonneg(seconds, "seconds"))

    def specify_end_time(self, useconds) -> None:
        """Give up on the task at this absolute time, in microseconds since the
        epoch (0: never)."""
        self._modifiable()
        work_queue_task_specify_end_time(self._t, _nonneg(useconds, "end time"))

    def specify_environment_variable(self, name, value=None) -> None:
        """Set name=value in the task's environment (value None: empty)."""
        self._modifiable()
        cdef bytes n = _text(name, "name")
        if not n or b"=" in n:
            raise ValueError("environment variable name %r is invalid" % (name,))
        cdef bytes v = _text(value, "value") if value is not None else None
        work_queue_task_specify_environment_variable(self._t, n, _cstr(v))

    # -- read-only properties --

    @property
    def id(self) -> int:
        """The task id given at submit (0 before)."""
        return work_queue_task_get_taskid(self._t) if self._t != NULL else 0

    @property
    def taskid(self) -> int:
        """Alias of id."""
        return self.id

    @property
    def command(self):
        """The shell command."""
        return _str_or_none(work_queue_task_get_command(self._t)) if self._t != NULL else None

    @property
    def tag(self):
        """The tag, or None."""
        return _str_or_none(work_queue_task_get_tag(self._t)) if self._t != NULL else None

    @property
    def category(self):
        """The category, or None."""
        return _str_or_none(work_queue_task_get_category(self._t)) if self._t != NULL else None

    cdef bint _results(self):
        return self._t != NULL and not self._queued

    @property
    def result(self) -> int:
        """The result code (WORK_QUEUE_RESULT_*); 0 also before completion."""
        return work_queue_task_get_result(self._t) if self._results() else 0

    @property
    def result_str(self) -> str:
        """The result code's name ("SUCCESS", "INPUT_MISSING", ...)."""
        return result_str(self.result)

    @property
    def return_status(self) -> int:
        """The command's exit code (the signal number for RESULT_SIGNAL)."""
        return work_queue_task_get_return_status(self._t) if self._results() else 0

    @property
    def output(self):
        """The command's stdout and stderr, decoded as UTF-8 (invalid bytes
        replaced); for a missing local input, a message naming it; None
        before completion."""
        if not self._results():
            return None
        cdef const char *p = work_queue_task_get_output(self._t)
        cdef uint64_t n = work_queue_task_get_output_length(self._t)
        out = PyBytes_FromStringAndSize(p, <Py_ssize_t>n).decode("utf-8", "replace") if p != NULL else None
        if self._note is not None:
            return self._note if not out else self._note + "\n" + out
        return out

    @property
    def output_bytes(self):
        """The command's output as bytes, or None before completion."""
        if not self._results():
            return None
        cdef const char *p = work_queue_task_get_output(self._t)
        if p == NULL:
            return None
        return PyBytes_FromStringAndSize(p, <Py_ssize_t>work_queue_task_get_output_length(self._t))

    @property
    def missing_inputs(self) -> list:
        """For a task returned with RESULT_INPUT_MISSING: the local inputs that
        did not exist (paths as given); else []."""
        if not self._results() or self.result != WORK_QUEUE_RESULT_INPUT_MISSING or not self._locals:
            return []
        return [_os.fsdecode(p) for p in self._locals if not _os.path.exists(p)]

    @property
    def host(self):
        """"ip:port" of the worker that ran the task last."""
        return _str_or_none(work_queue_task_get_host(self._t)) if self._results() else None

    @property
    def hostname(self):
        """The host name of the worker that ran the task last."""
        return _str_or_none(work_queue_task_get_hostname(self._t)) if self._results() else None

    @property
    def state(self) -> int:
        """The WORK_QUEUE_TASK_* state (READY while queued)."""
        if self._t == NULL:
            return WORK_QUEUE_TASK_UNKNOWN
        return WORK_QUEUE_TASK_READY if self._queued else work_queue_task_get_state(self._t)

    @property
    def cores(self) -> int:
        """Declared cores (-1: not declared)."""
        return work_queue_task_get_cores(self._t) if self._t != NULL else -1

    @property
    def memory(self) -> int:
        """Declared memory in MB (-1: not declared)."""
        return work_queue_task_get_memory(self._t) if self._t != NULL else -1

    @property
    def disk(self) -> int:
        """Declared disk in MB (-1: not declared)."""
        return work_queue_task_get_disk(self._t) if self._t != NULL else -1

    @property
    def gpus(self) -> int:
        """Declared gpus (-1: not declared)."""
        return work_queue_task_get_gpus(self._t) if self._t != NULL else -1

    @property
    def priority(self) -> float:
        return work_queue_task_get_priority(self._t) if self._t != NULL else 0.0

    @property
    def max_retries(self) -> int:
        return work_queue_task_get_max_retries(self._t) if self._t != NULL else 0

    @property
    def try_count(self) -> int:
        """How many times the task was sent to a worker."""
        return work_queue_task_get_try_count(self._t) if self._results() else 0

    cdef uint64_t _time(self, const char *which):
        return work_queue_task_get_time(self._t, which) if self._results() else 0

    @property
    def submit_time(self) -> int:
        """When the task was submitted (microseconds since the epoch; 0: not yet)."""
        return self._time(b"submit")

    @property
    def send_input_start(self) -> int:
        """When the task was sent to its worker (last run)."""
        return self._time(b"dispatch")

    @property
    def last_dispatch_time(self) -> int:
        """Alias of send_input_start."""
        return self._time(b"dispatch")

    @property
    def execute_cmd_start(self) -> int:
        """When the command started on the worker."""
        return self._time(b"start")

    @property
    def execute_cmd_finish(self) -> int:
        """When the command ended on the worker."""
        return self._time(b"end")

    @property
    def finish_time(self) -> int:
        """When the result reached the master."""
        return self._time(b"done")

    @property
    def cmd_execution_time(self) -> int:
        """Microseconds the command ran (0 if unknown)."""
        s, e = self._time(b"start"), self._time(b"end")
        return e - s if s and e >= s else 0

    @property
    def total_bytes_sent(self) -> int:
        """Bytes sent master -> worker in the last run."""
        return work_queue_task_get_bytes_sent(self._t) if self._results() else 0

    @property
    def total_bytes_received(self) -> int:
        """Bytes received worker -> master in the last run."""
        return work_queue_task_get_bytes_received(self._t) if self._results() else 0

    @property
    def total_bytes_transferred(self) -> int:
        return self.total_bytes_sent + self.total_bytes_received

    def __repr__(self):
        cdef str name = type(self).__name__
        if self._t == NULL:
            return "<%s deleted>" % name
        cmd = self.command
        if cmd is not None and len(cmd) > 60:
            cmd = cmd[:57] + "..."
        if self._queued:
            return "<%s %d %r queued>" % (name, self.id, cmd)
        if self.id == 0:
            return "<%s %r not submitted>" % (name, cmd)
        st = work_queue_task_get_state(self._t)
        if st == WORK_QUEUE_TASK_DONE or st == WORK_QUEUE_TASK_RETRIEVED:
            return "<%s %d %r result=%s exit=%d>" % (name, self.id, cmd, self.result_str,
                                                     self.return_status)
        return "<%s %d %r %s>" % (name, self.id, cmd,
                                  (<bytes>work_queue_task_state_str(st)).decode().lower())

    def __reduce__(self):
        raise TypeError("a Task cannot be pickled (it wraps a C object)")
