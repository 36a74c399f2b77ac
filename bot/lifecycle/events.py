"""Joiner, mover and leaver events: the HR webhook's JSON schema and the source-neutral input.

The webhook body (documented in docs/lifecycle.md; ``HrEvent.model_json_schema()`` prints it)::

    {"event_id": "wd-81723", "type": "mover",
     "occurred_at": "2026-11-02T10:15:00Z", "effective_at": "2026-11-09T00:00:00+01:00",
     "person": {"email": "alice@acme.example", "employee_id": "E1001", "department": "Sales",
                "manager_email": "bob@acme.example"}}

In ``person`` an absent field means "not part of this change"; ``null`` clears ``end_date`` /
``start_date``; ``""`` clears a text field (``manager_email: ""``: no manager).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.limits import LATEST, schedulable, unstorable

EventType = Literal["joiner", "mover", "leaver"]
Moment = Annotated[AwareDatetime, AfterValidator(schedulable)]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
Text = Field(default=None, max_length=200)


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


class HrPerson(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(description="Work email; identifies the person together with employee_id")
    employee_id: str | None = Field(default=None, min_length=1, max_length=100,
                                    description="HR's immutable id: keeps a person across an email change")
    name: str | None = Text
    department: str | None = Text
    title: str | None = Text
    manager_email: str | None = Field(default=None, description='The manager\'s email; "" for none')
    location: str | None = Text
    employment_type: str | None = Field(default=None, max_length=50, description="employee, contractor, intern...")
    start_date: date | None = None
    end_date: date | None = Field(default=None, description="Last working day; access ends at the end of it")
    groups: list[str] | None = None
    slack_user_id: str | None = Field(default=None, max_length=32)
    timezone: str | None = Field(default=None, max_length=64, description="IANA name, e.g. Europe/London")
    attributes: dict[str, Any] | None = Field(default=None, description="Extra attributes policies may read")

    @field_validator("email")
    @classmethod
    def _work_email(cls, value: str) -> str:
        return _email(value)

    @field_validator("manager_email")
    @classmethod
    def _manager(cls, value: str | None) -> str | None:
        return value if value in (None, "") else _email(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the file system refuses
                raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/London") from None
        return value


class HrEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=150, description="Unique per event: redeliveries are ignored")
    type: EventType
    occurred_at: Moment = Field(description="When HR recorded the change")
    effective_at: Moment | None = Field(
        default=None, description="When it takes effect (default: occurred_at). Past: applied now; "
                                  "future: a mover waits for it, a leaver is offboarded then")
    termination: Literal["immediate", "end_of_day"] | None = Field(
        default=None, description='Leavers only. "immediate": now, whatever the dates; "end_of_day": at the end '
                                  "of the effective (or end) date in the person's time zone")
    reason: str = Field(default="", max_length=500)
    person: HrPerson

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        """NUL or a lone surrogate anywhere: refused now (400), not by the database on every retry."""
        problem = unstorable(data)
        if problem:
            raise ValueError(problem)
        return data

    @model_validator(mode="after")
    def _consistent(self) -> HrEvent:
        if self.termination is not None and self.type != "leaver":
            raise ValueError("termination applies to leaver events only")
        p = self.person
        for name, day in (("start_date", p.start_date), ("end_date", p.end_date)):
            if day is not None and not 1970 <= day.year < LATEST.year:
                raise ValueError(f"person.{name} must be between 1970 and {LATEST.year}")
        if p.start_date and p.end_date and p.end_date < p.start_date:
            raise ValueError(f"person.end_date {p.end_date} is before person.start_date {p.start_date}")
        return self


@dataclass(frozen=True)
class LifecycleInput:
    """One change to one person, whatever sent it (HR webhook, SCIM push)."""

    event_id: str  # namespaced: "hr:…", "scim:…"
    source: str  # hr, scim
    type: str  # joiner, mover, leaver
    occurred_at: datetime
    effective_at: datetime
    effective_given: bool  # effective_at was stated (not defaulted to occurred_at)
    email: str
    values: dict[str, Any] = field(default_factory=dict)  # person fields this event sets
    employee_id: str | None = None
    person_id: int | None = None  # known exactly (SCIM resource id)
    termination: str | None = None
    reason: str = ""

    def payload(self) -> dict[str, Any]:
        return {"values": self.values, "termination": self.termination, "reason": self.reason,
                "effective_given": self.effective_given, "person_id": self.person_id}


def from_hr(event: HrEvent) -> LifecycleInput:
    values = {name: getattr(event.person, name) for name in event.person.model_fields_set if name != "email"}
    values.pop("employee_id", None)  # identity, handled apart: never cleared by an event
    return LifecycleInput(
        event_id=f"hr:{event.event_id}", source="hr", type=event.type, occurred_at=event.occurred_at,
        effective_at=event.effective_at or _default_effective(event), effective_given=event.effective_at is not None,
        email=event.person.email, values=values, employee_id=event.person.employee_id,
        termination=event.termination, reason=event.reason)


def _default_effective(event: HrEvent) -> datetime:
    """A joiner takes effect on their start date (so a later leaver is never older than it); anything
    else when HR recorded it."""
    if event.type == "joiner" and event.person.start_date is not None:
        return datetime.combine(event.person.start_date, time(0), timezone.utc)
    return event.occurred_at
