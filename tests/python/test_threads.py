"""Threads and signals: submit from one thread while another waits; Ctrl-C
during wait()."""

import os
import signal
import threading
import time

import pytest

from work_queue import WORK_QUEUE_WAITFORTASK, Task


def test_submit_from_another_thread_while_waiting(queue, workers):
    workers.start(queue.port, cores=2)
    n = 200
    keep = Task("sleep 5")  # keeps the queue non-empty while the submitter starts
    keep.specify_tag("keep")
    queue.submit(keep)
    errors = []

    def submitter():
        try:
            for i in range(n):
                queue.submit(Task("echo %d" % i))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    th = threading.Thread(target=submitter)
    t0 = time.monotonic()
    th.start()
    got = []
    while len(got) < n and time.monotonic() - t0 < 60:
        t = queue.wait(1)
        if t is not None and t.tag != "keep":
            got.append(t)
    th.join(10)
    assert not errors
    assert sorted(int(t.output) for t in got) == list(range(n))
    assert queue.cancel_by_tasktag("keep") in (keep, None)


def test_ctrl_c_interrupts_wait(queue, workers, wait_until):
    workers.start(queue.port)
    t = Task("sleep 60")
    queue.submit(t)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            queue.wait(WORK_QUEUE_WAITFORTASK)
    finally:
        timer.cancel()
    assert time.monotonic() - t0 < 3
    assert queue.cancel_by_taskid(t.id) is t  # the queue is still usable


def test_other_threads_run_during_wait(queue):
    queue.submit(Task("true"))  # no worker: wait runs its whole timeout
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    th = threading.Thread(target=ticker)
    th.start()
    queue.wait(1)
    stop.set()
    th.join()
    assert len(ticks) > 20  # the GIL was released while waiting
