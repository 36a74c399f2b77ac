"""Request events → the request card (every copy) and the requester's DMs.

Cards are reconciled, not appended: each event re-reads the request, posts the copies that should
exist and do not yet (approvers of the active step, or the approvals channel; the requester's own
copy), and redraws every existing copy. Late, repeated or out-of-order events therefore converge on
the current state.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.enums import StepStatus
from bot.ledger.event_names import RequestEvent
from bot.slack.delivery import Copy
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.request import RequestCard, StepInfo, load_request_card
from bot.slack.views import common as ui
from bot.slack.views import notices
from bot.slack.views.reminders import render_step_ping
from bot.slack.views.request_card import Audience, Viewer, render_request_card

APPROVER_CARD, CHANNEL_CARD, REQUESTER_CARD = "approver_card", "channel_card", "requester_card"
CARD_AUDIENCES = {APPROVER_CARD: Audience.APPROVER, CHANNEL_CARD: Audience.CHANNEL, REQUESTER_CARD: Audience.REQUESTER}

# Events after which new copies may be due (a new request, a step that now needs other people).
POSTING_EVENTS = (RequestEvent.SUBMITTED, RequestEvent.STEP_ACTIVATED)
UPDATING_EVENTS = (RequestEvent.STEP_APPROVED, RequestEvent.STEP_DENIED, RequestEvent.APPROVED, RequestEvent.DENIED,
                   RequestEvent.CANCELLED, RequestEvent.SUPERSEDED, RequestEvent.TIMED_OUT)


def load_card(d: Dispatch, request_id: int) -> RequestCard | None:
    with d.deps.store.uow() as s:
        return load_request_card(s, d.deps.catalog, request_id)


def sync_cards(d: Dispatch, request_id: int, *, post_missing: bool) -> RequestCard | None:
    card = load_card(d, request_id)
    if card is None:
        return None
    unlinked = {p.id for p in _people_shown(card) if not p.slack_user_id}
    if unlinked and d.out.link(unlinked):  # so the card can @-mention them
        card = load_card(d, request_id)
    subject = ("request", card.id)
    existing = [c for c in d.out.copies(subject) if c.purpose in CARD_AUDIENCES]
    for copy in existing:
        d.out.update(copy, render_request_card(card, _viewer(copy)))
    if post_missing and card.pending:
        _post_missing(d, card, existing)
    d.refresh_home(*(p.id for p in _people_shown(card)))
    return card


def _people_shown(card: RequestCard):
    yield card.requester
    for step in card.steps:
        if step.status != StepStatus.WAITING:
            yield from step.approvers


def _viewer(copy: Copy) -> Viewer:
    return Viewer(CARD_AUDIENCES[copy.purpose], copy.person_id)


def _post_missing(d: Dispatch, card: RequestCard, existing: list[Copy]) -> None:
    subject = ("request", card.id)
    step = card.current_step
    if step is not None and step.channel:
        channel_copy = next((c for c in existing if c.purpose == CHANNEL_CARD), None)
        if channel_copy is None:
            channel_copy = d.out.post(step.channel, render_request_card(card, Viewer(Audience.CHANNEL)),
                                      subject=subject, purpose=CHANNEL_CARD)
        if channel_copy is not None and step.position > 0:
            _ping_step(d, card, step, channel_copy)
    elif step is not None:
        have = {c.person_id for c in existing if c.purpose == APPROVER_CARD}
        for approver in step.approvers:
            if approver.id not in have:
                d.out.post_dm(approver.id, render_request_card(card, Viewer(Audience.APPROVER, approver.id)),
                              subject=subject, purpose=APPROVER_CARD)
    if not any(c.purpose == REQUESTER_CARD for c in existing):
        d.out.post_dm(card.requester.id, render_request_card(card, Viewer(Audience.REQUESTER, card.requester.id)),
                      subject=subject, purpose=REQUESTER_CARD)


def _ping_step(d: Dispatch, card: RequestCard, step: StepInfo, channel_copy: Copy) -> None:
    """Editing the channel card notifies nobody, so a later step's approvers get a threaded mention."""
    purpose = f"ping:{step.position}"
    if d.out.has(("request", card.id), purpose):
        return
    d.out.post(channel_copy.channel, render_step_ping(card, step), subject=("request", card.id),
               purpose=purpose, thread_ts=channel_copy.ts)


def tell_requester(d: Dispatch, event: Event, render: Callable[[RequestCard], ui.Rendered],
                   card: RequestCard | None) -> None:
    """One DM per event (the MessageRef keyed by event id makes a retried event post nothing new)."""
    if card is None:
        return
    purpose = f"notice:{event.id}"
    if not d.out.has(("request", card.id), purpose):
        d.out.post_dm(card.requester.id, render(card), subject=("request", card.id), purpose=purpose)


def on_request_event(d: Dispatch, event: Event) -> None:
    card = sync_cards(d, int(event.payload["request_id"]), post_missing=event.type in POSTING_EVENTS)
    match event.type:
        case RequestEvent.APPROVED:
            tell_requester(d, event, notices.request_approved, card)
        case RequestEvent.DENIED:
            tell_requester(d, event, notices.request_denied, card)
        case RequestEvent.TIMED_OUT:
            tell_requester(d, event, notices.request_timed_out, card)


def register(handlers: Handlers) -> None:
    for event_type in (*POSTING_EVENTS, *UPDATING_EVENTS):
        handlers.add(event_type, on_request_event)
