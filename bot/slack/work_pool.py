"""A thread pool that knows whether it has work queued or running."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor


class WorkPool(ThreadPoolExecutor):
    """Listener work continues after Slack's ack; shutdown, health and tests need to see it.

    A task counts from the moment it is submitted until it has finished, so a listener that acks and
    then hands over to another pool is never seen idle in between (it submits before it returns).
    """

    def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._count_lock = threading.Lock()
        self._in_flight = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._count_lock:
            self._in_flight += 1
        try:
            # The log context (Slack trigger, request id...) follows the work into the pool.
            future = super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future | None) -> None:
        with self._count_lock:
            self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        with self._count_lock:
            return self._in_flight
