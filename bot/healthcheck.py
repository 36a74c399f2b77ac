"""The container's HEALTHCHECK: ``python -m bot.healthcheck`` exits 0 when this container's accessbot
answers ``/healthz`` with 200, else 1. The role is read from PID 1's command line (the image's
entrypoint): the worker answers on ACCESSBOT_WORKER_METRICS_PORT, the web role on ACCESSBOT_PORT."""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def role_of(command_line: list[str]) -> str:
    for i, word in enumerate(command_line):
        if word == "--role" and i + 1 < len(command_line):
            return command_line[i + 1]
        if word.startswith("--role="):
            return word.removeprefix("--role=")
    return "both"


def health_url(role: str, environ=os.environ) -> str:
    port = environ.get("ACCESSBOT_WORKER_METRICS_PORT", "9101") if role == "worker" else \
        environ.get("ACCESSBOT_PORT", "3000")
    return f"http://127.0.0.1:{port}/healthz"


def main() -> int:
    try:
        command_line = Path("/proc/1/cmdline").read_bytes().decode().split("\0")
    except OSError:
        command_line = []
    url = health_url(role_of(command_line))
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:  # noqa: S310 (a fixed loopback URL)
            return 0 if answer.status == 200 else 1
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
