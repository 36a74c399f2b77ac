"""Durations as people write them ("30m", "4h", "1d", "2w", "permanent") and as people read them."""

from __future__ import annotations

import re
from datetime import timedelta

PERMANENT = "permanent"

_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_PART = re.compile(r"(\d+)\s*([smhdw])")
_WHOLE = re.compile(r"^(?:\d+\s*[smhdw]\s*)+$")
# Beyond this a start plus the duration can leave the calendar datetime can hold (year 9999), and
# timedelta itself overflows near 2.7 million years: both would be exceptions, not a clear refusal.
_LONGEST = timedelta(days=36525)
_NAMES = [("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)]


class DurationError(ValueError):
    pass


def parse_duration(text: str | int | float, *, allow_permanent: bool = True) -> timedelta | None:
    """Parse "90m", "4h", "1d12h", "2w"; ``None`` for "permanent". Numbers are refused: units are required."""
    if isinstance(text, bool) or not isinstance(text, str):
        raise DurationError(
            f"{text!r} is not a duration; write it with a unit, e.g. \"30m\", \"4h\", \"1d\" or \"7d\"")
    cleaned = text.strip().lower()
    if cleaned == PERMANENT:
        if not allow_permanent:
            raise DurationError("'permanent' is not allowed here; write a length such as \"1h\"")
        return None
    if not _WHOLE.match(cleaned):
        raise DurationError(
            f"{text!r} is not a duration; write a number and a unit (m, h, d, w), e.g. \"30m\", \"4h\", \"7d\""
            + (" or \"permanent\"" if allow_permanent else ""))
    try:
        total = sum((int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned)), timedelta())
    except OverflowError:
        total = None
    if total is None or total > _LONGEST:
        raise DurationError(f"{text!r} is longer than 100 years"
                            + ("; write \"permanent\" for access without an end" if allow_permanent else ""))
    if total <= timedelta():
        raise DurationError(f"{text!r} is zero; a duration must be positive")
    return total


def _parts(value: timedelta) -> list[tuple[int, str]]:
    seconds = int(value.total_seconds())
    parts = []
    for name, size in _NAMES:
        if name == "week" and seconds % size:
            continue  # "10 days" reads better than "1 week 3 days"
        count, seconds = divmod(seconds, size)
        if count:
            parts.append((count, name))
    return parts


def humanize(value: timedelta | None) -> str:
    """timedelta(days=1) -> "1 day"; timedelta(hours=28) -> "1 day 4 hours"; None -> "permanent"."""
    if value is None:
        return PERMANENT
    parts = _parts(value)
    if not parts:
        return "0 minutes"
    return " ".join(f"{count} {name}{'' if count == 1 else 's'}" for count, name in parts)


def adjective(value: timedelta | None) -> str:
    """The form used before a noun: "the 1-day maximum", "the 4-hour default"."""
    if value is None:
        return PERMANENT
    parts = _parts(value)
    return " ".join(f"{count}-{name}" for count, name in parts) or "0-minute"


def short(value: timedelta | None) -> str:
    """The catalog spelling: timedelta(hours=4) -> "4h"; None -> "permanent"."""
    if value is None:
        return PERMANENT
    seconds = int(value.total_seconds())
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0m"


def hours(value: timedelta | None) -> float:
    """Length in hours as CEL sees it: -1.0 stands for permanent."""
    return -1.0 if value is None else value.total_seconds() / 3600
