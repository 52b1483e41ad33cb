"""How the app is served: gunicorn on Linux (`make serve`), waitress on Windows
(`make serve-waitress`), with the limits of mediation/serving.py."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from mediation import serving

ROOT = Path(__file__).resolve().parent.parent


def make_dry_run(*args: str) -> str:
    done = subprocess.run(
        ["make", "-n", "serve", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_make_serve_runs_gunicorn_on_linux_and_waitress_on_windows():
    assert ".venv/bin/gunicorn -c gunicorn.conf.py" in make_dry_run()
    windows = make_dry_run("OS=Windows_NT")
    assert "-m mediation.serving" in windows and "gunicorn" not in windows


def test_gunicorn_runs_with_the_limits_set_for_the_slowest_page():
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "-c", "gunicorn.conf.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "WEB_CONCURRENCY": "3", "PORT": "8123"},
    )  # fmt: skip
    settings = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition("=")
        settings[name.strip()] = value.strip()
    assert settings["worker_class"] == "gthread" and settings["workers"] == "3"
    assert settings["bind"] == "['127.0.0.1:8123']"
    assert int(settings["timeout"]) == serving.TIMEOUT >= 60  # not gunicorn's 30 s
    assert int(settings["graceful_timeout"]) == serving.GRACEFUL_TIMEOUT
    assert int(settings["max_requests"]) == serving.MAX_REQUESTS > 0  # workers recycled
    assert int(settings["max_requests_jitter"]) == serving.MAX_REQUESTS_JITTER > 0
    assert int(settings["worker_connections"]) == serving.WORKER_CONNECTIONS > 100
    assert settings["accesslog"] == "None"  # the app's own line, without query strings
    assert "post_worker_init" in settings["post_worker_init"]  # gc.freeze once built


def test_waitress_answers_the_hundred_and_first_keep_alive_client(tmp_path):
    """With waitress's default connection limit (100), the 101st client that keeps its
    connection open waited forever. 150 open connections, then each asks for a page: all
    are answered."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "THREADS": "4",
    }
    with open(tmp_path / "waitress.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "mediation.serving"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "waitress.log").read_text()
                time.sleep(0.2)
        clients = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(150)]
        request = f"GET /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        for client in reversed(clients):  # the newest first: it is the one that waited
            client.sendall(request)
            head = client.recv(64)
            assert head.startswith(b"HTTP/1.1 "), head
        for client in clients:
            client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
