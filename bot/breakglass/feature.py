"""Break glass: emergency grants, budget, review (see docs/break-glass.md)."""

from __future__ import annotations

from bot.breakglass.events import BreakGlassEvent
from bot.breakglass.review import review_overdue
from bot.breakglass.timers import BreakGlassKind
from bot.ledger.registry import Feature

FEATURE = Feature(
    name="breakglass",
    timer_kinds=(BreakGlassKind,),
    events=(BreakGlassEvent,),
    in_transaction={BreakGlassKind.REVIEW_DUE: review_overdue},
    slack="bot.slack.surfaces.breakglass",
)
