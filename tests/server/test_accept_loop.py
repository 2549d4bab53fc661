"""The accept loop: it pauses instead of spinning when the process is out of file descriptors, and
``threaded=False`` serves every connection on the server's own thread."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from pytest_lettr.httpserver import LettrHTTPServer

ROOT = Path(__file__).resolve().parents[2]

#: A server in a child process that uses up its descriptors, counts accept() calls for a second
#: while a client waits, then frees them.
CHILD = textwrap.dedent(r"""
    import os, resource, socket, sys, threading, time
    from pytest_lettr.httpserver import LettrWSGIServer

    calls = 0

    class Counting(LettrWSGIServer):
        def get_request(self):
            global calls
            calls += 1
            return super().get_request()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    server = Counting("127.0.0.1", 0, app, threaded=True)
    loop = threading.Thread(target=server.serve_forever)
    loop.start()
    with socket.create_connection(("127.0.0.1", server.port)) as warm_up:  # the loop is running
        warm_up.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        warm_up.recv(1024)
    held = []
    try:
        while True:
            held.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        pass
    print(server.port, flush=True)
    sys.stdin.readline()              # the client has connected and sent its request
    calls, cpu = 0, time.process_time()
    time.sleep(1.0)
    print(calls, round(time.process_time() - cpu, 3), flush=True)
    for fd in held:
        os.close(fd)
    sys.stdin.readline()              # the client has its answer
    server.shutdown()
    loop.join()
""")


def test_out_of_descriptors_the_accept_loop_pauses_and_serves_once_one_is_free() -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert child.stdin is not None and child.stdout is not None
    try:
        port = int(child.stdout.readline())
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            child.stdin.write("connected\n")
            child.stdin.flush()
            calls, cpu_seconds = child.stdout.readline().split()
            # Spinning retries accept() tens of thousands of times a second at a full core; a
            # pause doubling from 10 ms to 0.5 s tries about eight times.
            assert int(calls) < 50, (calls, cpu_seconds)
            answer = client.recv(1024)
            assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"ok"), answer
        child.stdin.write("done\n")
        child.stdin.flush()
        assert child.wait(timeout=10) == 0
    finally:
        child.kill()
        child.wait()


def test_the_single_threaded_server_starts_no_thread_per_connection() -> None:
    served_on: list[str] = []
    before = {thread.ident for thread in threading.enumerate()}
    with LettrHTTPServer(host="127.0.0.1", port=0, threaded=False) as single:
        single.expect_request("/who").respond_with_handler(
            lambda request: served_on.append(threading.current_thread().name) or _ok())
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", single.port), timeout=10) as client:
                client.sendall(b"GET /who HTTP/1.1\r\nHost: x\r\n\r\n")
                assert client.recv(1024).startswith(b"HTTP/1.1 200 ")
            started = {thread.ident for thread in threading.enumerate()} - before
            assert len(started) == 1, threading.enumerate()  # the server's own thread, nothing else
    assert served_on == [f"lettr-httpserver:{single.port}"] * 3


def _ok() -> object:
    from werkzeug.wrappers import Response

    return Response("ok")
