"""Audit and outbox event names of break-glass (stable: dashboards and the notifier key on them)."""

USED = "break_glass.used"
REVIEWED = "break_glass.reviewed"
REVIEW_OVERDUE = "break_glass.review_overdue"
VERDICT_JUSTIFIED = "justified"
VERDICT_NOT_JUSTIFIED = "not_justified"
VERDICTS = (VERDICT_JUSTIFIED, VERDICT_NOT_JUSTIFIED)
