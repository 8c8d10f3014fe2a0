"""The performance and transactions logs (docs/logs.md), from a real run:
a named master, one real worker, a few tasks (one failing, one with a
missing input), then close."""

import os
import time

import pytest

import work_queue

pytestmark = pytest.mark.timeout(90)

PERF_HEADER = "# work_queue performance log v1: "
TX_HEADER = "# work_queue transactions log v1: timestamp master_pid subject id event [details]"
PERF_COLUMNS = (
    "timestamp workers_connected workers_init workers_idle workers_busy workers_joined workers_removed "
    "workers_lost workers_fast_aborted tasks_waiting tasks_on_workers tasks_running tasks_with_results "
    "tasks_submitted tasks_dispatched tasks_done tasks_failed tasks_cancelled tasks_fast_aborted tasks_lost "
    "bytes_sent bytes_received total_cores committed_cores"
).split()


def read_perf(path):
    lines = path.read_text().splitlines()
    assert lines and lines[0].startswith(PERF_HEADER), lines[:1]
    columns = lines[0][len(PERF_HEADER):].split()
    assert columns[: len(PERF_COLUMNS)] == PERF_COLUMNS  # later versions may add columns at the end
    rows = []
    for ln in lines[1:]:
        if ln.startswith("#"):
            continue
        values = [int(v) for v in ln.split(" ")]  # single spaces, integers
        assert len(values) == len(columns), ln
        rows.append(dict(zip(columns, values)))
    return rows


def read_tx(path):
    lines = path.read_text().splitlines()
    assert lines and lines[0] == TX_HEADER, lines[:1]
    events = []
    for ln in lines[1:]:
        if ln.startswith("#"):
            continue
        f = ln.split(" ")
        assert len(f) >= 5 and all(f), ln
        events.append({"time": int(f[0]), "pid": int(f[1]), "subject": f[2], "id": f[3], "event": f[4],
                       "details": f[5:]})
    return events


def test_logs_of_a_run(tmp_path, workers, drain):
    perf, tx = tmp_path / "perf.log", tmp_path / "tx.log"
    with work_queue.WorkQueue(port=0, name="logs-test", stats_log=perf, transactions_log=tx) as q:
        port = q.port
        ok = [work_queue.Task("echo ok-%d" % i) for i in range(2)]
        for t in ok:
            t.specify_category("good")
            t.specify_cores(1)
        bad = work_queue.Task("exit 3")
        missing = work_queue.Task("cat in.txt")
        missing.specify_input_file(str(tmp_path / "no-such-input"), "in.txt")
        ids = {q.submit(t): t for t in ok + [bad, missing]}
        workers.start(port)
        done = drain(q, 60)
        assert len(done) == 4
    # closed: both logs are complete
    rows = read_perf(perf)
    assert len(rows) >= 2  # one at open, one at close (and every 5 s between)
    times = [r["timestamp"] for r in rows]
    assert times == sorted(times) and times[0] > 1.5e15  # microseconds since the epoch
    last = rows[-1]
    assert last["tasks_submitted"] == 4 and last["tasks_done"] == 4 and last["workers_joined"] == 1
    assert last["tasks_waiting"] == 0 and last["tasks_running"] == 0

    events = read_tx(tx)
    assert {e["pid"] for e in events} == {os.getpid()}
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    first, end = events[0], events[-1]
    assert (first["subject"], first["event"]) == ("MASTER", "START")
    assert "port=%d" % port in first["details"] and "project=logs-test" in first["details"]
    assert (end["subject"], end["event"]) == ("MASTER", "END")

    def of(subject, event):
        return [e for e in events if e["subject"] == subject and e["event"] == event]

    conn = of("WORKER", "CONNECTION")
    assert len(conn) == 1
    c = conn[0]["details"]
    assert c[1].startswith("127.0.0.1:") and "cores=1" in c
    assert len(of("WORKER", "DISCONNECTION")) == 1
    assert of("WORKER", "DISCONNECTION")[0]["id"] == conn[0]["id"]
    assert of("WORKER", "DISCONNECTION")[0]["details"][0] in ("MASTER_CLOSED", "RELEASED", "EXPLICIT")

    submitted = {e["id"]: e for e in of("TASK", "SUBMITTED")}
    assert set(submitted) == {str(i) for i in ids}
    for tid, t in ids.items():
        if t in ok:
            assert "category=good" in submitted[str(tid)]["details"]
            assert "cores=1" in submitted[str(tid)]["details"]
    dispatched = of("TASK", "DISPATCHED")
    assert {e["id"] for e in dispatched} >= {str(i) for i, t in ids.items() if t is not missing}
    assert all(e["details"][0] == conn[0]["id"] and e["details"][1] == "try=1" for e in dispatched)
    retrieved = {e["id"]: e["details"] for e in of("TASK", "RETRIEVED")}
    bad_id = str(next(i for i, t in ids.items() if t is bad))
    assert "exit=3" in retrieved[bad_id] and "result=0" in retrieved[bad_id]
    done_events = {e["id"]: e["details"][0] for e in of("TASK", "DONE")}
    assert set(done_events) == {str(i) for i in ids}
    missing_id = str(next(i for i, t in ids.items() if t is missing))
    assert done_events[missing_id] == "INPUT_MISSING"
    assert [done_events[str(i)] for i, t in ids.items() if t is not missing] == ["SUCCESS"] * 3
    # order of one task's story
    for tid in ids:
        story = [e["event"] for e in events if e["subject"] == "TASK" and e["id"] == str(tid)]
        assert story[0] == "SUBMITTED" and story[-1] == "DONE", story


def test_performance_log_every_few_seconds(tmp_path):
    perf = tmp_path / "perf.log"
    with work_queue.WorkQueue(port=0) as q:
        q.specify_log(str(perf))
        q.submit(work_queue.Task("true"))  # waits: no worker
        for _ in range(60):  # 6 s of wait()
            q.wait(0.1)
        n = len(read_perf(perf))
        assert n >= 2, "no line after 6 s of wait()"  # open + one 5 s tick, flushed line by line
        assert read_perf(perf)[-1]["tasks_waiting"] == 1
    assert len(read_perf(perf)) == n + 1  # and one at close


def test_performance_log_follows_changes_each_second(tmp_path, workers):
    """While tasks come and go the log has a line each second, not only every
    5 s; a quiet second adds none."""
    perf = tmp_path / "perf.log"
    with work_queue.WorkQueue(port=0) as q:
        q.specify_log(str(perf))
        for _ in range(12):
            q.submit(work_queue.Task("sleep 0.3"))
        workers.start(q.port, cores=1)
        t0 = time.monotonic()
        while not q.empty():
            q.wait(0.1)
        busy = time.monotonic() - t0
        quiet0 = len(read_perf(perf))
        t1 = time.monotonic()
        while time.monotonic() - t1 < 2.5:   # nothing changes now
            q.wait(0.1)
        quiet = len(read_perf(perf)) - quiet0
    rows = read_perf(perf)
    done = [r["tasks_done"] for r in rows]
    assert done == sorted(done) and done[-1] == 12
    # 12 tasks of 0.3 s one after another: at least 3 s of changes, a line per second
    assert busy >= 3 and len(set(done)) >= 4, (busy, done)
    assert quiet <= 1, "lines while nothing changed: %d" % quiet


def test_log_that_cannot_be_opened(tmp_path):
    where = tmp_path / "no-such-dir" / "x.log"
    with work_queue.WorkQueue(port=0) as q:
        with pytest.raises(FileNotFoundError) as e:  # the errno fopen left
            q.specify_log(where)
        assert e.value.filename == str(where) and str(where) in str(e.value)
        with pytest.raises(OSError) as e:
            q.specify_transactions_log(str(where))
        assert e.value.filename == str(where)
        with pytest.raises(TypeError):
            q.specify_log(42)
    with pytest.raises(OSError) as e:
        work_queue.WorkQueue(port=0, stats_log=where)
    assert e.value.filename == str(where)
    with pytest.raises(IsADirectoryError) as e:
        work_queue.WorkQueue(port=0, transactions_log=tmp_path)
    assert e.value.filename == str(tmp_path)
