"""The original's functions kept for old programs, from Python, with real
workers: task_state, specify_min_taskid and the blacklist names (the C test
tests/c/e2e_compat.c checks the same from C)."""

import time

import pytest

from work_queue import (
    WORK_QUEUE_RESULT_SUCCESS,
    WORK_QUEUE_TASK_DONE,
    WORK_QUEUE_TASK_READY,
    WORK_QUEUE_TASK_RUNNING,
    WORK_QUEUE_TASK_UNKNOWN,
    WORK_QUEUE_TASK_WAITING_RETRIEVAL,
    Task,
)


def connected(queue, n):
    """A wait_until condition: run the master's loop once (wait returns at
    once on an empty queue) and check the worker count."""
    return lambda: queue.wait(0.05) is None and queue.stats.workers_connected == n


def state_is(queue, taskid, want):
    """A wait_until condition: run the master's loop without taking a
    completed task (a tag no task has) and check the task's state."""
    return lambda: (queue.wait_for_tag("no task has this tag", 0.05) is None
                    and queue.task_state(taskid) == want)


def test_task_state_follows_a_task(queue, workers, wait_until):
    t = Task("sleep 2")
    tid = queue.submit(t)
    assert queue.task_state(tid) == WORK_QUEUE_TASK_READY  # no worker yet
    assert queue.task_state(tid + 1000) == WORK_QUEUE_TASK_UNKNOWN
    assert queue.task_state(0) == WORK_QUEUE_TASK_UNKNOWN
    assert queue.task_state(-3) == WORK_QUEUE_TASK_UNKNOWN
    workers.start(queue.port)
    wait_until(state_is(queue, tid, WORK_QUEUE_TASK_RUNNING), what="the task running")
    wait_until(state_is(queue, tid, WORK_QUEUE_TASK_WAITING_RETRIEVAL), timeout=30, what="the task completed")
    got = queue.wait(10)
    assert got is t and got.result == WORK_QUEUE_RESULT_SUCCESS
    assert queue.task_state(tid) == WORK_QUEUE_TASK_UNKNOWN  # returned: no longer held
    assert got.state == WORK_QUEUE_TASK_DONE
    with pytest.raises(TypeError):
        queue.task_state("1")


def test_min_taskid_raises_never_lowers(queue, workers, drain):
    assert queue.specify_min_taskid(0) == 1
    assert queue.specify_min_taskid(100) == 100
    assert queue.submit(Task("true")) == 100
    assert queue.specify_min_taskid(10) == 101
    assert queue.submit(Task("true")) == 101
    workers.start(queue.port)
    done = drain(queue)
    assert sorted(t.id for t in done) == [100, 101]
    assert queue.specify_min_taskid(101) == 102
    with pytest.raises(ValueError):
        queue.specify_min_taskid(-1)
    with pytest.raises(ValueError):
        queue.specify_min_taskid(2**31)


def test_blacklist_keeps_tasks_off_a_host(queue, workers, wait_until, drain):
    workers.start(queue.port)
    wait_until(connected(queue, 1), what="a worker")
    # learn the first worker's "ip:port", then bring a second one
    queue.submit(Task("true"))
    first = queue.wait(30)
    assert first is not None and first.host
    workers.start(queue.port)
    wait_until(connected(queue, 2), what="2 workers")

    queue.blacklist(first.host)
    for _ in range(4):
        t = Task("sleep 0.2")
        t.specify_cores(1)
        queue.submit(t)
    done = drain(queue)
    assert len(done) == 4 and all(t.result == WORK_QUEUE_RESULT_SUCCESS for t in done)
    assert all(t.host != first.host for t in done)

    queue.blacklist("127.0.0.1")  # both workers
    t = Task("echo ran")
    tid = queue.submit(t)
    dispatched = queue.stats.tasks_dispatched
    assert queue.wait(1.5) is None
    assert queue.stats.tasks_dispatched == dispatched
    assert queue.task_state(tid) == WORK_QUEUE_TASK_READY
    queue.blacklist_clear("127.0.0.1")  # the block on first.host stays
    got = queue.wait(30)
    assert got is t and got.output == "ran\n" and got.host != first.host

    queue.blacklist_clear()  # every block
    for _ in range(4):
        t = Task("sleep 0.3")
        t.specify_cores(1)
        queue.submit(t)
    done = drain(queue)
    assert len(done) == 4
    assert any(t.host == first.host for t in done)  # one core each: both workers ran tasks


def test_blacklist_with_timeout_lifts_by_itself(queue, workers, wait_until):
    workers.start(queue.port)
    wait_until(connected(queue, 1), what="a worker")
    queue.blacklist_with_timeout("127.0.0.1", 2)
    t0 = time.monotonic()
    t = Task("true")
    queue.submit(t)
    assert queue.wait(1) is None
    assert queue.wait(30) is t
    assert time.monotonic() - t0 >= 1.8
    with pytest.raises(ValueError):
        queue.blacklist_with_timeout("127.0.0.1", -1)
    with pytest.raises(TypeError):
        queue.blacklist(None)
