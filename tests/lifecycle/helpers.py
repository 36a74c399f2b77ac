"""Send HR events the way the webhook does (validated model → intake), and read results back."""

from __future__ import annotations

import itertools
import time
from datetime import datetime

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.ledger import due, grants
from bot.ledger.context import Actor
from bot.lifecycle import intake, jobs
from bot.lifecycle.events import HrEvent
from bot.offboarding import jobs as offboarding_jobs
from bot.store.models import Grant, Offboarding, OutboxEvent, PersonChange
from tests.support.deps import due_rows, fire_due
from tests.support.waiting import wait_until

_ids = itertools.count(1)


def hr(deps, type_: str, email: str, *, event_id: str | None = None, occurred_at: datetime | None = None,
       effective_at: datetime | None = None, termination: str | None = None, reason: str = "", **person):
    body = {"event_id": event_id or f"evt-{next(_ids)}", "type": type_,
            "occurred_at": (occurred_at or deps.clock.now()).isoformat(),
            "person": {"email": email, **person}}
    if effective_at is not None:
        body["effective_at"] = effective_at.isoformat()
    if termination:
        body["termination"] = termination
    if reason:
        body["reason"] = reason
    return intake.receive_hr(deps, HrEvent.model_validate(body))


def person(deps, email: str):
    with deps.store.uow() as s:
        return directory.require(s, email)


def grants_of(deps, email: str) -> list[Grant]:
    with deps.store.uow() as s:
        p = directory.require(s, email)
        return list(s.scalars(select(Grant).where(Grant.person_id == p.id).order_by(Grant.id)))


def live(deps, email: str) -> dict[str, str]:
    return {g.entitlement: g.status for g in grants_of(deps, email)
            if g.status in ("scheduled", "provisioning", "active", "revoking", "revoke_failed")}


def outbox(deps, type_: str) -> list[dict]:
    with deps.store.uow() as s:
        return [e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == type_)
                                             .order_by(OutboxEvent.id))]


def changes(deps, email: str, field: str) -> list[PersonChange]:
    with deps.store.uow() as s:
        p = directory.require(s, email)
        return list(s.scalars(select(PersonChange).where(PersonChange.person_id == p.id, PersonChange.field == field)
                              .order_by(PersonChange.id)))


def offboardings(deps, email: str) -> list[Offboarding]:
    with deps.store.uow() as s:
        p = directory.require(s, email)
        return list(s.scalars(select(Offboarding).where(Offboarding.person_id == p.id).order_by(Offboarding.id)))


def wait_for_offboarding(deps, email: str, timeout: float = 30.0) -> Offboarding:
    """Leaver events offboard in the background; wait (bounded) until the latest one settled."""
    def settled() -> Offboarding | None:
        records = offboardings(deps, email)
        return records[-1] if records and records[-1].status in ("done", "partial", "waiting") else None

    return wait_until(settled, timeout=timeout,
                      what=lambda: f"offboarding of {email} settled ({[r.status for r in offboardings(deps, email)]})")


def start_scheduled_grants(deps) -> None:
    """What the grant.start timer does (bot/timers): hand due scheduled grants to provisioning."""
    ctx = deps.ctx(Actor.system("timer", Trigger.TIMER))
    for row in due_rows(deps.store, due.LedgerKind.GRANT_START):
        if row.due_at <= deps.clock.now():
            with deps.store.uow() as s:
                grants.start(s, ctx, s.get(Grant, int(row.ref_id)))
                s.get(type(row), row.id).status = "done"
    drain(deps)


def drain(deps, timeout: float = 30.0) -> None:
    """Run queued provisioning until none is left; background kicks may hold some rows for a moment."""
    from bot.provisioning.runner import RUNNABLE
    from bot.store.models import ProvisioningAction

    deadline = time.monotonic() + timeout
    while True:
        deps.runner.run_due()
        with deps.store.uow() as s:
            busy = s.scalars(select(ProvisioningAction.id).where(
                ProvisioningAction.status.in_((*RUNNABLE, "in_progress")),
                ProvisioningAction.next_attempt_at <= deps.clock.now())).all()
        if not busy:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"provisioning did not drain: {busy}")
        time.sleep(0.02)


def fire(deps) -> list[str]:
    return fire_due(deps, {**jobs.HANDLERS, **offboarding_jobs.HANDLERS})
