"""Write an event's fields to the directory, through its one writer, keeping history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.errors import UnknownPerson
from bot.ledger.context import Ctx
from bot.lifecycle import identity
from bot.lifecycle.events import LifecycleInput
from bot.store.models import Person, PersonChange

# Fields whose change can change what a person may hold.
ACCESS_FIELDS = frozenset({"department", "title", "location", "employment_type", "groups", "manager_id",
                           "attributes", "status"})
CLEARABLE_DATES = ("start_date", "end_date")


def write(s: Session, ctx: Ctx, person: Person | None, event: LifecycleInput, fields: set[str], *,
          status: str | None = None, drop_unknown_manager: bool = False) -> tuple[Person, dict[str, tuple]]:
    """Apply ``fields`` of ``event`` (and ``status``) to ``person`` (None: create them).

    Returns the person and the changed fields {name: (old, new)}. An unknown manager is refused
    (the event can be re-sent once the manager exists) unless ``drop_unknown_manager``: a leaver
    must never be blocked by their manager's record.
    """
    values = {name: event.values[name] for name in fields if name in event.values}
    if drop_unknown_manager and values.get("manager_email") and directory.by_email(s, values["manager_email"]) is None:
        values.pop("manager_email")
    if person is not None:
        identity.rename(s, person, event.email, source=event.source, now=ctx.now, effective_at=event.effective_at)
    created = person is None
    before = {} if created else dict(person.attributes or {})
    data = directory.PersonInput(email=event.email, status=status, employee_id=event.employee_id,
                                 **{k: v for k, v in values.items() if k in _INPUT_FIELDS and v is not None})
    if values.get("attributes") is not None:
        data.attributes = dict(values["attributes"])
    try:
        person, changes = directory.upsert(s, data, source=event.source, now=ctx.now, effective_at=event.effective_at)
    except UnknownPerson as error:
        raise UnknownPerson(f"{error.message}; send the manager first, or leave manager_email out") from None
    for name in CLEARABLE_DATES:
        if name in values and values[name] is None and getattr(person, name) is not None:
            changes[name] = (getattr(person, name), None)
            s.add(PersonChange(person_id=person.id, field=name, old_value=str(getattr(person, name)),
                               new_value=None, source=event.source, changed_at=ctx.now,
                               effective_at=event.effective_at))
            setattr(person, name, None)
    if not created and (person.attributes or {}) != before:
        changes["attributes"] = (before, dict(person.attributes or {}))
    s.flush()
    return person, changes


_INPUT_FIELDS = frozenset(f for f in directory.PersonInput.__dataclass_fields__
                          if f not in ("email", "attributes", "employee_id"))


def zone_of(ctx: Ctx, person: Person) -> ZoneInfo:
    if person.timezone:
        try:
            return ZoneInfo(person.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ctx.catalog.settings.zone


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first moment after ``day`` in ``zone``: access ends when the last working day does."""
    return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)


def describe(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in values.items()}
