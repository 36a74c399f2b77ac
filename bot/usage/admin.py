"""IT's usage verbs (admin API, ``/access-admin usage``): start a collection pass now, and what the
ledger knows about one person's accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import InvalidState, NotFoundError
from bot.ledger import due
from bot.ledger.authorisation import require_it_admin
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from bot.store.models import DueAction, Person, UsageActivity, UsageCollection
from bot.usage import ledger
from bot.usage.events import UsageEvent
from bot.usage.queries import MEANINGS
from bot.usage.timers import UsageTimer


def collect_now(s: Session, ctx: Ctx, *, connectors, name: str, by: Person) -> datetime:
    """Move the connector's next pass to now (the timer runs it); when it is due. Refused while a
    pass runs or waits out a throttle: the vendor's Retry-After is honoured even when IT is in a hurry."""
    require_it_admin(ctx, by, "collect usage")
    # ConnectorSet raises ConfigError (not KeyError) for an unknown name: ask by iterating.
    connector = connectors[name] if name in set(connectors) else None
    if connector is None or not connector.capabilities.last_activity:
        raise NotFoundError(f"No connector {name!r} that can tell last activity.")
    row = s.scalar(select(DueAction).where(DueAction.key == due.key_of(UsageTimer.COLLECT, name)))
    if row is not None and row.status == "claimed" and row.lease_until and row.lease_until > ctx.now:
        raise InvalidState(f"A collection of {name} is running now.")
    state = s.get(UsageCollection, name)
    if state is not None and state.status == "waiting" and row is not None and row.due_at > ctx.now:
        raise InvalidState(f"{name} asked to wait (rate limit) until {row.due_at:%Y-%m-%d %H:%M} UTC; "
                           "the pass resumes then.")
    due.schedule(s, UsageTimer.COLLECT, name, ctx.now, now=ctx.now)
    happened(s, ctx, UsageEvent.COLLECT_REQUESTED, subject_type="connector", subject_id=name, detail={})
    return ctx.now


@dataclass(frozen=True)
class AccountUsage:
    connector: str
    account_id: str
    account_display: str
    last_activity_at: datetime | None  # None: the target cannot tell
    meaning: str
    source: str
    read_at: datetime
    fresh: bool
    data: str  # "fresh", or why the figure is not acted on


def person_usage(s: Session, person: Person, now: datetime, stale_after: timedelta) -> list[AccountUsage]:
    rows = s.scalars(select(UsageActivity).where(UsageActivity.person_id == person.id)
                     .order_by(UsageActivity.connector, UsageActivity.account_id))
    out, seen = [], {}
    for row in rows:
        if row.connector not in seen:
            seen[row.connector] = ledger.freshness(s, row.connector, now, stale_after)
        fresh, why = seen[row.connector]
        out.append(AccountUsage(row.connector, row.account_id, row.account_display, row.last_activity_at,
                                MEANINGS.get(row.meaning, row.meaning), row.source, row.read_at, fresh,
                                "fresh" if fresh else why))
    return out
