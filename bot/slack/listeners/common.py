"""Helpers listeners share: acking before any database work, failing after the ack without holding
Slack's answer, and the acting person in a transaction."""

from __future__ import annotations

import functools
from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.domain.errors import UnknownPerson
from bot.ledger.context import Actor
from bot.slack.errors import on_unexpected_error
from bot.store.models import Person


def after_ack(listener: Callable[..., None]) -> Callable[..., None]:
    """Ack at once, then run the listener on the Slack work pool.

    The listener thread is then free again in microseconds, so a busy database (a burst of approvals,
    the audit chain's lock) can delay the work behind a click but never the ack of the next click.
    Bolt reads the listener's own argument names (it unwraps), so the wrapper receives exactly those;
    the listener must take ``env``, and its own ack() call becomes a no-op.
    """
    @functools.wraps(listener)
    def acked(**kwargs):
        ack = kwargs.get("ack")
        if ack is not None:
            ack()
            kwargs["ack"] = _acked
        kwargs["env"].later(listener, **kwargs)
    return acked


def raises_before_ack_only(listener: Callable[..., None]) -> Callable[..., None]:
    """For a listener that acks and then works in Bolt's thread (opening a modal needs the trigger
    at once): an error after the ack is told to the person and logged here, never raised to Bolt.

    Bolt's runner clears the ack it already has when an acked listener raises, then waits the full
    3 s ack timeout for one that never comes (slack_bolt.listener.thread_runner), so Slack saw a
    timeout for a request we had answered. Before the ack, errors still go to Bolt's error handler.
    """
    @functools.wraps(listener)
    def guarded(**kwargs):
        ack, acked = kwargs.get("ack"), []
        if ack is not None:
            def recording_ack(*args, **kw):
                acked.append(True)
                return ack(*args, **kw)
            kwargs["ack"] = recording_ack
        try:
            return listener(**kwargs)
        except Exception as error:
            if not acked:
                raise
            on_unexpected_error(error, kwargs.get("body") or {}, kwargs.get("client"), kwargs.get("respond"))
    return guarded


def _acked(*_args, **_kwargs) -> None:
    """ack() after the wrapper acked: nothing left to send."""


def person_of(s: Session, actor: Actor) -> Person:
    """Re-read the actor in the operation's transaction (the identity cache may be a minute old)."""
    person = s.get(Person, actor.person_id) if actor.person_id else None
    if person is None:
        raise UnknownPerson("You are no longer in accessbot's directory.")
    return person
