"""The catalog as written: pydantic models of every YAML key, unknown keys refused.

These models only check shape and single values. Anything that needs the whole catalog
(inheritance, references, CEL, the directory) is checked by ``policies.resolve``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator, model_validator

from policies import durations
from policies.settings import parse_clock, parse_days
from policies.usage import InactivitySpec, LicenseSpec

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
REF_PATTERN = re.compile(r"^([a-z0-9][a-z0-9._-]*):([a-z0-9][a-z0-9._-]*)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{6,}$")

RISKS = ("low", "medium", "high", "critical")
STEP_KINDS = ("manager", "manager_of_manager", "owners", "people", "group")


class Length:
    """A written duration: ``value`` is None for "permanent"."""

    __slots__ = ("value",)

    def __init__(self, value: timedelta | None):
        self.value = value

    @property
    def permanent(self) -> bool:
        return self.value is None

    def __repr__(self) -> str:
        return f"Length({durations.short(self.value)})"


def _length(value: Any) -> Length:
    if isinstance(value, Length):
        return value
    return Length(durations.parse_duration(value))


def _finite(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return durations.parse_duration(value, allow_permanent=False)  # type: ignore[return-value]


def _email(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise ValueError(f"{value!r} is not an email address")
    return value.strip().lower()


def _channel(value: Any) -> str:
    if not isinstance(value, str) or not _CHANNEL.match(value.strip()):
        raise ValueError(
            f"{value!r} is not a Slack channel id; use the id (e.g. C0123ABCD, from the channel's "
            "'About' tab), not its name")
    return value.strip()


def _quorum(value: Any) -> int:
    if value == "any":
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"quorum must be 'any' or a whole number of at least 1, not {value!r}")
    return value


def _ref(value: Any) -> str:
    if not isinstance(value, str) or not REF_PATTERN.match(value.strip()):
        raise ValueError(f"{value!r} is not an entitlement reference; write it as app:role, e.g. github:member")
    return value.strip()


def _target(value: Any) -> str:
    # Numeric targets are common (AWS account, GitHub team id) and YAML reads them as numbers.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _name(value)


def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"should be a text value, got {value!r}")
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


LengthValue = Annotated[Length, PlainValidator(_length)]
FiniteDuration = Annotated[timedelta, PlainValidator(_finite)]
Email = Annotated[str, PlainValidator(_email)]
ChannelId = Annotated[str, PlainValidator(_channel)]
Quorum = Annotated[int, PlainValidator(_quorum)]
Ref = Annotated[str, PlainValidator(_ref)]
Name = Annotated[str, PlainValidator(_name)]
Risk = Literal["low", "medium", "high", "critical"]


class Spec(BaseModel):
    # strict: YAML already gives real booleans and numbers; "yes" for a bool is a mistake to report.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, arbitrary_types_allowed=True)


class DurationsSpec(Spec):
    choices: list[LengthValue] | None = Field(None, min_length=1)
    default: LengthValue | None = None
    maximum: FiniteDuration | None = None
    permanent: bool | None = None


class ConditionSpec(Spec):
    """A CEL condition with an optional sentence shown to people instead of the expression."""

    when: str
    description: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"when": value} if isinstance(value, str) else value


class AutoApproveSpec(ConditionSpec):
    name: str | None = None
    # The grant ends when the on-call shift the condition asked about ends, if that is before its duration.
    ends_with_shift: bool = False


def step_shorthand(value: Any) -> Any:
    """"- manager" for {kind: manager}; {people: [...]} and {group: x} imply their kind."""
    if isinstance(value, str):
        return {"kind": value}
    if isinstance(value, dict) and "kind" not in value:
        for kind in ("people", "group"):
            if kind in value:
                return {**value, "kind": kind}
    return value


class ApprovalStepSpecIn(Spec):
    kind: Literal["manager", "manager_of_manager", "owners", "people", "group"]
    quorum: Quorum = 1
    people: list[Email] = Field(default_factory=list)
    group: Name | None = None
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return step_shorthand(value)

    @model_validator(mode="after")
    def _consistent(self) -> ApprovalStepSpecIn:
        if self.kind == "people" and not self.people:
            raise ValueError("a 'people' step needs a non-empty people: list of emails")
        if self.kind == "group" and not self.group:
            raise ValueError("a 'group' step needs group: (a directory group name)")
        if self.people and self.kind != "people":
            raise ValueError(f"people: only belongs on a 'people' step, not on {self.kind!r}")
        if self.group and self.kind != "group":
            raise ValueError(f"group: only belongs on a 'group' step, not on {self.kind!r}")
        if self.kind == "people" and self.quorum > len(self.people):
            raise ValueError(f"quorum {self.quorum} is larger than the {len(self.people)} people named")
        if self.kind in ("manager", "manager_of_manager") and self.quorum != 1:
            raise ValueError(f"a {self.kind!r} step is one person; its quorum can only be 1 ('any')")
        return self


class BudgetSpec(Spec):
    uses: int = Field(ge=1)
    per: FiniteDuration


class BreakGlassReviewSpec(Spec):
    by: Literal["manager", "owners", "people"] = "manager"
    people: list[Email] = Field(default_factory=list)
    within: FiniteDuration = timedelta(days=2)  # after the access ends
    # An unreviewed use past its deadline stops the person from breaking glass again until reviewed.
    block_when_overdue: bool = True

    @model_validator(mode="after")
    def _people(self) -> BreakGlassReviewSpec:
        if self.by == "people" and not self.people:
            raise ValueError("review by: people needs a non-empty people: list of emails")
        if self.people and self.by != "people":
            raise ValueError(f"people: only belongs on review by: people, not by: {self.by}")
        return self


class BreakGlassSpec(Spec):
    """Who may skip approval in an emergency, for how long, how often, who is told and who reviews it.
    The most specific block wins as a whole; ``break_glass: false`` turns off a default below it."""

    allowed: bool = True
    who: ConditionSpec | None = None  # CEL over person (and entitlement); None: everyone eligible for it
    max_duration: FiniteDuration = timedelta(hours=2)
    budget: BudgetSpec = BudgetSpec(uses=2, per=timedelta(days=30))
    require_ticket: bool = False  # an incident or ticket reference
    ticket_pattern: str | None = None
    notify: list[Literal["approvers", "it_channel", "manager"]] = Field(
        default_factory=lambda: ["approvers", "it_channel", "manager"])
    channel: ChannelId | None = None  # the IT/security channel; default: settings.it_channel
    review: BreakGlassReviewSpec = BreakGlassReviewSpec()

    @model_validator(mode="before")
    @classmethod
    def _on_off(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return {"allowed": value}
        return value

    @field_validator("ticket_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return _check_regex(value)


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"ticket_pattern is not a valid regular expression: {exc}") from None
    return value


class PolicySpec(Spec):
    """Keys that may be written on the catalog defaults, a resource or an entitlement (most specific wins)."""

    risk: Risk | None = None
    requestable: bool | None = None
    connector: Name | None = None
    target_options: dict[str, Any] | None = None
    durations: DurationsSpec | None = None
    require_justification: bool | None = None
    require_ticket: bool | None = None
    ticket_pattern: str | None = None
    eligibility: ConditionSpec | None = None
    approval: list[ApprovalStepSpecIn] | None = None
    auto_approve: list[AutoApproveSpec] | None = None
    expiry_warnings: list[FiniteDuration] | None = None
    extend_auto_approve_limit: FiniteDuration | None = None
    reminder_after: FiniteDuration | None = None
    escalate_after_reminders: int | None = Field(None, ge=0)
    request_timeout: FiniteDuration | None = None
    approvals_channel: ChannelId | None = None
    break_glass: BreakGlassSpec | None = None
    license: LicenseSpec | None = None
    inactivity: InactivitySpec | None = None

    @field_validator("auto_approve", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, (str, dict)) else value

    @field_validator("ticket_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return _check_regex(value)


class EntitlementSpec(PolicySpec):
    title: str | None = None
    description: str = ""
    target: Annotated[str, PlainValidator(_target)] | None = None
    owners: list[Email] | None = None


class ResourceSpec(PolicySpec):
    name: str | None = None
    description: str = ""
    owners: list[Email] = Field(default_factory=list)
    # Each entitlement is validated on its own (see loader) so one bad role hides nothing else.
    entitlements: dict[str, Any] = Field(min_length=1)

    @field_validator("entitlements")
    @classmethod
    def _role_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for role in value:
            if not ID_PATTERN.match(role):
                raise ValueError(f"role {role!r} must be lower-case letters, digits, '.', '_' or '-'")
        return value


class FallbackSpec(Spec):
    people: list[Email] = Field(default_factory=list)
    group: Name | None = None


class BusinessHoursSpec(Spec):
    start: str = "09:00"
    end: str = "17:00"
    days: str | list[str] = "Mon-Fri"

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        # "09:00-17:00 Mon-Fri"
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*(.*)", value)
            if not match:
                raise ValueError(f"{value!r} should look like \"09:00-17:00 Mon-Fri\"")
            start, end, days = match.groups()
            return {"start": start, "end": end, "days": days.strip() or "Mon-Fri"}
        return value

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: str | list[str]) -> str | list[str]:
        parse_days(value)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHoursSpec:
        if parse_clock(self.start) >= parse_clock(self.end):
            raise ValueError(f"business hours must end after they start ({self.start}-{self.end})")
        return self


class OffboardingSettingsSpec(Spec):
    # When a second IT admin must confirm an offboarding IT asked for (HR/IdP leavers never wait).
    second_confirmation: Literal["privileged", "always", "never"] = "privileged"
    privileged_risks: list[Risk] = Field(default=["high", "critical"], min_length=1)
    # One IT admin may skip the second confirmation in an emergency (a reason is required; audited).
    break_glass: bool = True


MAX_START_AHEAD_LIMIT = timedelta(days=3650)


class SettingsSpec(Spec):
    it_admins_group: Name | None = None
    it_channel: ChannelId | None = None
    fallback: FallbackSpec | None = None
    business_hours: BusinessHoursSpec | None = None
    timezone: str = "UTC"
    # How long a mover keeps access the new attributes no longer allow, so the hand-over can happen.
    mover_grace_period: FiniteDuration | None = None
    # How far ahead a request may ask to start (a scheduled start); later is refused.
    max_start_ahead: FiniteDuration | None = None
    offboarding: OffboardingSettingsSpec | None = None

    @field_validator("max_start_ahead")
    @classmethod
    def _ahead(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value > MAX_START_AHEAD_LIMIT:  # FiniteDuration refuses zero already
            raise ValueError(f"{durations.humanize(value)} is too far: at most 3650d (ten years)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/London") from None
        return value


class BundleSpec(Spec):
    title: str = ""
    description: str = ""
    entitlements: list[Ref] = Field(min_length=1)


class BirthrightSpec(Spec):
    name: Name
    description: str = ""
    when: str
    grant: list[Ref] = Field(min_length=1)
    duration: LengthValue | None = None


class SodSpec(Spec):
    name: Name
    entitlements: list[Ref] = Field(min_length=2)
    reason: str


TOP_LEVEL_KEYS = ("settings", "defaults", "resources", "bundles", "birthright", "separation_of_duties", "reviews")
