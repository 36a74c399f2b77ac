"""Access reviews: campaigns, items, decisions, deadline (see docs/reviews.md)."""

from __future__ import annotations

from bot.ledger.registry import Feature
from bot.reviews import jobs
from bot.reviews.events import ReviewEvent
from bot.reviews.timers import ReviewKind

FEATURE = Feature(
    name="reviews",
    timer_kinds=(ReviewKind,),
    events=(ReviewEvent,),
    in_transaction=jobs.HANDLERS,
    slack="bot.slack.surfaces.reviews",
)
