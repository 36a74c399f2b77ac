"""On-call facts for CEL: ``on_call("payments")`` and ``on_call_level("payments")``.

The policy does not know PagerDuty or Opsgenie: whoever evaluates a rule passes an ``OnCallLookup``
(bot/oncall builds one from its configuration). A schedule the lookup cannot answer for, whatever the
reason, is "not on call" with the reason kept in ``OnCallAnswers.problems``: an outage of the provider
must never approve anything, and the requester is told why the fast path was not taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from celpy import celtypes

ON_CALL = "on_call"
ON_CALL_LEVEL = "on_call_level"
FUNCTIONS = frozenset({ON_CALL, ON_CALL_LEVEL})
SCHEDULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
NO_SOURCE = "no on-call source is configured (ACCESSBOT_ON_CALL_FILE)"


@dataclass(frozen=True)
class OnCallStatus:
    """One person on one schedule, now. ``level``: 1 is the first to be paged; None when not on call."""

    on_call: bool
    level: int | None = None
    ends_at: datetime | None = None  # the end of the shift; None when the provider gives none
    problem: str | None = None  # why we could not tell; on_call is then False

    @classmethod
    def unknown(cls, problem: str) -> OnCallStatus:
        return cls(False, problem=problem)


class OnCallLookup(Protocol):
    def status(self, schedule: str, email: str) -> OnCallStatus:
        """Never raises for an unreachable or refusing provider: answers ``OnCallStatus.unknown(reason)``."""


class OnCallAnswers:
    """The answers for one person during one decision: each schedule asked at most once, problems kept."""

    def __init__(self, lookup: OnCallLookup | None, email: str):
        self._lookup = lookup
        self._email = email
        self._answers: dict[str, OnCallStatus] = {}

    def status(self, schedule: str) -> OnCallStatus:
        if schedule not in self._answers:
            if self._lookup is None:
                answer = OnCallStatus.unknown(NO_SOURCE)
            else:
                answer = self._lookup.status(schedule, self._email)
            self._answers[schedule] = answer
        return self._answers[schedule]

    def load(self, schedules: frozenset[str] | set[str]) -> None:
        """Ask now (before a transaction takes locks) what the rules will read."""
        for schedule in sorted(schedules):
            self.status(schedule)

    @property
    def asked(self) -> dict[str, OnCallStatus]:
        return dict(self._answers)

    @property
    def problems(self) -> list[str]:
        return [f"on-call schedule {name!r}: {answer.problem}" for name, answer in sorted(self._answers.items())
                if answer.problem]

    def shift_end(self, schedules: frozenset[str]) -> datetime | None:
        """The earliest end of the shifts the person is on for ``schedules`` (None: no end known)."""
        ends = [a.ends_at for name in schedules if (a := self.status(name)).on_call and a.ends_at is not None]
        return min(ends) if ends else None

    def cel_functions(self) -> dict:
        def on_call(schedule: celtypes.StringType) -> celtypes.BoolType:
            return celtypes.BoolType(self.status(str(schedule)).on_call)

        def on_call_level(schedule: celtypes.StringType) -> celtypes.IntType:
            answer = self.status(str(schedule))
            return celtypes.IntType(answer.level or 0 if answer.on_call else 0)

        return {ON_CALL: on_call, ON_CALL_LEVEL: on_call_level}
