"""The container's HEALTHCHECK: ``python -m bot.healthcheck`` exits 0 when this container's accessbot
answers ``/healthz`` with 200, else 1. The role is read from the accessbot process's command line
(PID 1, the image's entrypoint, unless an init runs first): the worker answers on ACCESSBOT_WORKER_METRICS_PORT, the web role on ACCESSBOT_PORT."""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from bot.settings import health_port


def role_of(command_line: list[str]) -> str:
    for i, word in enumerate(command_line):
        if word == "--role" and i + 1 < len(command_line):
            return command_line[i + 1]
        if word.startswith("--role="):
            return word.removeprefix("--role=")
    return "both"


def health_url(role: str, environ: Mapping[str, str] | None = None) -> str:
    return f"http://127.0.0.1:{health_port(role, environ)}/healthz"


def accessbot_command_line(proc: Path = Path("/proc")) -> list[str]:
    """PID 1's command line, or, under an init (docker run --init, tini), the first accessbot process's."""
    candidates = [proc / "1"] + sorted(p for p in proc.glob("[0-9]*") if p.name != "1")
    for process in candidates:
        try:
            words = (process / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if any(word.endswith("accessbot") for word in words) and "serve" in words:
            return words
    return []


def main() -> int:
    url = health_url(role_of(accessbot_command_line()))
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:  # noqa: S310 (a fixed loopback URL)
            return 0 if answer.status == 200 else 1
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
