"""Domain event names of the offboarding (stored as audit actions and outbox types: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.events import EventName


class OffboardingEvent(EventName):
    """An offboarding's life: scheduled, confirmed, started, progress, finished."""

    AWAITING_CONFIRMATION = "offboarding.awaiting_confirmation"
    BREAK_GLASS = "offboarding.break_glass"
    CANCELLED = "offboarding.cancelled"
    CONFIRMED = "offboarding.confirmed"
    FINISHED = "offboarding.finished"
    PROGRESS = "offboarding.progress"
    RESUMED = "offboarding.resumed"
    SCHEDULED = "offboarding.scheduled"
    STARTED = "offboarding.started"


class ReactivationEvent(EventName):
    """A re-hire's reactivation of the accounts an offboarding suspended (named lifecycle.* since v1)."""

    PLANNED = "lifecycle.reactivation_planned"
    FAILED = "lifecycle.reactivation_failed"
