"""Discovery by project name through the real catalog server.

A worker started with `wq_worker -M P -C catalog` before any master exists
runs the tasks of the master named P once it advertises, and follows the
project when its master is replaced by another on another port;
`wq_status --json HOST PORT` equals the master's own stats; `wq_status -C`
lists the project; the catalog forgets a master that died without saying so.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

import work_queue

pytestmark = pytest.mark.timeout(150)

# Stats fields that move by themselves (clocks, rates): not compared.
MOVING = ("time_", "bandwidth", "total_send_time", "total_receive_time", "total_execute_time",
          "start_time")
# Byte counters: status connections are not worker traffic, so these equal
# too (test_status_traffic_is_not_worker_traffic checks it on its own).
BYTES = ("bytes_sent", "bytes_received", "total_bytes_sent", "total_bytes_received")


def script(name):
    path = os.path.join(os.path.dirname(sys.executable), name)
    assert os.access(path, os.X_OK), "console script %s is not installed" % path
    return path


def run_loop(q, cond, what, timeout=60, returned=None):
    """Run q's loop (wait) until cond() is true; tasks wait() hands back go
    to returned."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail("timed out after %d s waiting for %s (stats %r)" % (timeout, what, q.stats))
        t = q.wait(0.1)
        if t is not None and returned is not None:
            returned.append(t)


def command_while_serving(q, args, timeout=30):
    """Run a command that talks to q while q's loop serves it (a master only
    answers from inside wait()); returns the CompletedProcess-like result."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_loop(q, lambda: p.poll() is not None, " ".join(map(str, args)), timeout)
    out, err = p.communicate()
    return subprocess.CompletedProcess(args, p.returncode, out, err)


def run_tasks(q, n, word):
    """Submit n tasks echoing word and run the loop until all are back."""
    for i in range(n):
        q.submit(work_queue.Task("echo %s-%d" % (word, i)))
    returned = []
    run_loop(q, lambda: len(returned) == n, "%d %s tasks" % (n, word), returned=returned)
    for t in returned:
        assert t.result == work_queue.WORK_QUEUE_RESULT_SUCCESS and t.return_status == 0, t
        assert t.output.startswith(word + "-"), t.output
    return returned


def test_worker_finds_master_by_name_and_follows_it(catalog_server, workers):
    cat = catalog_server()
    project = "P-%s" % uuid.uuid4().hex[:8]
    # the worker first: no master named P exists yet
    w = workers.start_by_name(project, cat.address, cores=2)
    time.sleep(0.5)
    assert w.poll() is None, "wq_worker -M exited while no master was there"

    q1 = work_queue.WorkQueue(port=0, name=project, catalog=cat.address)
    try:
        q1.specify_catalog_update_interval(1)
        assert q1.name == project
        run_tasks(q1, 4, "first")
        record = run_loop(q1, lambda: cat.records(project), "the catalog's record")[0]
        assert record["port"] == q1.port and record["type"] == "wq_master"

        # wq_status --json HOST PORT: the master's summary equals its stats
        # (as they were when it answered: nothing else happens meanwhile)
        before = vars(q1.stats)
        r = command_while_serving(q1, [script("wq_status"), "--json", "127.0.0.1", str(q1.port)])
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert summary["project"] == project and summary["port"] == q1.port
        shared = [k for k in summary if k in before and not k.startswith(MOVING)]
        assert "tasks_done" in shared and "workers_connected" in shared, sorted(summary)
        assert {k: summary[k] for k in shared} == {k: before[k] for k in shared}
        assert before["tasks_done"] == 4 and before["workers_connected"] == 1
        # and the tables: summary, workers, tasks (one waiting, resources unset)
        r = command_while_serving(q1, [script("wq_status"), "127.0.0.1", str(q1.port)])
        assert r.returncode == 0 and project in r.stdout, r.stderr
        r = command_while_serving(q1, [script("wq_status"), "-W", "127.0.0.1", str(q1.port)])
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0].startswith("ID") and len(lines) == 2 and "127.0.0.1:" in lines[1], r.stdout
        assert lines[1].split()[3] == "0/2"  # cores in use / offered
        q1.submit(work_queue.Task("sleep 30"))
        q1.block_host("127.0.0.1")  # keep it waiting
        r = command_while_serving(q1, [script("wq_status"), "-T", "127.0.0.1", str(q1.port)])
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0].startswith("TASKID") and lines[1].split()[:5] == ["5", "READY", "default", "0", "-"]
        assert lines[1].endswith("sleep 30")
        q1.cancel_by_taskid(5)
        q1.unblock_all()

        # wq_status -C lists the project with the master's port
        r = command_while_serving(q1, [script("wq_status"), "-C", cat.address])
        assert r.returncode == 0, r.stderr
        row = [ln.split() for ln in r.stdout.splitlines() if ln.startswith(project)]
        assert row and row[0][2] == str(q1.port), r.stdout
        old_port = q1.port
    finally:
        q1.close()

    # the project moves: a new master named P on another port
    q2 = work_queue.WorkQueue(port=0, name=project, catalog=cat.address)
    while q2.port == old_port:  # port 0 gave the same port again: take another
        q2, same = work_queue.WorkQueue(port=0, name=project, catalog=cat.address), q2
        same.close()
    try:
        q2.specify_catalog_update_interval(1)
        run_tasks(q2, 3, "second")
        assert w.poll() is None  # the same worker ran them: it followed
        assert q2.stats.workers_joined == 1
        record = run_loop(q2, lambda: [r for r in cat.records(project) if r["port"] == q2.port],
                          "the catalog to hear of the new master")[0]
        assert not [r for r in cat.records(project) if r["port"] == old_port], "the closed master is listed"
    finally:
        q2.close()


def test_status_traffic_is_not_worker_traffic(workers):
    with work_queue.WorkQueue(port=0) as q:
        workers.start(q.port)
        run_loop(q, lambda: q.stats.workers_connected == 1, "a worker")
        run_tasks(q, 1, "bytes")
        before = vars(q.stats)
        r = command_while_serving(q, [script("wq_status"), "--json", "127.0.0.1", str(q.port)])
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert {k: summary[k] for k in BYTES} == {k: before[k] for k in BYTES}
        assert vars(q.stats)["bytes_sent"] == before["bytes_sent"]


MASTER = textwrap.dedent("""
    import sys, work_queue
    q = work_queue.WorkQueue(port=0, name=sys.argv[1], catalog=sys.argv[2])
    q.specify_catalog_update_interval(1)
    q.submit(work_queue.Task("true"))  # no worker: each wait() blocks its full second
    print(q.port, flush=True)
    while True:
        q.wait(1)
""")


def test_catalog_expires_a_dead_master(tmp_path, catalog_server, wait_until):
    cat = catalog_server(lifetime=2)
    project = "dead-%s" % uuid.uuid4().hex[:8]
    # cwd: not the repo, whose ./work_queue would shadow the installed package
    p = subprocess.Popen([sys.executable, "-c", MASTER, project, cat.address], stdout=subprocess.PIPE,
                         text=True, cwd=str(tmp_path))
    try:
        port = int(p.stdout.readline())
        wait_until(lambda: [r for r in cat.records(project) if r["port"] == port], timeout=15,
                   what="the master's advertisement")
        # killed: no final "gone" update
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        killed = time.monotonic()
        wait_until(lambda: not cat.records(project), timeout=15, what="the catalog to expire the dead master")
        assert time.monotonic() - killed >= 1.0  # it was kept until silent for its lifetime
        stats = cat.get_json("/stats.json")
        assert stats["expired"] >= 1 and stats["gone"] == 0, stats
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()


def test_closing_master_says_gone(catalog_server):
    cat = catalog_server()
    project = "gone-%s" % uuid.uuid4().hex[:8]
    with work_queue.WorkQueue(port=0, name=project, catalog=(("127.0.0.1", cat.port))) as q:
        q.specify_catalog_update_interval(1)
        run_loop(q, lambda: cat.records(project), "the advertisement", timeout=20)
    deadline = time.monotonic() + 10
    while cat.records(project):
        assert time.monotonic() < deadline, "the record outlived the master's close"
        time.sleep(0.05)
    assert cat.get_json("/stats.json")["gone"] >= 1


def test_catalog_arguments():
    with work_queue.WorkQueue(port=0) as q:
        with pytest.raises(ValueError):
            q.specify_catalog_server("", 9097)
        with pytest.raises(ValueError):
            q.specify_catalog_server("localhost", 0)
        with pytest.raises(ValueError):
            q.specify_catalog_servers(" , ")
        with pytest.raises(ValueError):
            q.specify_catalog_update_interval(0)
        with pytest.raises(TypeError):
            q.specify_catalog_servers(9097)
        q.specify_catalog_servers("127.0.0.1:9,localhost")  # accepted; nothing sent without a name
    with pytest.raises(TypeError):
        work_queue.WorkQueue(port=0, catalog=9097)
