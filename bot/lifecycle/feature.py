"""Joiners, movers, leavers and re-hires from HR/IdP events (see docs/lifecycle.md)."""

from __future__ import annotations

from bot.ledger.registry import Feature, by_ref
from bot.lifecycle import jobs
from bot.lifecycle.event_names import LifecycleEventName
from bot.lifecycle.timers import LifecycleKind

FEATURE = Feature(
    name="lifecycle",
    timer_kinds=(LifecycleKind,),
    events=(LifecycleEventName,),
    connector_work={kind: by_ref(handler) for kind, handler in jobs.HANDLERS.items()},
    slack="bot.slack.surfaces.lifecycle",
)
