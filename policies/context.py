"""Plain facts about a person and a request, and their CEL form. The only bridge from data to CEL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import celpy

from policies import durations

# The names a condition may read; the loader checks expressions against these at load time.
PERSON_FIELDS = (
    "email", "name", "department", "title", "location", "employment_type", "groups",
    "is_manager", "manager_email", "status", "attributes",
)
REQUEST_FIELDS = ("duration_hours", "justification", "ticket")
ENTITLEMENT_FIELDS = ("ref", "resource", "role", "risk", "connector", "target", "owners")
# The departments of the entitlement's active owners, from the directory at the time of the check.
OWNER_DEPARTMENTS = "owner_departments"


class MissingFacts(ValueError):
    """A rule reads something the caller did not pass: a bug in the caller, never "not eligible"."""


@dataclass(frozen=True)
class PersonFacts:
    email: str
    name: str = ""
    department: str = ""
    title: str = ""
    location: str = ""
    employment_type: str = "employee"
    groups: tuple[str, ...] = ()
    is_manager: bool = False
    manager_email: str | None = None
    status: str = "active"
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class RequestFacts:
    duration: timedelta | None  # None: permanent
    justification: str = ""
    ticket: str = ""


def person_value(person: PersonFacts) -> Any:
    return celpy.json_to_cel({
        "email": person.email,
        "name": person.name,
        "department": person.department,
        "title": person.title,
        "location": person.location,
        "employment_type": person.employment_type,
        "groups": list(person.groups),
        "is_manager": bool(person.is_manager),
        "manager_email": person.manager_email or "",
        "status": person.status,
        "attributes": _plain(person.attributes),
    })


def request_value(request: RequestFacts) -> Any:
    return celpy.json_to_cel({
        "duration_hours": float(durations.hours(request.duration)),
        "justification": request.justification or "",
        "ticket": request.ticket or "",
    })


def entitlement_value(facts: Mapping[str, Any]) -> Any:
    return celpy.json_to_cel(dict(facts))


def departments_value(departments: Iterable[str]) -> Any:
    return celpy.json_to_cel(sorted({d for d in departments if d}))


def _plain(value: Any) -> Any:
    """Attributes come from HR feeds: turn dates and other odd values into strings CEL can hold."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)
