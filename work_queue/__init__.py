"""work_queue: a master/worker framework for scientific ensembles.

A program (the master) makes a :class:`WorkQueue`, submits :class:`Task`
objects (shell commands with input and output files) and collects them with
``wait()`` as workers (``wq_worker``, on this machine or anywhere that can
reach the master's port) run them::

    from work_queue import *
    wq = WorkQueue(port=0, local_workers=2)     # or: wq_worker HOST PORT elsewhere
    task = Task('date > output.txt')
    task.specify_output_file('output.txt')
    wq.submit(task)
    while not wq.empty():
        task = wq.wait(1)
        if task:
            print(task.command, task.result)

Names, constants and defaults follow CCTools Work Queue 8.0's Python module.
The C queue runs inside ``wait()``; other threads may submit or cancel while
one thread waits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import types
from typing import Iterator, Union

from . import _core
from ._core import (
    Task,
    WorkQueueError,
    _Queue,
    result_str,
    specify_debug_log,
    strerror,
)

__version__: str = _core.__version__

# The constants, as plain ints with the original's names and values.
WORK_QUEUE_DEFAULT_PORT: int = _core.WORK_QUEUE_DEFAULT_PORT
WORK_QUEUE_RANDOM_PORT: int = _core.WORK_QUEUE_RANDOM_PORT
WORK_QUEUE_WAITFORTASK: int = _core.WORK_QUEUE_WAITFORTASK
WORK_QUEUE_TASK_ORDER_FIFO: int = _core.WORK_QUEUE_TASK_ORDER_FIFO
WORK_QUEUE_TASK_ORDER_LIFO: int = _core.WORK_QUEUE_TASK_ORDER_LIFO
WORK_QUEUE_DEFAULT_KEEPALIVE_INTERVAL: int = _core.WORK_QUEUE_DEFAULT_KEEPALIVE_INTERVAL
WORK_QUEUE_DEFAULT_KEEPALIVE_TIMEOUT: int = _core.WORK_QUEUE_DEFAULT_KEEPALIVE_TIMEOUT
WORK_QUEUE_INPUT: int = _core.WORK_QUEUE_INPUT
WORK_QUEUE_OUTPUT: int = _core.WORK_QUEUE_OUTPUT
WORK_QUEUE_NOCACHE: int = _core.WORK_QUEUE_NOCACHE
WORK_QUEUE_CACHE: int = _core.WORK_QUEUE_CACHE
WORK_QUEUE_SYMLINK: int = _core.WORK_QUEUE_SYMLINK
WORK_QUEUE_PREEXIST: int = _core.WORK_QUEUE_PREEXIST
WORK_QUEUE_THIRDGET: int = _core.WORK_QUEUE_THIRDGET
WORK_QUEUE_THIRDPUT: int = _core.WORK_QUEUE_THIRDPUT
WORK_QUEUE_WATCH: int = _core.WORK_QUEUE_WATCH
WORK_QUEUE_FAILURE_ONLY: int = _core.WORK_QUEUE_FAILURE_ONLY
WORK_QUEUE_SUCCESS_ONLY: int = _core.WORK_QUEUE_SUCCESS_ONLY
WORK_QUEUE_SCHEDULE_UNSET: int = _core.WORK_QUEUE_SCHEDULE_UNSET
WORK_QUEUE_SCHEDULE_FCFS: int = _core.WORK_QUEUE_SCHEDULE_FCFS
WORK_QUEUE_SCHEDULE_FILES: int = _core.WORK_QUEUE_SCHEDULE_FILES
WORK_QUEUE_SCHEDULE_TIME: int = _core.WORK_QUEUE_SCHEDULE_TIME
WORK_QUEUE_SCHEDULE_RAND: int = _core.WORK_QUEUE_SCHEDULE_RAND
WORK_QUEUE_SCHEDULE_RANDOM: int = _core.WORK_QUEUE_SCHEDULE_RANDOM
WORK_QUEUE_SCHEDULE_WORST: int = _core.WORK_QUEUE_SCHEDULE_WORST
WORK_QUEUE_SCHEDULE_DEFAULT: int = _core.WORK_QUEUE_SCHEDULE_DEFAULT
WORK_QUEUE_RESULT_SUCCESS: int = _core.WORK_QUEUE_RESULT_SUCCESS
WORK_QUEUE_RESULT_INPUT_MISSING: int = _core.WORK_QUEUE_RESULT_INPUT_MISSING
WORK_QUEUE_RESULT_OUTPUT_MISSING: int = _core.WORK_QUEUE_RESULT_OUTPUT_MISSING
WORK_QUEUE_RESULT_STDOUT_MISSING: int = _core.WORK_QUEUE_RESULT_STDOUT_MISSING
WORK_QUEUE_RESULT_SIGNAL: int = _core.WORK_QUEUE_RESULT_SIGNAL
WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION: int = _core.WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION
WORK_QUEUE_RESULT_TASK_TIMEOUT: int = _core.WORK_QUEUE_RESULT_TASK_TIMEOUT
WORK_QUEUE_RESULT_UNKNOWN: int = _core.WORK_QUEUE_RESULT_UNKNOWN
WORK_QUEUE_RESULT_FORSAKEN: int = _core.WORK_QUEUE_RESULT_FORSAKEN
WORK_QUEUE_RESULT_MAX_RETRIES: int = _core.WORK_QUEUE_RESULT_MAX_RETRIES
WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME: int = _core.WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME
WORK_QUEUE_RESULT_DISK_ALLOC_FULL: int = _core.WORK_QUEUE_RESULT_DISK_ALLOC_FULL
WORK_QUEUE_RESULT_RMONITOR_ERROR: int = _core.WORK_QUEUE_RESULT_RMONITOR_ERROR
WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR: int = _core.WORK_QUEUE_RESULT_OUTPUT_TRANSFER_ERROR
WORK_QUEUE_TASK_UNKNOWN: int = _core.WORK_QUEUE_TASK_UNKNOWN
WORK_QUEUE_TASK_READY: int = _core.WORK_QUEUE_TASK_READY
WORK_QUEUE_TASK_RUNNING: int = _core.WORK_QUEUE_TASK_RUNNING
WORK_QUEUE_TASK_WAITING_RETRIEVAL: int = _core.WORK_QUEUE_TASK_WAITING_RETRIEVAL
WORK_QUEUE_TASK_RETRIEVED: int = _core.WORK_QUEUE_TASK_RETRIEVED
WORK_QUEUE_TASK_DONE: int = _core.WORK_QUEUE_TASK_DONE
WORK_QUEUE_TASK_CANCELED: int = _core.WORK_QUEUE_TASK_CANCELED

__all__ = [
    "WorkQueue",
    "Task",
    "WorkQueueError",
    "WorkQueueStats",
    "result_str",
    "strerror",
    "specify_debug_log",
    "worker_path",
    "catalog_server_path",
] + [name for name in dir(_core) if name.startswith("WORK_QUEUE_")]

_PathArg = Union[str, "os.PathLike[str]"]


def _packaged_program(name: str, what: str) -> str:
    """The path of the executable bin/name shipped inside this package."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"the packaged {what} is missing: {path} (reinstall work_queue)")
    if not os.access(path, os.X_OK):
        raise PermissionError(f"the packaged {what} is not executable: {path}")
    return path


def worker_path() -> str:
    """The path of the wq_worker binary shipped inside this package."""
    return _packaged_program("wq_worker", "worker")


def catalog_server_path() -> str:
    """The path of the wq_catalog_server binary shipped inside this package."""
    return _packaged_program("wq_catalog_server", "catalog server")


def _worker_main() -> None:
    """Console scripts wq_worker and work_queue_worker: exec the packaged worker."""
    path = worker_path()
    name = os.path.basename(sys.argv[0]) or "wq_worker"
    os.execv(path, [name] + sys.argv[1:])


def _catalog_server_main() -> None:
    """Console script wq_catalog_server: exec the packaged catalog server."""
    path = catalog_server_path()
    os.execv(path, ["wq_catalog_server"] + sys.argv[1:])


class WorkQueueStats(types.SimpleNamespace):
    """A snapshot of a queue's statistics: the fields of the C struct
    work_queue_stats, with the original's names and older aliases
    (``tasks_complete``, ``total_tasks_dispatched``, ...). Times are in
    microseconds."""

    def __repr__(self) -> str:
        keys = ("workers_connected", "tasks_waiting", "tasks_running", "tasks_with_results",
                "tasks_submitted", "tasks_done", "tasks_failed")
        return "WorkQueueStats(%s, ...)" % ", ".join(f"{k}={getattr(self, k)}" for k in keys)


class WorkQueue(_Queue):
    """A queue of tasks and the port its workers connect to.

    ``WorkQueue(port=WORK_QUEUE_DEFAULT_PORT, name=None, shutdown=False,
    stats_log=None, transactions_log=None, debug_log=None)`` listens on port
    (0: any free port; see ``.port``). ``name`` sets the project name (a
    named queue advertises itself to the catalogs, see below);
    ``shutdown=True`` asks the connected workers to exit when the queue
    closes; ``stats_log`` and ``transactions_log`` write the performance and
    transactions logs (docs/logs.md) to those files; ``debug_log`` sends the
    C library's debug log to that file ("" for stderr).

    Keywords beyond the original: ``catalog`` names the catalogs to advertise
    to, as "host:port,host:port" or a (host, port) pair (else
    CATALOG_HOST/CATALOG_PORT; no catalog is contacted when none is named);
    ``address`` listens on one address only (default: every interface);
    ``local_workers=n`` starts n wq_worker processes on this machine (from
    the installed package) connected to 127.0.0.1, each offering
    ``local_worker_cores`` cores (default 1). Closing the queue
    (``close()``, the end of a ``with`` block, or garbage collection) stops
    and reaps them.

    Raises OSError when the port is in use or a log cannot be opened (naming
    the file), TypeError/ValueError for bad arguments.
    """

    def __init__(
        self,
        port: int = WORK_QUEUE_DEFAULT_PORT,
        name: str | None = None,
        shutdown: bool = False,
        stats_log: _PathArg | None = None,
        transactions_log: _PathArg | None = None,
        debug_log: _PathArg | None = None,
        *,
        catalog: str | tuple[str, int] | None = None,
        address: str | None = None,
        local_workers: int = 0,
        local_worker_cores: int = 1,
    ) -> None:
        self._shutdown = bool(shutdown)
        self._workers: list[subprocess.Popen] = []
        self._workdir: str | None = None
        if isinstance(local_workers, bool) or not isinstance(local_workers, int):
            raise TypeError(f"local_workers must be an int, not {type(local_workers).__name__}")
        if local_workers < 0:
            raise ValueError(f"local_workers must not be negative (got {local_workers})")
        if debug_log is not None:
            specify_debug_log(debug_log)
        if catalog is not None and not isinstance(catalog, (str, tuple)):
            raise TypeError(f"catalog must be a str or a (host, port) tuple, not {type(catalog).__name__}")
        self._open(port, address)
        try:
            # catalogs before the name: the first advertisement goes to them;
            # the name before the logs: the transactions log's START names it
            if isinstance(catalog, tuple):
                self.specify_catalog_server(*catalog)
            elif catalog is not None:
                self.specify_catalog_servers(catalog)
            if name is not None:
                self.specify_name(name)
            if stats_log is not None:
                self.specify_log(stats_log)
            if transactions_log is not None:
                self.specify_transactions_log(transactions_log)
            if local_workers:
                self.start_local_workers(local_workers, cores=local_worker_cores)
        except BaseException:
            self.close()
            raise

    # -- the embedded default: workers on this machine --

    def start_local_workers(
        self,
        n: int,
        cores: int = 1,
        memory: int | None = None,
        disk: int | None = None,
        timeout: int = 3600,
    ) -> list[subprocess.Popen]:
        """Start n wq_worker processes (the one in this package, not PATH's)
        connected to this queue on 127.0.0.1, each offering ``cores`` cores
        (and ``memory``/``disk`` MB when given). They exit when the queue
        closes; close() also stops and reaps them. Returns their Popen
        objects."""
        for what, v in (("n", n), ("cores", cores), ("timeout", timeout)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{what} must be an int, not {type(v).__name__}")
        if n < 0 or cores < 1 or timeout < 1:
            raise ValueError("n must be >= 0, cores and timeout >= 1")
        if self.closed:
            raise ValueError("the queue is closed")
        exe = worker_path()
        if self._workdir is None:
            self._workdir = tempfile.mkdtemp(prefix="wq-local-workers-")
        args = [exe, "--cores", str(cores), "--timeout", str(timeout), "--single-shot",
                "--workdir", self._workdir]
        for what, v in (("memory", memory), ("disk", disk)):
            if v is not None:
                if isinstance(v, bool) or not isinstance(v, int):
                    raise TypeError(f"{what} must be an int, not {type(v).__name__}")
                if v < 0:
                    raise ValueError(f"{what} must not be negative (got {v})")
                args += [f"--{what}", str(v)]
        args += ["127.0.0.1", str(self.port)]
        started = []
        for _ in range(n):
            log = open(os.path.join(self._workdir, f"worker-{len(self._workers)}.log"), "wb")
            try:
                p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, close_fds=True)
            finally:
                log.close()
            self._workers.append(p)
            started.append(p)
        return started

    @property
    def local_workers(self) -> list[subprocess.Popen]:
        """The Popen objects of the workers this queue started."""
        return list(self._workers)

    def stop_local_workers(self, timeout: float = 5.0) -> None:
        """Stop (SIGTERM, then SIGKILL after timeout seconds) and reap the
        workers this queue started, and remove their work directory."""
        workers, self._workers = getattr(self, "_workers", []), []
        for p in workers:
            if p.poll() is None:
                try:
                    p.terminate()
                except OSError:
                    pass
        for p in workers:
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        workdir, self._workdir = getattr(self, "_workdir", None), None
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    # -- life cycle --

    def close(self) -> None:
        """Close the port and disconnect the workers (asking them to exit if
        the queue was made with shutdown=True); tasks still inside come back
        to their owners unrun; local workers are stopped and reaped. Safe to
        call twice."""
        try:
            self._close(getattr(self, "_shutdown", False))
        finally:
            self.stop_local_workers()

    def __enter__(self) -> WorkQueue:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # -- Pythonic extras --

    def __iter__(self) -> Iterator[Task]:
        """Yield each task as it completes, until the queue is empty."""
        while not self.empty():
            t = self.wait(WORK_QUEUE_WAITFORTASK)
            if t is not None:
                yield t

    @property
    def stats(self) -> WorkQueueStats:
        """A snapshot of the queue's statistics (see WorkQueueStats)."""
        return WorkQueueStats(**self._stats_dict())

    def __repr__(self) -> str:
        if self.closed:
            return "<WorkQueue closed>"
        s = self._stats_dict()
        name = self.name
        return "<WorkQueue port=%d%s tasks=%d workers=%d%s>" % (
            self.port,
            f" name={name!r}" if name else "",
            self._tasks_inside(),
            s["workers_connected"],
            f" local_workers={len(self._workers)}" if self._workers else "",
        )
