# cython: language_level=3, embedsignature=True, binding=True
# _core.pyx - the thin Cython layer over libworkqueue.
#
# It converts arguments, owns the C objects and maps errors to exceptions,
# nothing more; the Pythonic surface (WorkQueue with local workers, context
# manager, iteration, stats) is plain Python in __init__.py on top of _Queue.
#
# Ownership: a Task owns its C task from __cinit__ to __dealloc__, except
# between submit and the wait()/cancel that returns it, when the C queue owns
# it (Task._queued is set and the queue's dict keeps the Task alive, so
# __dealloc__ cannot run then). Closing a queue takes every task back with a
# cancel before deleting the C queue, so nothing is freed twice.
#
# Threads: the C queue is not thread-safe. Every call into it holds
# _Queue._lock; wait() holds it only for one short slice at a time (with the
# GIL released) and yields it between slices to threads that want it, so a
# thread can submit or cancel while another waits.

cimport cython
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.exc cimport PyErr_CheckSignals
from cpython.pythread cimport (PyThread_allocate_lock, PyThread_free_lock,
                               PyThread_acquire_lock, PyThread_release_lock,
                               WAIT_LOCK, NOWAIT_LOCK)
from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport free
from posix.unistd cimport usleep

import errno as _errno
import logging as _logging
import os as _os
import time as _time

_log = _logging.getLogger("work_queue")

# Longest slice of one wait() inside C, in ms: bounds how late Ctrl-C is
# noticed and how long another thread's submit may have to wait.
cdef enum:
    _SLICE_MS = 50

# ---- constants (the C header's names and values), exported as plain ints ----
# (a module attribute cannot share a name with the cimported C constant, so
# they go into the module dict by name)
cdef dict _CONSTANTS = {
    "WORK_QUEUE_DEFAULT_PORT": WORK_QUEUE_DEFAULT_PORT,
    "WORK_QUEUE_RANDOM_PORT": WORK_QUEUE_RANDOM_PORT,
    "WORK_QUEUE_WAITFORTASK": WORK_QUEUE_WAITFORTASK,
    "WORK_QUEUE_TASK_ORDER_FIFO": WORK_QUEUE_TASK_ORDER_FIFO,
    "WORK_QUEUE_TASK_ORDER_LIFO": WORK_QUEUE_TASK_ORDER_LIFO,
    "WORK_QUEUE_DEFAULT_KEEPALIVE_INTERVAL": WORK_QUEUE_DEFAULT_KEEPALIVE_INTERVAL,
    "WORK_QUEUE_DEFAULT_KEEPALIVE_TIMEOUT": WORK_QUEUE_DEFAULT_KEEPALIVE_TIMEOUT,
    "WORK_QUEUE_INPUT": WORK_QUEUE_INPUT,
    "WORK_QUEUE_OUTPUT": WORK_QUEUE_OUTPUT,
    "WORK_QUEUE_NOCACHE": WORK_QUEUE_NOCACHE,
    "WORK_QUEUE_CACHE": WORK_QUEUE_CACHE,
    "WORK_QUEUE_SYMLINK": WORK_QUEUE_SYMLINK,
    "WORK_QUEUE_PREEXIST": WORK_QUEUE_PREEXIST,
    "WORK_QUEUE_THIRDGET": WORK_QUEUE_THIRDGET,
    "WORK_QUEUE_THIRDPUT": WORK_QUEUE_THIRDPUT,
    "WORK_QUEUE_WATCH": WORK_QUEUE_WATCH,
    "WORK_QUEUE_FAILURE_ONLY": WORK_QUEUE_FAILURE_ONLY,
    "WORK_QUEUE_SUCCESS_ONLY": WORK_QUEUE_SUCCESS_ONLY,
    "WORK_QUEUE_SCHEDULE_UNSET": WORK_QUEUE_SCHEDULE_UNSET,
    "WORK_QUEUE_SCHEDULE_FCFS": WORK_QUEUE_SCHEDULE_FCFS,
    "WORK_QUEUE_SCHEDULE_FILES": WORK_QUEUE_SCHEDULE_FILES,
    "WORK_QUEUE_SCHEDULE_TIME": WORK_QUEUE_SCHEDULE_TIME,
    "WORK_QUEUE_SCHEDULE_RAND": WORK_QUEUE_SCHEDULE_RAND,
    "WORK_QUEUE_SCHEDULE_RANDOM": WORK_QUEUE_SCHEDULE_RAND,
    "WORK_QUEUE_SCHEDULE_WORST": WORK_QUEUE_SCHEDULE_WORST,
    "WORK_QUEUE_SCHEDULE_DEFAULT": WORK_QUEUE_SCHEDULE_DEFAULT,
    "WORK_QUEUE_RESULT_SUCCESS": WORK_QUEUE_RESULT_SUCCESS,
    "WORK_QUEUE_RESULT_INPUT_MISSING": WORK_QUEUE_RESULT_INPUT_MISSING,
    "WORK_QUEUE_RESULT_OUTPUT_MISSING": WORK_QUEUE_RESULT_OUTPUT_MISSING,
    "WORK_QUEUE_RESULT_STDOUT_MISSING": WORK_QUEUE_RESULT_STDOUT_MISSING,
    "WORK_QUEUE_RESULT_SIGNAL": WORK_QUEUE_RESULT_SIGNAL,
    "WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION": WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
    "WORK_QUEUE_RESULT_TASK_TIMEOUT": WORK_QUEUE_RESULT_TASK_TIMEOUT,
    "WORK_QUEUE_RESULT_UNKNOWN": WORK_QUEUE_RESULT_UNKNOWN,
    "WORK_QUEUE_RESULT_FORSAKEN": WORK_QUEUE_RESULT_FORSAKEN,
    "WORK_QUEUE_RESULT_MAX_RETRIES": WORK_QUEUE_RESULT_MAX_RETRIES,
    "WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME": WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME,
    "WORK_QUEUE_RESULT_DISK_ALLOC_FULL": WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
    "WORK_QUEUE_RESULT_RMONITOR_ERROR": WORK_QUEUE_RESULT_RMONITOR_ERROR,
    "WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR": WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR,
    "WORK_QUEUE_TASK_UNKNOWN": WORK_QUEUE_TASK_UNKNOWN,
    "WORK_QUEUE_TASK_READY": WORK_QUEUE_TASK_READY,
    "WORK_QUEUE_TASK_RUNNING": WORK_QUEUE_TASK_RUNNING,
    "WORK_QUEUE_TASK_WAITING_RETRIEVAL": WORK_QUEUE_TASK_WAITING_RETRIEVAL,
    "WORK_QUEUE_TASK_RETRIEVED": WORK_QUEUE_TASK_RETRIEVED,
    "WORK_QUEUE_TASK_DONE": WORK_QUEUE_TASK_DONE,
    "WORK_QUEUE_TASK_CANCELED": WORK_QUEUE_TASK_CANCELED,
}
globals().update(_CONSTANTS)

__version__ = (<bytes>work_queue_version()).decode()


class WorkQueueError(RuntimeError):
    """A failure of the C library with no closer Python exception;
    ``code`` holds the negative WQ_E* code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# ---- errors: the one place where C codes become exceptions ----

cdef dict _ERRORS = {
    WQ_ENOMEM: (MemoryError, 0),
    WQ_EINVAL: (ValueError, 0),
    WQ_ENOENT: (FileNotFoundError, _errno.ENOENT),
    WQ_EEXIST: (FileExistsError, _errno.EEXIST),
    WQ_ETIMEDOUT: (TimeoutError, _errno.ETIMEDOUT),
    WQ_EADDR: (OSError, _errno.EADDRINUSE),
    WQ_ENAME: (ValueError, 0),
    WQ_EFILE: (OSError, _errno.EIO),
    WQ_ECONNECT: (ConnectionError, _errno.ECONNREFUSED),
    WQ_ESTATE: (ValueError, 0),
    WQ_EINTR: (InterruptedError, _errno.EINTR),
}


def strerror(int code):
    """The library's sentence for a negative WQ_E* code."""
    return (<bytes>work_queue_strerror(code)).decode()


cdef int _check(int rc, what) except -1:
    """Raise the exception for a negative WQ_E* code rc, naming what failed."""
    if rc >= 0:
        return 0
    message = "%s: %s" % (what, strerror(rc))
    exc, err = _ERRORS.get(rc, (None, 0))
    if exc is None:
        raise WorkQueueError(rc, message)
    if err:
        raise exc(err, message)
    raise exc(message)


def result_str(int result):
    """The short name of a result code ("SUCCESS", "INPUT_MISSING", ...)."""
    return (<bytes>work_queue_result_str(<work_queue_result_t>result)).decode()


def specify_debug_log(path=None):
    """Send the C library's debug log (process-wide) to the file path, or to
    stderr when path is None or ""."""
    cdef bytes p = _path(path, "debug_log") if path else None
    _check(work_queue_specify_debug_log(_cstr(p)),
           "cannot open the debug log %r" % (path,))


# errno around a C call (a plain `errno = 0` in Cython code would make a
# Python local named errno, not set C's).
cdef extern from *:
    """
    #include <errno.h>
    static void wqpy_errno_set(int e) { errno = e; }
    static int wqpy_errno_get(void) { return errno; }
    """
    void wqpy_errno_set(int e) nogil
    int wqpy_errno_get() nogil


cdef int _log_open_failed(int err, str what, object path) except -1:
    """Raise the OSError for a log file the C side could not open (err: the
    errno it left, 0 if none), naming the path."""
    if err == 0:
        err = _errno.EIO
    raise OSError(err, "cannot open the %s: %s" % (what, _os.strerror(err)), _os.fspath(path))


# ---- argument conversion ----

cdef bytes _text(object s, str what):
    """A str or bytes argument as NUL-free bytes (TypeError/ValueError otherwise)."""
    cdef bytes b
    if isinstance(s, str):
        b = (<str>s).encode("utf-8", "surrogateescape")
    elif isinstance(s, bytes):
        b = <bytes>s
    else:
        raise TypeError("%s must be a str, not %s" % (what, type(s).__name__))
    if b"\0" in b:
        raise ValueError("%s must not contain a NUL character" % what)
    return b


cdef bytes _path(object p, str what):
    """A str, bytes or os.PathLike argument as NUL-free file-system bytes."""
    if not isinstance(p, (str, bytes)):
        if not hasattr(p, "__fspath__"):
            raise TypeError("%s must be a str or os.PathLike, not %s" % (what, type(p).__name__))
        p = _os.fspath(p)
    cdef bytes b = _os.fsencode(p)
    if not b:
        raise ValueError("%s must not be empty" % what)
    if b"\0" in b:
        raise ValueError("%s must not contain a NUL character" % what)
    return b


cdef int _flags(object flags, bint cache, object failure_only=None, object success_only=None) except -1:
    """The original's flag rule: flags (default NOCACHE) with the CACHE bit set
    or cleared by cache, plus FAILURE_ONLY/SUCCESS_ONLY when asked."""
    cdef int f
    if flags is None:
        f = WORK_QUEUE_NOCACHE
    elif isinstance(flags, int) and not isinstance(flags, bool):
        f = flags
    else:
        raise TypeError("flags must be an int, not %s" % type(flags).__name__)
    if f < 0:
        raise ValueError("flags must not be negative")
    if cache:
        f |= WORK_QUEUE_CACHE
    else:
        f &= ~WORK_QUEUE_CACHE
    if failure_only:
        f |= WORK_QUEUE_FAILURE_ONLY
    if success_only:
        f |= WORK_QUEUE_SUCCESS_ONLY
    return f


cdef int _file_type(object type_, int default) except -1:
    if type_ is None:
        return default
    if type_ is True or type_ is False or not isinstance(type_, int):
        raise TypeError("type must be WORK_QUEUE_INPUT or WORK_QUEUE_OUTPUT, not %r" % (type_,))
    if type_ != WORK_QUEUE_INPUT and type_ != WORK_QUEUE_OUTPUT:
        raise ValueError("type must be WORK_QUEUE_INPUT (0) or WORK_QUEUE_OUTPUT (1), not %r" % (type_,))
    return type_


cdef int _algorithm(object a) except -1:
    if a is True or a is False or not isinstance(a, int):
        raise TypeError("algorithm must be a WORK_QUEUE_SCHEDULE_* constant, not %r" % (a,))
    if a < WORK_QUEUE_SCHEDULE_UNSET or a > WORK_QUEUE_SCHEDULE_WORST:
        raise ValueError("algorithm must be a WORK_QUEUE_SCHEDULE_* constant (0..5), not %r" % (a,))
    return a


cdef int64_t _nonneg(object v, str what) except? -1:
    """An int argument that must be >= 0 (TypeError for other types)."""
    if v is True or v is False or not isinstance(v, int):
        if not hasattr(v, "__index__"):
            raise TypeError("%s must be an int, not %s" % (what, type(v).__name__))
        v = v.__index__()
    if v < 0:
        raise ValueError("%s must not be negative (got %d)" % (what, v))
    return v


cdef double _number(object v, str what) except? -1.0:
    """A number argument (int or float, not bool)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("%s must be a number, not %s" % (what, type(v).__name__))
    return <double>v


cdef inline const char *_cstr(bytes b) noexcept:
    """NULL for None, else the bytes' buffer (valid while b is referenced)."""
    if b is None:
        return NULL
    return PyBytes_AS_STRING(b)


cdef str _str_or_none(const char *s):
    if s == NULL:
        return None
    return (<bytes>s).decode("utf-8", "surrogateescape")


# ---- tasks ----

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


# ---- queues ----

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
            self._tasks.clear()
            self._q = NULL
            work_queue_delete(q)
        finally:
            PyThread_release_lock(self._lock)
        return 0

    def _close(self, shutdown=False):
        """Delete the C queue; every task inside comes back to its owner."""
        self._delete(bool(shutdown))
