"""What every Slack listener needs, put into the Bolt context once by middleware (as ``env``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bot.deps import Deps
from bot.operations import perform
from bot.slack.errors import on_unexpected_error
from bot.slack.home import HomePublisher
from bot.slack.identity import Identity
from bot.workflow.context import Actor


@dataclass
class SlackEnv:
    deps: Deps
    identity: Identity
    homes: HomePublisher
    work: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(8, thread_name_prefix="slack-work"))
    wake_notifier: Callable[[], None] = lambda: None
    _in_flight: int = 0  # listener bodies queued or running on ``work``
    _in_flight_lock: threading.Lock = field(default_factory=threading.Lock)

    def perform(self, actor: Actor, name: str, fn: Callable, *, subject: tuple[str, object] = ("operation", "-")):
        """Run a domain operation (one transaction, refusals audited and re-raised as DomainError), then
        let the notifier redraw cards at once rather than after the background provisioning run."""
        result = perform(self.deps, actor, name, fn, subject=subject)
        self.wake_notifier()
        return result

    def later(self, listener: Callable[..., None], **kwargs: Any) -> Future:
        """Run the rest of a listener on the work pool. Bolt's error handler does not see it there, so
        failures are mapped here the same way (errors.on_unexpected_error)."""
        with self._in_flight_lock:
            self._in_flight += 1
        future = self.work.submit(self._run, listener, kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future) -> None:
        with self._in_flight_lock:
            self._in_flight -= 1

    @property
    def busy(self) -> bool:
        """Some click's work, queued after its ack, has not finished yet (the test harness waits on it)."""
        with self._in_flight_lock:
            return self._in_flight > 0

    @staticmethod
    def _run(listener: Callable[..., None], kwargs: dict[str, Any]) -> None:
        try:
            listener(**kwargs)
        except Exception as error:  # the worker's outermost boundary: tell the person, log with a reference
            on_unexpected_error(error, kwargs.get("body") or {}, kwargs.get("client"), kwargs.get("respond"))

    def close(self) -> None:
        self.work.shutdown(wait=True, cancel_futures=False)
