"""Refusals nobody has to be able to send many of: at most one audit event per actor, operation and
reason in each window.

Refusals raised before an operation runs (a stale button, a malformed duration, an unknown Slack
user) cost the sender nothing, so a script could otherwise grow the hash-chained log without bound.
The first refusal of a window is written; the ones after it are only counted, and the next one written
(once the window has passed) says how many were left out (``suppressed`` in its detail). Each process
keeps its own counts: N replicas write at most N events per window and key.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)
MAX_KEYS = 10_000  # distinct senders × reasons remembered; beyond, the oldest windows are forgotten


class RefusalThrottle:
    def __init__(self, window: timedelta = WINDOW, max_keys: int = MAX_KEYS):
        self.window, self.max_keys = window, max_keys
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, ...], tuple[datetime, int]] = {}  # key -> (window start, suppressed)

    def admit(self, key: tuple[str, ...], now: datetime) -> int | None:
        """None: leave this one out (it is counted). Otherwise write it, with the returned number of
        refusals left out since the last one written for ``key``."""
        with self._lock:
            started, suppressed = self._windows.get(key, (None, 0))
            if started is not None and now - started < self.window:
                self._windows[key] = (started, suppressed + 1)
                return None
            self._windows[key] = (now, 0)
            if len(self._windows) > self.max_keys:
                self._forget_before(now - self.window)
            return suppressed

    def suppressed(self, key: tuple[str, ...]) -> int:
        with self._lock:
            return self._windows.get(key, (None, 0))[1]

    def _forget_before(self, cutoff: datetime) -> None:
        for key in [k for k, (started, _) in self._windows.items() if started < cutoff]:
            del self._windows[key]
        while len(self._windows) > self.max_keys:  # all recent: drop the oldest
            del self._windows[min(self._windows, key=lambda k: self._windows[k][0])]
