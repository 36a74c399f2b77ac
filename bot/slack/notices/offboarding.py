"""Offboarding events → one message per offboarding in the IT channel (or the IT admins' DMs),
posted when it waits for a second IT admin, is scheduled or starts, and redrawn as it is confirmed,
cancelled and as each system finishes, until the per-system report with Retry for what failed."""

from __future__ import annotations

from sqlalchemy import select

from bot.ledger.event_names import ProvisioningEvent
from bot.offboarding.events import OffboardingEvent
from bot.slack.notices.it_channel import post_to_it
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.offboarding import load_offboarding
from bot.slack.views.offboard_report import render_offboard_report
from bot.store.models import OutboxEvent

REPORT = "offboarding_report"
EVENTS = (OffboardingEvent.AWAITING_CONFIRMATION, OffboardingEvent.SCHEDULED, OffboardingEvent.STARTED, OffboardingEvent.RESUMED, OffboardingEvent.PROGRESS,
          OffboardingEvent.FINISHED, OffboardingEvent.CANCELLED)
# One call of an offboarding finished outside a run (an IT task answered, a background retry): the
# report follows. During a run the engine's per-system progress is enough (and far fewer updates).
CALL_EVENTS = tuple(ProvisioningEvent.of(kind, outcome) for kind in ("revoke", "suspend", "end_sessions")
                    for outcome in ("done", "failed"))


def on_offboarding_event(d: Dispatch, event: Event) -> None:
    if event.payload.get("offboarding_id") is None:
        return
    with d.deps.store.uow() as s:
        view = load_offboarding(s, int(event.payload["offboarding_id"]))
    if view is None or (event.type in CALL_EVENTS and view.report.status == "running"):
        return
    subject = ("offboarding", view.report.offboarding_id)
    copies = d.out.copies(subject, REPORT)
    if not copies:
        post_to_it(d, render_offboard_report(view), subject=subject, purpose=REPORT)
    elif not _redrawn_later(d, event):
        for copy in copies:
            d.out.update(copy, render_offboard_report(view))


def _redrawn_later(d: Dispatch, event: Event) -> bool:
    """A later event of the same offboarding waits: it redraws from the database anyway, so this one
    need not (a large offboarding emits many events at once; Slack allows ~50 updates a minute)."""
    with d.deps.store.uow() as s:
        later = s.scalars(select(OutboxEvent.payload).where(
            OutboxEvent.id > event.id, OutboxEvent.dispatched_at.is_(None),
            OutboxEvent.type.in_((*EVENTS, *CALL_EVENTS)))).all()
    return any((p or {}).get("offboarding_id") == event.payload["offboarding_id"] for p in later)


def register(handlers: Handlers) -> None:
    for event_type in (*EVENTS, *CALL_EVENTS):
        handlers.add(event_type, on_offboarding_event)
