"""The seed paper's two programs, run as they are written (Python 3 print
aside) in their own process, against real workers.
"""

import os
import socket
import subprocess
import time

import pytest

SEED_DATE = """\
from {module} import *
wq = WorkQueue()                      # default port 9123
wq.specify_name('project.name')
wq.specify_algorithm(WORK_QUEUE_SCHEDULE_FILES)
wq.activate_fast_abort(1.5)
task = Task('date > output.txt')
task.specify_output_file('output.txt')
wq.submit(task)
while not wq.empty():
    task = wq.wait(1)
    if task:
        print(task.command, task.result)
"""

SEED_CONVERT = """\
import sys
from {module} import *
wq = WorkQueue()
for input_file in sys.argv[1:]:
    output_file = input_file.replace('.txt', '.out')
    task = Task('convert %s %s' % (input_file, output_file))
    task.specify_input_file(input_file)
    task.specify_output_file(output_file)
    wq.submit(task)
while not wq.empty():
    task = wq.wait(1)
    if task:
        print(task.command, task.result)
"""

FAKE_CONVERT = "#!/bin/sh\ntr a-z A-Z < \"$1\" > \"$2\"\n"


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _run_seed(tmp_path, python, workers, wait_until, source, args=(), n_workers=1, env=None):
    """Run source as a program in tmp_path with workers on port 9123."""
    if _port_open(9123):
        pytest.skip("port 9123 (the seed's default) is in use on this machine")
    (tmp_path / "seed.py").write_text(source)
    master = subprocess.Popen([python, "seed.py", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: _port_open(9123) or master.poll() is not None, 20, what="the seed's port")
        for _ in range(n_workers):
            workers.start(9123, env=env)
        out, _ = master.communicate(timeout=60)
    finally:
        if master.poll() is None:
            master.kill()
            master.wait()
    assert master.returncode == 0, out
    return out


@pytest.mark.parametrize("module", ["work_queue", "workqueue"])
def test_seed_date_program(tmp_path, python, workers, wait_until, module):
    out = _run_seed(tmp_path, python, workers, wait_until, SEED_DATE.format(module=module))
    assert out.strip().endswith("date > output.txt 0"), out
    text = (tmp_path / "output.txt").read_text()
    assert str(time.gmtime().tm_year) in text or str(time.localtime().tm_year) in text


@pytest.mark.parametrize("module", ["work_queue", "workqueue"])
def test_seed_convert_program(tmp_path, python, workers, wait_until, module):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    conv = bindir / "convert"
    conv.write_text(FAKE_CONVERT)
    conv.chmod(0o755)
    names = []
    for i in range(6):
        (tmp_path / ("in%d.txt" % i)).write_text("image number %d\n" % i)
        names.append("in%d.txt" % i)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ.get("PATH", "")))
    out = _run_seed(tmp_path, python, workers, wait_until, SEED_CONVERT.format(module=module),
                    names, n_workers=2, env=env)
    for i, name in enumerate(names):
        assert "convert %s in%d.out 0" % (name, i) in out
        assert (tmp_path / ("in%d.out" % i)).read_text() == "IMAGE NUMBER %d\n" % i
