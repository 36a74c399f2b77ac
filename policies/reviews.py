"""Access-review campaigns as code: the ``reviews:`` section of the catalog.

    reviews:
      - name: quarterly-privileged
        scope: {risk: [high, critical], connectors: [mem], when: 'person.department != "IT"'}
        reviewers: [manager, owners]          # in order; the first that is not the holder reviews
        fallback: {group: it-admins}          # when the chain finds nobody (default: settings.fallback)
        recurrence: {every: quarterly, day: 1}  # or omitted: one-off, started by IT
        duration: 14d                         # deadline = start + duration
        reminders: [7d, 1d]                   # before the deadline
        at_deadline: revoke                   # revoke | keep | escalate

Shape is checked by pydantic (file:line through the loader); references (entitlements, resources,
connectors, people, groups) and the CEL condition are checked against the resolved catalog.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal

from pydantic import Field, model_validator

from policies import durations
from policies.cel import CelCompileError, Condition, compile_condition
from policies.context import ENTITLEMENT_FIELDS, PERSON_FIELDS
from policies.errors import PolicyIssue, did_you_mean
from policies.pieces import Collected, Known, Piece
from policies.schema import Email, FiniteDuration, Name, Ref, Risk, Spec, step_shorthand
from policies.validation import validate_piece
from policies.yaml_source import YamlDocument

# What a scope condition may read: the holder, the entitlement, and the grant itself.
GRANT_FIELDS = ("how", "permanent", "days_held", "granted_by")
SCOPE_VARIABLES = {"person": PERSON_FIELDS, "entitlement": ENTITLEMENT_FIELDS, "grant": GRANT_FIELDS}
DEFAULT_ACTIONS = ("revoke", "keep", "escalate")


class ReviewerSpec(Spec):
    kind: Literal["manager", "owners", "people", "group"]
    people: list[Email] = Field(default_factory=list)
    group: Name | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return step_shorthand(value)

    @model_validator(mode="after")
    def _consistent(self) -> ReviewerSpec:
        if self.kind == "people" and not self.people:
            raise ValueError("a 'people' reviewer needs a non-empty people: list of emails")
        if self.kind == "group" and not self.group:
            raise ValueError("a 'group' reviewer needs group: (a directory group name)")
        return self


class ScopeSpec(Spec):
    resources: list[Name] = Field(default_factory=list)
    entitlements: list[Ref] = Field(default_factory=list)
    risk: list[Risk] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    connectors: list[Name] = Field(default_factory=list)
    when: str | None = None


class RecurrenceSpec(Spec):
    every: Literal["monthly", "quarterly"]
    day: int = Field(default=1, ge=1, le=28)


class ReviewCampaignSpec(Spec):
    name: Name
    description: str = ""
    scope: ScopeSpec = ScopeSpec()
    reviewers: list[ReviewerSpec] = Field(default_factory=lambda: [ReviewerSpec(kind="manager")], min_length=1)
    fallback: ReviewerSpec | None = None
    recurrence: RecurrenceSpec | None = None
    duration: FiniteDuration = timedelta(days=14)
    reminders: list[FiniteDuration] = Field(default_factory=lambda: [timedelta(days=3), timedelta(days=1)])
    at_deadline: Literal["revoke", "keep", "escalate"] = "revoke"
    escalation_period: FiniteDuration = timedelta(days=3)

    @model_validator(mode="after")
    def _reminders_inside(self) -> ReviewCampaignSpec:
        for before in self.reminders:
            if before >= self.duration:
                raise ValueError(f"a reminder {durations.short(before)} before the deadline is not inside the "
                                 f"campaign's duration ({durations.short(self.duration)})")
        return self


@dataclass(frozen=True)
class Reviewer:
    kind: str  # manager | owners | people | group
    people: tuple[str, ...] = ()
    group: str | None = None


@dataclass(frozen=True)
class ReviewCampaign:
    name: str
    description: str
    resources: frozenset[str]
    entitlements: frozenset[str]
    risks: frozenset[str]
    departments: frozenset[str]
    connectors: frozenset[str]
    condition: Condition | None
    reviewers: tuple[Reviewer, ...]
    fallback: Reviewer | None  # None: the catalog's settings.fallback
    recurrence: RecurrenceSpec | None
    duration: timedelta
    reminders: tuple[timedelta, ...]  # before the deadline, longest first
    at_deadline: str
    escalation_period: timedelta
    source: str = field(default="")

    def next_start(self, after: datetime) -> datetime | None:
        """The next scheduled start strictly after ``after`` (UTC midnight), or None for a one-off."""
        if self.recurrence is None:
            return None
        step = 1 if self.recurrence.every == "monthly" else 3
        year, month = after.year, after.month
        if self.recurrence.every == "quarterly":
            month = ((month - 1) // 3) * 3 + 1  # first month of this quarter
        while True:
            candidate = datetime.combine(date(year, month, min(self.recurrence.day, calendar.monthrange(year, month)[1])),
                                         time(0), tzinfo=timezone.utc)
            if candidate > after:
                return candidate
            month += step
            if month > 12:
                year, month = year + 1, month - 12


def read_reviews(value: Any, doc: YamlDocument, collected: Collected) -> None:
    """The ``reviews:`` section reader (a list of campaigns), for the loader's section table."""
    if not isinstance(value, list):
        collected.issues.append(doc.issue(("reviews",), "reviews: must be a list of campaigns"))
        return
    for index, body in enumerate(value):
        path = ("reviews", index)
        name = body.get("name") if isinstance(body, dict) else None
        subject = f"review campaign {name!r}" if isinstance(name, str) else f"review campaign #{index + 1}"
        spec = validate_piece(ReviewCampaignSpec, body, doc, path, collected.issues, subject)
        if spec is not None and collected.claim("review campaign", spec.name, doc, path):
            collected.reviews.append(Piece(spec, doc, path))


def resolve_reviews(collected: Collected, known: Known, catalog: Any) -> dict[str, ReviewCampaign]:
    """Check every reference of every campaign; issues go to ``collected.issues``."""
    out = {}
    for piece in collected.reviews:
        spec: ReviewCampaignSpec = piece.spec
        issues = collected.issues
        scope = spec.scope
        for index, ref in enumerate(scope.entitlements):
            if ref not in catalog.entitlements:
                issues.append(piece.issue(f"review campaign {spec.name!r}: unknown entitlement {ref!r}"
                                          f"{did_you_mean(ref, sorted(catalog.entitlements))}", "scope", "entitlements", index))
        for index, rid in enumerate(scope.resources):
            if rid not in catalog.resources:
                issues.append(piece.issue(f"review campaign {spec.name!r}: unknown resource {rid!r}"
                                          f"{did_you_mean(rid, sorted(catalog.resources))}", "scope", "resources", index))
        if known.connectors is not None:
            for index, name in enumerate(scope.connectors):
                if name not in known.connectors:
                    issues.append(piece.issue(f"review campaign {spec.name!r}: unknown connector instance {name!r}"
                                              f"{did_you_mean(name, sorted(known.connectors))}", "scope", "connectors", index))
        reviewers = [spec.reviewers, [spec.fallback] if spec.fallback else []]
        for key, chain in zip(("reviewers", "fallback"), reviewers):
            for index, reviewer in enumerate(chain):
                sub = (key, index) if key == "reviewers" else (key,)
                _check_reviewer(reviewer, known, piece, sub, spec.name, issues)
        condition = None
        if scope.when is not None:
            path = piece.path + ("scope", "when")
            try:
                condition = compile_condition(scope.when, SCOPE_VARIABLES)
            except CelCompileError as exc:
                line = piece.doc.text_lines.get(path, piece.doc.line(path) or 1) + exc.line - 1
                issues.append(PolicyIssue(piece.doc.file, line, f"review campaign {spec.name!r} scope.when: {exc}"))
        out[spec.name] = ReviewCampaign(
            name=spec.name, description=spec.description, resources=frozenset(scope.resources),
            entitlements=frozenset(scope.entitlements), risks=frozenset(scope.risk),
            departments=frozenset(d.lower() for d in scope.departments), connectors=frozenset(scope.connectors),
            condition=condition, reviewers=tuple(_reviewer(r) for r in spec.reviewers),
            fallback=_reviewer(spec.fallback) if spec.fallback else None, recurrence=spec.recurrence,
            duration=spec.duration, reminders=tuple(sorted(set(spec.reminders), reverse=True)),
            at_deadline=spec.at_deadline, escalation_period=spec.escalation_period, source=piece.where())
    return out


def _reviewer(spec: ReviewerSpec) -> Reviewer:
    return Reviewer(spec.kind, tuple(spec.people), spec.group)


def _check_reviewer(reviewer: ReviewerSpec, known: Known, piece: Piece, sub: tuple, name: str,
                    issues: list[PolicyIssue]) -> None:
    if known.people is not None:
        for index, email in enumerate(reviewer.people):
            if email not in known.people:
                issues.append(piece.issue(f"review campaign {name!r}: {email} is not in the directory",
                                          *sub, "people", index))
    if known.groups is not None and reviewer.group and reviewer.group not in known.groups:
        issues.append(piece.issue(f"review campaign {name!r}: unknown group {reviewer.group!r}"
                                  f"{did_you_mean(reviewer.group, sorted(known.groups))}", *sub, "group"))
