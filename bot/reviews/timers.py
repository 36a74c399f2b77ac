"""The access reviews' due-action kinds (a persisted API: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.due import TimerKind


class ReviewKind(TimerKind):
    START = "review.start"  # ref: catalog campaign name; a recurring campaign's next run
    REMIND = "review.remind"  # ref: campaign id; suffix: reminder index
    DEADLINE = "review.deadline"  # ref: campaign id; the default action for what is left
