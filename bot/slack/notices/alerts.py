"""Revoke failures → an alert with Retry in the IT channel (or the IT admins' DMs), redrawn when the
access is finally removed. A failure inside an offboarding is left to the offboarding report, which
shows it with its own Retry."""

from __future__ import annotations

from bot.ledger.event_names import GrantEvent
from bot.slack.notices.it_channel import post_to_it
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.alert import RevokeAlert, load_revoke_alert
from bot.slack.views.alert import render_revoke_alert, render_still_failing

REVOKE_ALERT = "revoke_alert"


def _load(d: Dispatch, grant_id: int) -> RevokeAlert | None:
    with d.deps.store.uow() as s:
        return load_revoke_alert(s, d.deps.catalog, grant_id)


def on_revoke_failed(d: Dispatch, event: Event) -> None:
    alert = _load(d, int(event.payload["grant_id"]))
    if alert is None or alert.offboarding_id is not None:
        return
    subject = ("grant", alert.grant_id)
    copies = d.out.copies(subject, REVOKE_ALERT)
    if not copies:
        post_to_it(d, render_revoke_alert(alert), subject=subject, purpose=REVOKE_ALERT)
        return
    redraw(d, event)
    purpose = f"alert:{event.id}"
    if not d.out.has(subject, purpose):  # failed again after a Retry: say so where the alert is
        d.out.post(copies[-1].channel, render_still_failing(alert), subject=subject, purpose=purpose,
                   thread_ts=copies[-1].ts)


def redraw(d: Dispatch, event: Event) -> None:
    subject = ("grant", int(event.payload["grant_id"]))
    copies = d.out.copies(subject, REVOKE_ALERT)
    alert = _load(d, subject[1]) if copies else None
    for copy in copies if alert is not None else ():
        d.out.update(copy, render_revoke_alert(alert))


def register(handlers: Handlers) -> None:
    handlers.add(GrantEvent.REVOKE_FAILED, on_revoke_failed)
    for event_type in (GrantEvent.REVOKED, GrantEvent.EXPIRED):
        handlers.add(event_type, redraw)
