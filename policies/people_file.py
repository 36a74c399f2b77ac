"""A people file (people.yaml or people.csv): a small directory for demos, tests and small companies.

Pure reading and checking; the bot's directory imports the records into its database. Every
problem (unknown key, bad date, duplicate email, unknown or circular manager) is reported with
file and line, all at once, as a PolicyLoadError.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from policies.context import PersonFacts
from policies.errors import PolicyIssue, PolicyLoadError
from policies.schema import Email
from policies.validation import validate_piece
from policies.yaml_source import YamlDocument, load_yaml

_CSV_LIST_SEPARATOR = ";"


class PersonRecord(BaseModel):
    """One person as the file describes them (``manager`` in the file is ``manager_email`` here)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Email
    name: str = ""
    department: str = ""
    title: str = ""
    manager_email: Email | None = Field(None, alias="manager")
    location: str = ""
    employment_type: str = "employee"
    status: str = "active"
    groups: tuple[str, ...] = ()
    start_date: date | None = None
    end_date: date | None = None
    employee_id: str | None = None
    github: str | None = None
    slack_user_id: str | None = None
    timezone: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    _source_line: int | None = PrivateAttr(None)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in ("active", "suspended", "terminated"):
            raise ValueError(f"status must be active, suspended or terminated, not {value!r}")
        return value

    @property
    def source_line(self) -> int | None:
        return self._source_line

    @property
    def handles(self) -> dict[str, str]:
        """Per-system account names the connectors use (e.g. {"github": "octocat"})."""
        return {"github": self.github} if self.github else {}

    def status_on(self, day: date) -> str:
        """The file's status, or "terminated" once the end date has passed."""
        if self.status == "active" and self.end_date is not None and day > self.end_date:
            return "terminated"
        return self.status


def read_people(path: str | Path) -> list[PersonRecord]:
    """Every person in the file, in file order. Raises PolicyLoadError listing every problem."""
    path = Path(path)
    issues: list[PolicyIssue] = []
    if path.suffix.lower() == ".csv":
        rows = _csv_rows(path, issues)
    else:
        rows = _yaml_rows(path, issues)
    records = [_with_line(spec, line) for spec, line in rows if spec is not None]
    # People whose own row is broken are reported once, not again as someone's unknown manager.
    broken = {str(email).strip().lower() for spec, email in rows if spec is None}
    issues.extend(_relation_issues(records, str(path), broken))
    if issues:
        raise PolicyLoadError(sorted(issues, key=lambda i: (i.file, i.line or 0)))
    return records


Row = tuple[PersonRecord, int | None] | tuple[None, Any]  # (spec, line) or (None, the email written)


def _yaml_rows(path: Path, issues: list[PolicyIssue]) -> list[Row]:
    doc = load_yaml(path)
    issues.extend(doc.issues)
    data = doc.data
    items, prefix = (data.get("people"), ("people",)) if isinstance(data, dict) else (data, ())
    if isinstance(data, dict) and set(data) - {"people"}:
        extra = sorted(set(data) - {"people"})
        issues.append(doc.issue((extra[0],), f"unknown top-level key {extra[0]!r}; a people file has people:"))
    if not isinstance(items, list):
        if data is not None:
            issues.append(doc.issue(prefix, "people: must be a list of people"))
        return []
    rows = []
    for index, item in enumerate(items):
        subject = item.get("email", f"person #{index + 1}") if isinstance(item, dict) else f"person #{index + 1}"
        spec = validate_piece(PersonRecord, item, doc, prefix + (index,), issues, str(subject))
        rows.append((spec, doc.line(prefix + (index,))) if spec is not None else (None, subject))
    return rows


def _csv_rows(path: Path, issues: list[PolicyIssue]) -> list[Row]:
    """CSV columns match the YAML keys; groups are separated by ';'; unknown columns become attributes."""
    known = {f.alias or name for name, f in PersonRecord.model_fields.items()} - {"attributes"}
    rows = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        issues.append(PolicyIssue(str(path), None, f"cannot read file: {exc}"))
        return []
    with handle:
        reader = csv.DictReader(handle)
        for row in reader:
            line = reader.line_num
            data: dict[str, Any] = {"attributes": {}}
            for column, value in row.items():
                value = (value or "").strip()
                if column is None or not value:
                    continue
                if column in known:
                    data[column] = [g.strip() for g in value.split(_CSV_LIST_SEPARATOR) if g.strip()] \
                        if column == "groups" else value
                else:
                    data["attributes"][column] = value
            doc = YamlDocument(str(path), None, lines={(): line})
            spec = validate_piece(PersonRecord, data, doc, (), issues, data.get("email", f"row {line}"))
            rows.append((spec, line) if spec is not None else (None, data.get("email")))
    return rows


def _with_line(record: PersonRecord, line: int | None) -> PersonRecord:
    record._source_line = line
    return record


def _relation_issues(records: list[PersonRecord], file: str, broken: set[str]) -> list[PolicyIssue]:
    issues = []
    by_email: dict[str, PersonRecord] = {}
    for record in records:
        if record.email in by_email:
            first = by_email[record.email].source_line
            issues.append(PolicyIssue(file, record.source_line, f"duplicate person {record.email} "
                                                                f"(first on line {first})"))
        by_email.setdefault(record.email, record)
    for record in records:
        manager = record.manager_email
        if manager is None:
            continue
        if manager == record.email:
            issues.append(PolicyIssue(file, record.source_line, f"{record.email} is their own manager"))
        elif manager not in by_email and manager not in broken:
            issues.append(PolicyIssue(file, record.source_line, f"{record.email}: manager {manager} is not in "
                                                                "this file"))
        elif manager in by_email and _in_cycle(record.email, by_email):
            issues.append(PolicyIssue(file, record.source_line, f"{record.email}: the manager chain loops back "
                                                                "to this person"))
    return issues


def _in_cycle(email: str, by_email: dict[str, PersonRecord]) -> bool:
    seen = {email}
    current = by_email[email].manager_email
    while current is not None and current in by_email:
        if current in seen:
            return current == email
        seen.add(current)
        current = by_email[current].manager_email
    return False


class PeopleDirectory:
    """Look-ups over people records: managers, reports, group members, and PersonFacts for policies."""

    def __init__(self, records: list[PersonRecord]):
        self.records = {r.email: r for r in records}
        self._reports: dict[str, list[str]] = {}
        self._members: dict[str, list[str]] = {}
        for record in records:
            if record.manager_email:
                self._reports.setdefault(record.manager_email, []).append(record.email)
            for group in record.groups:
                self._members.setdefault(group, []).append(record.email)

    @property
    def emails(self) -> frozenset[str]:
        return frozenset(self.records)

    @property
    def groups(self) -> frozenset[str]:
        return frozenset(self._members)

    def get(self, email: str) -> PersonRecord | None:
        return self.records.get(email.lower())

    def manager_of(self, email: str) -> str | None:
        record = self.get(email)
        return record.manager_email if record else None

    def members_of(self, group: str) -> list[str]:
        return list(self._members.get(group, []))

    def is_manager(self, email: str) -> bool:
        return bool(self._reports.get(email.lower()))

    def departments_of(self, emails: Iterable[str]) -> list[str]:
        records = [self.get(email) for email in emails]
        return sorted({r.department for r in records if r is not None and r.status == "active" and r.department})

    def facts(self, email: str, on: date | None = None) -> PersonFacts | None:
        record = self.get(email)
        if record is None:
            return None
        status = record.status_on(on) if on else record.status
        return PersonFacts(
            email=record.email, name=record.name, department=record.department, title=record.title,
            location=record.location, employment_type=record.employment_type, groups=record.groups,
            is_manager=self.is_manager(record.email), manager_email=record.manager_email, status=status,
            attributes={**record.attributes, **record.handles},
        )
