"""Usage: last activity per account, "keep it or release it?", license reclamation (see docs/usage.md)."""

from __future__ import annotations

from bot.ledger.registry import Feature
from bot.usage import jobs
from bot.usage.collect import schedule_collections
from bot.usage.events import UsageEvent
from bot.usage.timers import UsageTimer

FEATURE = Feature(
    name="usage",
    timer_kinds=(UsageTimer,),
    events=(UsageEvent,),
    in_transaction=jobs.IN_TRANSACTION,
    connector_work=jobs.CONNECTOR_WORK,
    on_timers_start=(schedule_collections,),
    slack="bot.slack.surfaces.usage",
)
