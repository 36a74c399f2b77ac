"""What every Slack listener needs, put into the Bolt context once by middleware (as ``env``)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from bot.deps import Deps
from bot.operations import perform
from bot.slack.errors import on_unexpected_error
from bot.slack.home import HomePublisher
from bot.slack.identity import Identity
from bot.slack.work_pool import WorkPool
from bot.workflow.context import Actor


@dataclass
class SlackEnv:
    deps: Deps
    identity: Identity
    homes: HomePublisher
    work: WorkPool = field(default_factory=lambda: WorkPool(8, thread_name_prefix="slack-work"))
    wake_notifier: Callable[[], None] = lambda: None

    def perform(self, actor: Actor, name: str, fn: Callable, *, subject: tuple[str, object] = ("operation", "-")):
        """Run a domain operation (one transaction, refusals audited and re-raised as DomainError), then
        let the notifier redraw cards at once rather than after the background provisioning run."""
        result = perform(self.deps, actor, name, fn, subject=subject)
        self.wake_notifier()
        return result

    def later(self, listener: Callable[..., None], **kwargs: Any) -> Future:
        """Run the rest of a listener on the work pool. Bolt's error handler does not see it there, so
        failures are mapped here the same way (errors.on_unexpected_error)."""
        return self.work.submit(self._run, listener, kwargs)

    @staticmethod
    def _run(listener: Callable[..., None], kwargs: dict[str, Any]) -> None:
        try:
            listener(**kwargs)
        except Exception as error:  # the worker's outermost boundary: tell the person, log with a reference
            on_unexpected_error(error, kwargs.get("body") or {}, kwargs.get("client"), kwargs.get("respond"))

    def close(self) -> None:
        self.work.shutdown(wait=True, cancel_futures=False)
