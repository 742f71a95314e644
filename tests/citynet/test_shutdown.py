"""Graceful shutdown of the production server: gunicorn with citynet/gunicorn.conf.py, DEBUG
off, told to stop (SIGTERM, as systemd, docker stop and Kubernetes do) while it serves a
request. The request must still be answered in full, and the server exit cleanly.

The request is held in gunicorn's pre_request hook, added by a config file that loads the
production one unchanged: the hook reports that the request has reached the worker, then
waits until that worker has been told to stop before letting Django answer. So the test
knows, without timing anything, that the SIGTERM came while the request was in flight."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
GRACEFUL_TIMEOUT = 10
HOLDING_CONFIG = """
import os
import runpy
import time
from pathlib import Path

# The production settings, unchanged.
globals().update({{name: value for name, value in runpy.run_path({config!r}).items() if not name.startswith("_")}})


def pre_request(worker, req):
    if "hold" not in (req.query or ""):
        return
    Path({started!r}).write_text(str(worker.pid))
    deadline = time.monotonic() + 15
    while worker.alive and time.monotonic() < deadline:
        time.sleep(0.01)
"""


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def serve_one_request_while_stopping(server: subprocess.Popen, port: int, started: Path) -> tuple[dict, int]:
    """Wait for the server, send the held request, SIGTERM the server once the request is in a
    worker; the request's status, body and X-Request-ID, and the server's exit code."""
    base = f"http://127.0.0.1:{port}/healthz/live"
    wait_for(lambda: answers(base) or server.poll() is not None, 30, "the server to start")
    assert server.poll() is None, "the server did not start"
    answer = {}

    def request() -> None:
        held = urllib.request.Request(f"{base}?hold=1", headers={"X-Request-ID": "shutdown-test-1"})
        try:
            with urllib.request.urlopen(held, timeout=30) as response:
                answer.update(status=response.status, body=response.read(), id=response.headers["X-Request-ID"])
        except OSError as error:  # the connection cut: what a client of a server killed too early sees
            answer["error"] = repr(error)

    client = threading.Thread(target=request)
    client.start()
    wait_for(started.exists, 10, "the request to reach a worker")
    server.send_signal(signal.SIGTERM)
    client.join(timeout=GRACEFUL_TIMEOUT + 5)
    return answer, server.wait(timeout=GRACEFUL_TIMEOUT + 5)


def test_a_request_in_flight_when_the_server_is_told_to_stop_is_answered_in_full(tmp_path):
    started = tmp_path / "request-started"
    config = tmp_path / "holding.conf.py"
    config.write_text(HOLDING_CONFIG.format(config=str(ROOT / "citynet" / "gunicorn.conf.py"), started=str(started)))
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # The liveness endpoint reads no database: this one is never opened.
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_GRACEFUL_TIMEOUT=str(GRACEFUL_TIMEOUT),
        WEB_CONCURRENCY="1",
    )
    with (tmp_path / "server.log").open("w+") as log:
        server = subprocess.Popen([GUNICORN, "-c", config], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            answer, exit_code = serve_one_request_while_stopping(server, port, started)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        log.seek(0)
        output = log.read()
    assert answer.get("status") == 200, f"{answer}\n{output}"
    assert json.loads(answer["body"]) == {"status": "ok"}
    assert answer["id"] == "shutdown-test-1"
    assert exit_code == 0, output

    # Every line the server wrote, gunicorn's own included, is one JSON object.
    lines = [json.loads(line) for line in output.splitlines()]
    messages = [line["message"] for line in lines]
    assert "Handling signal: term" in messages
    assert "Shutting down: Master" in messages
