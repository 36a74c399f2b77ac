"""Apply a connector's answer to the ledger: the same code for API connectors (via the runner),
manual tasks (via IT's Done / Can't do) and retries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.enums import ActionKind, ActionStatus, GrantStatus
from bot.ledger import due, grants, registry
from bot.ledger.context import Ctx
from bot.ledger.event_names import GrantEvent, ProvisioningEvent, TaskEvent
from bot.ledger.events import happened
from bot.store.models import Grant, ManualTask, Person, ProvisioningAction

# After this many failed attempts at a revocation, IT is alerted (once) and the grant shows as
# "revoke failed" everywhere; retries go on in the background.
ALERT_AFTER_ATTEMPTS = 3
MAX_GRANT_ATTEMPTS = 6
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int, hint: float | None = None) -> timedelta:
    wait = timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), MAX_BACKOFF.total_seconds()))
    return max(wait, timedelta(seconds=hint or 0))  # the target's own Retry-After always wins


def _grant_of(s: Session, action: ProvisioningAction) -> Grant | None:
    return s.get(Grant, action.grant_id) if action.grant_id else None


def succeeded(s: Session, ctx: Ctx, action: ProvisioningAction, *, already: bool, detail: str = "",
              access_from: datetime | None = None) -> None:
    """``access_from``: since when the access may exist (default: the call's first attempt, since the
    target may have applied it then; IT's Done for a manual task)."""
    action.status = ActionStatus.ALREADY if already else ActionStatus.SUCCEEDED
    if detail:  # what the target did when it is not simply what was asked (Okta: "deactivated instead")
        action.summary = detail
    action.finished_at = ctx.now
    action.lease_until = None
    action.error_kind = action.error_detail = None
    person = s.get(Person, action.person_id)
    happened(s, ctx, ProvisioningEvent.of(action.action, "done"), subject_type="action", subject_id=action.id,
             person_email=person.email,
             detail={"connector": action.connector, "target": action.target, "entitlement": action.entitlement,
                     "outcome": "already" if already else "applied", "attempts": action.attempts, "detail": detail,
                     "offboarding_id": action.offboarding_id},
             notify=action.offboarding_id is not None)
    registry.action_settled(s, ctx, action, registry.Settled("done"))
    grant = _grant_of(s, action)
    if grant is None:
        return
    if action.action == ActionKind.GRANT:
        entitlement = _entitlement(ctx, grant.entitlement)
        grants.activate(s, ctx, grant, entitlement, person.email,
                        access_from=access_from or action.first_attempt_at or ctx.now)
    elif action.action == ActionKind.REVOKE:
        grants.finish_end(s, ctx, grant, person_email=person.email)


def skipped(s: Session, ctx: Ctx, action: ProvisioningAction, *, reason: str) -> None:
    """Nothing to send after all (e.g. a reactivation of an account accessbot did not suspend)."""
    action.status, action.summary = ActionStatus.SKIPPED, reason
    action.finished_at, action.lease_until = ctx.now, None
    person = s.get(Person, action.person_id)
    happened(s, ctx, ProvisioningEvent.of(action.action, "skipped"), subject_type="action", subject_id=action.id,
             person_email=person.email, detail={"connector": action.connector, "reason": reason})
    registry.action_settled(s, ctx, action, registry.Settled("skipped", detail=reason))


def pending(s: Session, ctx: Ctx, action: ProvisioningAction, *, target_ref: str | None, detail: str,
            manual_channel: str | None = None, repost_after: timedelta | None = None,
            poll_after: timedelta = timedelta(seconds=30)) -> None:
    first_time = action.status != ActionStatus.PENDING_EXTERNAL
    action.status = ActionStatus.PENDING_EXTERNAL
    action.target_ref = target_ref or action.target_ref
    action.lease_until = None
    person = s.get(Person, action.person_id)
    if manual_channel is not None or repost_after is not None:
        if first_time:
            task = ManualTask(action_id=action.id, channel=manual_channel, instructions=detail, created_at=ctx.now)
            s.add(task)
            s.flush()
            if repost_after:
                due.schedule(s, due.LedgerKind.TASK_REPOST, task.id, ctx.now + repost_after, now=ctx.now)
            happened(s, ctx, TaskEvent.OPENED, subject_type="task", subject_id=task.id,
                     person_email=person.email,
                     detail={"action_id": action.id, "kind": action.action, "entitlement": action.entitlement,
                             "connector": action.connector, "channel": manual_channel}, notify=True)
        return
    due.schedule(s, due.LedgerKind.ACTION_POLL, action.id, ctx.now + poll_after, now=ctx.now)
    if first_time:
        happened(s, ctx, ProvisioningEvent.of(action.action, "pending"), subject_type="action", subject_id=action.id,
                 person_email=person.email,
                 detail={"connector": action.connector, "target_ref": target_ref, "detail": detail})


def failed(s: Session, ctx: Ctx, action: ProvisioningAction, *, error_kind: str, detail: str, retryable: bool,
           http_status: int | None = None, retry_after: float | None = None) -> None:
    action.error_kind, action.error_detail, action.last_http_status = error_kind, detail, http_status
    action.lease_until = None
    person = s.get(Person, action.person_id)
    grant = _grant_of(s, action)
    give_up = not retryable or (action.action == ActionKind.GRANT and action.attempts >= MAX_GRANT_ATTEMPTS)
    if give_up:
        action.status = ActionStatus.FAILED_PERMANENT
        action.finished_at = ctx.now
    else:
        action.status = ActionStatus.FAILED_RETRYABLE
        action.next_attempt_at = ctx.now + backoff(action.attempts, retry_after)
    happened(s, ctx, ProvisioningEvent.of(action.action, "failed"), subject_type="action", subject_id=action.id,
             person_email=person.email,
             detail={"connector": action.connector, "target": action.target, "error_kind": error_kind,
                     "detail": detail, "attempts": action.attempts, "final": give_up,
                     "next_attempt_at": None if give_up else action.next_attempt_at,
                     "offboarding_id": action.offboarding_id},
             notify=action.offboarding_id is not None and give_up)
    if give_up:
        registry.action_settled(s, ctx, action, registry.Settled("failed", error_kind, detail))
    if grant is None:
        return
    if action.action == ActionKind.GRANT and give_up and grant.status == GrantStatus.PROVISIONING:
        grant.status = GrantStatus.FAILED
        grant.last_error = detail
        grant.ended_at = ctx.now
        happened(s, ctx, GrantEvent.FAILED, subject_type="grant", subject_id=grant.id, person_email=person.email,
                 detail={"entitlement": grant.entitlement, "error_kind": error_kind, "detail": detail}, notify=True)
    elif action.action == ActionKind.REVOKE and (give_up or action.attempts >= ALERT_AFTER_ATTEMPTS):
        grant.last_error = detail
        if grant.status == GrantStatus.REVOKING:
            grant.status = GrantStatus.REVOKE_FAILED
        if not action.alerted:
            action.alerted = True
            happened(s, ctx, GrantEvent.REVOKE_FAILED, subject_type="grant", subject_id=grant.id,
                     person_email=person.email,
                     detail={"entitlement": grant.entitlement, "connector": action.connector, "action_id": action.id,
                             "error_kind": error_kind, "detail": detail, "attempts": action.attempts,
                             "retrying": not give_up},
                     notify=True)


def _entitlement(ctx: Ctx, ref: str):
    try:
        return ctx.catalog.entitlement(ref)
    except KeyError:
        return None  # removed from the catalog since: the grant still ends, without warnings
