"""Catalog-wide settings: IT admins, fallback approvers, business hours and time zone."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_clock(text: str) -> time:
    """ "09:00" -> time(9, 0)."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text).strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{text!r} is not a time of day; write it as HH:MM, e.g. 09:00")
    return time(int(match[1]), int(match[2]))


def parse_days(value: str | Iterable[str]) -> frozenset[int]:
    """ "Mon-Fri", "Sun-Thu", "Mon,Wed,Fri" or ["mon", "tue"] -> weekday numbers, 0 = Monday."""
    parts = re.split(r"[,\s]+", value.strip()) if isinstance(value, str) else list(value)
    days: set[int] = set()
    for part in filter(None, (str(p).strip().lower() for p in parts)):
        first, _, last = part.partition("-")
        start, end = _day(first), _day(last or first)
        span = (end - start) % 7
        days.update((start + i) % 7 for i in range(span + 1))
    if not days:
        raise ValueError("business days are empty; write e.g. Mon-Fri")
    return frozenset(days)


def _day(name: str) -> int:
    key = name[:3]
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    if key not in DAY_NAMES or name not in (key, full[DAY_NAMES.index(key)]):
        raise ValueError(f"{name!r} is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun")
    return DAY_NAMES.index(key)


@dataclass(frozen=True)
class BusinessHours:
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = frozenset(range(5))

    def add(self, moment: datetime, amount: timedelta, zone: ZoneInfo) -> datetime:
        """``moment`` plus ``amount`` of business time (only hours inside the window count), in UTC."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        cursor = moment.astimezone(zone)
        remaining = amount
        while remaining > timedelta():
            day = cursor.date()
            if day.weekday() in self.days:
                opens = datetime.combine(day, self.start, zone)
                closes = datetime.combine(day, self.end, zone)
                cursor = max(cursor, opens)
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return (cursor + remaining).astimezone(UTC)
                    remaining -= available
            cursor = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
        return cursor.astimezone(UTC)

    def describe(self) -> str:
        days = ", ".join(DAY_NAMES[d].capitalize() for d in sorted(self.days))
        return f"{self.start:%H:%M}-{self.end:%H:%M} {days}"


PRIVILEGED_RISKS = frozenset({"high", "critical"})
# A scheduled start is for a planned change (an on-call rota, a project next quarter): further ahead
# the request's approvers, eligibility and the person's job are likely to have changed.
DEFAULT_MAX_START_AHEAD = timedelta(days=90)


@dataclass(frozen=True)
class OffboardingSettings:
    """Four-eyes offboarding: when a second IT admin must confirm an IT admin's offboarding.

    ``second_confirmation``: "privileged" (the leaver holds a live grant whose risk is in
    ``privileged_risks``), "always" or "never". ``break_glass`` lets one IT admin skip it in an
    emergency, with a reason; it is audited and announced either way. HR and IdP leavers are never held.
    """

    second_confirmation: str = "privileged"
    privileged_risks: frozenset[str] = PRIVILEGED_RISKS
    break_glass: bool = True


@dataclass(frozen=True)
class Settings:
    it_admins_group: str | None = None
    it_channel: str | None = None
    fallback_people: list[str] = field(default_factory=list)
    fallback_group: str | None = None
    business_hours: BusinessHours = field(default_factory=BusinessHours)
    timezone: str = "UTC"
    # Catalog-wide defaults; each entitlement carries its own resolved value too.
    default_reminder_after: timedelta = timedelta(hours=4)
    default_escalate_after_reminders: int = 2
    default_request_timeout: timedelta = timedelta(days=3)
    mover_grace_period: timedelta = timedelta(days=7)
    max_start_ahead: timedelta = DEFAULT_MAX_START_AHEAD
    offboarding: OffboardingSettings = field(default_factory=OffboardingSettings)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def business_deadline(self, start: datetime, amount: timedelta) -> datetime:
        """When ``amount`` of business time after ``start`` has passed (for reminders), in UTC."""
        return self.business_hours.add(start, amount, self.zone)
