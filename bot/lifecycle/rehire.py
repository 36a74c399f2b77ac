"""Re-hires: a joiner event for someone accessbot offboarded, or is about to.

* Offboarding **scheduled** by a leaver event and not started: cancelled (HR's newer word wins).
  If the re-hire starts after that leave (a real gap), the leave goes ahead and the joiner event
  waits for its start date in the inbox (``apply.receive`` defers it), then comes back here.
  An offboarding IT scheduled by hand is kept: IT is told and decides.
* Offboarding **running or finished**: the accounts accessbot itself suspended are reactivated
  (``bot.offboarding.reactivation``), on the start date when it is ahead (a durable
  ``person.reactivate`` due action), now otherwise. Suspends not run yet are stopped. Grants the
  offboarding ended stay ended: access is requested again; birthright comes back like any joiner's.
* The end date of the employment that ended is cleared unless the event gives a new one, so it
  cannot offboard the returning person at once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.enums import PersonStatus
from bot.ledger import due
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from bot.lifecycle import identity, people
from bot.lifecycle.event_names import LifecycleEventName
from bot.lifecycle.events import LifecycleInput
from bot.lifecycle.timers import LifecycleKind
from bot.offboarding import prepare, reactivation
from bot.store.models import Offboarding, Person

NOT_RESTORED = "earlier access is not restored: it must be requested again"


def waits_for_start(s: Session, event: LifecycleInput) -> bool:
    """A joiner starting after the person's scheduled leave applies on its start date, after the leave."""
    if event.type != "joiner":
        return False
    person = identity.locate(s, event)
    if person is None or person.status != PersonStatus.ACTIVE:
        return False
    record = prepare.latest(s, person)
    return record is not None and record.status == prepare.SCHEDULED and record.scheduled_for < event.effective_at


def _clear_old_end_date(s: Session, ctx: Ctx, person: Person, event: LifecycleInput, fields: set[str]) -> None:
    if "end_date" in fields or person.end_date is None:
        return
    people.write(s, ctx, person, replace(event, values={"end_date": None}), {"end_date"})


def on_joiner(s: Session, ctx: Ctx, person: Person, event: LifecycleInput, fields: set[str], *, was_leaver: bool,
              starts_at: datetime | None) -> list[str]:
    """Deal with the person's offboarding after a joiner event; returns notes for the event."""
    if was_leaver:
        _clear_old_end_date(s, ctx, person, event, fields)
    record = reactivation.rehired_record(s, person)
    if record is None:
        return []
    if record.status == prepare.SCHEDULED:
        return _before_leaving(s, ctx, person, record, event, fields)
    section = (record.report or {}).get("rehire", {})
    if not was_leaver and section.get("status") != "scheduled":
        return []  # an active person's old offboarding, answered before re-hires were handled
    if starts_at is not None:
        reactivation.note_scheduled(ctx, record, at=starts_at, event_id=event.event_id)
        due.schedule(s, LifecycleKind.REACTIVATE, person.id, starts_at, now=ctx.now,
                     payload={"offboarding_id": record.id, "event_id": event.event_id})
        _tell_it(s, ctx, LifecycleEventName.REACTIVATION_SCHEDULED, person, record, event, reactivate_at=starts_at)
        return [f"accounts accessbot suspended are reactivated on the start date ({starts_at:%Y-%m-%d %H:%M} UTC); "
                f"{NOT_RESTORED}"]
    due.cancel(s, LifecycleKind.REACTIVATE, person.id)
    return _notes(reactivation.plan(s, ctx, record, event_id=event.event_id))


def reactivate_when_due(s: Session, ctx: Ctx, person: Person | None, record: Offboarding | None) -> bool:
    """The ``person.reactivate`` timer: True when reactivations were queued."""
    section = (record.report or {}).get("rehire", {}) if record is not None else {}
    latest = prepare.latest(s, person) if person is not None else None
    # A leave scheduled after the start date does not stop the return; one that started does.
    still = (person is not None and person.status == PersonStatus.ACTIVE and section.get("status") == "scheduled"
             and (latest is record or (latest is not None and latest.status == prepare.SCHEDULED)))
    if not still:
        if person is not None and record is not None:
            happened(s, ctx, LifecycleEventName.REACTIVATION_DROPPED, subject_type="offboarding", subject_id=record.id,
                     person_email=person.email,
                     detail={"reason": "the person left again, or was offboarded again, before the start date"})
        return False
    reactivation.plan(s, ctx, record, event_id=section.get("event_id", ""))
    return True


def _before_leaving(s: Session, ctx: Ctx, person: Person, record: Offboarding, event: LifecycleInput,
                    fields: set[str]) -> list[str]:
    origin = (record.report or {}).get("origin")
    if origin == "leaver_event":
        _clear_old_end_date(s, ctx, person, event, fields)  # the leave's last day, not the new contract's
        prepare.cancel_scheduled(s, ctx, person=person, reason=f"re-hired before leaving ({event.event_id})")
        return [f"the offboarding scheduled for {record.scheduled_for:%Y-%m-%d %H:%M} UTC is cancelled: re-hired "
                "before leaving"]
    if origin == "manual":
        _tell_it(s, ctx, LifecycleEventName.REHIRE_KEPT_OFFBOARDING, person, record, event, at=record.scheduled_for)
        return [f"IT's offboarding scheduled for {record.scheduled_for:%Y-%m-%d %H:%M} UTC is kept: cancel it if "
                "the re-hire replaces it"]
    return []  # an end-date offboarding follows the person's end date


def _tell_it(s: Session, ctx: Ctx, action: LifecycleEventName, person: Person, record: Offboarding, event: LifecycleInput,
             **detail) -> None:
    happened(s, ctx, action, subject_type="offboarding", subject_id=record.id, person_email=person.email,
             detail={"person_email": person.email, "event_id": event.event_id, **detail,
                     "channel": ctx.catalog.settings.it_channel}, notify=True)


def _notes(section: dict) -> list[str]:
    notes = []
    if section["reactivations"]:
        notes.append("reactivating the accounts accessbot suspended: "
                     + ", ".join(q["system"] for q in section["reactivations"]))
    for left in section["left_suspended"]:
        notes.append(f"{left['system']} not reactivated: {left['reason']}")
    if section["stopped"]:
        notes.append(f"{len(section['stopped'])} account call(s) of the offboarding that had not run were stopped")
    notes.append(NOT_RESTORED)
    return notes
