"""Run an ASGI app under a real uvicorn server on 127.0.0.1:0 in a background thread.

End-to-end tests drive the bot the way Slack does, over real HTTP, so the 3-second ack, thread pools and the
event loop behave as in production (a TestClient would hide a blocked loop).
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


@contextmanager
def serve_asgi(app: Any, *, lifespan: str = "auto", startup_timeout: float = 10.0) -> Iterator[str]:
    """Yields the base URL (`http://127.0.0.1:<port>`); stops the server on exit. ``lifespan="off"`` for an
    app whose start-up the test does itself (the SCIM compliance suite's)."""
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan, access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    if lifespan != "off":
        warm_routes(url)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def warm_routes(url: str) -> None:
    """One request for a path no route serves, before the test's first timed one. FastAPI builds each
    router's route table (a pydantic field per parameter of every admin, SCIM and hook route) lazily, on
    the first request an app gets: seen taking 1.03 s on the loaded 2-core machine inside a Slack ack
    (faulthandler dump, tests/support/slow_acks.py), the likeliest source of the rare 4 s ack stalls."""
    try:
        httpx.get(f"{url}/.accessbot-test-warm-up", timeout=30)
    except httpx.HTTPError:
        pass  # a test of a failing app finds out from its own request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, *, timeout: float = 60.0, alive: Callable[[], bool] = lambda: True) -> None:
    """Until ``url``/healthz answers 200 (a server started in another process); ``alive`` says
    whether that process still runs, so a crash fails at once rather than at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server process exited")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz within {timeout} s")
