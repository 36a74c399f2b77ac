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
from bot.domain.errors import AlreadyDecided, InvalidState, NotFoundError
from bot.ledger import due, grants, reroute
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from bot.offboarding.events import OffboardingEvent
from bot.offboarding.timers import OffboardingKind
from bot.requests import cancel as cancel_op
from bot.store.models import AccessRequest, Grant, Offboarding, Person, ProvisioningAction

# Offboarding.status values
SCHEDULED, RUNNING, WAITING, PARTIAL, DONE, CANCELLED = "scheduled", "running", "waiting", "partial", "done", "cancelled"
# Asked for by one IT admin, waiting for a second one (four eyes: bot/offboarding/four_eyes.py). A
# proposal only: nothing is scheduled or ended until it is confirmed, and ``latest`` never returns it.
UNCONFIRMED = "unconfirmed"
UNFINISHED = (SCHEDULED, RUNNING, WAITING, PARTIAL)
CANCELLABLE = (UNCONFIRMED, SCHEDULED)  # nothing has been removed yet
FAILED_STATUSES = (ActionStatus.FAILED_RETRYABLE, ActionStatus.FAILED_PERMANENT)
ENDABLE = (GrantStatus.SCHEDULED, GrantStatus.PROVISIONING, GrantStatus.ACTIVE, GrantStatus.REVOKE_FAILED)


def latest(s: Session, person: Person) -> Offboarding | None:
    """The person's current offboarding: proposals awaiting a second IT admin and cancelled ones aside."""
    return s.scalar(select(Offboarding).where(Offboarding.person_id == person.id,
                                              Offboarding.status.not_in((CANCELLED, UNCONFIRMED)))
                    .order_by(Offboarding.id.desc()).limit(1))


def unconfirmed(s: Session, person: Person) -> Offboarding | None:
    """The person's offboarding proposal still waiting for a second IT admin, if any."""
    return s.scalar(select(Offboarding).where(Offboarding.person_id == person.id, Offboarding.status == UNCONFIRMED)
                    .order_by(Offboarding.id.desc()).limit(1))


RESUME_SAFETY_NET = timedelta(minutes=2)


def lock_person(s: Session, person_id: int) -> None:
    """Every change to a person's offboardings takes this row lock first, then the offboarding rows:
    one order for all (the timer, HR, a confirm, a cancel), so two of them wait instead of deadlocking."""
    s.execute(select(Person.id).where(Person.id == person_id).with_for_update())


def start(s: Session, ctx: Ctx, *, person: Person, reason: str = "", source: str = "admin",
          proposal: Offboarding | None = None) -> Offboarding:
    """Offboard ``person`` now: a new record, or the unfinished (or scheduled) one resumed, or the
    confirmed ``proposal`` (which keeps the name of the IT admin who asked for it)."""
    lock_person(s, person.id)
    record = proposal if proposal is not None else latest(s, person)
    # After a re-hire, leaving again is a new offboarding: the old one's account calls are spent.
    rehired = proposal is None and record is not None and "rehire" in (record.report or {})
    resuming = proposal is None and record is not None and not rehired and (
        record.status in UNFINISHED or (record.status == DONE and person.status == PersonStatus.LEAVER))
    if record is None or (proposal is None and not resuming):
        record = Offboarding(person_id=person.id, requested_by=ctx.actor.label, trigger=ctx.actor.trigger,
                             status=RUNNING, reason=reason, created_at=ctx.now, report={})
        s.add(record)
        s.flush()
    was = record.status
    if record.status in (SCHEDULED, UNCONFIRMED) or not resuming:
        record.status, record.started_at = RUNNING, ctx.now
        if proposal is None:
            record.requested_by, record.trigger = ctx.actor.label, ctx.actor.trigger
    due.cancel(s, OffboardingKind.OFFBOARD, person.id)
    _withdraw_proposals(s, ctx, person, started=record)
    happened(s, ctx, OffboardingEvent.RESUMED if resuming and was != SCHEDULED else OffboardingEvent.STARTED,
             subject_type="offboarding", subject_id=record.id, person_email=person.email,
             detail={"person_email": person.email, "reason": reason or record.reason,
                     "was": was if resuming else None, "scheduled_for": record.scheduled_for}, notify=True)
    _mark_leaver(s, ctx, person, source)
    requeued = _requeue_failed(s, ctx, record)  # first: their grants are then no longer "revoke failed"
    prepared = _end_everything(s, ctx, person, record)
    record.report = {**(record.report or {}), **_merged(record.report or {}, prepared), "requeued": requeued}
    # A safety net: if this process dies before the engine has run (and finished) the calls, the
    # timers resume the offboarding. A normal run reschedules or cancels this row when it finishes.
    due.schedule(s, OffboardingKind.OFFBOARDING_RESUME, record.id, ctx.now + RESUME_SAFETY_NET, now=ctx.now)
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
        if request.status != RequestStatus.PENDING:
            continue  # a member of a bundle, cancelled with its lead
        cancel_op.cancel(s, ctx, request_id=request.id, by=None, reason="requester offboarded")
    rerouted = reroute.away_from(s, ctx, person, reason=f"{person.email} is leaving")
    held = s.scalars(select(Grant).where(Grant.person_id == person.id, Grant.status.in_(ENDABLE))
                     .order_by(Grant.id).with_for_update()).all()
    # One group: each statement once for all of them (profiled: four statements and an autoflush per
    # grant made ending 50 grants most of an offboarding's preparation, before any call could start).
    grants.begin_end_all(s, ctx, [(grant, person.email) for grant in held], EndReason.OFFBOARDED,
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
             origin: str = "manual", proposal: Offboarding | None = None) -> Offboarding:
    """Offboard ``person`` at ``at`` (durable: a due action). Re-scheduling moves the same record;
    a confirmed ``proposal`` becomes the scheduled record.

    ``origin`` says who asked: "manual" (IT), "leaver_event" (HR/IdP) or "end_date" (the directory's
    end date); only the last two are withdrawn when HR clears the end date.
    """
    if at <= ctx.now:
        raise InvalidState("That time has passed: offboard now instead.")
    if person.status == PersonStatus.LEAVER:
        raise InvalidState(f"{person.email} has already left.")
    lock_person(s, person.id)
    record = proposal if proposal is not None else latest(s, person)
    if record is None or (proposal is None and record.status != SCHEDULED):
        record = Offboarding(person_id=person.id, requested_by=ctx.actor.label, trigger=ctx.actor.trigger,
                             status=SCHEDULED, created_at=ctx.now, report={})
        s.add(record)
        s.flush()
    record.status = SCHEDULED
    moved_from = record.scheduled_for if proposal is None else None
    record.scheduled_for, record.reason = at, reason or record.reason
    record.report = {**(record.report or {}), "origin": origin}
    due.schedule(s, OffboardingKind.OFFBOARD, person.id, at, now=ctx.now, payload={"offboarding_id": record.id, "origin": origin})
    happened(s, ctx, OffboardingEvent.SCHEDULED, subject_type="offboarding", subject_id=record.id,
             person_email=person.email,
             detail={"person_email": person.email, "at": at, "moved_from": moved_from, "reason": record.reason,
                     "origin": origin}, notify=True)
    return record


def cancel_scheduled(s: Session, ctx: Ctx, *, person: Person, reason: str,
                     origins: tuple[str, ...] | None = None) -> Offboarding | None:
    """Withdraw a scheduled offboarding (rehire, contract extended...). None when there was none."""
    lock_person(s, person.id)  # so what ``latest`` reads is still true when ``cancel`` locks it
    record = latest(s, person)
    if record is None or record.status != SCHEDULED:
        return None
    if origins is not None and (record.report or {}).get("origin") not in origins:
        return None
    return cancel(s, ctx, offboarding_id=record.id, reason=reason)


def cancel(s: Session, ctx: Ctx, *, offboarding_id: int, reason: str) -> Offboarding:
    """Withdraw an offboarding nothing has been removed for yet (scheduled, or awaiting its second IT
    admin): its due run goes, and the refusal is clear if it has already started.

    The person's row and then the offboarding's are locked first (``locked``), so a cancel and the
    timer starting it never both win: whichever takes the lock second sees the other's status.
    """
    record = locked(s, offboarding_id)
    cancelled = (record.report or {}).get("cancelled") or {}
    if record.status == CANCELLED:
        by = f" by {cancelled['by']}" if cancelled.get("by") else ""
        raise AlreadyDecided(f"Offboarding #{record.id} was already cancelled{by}.")
    if record.status not in CANCELLABLE:
        raise AlreadyDecided(f"Offboarding #{record.id} has already started ({record.status}): it can no longer be "
                             "cancelled. What it removed stays removed; grant access again through a request.")
    person = s.get(Person, record.person_id)
    was = record.status
    record.status = CANCELLED
    record.report = {**(record.report or {}),
                     "cancelled": {"by": ctx.actor.label, "at": ctx.now.isoformat(), "reason": reason, "was": was}}
    if was == SCHEDULED:  # the due run is keyed by person: only the scheduled record owns it
        due.cancel(s, OffboardingKind.OFFBOARD, person.id)
    due.cancel(s, OffboardingKind.OFFBOARDING_RESUME, record.id)
    happened(s, ctx, OffboardingEvent.CANCELLED, subject_type="offboarding", subject_id=record.id,
             person_email=person.email,
             detail={"person_email": person.email, "reason": reason, "was": was,
                     "was_scheduled_for": record.scheduled_for}, notify=True)
    return record


def locked(s: Session, offboarding_id: int) -> Offboarding:
    """The offboarding, its person's lock and then its own row lock taken (see ``lock_person``)."""
    person_id = s.scalar(select(Offboarding.person_id).where(Offboarding.id == offboarding_id))
    if person_id is None:
        raise NotFoundError(f"Offboarding #{offboarding_id} does not exist.")
    lock_person(s, person_id)
    return s.scalar(select(Offboarding).where(Offboarding.id == offboarding_id).with_for_update()
                    .execution_options(populate_existing=True))


def request_confirmation(s: Session, ctx: Ctx, *, person: Person, at: datetime | None, reason: str,
                         privileged: tuple[str, ...], rule: str) -> Offboarding:
    """An offboarding proposal waiting for a second IT admin (four eyes). Asking again moves the
    asker's own proposal; someone else's is refused, so two people never confirm each other by accident."""
    lock_person(s, person.id)
    record = unconfirmed(s, person)
    if record is not None and record.requested_by != ctx.actor.label:
        raise AlreadyDecided(f"Offboarding #{record.id} of {person.email} is already waiting for a second IT admin "
                             f"(asked by {record.requested_by}): confirm or cancel it on its message.")
    if record is None:
        record = Offboarding(person_id=person.id, requested_by=ctx.actor.label, trigger=ctx.actor.trigger,
                             status=UNCONFIRMED, created_at=ctx.now, report={})
        s.add(record)
        s.flush()
    record.scheduled_for, record.reason = at, reason
    record.report = {**(record.report or {}), "origin": "manual",
                     "confirmation": {"asked_by": ctx.actor.label, "asked_at": ctx.now.isoformat(),
                                      "privileged": list(privileged), "rule": rule}}
    happened(s, ctx, OffboardingEvent.AWAITING_CONFIRMATION, subject_type="offboarding", subject_id=record.id,
             person_email=person.email,
             detail={"person_email": person.email, "at": at, "reason": reason, "privileged": list(privileged),
                     "rule": rule}, notify=True)
    return record


def _withdraw_proposals(s: Session, ctx: Ctx, person: Person, *, started: Offboarding) -> None:
    """Once an offboarding of the person runs (HR, the timer, a confirmed proposal), any other proposal
    waiting for a second IT admin is moot."""
    others = s.scalars(select(Offboarding).where(Offboarding.person_id == person.id, Offboarding.id != started.id,
                                                 Offboarding.status == UNCONFIRMED)).all()
    for other in others:
        cancel(s, ctx, offboarding_id=other.id, reason=f"superseded: offboarding #{started.id} started")
