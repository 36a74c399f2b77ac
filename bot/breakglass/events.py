"""Audit and outbox event names of break-glass (stable: dashboards and the notifier key on them)."""

from __future__ import annotations

from bot.ledger.events import EventName


class BreakGlassEvent(EventName):
    USED = "break_glass.used"
    REVIEWED = "break_glass.reviewed"
    REVIEW_OVERDUE = "break_glass.review_overdue"


USED = BreakGlassEvent.USED
REVIEWED = BreakGlassEvent.REVIEWED
REVIEW_OVERDUE = BreakGlassEvent.REVIEW_OVERDUE
VERDICT_JUSTIFIED = "justified"
VERDICT_NOT_JUSTIFIED = "not_justified"
VERDICTS = (VERDICT_JUSTIFIED, VERDICT_NOT_JUSTIFIED)
