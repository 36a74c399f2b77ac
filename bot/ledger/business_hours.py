"""Business time: "remind after 4 hours" counts only the hours an approver is at work.

Each business day's window (say 09:00-17:00 local) is turned into a UTC interval and the
arithmetic is done in UTC, so a window that contains a daylight-saving change counts the hours
that really pass, and the answer is always a real instant. Days are walked one at a time with a
bound, so no calendar can make the loop run forever.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from policies import BusinessHours

log = logging.getLogger(__name__)


def zone_for(name: str | None, fallback: str) -> ZoneInfo:
    """The person's zone (Slack's tz), else the catalog's; a name we cannot load falls back too."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown time zone %r; using the catalog's %s", name, fallback)
    return ZoneInfo(fallback)


def window(day, hours: BusinessHours, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The UTC interval in which ``day`` (a local date) is business time, or None on a day off."""
    if day.weekday() not in hours.days:
        return None
    return _utc(day, hours.start, zone), _utc(day, hours.end, zone)


def _utc(day, clock: time, zone: ZoneInfo) -> datetime:
    # A wall time skipped by a spring-forward change maps to the instant just after the gap.
    return datetime.combine(day, clock, zone).astimezone(UTC)


def add_business_time(moment: datetime, amount: timedelta, hours: BusinessHours, zone: ZoneInfo) -> datetime:
    """``moment`` plus ``amount`` of business time in ``zone``, as a UTC instant.

    Time outside the window (nights, days off) does not count; an amount that ends exactly at
    closing time ends there rather than at the next opening.
    """
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    if not hours.days or hours.end <= hours.start:
        raise ValueError(f"business hours {hours.describe()} contain no time")
    cursor, remaining = moment.astimezone(UTC), amount
    if remaining <= timedelta():
        return cursor
    day = cursor.astimezone(zone).date()
    # Each business week has at least one window of at least one minute: this bounds the walk.
    for _ in range(_max_days(remaining)):
        bounds = window(day, hours, zone)
        if bounds is not None and cursor < bounds[1]:
            start = max(cursor, bounds[0])
            available = bounds[1] - start
            if remaining <= available:
                return start + remaining
            remaining -= available
            cursor = bounds[1]
        day += timedelta(days=1)
    raise ValueError(f"{amount} of business time does not fit in {hours.describe()}")


def _max_days(amount: timedelta) -> int:
    minutes = int(amount.total_seconds() // 60) + 1
    return (minutes + 1) * 7 + 14

