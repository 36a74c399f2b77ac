"""Offboarding as database operations (they take a Session, never call a connector, never commit).

``start`` decides everything that does not need a target: the person becomes a leaver, their
pending requests are cancelled, approvals waiting on them move to someone else, and every grant
they hold starts ending (one write-ahead revoke row per target, tied to the Offboarding). The
account-wide calls (suspend, end sessions) need the targets, so ``bot.offboarding.engine`` adds
them when it runs. ``start`` is idempotent: on a person already being offboarded it resumes the
same record and re-queues only what failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import ActionStatus, EndReason, GrantStatus, PersonStatus, RequestStatus
from bot.domain.errors import InvalidState
from bot.lifecycle import reroute
from bot.store.models import AccessRequest, Grant, Offboarding, Person, ProvisioningAction
from bot.workflow import cancel as cancel_op
from bot.workflow import due, grants
from bot.workflow.context import Ctx
from bot.workflow.events import happened

# Offboarding.status values
SCHEDULED, RUNNING, WAITING, PARTIAL, DONE, CANCELLED = "scheduled", "running", "waiting", "partial", "done", "cancelled"
UNFINISHED = (SCHEDULED, RUNNING, WAITING, PARTIAL)
FAILED_STATUSES = (ActionStatus.FAILED_RETRYABLE, ActionStatus.FAILED_PERMANENT)
ENDABLE = (GrantStatus.SCHEDULED, GrantStatus.PROVISIONING, GrantStatus.ACTIVE, GrantStatus.REVOKE_FAILED)


def latest(s: Session, person: Person) -> Offboarding | None:
    return s.scalar(select(Offboarding).where(Offboarding.person_id == person.id, Offboarding.status != CANCELLED)
                    .order_by(Offboarding.id.desc()).limit(1))


RESUME_SAFETY_NET = timedelta(minutes=2)


def start(s: Session, ctx: Ctx, *, person: Person, reason: str = "", source: str = "admin") -> Offboarding:
    """Offboard ``person`` now: a new record, or the unfinished (or scheduled) one resumed."""
    record = latest(s, person)
    # After a re-hire, leaving again is a new offboarding: the old one's account calls are spent.
    rehired = record is not None and "rehire" in (record.report or {})
    resuming = record is not None and not rehired and (
        record.status in UNFINISHED or (record.status == DONE and person.status == PersonStatus.LEAVER))
    if not resuming:
        record = Offboarding(person_id=person.id, requested_by=ctx.actor.label, trigger=ctx.actor.trigger,
                             status=RUNNING, reason=reason, created_at=ctx.now, report={})
        s.add(record)
        s.flush()
    was = record.status
    if record.status == SCHEDULED or not resuming:
        record.status, record.started_at = RUNNING, ctx.now
        record.requested_by, record.trigger = ctx.actor.label, ctx.actor.trigger
    due.cancel(s, due.OFFBOARD, person.id)
    happened(s, ctx, "offboarding.resumed" if resuming and was != SCHEDULED else "offboarding.started",
             subject_type="offboarding", subject_id=record.id, person_email=person.email,
             detail={"person_email": person.email, "reason": reason or record.reason,
                     "was": was if resuming else None, "scheduled_for": record.scheduled_for}, notify=True)
    _mark_leaver(s, ctx, person, source)
    requeued = _requeue_failed(s, ctx, record)  # first: their grants are then no longer "revoke failed"
    prepared = _end_everything(s, ctx, person, record)
    record.report = {**(record.report or {}), **_merged(record.report or {}, prepared), "requeued": requeued}
    # A safety net: if this process dies before the engine has run (and finished) the calls, the
    # timers resume the offboarding. A normal run reschedules or cancels this row when it finishes.
    due.schedule(s, due.OFFBOARDING_RESUME, record.id, ctx.now + RESUME_SAFETY_NET, now=ctx.now)
    return record


def _mark_leaver(s: Session, ctx: Ctx, person: Person, source: str) -> None:
    if person.status != PersonStatus.LEAVER:
        # Through the directory's one writer, so the change is in the person's history.
        directory.upsert(s, directory.PersonInput(email=person.email, status=PersonStatus.LEAVER),
                         source=source, now=ctx.now)


def _end_everything(s: Session, ctx: Ctx, person: Person, record: Offboarding) -> dict:
    pending = s.scalars(select(AccessRequest).where(AccessRequest.requester_id == person.id,
                                                    AccessRequest.status == RequestStatus.PENDING)).all()
    for request in pending:
        cancel_op.cancel(s, ctx, request_id=request.id, by=None, reason="requester offboarded")
    rerouted = reroute.away_from(s, ctx, person, reason=f"{person.email} is leaving")
    held = s.scalars(select(Grant).where(Grant.person_id == person.id, Grant.status.in_(ENDABLE))
                     .order_by(Grant.id).with_for_update()).all()
    for grant in held:
        grants.begin_end(s, ctx, grant, EndReason.OFFBOARDED, person_email=person.email,
                         offboarding_id=record.id, note=record.reason)
    return {"requests_cancelled": [r.id for r in pending], "approvals_rerouted": rerouted,
            "grants": [g.id for g in held]}


def _merged(old: dict, new: dict) -> dict:
    return {key: sorted(set(old.get(key, [])) | set(values)) for key, values in new.items()}


def _requeue_failed(s: Session, ctx: Ctx, record: Offboarding) -> list[str]:
    """A re-run retries what failed now, on the same rows (attempts keep counting)."""
    rows = s.scalars(select(ProvisioningAction).where(ProvisioningAction.offboarding_id == record.id,
                                                      ProvisioningAction.status.in_(FAILED_STATUSES))).all()
    for row in rows:
        row.status, row.next_attempt_at, row.finished_at = ActionStatus.QUEUED, ctx.now, None
        grant = s.get(Grant, row.grant_id) if row.grant_id else None
        if grant is not None and grant.status == GrantStatus.REVOKE_FAILED:
            grant.status = GrantStatus.REVOKING
    return [r.id for r in rows]


def schedule(s: Session, ctx: Ctx, *, person: Person, at: datetime, reason: str = "",
             origin: str = "manual") -> Offboarding:
    """Offboard ``person`` at ``at`` (durable: a due action). Re-scheduling moves the same record.

    ``origin`` says who asked: "manual" (IT), "leaver_event" (HR/IdP) or "end_date" (the directory's
    end date); only the last two are withdrawn when HR clears the end date.
    """
    if at <= ctx.now:
        raise InvalidState("That time has passed: offboard now instead.")
    if person.status == PersonStatus.LEAVER:
        raise InvalidState(f"{person.email} has already left.")
    record = latest(s, person)
    if record is None or record.status != SCHEDULED:
        record = Offboarding(person_id=person.id, requested_by=ctx.actor.label, trigger=ctx.actor.trigger,
                             status=SCHEDULED, created_at=ctx.now, report={})
        s.add(record)
        s.flush()
    moved_from = record.scheduled_for
    record.scheduled_for, record.reason = at, reason or record.reason
    record.report = {**(record.report or {}), "origin": origin}
    due.schedule(s, due.OFFBOARD, person.id, at, now=ctx.now, payload={"offboarding_id": record.id, "origin": origin})
    happened(s, ctx, "offboarding.scheduled", subject_type="offboarding", subject_id=record.id,
             person_email=person.email,
             detail={"person_email": person.email, "at": at, "moved_from": moved_from, "reason": record.reason,
                     "origin": origin}, notify=True)
    return record


def cancel_scheduled(s: Session, ctx: Ctx, *, person: Person, reason: str,
                     origins: tuple[str, ...] | None = None) -> Offboarding | None:
    """Withdraw a scheduled offboarding (rehire, contract extended...). None when there was none."""
    record = latest(s, person)
    if record is None or record.status != SCHEDULED:
        return None
    if origins is not None and (record.report or {}).get("origin") not in origins:
        return None
    record.status = CANCELLED
    due.cancel(s, due.OFFBOARD, person.id)
    happened(s, ctx, "offboarding.cancelled", subject_type="offboarding", subject_id=record.id,
             person_email=person.email,
             detail={"person_email": person.email, "reason": reason, "was_scheduled_for": record.scheduled_for},
             notify=True)
    return record

