"""What every on-call source answers: the shifts of a schedule around a moment, or why it cannot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.oncall.config import ScheduleSpec


@dataclass(frozen=True)
class Shift:
    email: str  # lower case
    level: int  # 1: paged first
    starts_at: datetime | None
    ends_at: datetime | None  # None: no end (always on call, or the provider does not say)

    def covers(self, at: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= at) and (self.ends_at is None or at < self.ends_at)


class OnCallUnavailable(Exception):
    """The source could not say who is on call. ``detail`` is safe to show (never a credential);
    ``retry_after``: seconds the provider asked us to wait (429)."""

    def __init__(self, detail: str, retry_after: float | None = None):
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class OnCallSource(Protocol):
    def shifts(self, schedule: ScheduleSpec, at: datetime) -> list[Shift]:
        """Every shift of ``schedule`` in progress at ``at`` (UTC). Raises OnCallUnavailable."""

    def close(self) -> None: ...
