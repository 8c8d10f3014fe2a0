"""Inputs and outputs: files, buffers (numpy too), directories, URLs,
command-made inputs, caching, output capture, environment."""

import http.server
import os
import threading

import pytest

from work_queue import WORK_QUEUE_OUTPUT, WORK_QUEUE_RESULT_SUCCESS, Task


def test_input_and_output_files(queue, workers, drain, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("hello\n")
    t = Task("cat data.txt data.txt > out.txt")
    t.specify_input_file(str(src), "data.txt")
    t.specify_output_file(str(tmp_path / "result.txt"), "out.txt")
    queue.submit(t)
    workers.start(queue.port)
    (done,) = drain(queue)
    assert done is t and t.result == WORK_QUEUE_RESULT_SUCCESS, t.output
    assert (tmp_path / "result.txt").read_text() == "hello\nhello\n"
    assert t.total_bytes_sent >= 6 and t.total_bytes_received >= 12


def test_pathlike_and_default_remote_name(queue, workers, drain, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("x")
    t = Task("cp a.txt b.txt")
    t.specify_input_file(tmp_path / "a.txt")  # remote name: the base name
    t.specify_output_file("b.txt")
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.result == 0 and (tmp_path / "b.txt").read_text() == "x"


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "str"])
def test_buffers(queue, workers, drain, kind):
    data = {"bytes": b"abc\x00def", "bytearray": bytearray(b"abc\x00def"),
            "memoryview": memoryview(b"xxabc\x00defyy")[2:-2], "str": "abc"}[kind]
    t = Task("od -An -c buf")
    t.specify_buffer(data, "buf")
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.result == 0
    assert t.output.split()[:3] == ["a", "b", "c"]


def test_numpy_buffer(queue, workers, drain):
    import numpy as np  # a test dependency (pyproject: [test])
    arr = np.arange(1000, dtype=np.float64)
    t = Task("wc -c < arr.bin; od -An -tf8 -j 8 -N 8 arr.bin")
    t.specify_buffer(arr, "arr.bin")
    arr[:] = -1  # the C library copied it at specify time
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.result == 0 and t.output.split()[0] == "8000"
    assert float(t.output.split()[1]) == 1.0


def test_non_contiguous_buffer_is_refused():
    import numpy as np  # a test dependency (pyproject: [test])
    with pytest.raises(TypeError, match="contiguous"):
        Task("true").specify_buffer(np.arange(10)[::2], "x")


def test_directories(queue, workers, drain, tmp_path):
    d = tmp_path / "tree"
    (d / "sub").mkdir(parents=True)
    (d / "a").write_text("A")
    (d / "sub" / "b").write_text("B")
    t = Task("cat tree/a tree/sub/b; test -d empty && echo EMPTY; mkdir outdir; echo o > outdir/f")
    t.specify_directory(str(d), "tree", recursive=True)
    t.specify_directory(str(tmp_path / "nothing"), "empty")  # not recursive: made empty there
    t.specify_directory(str(tmp_path / "got"), "outdir", type=WORK_QUEUE_OUTPUT)
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.result == 0, t.output
    assert t.output == "ABEMPTY\n"
    assert (tmp_path / "got" / "f").read_text() == "o\n"


def test_url_input(queue, workers, drain, tmp_path):
    (tmp_path / "page.txt").write_text("served\n")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        t = Task("cat got.txt")
        t.specify_url("http://127.0.0.1:%d/page.txt" % srv.server_address[1], "got.txt")
        queue.submit(t)
        workers.start(queue.port)
        drain(queue)
    finally:
        srv.shutdown()
        srv.server_close()
    assert t.result == 0 and t.output == "served\n"


def test_command_input(queue, workers, drain):
    t = Task("cat made.txt")
    t.specify_file_command("made.txt", "echo made > %%")
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.result == 0 and t.output == "made\n"


def test_cached_input_crosses_once(queue, workers, drain, tmp_path):
    big = tmp_path / "big"
    big.write_bytes(os.urandom(200_000))
    workers.start(queue.port)
    sent = []
    for _ in range(2):
        t = Task("wc -c < big")
        t.specify_input_file(str(big), cache=True)
        queue.submit(t)
        drain(queue)
        assert t.result == 0 and t.output.strip() == "200000"
        sent.append(t.total_bytes_sent)
    assert sent[0] >= 200_000 and sent[1] < 100_000, sent


def test_uncached_input_is_sent_each_time(queue, workers, drain, tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"z" * 50_000)
    workers.start(queue.port)
    for _ in range(2):
        t = Task("wc -c < f")
        t.specify_input_file(str(f), cache=False)
        queue.submit(t)
        drain(queue)
        assert t.output.strip() == "50000" and t.total_bytes_sent >= 50_000


def test_output_capture_and_environment(queue, workers, drain):
    t = Task("echo out; echo err >&2; echo $GREETING; printf '\\377'")
    t.specify_environment_variable("GREETING", "hi there")
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.output.startswith("out\nerr\nhi there\n")
    assert t.output_bytes.endswith(b"\xff")
    assert t.host.startswith("127.0.0.1:") and t.hostname


def test_output_missing(queue, workers, drain, tmp_path):
    t = Task("true")
    t.specify_output_file(str(tmp_path / "never"), "never")
    queue.submit(t)
    workers.start(queue.port)
    drain(queue)
    assert t.result == 2 and t.result_str == "OUTPUT_MISSING"
    assert not (tmp_path / "never").exists()
