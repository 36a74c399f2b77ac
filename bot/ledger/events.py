"""Record what happened: an audit event always, and an outbox event when someone must be told.

Both are written in the operation's transaction, so a change, its audit trail and its
notification commit or vanish together.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.audit import log as audit_log
from bot.store.models import OutboxEvent
from bot.ledger.context import Ctx


def happened(s: Session, ctx: Ctx, action: str, *, subject_type: str, subject_id: Any,
             person_email: str | None = None, detail: dict[str, Any] | None = None,
             notify: bool = False) -> None:
    audit_log.append(s, now=ctx.now, actor=ctx.actor.label, action=action, subject_type=subject_type,
                     subject_id=subject_id, trigger=ctx.actor.trigger, person_email=person_email,
                     detail=detail)
    if notify:
        emit(s, ctx, action, **{f"{subject_type}_id": subject_id, **(detail or {})})


def emit(s: Session, ctx: Ctx, type_: str, **payload: Any) -> None:
    s.add(OutboxEvent(type=type_, payload=audit_log._jsonable(payload), created_at=ctx.now))
