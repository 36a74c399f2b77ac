"""Collect one target's last activity into the ledger, page by page, outside any long transaction.

Each page is written with the collection's cursor in its own transaction, so a pass interrupted by a
throttle, a crash or a deploy resumes where it stopped. A throttle (RateLimited) waits for the
vendor's Retry-After / reset before the next page; any other error marks the pass failed, and a
failed or stale pass is never acted on (bot.usage.evaluate checks ``ledger.freshness``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.models import UsageCollection
from bot.usage import ledger
from bot.usage.events import UsageEvent
from bot.usage.timers import RETRY_FAILED_AFTER, UsageTimer, collect_every
from bot.ledger import due
from bot.ledger.context import Actor, Ctx
from bot.ledger.events import happened
from connectors.errors import ConnectorError, RateLimited

log = logging.getLogger(__name__)
ACTOR = Actor.system("usage")


@dataclass(frozen=True)
class Pass:
    connector: str
    status: str  # complete | waiting | failed
    pages: int
    accounts: int
    resume_at: datetime | None = None
    error: str = ""


def _state(s, name: str, now: datetime) -> UsageCollection:
    state = s.get(UsageCollection, name, with_for_update=True)
    if state is None:
        state = UsageCollection(connector=name, status="running", run_started_at=now, accounts_read=0, pages=0)
        s.add(state)
    elif state.status in ("complete", "failed"):  # a new pass from the start
        state.status, state.cursor, state.run_started_at, state.accounts_read, state.pages = "running", None, now, 0, 0
    return state


def collect(deps, name: str, *, max_seconds: float = 300.0) -> Pass:
    """Read pages until the listing ends, the target throttles, or ``max_seconds`` pass (then the
    rest is scheduled at once: one long pass never holds a timer thread for hours)."""
    connector = deps.connectors[name]
    started, pages, accounts = time.monotonic(), 0, 0
    with deps.store.uow() as s:
        cursor = _state(s, name, deps.clock.now()).cursor
    while True:
        try:
            page = connector.last_activity(cursor)
        except RateLimited as error:
            wait = timedelta(seconds=max(1.0, 60.0 if error.retry_after is None else error.retry_after))
            return _pause(deps, name, pages, accounts, wait, f"throttled: {error}")
        except ConnectorError as error:
            return _fail(deps, name, pages, accounts, f"{type(error).__name__}: {error}")
        now = deps.clock.now()
        with deps.store.uow() as s:
            state = _state(s, name, now)
            accounts += ledger.record_page(s, name, page, now)
            pages += 1
            state.cursor, state.pages, state.accounts_read = page.cursor, state.pages + 1, state.accounts_read + len(
                page.activity)
            if page.cursor is None:
                return _complete(s, deps, state, pages, accounts, now)
        cursor = page.cursor
        if time.monotonic() - started > max_seconds:
            return _pause(deps, name, pages, accounts, timedelta(0), "time slice used up")


def _pause(deps, name: str, pages: int, accounts: int, wait: timedelta, why: str) -> Pass:
    now = deps.clock.now()
    with deps.store.uow() as s:
        state = _state(s, name, now)
        state.status = "waiting"
        due.schedule(s, UsageTimer.COLLECT, name, now + wait, now=now)
    log.info("usage collection of %s paused after %d pages (%s); resuming at %s", name, pages, why, now + wait)
    return Pass(name, "waiting", pages, accounts, resume_at=now + wait)


def _fail(deps, name: str, pages: int, accounts: int, error: str) -> Pass:
    now = deps.clock.now()
    ctx = Ctx(deps.catalog, now, ACTOR)
    with deps.store.uow() as s:
        state = _state(s, name, now)
        state.status, state.last_error = "failed", error[:2000]
        due.schedule(s, UsageTimer.COLLECT, name, now + RETRY_FAILED_AFTER, now=now)
        happened(s, ctx, UsageEvent.COLLECTION_FAILED, subject_type="connector", subject_id=name,
                 detail={"error": error[:500], "pages": pages, "note": "usage data not used until a pass completes"})
    log.warning("usage collection of %s failed: %s; nothing is released on its data", name, error)
    return Pass(name, "failed", pages, accounts, error=error)


def _complete(s, deps, state: UsageCollection, pages: int, accounts: int, now: datetime) -> Pass:
    state.status, state.last_complete_at, state.last_error = "complete", now, None
    due.schedule(s, UsageTimer.COLLECT, state.connector, now + collect_every(deps.settings), now=now)
    due.schedule(s, UsageTimer.EVALUATE, state.connector, now, now=now)
    happened(s, Ctx(deps.catalog, now, ACTOR), UsageEvent.COLLECTED, subject_type="connector",
             subject_id=state.connector, detail={"accounts": state.accounts_read, "pages": state.pages})
    return Pass(state.connector, "complete", pages, accounts)


def schedule_collections(deps) -> list[str]:
    """At worker start: a first pass for every connector that can tell last activity and has none
    scheduled (existing rows are left alone: a restart never moves a throttled pass forward)."""
    names = [name for name, c in deps.connectors.items() if c.capabilities.last_activity]
    now = deps.clock.now()
    with deps.store.uow() as s:
        for name in names:
            if not due.pending(s, UsageTimer.COLLECT, name):
                due.schedule(s, UsageTimer.COLLECT, name, now, now=now)
    return names
