"""Future actions live in the ``due_actions`` table; timers only wake the bot to run them.

Every row has an idempotent key (``kind:ref``), so scheduling the same thing twice moves it
instead of duplicating it, and payloads carry a version so a deploy never strands old rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.models import DueAction

PAYLOAD_VERSION = 1



class TimerKind(StrEnum):
    """Base of every feature's enum of due-action kinds; ``schedule`` and ``cancel`` take only members.

    Values are stored in ``due_actions.kind`` (a persisted API: renaming one is a data migration).
    A feature declares its own subclass next to its handlers and lists it in its manifest.
    """


class LedgerKind(TimerKind):
    """The kinds the ledger itself schedules (grants, requests, provisioning, manual tasks)."""

    GRANT_START = "grant.start"
    GRANT_EXPIRE = "grant.expire"
    GRANT_WARN = "grant.warn"
    REQUEST_REMIND = "request.remind"
    REQUEST_TIMEOUT = "request.timeout"
    ACTION_RETRY = "action.retry"
    ACTION_POLL = "action.poll"
    TASK_REPOST = "task.repost"


def checked(kind: TimerKind) -> TimerKind:
    """A misspelt kind fails where it is written, not as a row no timer knows."""
    if not isinstance(kind, TimerKind):
        raise TypeError(f"due-action kind {kind!r} is not a TimerKind member")
    return kind


@dataclass
class Running:
    """The row a timer is running in this session (``session.info[RUNNING]``).

    A handler that schedules its own key again (the next reminder, the next repost) must not touch
    the row directly: the timer writes the move in its final compare-and-set, so a replica that
    lost its claim meanwhile changes nothing.
    """

    key: str
    next_due_at: datetime | None = None
    next_payload: dict[str, Any] | None = None


RUNNING = "accessbot.due.running"


@dataclass(frozen=True)
class DueJob:
    """A claimed row, detached from any session (jobs get ids and values, never ORM objects)."""

    id: int
    kind: str
    key: str
    ref_id: str
    due_at: datetime
    attempts: int
    payload_version: int
    payload: dict[str, Any] = field(default_factory=dict)

    def upgraded(self, payload: dict[str, Any]) -> DueJob:
        return replace(self, payload=payload, payload_version=PAYLOAD_VERSION)


def key_of(kind: TimerKind, ref: Any, suffix: str = "") -> str:
    return f"{kind}:{ref}" + (f":{suffix}" if suffix else "")


def schedule(s: Session, kind: TimerKind, ref: Any, due_at: datetime, *, now: datetime, suffix: str = "",
             payload: dict[str, Any] | None = None) -> DueAction | None:
    """Create or move the row named ``kind:ref[:suffix]``; None when it is the running timer's own."""
    key = key_of(checked(kind), ref, suffix)
    running: Running | None = s.info.get(RUNNING)
    if running is not None and running.key == key:
        running.next_due_at, running.next_payload = due_at, payload or {}
        return None
    row = s.scalar(select(DueAction).where(DueAction.key == key))
    if row is None:
        row = DueAction(kind=str(kind), key=key, ref_id=str(ref), created_at=now)
        s.add(row)
    row.due_at = due_at
    row.status = "scheduled"
    row.payload = payload or {}
    row.payload_version = PAYLOAD_VERSION
    row.claimed_by = None
    row.lease_until = None
    row.done_at = None
    s.flush()
    return row


def cancel(s: Session, kind: TimerKind, ref: Any, suffix: str | None = None) -> int:
    """Cancel a scheduled row (or, with suffix None, every row of that kind for ``ref``)."""
    checked(kind)
    query = update(DueAction).where(DueAction.status == "scheduled")
    if suffix is None:
        query = query.where(DueAction.kind == kind, DueAction.ref_id == str(ref))
    else:
        query = query.where(DueAction.key == key_of(kind, ref, suffix))
    return s.execute(query.values(status="cancelled")).rowcount


def cancel_kinds(s: Session, kinds: tuple[TimerKind, ...], ref: Any) -> int:
    """Cancel every scheduled row of these kinds for ``ref``, in one statement."""
    return cancel_kinds_of(s, kinds, [ref])


def cancel_kinds_of(s: Session, kinds: tuple[TimerKind, ...], refs: list[Any]) -> int:
    """`cancel_kinds` for many refs, in one statement."""
    if not refs:
        return 0
    kinds = tuple(str(checked(kind)) for kind in kinds)
    return s.execute(update(DueAction).where(DueAction.status == "scheduled", DueAction.kind.in_(kinds),
                                             DueAction.ref_id.in_([str(ref) for ref in refs]))
                     .values(status="cancelled")).rowcount


def pending(s: Session, kind: TimerKind, ref: Any) -> list[DueAction]:
    checked(kind)
    return list(s.scalars(select(DueAction).where(
        DueAction.kind == kind, DueAction.ref_id == str(ref), DueAction.status == "scheduled")))
