"""Keep or Release, by whoever was asked; and the deadline's action when nobody answered.

Authorised against the ask as stored (the person it was put to, never what a button said); the ask's
row is locked and only an open ask can be answered, so a double click makes one decision. Release
goes through the ordinary revoke path (bot.ledger.end_grant): provisioning, retries, covering grants.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import EndReason, GrantStatus
from bot.domain.errors import InvalidState, NotAuthorized, NotFoundError
from bot.store.models import Grant, Person, UsageAsk
from bot.usage.evaluate import first_owner
from bot.usage.events import UsageEvent
from bot.usage.timers import UsageTimer
from bot.ledger import due, end_grant
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from policies.usage import ASK_OWNER

STILL_HELD = (GrantStatus.ACTIVE, GrantStatus.PROVISIONING)


def load_ask(s: Session, ask_id: int) -> UsageAsk:
    ask = s.scalar(select(UsageAsk).where(UsageAsk.id == ask_id).with_for_update())
    if ask is None:
        raise NotFoundError(f"Usage question #{ask_id} does not exist.")
    return ask


def _open_for(s: Session, ask_id: int, by: Person) -> UsageAsk:
    ask = load_ask(s, ask_id)
    if ask.asked_id != by.id:
        raise NotAuthorized("This question was not put to you.")
    if ask.status != "open":
        raise InvalidState(f"This was already answered ({ask.status}).")
    return ask


def keep(s: Session, ctx: Ctx, *, ask_id: int, by: Person, reason: str = "") -> UsageAsk:
    """Keep the access: the inactivity clock restarts from now."""
    ask = _open_for(s, ask_id, by)
    _settle(s, ctx, ask, "kept", by=by, how="holder" if by.id == ask.holder_id else "owner", reason=reason.strip())
    return ask


def release(s: Session, ctx: Ctx, *, ask_id: int, by: Person) -> UsageAsk:
    ask = _open_for(s, ask_id, by)
    _release(s, ctx, ask, by=by, how="holder" if by.id == ask.holder_id else "owner", reason="released when asked")
    return ask


def _release(s: Session, ctx: Ctx, ask: UsageAsk, *, by: Person | None, how: str, reason: str) -> None:
    grant = s.get(Grant, ask.grant_id)
    if grant is None or grant.status not in STILL_HELD:
        _settle(s, ctx, ask, "closed", by=by, how=how, reason=f"the grant had already ended ({grant and grant.status})")
        return
    end_grant.revoke(s, ctx, grant_id=grant.id, by=by, reason=f"unused access: {reason}", end_reason=EndReason.REVOKED)
    _settle(s, ctx, ask, "released", by=by, how=how, reason=reason)


def at_deadline(s: Session, ctx: Ctx, *, ask_id: int) -> bool:
    """The deadline timer; True when a revocation was queued."""
    ask = load_ask(s, ask_id)
    if ask.status != "open" or ask.due_at > ctx.now:
        return False
    if ask.at_deadline != ASK_OWNER:
        _release(s, ctx, ask, by=None, how="deadline", reason="no answer by the deadline")
        return ask.status == "released"
    entitlement = ctx.catalog.entitlements.get(ask.entitlement)
    owner = first_owner(s, entitlement.owners if entitlement else [], ask.holder_id)
    if ask.asked_id == ask.holder_id and owner is not None:
        days = entitlement.inactivity.answer_days if entitlement and entitlement.inactivity else 7
        ask.asked_id, ask.due_at, ask.version = owner.id, ctx.now + timedelta(days=days), ask.version + 1
        due.schedule(s, UsageTimer.DEADLINE, ask.id, ask.due_at, now=ctx.now)
        happened(s, ctx, UsageEvent.OWNER_ASKED, subject_type="usage_ask", subject_id=ask.id,
                 detail={"entitlement": ask.entitlement, "asked": owner.email, "due_at": ask.due_at}, notify=True)
        return False
    _settle(s, ctx, ask, "lapsed", by=None, how="deadline", reason="nobody answered; the access is kept")
    return False


def _settle(s: Session, ctx: Ctx, ask: UsageAsk, status: str, *, by: Person | None, how: str, reason: str) -> None:
    ask.status, ask.decided_how, ask.reason, ask.decided_at = status, how, reason, ctx.now
    ask.decided_by_id = by.id if by else None
    ask.version += 1
    due.cancel(s, UsageTimer.DEADLINE, ask.id)
    action = {"kept": UsageEvent.KEPT, "lapsed": UsageEvent.LAPSED}.get(status, UsageEvent.RELEASED)
    holder = s.get(Person, ask.holder_id)
    happened(s, ctx, action, subject_type="usage_ask", subject_id=ask.id, person_email=holder.email,
             detail={"grant_id": ask.grant_id, "entitlement": ask.entitlement, "decision": status, "how": how,
                     "reason": reason, "by": by.email if by else None,
                     "monthly_saving_cents": ask.cost_cents if status == "released" else None,
                     "currency": ask.currency}, notify=True)
