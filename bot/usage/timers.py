"""The usage feature's due-action kinds (a persisted API: renaming one is a data migration)."""

from __future__ import annotations

from datetime import timedelta

from bot.ledger.due import TimerKind


class UsageTimer(TimerKind):
    COLLECT = "usage.collect"  # ref: connector name; the next page or the next pass
    EVALUATE = "usage.evaluate"  # ref: connector name; after a complete pass
    DEADLINE = "usage.deadline"  # ref: ask id; no answer → the policy's action


COLLECT_EVERY = timedelta(hours=24)
# Usage older than this (or a pass that failed since) is stale: nothing is asked or released on it.
STALE_AFTER = timedelta(hours=72)
RETRY_FAILED_AFTER = timedelta(hours=1)
