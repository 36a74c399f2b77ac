"""Shared set-up for the benchmarks that run accessbot as production does: real `accessbot serve`
processes (a worker role, or the web front with its worker child) over a real database, revoking
through the webhook connector to a receiver on 127.0.0.1 that notes when each revoke arrived."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from timer_setup import load_average, wait_for

from tests.support.live_server import free_port

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret-0123456789abcdef"


class _Server(ThreadingHTTPServer):
    # http.server's listen backlog is 5: with three workers' call threads connecting at once the
    # kernel dropped SYNs (TcpExtListenOverflows), and each dropped connect waited for its 1 s
    # retransmit, which was the 1-2 s tail of end -> webhook revoke (per-call timing in the runner:
    # 44 of 500 calls took over 0.9 s, the rest p50 27 ms). A web server in front of a real
    # receiver listens with a backlog in the hundreds (nginx 511).
    request_queue_size = 1024


class Receiver:
    """The customer's webhook endpoint: answers every call at once and notes the first arrival of
    each revoke (wall-clock time, by target) and how many revokes came per target."""

    def __init__(self):
        self.revoked_at: dict[str, float] = {}
        self.revokes: dict[str, int] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server API)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if body.get("action") == "revoke":
                    with receiver._lock:
                        receiver.revoked_at.setdefault(body["target"], time.time())
                        receiver.revokes[body["target"]] = receiver.revokes.get(body["target"], 0) + 1
                answer = b'{"status": "applied"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_):
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, name="bench-receiver", daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_env(world, folder: Path, receiver: Receiver) -> dict[str, str]:
    """The environment an operator would set: the world's database and catalog, its connector
    ``mem`` as a webhook to the receiver."""
    connectors = folder / "connectors.yaml"
    connectors.write_text(f"instances:\n  mem: {{type: webhook, url: '{receiver.url}', "
                          f"secret: {{env: BENCH_WEBHOOK_SECRET}}}}\n")
    return {**os.environ, "BENCH_WEBHOOK_SECRET": SECRET,
            "DATABASE_URL": world.store.engine.url.render_as_string(hide_password=False),
            "ACCESSBOT_CATALOG": str(folder / "catalog.yaml"), "ACCESSBOT_CONNECTORS_FILE": str(connectors),
            "ACCESSBOT_LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO)}


@contextmanager
def processes(launches: list[tuple[list[str], dict[str, str]]], folder: Path):
    """Start each (command, environment) — an `accessbot serve` — and stop them all (SIGTERM) at the end."""
    started = [subprocess.Popen(command, cwd=folder, env=env) for command, env in launches]
    try:
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def serve_arguments(description: str, *, grants: int, workers: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--grants", type=int, default=grants)
    if workers:
        parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    return parser.parse_args()


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", "serve", "--no-slack", *args]


def lateness(receiver: Receiver, ends: dict[str, float]) -> list[float]:
    """Seconds from each grant's end to its revoke reaching the receiver."""
    return [receiver.revoked_at[target] - end for target, end in ends.items() if target in receiver.revoked_at]


__all__ = ["Receiver", "free_port", "lateness", "load_average", "processes", "serve_arguments", "serve_command",
           "serve_env", "wait_for"]
