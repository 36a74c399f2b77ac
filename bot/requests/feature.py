"""Self-service requests: submit, decide, cancel, extend, bundles, reminders and expiry warnings."""

from __future__ import annotations

from bot.ledger.due import LedgerKind
from bot.ledger.registry import Feature
from bot.requests import jobs

# It declares no kind of its own: it handles kinds the ledger schedules for requests and grants.
FEATURE = Feature(
    name="requests",
    in_transaction={LedgerKind.GRANT_WARN: jobs.warn_grant, LedgerKind.REQUEST_REMIND: jobs.remind_approvers,
                    LedgerKind.REQUEST_TIMEOUT: jobs.time_out_request},
    slack="bot.slack.surfaces.requests",
)
