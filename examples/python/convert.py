#!/usr/bin/env python3
"""convert.py - the distributed-convert example of the Work Queue paper, in Python.

    python convert.py [-p PORT] [-w N] [-c CONVERTER] [-N NAME] [-C CATALOG]
                      [--stats-log LOG] [--transactions-log LOG] EXT FILE...

Submits one task per input file, 'convert IN OUT', where OUT is IN with its
extension replaced by EXT; sends IN and brings OUT back next to IN, then
prints the command and result of each task as it completes. Exits non-zero
if any task failed.

-N NAME names the project: the queue advertises itself to the catalog (-C,
else CATALOG_HOST/CATALOG_PORT), so that workers started anywhere with
'wq_worker -M NAME' find it, and 'wq_status' lists it. --stats-log and
--transactions-log write the two logs (docs/logs.md); 'wq_plot LOG -o x.png'
draws the first.

Workers: -w N starts N local workers on this machine (the embedded default;
default 2, 0 for none); any other wq_worker that can reach the port may join
too (wq_worker HOST PORT). The port is printed; -p picks it (default 0: any
free port).

ImageMagick may be absent: 'convert' is used only when 'convert -version'
says "Version: ImageMagick"; otherwise the example ships its own small
converter (examples/c/wq-convert: .ppm -> .pgm, text -> upper case) as an
input of every task. -c gives another one.
"""

import argparse
import os
import subprocess
import sys

from work_queue import WORK_QUEUE_RESULT_SUCCESS, Task, WorkQueue

HERE = os.path.dirname(os.path.abspath(__file__))


def have_imagemagick():
    """Does 'convert -version' here say it is ImageMagick?"""
    try:
        out = subprocess.run(["convert", "-version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.startswith("Version: ImageMagick") for line in out.stdout.splitlines())


def find_converter(given):
    """The converter to ship: -c, $WQ_CONVERT, or examples/c/wq-convert."""
    for path in (given, os.environ.get("WQ_CONVERT"), os.path.join(HERE, "..", "c", "wq-convert")):
        if path and os.access(path, os.R_OK):
            return os.path.abspath(path)
    return None


def output_name(path, ext):
    """path with its extension replaced by ext."""
    return os.path.splitext(path)[0] + "." + ext


def main(argv=None):
    ap = argparse.ArgumentParser(description="Convert files in parallel with work_queue.")
    ap.add_argument("-p", "--port", type=int, default=0, help="port to listen on (0: any free port)")
    ap.add_argument("-w", "--local-workers", type=int, default=2, help="local workers to start (default 2)")
    ap.add_argument("-c", "--converter", help="converter script to ship when ImageMagick is absent")
    ap.add_argument("ext", help="extension of the outputs, e.g. pgm")
    ap.add_argument("-N", "--name",
                    help="project name: advertise to the catalog (workers: wq_worker -M NAME)")
    ap.add_argument("-C", "--catalog", help="catalog(s) to advertise to, HOST:PORT[,HOST:PORT] "
                    "(default: CATALOG_HOST/CATALOG_PORT)")
    ap.add_argument("--stats-log", help="write the performance log here (draw it with wq_plot)")
    ap.add_argument("--transactions-log", help="write the transactions log here")
    ap.add_argument("files", nargs="+", help="input files")
    args = ap.parse_args(argv)

    converter = None
    if not have_imagemagick():
        converter = find_converter(args.converter)
        if converter is None:
            print("convert.py: no ImageMagick and no converter to ship (use -c)", file=sys.stderr)
            return 2

    with WorkQueue(port=args.port, name=args.name, stats_log=args.stats_log,
                   transactions_log=args.transactions_log, catalog=args.catalog,
                   local_workers=args.local_workers) as wq:
        print("listening on port %d" % wq.port, flush=True)
        for input_file in args.files:
            output_file = output_name(input_file, args.ext)
            remote_in = os.path.basename(input_file)
            remote_out = os.path.basename(output_file)
            command = "convert %s %s" % (remote_in, remote_out)
            if converter:
                command = "./wq-convert %s %s" % (remote_in, remote_out)
            task = Task(command)
            if converter:
                task.specify_input_file(converter, "wq-convert", cache=True)
            task.specify_input_file(input_file, remote_in)
            task.specify_output_file(output_file, remote_out)
            wq.submit(task)

        failed = 0
        for task in wq:  # each task as it completes, until the queue is empty
            print(task.command, task.result, flush=True)
            if task.result != WORK_QUEUE_RESULT_SUCCESS or task.return_status != 0:
                failed += 1
                sys.stderr.write(task.output or "")
    print("%d of %d converted" % (len(args.files) - failed, len(args.files)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
