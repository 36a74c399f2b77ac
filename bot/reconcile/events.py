"""Domain event names of drift detection (stored as audit actions and outbox types: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.events import EventName


class ReconcileEvent(EventName):
    """Drift detection runs."""

    DIGEST = "reconcile.digest"
    FINISHED = "reconcile.finished"
