"""What every Slack listener needs, put into the Bolt context once by middleware (as ``env``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.audit.throttle import RefusalThrottle
from bot.deps import Deps
from bot.domain.errors import DomainError
from bot.ledger.context import Actor
from bot.operations import perform, record_refusal
from bot.slack import errors
from bot.slack.errors import on_unexpected_error
from bot.slack.home import HomePublisher
from bot.slack.identity import Identity
from bot.slack.work_pool import WorkPool

log = logging.getLogger(__name__)


@dataclass
class Attempt:
    """What ``refusal_shown`` / ``refusal_answered`` saw: the refusal, or None when the work went through."""

    refused: DomainError | None = None


@dataclass
class SlackEnv:
    deps: Deps
    identity: Identity
    homes: HomePublisher
    work: WorkPool = field(default_factory=lambda: WorkPool(8, thread_name_prefix="slack-work"))
    wake_notifier: Callable[[], None] = lambda: None
    refusals: RefusalThrottle = field(default_factory=RefusalThrottle)

    def perform(self, actor: Actor, name: str, fn: Callable, *, subject: tuple[str, object] = ("operation", "-")):
        """Run a domain operation (one transaction, refusals audited and re-raised as DomainError), then
        let the notifier redraw cards at once rather than after the background provisioning run."""
        result = perform(self.deps, actor, name, fn, subject=subject)
        self.wake_notifier()
        return result

    def refused(self, actor: Actor, name: str, error: DomainError, *,
                subject: tuple[str, object] = ("operation", "-"), **detail: object) -> None:
        """Audit a refusal raised before ``perform`` ran (a stale button, a bad duration, someone
        else's grant, an unknown Slack user), as ``refused.<name>`` like perform's own; a refusal
        perform already audited is left alone. Throttled per actor, operation and reason."""
        if getattr(error, "audited", False):
            return
        suppressed = self.refusals.admit((actor.label, name, error.code), self.deps.clock.now())
        if suppressed is None:
            return
        error.audited = True
        extra = {**detail, **({"suppressed": suppressed} if suppressed else {})}
        try:
            record_refusal(self.deps, self.deps.ctx(actor), name, error, subject, extra)
        except Exception:  # the refusal is still shown; a failed audit write must not turn it into a 500
            log.exception("could not audit the refusal of %s for %s", name, actor.label)

    def tell_refusal(self, actor: Actor, name: str, error: DomainError, *, body: dict, client, respond=None) -> None:
        """Audit the refusal (unless perform did) and show it where the person clicked."""
        self.refused(actor, name, error)
        errors.tell_refusal(error, body=body, client=client, respond=respond)

    def submission_refused(self, actor: Actor, name: str, error: DomainError, view: dict) -> dict:
        """Audit the refusal (unless perform did); returns the form's ack (errors inline, or a notice)."""
        self.refused(actor, name, error)
        return errors.submission_answer(error, view)

    @contextmanager
    def refusal_shown(self, actor: Actor, name: str, *, body: dict, client, respond=None) -> Iterator[Attempt]:
        """The one refusal path of a click or command: a DomainError raised inside the block (parsing the
        payload, the operation) is audited and shown where the person clicked, and not raised further;
        after the block, ``attempt.refused`` says whether to stop."""
        attempt = Attempt()
        try:
            yield attempt
        except DomainError as error:
            attempt.refused = error
            self.tell_refusal(actor, name, error, body=body, client=client, respond=respond)

    @contextmanager
    def refusal_answered(self, actor: Actor, name: str, view: dict, ack, *,
                         fields: dict[str, str] | None = None) -> Iterator[Attempt]:
        """The same for a modal submission: the refusal is audited and acked (errors inline, or a notice).
        ``fields`` maps an operation's field name to the form's block where the person should read it."""
        attempt = Attempt()
        try:
            yield attempt
        except DomainError as error:
            attempt.refused = error
            if fields and error.field in fields:
                error.field = fields[error.field]
            ack(**self.submission_refused(actor, name, error, view))

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
