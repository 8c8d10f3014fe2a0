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

    def start(self, port, cores=1, memory=None, disk=None, env=None, timeout=60, extra=()):
        """Start one worker connected to 127.0.0.1:port; returns its Popen.
        extra: more wq_worker options (e.g. ["--test-slow", "5"])."""
        wd = self.tmp_path / ("w%d" % len(self.procs))
        wd.mkdir()
        args = [work_queue.worker_path(), "--cores", str(cores), "--timeout", str(timeout),
                "--single-shot", "--workdir", str(wd)]
        if memory is not None:
            args += ["--memory", str(memory)]
        if disk is not None:
            args += ["--disk", str(disk)]
        args += list(extra) + ["127.0.0.1", str(port)]
        return self._spawn(args, wd, env)

    def start_by_name(self, project, catalog, cores=1, env=None, timeout=60, extra=()):
        """Start one worker that finds its master through the catalog:
        wq_worker -M project -C catalog ("host:port"); returns its Popen.
        Not single-shot: it follows the project when its master moves."""
        wd = self.tmp_path / ("w%d" % len(self.procs))
        wd.mkdir()
        args = [work_queue.worker_path(), "--cores", str(cores), "--timeout", str(timeout),
                "--workdir", str(wd), *extra, "-M", project, "-C", catalog]
        return self._spawn(args, wd, env)

    def _spawn(self, args, wd, env):
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


class CatalogServer:
    """A real wq_catalog_server (the packaged binary) on a free port."""

    def __init__(self, tmp_path, lifetime=None, extra=()):
        args = [work_queue.catalog_server_path(), "--port", "0"]
        if lifetime is not None:
            args += ["--lifetime", str(lifetime)]
        args += list(extra)
        self.log_path = tmp_path / "catalog.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._log)
        # the server prints its port once listening; a dead server gives EOF
        line = self.proc.stdout.readline().decode(errors="replace")
        prefix = "wq_catalog_server: listening on port "
        if not line.startswith(prefix):
            self.stop()
            pytest.fail("wq_catalog_server did not start: %r %s" % (line, self.log_path.read_text()))
        self.port = int(line[len(prefix):])
        self.address = "127.0.0.1:%d" % self.port

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get_json(self, path="/query.json"):
        """GET path from the server (no proxy) and parse the JSON answer."""
        import json
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.url(path), timeout=5) as r:
            return json.loads(r.read().decode())

    def records(self, project=None):
        """The live records, optionally only those of one project."""
        return [r for r in self.get_json() if project is None or r.get("project") == project]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._log.close()


@pytest.fixture
def catalog_server(tmp_path):
    """Factory of real catalog servers: catalog_server(lifetime=None) -> CatalogServer;
    all stopped at the end of the test."""
    servers = []

    def start(lifetime=None, extra=()):
        d = tmp_path / ("catalog%d" % len(servers))
        d.mkdir()
        c = CatalogServer(d, lifetime=lifetime, extra=extra)
        servers.append(c)
        return c

    yield start
    for c in servers:
        c.stop()
