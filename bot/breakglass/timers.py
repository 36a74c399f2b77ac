"""Break-glass due-action kinds (a persisted API: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.due import TimerKind


class BreakGlassKind(TimerKind):
    REVIEW_DUE = "break_glass.review_due"  # ref: break-glass use id
