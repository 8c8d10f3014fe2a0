"""Resource packing, scheduling policies reachable from Python, and a worker
killed mid-task."""

import signal

import pytest

import work_queue
from work_queue import Task


def _spans(tasks):
    return [(t.execute_cmd_start, t.execute_cmd_finish) for t in tasks]


def _overlap(a, b):
    return a[0] < b[1] and b[0] < a[1]


def test_four_one_core_tasks_run_at_once(queue, workers, drain):
    ts = [Task("sleep 1") for _ in range(4)]
    for t in ts:
        t.specify_cores(1)
        queue.submit(t)
    workers.start(queue.port, cores=4)
    drain(queue)
    spans = _spans(ts)
    assert all(s and e for s, e in spans)
    assert all(_overlap(spans[i], spans[j]) for i in range(4) for j in range(i + 1, 4)), spans


def test_four_core_task_runs_alone(queue, workers, drain):
    big = Task("sleep 0.5")
    big.specify_cores(4)
    small = [Task("sleep 0.5") for _ in range(2)]
    queue.submit(big)
    for t in small:
        t.specify_cores(1)
        queue.submit(t)
    workers.start(queue.port, cores=4)
    drain(queue)
    b = _spans([big])[0]
    for s in _spans(small):
        assert not _overlap(b, s)


@pytest.mark.parametrize("name", ["FCFS", "FILES", "TIME", "RAND", "RANDOM", "WORST"])
def test_scheduling_algorithms(queue, workers, drain, name):
    algo = getattr(work_queue, "WORK_QUEUE_SCHEDULE_" + name)
    queue.specify_algorithm(algo)
    ts = [Task("echo %d" % i) for i in range(3)]
    for t in ts:
        t.specify_algorithm(algo)
        queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert [t.output for t in ts] == ["0\n", "1\n", "2\n"]


def test_worker_killed_mid_task(queue, workers, drain, wait_until):
    t = Task("sleep 1; echo survived")
    queue.submit(t)
    first = workers.start(queue.port)

    def running():
        queue.wait(0.05)
        return queue.stats.tasks_running >= 1 or queue.stats.tasks_on_workers >= 1

    wait_until(running, 20, what="the task to start")
    first.send_signal(signal.SIGKILL)
    first.wait()
    workers.start(queue.port)
    (done,) = drain(queue, 60)
    assert done is t and t.result == 0 and t.output == "survived\n"
    assert t.try_count >= 2
    assert queue.stats.workers_lost >= 1
