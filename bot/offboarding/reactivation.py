"""Undo an offboarding's suspensions when the person is re-hired, and only those.

An account is brought back only where accessbot's own suspend call changed it (its row
SUCCEEDED). A suspend that answered "already suspended" means someone else had disabled the
account: it stays as it is. So does an account whose suspend failed or never ran. Grants are
never restored: the offboarding ended them, and access is requested again.

``plan`` runs in the caller's transaction and never calls a connector: it stops the offboarding's
account calls that have not run yet (they would lock the returning person out), and queues one
``reactivate`` provisioning row per system for the runner, which retries it like any call. What
was planned is kept on the offboarding (``report["rehire"]``) so its report shows the way back.

A suspend still running when the re-hire arrives is waited for: the runner never claims a
reactivation before the suspend of the same account has settled, and ``verdict`` then decides
from the suspend's outcome whether there is anything to undo.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.audit.log import _jsonable
from bot.domain.enums import ActionKind, ActionStatus, PersonStatus
from bot.ledger import due, queue
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from bot.ledger.registry import Hold, Settled
from bot.offboarding.events import ReactivationEvent
from bot.offboarding.timers import OffboardingKind
from bot.store.models import Offboarding, Person, ProvisioningAction

NOT_YET_RUN = (ActionStatus.QUEUED, ActionStatus.FAILED_RETRYABLE)
IN_FLIGHT = (ActionStatus.IN_PROGRESS, ActionStatus.PENDING_EXTERNAL)
STOPPED_NOTE = "not needed: re-hired before it ran"
ACCOUNT_CALLS = (ActionKind.SUSPEND, ActionKind.END_SESSIONS)


def left_alone_reason(s: Session, suspend: ProvisioningAction) -> str | None:
    """Why an account with this suspend row must not be reactivated; None when accessbot suspended it."""
    if suspend.status == ActionStatus.SUCCEEDED:
        return None
    if suspend.status == ActionStatus.ALREADY and _still_ours(s, suspend):
        return None
    if suspend.status == ActionStatus.ALREADY:
        return ("it was already suspended when accessbot offboarded the person (disabled by someone else): "
                "left as it is")
    if suspend.status == ActionStatus.SKIPPED:
        return "accessbot never suspended it (the suspend was not run)"
    if suspend.status == ActionStatus.FAILED_PERMANENT:
        return f"accessbot's suspend never succeeded ({suspend.error_kind}: {suspend.error_detail}): left as it is"
    return None  # still running: decided when it settles


def _still_ours(s: Session, suspend: ProvisioningAction) -> bool:
    """An "already suspended" that is accessbot's own doing: an earlier offboarding suspended the
    account and no reactivation has brought it back since (e.g. the person left again before it ran)."""
    earlier = s.scalar(select(ProvisioningAction).where(
        ProvisioningAction.person_id == suspend.person_id, ProvisioningAction.connector == suspend.connector,
        ProvisioningAction.action == ActionKind.SUSPEND, ProvisioningAction.offboarding_id < suspend.offboarding_id,
        ProvisioningAction.status.in_((ActionStatus.SUCCEEDED, ActionStatus.ALREADY)))
        .order_by(ProvisioningAction.offboarding_id.desc()).limit(1))
    if earlier is None:
        return False
    undone = s.scalar(select(ProvisioningAction.id).where(
        ProvisioningAction.person_id == suspend.person_id, ProvisioningAction.connector == suspend.connector,
        ProvisioningAction.action == ActionKind.REACTIVATE, ProvisioningAction.status == ActionStatus.SUCCEEDED,
        ProvisioningAction.created_at >= earlier.created_at).limit(1))
    return undone is None and (earlier.status == ActionStatus.SUCCEEDED or _still_ours(s, earlier))


def rehired_record(s: Session, person: Person) -> Offboarding | None:
    """The person's latest offboarding that a re-hire has not answered yet."""
    record = s.scalar(select(Offboarding).where(Offboarding.person_id == person.id, Offboarding.status != "cancelled")
                      .order_by(Offboarding.id.desc()).limit(1))
    if record is None or (record.report or {}).get("rehire", {}).get("status") == "done":
        return None
    return record


def note_scheduled(ctx: Ctx, record: Offboarding, *, at: datetime, event_id: str) -> None:
    _set_section(record, {"status": "scheduled", "rehired_at": ctx.now, "reactivate_at": at, "event_id": event_id})


def plan(s: Session, ctx: Ctx, record: Offboarding, *, event_id: str) -> dict:
    """Stop the offboarding's unrun account calls and queue the reactivations; returns the section."""
    person = s.get(Person, record.person_id)
    stopped = _stop_account_calls(s, ctx, record)
    suspends = s.scalars(select(ProvisioningAction).where(
        ProvisioningAction.offboarding_id == record.id, ProvisioningAction.action == ActionKind.SUSPEND)
        .order_by(ProvisioningAction.connector, ProvisioningAction.created_at)).all()
    queued, left = [], []
    for suspend in _latest_per_system(suspends):
        reason = left_alone_reason(s, suspend)
        if reason is not None:
            left.append({"system": suspend.connector, "reason": reason})
            continue
        row = queue.enqueue(s, ctx, grant=None, action=ActionKind.REACTIVATE, person_id=person.id,
                            connector=suspend.connector,
                            note=f"undoes suspend {suspend.id} of offboarding #{record.id}")
        queued.append({"system": suspend.connector, "action_id": row.id})
    previous = (record.report or {}).get("rehire", {})
    section = {"status": "done", "rehired_at": previous.get("rehired_at", ctx.now), "reactivated_at": ctx.now,
               "event_id": event_id, "reactivations": queued, "left_suspended": left, "stopped": stopped,
               "grants_restored": False}
    _set_section(record, section)
    if stopped:  # the offboarding's status and report follow at once, through its own resume job
        due.schedule(s, OffboardingKind.OFFBOARDING_RESUME, record.id, ctx.now, now=ctx.now)
    happened(s, ctx, ReactivationEvent.PLANNED, subject_type="offboarding", subject_id=record.id,
             person_email=person.email,
             detail={"person_email": person.email, "systems": [q["system"] for q in queued],
                     "left_suspended": left, "stopped_calls": stopped, "event_id": event_id,
                     "channel": ctx.catalog.settings.it_channel}, notify=True)
    return section


def _latest_per_system(suspends: list[ProvisioningAction]) -> list[ProvisioningAction]:
    latest: dict[str, ProvisioningAction] = {}
    for row in suspends:
        latest[row.connector] = row
    return list(latest.values())


def _stop_account_calls(s: Session, ctx: Ctx, record: Offboarding) -> list[str]:
    """Suspends and sign-outs of the offboarding that have not run: a conditional update, so a call
    the offboarding engine claimed meanwhile is left to finish (the reactivation then waits for it)."""
    candidates = s.scalars(select(ProvisioningAction.id).where(
        ProvisioningAction.offboarding_id == record.id, ProvisioningAction.action.in_(ACCOUNT_CALLS),
        ProvisioningAction.status.in_(NOT_YET_RUN))).all()
    stopped = []
    for action_id in candidates:
        changed = s.execute(update(ProvisioningAction).where(
            ProvisioningAction.id == action_id, ProvisioningAction.status.in_(NOT_YET_RUN)).values(
            status=ActionStatus.SKIPPED, summary=STOPPED_NOTE, finished_at=ctx.now, lease_until=None)).rowcount
        if changed:
            stopped.append(action_id)
    return stopped


def _set_section(record: Offboarding, section: dict) -> None:
    record.report = {**(record.report or {}), "rehire": _jsonable(section)}


def verdict(s: Session, action: ProvisioningAction) -> Hold | None:
    """The runner's precondition for a reactivation: None to go ahead; a skip when there is nothing
    left to undo; a wait while the suspend it undoes is still running."""
    if s.get(Person, action.person_id).status != PersonStatus.ACTIVE:
        return Hold("the person has left again: left suspended", skip=True)
    suspend = s.scalar(select(ProvisioningAction).where(
        ProvisioningAction.person_id == action.person_id, ProvisioningAction.connector == action.connector,
        ProvisioningAction.action == ActionKind.SUSPEND, ProvisioningAction.created_at <= action.created_at,
        ProvisioningAction.id != action.id).order_by(  # the latest offboarding's suspend, then the latest row
        ProvisioningAction.offboarding_id.desc(), ProvisioningAction.created_at.desc()).limit(1))
    if suspend is None:
        return Hold("accessbot never suspended this account: left as it is", skip=True)
    if suspend.status in (*NOT_YET_RUN, *IN_FLIGHT):
        return Hold(f"waiting for suspend {suspend.id} to settle")
    reason = left_alone_reason(s, suspend)
    return Hold(reason, skip=True) if reason else None


def tell_failed(s: Session, ctx: Ctx, action: ProvisioningAction, settled: Settled) -> None:
    """A reactivation that failed for good is IT's to finish by hand: say so where IT looks."""
    if action.action != ActionKind.REACTIVATE or settled.outcome != "failed":
        return
    person = s.get(Person, action.person_id)
    happened(s, ctx, ReactivationEvent.FAILED, subject_type="action", subject_id=action.id,
             person_email=person.email,
             detail={"person_email": person.email, "connector": action.connector, "error_kind": settled.error_kind,
                     "detail": settled.detail, "channel": ctx.catalog.settings.it_channel}, notify=True)
