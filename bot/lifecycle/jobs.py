"""Timer entry points for the lifecycle's due actions. Stable names: they take ids only.

The timer sweep (bot/timers) claims a due row, then calls ``HANDLERS[row.kind](deps, row.ref_id,
row.payload)``; each handler re-reads the database and does nothing if the world moved on (the
offboarding was cancelled, the grant already ended, the person moved back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.domain.enums import Trigger
from bot.domain.errors import DomainError
from bot.ledger.context import Actor
from bot.ledger.events import happened
from bot.lifecycle import apply, mover_recheck, rehire
from bot.lifecycle.event_names import LifecycleEventName
from bot.lifecycle.timers import LifecycleKind
from bot.offboarding import engine
from bot.store.models import LifecycleEvent, Offboarding, Person

log = logging.getLogger(__name__)
TIMER = Actor.system("timer", Trigger.TIMER)

Handler = Callable[[Any, str, dict[str, Any]], None]


def revoke_after_grace(deps, ref_id: str, payload: dict[str, Any]) -> None:
    """``grant.policy_revoke``: a mover's grace period is over; revoke if still not allowed."""
    ctx = deps.ctx(TIMER)
    with deps.store.uow() as s:
        revoked = mover_recheck.revoke_if_still_disallowed(s, ctx, int(ref_id))
    if revoked:
        deps.kick()


def apply_scheduled_event(deps, ref_id: str, payload: dict[str, Any]) -> None:
    """``lifecycle.apply``: an HR change dated in the future takes effect."""
    ctx = deps.ctx(TIMER)
    try:
        with deps.store.uow() as s:
            row = s.get(LifecycleEvent, int(ref_id))
            if row is None or row.status != "scheduled":
                return
            result = apply.apply_row(s, ctx, row)
    except DomainError as error:
        _reject(deps, int(ref_id), error)
        return
    engine.drive_later(deps, result.offboarding_ids)
    deps.kick()


def reactivate_on_start(deps, ref_id: str, payload: dict[str, Any]) -> None:
    """``person.reactivate``: a re-hire's start date has come; bring back what accessbot suspended."""
    ctx = deps.ctx(TIMER)
    with deps.store.uow() as s:
        person = s.get(Person, int(ref_id))
        record = s.get(Offboarding, payload.get("offboarding_id")) if payload.get("offboarding_id") else None
        queued = rehire.reactivate_when_due(s, ctx, person, record)
    if queued:
        deps.kick()


def _reject(deps, row_id: int, error: DomainError) -> None:
    """Nothing of the event was applied; say so where IT looks, and keep the event for a re-send."""
    ctx = deps.ctx(TIMER)
    with deps.store.uow() as s:
        row = s.get(LifecycleEvent, row_id)
        row.status, row.note = "rejected", error.message
        happened(s, ctx, LifecycleEventName.REJECTED, subject_type="lifecycle_event", subject_id=row.id,
                 person_email=row.email, detail={"event_id": row.event_id, "code": error.code,
                                                 "reason": error.message,
                                                 "channel": ctx.catalog.settings.it_channel}, notify=True)


HANDLERS: dict[str, Handler] = {
    LifecycleKind.POLICY_REVOKE: revoke_after_grace,
    LifecycleKind.LIFECYCLE_APPLY: apply_scheduled_event,
    LifecycleKind.REACTIVATE: reactivate_on_start,
}
