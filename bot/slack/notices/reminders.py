"""Chasing approvals: reminders point approvers at the card they already have (never a second card);
escalations and re-routings give the new approvers the card (through the framework's card sync,
which only posts copies that do not exist yet)."""

from __future__ import annotations

from bot.ledger.event_names import RequestEvent
from bot.slack.notices.requests import APPROVER_CARD, CHANNEL_CARD, sync_cards
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.request import PersonInfo, StepInfo
from bot.slack.views.reminders import render_channel_reminder, render_dm_reminder, render_new_approvers


def _waiting(step: StepInfo) -> list[PersonInfo]:
    voted = {v.person.id for v in step.votes}
    return [p for p in step.approvers if p.id not in voted]


def on_reminder(d: Dispatch, event: Event) -> None:
    card = sync_cards(d, int(event.payload["request_id"]), post_missing=True)
    step = card.current_step if card is not None and card.pending else None
    if step is None:
        return
    subject, purpose = ("request", card.id), f"reminder:{event.id}"
    if d.out.has(subject, purpose):
        return
    channel_card = next((c for c in d.out.copies(subject, CHANNEL_CARD)), None)
    if step.channel and channel_card is not None:
        d.out.post(channel_card.channel, render_channel_reminder(card, _waiting(step)), subject=subject,
                   purpose=purpose, thread_ts=channel_card.ts)
        return
    have = {c.person_id for c in d.out.copies(subject, APPROVER_CARD)}
    for approver in _waiting(step):
        if approver.id in have:
            d.out.post_dm(approver.id, render_dm_reminder(card), subject=subject, purpose=purpose)


def on_new_approvers(d: Dispatch, event: Event) -> None:
    """Escalated or re-routed: new people may decide the current step."""
    card = sync_cards(d, int(event.payload["request_id"]), post_missing=True)
    step = card.current_step if card is not None and card.pending else None
    added = set(event.payload.get("added_approver_ids") or event.payload.get("added_ids") or [])
    channel_card = next(iter(d.out.copies(("request", card.id), CHANNEL_CARD)), None) if step else None
    purpose = f"escalated:{event.id}"
    if channel_card is None or not added or d.out.has(("request", card.id), purpose):
        return
    people = [p for p in step.approvers if p.id in added]
    d.out.post(channel_card.channel, render_new_approvers(card, people), subject=("request", card.id),
               purpose=purpose, thread_ts=channel_card.ts)


def register(handlers: Handlers) -> None:
    handlers.add(RequestEvent.REMINDER, on_reminder)
    handlers.add(RequestEvent.ESCALATED, on_new_approvers)
    handlers.add(RequestEvent.REROUTED, on_new_approvers)
