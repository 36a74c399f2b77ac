"""Record what happened: an audit event always, and an outbox event when someone must be told.

Both are written in the operation's transaction, so a change, its audit trail and its
notification commit or vanish together.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from bot.audit import log as audit_log
from bot.ledger.context import Ctx
from bot.store.models import OutboxEvent

_PENDING = "accessbot_outbox_pending"


class EventName(StrEnum):
    """Base of every feature's enum of domain event names.

    ``happened``, ``emit`` and the notifier's subscriptions take only members, so a misspelt name
    fails where it is written instead of recording an action nobody subscribes to. Values are
    stored (audit actions, outbox types): renaming one is a data migration.
    """


def checked(name: EventName) -> EventName:
    if not isinstance(name, EventName):
        raise TypeError(f"domain event {name!r} is not an EventName member")
    return name


def happened(s: Session, ctx: Ctx, action: EventName, *, subject_type: str, subject_id: Any,
             person_email: str | None = None, detail: dict[str, Any] | None = None,
             notify: bool = False) -> None:
    audit_log.append(s, now=ctx.now, actor=ctx.actor.label, action=str(checked(action)), subject_type=subject_type,
                     subject_id=subject_id, trigger=ctx.actor.trigger, person_email=person_email,
                     detail=detail)
    if notify:
        emit(s, ctx, action, **{f"{subject_type}_id": subject_id, **(detail or {})})


def emit(s: Session, ctx: Ctx, type_: EventName, **payload: Any) -> None:
    """Queue an outbox event on the session; it is inserted (with the transaction's others, in one
    executemany of plain rows, as the audit events are) just before the transaction commits."""
    s.info.setdefault(_PENDING, []).append(
        dict(type=str(checked(type_)), payload=audit_log._jsonable(payload), created_at=ctx.now))


@event.listens_for(Session, "before_commit")
def _insert_pending_events(s: Session) -> None:
    """One ORM object per outbox event was a unit-of-work's bookkeeping per row in every expiry and
    every recorded outcome (py-spy, bench/workers_lateness.py); nothing reads them back as objects."""
    if pending := s.info.pop(_PENDING, None):
        s.execute(insert(OutboxEvent.__table__), pending)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending_events(s: Session, previous_transaction) -> None:
    s.info.pop(_PENDING, None)
