"""Fast abort and blocked and preferred hosts, reached from Python, with real
workers (the C tests check the policies in depth; these check the wiring)."""

import pytest

from work_queue import WORK_QUEUE_RESULT_SUCCESS, Task


def connected(queue, n):
    """A wait_until condition: the master's loop runs only inside wait(), so
    run it once (the queue is empty: wait returns at once) and check."""
    return lambda: queue.wait(0.05) is None and queue.stats.workers_connected == n


def test_fast_abort_moves_tasks_off_a_slow_worker(queue, workers, drain, wait_until):
    assert queue.activate_fast_abort(2) == 0
    workers.start(queue.port)
    workers.start(queue.port)
    workers.start(queue.port, extra=["--test-slow", "30"])
    wait_until(connected(queue, 3), what="3 workers")
    for i in range(36):
        queue.submit(Task("sleep 0.1; echo %d" % i))
    done = drain(queue, timeout=90)
    assert len(done) == 36
    assert all(t.result == WORK_QUEUE_RESULT_SUCCESS for t in done)
    assert sorted(int(t.output) for t in done) == list(range(36))
    # the slow worker holds every task 30 s: without fast abort drain() would
    # take 30 s or more; with it, its tasks were aborted and ran elsewhere
    assert queue.stats.tasks_fast_aborted >= 1


def test_fast_abort_arguments(queue):
    assert queue.activate_fast_abort(-1) == 0
    assert queue.activate_fast_abort_category("sim", 3.5) == 0
    with pytest.raises(TypeError):
        queue.activate_fast_abort("fast")
    with pytest.raises(TypeError):
        queue.activate_fast_abort_category(None, 2)


def test_blocked_host_gets_no_tasks_until_unblocked(queue, workers, wait_until):
    workers.start(queue.port)
    wait_until(connected(queue, 1), what="a worker")
    queue.block_host("127.0.0.1")
    t = Task("echo ran")
    queue.submit(t)
    assert queue.wait(1.5) is None
    assert queue.stats.tasks_dispatched == 0
    queue.unblock_host("127.0.0.1")
    got = queue.wait(30)
    assert got is t and got.result == WORK_QUEUE_RESULT_SUCCESS and got.output == "ran\n"


def test_block_with_timeout_lifts_by_itself(queue, workers, wait_until):
    workers.start(queue.port)
    wait_until(connected(queue, 1), what="a worker")
    queue.block_host_with_timeout("127.0.0.1", 1)
    t = Task("true")
    queue.submit(t)
    assert queue.wait(30) is t


def test_preferred_host_is_reachable(queue, workers, wait_until):
    workers.start(queue.port)
    wait_until(connected(queue, 1), what="a worker")
    queue.specify_preferred_host_wait(1)
    t = Task("echo pref")
    t.specify_preferred_host("127.0.0.1")
    queue.submit(t)
    assert queue.wait(30) is t
    u = Task("echo elsewhere")
    u.specify_preferred_host("no-such-host.invalid")
    queue.submit(u)
    assert queue.wait(30) is u  # after the preferred-host wait it runs anywhere
