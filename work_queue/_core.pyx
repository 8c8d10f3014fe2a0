# cython: language_level=3, embedsignature=True, binding=True
# _core.pyx - the thin Cython layer over libworkqueue.
#
# It converts arguments, owns the C objects and maps errors to exceptions,
# nothing more; the Pythonic surface (WorkQueue with local workers, context
# manager, iteration, stats) is plain Python in __init__.py on top of _Queue.
#
# Layout: this file holds the module header, the constants, the error mapping
# and the argument converters; the two extension classes are in _task.pxi
# (Task) and _queue.pxi (_Queue), included at the bottom; their declarations
# are in _core.pxd.
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


# Garbage-collector tracking of queued tasks. A million queued Task objects
# tracked by the cyclic collector cost more than the submits themselves (each
# full collection walks them all: 300k submits/s instead of 500k+). A plain
# Task with no attributes of its own references only strings and None, so no
# reference cycle can pass through it: while the queue holds it, it is taken
# off the collector's lists, and put back when wait() or a cancel returns it.
# Subclasses and tasks carrying attributes stay tracked.
cdef extern from *:
    """
    static int wqpy_gc_untrack_plain(PyObject *o, PyTypeObject *plain)
    {
        if (Py_TYPE(o) != plain || !PyObject_GC_IsTracked(o))
            return 0;
        if (plain->tp_dictoffset > 0) {
            PyObject *d = *(PyObject **)((char *)o + plain->tp_dictoffset);
            if (d != NULL && PyDict_GET_SIZE(d) != 0)
                return 0;
        }
        PyObject_GC_UnTrack(o);
        return 1;
    }
    static void wqpy_gc_retrack(PyObject *o)
    {
        if (!PyObject_GC_IsTracked(o))
            PyObject_GC_Track(o);
    }
    """
    int wqpy_gc_untrack_plain(object o, type plain)
    void wqpy_gc_retrack(object o)


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


# ---- the extension classes, one file each (included textually, so they
# share this module's cimports, constants and helpers) ----

include "_task.pxi"
include "_queue.pxi"
