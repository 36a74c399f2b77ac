"""Break-glass events → the IT/security channel's message (kept up to date: active, ended, reviewed), a
note to the approvers skipped and the manager, the reviewer's item, and escalations in the channel's thread."""

from __future__ import annotations

from sqlalchemy import select

from bot.breakglass import events
from bot.slack.notices.it_channel import post_to_it
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.break_glass import load_break_glass_view
from bot.slack.views.break_glass import (
    render_break_glass_channel,
    render_break_glass_escalation,
    render_break_glass_review,
    render_break_glass_told,
)
from bot.ledger.event_names import GrantEvent
from bot.store.models import BreakGlassUse

CHANNEL, TOLD, REVIEW, ESCALATION = "break_glass_channel", "break_glass_told", "break_glass_review", "escalation"


def _view(d: Dispatch, use_id: int):
    with d.deps.store.uow() as s:
        return load_break_glass_view(s, d.deps.catalog, use_id)


def on_used(d: Dispatch, event: Event) -> None:
    use = _view(d, int(event.payload["break_glass_id"]))
    if use is None:
        return
    subject = ("break_glass", use.id)
    if event.payload.get("notify_it") and not d.out.has(subject, CHANNEL):
        post_to_it(d, render_break_glass_channel(use), subject=subject, purpose=CHANNEL,
                   channel=event.payload.get("channel"))
    for person_id in event.payload.get("notified_ids") or []:
        if not d.out.has(subject, TOLD, person_id):
            d.out.post_dm(person_id, render_break_glass_told(use), subject=subject, purpose=TOLD)
    for reviewer in use.reviewers:
        if not d.out.has(subject, REVIEW, reviewer.id):
            d.out.post_dm(reviewer.id, render_break_glass_review(use), subject=subject, purpose=REVIEW)


def redraw(d: Dispatch, use_id: int) -> None:
    use = _view(d, use_id)
    if use is None:
        return
    for copy in d.out.copies(("break_glass", use_id), CHANNEL):
        d.out.update(copy, render_break_glass_channel(use))
    for copy in d.out.copies(("break_glass", use_id), REVIEW):
        d.out.update(copy, render_break_glass_review(use))


def on_reviewed_or_overdue(d: Dispatch, event: Event) -> None:
    use_id = int(event.payload["break_glass_id"])
    redraw(d, use_id)
    escalate = event.type == events.REVIEW_OVERDUE or event.payload.get("escalated")
    purpose = f"{ESCALATION}:{event.id}"
    if not escalate or d.out.has(("break_glass", use_id), purpose):
        return
    use = _view(d, use_id)
    posted = [c for c in d.out.copies(("break_glass", use_id), CHANNEL) if c.person_id is None]
    post_to_it(d, render_break_glass_escalation(use), subject=("break_glass", use_id), purpose=purpose,
               channel=posted[0].channel if posted else event.payload.get("channel"),
               thread_ts=posted[0].ts if posted else None)


def on_grant_ended(d: Dispatch, event: Event) -> None:
    """A break-glass grant that ended (expired, revoked): its channel message and review item say so."""
    with d.deps.store.uow() as s:
        use_id = s.scalar(select(BreakGlassUse.id).where(BreakGlassUse.grant_id == int(event.payload["grant_id"])))
    if use_id is not None:
        redraw(d, use_id)


def register(handlers: Handlers) -> None:
    handlers.add(events.USED, on_used)
    handlers.add(events.REVIEWED, on_reviewed_or_overdue)
    handlers.add(events.REVIEW_OVERDUE, on_reviewed_or_overdue)
    for event_type in (GrantEvent.EXPIRED, GrantEvent.REVOKED):
        handlers.add(event_type, on_grant_ended)
