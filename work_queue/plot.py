"""wq_plot: draw a master's performance log as a PNG.

    wq_plot LOG [-o OUT.png] [-s WxH] [--title TEXT] [--no-events]

Reads a performance log (docs/logs.md: the column order comes from its
header line) and draws, over time, the workers connected, the tasks waiting,
running and done, and the throughput (tasks done per minute, or per second
for a short run), like the seed paper's replica-exchange chart. Moments where
the number of workers jumps (workers added or removed) are marked with
letters A, B, C, ... on every panel.

The PNG is exactly W x H pixels (default 1200x800). matplotlib is needed
(pip install 'work_queue[plot]'); it is drawn with the Agg backend, so no
display is needed.

Exit status: 0 on success, 1 for a log that cannot be read or parsed, a
missing matplotlib or an output that cannot be written, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

PROG = "wq_plot"
HEADER = "# work_queue performance log"
# The columns a chart needs; a log without one of them is refused.
NEEDED = ("timestamp", "workers_connected", "tasks_waiting", "tasks_running", "tasks_done")
DPI = 100


class LogError(Exception):
    """A log that cannot be used, with a sentence saying why and where."""


class PerfLog:
    """A parsed performance log: the header's columns and one list of
    integers per column (rows in file order)."""

    def __init__(self, columns: list[str], rows: list[list[int]]) -> None:
        self.columns = columns
        self.rows = rows

    def column(self, name: str) -> list[int]:
        """The values of one column, in file order."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


def parse_log(text: str, name: str = "log") -> PerfLog:
    """Parse a performance log's text. The first line starting with HEADER
    names the columns (after its colon); other '#' lines and blank lines are
    skipped; each other line must hold one integer per column (a last line
    cut short by a crash is ignored). LogError otherwise."""
    columns: list[str] | None = None
    rows: list[list[int]] = []
    lines = text.split("\n")
    complete = text.endswith("\n")
    for no, line in enumerate(lines, 1):
        last = no == len(lines) or (no == len(lines) - 1 and lines[-1] == "")
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            if columns is None and s.startswith(HEADER):
                _, sep, rest = s.partition(":")
                columns = rest.split()
                if not sep or not columns:
                    raise LogError("%s:%d: the header line names no columns" % (name, no))
                if len(set(columns)) != len(columns):
                    raise LogError("%s:%d: the header line names a column twice" % (name, no))
                missing = [c for c in NEEDED if c not in columns]
                if missing:
                    raise LogError("%s:%d: the header has no column %s" % (name, no, ", ".join(missing)))
            continue
        if columns is None:
            raise LogError("%s:%d: data before the header line (%r...): not a work_queue performance log"
                           % (name, no, s[:40]))
        fields = s.split()
        try:
            values = [int(f) for f in fields]
        except ValueError:
            values = None
        if values is None or len(values) != len(columns):
            if last and not complete:
                continue  # the line being written when the master stopped
            if values is None:
                raise LogError("%s:%d: a value is not an integer: %r" % (name, no, s[:80]))
            raise LogError("%s:%d: %d values where the header names %d columns"
                           % (name, no, len(values), len(columns)))
        rows.append(values)
    if columns is None:
        raise LogError("%s: no '%s' header line: not a work_queue performance log" % (name, HEADER))
    if not rows:
        raise LogError("%s: the log has a header but no data lines" % name)
    return PerfLog(columns, rows)


def read_log(path: str) -> PerfLog:
    """Read and parse the log file at path (LogError when it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        raise LogError("cannot read %s: %s" % (path, e.strerror or e)) from None
    return parse_log(text, path)


def find_events(t: Sequence[float], workers: Sequence[int], max_events: int = 26) -> list[tuple[float, int]]:
    """Moments where the number of workers jumps: (time, change) for each
    step of at least max(1, 10% of the peak) between two samples, steps
    within 2% of the run's span merged; at most max_events, the largest."""
    if len(t) < 2:
        return []
    peak = max(workers) or 1
    threshold = max(1, peak // 10)
    span = (t[-1] - t[0]) or 1.0
    steps: list[list[float]] = []
    for i in range(1, len(t)):
        d = workers[i] - workers[i - 1]
        if d == 0:
            continue
        if steps and t[i] - steps[-1][0] <= 0.02 * span and (d > 0) == (steps[-1][1] > 0):
            steps[-1][1] += d
        else:
            steps.append([t[i], d])
    events = [(s[0], int(s[1])) for s in steps if abs(s[1]) >= threshold]
    if len(events) > max_events:
        events = sorted(sorted(events, key=lambda e: -abs(e[1]))[:max_events])
    return events


def throughput(t_s: Sequence[float], done: Sequence[int], per: float) -> tuple[list[float], list[float]]:
    """Tasks done per `per` seconds between consecutive samples, at each
    interval's end time."""
    xs, ys = [], []
    for i in range(1, len(t_s)):
        dt = t_s[i] - t_s[i - 1]
        if dt <= 0:
            continue
        xs.append(t_s[i])
        ys.append(max(0, done[i] - done[i - 1]) * per / dt)
    return xs, ys


def parse_size(s: str) -> tuple[int, int]:
    """'WxH' in pixels, each 100..10000 (argparse type)."""
    w, sep, h = s.lower().partition("x")
    try:
        if not sep:
            raise ValueError
        width, height = int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "size must be WIDTHxHEIGHT in pixels, like 1200x800, not %r" % s) from None
    if not (100 <= width <= 10000 and 100 <= height <= 10000):
        raise argparse.ArgumentTypeError("width and height must be from 100 to 10000 pixels, not %r" % s)
    return width, height


def draw(log: PerfLog, out: str, width: int, height: int, title: str, events: bool = True) -> None:
    """Draw the chart and write it to out as a PNG of exactly width x height
    pixels (figsize in inches x DPI, no tight bounding box)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = log.column("timestamp")
    t0 = ts[0]
    t_s = [(v - t0) / 1e6 for v in ts]
    span = t_s[-1] - t_s[0]
    if span >= 3 * 3600:
        unit, div = "hours", 3600.0
    elif span >= 180:
        unit, div = "minutes", 60.0
    else:
        unit, div = "seconds", 1.0
    x = [v / div for v in t_s]
    per, per_name = (60.0, "minute") if span >= 600 else (1.0, "second")

    workers = log.column("workers_connected")
    done = log.column("tasks_done")
    fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    try:
        axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.4, 1]})
        ax_w, ax_t, ax_r = axes

        ax_w.step(x, workers, where="post", color="tab:blue", label="workers connected")
        if "workers_busy" in log.columns:
            ax_w.step(x, log.column("workers_busy"), where="post", color="tab:cyan", alpha=0.8,
                      linestyle="--", label="workers busy")
        ax_w.set_ylabel("workers")
        ax_w.set_ylim(bottom=0)

        ax_t.plot(x, log.column("tasks_waiting"), color="tab:orange", label="tasks waiting")
        ax_t.plot(x, log.column("tasks_running"), color="tab:green", label="tasks running")
        ax_t.set_ylabel("tasks (now)")
        ax_t.set_ylim(bottom=0)
        ax_d = ax_t.twinx()
        ax_d.plot(x, done, color="tab:purple", label="tasks done (total)")
        ax_d.set_ylabel("tasks done")
        ax_d.set_ylim(bottom=0)
        lines = ax_t.get_lines() + ax_d.get_lines()
        ax_t.legend(lines, [ln.get_label() for ln in lines], loc="upper left", fontsize="small")

        rx, ry = throughput(t_s, done, per)
        ax_r.plot([v / div for v in rx], ry, color="tab:red", label="throughput")
        ax_r.set_ylabel("tasks done / %s" % per_name)
        ax_r.set_ylim(bottom=0)
        ax_r.set_xlabel("time since the log started (%s)" % unit)

        if events:
            for i, (te, d) in enumerate(find_events(t_s, workers)):
                letter = chr(ord("A") + i)
                for ax in axes:
                    ax.axvline(te / div, color="gray", linestyle=":", linewidth=1)
                # above the top panel's frame, clear of its legend and lines
                ax_w.annotate("%s (%+d)" % (letter, d), xy=(te / div, 1.0),
                              xycoords=("data", "axes fraction"), xytext=(0, 2), textcoords="offset points",
                              va="bottom", ha="center", fontsize="small", fontweight="bold",
                              annotation_clip=False)
        for ax in (ax_w, ax_r):
            ax.legend(loc="upper left", fontsize="small")
            ax.grid(True, alpha=0.3)
        ax_t.grid(True, alpha=0.3)
        fig.suptitle(title)
        fig.align_ylabels(axes)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tight_layout on a tiny canvas only warns
            fig.tight_layout()
        fig.savefig(out, format="png", dpi=DPI)
    finally:
        plt.close(fig)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Draw a work_queue performance log (workers, tasks, throughput over time) as a PNG.",
        epilog="The log is the one a master writes with specify_log() or WorkQueue(stats_log=...). "
        "Needs matplotlib: pip install 'work_queue[plot]'.",
    )
    p.add_argument("log", metavar="LOG", help="the performance log")
    p.add_argument("-o", "--output", metavar="OUT.png", help="the PNG to write (default: LOG.png)")
    p.add_argument("-s", "--size", type=parse_size, default=(1200, 800), metavar="WxH",
                   help="the picture's size in pixels (default 1200x800)")
    p.add_argument("--title", help="the chart's title (default: the log's file name)")
    p.add_argument("--no-events", action="store_true", help="do not mark the workers' jumps A, B, C, ...")
    return p


def run(argv: Sequence[str] | None) -> int:
    """wq_plot with these arguments; returns the exit status."""
    a = build_parser().parse_args(argv)
    out = a.output or os.path.splitext(a.log)[0] + ".png"
    try:
        log = read_log(a.log)
    except LogError as e:
        sys.stderr.write("%s: %s\n" % (PROG, e))
        return 1
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        sys.stderr.write("%s: matplotlib is needed: pip install 'work_queue[plot]'\n" % PROG)
        return 1
    width, height = a.size
    try:
        draw(log, out, width, height, a.title or os.path.basename(a.log), events=not a.no_events)
    except OSError as e:
        sys.stderr.write("%s: cannot write %s: %s\n" % (PROG, out, e.strerror or e))
        return 1
    return 0


def main() -> None:
    """Console script wq_plot."""
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
