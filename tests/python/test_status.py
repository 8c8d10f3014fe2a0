"""wq_status / work_queue_status: tables, --json and clear errors.

The catalog is the real wq_catalog_server fed over UDP (docs/catalog.md);
the master is a stand-in HTTP server answering docs/status.md's paths, so
the tool's formatting is tested on its own (test_catalog.py checks it
against a real master).
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.timeout(60)

NOW = int(time.time())
SUMMARY = {"project": "ensemble", "name": "head.example.org", "port": 9123, "owner": "alice",
           "starttime": NOW - 3600, "version": "0.1.0", "workers_connected": 2, "tasks_waiting": 40,
           "tasks_running": 5, "tasks_done": 311, "total_cores": 8, "committed_cores": 5}
WORKERS = [
    {"id": "w-1", "hostname": "node1", "address": "10.0.0.1:40001", "cores": 4, "memory": 8000,
     "disk": 10000, "gpus": 0, "cores_inuse": 3, "memory_inuse": 300, "disk_inuse": 10,
     "gpus_inuse": 0, "tasks_running": 3, "tasks_done": 200, "joined": NOW - 600, "state": "BUSY"},
    {"id": "w-2", "hostname": "node-with-a-long-name", "address": "10.0.0.2:40002", "cores": 4,
     "memory": 8000, "disk": 10000, "gpus": 1, "cores_inuse": 2, "memory_inuse": 200, "disk_inuse": 5,
     "gpus_inuse": 1, "tasks_running": 2, "tasks_done": 111, "joined": NOW - 30, "state": "BUSY"},
]
TASKS = [
    {"taskid": 7, "state": "RUNNING", "command": "./replica --temp 300 " + "x" * 80, "tag": "r7",
     "category": "replica", "cores": 1, "memory": 100, "disk": 10, "gpus": 0, "priority": 1.0,
     "try_count": 1, "host": "10.0.0.1:40001", "submit_time": 1, "dispatch_time": 2},
    {"taskid": 12, "state": "READY", "command": "./replica --temp 310", "tag": None,
     "category": "replica", "cores": 1, "memory": 100, "disk": 10, "gpus": 0, "priority": 0.0,
     "try_count": 0, "submit_time": 1, "dispatch_time": 0},
    {"truncated": True},
]
CATEGORIES = [{"category": "replica", "tasks_waiting": 40, "tasks_running": 5, "tasks_done": 311,
               "average_execution_time": 2500000, "fast_abort": 3}]
ANSWERS = {"/summary": SUMMARY, "/workers": WORKERS, "/tasks": TASKS, "/categories": CATEGORIES}


class FakeMaster(BaseHTTPRequestHandler):
    """docs/status.md's answers, from the tables above ('/broken': not JSON)."""

    def do_GET(self):
        if self.path == "/broken":
            body, code = b"<html>no</html>", 200
        elif self.path in ANSWERS:
            body, code = json.dumps(ANSWERS[self.path]).encode(), 200
        else:
            body, code = b'{"error":"not found"}', 404
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def master():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeMaster)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def script(name="wq_status"):
    path = os.path.join(os.path.dirname(sys.executable), name)
    assert os.access(path, os.X_OK), "console script %s is not installed" % path
    return path


def status(*args, env=None, name="wq_status"):
    e = dict(os.environ)
    e.pop("CATALOG_HOST", None)
    e.pop("CATALOG_PORT", None)
    e.update(env or {})
    return subprocess.run([script(name), *map(str, args)], capture_output=True, text=True, timeout=30, env=e)


def lines_of(out):
    return [ln for ln in out.split("\n") if ln]


def test_summary_table_and_json(master):
    r = status("127.0.0.1", master)
    assert r.returncode == 0, r.stderr
    lines = lines_of(r.stdout)
    assert lines[0].split() == ["FIELD", "VALUE"]
    rows = dict(ln.split(None, 1) for ln in lines[1:])
    assert rows["project"] == "ensemble" and rows["tasks_done"] == "311" and rows["port"] == "9123"
    # aligned: every value starts in the same column
    col = lines[0].index("VALUE")
    assert all(ln[col - 2:col] == "  " and ln[col] != " " for ln in lines[1:])
    assert status("-Q", "127.0.0.1", master).stdout == r.stdout
    j = status("--json", "127.0.0.1", master)
    assert j.returncode == 0 and json.loads(j.stdout) == SUMMARY


def test_workers_tasks_categories(master):
    r = status("-W", "127.0.0.1", master)
    assert r.returncode == 0, r.stderr
    lines = lines_of(r.stdout)
    assert lines[0].split()[:4] == ["ID", "HOST", "ADDRESS", "CORES"] and len(lines) == 3
    assert "node-with-a-long-name" in lines[2] and "3/4" in lines[1] and "1/1" in lines[2]
    assert len({ln.index("10.0.0.") for ln in lines[1:]}) == 1  # aligned column
    assert json.loads(status("-W", "--json", "127.0.0.1", master).stdout) == WORKERS

    r = status("-T", "127.0.0.1", master)
    assert r.returncode == 0, r.stderr
    lines = lines_of(r.stdout)
    assert lines[0].split()[:2] == ["TASKID", "STATE"]
    assert lines[1].split()[:2] == ["7", "RUNNING"] and lines[2].split()[:2] == ["12", "READY"]
    assert "..." in lines[1] and len(lines[1]) < 200  # long commands are cut
    assert "only the first 2 tasks" in lines[3]

    r = status("--categories", "127.0.0.1", master)
    assert r.returncode == 0, r.stderr
    assert lines_of(r.stdout)[1].split() == ["replica", "40", "5", "311", "2.500", "3"]


def test_catalog_projects_table(catalog_server):
    cat = catalog_server()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    records = [
        {"type": "wq_master", "project": "zeta", "name": "h2", "port": 9200, "owner": "bob",
         "workers": 12, "tasks_waiting": 40, "tasks_running": 12, "tasks_complete": 311},
        {"type": "wq_master", "project": "alpha", "name": "h1", "port": 9100, "owner": "alice",
         "workers": 0, "tasks_waiting": 5, "tasks_running": 0, "tasks_complete": 0},
    ]
    for rec in records:
        udp.sendto(json.dumps(rec).encode(), ("127.0.0.1", cat.port))
    udp.close()
    deadline = time.monotonic() + 10
    while len(cat.records()) < 2:
        assert time.monotonic() < deadline, "the catalog did not take the updates"
        time.sleep(0.05)

    r = status("-C", cat.address)
    assert r.returncode == 0, r.stderr
    lines = lines_of(r.stdout)
    assert lines[0].split() == ["PROJECT", "HOST", "PORT", "OWNER", "WORKERS", "WAITING", "RUNNING",
                                "COMPLETE", "HEARD"]
    assert lines[1].split()[:8] == ["alpha", "h1", "9100", "alice", "0", "5", "0", "0"]
    assert lines[2].split()[:8] == ["zeta", "h2", "9200", "bob", "12", "40", "12", "311"]
    assert len({ln.index("9") for ln in lines[1:]}) == 1

    # the same catalog named by the environment, through the other name
    env = {"CATALOG_HOST": "127.0.0.1", "CATALOG_PORT": str(cat.port)}
    r2 = status(env=env, name="work_queue_status")
    assert r2.returncode == 0, r2.stderr
    # the same table, but for HEARD (seconds ago), which moves on
    assert [ln.split()[:8] for ln in lines_of(r2.stdout)] == [ln.split()[:8] for ln in lines]
    j = status("--json", "-C", cat.address)
    assert {x["project"] for x in json.loads(j.stdout)} == {"alpha", "zeta"}
    # two catalogs, one of them dead: the live one answers
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    r3 = status("-C", "127.0.0.1:%d,%s" % (dead.getsockname()[1], cat.address))
    dead.close()
    assert r3.returncode == 0 and "zeta" in r3.stdout


def test_errors(master):
    r = status()
    assert r.returncode == 1 and "no catalog named" in r.stderr and "-C" in r.stderr
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = s.getsockname()[1]
    s.close()
    r = status("-C", "127.0.0.1:%d" % closed)
    assert r.returncode == 1 and r.stderr.startswith("wq_status: cannot reach") and str(closed) in r.stderr
    r = status(env={"CATALOG_HOST": "127.0.0.1", "CATALOG_PORT": str(closed)})
    assert r.returncode == 1 and "cannot reach" in r.stderr
    r = status("127.0.0.1", closed)
    assert r.returncode == 1 and "cannot reach" in r.stderr
    r = status("-C", "127.0.0.1:notaport")
    assert r.returncode == 1 and "bad port" in r.stderr
    r = status("127.0.0.1")
    assert r.returncode == 2 and "PORT" in r.stderr
    r = status("127.0.0.1", "99999")
    assert r.returncode == 2 and "out of range" in r.stderr
    r = status("-W")
    assert r.returncode == 2 and "HOST PORT" in r.stderr
    r = status("--help")
    assert r.returncode == 0 and "-W" in r.stdout and "CATALOG_HOST" in r.stdout


def test_not_json_is_an_error(master):
    # a master answering nonsense or an unknown path
    from work_queue import status as st

    with pytest.raises(st.StatusError, match="did not answer JSON"):
        st.fetch_json("127.0.0.1", master, "/broken", 5)
    with pytest.raises(st.StatusError, match="answered 404"):
        st.fetch_json("127.0.0.1", master, "/nope", 5)
