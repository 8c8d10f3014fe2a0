"""The installed package: the worker inside it, the console scripts."""

import os
import subprocess
import sys

import work_queue


def test_imported_from_installed_package():
    assert "site-packages" in work_queue.__file__ or "dist-packages" in work_queue.__file__


def test_packaged_worker_and_scripts():
    exe = work_queue.worker_path()
    assert exe.startswith(os.path.dirname(work_queue.__file__))
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and work_queue.__version__ in out.stdout
    bindir = os.path.dirname(sys.executable)
    for name in ("wq_worker", "work_queue_worker"):
        script = os.path.join(bindir, name)
        assert os.access(script, os.X_OK), script
        r = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=10)
        assert r.returncode == 0 and "HOST PORT" in r.stdout


def test_packaged_catalog_server_and_tools():
    exe = work_queue.catalog_server_path()
    assert exe.startswith(os.path.dirname(work_queue.__file__))
    bindir = os.path.dirname(sys.executable)
    r = subprocess.run([os.path.join(bindir, "wq_catalog_server"), "--version"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0 and work_queue.__version__ in r.stdout + r.stderr
    for name, word in (("wq_status", "CATALOG_HOST"), ("work_queue_status", "CATALOG_HOST"),
                       ("wq_plot", "performance log")):
        script = os.path.join(bindir, name)
        assert os.access(script, os.X_OK), script
        r = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and word in r.stdout, (name, r.stdout, r.stderr)


def test_typed():
    assert os.path.exists(os.path.join(os.path.dirname(work_queue.__file__), "py.typed"))
