"""The directory: people, their managers and groups, and the history of their attributes.

Every source (the people file, SCIM pushed by an IdP, HR events) writes through ``upsert``, so
history is kept the same way whatever told us.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.enums import PersonStatus
from bot.domain.errors import UnknownPerson
from bot.store.models import Person, PersonChange
from connectors.base import Subject
from policies import PersonFacts

TRACKED = ("name", "department", "title", "manager_id", "location", "employment_type", "status",
           "start_date", "end_date", "groups", "employee_id", "email")


@dataclass
class PersonInput:
    """What a source knows about a person. ``None`` means "not said", not "cleared"."""

    email: str
    name: str | None = None
    department: str | None = None
    title: str | None = None
    manager_email: str | None = None
    location: str | None = None
    employment_type: str | None = None
    status: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    groups: list[str] | None = None
    employee_id: str | None = None
    slack_user_id: str | None = None
    timezone: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def by_email(s: Session, email: str) -> Person | None:
    return s.scalar(select(Person).where(Person.email == normalise_email(email)))


def by_slack_id(s: Session, slack_user_id: str) -> Person | None:
    return s.scalar(select(Person).where(Person.slack_user_id == slack_user_id))


def require(s: Session, email: str) -> Person:
    person = by_email(s, email)
    if person is None:
        raise UnknownPerson(f"{email} is not in the directory.")
    return person


def manager_of(s: Session, person: Person) -> Person | None:
    return s.get(Person, person.manager_id) if person.manager_id else None


def members_of_group(s: Session, group: str) -> list[Person]:
    # Groups are a JSON list; filtering in Python keeps one query that works on both databases.
    people = s.scalars(select(Person).where(Person.status == PersonStatus.ACTIVE).order_by(Person.id)).all()
    return [p for p in people if group in (p.groups or [])]


def is_manager(s: Session, person: Person) -> bool:
    return bool(s.scalar(select(func.count()).select_from(Person).where(
        Person.manager_id == person.id, Person.status == PersonStatus.ACTIVE)))


def owner_departments(s: Session, owners: Iterable[str]) -> list[str]:
    """The departments of the active people among ``owners`` (``owner_departments`` in policy conditions)."""
    emails = [normalise_email(email) for email in owners]
    if not emails:
        return []
    found = s.scalars(select(Person.department).where(Person.email.in_(emails),
                                                      Person.status == PersonStatus.ACTIVE))
    return sorted({department for department in found if department})


def facts(s: Session, person: Person) -> PersonFacts:
    manager = manager_of(s, person)
    return facts_of(person, manager_email=manager.email if manager else None, is_manager=is_manager(s, person))


def facts_of(person: Person, *, manager_email: str | None, is_manager: bool) -> PersonFacts:
    """What policies see of ``person``, given what only other rows say (for reading many people at once)."""
    return PersonFacts(
        email=person.email, name=person.name, department=person.department, title=person.title,
        location=person.location, employment_type=person.employment_type, groups=tuple(person.groups or ()),
        is_manager=is_manager, manager_email=manager_email,
        status=person.status, attributes=dict(person.attributes or {}),
    )


def subject(person: Person) -> Subject:
    return subject_of(person.id, person.email, person.name, person.slack_user_id, person.attributes)


def subject_of(person_id: int, email: str, name: str, slack_user_id: str | None, attributes: dict | None) -> Subject:
    """The same from a row's columns (callers that read thousands of people without ORM objects)."""
    handles = {k: str(v) for k, v in (attributes or {}).items() if isinstance(v, (str, int))}
    return Subject(email=email, name=name, person_id=person_id, slack_user_id=slack_user_id, handles=handles)


def upsert(s: Session, data: PersonInput, *, source: str, now: datetime,
           effective_at: datetime | None = None) -> tuple[Person, dict[str, tuple[Any, Any]]]:
    """Create or update a person; returns it and the changed fields {name: (old, new)}."""
    email = normalise_email(data.email)
    person = by_email(s, email)
    created = person is None
    if created:
        person = Person(email=email, created_at=now, updated_at=now, groups=[], attributes={})
        s.add(person)
    wanted = _wanted_values(s, data)
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in wanted.items():
        old = getattr(person, name, None)
        if value is not None and old != value:
            setattr(person, name, value)
            if name in TRACKED:
                changes[name] = (old, value)
    if data.attributes:
        merged = {**(person.attributes or {}), **data.attributes}
        if merged != person.attributes:
            person.attributes = merged
    if changes or created:
        person.updated_at = now
    s.flush()
    if not created:
        for name, (old, new) in changes.items():
            s.add(PersonChange(person_id=person.id, field=name, old_value=_text(old), new_value=_text(new),
                               source=source, changed_at=now, effective_at=effective_at))
    return person, changes


def _wanted_values(s: Session, data: PersonInput) -> dict[str, Any]:
    skip = {"email", "manager_email", "attributes"}
    values = {f.name: getattr(data, f.name) for f in fields(data) if f.name not in skip}
    if data.manager_email is not None:
        manager = by_email(s, data.manager_email) if data.manager_email else None
        values["manager_id"] = manager.id if manager else None
        if data.manager_email and manager is None:
            raise UnknownPerson(f"manager {data.manager_email} of {data.email} is not in the directory")
    if data.groups is not None:
        values["groups"] = sorted(set(data.groups))
    return values


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)
