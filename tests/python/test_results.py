"""Result codes, limits, and the missing-input rule."""

import logging
import time

from work_queue import (
    WORK_QUEUE_RESULT_INPUT_MISSING,
    WORK_QUEUE_RESULT_SIGNAL,
    WORK_QUEUE_RESULT_STDOUT_MISSING,
    WORK_QUEUE_RESULT_SUCCESS,
    WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME,
    WORK_QUEUE_RESULT_TASK_TIMEOUT,
    Task,
)


def test_exit_codes(queue, workers, drain):
    ts = [Task("exit %d" % i) for i in (0, 1, 3)]
    for t in ts:
        queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert [(t.result, t.return_status) for t in ts] == [(0, 0), (0, 1), (0, 3)]
    assert all(t.result_str == "SUCCESS" for t in ts)


def test_signal(queue, workers, drain):
    t = Task("kill -9 $$")
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.result == WORK_QUEUE_RESULT_SIGNAL and t.return_status == 9


def test_running_time_max(queue, workers, drain):
    t = Task("sleep 30")
    t.specify_running_time_max(1)
    queue.submit(t)
    workers.start(queue.port)
    t0 = time.monotonic()
    drain(queue, 20)
    assert t.result == WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME
    assert time.monotonic() - t0 < 15


def test_end_time(queue, workers, drain):
    t = Task("sleep 30")
    t.specify_end_time(int((time.time() + 1) * 1e6))
    queue.submit(t)
    workers.start(queue.port)
    drain(queue, 20)
    assert t.result == WORK_QUEUE_RESULT_TASK_TIMEOUT


def test_output_truncated(queue, workers, drain):
    queue.specify_max_output_size(1000)
    t = Task("head -c 5000 /dev/zero | tr '\\0' x")
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.result == WORK_QUEUE_RESULT_STDOUT_MISSING
    assert len(t.output) == 1000


def test_missing_input_gives_result_1_naming_the_file(queue, drain, tmp_path, caplog):
    missing = tmp_path / "no-such-input.dat"
    t = Task("cat x")
    t.specify_input_file(str(missing), "x")
    caplog.set_level(logging.WARNING, logger="work_queue")
    queue.submit(t)
    drain(queue)  # completes without any worker
    assert t.result == WORK_QUEUE_RESULT_INPUT_MISSING == 1
    assert t.result_str == "INPUT_MISSING"
    assert str(missing) in t.output
    assert t.missing_inputs == [str(missing)]
    assert any(str(missing) in r.getMessage() for r in caplog.records)


def test_task_returned_by_wait_can_be_resubmitted(queue, workers, drain, tmp_path):
    t = Task("cat x")
    t.specify_input_file(str(tmp_path / "later"), "x")
    queue.submit(t)
    drain(queue)
    assert t.result == WORK_QUEUE_RESULT_INPUT_MISSING
    (tmp_path / "later").write_text("now\n")
    first = t.id
    queue.submit(t)
    workers.start(queue.port)
    (again,) = drain(queue)
    assert again is t and t.id != first
    assert t.result == WORK_QUEUE_RESULT_SUCCESS and t.output == "now\n"


def test_host_and_hostname_outlive_the_worker(queue, workers, drain):
    """A task names the worker that ran it ("ip:port" and its host name);
    tasks of one worker share those names, and they stay readable once the
    worker is gone."""
    import socket

    ts = [Task("true") for _ in range(3)]
    assert all(t.host is None and t.hostname is None for t in ts)
    for t in ts:
        queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    workers.reap()
    for t in ts:
        assert t.host.startswith("127.0.0.1:") and int(t.host.rsplit(":", 1)[1]) > 0
        assert t.hostname == socket.gethostname()
    assert len({t.host for t in ts}) == 1
    queue.submit(ts[0])   # a resubmitted task forgets where it ran
    assert ts[0].host is None
