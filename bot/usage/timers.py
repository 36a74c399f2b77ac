"""The usage feature's due-action kinds (a persisted API: renaming one is a data migration)."""

from __future__ import annotations

from datetime import timedelta

from bot.ledger.due import TimerKind


class UsageTimer(TimerKind):
    COLLECT = "usage.collect"  # ref: connector name; the next page or the next pass
    EVALUATE = "usage.evaluate"  # ref: connector name; after a complete pass
    DEADLINE = "usage.deadline"  # ref: ask id; no answer → the policy's action




def collect_every(settings) -> timedelta:
    """ACCESSBOT_USAGE_COLLECT_EVERY_HOURS: from one complete pass to the next."""
    return timedelta(hours=settings.usage_collect_every_hours)


def stale_after(settings) -> timedelta:
    """ACCESSBOT_USAGE_STALE_AFTER_HOURS: usage older than this (or a pass that failed since) is stale,
    and nothing is asked or released on it."""
    return timedelta(hours=settings.usage_stale_after_hours)


RETRY_FAILED_AFTER = timedelta(hours=1)
