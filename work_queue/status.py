"""wq_status (also work_queue_status): what the catalog and the masters say.

    wq_status [-C HOST:PORT]            the catalog's projects, as a table
    wq_status [-Q|-W|-T] HOST PORT      one master: summary, workers or tasks
    wq_status --json ...                the same, as the JSON that was sent

The catalog is the one named by -C (several may be given, separated by
commas: their answers are merged), else by CATALOG_HOST and CATALOG_PORT
(default port 9097). A master answers on its own port (docs/status.md).
Standard library only: this runs wherever Python does.

Exit status: 0 on success, 1 when the catalog or master cannot be asked or
answers nonsense, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Sequence

DEFAULT_CATALOG_PORT = 9097
PROG = "wq_status"


class StatusError(Exception):
    """A failure worth one sentence on stderr and exit status 1."""


# ---- asking over HTTP ----


def fetch_json(host: str, port: int, path: str, timeout: float) -> tuple[Any, str]:
    """GET http://host:port/path and parse the answer as JSON; returns the
    parsed value and the text exactly as sent. StatusError otherwise."""
    netloc = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    url = "http://%s%s" % (netloc, path)
    # direct, never through an http_proxy: masters and catalogs are on the
    # cluster's own network
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as r:
            raw = r.read()
    except urllib.error.HTTPError as e:
        raise StatusError("%s answered %d %s" % (url, e.code, e.reason)) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise StatusError("cannot reach %s: %s" % (url, reason)) from None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text), text
    except ValueError:
        raise StatusError("%s did not answer JSON" % url) from None


def parse_hostport(s: str, default_port: int | None) -> tuple[str, int]:
    """'host:port' (or 'host' when default_port is given) as (host, port);
    '[v6]:port' too. ValueError with a sentence when malformed."""
    s = s.strip()
    host, port = s, None
    if s.startswith("["):
        end = s.find("]")
        if end < 0:
            raise ValueError("bad address %r" % s)
        host, rest = s[1:end], s[end + 1:]
        if rest:
            if not rest.startswith(":"):
                raise ValueError("bad address %r" % s)
            port = rest[1:]
    elif s.count(":") == 1:
        host, port = s.split(":")
    if not host:
        raise ValueError("no host in %r" % s)
    if port is None:
        if default_port is None:
            raise ValueError("no port in %r" % s)
        return host, default_port
    return host, parse_port(port)


def parse_port(s: str) -> int:
    try:
        p = int(s)
    except ValueError:
        raise ValueError("bad port %r" % s) from None
    if not 1 <= p <= 65535:
        raise ValueError("port %d is out of range 1..65535" % p)
    return p


def catalogs_named(option: str | None, environ: dict) -> list[tuple[str, int]]:
    """The catalogs to ask: -C's comma-separated list, else CATALOG_HOST and
    CATALOG_PORT. StatusError when none is named."""
    if option:
        try:
            return [parse_hostport(c, DEFAULT_CATALOG_PORT) for c in option.split(",") if c.strip()]
        except ValueError as e:
            raise StatusError("-C: %s" % e) from None
    host = environ.get("CATALOG_HOST", "").strip()
    if not host:
        raise StatusError("no catalog named: give -C HOST:PORT or set CATALOG_HOST (and CATALOG_PORT)")
    port = environ.get("CATALOG_PORT", "").strip()
    try:
        # CATALOG_HOST may itself be a list; CATALOG_PORT is the default port
        default = parse_port(port) if port else DEFAULT_CATALOG_PORT
        return [parse_hostport(c, default) for c in host.split(",") if c.strip()]
    except ValueError as e:
        raise StatusError("CATALOG_HOST/CATALOG_PORT: %s" % e) from None


def query_catalogs(catalogs: Sequence[tuple[str, int]], timeout: float) -> list[dict]:
    """The records of every catalog that answers, merged: one per master
    (name:port, else address:port), the most recently heard one winning.
    StatusError when none answers."""
    merged: dict[str, dict] = {}
    errors = []
    for host, port in catalogs:
        try:
            records, _ = fetch_json(host, port, "/query.json", timeout)
        except StatusError as e:
            errors.append(str(e))
            continue
        if not isinstance(records, list):
            errors.append("the catalog at %s:%d did not answer a list" % (host, port))
            continue
        for r in records:
            if not isinstance(r, dict):
                continue
            key = "%s:%s" % (r.get("name") or r.get("address"), r.get("port"))
            old = merged.get(key)
            if old is None or _num(r.get("lastheardfrom")) >= _num(old.get("lastheardfrom")):
                merged[key] = r
    if errors and len(errors) == len(catalogs):
        raise StatusError("; ".join(errors))
    return list(merged.values())


# ---- tables ----


def _num(v: Any) -> float:
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0


def _cell(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return "%d" % v if v.is_integer() else "%.2f" % v
    return str(v)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[bool] = ()) -> str:
    """An aligned text table: numeric columns right-aligned, others left."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def line(row: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(row):
            right = i < len(numeric) and numeric[i]
            out.append(c.rjust(widths[i]) if right else c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return "\n".join([line(headers)] + [line(r) for r in cells])


def _ago(t: Any, now: float) -> str:
    if not isinstance(t, (int, float)) or isinstance(t, bool) or t <= 0:
        return "-"
    s = max(0, int(now - t))
    if s < 120:
        return "%ds" % s
    if s < 7200:
        return "%dm" % (s // 60)
    return "%dh" % (s // 3600)


def _when(t: Any) -> str:
    """Seconds (or microseconds) since the epoch as local time."""
    if not isinstance(t, (int, float)) or isinstance(t, bool) or t <= 0:
        return "-"
    if t > 1e12:  # microseconds
        t = t / 1e6
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def _shorten(s: Any, n: int) -> str:
    s = _cell(s).replace("\n", " ")
    return s if len(s) <= n else s[: n - 3] + "..."


def projects_table(records: list[dict], now: float) -> str:
    """The catalog's masters, one row each, sorted by project then host."""
    masters = [r for r in records if r.get("type", "wq_master") == "wq_master"]
    masters.sort(key=lambda r: (str(r.get("project")), str(r.get("name")), _num(r.get("port"))))
    rows = [
        (r.get("project"), r.get("name") or r.get("address"), r.get("port"), r.get("owner"),
         r.get("workers"), r.get("tasks_waiting"), r.get("tasks_running"), r.get("tasks_complete"),
         _ago(r.get("lastheardfrom"), now))
        for r in masters
    ]
    headers = ("PROJECT", "HOST", "PORT", "OWNER", "WORKERS", "WAITING", "RUNNING", "COMPLETE", "HEARD")
    return table(headers, rows, (False, False, True, False, True, True, True, True, True))


# The summary fields shown first, in this order; the rest follow sorted.
_SUMMARY_FIRST = (
    "project", "name", "port", "owner", "version", "starttime",
    "workers_connected", "workers_init", "workers_idle", "workers_busy",
    "workers_joined", "workers_removed", "workers_lost",
    "tasks_waiting", "tasks_on_workers", "tasks_running", "tasks_with_results",
    "tasks_submitted", "tasks_dispatched", "tasks_done", "tasks_failed", "tasks_cancelled",
    "total_cores", "committed_cores", "total_memory", "committed_memory",
    "total_disk", "committed_disk", "bytes_sent", "bytes_received",
)


def summary_table(s: dict) -> str:
    """The master's summary as aligned FIELD VALUE lines."""
    if not isinstance(s, dict):
        raise StatusError("the master's summary is not a JSON object")
    keys = [k for k in _SUMMARY_FIRST if k in s] + sorted(k for k in s if k not in _SUMMARY_FIRST)
    rows = []
    for k in keys:
        v = s[k]
        if k == "starttime":
            v = "%s (%s)" % (_cell(v), _when(v))
        elif isinstance(v, (dict, list)):
            v = json.dumps(v, sort_keys=True)
        rows.append((k, v))
    return table(("FIELD", "VALUE"), rows)


def workers_table(ws: list, now: float) -> str:
    """The master's workers, one row each."""
    if not isinstance(ws, list):
        raise StatusError("the master's worker list is not a JSON array")

    def use(w: dict, what: str) -> str:
        return "%s/%s" % (_cell(w.get(what + "_inuse")), _cell(w.get(what)))

    rows = [
        (w.get("id"), w.get("hostname"), w.get("address"), use(w, "cores"), use(w, "memory"),
         use(w, "disk"), use(w, "gpus"), w.get("tasks_running"), w.get("tasks_done"),
         _ago(w.get("joined"), now), w.get("state"))
        for w in ws if isinstance(w, dict)
    ]
    headers = ("ID", "HOST", "ADDRESS", "CORES", "MEMORY", "DISK", "GPUS", "RUNNING", "DONE", "JOINED",
               "STATE")
    return table(headers, rows, (False, False, False, True, True, True, True, True, True, True, False))


def tasks_table(ts: list) -> str:
    """The master's tasks, one row each (a last line if the master cut the list)."""
    if not isinstance(ts, list):
        raise StatusError("the master's task list is not a JSON array")
    truncated = any(isinstance(t, dict) and t.get("truncated") for t in ts)
    def res(v: Any) -> Any:
        # a negative resource is one the task did not specify
        return None if isinstance(v, (int, float)) and v < 0 else v

    rows = [
        (t.get("taskid"), t.get("state"), t.get("category"), t.get("priority"), res(t.get("cores")),
         res(t.get("memory")), t.get("try_count"), t.get("host"), _shorten(t.get("tag") or None, 16),
         _shorten(t.get("command"), 50))
        for t in ts if isinstance(t, dict) and "taskid" in t
    ]
    headers = ("TASKID", "STATE", "CATEGORY", "PRIORITY", "CORES", "MEMORY", "TRIES", "HOST", "TAG",
               "COMMAND")
    out = table(headers, rows, (True, False, False, True, True, True, True, False, False, False))
    if truncated:
        out += "\n(the master listed only the first %d tasks)" % len(rows)
    return out


def categories_table(cs: list) -> str:
    """The master's categories, one row each."""
    if not isinstance(cs, list):
        raise StatusError("the master's category list is not a JSON array")
    rows = []
    for c in cs:
        if not isinstance(c, dict):
            continue
        avg = c.get("average_execution_time")
        rows.append((c.get("category"), c.get("tasks_waiting"), c.get("tasks_running"), c.get("tasks_done"),
                     "%.3f" % (avg / 1e6) if isinstance(avg, (int, float)) else None, c.get("fast_abort")))
    headers = ("CATEGORY", "WAITING", "RUNNING", "DONE", "AVG_EXEC_S", "FAST_ABORT")
    return table(headers, rows, (False, True, True, True, True, True))


# ---- the command ----


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Show the projects a Work Queue catalog knows, or the state of one master.",
        epilog="With no HOST PORT: the catalog's projects (catalog from -C, else CATALOG_HOST and "
        "CATALOG_PORT, default port %d). With HOST PORT: that master's summary (-Q, the default), "
        "workers (-W), tasks (-T) or categories (--categories)." % DEFAULT_CATALOG_PORT,
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("-Q", "--summary", dest="what", action="store_const", const="summary",
                      help="the master's summary (default)")
    what.add_argument("-W", "--workers", dest="what", action="store_const", const="workers",
                      help="the master's workers")
    what.add_argument("-T", "--tasks", dest="what", action="store_const", const="tasks",
                      help="the master's tasks")
    what.add_argument("--categories", dest="what", action="store_const", const="categories",
                      help="the master's task categories")
    p.add_argument("-C", "--catalog", metavar="HOST:PORT",
                   help="the catalog to ask (several: comma-separated); else CATALOG_HOST/CATALOG_PORT")
    p.add_argument("--json", action="store_true",
                   help="print the JSON exactly as the master or catalog sent it")
    p.add_argument("-t", "--timeout", type=float, default=5.0, metavar="SECONDS",
                   help="give up on an answer after this long (default 5)")
    p.add_argument("host", nargs="?", metavar="HOST", help="the master's host")
    p.add_argument("port", nargs="?", metavar="PORT", help="the master's port")
    return p


def run(argv: Sequence[str] | None, out=None, environ: dict | None = None) -> int:
    """wq_status with these arguments; returns the exit status."""
    out = out or sys.stdout
    environ = os.environ if environ is None else environ
    p = build_parser()
    a = p.parse_args(argv)
    if a.host is not None and a.port is None:
        p.error("give both HOST and PORT of a master (or neither, for the catalog's list)")
    if a.timeout <= 0:
        p.error("--timeout must be positive")
    now = time.time()
    try:
        if a.host is None:
            if a.what:
                p.error("-Q, -W, -T and --categories need a master's HOST PORT")
            catalogs = catalogs_named(a.catalog, environ)
            if a.json and len(catalogs) == 1:
                _, text = fetch_json(catalogs[0][0], catalogs[0][1], "/query.json", a.timeout)
                out.write(text if text.endswith("\n") else text + "\n")
                return 0
            records = query_catalogs(catalogs, a.timeout)
            if a.json:
                out.write(json.dumps(records) + "\n")
            else:
                out.write(projects_table(records, now) + "\n")
            return 0
        try:
            port = parse_port(a.port)
        except ValueError as e:
            p.error(str(e))
        what = a.what or "summary"
        value, text = fetch_json(a.host, port, "/" + what, a.timeout)
        if a.json:
            out.write(text if text.endswith("\n") else text + "\n")
        elif what == "summary":
            out.write(summary_table(value) + "\n")
        elif what == "workers":
            out.write(workers_table(value, now) + "\n")
        elif what == "tasks":
            out.write(tasks_table(value) + "\n")
        else:
            out.write(categories_table(value) + "\n")
        return 0
    except StatusError as e:
        sys.stderr.write("%s: %s\n" % (PROG, e))
        return 1


def main() -> None:
    """Console scripts wq_status and work_queue_status."""
    try:
        sys.exit(run(sys.argv[1:]))
    except BrokenPipeError:
        # wq_status | head: not an error
        sys.stderr.close()
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
