"""Webhook delivery: fan-out throughput, and the attempt deadline against a trickling receiver.

- **Fan-out**: ``POST /v1/emails`` (the keep-alive client of ``bench_client.py``, in its own
  process) with five v1 webhooks subscribed to ``email.sent``, each a keep-alive receiver in
  another process, against the same sends with no webhook. Every send delivers to all five
  before it is answered (the five requests are written together and their answers read as
  they come, in the request's thread). The server's CPU per send is reported too.
- **Deadline**: one attempt to a receiver that answers one byte every 50 ms (a response of a
  few hundred bytes, so it would take ~10 s), with the engine's timeout at 1 s: how long the
  attempt took, as a ratio of the timeout (goal: within 10 % over it).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time

from bench_common import BENCH_DIR, Result, check, interleave, median, paired_ratio, python_subprocess

from pytest_lettr import LettrServer
from pytest_lettr.clock import Clock
from pytest_lettr.webhooks.delivery import DeliveryEngine

FAN_OUT_GOAL = ">= 0.6"
DEADLINE_GOAL = "<= 1.1"
RECEIVERS = 5


def _client(url: str, requests: int, key: str) -> float:
    return float(python_subprocess([str(BENCH_DIR / "bench_client.py"), url, str(requests), key]))


def fan_out(quick: bool = False) -> Result:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per send
    rounds, requests = (3, 200) if quick else (9, 400)
    receivers = subprocess.Popen([sys.executable, str(BENCH_DIR / "bench_receiver.py"), str(RECEIVERS)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert receivers.stdout is not None and receivers.stdin is not None
    ports = receivers.stdout.readline().split()
    server = LettrServer(seed="bench").start()
    delivered: list[int] = []
    cpu: dict[str, list[float]] = {"five": [], "none": []}

    def timed(name: str) -> float:
        started = time.process_time()  # this process is the server alone: client and receivers are not
        rate = _client(server.v1_url + "/emails", requests, server.admin_key)
        cpu[name].append((time.process_time() - started) / (requests + 50) * 1e6)
        return rate

    try:
        def none() -> float:
            server.reset("fan-out")
            return timed("none")

        def five() -> float:
            server.reset("fan-out")
            for port in ports:
                server.add_webhook(f"http://127.0.0.1:{port}/hooks", ["email.sent"])
            rate = timed("five")
            deliveries = server.webhook_deliveries
            assert len(deliveries) == RECEIVERS * (requests + 50)
            assert all(d.status == "succeeded" for d in deliveries)
            delivered.append(len(deliveries))
            return rate

        samples = interleave(rounds, {"five": five, "none": none})
    finally:
        server.stop()
        receivers.stdin.close()
        receivers.wait(10)
    ratio = paired_ratio(samples["five"], samples["none"])
    return Result(
        name=f"Webhook fan-out (POST /v1/emails with {RECEIVERS} subscribed receivers)",
        metric="requests per second",
        ours_label=f"{RECEIVERS} webhooks",
        ours=median(samples["five"]),
        baseline_label="no webhook",
        baseline=median(samples["none"]),
        ratio=ratio,
        goal=FAN_OUT_GOAL,
        met=check(ratio, FAN_OUT_GOAL),
        samples=samples,
        notes=[f"{rounds} rounds of {requests} sends (after 50 warm-up sends), interleaved; every delivery "
               f"of every round succeeded ({sum(delivered)} in all), each before its send was answered.",
               f"Server CPU per send: {median(cpu['none']):,.0f} us with no webhook, {median(cpu['five']):,.0f} us "
               f"with {RECEIVERS} (about {(median(cpu['five']) - median(cpu['none'])) / RECEIVERS:,.0f} us per "
               "delivery: signing, the POST on a kept-alive connection, reading the answer, the attempt's "
               "record)."],
    )


def _trickler() -> tuple[socket.socket, threading.Event]:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 160\r\n\r\n" + b"x" * 160

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                for byte in answer:
                    if stop.wait(0.05):
                        break
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        break

    threading.Thread(target=serve, daemon=True).start()
    return listener, stop


def deadline(quick: bool = False) -> Result:
    rounds, timeout = (3, 1.0) if quick else (7, 1.0)
    listener, stop = _trickler()
    engine = DeliveryEngine(Clock(), lambda: "del_bench", timeout=timeout)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    taken: list[float] = []
    try:
        for _ in range(rounds):
            started = time.monotonic()
            delivery = engine.deliver(url, b"{}", {})
            taken.append(time.monotonic() - started)
            assert (delivery.attempts[0].error or "").startswith("timeout"), delivery.attempts[0].error
    finally:
        stop.set()
        listener.close()
    ratio = median(taken) / timeout
    return Result(
        name="Webhook attempt deadline (receiver trickling one byte per 50 ms, 1 s timeout)",
        metric="seconds per attempt",
        ours_label="attempt",
        ours=median(taken),
        baseline_label="timeout",
        baseline=timeout,
        ratio=ratio,
        goal=DEADLINE_GOAL,
        met=check(ratio, DEADLINE_GOAL),
        samples={"attempt": taken},
        notes=[f"{rounds} attempts; the whole answer would take {200 * 0.05:.0f} s at that pace. Before the "
               "deadline, the timeout applied to each socket read, and every byte came in time."],
    )


def run(quick: bool = False) -> tuple[Result, Result]:
    return fan_out(quick), deadline(quick)
