"""Headless Chromium (Debian package ``chromium``, installed by .ci/run) for rendering our pages."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars"]


def binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise AssertionError("chromium is not installed: `apt-get update && apt-get install -y chromium` "
                             "(.ci/run does it on a fresh machine)")
    return found


def _run(page: Path, *extra: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="accessbot-chromium-") as profile:
        return subprocess.run([binary(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000",
                               *extra, page.resolve().as_uri()], capture_output=True, text=True, timeout=120,
                              check=True)


def dump_dom(page: Path) -> str:
    """The document after its scripts ran."""
    return _run(page, "--dump-dom").stdout


def screenshot(page: Path, out: Path, size: tuple[int, int] = (1360, 1800)) -> Path:
    _run(page, f"--screenshot={out}", f"--window-size={size[0]},{size[1]}")
    return out
