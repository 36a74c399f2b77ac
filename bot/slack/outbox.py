"""Claiming outbox events so that each is handled by one worker at a time, in order per subject.

An event is claimed by a compare-and-set on its lease (``UPDATE … WHERE dispatched_at IS NULL AND
lease free``): of two replicas racing for it exactly one gets rowcount 1. Only the oldest undispatched
event of a subject (a request, a grant, a task…) is claimable, so a card is never updated before it
was posted and two workers never post copies of the same card at once. An event whose claimer died
(bot/store/liveness.py) is claimable at once, not when its lease runs out. A failed event keeps its row,
gets a later lease (backoff) and is tried again; success sets ``dispatched_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.domain.clock import as_utc
from bot.store import claims
from bot.store.db import Store
from bot.store.models import OutboxEvent

LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=30)
SCAN = 500  # undispatched events looked at per claim
SUBJECT_KEYS = ("request_id", "grant_id", "task_id", "offboarding_id", "action_id")


@dataclass(frozen=True)
class Event:
    """What a handler gets: a frozen copy of the row (handlers never hold ORM objects)."""

    id: int
    type: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int

    @property
    def subject(self) -> str:
        return subject_of(self.id, self.payload)


def subject_of(event_id: int, payload: dict[str, Any]) -> str:
    for key in SUBJECT_KEYS:
        if payload.get(key) is not None:
            return f"{key}:{payload[key]}"
    return f"event:{event_id}"


def claim(s: Session, *, now: datetime, store: Store, replica_id: str, limit: int = 50) -> list[Event]:
    claims.hold(s, store, replica_id, now)
    rows = s.execute(select(OutboxEvent.id, OutboxEvent.payload, OutboxEvent.lease_until, OutboxEvent.claimed_by)
                     .where(OutboxEvent.dispatched_at.is_(None)).order_by(OutboxEvent.id).limit(SCAN)).all()
    leased = {claimer for _, _, lease_until, claimer in rows
              if claimer is not None and lease_until is not None and as_utc(lease_until) > now}
    dead = store.claimers.dead(s, leased) if leased else set()
    seen: set[str] = set()
    wanted: list[tuple[int, str | None]] = []
    for event_id, payload, lease_until, claimer in rows:
        subject = subject_of(event_id, payload or {})
        if subject in seen:
            continue  # an earlier event of the same subject goes first
        seen.add(subject)
        if lease_until is None or as_utc(lease_until) <= now:
            wanted.append((event_id, None))
        elif claimer in dead:  # its claimer died while handling it: take over now
            wanted.append((event_id, claimer))
        if len(wanted) >= limit:
            break
    claimed = [event_id for event_id, dead_claimer in wanted
               if _take_lease(s, event_id, now, replica_id, dead_claimer)]
    if not claimed:
        return []
    events = s.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(claimed)).order_by(OutboxEvent.id)).all()
    return [Event(e.id, e.type, dict(e.payload or {}), e.created_at, e.attempts) for e in events]


def _take_lease(s: Session, event_id: int, now: datetime, replica_id: str, dead_claimer: str | None) -> bool:
    free = or_(OutboxEvent.lease_until.is_(None), OutboxEvent.lease_until <= now)
    if dead_claimer is not None:
        free = or_(free, OutboxEvent.claimed_by == dead_claimer)
    result = s.execute(update(OutboxEvent)
                       .where(OutboxEvent.id == event_id, OutboxEvent.dispatched_at.is_(None), free)
                       .values(lease_until=now + LEASE, claimed_by=replica_id, attempts=OutboxEvent.attempts + 1)
                       .execution_options(synchronize_session=False))
    return result.rowcount == 1


def mark_dispatched(s: Session, event_id: int, *, now: datetime, note: str | None = None) -> None:
    s.execute(update(OutboxEvent).where(OutboxEvent.id == event_id)
              .values(dispatched_at=now, lease_until=None, claimed_by=None, last_error=note)
              .execution_options(synchronize_session=False))


def mark_failed(s: Session, event_id: int, *, now: datetime, attempts: int, error: str) -> datetime:
    """Keep the event for a later try; returns when it becomes claimable again."""
    retry_at = now + backoff(attempts)
    s.execute(update(OutboxEvent).where(OutboxEvent.id == event_id)
              .values(lease_until=retry_at, claimed_by=None, last_error=error[:2000])
              .execution_options(synchronize_session=False))
    return retry_at


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(0, attempts - 1)), MAX_BACKOFF)
