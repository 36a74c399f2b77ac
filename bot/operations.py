"""How a front end runs a domain operation: one transaction, refusals audited, work kicked after.

    perform(deps, actor, "decide", lambda s, ctx: decide(s, ctx, request_id=7, approver=..., ...))

A refusal (DomainError) rolls the operation back, is written to the audit log in its own
transaction (so unauthorised clicks are on record), marked ``audited``, and re-raised for the front
end to show. A front end that refuses before any operation runs records it with ``record_refusal``
too (the Slack front end throttles those: bot/audit/throttle.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from bot.audit import log as audit_log
from bot.domain.errors import DomainError
from bot.ledger.context import Actor, Ctx
from bot.logs import log_context

log = logging.getLogger(__name__)
T = TypeVar("T")


def perform(deps, actor: Actor, name: str, fn: Callable[[Session, Ctx], T], *,
            subject: tuple[str, object] = ("operation", "-")) -> T:
    ctx = deps.ctx(actor)
    with log_context(**subject_fields(subject)):
        try:
            with deps.store.uow() as s:
                result = fn(s, ctx)
        except DomainError as error:
            record_refusal(deps, ctx, name, error, subject)
            error.audited = True
            raise
    deps.kick()
    return result


def subject_fields(subject: tuple[str, object]) -> dict[str, object]:
    """``("grant", 12)`` → ``{"grant_id": 12}`` for the log lines of the operation."""
    field = {"request": "request_id", "grant": "grant_id", "offboarding": "offboarding_id"}.get(subject[0])
    return {field: subject[1]} if field else {}


def record_refusal(deps, ctx: Ctx, name: str, error: DomainError, subject: tuple[str, object],
                   extra: dict | None = None) -> None:
    log.info("refused %s for %s: %s", name, ctx.actor.label, error.message)
    with deps.store.uow() as s:
        audit_log.append(s, now=ctx.now, actor=ctx.actor.label, action=f"refused.{name}",
                         subject_type=subject[0], subject_id=subject[1], trigger=ctx.actor.trigger,
                         detail={"code": error.code, "message": error.message, **(extra or {})})
