"""Joiner / mover / leaver events that people must hear about.

- ``lifecycle.access_ending``: after a move, the person and their manager get one DM listing the
  access the new role no longer allows and when each goes (read from the grants and their
  scheduled policy revocations, so a grant that ended meanwhile is left out).
- ``birthright.skipped``, ``lifecycle.rejected``, ``request.reroute_failed``: something the bot could
  not do by itself; IT is told in the IT channel.
- re-hires (``lifecycle.reactivation_planned`` / ``_scheduled`` / ``_failed``,
  ``lifecycle.rehire_kept_offboarding``): which accounts come back, which stay suspended and why,
  and that earlier access is not restored. These one-off notes say what the audit log says
  (the event's detail), as nothing else records it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.domain.enums import GrantStatus
from bot.ledger.event_names import RequestEvent
from bot.lifecycle import mover_recheck
from bot.lifecycle.event_names import LifecycleEventName
from bot.slack.notices.it_channel import post_to_it
from bot.slack.notify import Dispatch, Handlers
from bot.slack.outbox import Event
from bot.slack.readmodels.request import PersonInfo, entitlement_info
from bot.slack.views import common as ui
from bot.slack.views.lifecycle_notes import REHIRE_NOTES, render_access_ending, render_it_note
from bot.store.models import Grant, LifecycleEvent, Person

STILL_HELD = (GrantStatus.SCHEDULED, GrantStatus.PROVISIONING, GrantStatus.ACTIVE)


def on_access_ending(d: Dispatch, event: Event) -> None:
    person_id = int(event.payload["person_id"])
    with d.deps.store.uow() as s:
        person = s.get(Person, person_id)
        manager = s.get(Person, person.manager_id) if person and person.manager_id else None
        ending = _ending(s, d.deps.catalog, [int(g["grant_id"]) for g in event.payload.get("grants", [])])
        who, boss = PersonInfo.of(person), PersonInfo.of(manager) if manager else None
    if not ending:
        return
    _dm_once(d, event, who.id, render_access_ending(ending))
    if boss is not None:
        _dm_once(d, event, boss.id, render_access_ending(ending, of=who))


def _ending(s, catalog, grant_ids: list[int]) -> list[tuple[str, datetime]]:
    """(label, when) of each grant still held whose policy revocation is scheduled."""
    ending = []
    for grant in s.scalars(select(Grant).where(Grant.id.in_(grant_ids), Grant.status.in_(STILL_HELD))
                           .order_by(Grant.id)):
        when = mover_recheck.revoke_due_at(s, grant.id)
        if when is not None:
            ending.append((entitlement_info(catalog, grant.entitlement).label, when))
    return ending


def _dm_once(d: Dispatch, event: Event, person_id: int, message: ui.Rendered) -> None:
    purpose = f"notice:{event.id}"
    if not d.out.has(("person", person_id), purpose, person_id):
        d.out.post_dm(person_id, message, subject=("person", person_id), purpose=purpose)


def _email_of(d: Dispatch, payload: dict) -> str:
    with d.deps.store.uow() as s:
        if payload.get("person_id") is not None:
            person = s.get(Person, int(payload["person_id"]))
            return person.email if person else "someone"
        row = s.get(LifecycleEvent, int(payload["lifecycle_event_id"])) if payload.get("lifecycle_event_id") else None
        return row.email if row else "someone"


def on_it_note(d: Dispatch, event: Event) -> None:
    p = event.payload
    email = _email_of(d, p) if event.type in (LifecycleEventName.BIRTHRIGHT_SKIPPED, LifecycleEventName.REJECTED) else ""
    subject = ("event", event.id)
    if not d.out.has(subject, "it_note"):
        post_to_it(d, render_it_note(event.type, p, email), subject=subject, purpose="it_note",
                   channel=p.get("channel"))


def register(handlers: Handlers) -> None:
    handlers.add(LifecycleEventName.ACCESS_ENDING, on_access_ending)
    for event_type in (LifecycleEventName.BIRTHRIGHT_SKIPPED, LifecycleEventName.REJECTED, RequestEvent.REROUTE_FAILED, *REHIRE_NOTES):
        handlers.add(event_type, on_it_note)
