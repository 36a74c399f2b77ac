"""Domain event names of access reviews (stored as audit actions and outbox types: renaming one is a data migration)."""

from __future__ import annotations

from bot.ledger.events import EventName


class ReviewEvent(EventName):
    """Access review campaigns and their items."""

    CLOSED = "review.closed"
    DECIDED = "review.decided"
    PROGRESSED = "review.progressed"  # outbox only: redraw the campaign message after decisions
    ESCALATED = "review.escalated"
    REASSIGNED = "review.reassigned"
    REMINDED = "review.reminded"
    STARTED = "review.started"
