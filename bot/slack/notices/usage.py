"""Unused access in Slack: the question to whoever is asked (the holder, or an owner), redrawn with
the answer once given (and so the holder's confirmation of a release)."""

from __future__ import annotations

from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.views.usage import render_usage_ask
from bot.usage.events import UsageEvent
from bot.usage.queries import ask_view


def _view(d: Dispatch, event: Event):
    with d.deps.store.uow() as s:
        return ask_view(s, d.deps.catalog, int(event.payload["usage_ask_id"]))


def on_asked(d: Dispatch, event: Event) -> None:
    view = _view(d, event)
    subject, purpose = ("usage_ask", view.ask_id), f"asked:{view.asked_id}"
    if view.status == "open" and not d.out.has(subject, purpose):
        d.out.post_dm(view.asked_id, render_usage_ask(view), subject=subject, purpose=purpose)


def on_answered(d: Dispatch, event: Event) -> None:
    view = _view(d, event)
    for copy in d.out.copies(("usage_ask", view.ask_id)):
        d.out.update(copy, render_usage_ask(view))


def register(handlers: Handlers) -> None:
    handlers.add(UsageEvent.ASKED, on_asked)
    handlers.add(UsageEvent.OWNER_ASKED, on_asked)
    for settled in (UsageEvent.KEPT, UsageEvent.RELEASED, UsageEvent.LAPSED):
        handlers.add(settled, on_answered)
