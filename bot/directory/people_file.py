"""Import the people file (people.yaml / people.csv next to the catalog) into the directory.

The file is read and checked by ``policies.people_file`` (every problem with file and line); here
each record goes through the directory's one writer, so changes are kept as history like any
other source's.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import PersonStatus
from bot.store.connector_host import advisory_lock_id
from bot.store.models import Person
from policies.people_file import PersonRecord, read_people


def record_to_input(record: PersonRecord, *, with_manager: bool = True) -> directory.PersonInput:
    attributes = dict(record.attributes)
    attributes.update(record.handles)
    return directory.PersonInput(
        email=record.email, name=record.name, department=record.department, title=record.title,
        manager_email=(record.manager_email or "") if with_manager else None, location=record.location,
        employment_type=record.employment_type,
        status=PersonStatus.ACTIVE if record.status == "active" else PersonStatus.LEAVER,
        start_date=record.start_date, end_date=record.end_date, groups=list(record.groups),
        employee_id=record.employee_id, slack_user_id=record.slack_user_id, timezone=record.timezone,
        attributes=attributes,
    )


def sync_people_file(s: Session, path: Path, *, now: datetime) -> list[tuple[Person, dict]]:
    """Returns every person with the fields that changed (empty dict: unchanged or new)."""
    records = read_people(path)
    # A web front and a worker started together (compose, Kubernetes) both sync the file at start: on
    # PostgreSQL they would both see a person missing and both insert (SQLite's BEGIN IMMEDIATE already
    # serialises writers), so the second waits for the first and then finds everyone.
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": advisory_lock_id("people-file-sync")})
    # Two passes: everyone exists before anyone's manager is pointed at them.
    for record in records:
        directory.upsert(s, record_to_input(record, with_manager=False), source="file", now=now)
    return [directory.upsert(s, record_to_input(record), source="file", now=now) for record in records]
