"""The on-call file: where ``on_call("name")`` in a policy looks, per schedule name.

```yaml
providers:
  pagerduty:
    type: pagerduty
    token: {env: PAGERDUTY_API_TOKEN}     # credentials are references, as in connectors.yaml
  opsgenie:
    type: opsgenie
    api_key: {file: /run/secrets/opsgenie}
    region: eu                            # us (default) or eu
schedules:
  payments:                               # the name the catalog uses: on_call("payments")
    provider: pagerduty
    escalation_policy: PABC123            # level = the escalation level (or `schedule: PXYZ789`)
  platform:
    provider: opsgenie
    schedule: platform_schedule
    identifier_type: name
  support:                                # no provider: a rotation written here (bot/oncall/static.py)
    time_zone: Europe/Berlin
    rotations: [{level: 1, start: 2026-11-30, handoff: "09:00", every: 7d, people: [a@acme.example]}]
    overrides: [{person: b@acme.example, from: "2026-12-24T18:00", until: "2026-12-27T09:00"}]
```

Credentials are read when the providers are built (``bot/oncall/service.py``), never at parse time,
so ``accessbot oncall check`` can say exactly which one is absent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.config import Duration, as_reference, https_url
from connectors.errors import ConfigError
from policies.on_call import SCHEDULE_NAME

PAGERDUTY_URL = "https://api.pagerduty.com"
OPSGENIE_URLS = {"us": "https://api.opsgenie.com", "eu": "https://api.eu.opsgenie.com"}


class OnCallConfigError(ConfigError):
    """Everything wrong with an on-call file, one problem per line."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _reference(value: Any) -> Any:
    if as_reference(value) is None:
        raise ValueError("must be a reference, {env: VARIABLE} or {file: /path}, never the credential itself")
    return value


class ProviderSpec(_Spec):
    type: Literal["pagerduty", "opsgenie"]
    token: dict[str, str] | None = None  # PagerDuty REST API key
    api_key: dict[str, str] | None = None  # Opsgenie API integration key
    region: Literal["us", "eu"] = "us"
    base_url: str | None = None
    timeout_seconds: float = Field(3.0, gt=0, le=30)

    _refs = field_validator("token", "api_key", mode="before")(classmethod(lambda cls, v: _reference(v)))
    _url = field_validator("base_url")(classmethod(lambda cls, v: v and https_url(v).rstrip("/")))

    @model_validator(mode="after")
    def _credential(self) -> ProviderSpec:
        wanted, other = ("token", "api_key") if self.type == "pagerduty" else ("api_key", "token")
        if getattr(self, wanted) is None:
            raise ValueError(f"a {self.type} provider needs {wanted}: {{env: VARIABLE}}")
        if getattr(self, other) is not None:
            raise ValueError(f"a {self.type} provider takes {wanted}, not {other}")
        return self

    @property
    def credential(self) -> dict[str, str]:
        return self.token or self.api_key or {}

    @property
    def url(self) -> str:
        return self.base_url or (PAGERDUTY_URL if self.type == "pagerduty" else OPSGENIE_URLS[self.region])


class RotationSpec(_Spec):
    level: int = Field(1, ge=1, le=20)
    start: date  # the day of the first handoff, local time
    handoff: str = "09:00"
    every: Duration = timedelta(days=7)
    people: list[str] = Field(min_length=1)

    _clock = field_validator("handoff")(classmethod(lambda cls, v: _clock_time(v)))
    _people = field_validator("people")(classmethod(lambda cls, v: [p.strip().lower() for p in v]))

    @field_validator("every")
    @classmethod
    def _length(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):
            raise ValueError("a shift lasts at least 1h")
        return value


class OverrideSpec(_Spec):
    person: str
    level: int = Field(1, ge=1, le=20)
    from_: str = Field(alias="from")  # local time in the schedule's time zone: 2026-12-24T18:00
    until: str

    _person = field_validator("person")(classmethod(lambda cls, v: v.strip().lower()))

    @field_validator("from_", "until")
    @classmethod
    def _moment(cls, value: str) -> str:
        try:
            datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"not a date and time: {value!r} (use 2026-12-24T18:00)") from None
        return str(value)

    @model_validator(mode="after")
    def _order(self) -> OverrideSpec:
        if datetime.fromisoformat(self.until) <= datetime.fromisoformat(self.from_):
            raise ValueError("an override ends after it starts")
        return self


class ScheduleSpec(_Spec):
    provider: str = "static"
    schedule: str | None = None  # PagerDuty schedule id, Opsgenie schedule id or name
    escalation_policy: str | None = None  # PagerDuty only
    identifier_type: Literal["id", "name"] = "id"  # Opsgenie
    level: int = Field(1, ge=1, le=20)  # Opsgenie has no levels: what its on-call people count as
    time_zone: str = "UTC"
    rotations: list[RotationSpec] = Field(default_factory=list)
    overrides: list[OverrideSpec] = Field(default_factory=list)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class OnCallFileSpec(_Spec):
    providers: dict[str, ProviderSpec] = Field(default_factory=dict)
    schedules: dict[str, ScheduleSpec] = Field(default_factory=dict)


def _clock_time(value: str) -> str:
    hours, _, minutes = str(value).partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60 and len(minutes) == 2):
        raise ValueError(f"not a time of day: {value!r} (use HH:MM)")
    return f"{int(hours):02d}:{minutes}"


def load(path: Path) -> OnCallFileSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OnCallConfigError([f"{path}: cannot read the on-call file ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        raise OnCallConfigError([f"{path}: invalid YAML: {getattr(exc, 'problem', exc)}"]) from None
    return parse(data, source=str(path))


def parse(data: Any, source: str = "<on-call>") -> OnCallFileSpec:
    try:
        spec = OnCallFileSpec.model_validate(data or {})
    except ValidationError as exc:
        raise OnCallConfigError(f"{source}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                                for err in exc.errors()) from None
    problems = [f"{source}: schedules.{name}: {problem}" for name, schedule in spec.schedules.items()
                for problem in _schedule_problems(name, schedule, spec.providers)]
    if problems:
        raise OnCallConfigError(problems)
    return spec


def _schedule_problems(name: str, schedule: ScheduleSpec, providers: dict[str, ProviderSpec]) -> list[str]:
    if not SCHEDULE_NAME.match(name):
        return ["schedule names use letters, digits, '.', '_' or '-' (at most 63)"]
    if schedule.provider == "static":
        if not schedule.rotations:
            return ["a schedule without a provider needs rotations:"]
        return [] if schedule.schedule is None and schedule.escalation_policy is None else [
            "schedule:/escalation_policy: name a provider's schedule: set provider:"]
    provider = providers.get(schedule.provider)
    if provider is None:
        return [f"unknown provider {schedule.provider!r}; known: {', '.join(sorted(providers)) or 'none'} "
                "(or leave provider: out for a static rotation)"]
    if schedule.rotations or schedule.overrides:
        return ["rotations:/overrides: are for static schedules; this one comes from its provider"]
    if provider.type == "opsgenie":
        return [] if schedule.schedule and not schedule.escalation_policy else [
            "an Opsgenie schedule needs schedule: (its id, or its name with identifier_type: name)"]
    if bool(schedule.schedule) == bool(schedule.escalation_policy):
        return ["a PagerDuty schedule needs exactly one of schedule: (a schedule id) or escalation_policy:"]
    return []
