#!/usr/bin/env python3
"""The benchmark suite: one command builds what it needs, runs every
benchmark of issue 5 with its baseline in the same run, and writes
bench/results.json, bench/results.md and the table in docs/performance.md
(between the bench-table marker comments).

    python3 bench/run.py [--quick] [--venv DIR] [--build DIR] [--no-python]

--quick runs a small version of each (no Dask) in well under two minutes.
Benchmarks report: a missed target does not fail the run. The exit status
is 1 only when something is broken (a crash, a lost task, a wrong byte, a
build failure), else 0.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_PROGS = ["swarm", "master_cost", "throughput", "spawn_baseline", "data", "data_baseline", "sys_floor"]
BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"

broken: list[str] = []


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd: list[str], timeout: float, what: str, cwd: str | None = None) -> dict[str, float]:
    """Run one benchmark program; parse its "key value" lines. A failure is
    recorded in `broken` and gives an empty dict."""
    log(f"{what}: {' '.join(cmd)}")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        broken.append(f"{what}: timed out after {timeout:.0f} s")
        log(broken[-1])
        return {}
    out: dict[str, float] = {}
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    if p.returncode != 0:
        broken.append(f"{what}: exit status {p.returncode}: {p.stderr.strip()[-400:]}")
        log(broken[-1])
        return {}
    log(f"{what}: {out}")
    return out


def build(odir: str) -> str:
    """make -j2 all plus the bench programs into odir; returns odir's absolute path."""
    targets = [f"{odir}/bench/{p}" for p in BENCH_PROGS]
    log(f"build: make -j2 O={odir} all + bench programs")
    r = subprocess.run(["make", "-j2", f"O={odir}", "all", *targets], cwd=ROOT)
    if r.returncode != 0:
        broken.append("build failed")
        return ""
    return os.path.join(ROOT, odir) if not os.path.isabs(odir) else odir


def venv_python(venv: str, quick: bool, want_dask: bool) -> str | None:
    """The venv's python with the package installed (and Dask when wanted).
    The full run installs; --quick installs only what is missing."""
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        log(f"python: creating {venv}")
        if subprocess.run([sys.executable, "-m", "venv", venv]).returncode != 0:
            broken.append("cannot create the venv")
            return None

    def has(mod: str) -> bool:
        return (
            subprocess.run(
                [py, "-c", f"import {mod}"], cwd=tempfile.gettempdir(), capture_output=True
            ).returncode
            == 0
        )

    pip = [py, "-m", "pip", "install", "-q"]
    if not quick or not has("work_queue"):
        log("python: pip install . (the package under test)")
        if subprocess.run([*pip, "."], cwd=ROOT).returncode != 0:
            broken.append("pip install . failed")
            return None
    if want_dask and not (has("distributed") and has("psutil")):
        log("python: pip install dask distributed psutil")
        if subprocess.run([*pip, "dask[distributed]", "psutil"]).returncode != 0:
            log("python: could not install Dask; benchmark 6 skipped")
    return py


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else float("nan")


def suite(args: argparse.Namespace) -> dict:
    q = args.quick
    cores = len(os.sched_getaffinity(0))
    params = {
        "tasks": 500 if q else 10_000,
        "tasks_reps": 1 if q else 2,
        "swarm_n": 200 if q else 1000,
        "swarm_tasks": 10_000 if q else 100_000,
        "swarm_cores": 4,
        "swarm_big_n": 0 if q else 10_000,
        "swarm_big_tasks": 50_000,
        "admit": 20 if q else 100,
        "rtt": 100 if q else 1200,
        "rtt_reps": 1 if q else 4,
        "data_mib": 16 if q else 256,
        "data_reps": 1 if q else 3,
        "py_submits": 100_000 if q else 1_000_000,
        "dask_tasks": 0 if q or args.no_python else 10_000,
    }
    res: dict = {"params": params, "cores": cores}
    b = build(args.build)
    if not b:
        return res
    w = os.path.join(b, "wq_worker")
    prog = {p: os.path.join(b, "bench", p) for p in BENCH_PROGS}

    # 1. throughput: spawn loop and master alternated, the spawn loop first
    # and last (the machine drifts); the means of each
    spawns, runs = [], []
    for _ in range(params["tasks_reps"]):
        spawns.append(
            run([prog["spawn_baseline"], "rate", str(params["tasks"]), str(cores)], 600, "1 spawn loop")
        )
        runs.append(
            run([prog["throughput"], w, "rate", str(params["tasks"]), str(cores)], 900, "1 throughput")
        )
    spawns.append(
        run([prog["spawn_baseline"], "rate", str(params["tasks"]), str(cores)], 600, "1 spawn loop again")
    )
    rates = [x["spawn_rate"] for x in spawns if "spawn_rate" in x]
    ok = [x for x in runs if "wq_rate" in x]
    res["throughput"] = {k: sum(x[k] for x in ok) / len(ok) for k in ok[0]} if ok else {}
    res["throughput"]["spawn_rate"] = sum(rates) / len(rates) if rates else None

    # 2. master cost
    res["master_cost"] = run(
        [prog["master_cost"], prog["swarm"], str(params["swarm_n"]), str(params["swarm_tasks"])],
        600,
        "2 master cost",
    )
    floor = os.path.join(b, "bench", "sys_floor")
    if os.path.exists(floor):
        res["sys_floor"] = run(
            [floor, str(params["swarm_n"]), str(params["swarm_tasks"])],
            300,
            "2 kernel floor (send + recv per message)",
        )
    res["master_cost_cores"] = run(
        [
            prog["master_cost"],
            prog["swarm"],
            str(params["swarm_n"]),
            str(params["swarm_tasks"]),
            str(params["swarm_cores"]),
        ],
        600,
        f"2 master cost, {params['swarm_cores']}-core simulated workers",
    )
    if params["swarm_big_n"]:
        res["master_cost_big"] = run(
            [prog["master_cost"], prog["swarm"], str(params["swarm_big_n"]), str(params["swarm_big_tasks"])],
            900,
            "2 master cost, 10,000 connections",
        )
    res["admit"] = run([prog["throughput"], w, "admit", str(params["admit"])], 300, "2 admit real workers")

    # 3. latency: spawn and round trips alternated in blocks, the spawn first
    # and last; means of the blocks' percentiles (this VM's wake-up latency
    # swings by hundreds of us from one minute to the next)
    reps = params["rtt_reps"]
    n = str(max(1, params["rtt"] // reps))
    spawns, trips = [], []
    for _ in range(reps):
        spawns.append(run([prog["spawn_baseline"], "latency", n], 600, "3 spawn latency"))
        trips.append(run([prog["throughput"], w, "latency", n], 900, "3 round trips"))
    spawns.append(run([prog["spawn_baseline"], "latency", n], 600, "3 spawn latency again"))
    spawns = [x for x in spawns if "spawn_p50_us" in x]
    trips = [x for x in trips if "wq_p50_us" in x]
    res["latency"] = {k: sum(x[k] for x in trips) / len(trips) for k in trips[0]} if trips else {}
    res["latency"]["spawn_p50_us"] = sum(x["spawn_p50_us"] for x in spawns) / len(spawns) if spawns else None

    # 4. data: alternate the two, keep the median of each
    wq, base, rss = [], [], []
    with tempfile.TemporaryDirectory(prefix="wqbench-data-") as d:
        for _ in range(params["data_reps"]):
            x = run([prog["data_baseline"], d, str(params["data_mib"])], 600, "4 data baseline")
            y = run([prog["data"], w, d, str(params["data_mib"])], 600, "4 data through the master")
            if "base_data_mb_per_s" in x:
                base.append(x["base_data_mb_per_s"])
            if "wq_data_mb_per_s" in y:
                wq.append(y["wq_data_mb_per_s"])
                rss.append(y["master_data_maxrss"])
    res["data"] = {
        "wq_mb_per_s": median(wq) if wq else None,
        "base_mb_per_s": median(base) if base else None,
        "master_maxrss": max(rss) if rss else None,
        "bytes": params["data_mib"] << 20,
    }

    # 5 and 6: Python
    if not args.no_python:
        py = venv_python(args.venv, q, params["dask_tasks"] > 0)
        if py:
            here = os.path.dirname(os.path.abspath(__file__))
            res["python"] = run(
                [py, os.path.join(here, "py_submit.py"), str(params["py_submits"])],
                600,
                "5 Python submits",
                cwd=tempfile.gettempdir(),
            )
            if params["dask_tasks"]:
                res["dask"] = run(
                    [py, os.path.join(here, "dask_bench.py"), str(params["dask_tasks"])],
                    1200,
                    "6 Dask",
                    cwd=tempfile.gettempdir(),
                )
    return res


def fmt(v, unit: str = "") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}{unit}"
    return f"{v:.3g}{unit}" if abs(v) < 10 else f"{v:.1f}{unit}"


def rows(res: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(figure, value, baseline, ratio, target, met) for the table."""
    out = []
    params = res.get("params", {})

    def row(name, v, base, ratio, target, met):
        out.append((name, v, base, ratio, target, "n/a" if met is None else ("yes" if met else "**no**")))

    def reported(name: str, v: str, base: str = "", ratio: str = "") -> None:
        """A figure printed without a target."""
        row(name, v, base, ratio, "(reported)", None)

    t = res.get("throughput", {})
    r = t.get("wq_rate"), t.get("spawn_rate")
    ratio = r[0] / r[1] if None not in r else None
    row(
        f"1. /bin/true tasks/s, {params.get('tasks')} tasks, {res.get('cores')} workers",
        fmt(r[0]),
        f"{fmt(r[1])} (spawn loop)",
        fmt(ratio),
        ">= 0.8",
        None if ratio is None else ratio >= 0.8,
    )
    reported(
        "1. master CPU per task, local workers (us)",
        fmt(t.get("wq_master_cpu_us_per_task")),
    )

    def cost_row(cores: str, v: float | None, target: str) -> None:
        """Benchmark 2's gate: master CPU per task against the original's ~900 us."""
        name = f"2. master CPU per task, {params.get('swarm_n')} simulated {cores}-core workers (us)"
        better = f"{fmt(900 / v)}x better" if v else "n/a"
        row(name, fmt(v), "original ~900", better, target, None if v is None else v <= 10)

    m = res.get("master_cost", {})
    v = m.get("master_cpu_us_per_task")
    cost_row("1", v, "<= 10 (floor-bound, see below)")
    mc = res.get("master_cost_cores", {})
    cost_row(str(params.get("swarm_cores")), mc.get("master_cpu_us_per_task"), "<= 10")
    reported(
        f"2. master user / system CPU per task, {params.get('swarm_cores')}-core (us)",
        f"{fmt(mc.get('master_user_us_per_task'))} / {fmt(mc.get('master_sys_us_per_task'))}",
    )
    reported(
        f"2. tasks/s, {params.get('swarm_n')} simulated {params.get('swarm_cores')}-core workers",
        fmt(mc.get("master_tasks_per_s")),
    )
    reported(
        f"2. master user / system CPU per task, {params.get('swarm_n')} 1-core (us)",
        f"{fmt(m.get('master_user_us_per_task'))} / {fmt(m.get('master_sys_us_per_task'))}",
    )
    fl = res.get("sys_floor", {})
    fv = fl.get("floor_cpu_us_per_msg")
    reported(
        f"2. kernel floor: one send + one recv per message, {params.get('swarm_n')} connections (us)",
        fmt(fv),
        f"{fmt(v)} (master)",
        f"master - floor = {fmt(v - fv)} us" if None not in (v, fv) else "n/a",
    )
    reported(
        f"2. tasks/s, {params.get('swarm_n')} simulated 1-core workers",
        fmt(m.get("master_tasks_per_s")),
    )
    reported(
        f"2. master RSS per idle connection, {params.get('swarm_n')} (bytes)",
        fmt(m.get("rss_per_idle_conn")),
    )
    if "master_cost_big" in res:
        mb = res["master_cost_big"]
        n = params.get("swarm_big_n")
        adm = mb.get("master_workers_at_end")
        row(
            f"2. {n:,} simulated workers admitted",
            fmt(adm),
            "",
            "",
            f"= {n:,}",
            None if adm is None else adm >= n,
        )
        reported(
            f"2. {n:,} connections: admission time (ms)",
            fmt(mb.get("swarm_admit_ms")),
        )
        row(
            f"2. {n:,} connections: tasks/s",
            fmt(mb.get("master_tasks_per_s")),
            "",
            "",
            "> 0 (flowing)",
            None if not mb else mb.get("master_tasks_per_s", 0) > 0,
        )
        reported(
            f"2. {n:,} connections: master CPU per task (us)",
            fmt(mb.get("master_cpu_us_per_task")),
        )
        reported(
            f"2. {n:,} connections: RSS per idle connection (bytes)",
            fmt(mb.get("rss_per_idle_conn")),
        )
    a = res.get("admit", {}).get("admit_ms")
    reported(
        f"2. time to admit {params.get('admit')} real wq_workers (ms)",
        fmt(a),
        "original 7,700 (100)",
    )
    lat = res.get("latency", {})
    p50, sp = lat.get("wq_p50_us"), lat.get("spawn_p50_us")
    row(
        f"3. round trip p50, {params.get('rtt')} sequential in {params.get('rtt_reps', 1)} blocks (us)",
        fmt(p50),
        f"{fmt(sp)} (spawn p50)",
        f"{p50 - sp:+.0f} us" if None not in (p50, sp) else "n/a",
        "<= spawn + 300 us",
        None if None in (p50, sp) else p50 <= sp + 300,
    )
    reported(
        "3. round trip p10 / p90 / p99 (us)",
        f"{fmt(lat.get('wq_p10_us'))} / {fmt(lat.get('wq_p90_us'))} / {fmt(lat.get('wq_p99_us'))}",
    )
    d = res.get("data", {})
    wq, base = d.get("wq_mb_per_s"), d.get("base_mb_per_s")
    ratio = wq / base if None not in (wq, base) else None
    mib = (d.get("bytes") or 0) >> 20
    row(
        f"4. {mib} MiB in, cp, out (MB/s, both ways)",
        fmt(wq),
        f"{fmt(base)} (sendfile+cp+sendfile)",
        fmt(ratio),
        ">= 0.8",
        None if ratio is None else ratio >= 0.8,
    )
    mr = d.get("master_maxrss")
    row(
        "4. master peak RSS during the transfer (bytes)",
        fmt(mr),
        f"{fmt(d.get('bytes'))} (file size)",
        fmt(mr / d["bytes"]) if mr and d.get("bytes") else "n/a",
        "<= max(0.1 of file, 16 MiB)",
        None if not mr else mr <= max(0.1 * d["bytes"], 16 << 20),
    )
    py = res.get("python", {})
    sps = py.get("py_submits_per_s")
    row(
        f"5. Python submits/s, {params.get('py_submits'):,} tasks",
        fmt(sps),
        "original 224,000",
        fmt(sps / 224000 if sps else None),
        ">= 300,000",
        None if sps is None else sps >= 300000,
    )
    rp = py.get("py_rss_per_task")
    beyond = rp - py.get("py_str_bytes_per_task", 0) if rp is not None else None
    row(
        "5. RSS per queued task beyond its strings (bytes)",
        fmt(beyond),
        "original 2,300",
        "",
        "<= 1,024",
        None if beyond is None else beyond <= 1024,
    )
    dk = res.get("dask", {})
    dr = dk.get("dask_rate")
    ratio = t.get("wq_rate") / dr if dr and t.get("wq_rate") else None
    reported(
        f"6. /bin/true tasks/s, Dask LocalCluster ({params.get('dask_tasks'):,} tasks)",
        fmt(dr),
        f"{fmt(t.get('wq_rate'))} (ours)",
        f"ours/Dask {fmt(ratio)}" if ratio else "n/a",
    )
    reported(
        "6. scheduler CPU per task, Dask vs ours (us)",
        fmt(dk.get("dask_sched_cpu_us_per_task")),
        f"{fmt(t.get('wq_master_cpu_us_per_task'))} (ours)",
    )
    return out


def table(res: dict) -> str:
    lines = [
        "| figure | value | baseline (same run) | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows(res)]
    stamp = res.get("when", "")
    mode = "quick" if res.get("quick") else "full"
    lines.append("")
    lines.append(
        f"Run: {stamp}, {mode} suite, {res.get('cores')} cores, {res.get('host', '')}; "
        "a shared, noisy machine."
    )
    if res.get("broken"):
        lines.append("")
        lines.append("Broken in this run: " + "; ".join(res["broken"]))
    return "\n".join(lines) + "\n"


def update_doc(md: str, path: str) -> None:
    """Replace the text between the markers in docs/performance.md."""
    try:
        with open(path) as f:
            doc = f.read()
    except OSError:
        return
    i, j = doc.find(BEGIN), doc.find(END)
    if i < 0 or j < i:
        log(f"{path}: no bench-table markers; table not updated")
        return
    with open(path, "w") as f:
        f.write(doc[: i + len(BEGIN)] + "\n" + md + doc[j:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small version of each benchmark, no Dask")
    ap.add_argument(
        "--venv", default=os.path.join(ROOT, ".venv"), help="venv for benchmarks 5 and 6 (default: .venv)"
    )
    ap.add_argument("--build", default="build", help="make's output directory (O=, default build)")
    ap.add_argument("--no-python", action="store_true", help="skip benchmarks 5 and 6")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench"), help="where results.json and results.md go")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite the table in docs/performance.md")
    args = ap.parse_args()
    t0 = time.time()
    res = suite(args)
    res["when"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    res["quick"] = args.quick
    res["host"] = f"{platform.system()} {platform.release()}"
    res["seconds"] = round(time.time() - t0, 1)
    res["broken"] = broken
    md = table(res)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    if not args.no_doc:
        update_doc(md, os.path.join(ROOT, "docs", "performance.md"))
    print()
    print(md)
    log(f"done in {res['seconds']} s" + (f"; BROKEN: {len(broken)}" if broken else ""))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
