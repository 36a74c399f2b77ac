"""The ledger core's own timer kinds, handlers and events, registered like any feature's."""

from __future__ import annotations

from bot.ledger import jobs
from bot.ledger.due import LedgerKind
from bot.ledger.event_names import GrantEvent, ProvisioningEvent, RequestEvent, TaskEvent, TimerEvent
from bot.ledger.registry import Feature

FEATURE = Feature(
    name="ledger",
    timer_kinds=(LedgerKind,),
    events=(RequestEvent, GrantEvent, TaskEvent, ProvisioningEvent, TimerEvent),
    in_transaction={LedgerKind.GRANT_START: jobs.start_grant, LedgerKind.GRANT_EXPIRE: jobs.expire_grant,
                    LedgerKind.TASK_REPOST: jobs.repost_manual_task},
    prepare={LedgerKind.GRANT_EXPIRE: jobs.lock_expiring},
    in_transaction_group={LedgerKind.GRANT_EXPIRE: jobs.expire_grants},
    connector_work={LedgerKind.ACTION_POLL: jobs.poll_action, LedgerKind.ACTION_RETRY: jobs.retry_action},
    slack="bot.slack.surfaces.ledger",
)
