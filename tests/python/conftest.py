"""Fixtures for the Python tests: queues on 127.0.0.1, real wq_worker
processes started and reaped per test, and wait_until() instead of sleep().

The tests must exercise the INSTALLED package (pip install .), never the
source folder ./work_queue, which has no compiled extension: run them from
the repo root with the installed venv's pytest (pyproject sets
--import-mode=importlib), or from tests/python.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

import work_queue

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

if os.path.dirname(os.path.abspath(work_queue.__file__)) == os.path.join(REPO, "work_queue"):
    raise RuntimeError(
        "the tests imported work_queue from the source tree (%s), not the installed package: "
        "run them with the venv's pytest from the repo root or from tests/python" % work_queue.__file__
    )


def _wait_until(cond, timeout=20.0, step=0.02, what="condition"):
    """Poll cond() until it is true; fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(step)


@pytest.fixture
def wait_until():
    """wait_until(cond, timeout=20, what=...): poll cond() until true, else fail."""
    return _wait_until


@pytest.fixture
def queue():
    """A WorkQueue on a free port, closed after the test."""
    q = work_queue.WorkQueue(port=0)
    yield q
    q.close()


class Workers:
    """Starts wq_worker processes for a test and reaps them all at its end."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.procs = []

    def start(self, port, cores=1, memory=None, disk=None, env=None, timeout=60):
        """Start one worker connected to 127.0.0.1:port; returns its Popen."""
        wd = self.tmp_path / ("w%d" % len(self.procs))
        wd.mkdir()
        args = [work_queue.worker_path(), "--cores", str(cores), "--timeout", str(timeout),
                "--single-shot", "--workdir", str(wd)]
        if memory is not None:
            args += ["--memory", str(memory)]
        if disk is not None:
            args += ["--disk", str(disk)]
        args += ["127.0.0.1", str(port)]
        log = open(wd / "log", "wb")
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             env=env)
        log.close()
        self.procs.append(p)
        return p

    def reap(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


@pytest.fixture
def workers(tmp_path):
    """Factory of real workers: workers.start(port, cores=1, ...)."""
    w = Workers(tmp_path)
    yield w
    w.reap()


@pytest.fixture
def drain():
    """drain(q, timeout=60): wait for every task in q; returns them in order of completion."""

    def _drain(q, timeout=60.0):
        done = []
        deadline = time.monotonic() + timeout
        while not q.empty():
            if time.monotonic() > deadline:
                pytest.fail("tasks did not complete within %.0f s: %r" % (timeout, q.stats))
            t = q.wait(1)
            if t is not None:
                done.append(t)
        return done

    return _drain


@pytest.fixture
def python():
    """The interpreter running the tests (the venv's)."""
    return sys.executable
