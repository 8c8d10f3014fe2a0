"""wq_plot: a PNG of the asked size from a performance log; clear errors.

The log is written here as the master writes it (docs/logs.md): a header
naming the columns, then one line every 5 seconds. Its story is the seed's
replica-exchange run: workers are added and removed at five events A-E while
a fixed set of tasks drains.
"""

import os
import struct
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)

COLUMNS = (
    "timestamp workers_connected workers_init workers_idle workers_busy workers_joined workers_removed "
    "workers_lost workers_fast_aborted tasks_waiting tasks_on_workers tasks_running tasks_with_results "
    "tasks_submitted tasks_dispatched tasks_done tasks_failed tasks_cancelled tasks_fast_aborted tasks_lost "
    "bytes_sent bytes_received total_cores committed_cores"
).split()

# (seconds from the start, workers connected from then on): events A-E
STORY = [(0, 0), (60, 16), (420, 48), (900, 24), (1260, 64), (1680, 8)]
TASKS = 3000
TASK_SECONDS = 40


def perf_log(columns=COLUMNS, seconds=1800, step=5):
    """The text of a performance log for STORY, in the given column order."""
    t0 = 1795613656960529
    lines = ["# work_queue performance log v1: " + " ".join(columns)]
    done = joined = removed = 0
    workers = 0
    for s in range(0, seconds + 1, step):
        w = [n for at, n in STORY if s >= at][-1]
        if w > workers:
            joined += w - workers
        elif w < workers:
            removed += workers - w
        workers = w
        left = TASKS - done
        running = min(workers, left)
        # each running task finishes after TASK_SECONDS on average
        finished = min(left - 0, round(running * step / TASK_SECONDS))
        done += finished
        row = dict.fromkeys(columns, 0)
        row.update(
            timestamp=t0 + s * 1000000,
            workers_connected=workers,
            workers_busy=running,
            workers_idle=workers - running,
            workers_joined=joined,
            workers_removed=removed,
            tasks_waiting=TASKS - done - running,
            tasks_on_workers=running,
            tasks_running=running,
            tasks_submitted=TASKS,
            tasks_dispatched=done + running,
            tasks_done=done,
            bytes_sent=done * 4096,
            bytes_received=done * 1024,
            total_cores=workers,
            committed_cores=running,
        )
        lines.append(" ".join(str(row[c]) for c in columns))
        if s % 300 == 0:
            lines.append("# a comment the reader must skip")
    return "\n".join(lines) + "\n"


def wq_plot():
    path = os.path.join(os.path.dirname(sys.executable), "wq_plot")
    assert os.access(path, os.X_OK), "the console script wq_plot is not installed: %s" % path
    return path


def png_size(path):
    """(width, height) from a PNG's IHDR chunk."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %r" % head[:8]
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def run(*args):
    return subprocess.run([wq_plot(), *map(str, args)], capture_output=True, text=True, timeout=90)


def test_plot_default_and_asked_sizes(tmp_path):
    log = tmp_path / "perf.log"
    log.write_text(perf_log())
    out = tmp_path / "chart.png"
    r = run(log, "-o", out)
    assert r.returncode == 0, r.stderr
    assert png_size(out) == (1200, 800)
    assert os.path.getsize(out) > 10000  # a real chart, not an empty canvas
    odd = tmp_path / "odd.png"
    r = run(log, "-o", odd, "-s", "1001x517", "--title", "replica exchange")
    assert r.returncode == 0, r.stderr
    assert png_size(odd) == (1001, 517)


def test_plot_takes_columns_from_the_header(tmp_path):
    # another column order, a column added at the end, and a last line cut
    # short by a crash: still a chart
    cols = list(reversed(COLUMNS)) + ["tasks_from_the_future"]
    text = perf_log(columns=cols, seconds=600) + "1795613 3 4"
    log = tmp_path / "reordered.log"
    log.write_text(text)
    r = run(log, "-s", "640x480")  # default output: LOG with .png
    assert r.returncode == 0, r.stderr
    assert png_size(tmp_path / "reordered.png") == (640, 480)


@pytest.mark.parametrize(
    "text, expect",
    [
        ("", "not a work_queue performance log"),
        ("hello world\n", "not a work_queue performance log"),
        ("# work_queue performance log v1: timestamp workers_connected\n1 2\n", "no column"),
        (perf_log(seconds=20).replace("\n1795613656", "\n17956x3656", 1), "not an integer"),
        ("# work_queue performance log v1: " + " ".join(COLUMNS) + "\n", "no data lines"),
        (perf_log(seconds=20).split("\n", 1)[0] + "\n1 2 3\n" + perf_log(seconds=20).split("\n", 1)[1],
         "3 values where the header names 24 columns"),
    ],
)
def test_bad_log_is_a_clear_error(tmp_path, text, expect):
    log = tmp_path / "bad.log"
    log.write_text(text)
    out = tmp_path / "bad.png"
    r = run(log, "-o", out)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith("wq_plot: ") and expect in r.stderr, r.stderr
    assert str(log) in r.stderr
    assert not out.exists()


def test_missing_log_and_bad_size(tmp_path):
    r = run(tmp_path / "nope.log")
    assert r.returncode == 1 and "cannot read" in r.stderr and "nope.log" in r.stderr
    log = tmp_path / "perf.log"
    log.write_text(perf_log(seconds=60))
    r = run(log, "-s", "big")
    assert r.returncode == 2 and "WIDTHxHEIGHT" in r.stderr
    r = run(log, "-s", "50x20000")
    assert r.returncode == 2 and "100 to 10000" in r.stderr
    r = run(log, "-o", tmp_path / "no-such-dir" / "x.png")
    assert r.returncode == 1 and "cannot write" in r.stderr


def test_help():
    r = run("--help")
    assert r.returncode == 0 and "performance log" in r.stdout and "WxH" in r.stdout
