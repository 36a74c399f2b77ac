"""The lifecycle event inbox: one row per event, and the order of changes to one person.

Events are ordered by when they take effect, then by when HR recorded them. An event older than
one already applied to the same person still sets the fields no newer event has said anything
about, and leaves the others alone (a stale "department: Sales" never overwrites a newer
"department: Marketing", however the deliveries were ordered).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.audit.log import _jsonable
from bot.ledger.context import Ctx
from bot.lifecycle.events import LifecycleInput
from bot.store.models import LifecycleEvent

STATUS = "status"  # the pseudo-field joiners and leavers set
DATE_FIELDS = ("start_date", "end_date")


def find(s: Session, event_id: str) -> LifecycleEvent | None:
    return s.scalar(select(LifecycleEvent).where(LifecycleEvent.event_id == event_id))


def record(s: Session, ctx: Ctx, event: LifecycleInput) -> LifecycleEvent:
    said = set(event.values) | ({STATUS} if event.type in ("joiner", "leaver") else set())
    row = LifecycleEvent(
        event_id=event.event_id, source=event.source, type=event.type, email=event.email,
        employee_id=event.employee_id, occurred_at=event.occurred_at, effective_at=event.effective_at,
        received_at=ctx.now, status="received", fields=sorted(said), payload=_jsonable(event.payload()))
    s.add(row)
    s.flush()
    return row


def input_of(row: LifecycleEvent) -> LifecycleInput:
    """Rebuild the input from a stored row (an event that waited for its effective date)."""
    payload = dict(row.payload or {})
    values = dict(payload.get("values") or {})
    for name in DATE_FIELDS:
        if isinstance(values.get(name), str):
            values[name] = date.fromisoformat(values[name])
    return LifecycleInput(
        event_id=row.event_id, source=row.source, type=row.type, occurred_at=row.occurred_at,
        effective_at=row.effective_at, effective_given=bool(payload.get("effective_given")), email=row.email,
        values=values, employee_id=row.employee_id, person_id=payload.get("person_id"),
        termination=payload.get("termination"), reason=payload.get("reason") or "")


def newer_fields(s: Session, person_id: int, row: LifecycleEvent) -> set[str]:
    """Fields set by events already applied to this person that take effect after ``row``."""
    later = or_(LifecycleEvent.effective_at > row.effective_at,
                and_(LifecycleEvent.effective_at == row.effective_at, LifecycleEvent.occurred_at > row.occurred_at))
    rows = s.scalars(select(LifecycleEvent.fields).where(
        LifecycleEvent.person_id == person_id, LifecycleEvent.status == "applied", LifecycleEvent.id != row.id,
        later)).all()
    return {name for fields in rows for name in fields or []}


def mark_applied(row: LifecycleEvent, *, person_id: int, now: datetime, note: str) -> None:
    row.person_id, row.status, row.applied_at, row.note = person_id, "applied", now, note
