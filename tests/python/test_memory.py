"""Memory stays flat over repeated batches of submit-and-wait."""

import os

import pytest

from work_queue import Task, WorkQueue

BATCH = 20_000


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _batch(q):
    for _ in range(BATCH):
        q.submit(Task("true"))
    n = 0
    while not q.empty():
        if q.wait(5) is not None:
            n += 1
    assert n == BATCH


@pytest.mark.timeout(600)
def test_memory_flat_over_batches():
    with WorkQueue(port=0, local_workers=2, local_worker_cores=4) as q:
        r0 = _rss()
        _batch(q)
        r1 = _rss()
        _batch(q)
        r2 = _rss()
    first, second = r1 - r0, r2 - r1
    # a leak of even 100 bytes a task would show as 2 MB in the second batch
    assert second <= max(first // 2, 2 * 1024 * 1024), (first, second)


def test_submit_cancel_memory_flat():
    with WorkQueue(port=0) as q:
        def batch():
            ts = [Task("true") for _ in range(BATCH)]
            for t in ts:
                q.submit(t)
            for t in ts:
                assert q.cancel_by_taskid(t.id) is t

        batch()
        r1 = _rss()
        batch()
        batch()
        r2 = _rss()
    assert r2 - r1 <= 2 * 1024 * 1024, (r1, r2)


def test_queued_plain_tasks_leave_the_collector_and_come_back():
    """A queued plain Task is taken off the cyclic collector's lists (a
    million of them made every full collection walk them all) and is
    tracked again when the queue hands it back; tasks that can be part of a
    cycle (attributes of their own, subclasses) stay tracked, and cycles
    through returned tasks are still collected."""
    import gc
    import weakref

    class MyTask(Task):
        pass

    with WorkQueue(port=0) as q:
        plain, tagged, sub = Task("true"), Task("true"), MyTask("true")
        tagged.owner = q
        for t in (plain, tagged, sub):
            q.submit(t)
        assert not gc.is_tracked(plain)
        assert gc.is_tracked(tagged) and gc.is_tracked(sub)
        assert q.cancel_by_taskid(plain.id) is plain
        assert gc.is_tracked(plain)
        q.submit(plain)
        assert not gc.is_tracked(plain)
    # closing the queue hands every task back, tracked again
    assert gc.is_tracked(plain) and gc.is_tracked(tagged)

    # a cycle through a task the queue returned is collected
    with WorkQueue(port=0) as q:
        t = Task("true")
        q.submit(t)
        back = q.cancel_by_taskid(t.id)
        back.me = back
        ref = weakref.ref(back)
        del t, back
    gc.collect()
    assert ref() is None
