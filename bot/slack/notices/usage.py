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
    _redraw(d, view, skip=purpose)  # a holder's earlier copy, once the question went to an owner


def on_answered(d: Dispatch, event: Event) -> None:
    _redraw(d, _view(d, event))


def _redraw(d: Dispatch, view, skip: str = "") -> None:
    for copy in d.out.copies(("usage_ask", view.ask_id)):
        if copy.purpose != skip:
            d.out.update(copy, render_usage_ask(view, reader_id=copy.person_id))


def register(handlers: Handlers) -> None:
    handlers.add(UsageEvent.ASKED, on_asked)
    handlers.add(UsageEvent.OWNER_ASKED, on_asked)
    for settled in (UsageEvent.KEPT, UsageEvent.RELEASED, UsageEvent.LAPSED):
        handlers.add(settled, on_answered)
