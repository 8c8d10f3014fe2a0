"""The API surface: constants, errors, ownership, reprs, stats, the
Pythonic extras."""

import gc
import socket

import pytest

import work_queue
import workqueue
from work_queue import (
    WORK_QUEUE_WAITFORTASK,
    Task,
    WorkQueue,
)


def test_constants_have_the_originals_values():
    w = work_queue
    assert w.WORK_QUEUE_DEFAULT_PORT == 9123 and w.WORK_QUEUE_WAITFORTASK == -1
    assert (w.WORK_QUEUE_SCHEDULE_FCFS, w.WORK_QUEUE_SCHEDULE_FILES, w.WORK_QUEUE_SCHEDULE_TIME,
            w.WORK_QUEUE_SCHEDULE_RAND, w.WORK_QUEUE_SCHEDULE_WORST) == (1, 2, 3, 4, 5)
    assert w.WORK_QUEUE_SCHEDULE_RANDOM == w.WORK_QUEUE_SCHEDULE_RAND
    assert (w.WORK_QUEUE_INPUT, w.WORK_QUEUE_OUTPUT, w.WORK_QUEUE_NOCACHE, w.WORK_QUEUE_CACHE) == (0, 1, 0, 1)
    assert w.WORK_QUEUE_RESULT_SUCCESS == 0 and w.WORK_QUEUE_RESULT_INPUT_MISSING == 1
    assert w.WORK_QUEUE_RESULT_OUTPUT_MISSING == 2 and w.WORK_QUEUE_RESULT_SIGNAL == 8
    assert w.WORK_QUEUE_RESULT_MAX_RETRIES == 48 and w.WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME == 56
    assert type(w.WORK_QUEUE_INPUT) is int


def test_alias_spelling():
    ns = {}
    exec("from workqueue import *", ns)
    assert ns["WorkQueue"] is WorkQueue and ns["Task"] is Task
    assert ns["WORK_QUEUE_SCHEDULE_FILES"] == 2
    assert workqueue.__version__ == work_queue.__version__


def test_bad_types_raise_type_error():
    with pytest.raises(TypeError):
        Task(5)
    t = Task("true")
    with pytest.raises(TypeError):
        t.specify_cores("4")
    with pytest.raises(TypeError):
        t.specify_memory(1.5)
    with pytest.raises(TypeError):
        t.specify_input_file(42)
    with pytest.raises(TypeError):
        t.specify_buffer(object(), "x")
    with pytest.raises(TypeError):
        WorkQueue(port="9123")
    with pytest.raises(TypeError):
        WorkQueue(port=0).submit("not a task")


def test_negative_resources_raise_value_error():
    t = Task("true")
    for f in (t.specify_cores, t.specify_memory, t.specify_disk, t.specify_gpus,
              t.specify_max_retries, t.specify_running_time_max):
        with pytest.raises(ValueError, match="negative"):
            f(-1)


def test_bad_names_raise_value_error():
    t = Task("true")
    with pytest.raises(ValueError, match="remote name"):
        t.specify_input_file("/etc/hostname", "/abs")
    with pytest.raises(ValueError, match="remote name"):
        t.specify_input_file("/etc/hostname", "../up")
    t.specify_input_file("/etc/hostname", "h")
    with pytest.raises(ValueError, match="remote name"):
        t.specify_input_file("/etc/passwd", "h")
    with pytest.raises(ValueError, match="NUL"):
        t.specify_tag("a\0b")
    with pytest.raises(ValueError):
        t.specify_algorithm(99)


def test_port_in_use_raises_os_error():
    with WorkQueue(port=0) as q:
        with pytest.raises(OSError) as e:
            WorkQueue(port=q.port)
        assert "port %d" % q.port in str(e.value)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        with pytest.raises(OSError):
            WorkQueue(port=s.getsockname()[1], address="127.0.0.1")
    finally:
        s.close()


def test_submitting_a_queued_task_raises(queue):
    t = Task("sleep 10")
    tid = queue.submit(t)
    assert tid > 0 and t.id == tid
    with pytest.raises(ValueError, match="still in a queue"):
        queue.submit(t)
    with WorkQueue(port=0) as other:
        with pytest.raises(ValueError):
            other.submit(t)
    with pytest.raises(ValueError, match="cannot be changed"):
        t.specify_cores(2)
    assert t.result == 0 and t.output is None  # no results while queued
    assert queue.cancel_by_taskid(tid) is t
    assert queue.empty()
    t.specify_cores(2)  # ours again
    assert queue.submit(t) > tid


def test_task_without_command(queue):
    with pytest.raises(ValueError, match="no command"):
        queue.submit(Task())


def test_cancel_by_tag_returns_the_object(queue):
    class MyTask(Task):
        pass

    t = MyTask("sleep 10")
    t.note = "mine"
    t.specify_tag("tagged")
    queue.submit(t)
    got = queue.cancel_by_tasktag("tagged")
    assert got is t and got.note == "mine" and type(got) is MyTask
    assert queue.cancel_by_tasktag("tagged") is None
    assert queue.cancel_by_taskid(12345) is None


def test_wait_for_tag_and_iteration(queue, workers):
    for i in range(4):
        t = Task("echo %d" % i)
        t.specify_tag("odd" if i % 2 else "even")
        queue.submit(t)
    workers.start(queue.port)
    t = queue.wait_for_tag("odd", 30)
    assert t is not None and t.tag == "odd"
    rest = list(queue)
    assert len(rest) == 3 and queue.empty()


def test_wait_timeouts(queue):
    assert queue.wait(0) is None
    assert queue.wait(WORK_QUEUE_WAITFORTASK) is None  # empty: returns at once
    queue.submit(Task("true"))  # no worker: never completes
    import time

    t0 = time.monotonic()
    assert queue.wait(0.3) is None
    assert 0.25 <= time.monotonic() - t0 < 2
    with pytest.raises(TypeError):
        queue.wait("1")


def test_hungry_empty_stats(queue):
    assert queue.empty() and queue.hungry()
    queue.submit(Task("true"))
    assert not queue.empty()
    s = queue.stats
    assert s.tasks_submitted == 1 and s.tasks_waiting == 1 and s.port == queue.port
    for alias in ("tasks_complete", "total_tasks_dispatched", "total_workers_connected",
                  "total_bytes_sent", "start_time"):
        assert hasattr(s, alias)
    assert "tasks_waiting=1" in repr(s)


def test_names_and_settings(queue):
    queue.specify_name("project.name")
    assert queue.name == "project.name"
    queue.specify_keepalive_interval(30)
    queue.specify_keepalive_timeout(10)
    queue.specify_task_order(work_queue.WORK_QUEUE_TASK_ORDER_LIFO)
    queue.specify_priority(3)
    with pytest.raises(ValueError):
        queue.specify_keepalive_interval(-1)


def test_reprs(queue):
    t = Task("echo hi")
    assert repr(t) == "<Task 'echo hi' not submitted>"
    queue.submit(t)
    assert repr(t).endswith("queued>")
    assert repr(queue).startswith("<WorkQueue port=%d" % queue.port)
    queue.close()
    assert repr(queue) == "<WorkQueue closed>"


def test_close_gives_tasks_back(tmp_path):
    q = WorkQueue(port=0, name="x")
    ts = [Task("sleep 10") for _ in range(3)]
    for t in ts:
        q.submit(t)
    q.close()
    q.close()  # twice is fine
    with pytest.raises(ValueError, match="closed"):
        q.submit(Task("true"))
    for t in ts:
        t.specify_cores(1)  # owned by the user again, still usable
    with WorkQueue(port=0) as q2:
        assert q2.submit(ts[0]) > 0


def test_garbage_collected_queue_and_tasks():
    for _ in range(3):
        q = WorkQueue(port=0)
        for _ in range(100):
            q.submit(Task("true"))
        t = Task("true")
        q.submit(t)
        t.q = q  # a cycle through the user's attribute
        del q, t
        gc.collect()


def test_clone_and_properties():
    t = Task("echo a")
    t.specify_cores(2)
    t.specify_memory(100)
    t.specify_disk(200)
    t.specify_gpus(0)
    t.specify_priority(2.5)
    t.specify_category("cat")
    t.specify_max_retries(3)
    c = t.clone()
    assert c is not t and c.command == "echo a" and c.id == 0
    assert (c.cores, c.memory, c.disk, c.gpus, c.priority, c.category, c.max_retries) == \
        (2, 100, 200, 0, 2.5, "cat", 3)


def test_debug_log(tmp_path):
    log = tmp_path / "debug.log"
    with WorkQueue(port=0, debug_log=str(log)) as q:
        q.submit(Task("true"))
        q.wait(0)
    work_queue.specify_debug_log(None)
    assert log.exists() and log.stat().st_size > 0


def test_local_workers(tmp_path):
    with WorkQueue(port=0, local_workers=2) as q:
        procs = q.local_workers
        assert len(procs) == 2
        ts = [Task("echo $CORES") for _ in range(4)]
        for t in ts:
            q.submit(t)
        done = list(q)
        assert sorted(d.id for d in done) == sorted(t.id for t in ts)
        assert all(t.result == 0 and t.output == "1\n" for t in ts)
    assert all(p.returncode is not None for p in procs)
    q2 = WorkQueue(port=0)
    q2.start_local_workers(1, cores=2)
    p = q2.local_workers[0]
    assert p.args[0] == work_queue.worker_path()
    q2.close()
    assert p.returncode is not None
