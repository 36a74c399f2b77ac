"""Joiner, mover, leaver: what each event does to the directory and to access.

``receive`` is the one entry point for every source (HR webhook, SCIM push). It runs in the
caller's transaction and never calls a connector: offboardings it starts are returned for the
front end to drive after commit (``bot.offboarding.engine.drive_later``).

* joiner: the person exists and is active; birthright access is granted from their start date
  (scheduled grants when it is in the future). A joiner whose address belongs to a leaver is a
  re-hire: same person, new employee id, old grants stay ended, history kept.
* mover: attributes change when the event takes effect (a future date waits in the inbox for a
  ``lifecycle.apply`` timer). A new manager takes over pending manager approvals; access the new
  attributes no longer allow ends after the grace period; new birthright access is granted.
* leaver: offboarded now, or at the effective / end date when it is still ahead (a durable
  timer). ``termination: immediate`` is now whatever the dates; ``end_of_day`` is the end of the
  day in the person's time zone.
* an end date without any leaver event still ends access: joiners and movers with an end date
  (contractors) get an offboarding scheduled for the end of that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.enums import PersonStatus
from bot.ledger import due, reroute
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from bot.lifecycle import birthright, identity, inbox, people, rehire
from bot.lifecycle import mover_recheck as access_review
from bot.lifecycle.event_names import LifecycleEventName
from bot.lifecycle.events import LifecycleInput
from bot.lifecycle.timers import LifecycleKind
from bot.offboarding import prepare
from bot.store.models import LifecycleEvent, Person


@dataclass
class Applied:
    event_id: str
    status: str  # applied, scheduled, duplicate
    person_email: str | None = None
    person_id: int | None = None
    offboarding_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def receive(s: Session, ctx: Ctx, event: LifecycleInput) -> Applied:
    existing = inbox.find(s, event.event_id)
    if existing is not None:
        return Applied(event.event_id, "duplicate", existing.email, existing.person_id,
                       notes=[f"already received at {existing.received_at:%Y-%m-%d %H:%M:%S} UTC"])
    row = inbox.record(s, ctx, event)
    if (event.type == "mover" and event.effective_at > ctx.now) or rehire.waits_for_start(s, event):
        row.status = "scheduled"
        due.schedule(s, LifecycleKind.LIFECYCLE_APPLY, row.id, event.effective_at, now=ctx.now)
        happened(s, ctx, LifecycleEventName.SCHEDULED, subject_type="lifecycle_event", subject_id=row.id,
                 person_email=event.email, detail={"event_id": event.event_id, "effective_at": event.effective_at,
                                                   "values": people.describe(event.values)})
        return Applied(event.event_id, "scheduled", event.email, notes=[f"takes effect {event.effective_at}"])
    return apply_row(s, ctx, row)


def apply_row(s: Session, ctx: Ctx, row: LifecycleEvent) -> Applied:
    event = inbox.input_of(row)
    person = identity.locate(s, event)
    newer = inbox.newer_fields(s, person.id, row) if person is not None else set()
    fields = set(event.values) - newer
    status_stale = inbox.STATUS in newer
    handler = {"joiner": _joiner, "mover": _mover, "leaver": _leaver}[event.type]
    result = Applied(event.event_id, "applied")
    person = handler(s, ctx, event, person, fields, status_stale, result)
    if newer & set(event.values):
        result.notes.append(f"newer events already set {', '.join(sorted(newer & set(event.values)))}: kept")
    result.person_email, result.person_id = person.email, person.id
    inbox.mark_applied(row, person_id=person.id, now=ctx.now, note="; ".join(result.notes))
    happened(s, ctx, LifecycleEventName(f"lifecycle.{event.type}"), subject_type="lifecycle_event", subject_id=row.id,
             person_email=person.email,
             detail={"event_id": event.event_id, "source": event.source, "occurred_at": event.occurred_at,
                     "effective_at": event.effective_at, "received_at": row.received_at,
                     "values": people.describe({k: v for k, v in event.values.items() if k in fields}),
                     "kept_newer": sorted(newer), "notes": result.notes,
                     "offboarding_ids": result.offboarding_ids})
    return result


def _joiner(s, ctx, event, person, fields, status_stale, result) -> Person:
    if status_stale:
        person, _ = people.write(s, ctx, person, event, fields)
        result.notes.append("a newer event already set this person's status: not re-activated")
        return person
    was_leaver = person is not None and person.status == PersonStatus.LEAVER
    old_employee_id = person.employee_id if person is not None else None
    person, _ = people.write(s, ctx, person, event, fields, status=PersonStatus.ACTIVE)
    starts_at = _start(ctx, person, event)
    if was_leaver:
        result.notes.append(f"re-hired (employee id {old_employee_id or 'none'} → {person.employee_id or 'none'}); "
                            "earlier grants stay ended")
        happened(s, ctx, LifecycleEventName.REHIRED, subject_type="person", subject_id=person.id, person_email=person.email,
                 detail={"old_employee_id": old_employee_id, "employee_id": person.employee_id,
                         "starts_at": starts_at, "grants_restored": False})
    result.notes += rehire.on_joiner(s, ctx, person, event, fields, was_leaver=was_leaver,
                                     starts_at=starts_at)
    result.offboarding_ids += _sync_end_date(s, ctx, person)
    granted = birthright.grant_missing(s, ctx, person, starts_at=starts_at)
    if granted:
        result.notes.append(f"birthright grants {granted}")
    return person


def _start(ctx: Ctx, person: Person, event: LifecycleInput) -> datetime | None:
    if person.start_date is not None:
        start = people.start_of_day(person.start_date, people.zone_of(ctx, person))
    else:
        start = event.effective_at
    return start if start > ctx.now else None


def _mover(s, ctx, event, person, fields, status_stale, result) -> Person:
    if person is None:
        result.notes.append("never seen before: handled as a joiner")
        return _joiner(s, ctx, event, person, fields, status_stale, result)
    if person.status == PersonStatus.LEAVER:
        person, _ = people.write(s, ctx, person, event, fields)
        result.notes.append("has left: attributes recorded, access unchanged")
        return person
    person, changes = people.write(s, ctx, person, event, fields)
    why = f"{event.source} change effective {event.effective_at:%Y-%m-%d}"
    if "manager_id" in changes:
        moved = reroute.after_manager_change(s, ctx, person, reason=f"new manager ({why})")
        if moved:
            result.notes.append(f"pending approvals moved to the new manager: {moved}")
    if people.ACCESS_FIELDS & set(changes):
        outcome = access_review.review(s, ctx, person, reason=why)
        if outcome.losing:
            result.notes.append(f"access ending after the grace period: {[g['grant_id'] for g in outcome.losing]}")
        if outcome.granted:
            result.notes.append(f"birthright grants {outcome.granted}")
    if "end_date" in changes:
        result.offboarding_ids += _sync_end_date(s, ctx, person)
    return person


def _leaver(s, ctx, event, person, fields, status_stale, result) -> Person:
    if status_stale:
        person, _ = people.write(s, ctx, person, event, fields)
        result.notes.append("stale leaver: a newer event (e.g. a re-hire) already set the status; not offboarded")
        return person
    if person is None:
        result.notes.append("never seen before: recorded, and offboarded from every system they have an account on")
    person, _ = people.write(s, ctx, person, event, fields, drop_unknown_manager=True)
    at = _leave_moment(ctx, person, event)
    reason = _leave_reason(event, ctx.now)
    if person.status == PersonStatus.LEAVER and not _unfinished(s, person):
        result.notes.append("already offboarded")
    elif at > ctx.now and person.status != PersonStatus.LEAVER:
        prepare.schedule(s, ctx, person=person, at=at, reason=reason, origin="leaver_event")
        result.notes.append(f"offboarding scheduled for {at:%Y-%m-%d %H:%M} UTC")
    else:
        result.offboarding_ids.append(prepare.start(s, ctx, person=person, reason=reason, source=event.source).id)
    return person


def _unfinished(s: Session, person: Person) -> bool:
    record = prepare.latest(s, person)
    return record is not None and record.status in prepare.UNFINISHED


def _leave_moment(ctx: Ctx, person: Person, event: LifecycleInput) -> datetime:
    zone = people.zone_of(ctx, person)
    if event.termination == "immediate":
        return ctx.now
    if event.termination == "end_of_day":
        day = event.effective_at.astimezone(zone).date() if event.effective_given else (
            person.end_date or ctx.now.astimezone(zone).date())
        return people.end_of_day(day, zone)
    if event.effective_given:
        return event.effective_at
    return people.end_of_day(person.end_date, zone) if person.end_date else ctx.now


def _leave_reason(event: LifecycleInput, now: datetime) -> str:
    text = event.reason or f"{event.source} leaver event"
    backdated = " (backdated)" if event.effective_at < now and event.effective_given else ""
    return (f"{text}: {event.event_id}, effective {event.effective_at:%Y-%m-%d %H:%M} UTC{backdated}, "
            f"received {now:%Y-%m-%d %H:%M} UTC")


def _sync_end_date(s: Session, ctx: Ctx, person: Person) -> list[int]:
    """Keep the offboarding of a person with an end date in step with it (contractors, fixed terms)."""
    if person.status != PersonStatus.ACTIVE:
        return []
    if person.end_date is None:
        prepare.cancel_scheduled(s, ctx, person=person, reason="end date removed",
                                 origins=("end_date", "leaver_event"))
        return []
    at = people.end_of_day(person.end_date, people.zone_of(ctx, person))
    if at <= ctx.now:
        return [prepare.start(s, ctx, person=person, reason=f"end date {person.end_date} has passed",
                              source="end_date").id]
    current = prepare.latest(s, person)
    if current is not None and current.status == prepare.SCHEDULED and \
            (current.report or {}).get("origin") == "manual" and current.scheduled_for <= at:
        return []  # IT already scheduled an earlier offboarding by hand: keep it
    prepare.schedule(s, ctx, person=person, at=at, reason=f"end date {person.end_date}", origin="end_date")
    return []
