"""The offboarding's due-action kinds (a persisted API: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.due import TimerKind


class OffboardingKind(TimerKind):
    OFFBOARD = "person.offboard"  # ref: person id; payload: offboarding_id, origin
    OFFBOARDING_RESUME = "offboarding.resume"  # ref: offboarding id; retry what failed, refresh the report
