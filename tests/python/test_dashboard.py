"""The catalog's dashboard in a real headless Chromium (Debian's `chromium`).

A real named master advertises to a real wq_catalog_server; the page at
http://127.0.0.1:CATPORT/ must show the project and its counts, and when the
counts change (tasks submitted, then run by a worker) the page must show the
new ones WITHOUT a navigation: a JS variable set in the page and its
performance.timeOrigin stay the same.

Chromium is driven over its DevTools protocol with the small stdlib
websocket client below (no browser is downloaded, no pip package needed).
Without chromium the test fails, saying what to install; set
WQ_SKIP_BROWSER_TESTS=1 to skip it on purpose.
"""

import base64
import itertools
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.parse
import urllib.request
import uuid

import pytest

import work_queue

pytestmark = pytest.mark.timeout(150)


# ---- a minimal websocket client (RFC 6455), enough for DevTools ----


class WebSocket:
    """A blocking websocket client: text messages out (masked), whole
    messages in (fragments joined, pings answered)."""

    def __init__(self, url, timeout=30.0):
        u = urllib.parse.urlparse(url)
        assert u.scheme == "ws", url
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        path = u.path + ("?" + u.query if u.query else "")
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, u.hostname, u.port, key))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        head, self.pending = head.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError("websocket handshake refused: %r" % status)

    def _read(self, n):
        while len(self.pending) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.pending += chunk
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def _send_frame(self, opcode, payload):
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def send(self, text):
        self._send_frame(0x1, text.encode())

    def recv(self):
        """The next whole text message."""
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message.decode("utf-8", "replace")

    def close(self):
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()


# ---- Chromium over the DevTools protocol ----


class Chromium:
    """A headless Chromium with one page, driven over DevTools."""

    def __init__(self, tmp_path):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            if os.environ.get("WQ_SKIP_BROWSER_TESTS") == "1":
                pytest.skip("chromium is not installed (WQ_SKIP_BROWSER_TESTS=1)")
            pytest.fail("chromium is not installed: apt-get install chromium "
                        "(or set WQ_SKIP_BROWSER_TESTS=1 to skip the dashboard test)")
        self.profile = tmp_path / "chromium-profile"
        self.profile.mkdir()
        self.log = open(tmp_path / "chromium.log", "wb")
        args = [exe, "--headless=new", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                "--user-data-dir=%s" % self.profile, "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
                "--disable-background-networking", "--no-proxy-server", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     start_new_session=True)
        self.ws = None
        self.ids = itertools.count(1)
        try:
            port = self._devtools_port()
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            deadline = time.monotonic() + 30
            while True:
                with opener.open("http://127.0.0.1:%d/json/list" % port, timeout=5) as r:
                    pages = [t for t in json.loads(r.read()) if t.get("type") == "page"]
                if pages or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert pages, "chromium opened no page"
            self.ws = WebSocket(pages[0]["webSocketDebuggerUrl"])
        except BaseException:
            self.close()
            raise

    def _devtools_port(self):
        """The port Chromium chose, from DevToolsActivePort in its profile."""
        path = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("chromium exited with status %d: %s" % (
                    self.proc.returncode, open(self.log.name, "rb").read()[-2000:].decode(errors="replace")))
            try:
                first = path.read_text().split("\n")[0].strip()
                if first:
                    return int(first)
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        pytest.fail("chromium did not write %s within 30 s" % path)

    def call(self, method, **params):
        """Send one DevTools command; return its result (events are skipped)."""
        mid = next(self.ids)
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def evaluate(self, expression):
        """The value of a JS expression in the page (promises awaited)."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("JS error in %r: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def navigate(self, url, timeout=30):
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while self.evaluate("document.readyState + ' ' + location.href") != "complete " + url:
            assert time.monotonic() < deadline, "the page %s did not load" % url
            time.sleep(0.05)

    def close(self):
        if self.ws is not None:
            self.ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def chromium(tmp_path):
    c = Chromium(tmp_path)
    yield c
    c.close()


# The dashboard's rows as lists of cell texts (project, host, port, owner,
# workers, waiting, running, complete, last heard).
ROWS_JS = ("JSON.stringify(Array.from(document.querySelectorAll('#projects tbody tr'))"
           ".map(tr => Array.from(tr.children).slice(0, 9).map(td => td.textContent)))")
COUNTS = ("workers", "tasks_waiting", "tasks_running", "tasks_complete")


def page_row(browser, project):
    """The dashboard row of project as a dict, or None."""
    for cells in json.loads(browser.evaluate(ROWS_JS)):
        if cells[0] == project:
            keys = ("project", "name", "port", "owner") + COUNTS + ("heard",)
            return dict(zip(keys, cells))
    return None


def test_dashboard_shows_live_counts_without_reloading(tmp_path, catalog_server, chromium, workers):
    cat = catalog_server()
    project = "dash-%s" % uuid.uuid4().hex[:8]
    n = 6
    with work_queue.WorkQueue(port=0, name=project, catalog=cat.address) as q:
        q.specify_catalog_update_interval(1)
        tasks = []
        for i in range(n):
            t = work_queue.Task("echo %d" % i)
            q.submit(t)
            tasks.append(t)

        returned = []

        def until(cond, what, timeout=30):
            """Run the master's loop (wait) until cond() is true; keep the
            tasks wait() returns meanwhile."""
            deadline = time.monotonic() + timeout
            while True:
                v = cond()
                if v:
                    return v
                assert time.monotonic() < deadline, "timed out waiting for %s" % what
                t = q.wait(0.2)
                if t is not None:
                    returned.append(t)

        def advertised():
            rs = cat.records(project)
            return rs[0] if rs and rs[0].get("tasks_waiting") == n else None

        record = until(advertised, "the catalog to hear of %d waiting tasks" % n)
        chromium.navigate(cat.url("/"))

        def shows(expected):
            row = page_row(chromium, project)
            return row if row and all(row[k] == str(expected[k]) for k in COUNTS) else None

        row = until(lambda: shows(record), "the page to show the project's counts")
        assert row["port"] == str(q.port) and row["workers"] == "0" and row["tasks_waiting"] == str(n)
        # mark the page: a navigation or reload would lose both
        marker = chromium.evaluate("window.__wqMarker = 'm' + Math.random(); window.__wqMarker")
        origin = chromium.evaluate("performance.timeOrigin")

        workers.start(q.port)
        until(lambda: len(returned) == n, "the tasks to run")
        assert all(t.result == work_queue.WORK_QUEUE_RESULT_SUCCESS for t in returned)

        def final():
            rs = cat.records(project)
            ok = rs and rs[0].get("tasks_waiting") == 0 and rs[0].get("workers") == 1
            return rs[0] if ok and rs[0].get("tasks_complete") != record.get("tasks_complete") else None

        record2 = until(final, "the catalog to hear the tasks ran")
        row2 = until(lambda: shows(record2), "the page to show the new counts")
        assert row2["tasks_waiting"] == "0" and row2["workers"] == "1"
        assert row2["tasks_complete"] != row["tasks_complete"]
        assert chromium.evaluate("window.__wqMarker") == marker, "the page was reloaded"
        assert chromium.evaluate("performance.timeOrigin") == origin, "the page was navigated"
        # the chart has points for the project (history kept by the page)
        npoints = chromium.evaluate(
            "Array.from(document.querySelectorAll('#projects tbody tr')).filter("
            "tr => tr.children[0].textContent === %s)[0].querySelector('svg polyline')"
            ".getAttribute('points').split(' ').length" % json.dumps(project))
        assert npoints >= 2


def test_dashboard_charts_start_from_the_servers_history(tmp_path, catalog_server, chromium):
    """The catalog keeps each master's recent figures (/history.json); a page
    opened later starts its chart from them instead of from nothing."""
    cat = catalog_server()
    project = "hist-%s" % uuid.uuid4().hex[:8]
    with work_queue.WorkQueue(port=0, name=project, catalog=cat.address) as q:
        q.specify_catalog_update_interval(1)
        for i in range(3):
            q.submit(work_queue.Task("echo %d" % i))
        deadline = time.monotonic() + 40
        samples = []
        while len(samples) < 4:   # samples are at least 2 s apart
            assert time.monotonic() < deadline, "the catalog kept no history: %r" % samples
            q.wait(0.5)
            hist = cat.get_json("/history.json?project=" + project)
            samples = next((v for k, v in hist.items() if k.endswith(":%d" % q.port)), [])
        # each sample: [t, workers, waiting, running, complete]
        assert all(len(s) == 5 and s[2] == 3 for s in samples), samples
        assert [s[0] for s in samples] == sorted(s[0] for s in samples)

        chromium.navigate(cat.url("/"))
        deadline = time.monotonic() + 20
        while True:
            # the first refresh draws the row: its chart already holds the history
            npoints = chromium.evaluate(
                "(() => { const tr = Array.from(document.querySelectorAll('#projects tbody tr')).filter("
                "tr => tr.children[0].textContent === %s)[0];"
                " return tr ? tr.querySelector('svg polyline').getAttribute('points')"
                ".split(' ').length : 0; })()"
                % json.dumps(project))
            if npoints:
                break
            assert time.monotonic() < deadline, "the page did not show the project"
            time.sleep(0.1)
        # a page without the server's history would hold 1 point per 3 s refresh
        assert npoints >= len(samples), (npoints, samples)
