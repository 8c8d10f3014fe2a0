"""Benchmark 6: benchmark 1 on Dask distributed, for a side-by-side ratio.

    python dask_bench.py N

A LocalCluster of processes (n_workers = cores, threads_per_worker = 1);
each task runs subprocess.run(['/bin/sh', '-c', '/bin/true']). Prints
dask_rate (tasks/s over N tasks submitted at once with client.map) and
dask_sched_cpu_us_per_task: the CPU (user + sys) of the process that holds
the scheduler per task. LocalCluster runs the scheduler inside this process,
so the figure also carries the client's share, as the master's figure in
bench/throughput.c carries its caller's.
"""

import os
import subprocess
import sys
import time


def run_true(i):
    """What a task runs, as in the other benchmarks."""
    subprocess.run(["/bin/sh", "-c", "/bin/true"], check=True)
    return i


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def main() -> int:
    import logging

    from dask.distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    cores = len(os.sched_getaffinity(0))
    with LocalCluster(
        n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with Client(cluster) as client:
            client.gather(client.map(run_true, range(cores * 4), pure=False))  # warm up
            c0, t0 = cpu_seconds(), time.perf_counter()
            futures = client.map(run_true, range(n), pure=False)
            got = client.gather(futures)
            wall = time.perf_counter() - t0
            cpu = cpu_seconds() - c0
            if sorted(got) != list(range(n)):
                print("dask_bench: results missing", file=sys.stderr)
                return 1
    print(f"dask_rate {n / wall:.1f}")
    print(f"dask_sched_cpu_us_per_task {cpu / n * 1e6:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
