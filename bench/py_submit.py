"""Benchmark 5: Task submits from Python with no workers.

    python py_submit.py N

Creates a queue on a free port, then creates and submits N tasks with the
command "/bin/true" (no worker connects, so they all stay queued). Prints
py_submits_per_s (Task() plus submit(), per second) and py_rss_per_task
(growth of the process RSS over the N queued tasks, per task, bytes), and
py_str_bytes_per_task: the bytes of the task's own strings (the command
copied into C, with its NUL), which the target leaves out.

Run it with the interpreter of the venv the package is installed in, from
outside the source tree (so `import work_queue` is the installed package).
"""

import os
import sys
import time

from work_queue import Task, WorkQueue

COMMAND = "/bin/true"


def rss() -> int:
    """Resident set size of this process, bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    q = WorkQueue(port=0)
    for _ in range(1000):  # warm up allocator and code paths (not counted)
        q.submit(Task(COMMAND))
    r0 = rss()
    t0 = time.perf_counter()
    submit = q.submit
    for _ in range(n):
        submit(Task(COMMAND))
    secs = time.perf_counter() - t0
    r1 = rss()
    print(f"py_submits_per_s {n / secs:.0f}")
    print(f"py_rss_per_task {(r1 - r0) / n:.1f}")
    print(f"py_str_bytes_per_task {len(COMMAND) + 1}")
    sys.stdout.flush()
    os._exit(0)  # deleting a million tasks one by one is not what is measured


if __name__ == "__main__":
    sys.exit(main())
