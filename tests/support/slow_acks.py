"""Opt-in diagnosis of the rare slow ack (scripts/test reruns "Slack gives up after" and its kin).

``ACCESSBOT_TEST_SLOW_ACK_DIR=/some/dir`` makes every signed POST of the Slack driver arm
``faulthandler.dump_traceback_later``: when the app has not answered within
``ACCESSBOT_TEST_SLOW_ACK_SECONDS`` (default 1), the stacks of every thread of the test process (the
app runs in it, under uvicorn) are written to ``<dir>/<pid>.txt`` with the test's name. faulthandler
writes from C without the GIL, so a thread holding the GIL or waiting on SQLite's lock is caught
where it stands. Off by default: nothing is armed.
"""

from __future__ import annotations

import faulthandler
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def watched(what: str) -> Iterator[None]:
    folder = os.environ.get("ACCESSBOT_TEST_SLOW_ACK_DIR")
    if not folder:
        yield
        return
    bound = float(os.environ.get("ACCESSBOT_TEST_SLOW_ACK_SECONDS", "1"))
    path = Path(folder) / f"{os.getpid()}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        test = os.environ.get("PYTEST_CURRENT_TEST", "?")
        out.write(f"\n=== armed {time.time():.3f} {what} in {test}\n")
        out.flush()
        faulthandler.dump_traceback_later(bound, repeat=False, file=out)
        started = time.perf_counter()
        try:
            yield
        finally:
            faulthandler.cancel_dump_traceback_later()
            took = time.perf_counter() - started
            if took > bound:
                out.write(f"=== SLOW {took:.2f} s {what} in {test}\n")
