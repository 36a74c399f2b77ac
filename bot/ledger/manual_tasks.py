"""IT marks a manual task done (or says it cannot be done). Only IT admins may."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import ActionKind, ActionStatus, GrantStatus
from bot.domain.errors import AlreadyDecided, NotAuthorized, NotFoundError
from bot.ledger import due, outcomes
from bot.ledger.authorisation import require_it_admin
from bot.ledger.context import Ctx
from bot.ledger.event_names import ProvisioningEvent, TaskEvent
from bot.ledger.events import happened
from bot.store.models import Grant, ManualTask, Person, ProvisioningAction


def complete_task(s: Session, ctx: Ctx, *, task_id: int, by: Person, done: bool, note: str = "") -> ManualTask:
    require_it_admin(ctx, by, "complete provisioning tasks")
    task = s.scalar(select(ManualTask).where(ManualTask.id == task_id).with_for_update())
    if task is None:
        raise NotFoundError(f"Task #{task_id} does not exist.")
    if task.status != "open":
        who = s.get(Person, task.completed_by_id) if task.completed_by_id else None
        raise AlreadyDecided(f"Task #{task.id} was already marked {task.status}"
                             f"{' by ' + who.email if who else ''}.")
    if not done and not note.strip():
        raise NotAuthorized("Say why it cannot be done.")
    task.status = "done" if done else "cannot"
    task.completed_by_id, task.completed_at, task.note = by.id, ctx.now, note.strip()
    due.cancel(s, due.LedgerKind.TASK_REPOST, task.id)
    action = s.get(ProvisioningAction, task.action_id)
    happened(s, ctx, TaskEvent(f"manual_task.{task.status}"), subject_type="task", subject_id=task.id,
             person_email=s.get(Person, action.person_id).email,
             detail={"action_id": action.id, "by": by.email, "note": task.note, "entitlement": action.entitlement},
             notify=True)
    if done:
        # The access exists from the moment IT made it, not since the task was posted.
        outcomes.succeeded(s, ctx, action, already=False, detail=f"done by {by.email}", access_from=ctx.now)
    else:
        outcomes.failed(s, ctx, action, error_kind="manual_refused", detail=f"{by.email}: {task.note}",
                        retryable=False)
    return task


def retry_action(s: Session, ctx: Ctx, *, action_id: str, by: Person) -> ProvisioningAction:
    """IT's Retry button on a failed provisioning or revocation."""
    require_it_admin(ctx, by, "retry provisioning")
    action = s.scalar(select(ProvisioningAction).where(ProvisioningAction.id == action_id).with_for_update())
    if action is None:
        raise NotFoundError(f"Action {action_id} does not exist.")
    if action.status not in (ActionStatus.FAILED_PERMANENT, ActionStatus.FAILED_RETRYABLE):
        raise AlreadyDecided(f"That action is {action.status.replace('_', ' ')}; nothing to retry.")
    action.status = ActionStatus.QUEUED
    action.next_attempt_at = ctx.now
    action.finished_at = None
    action.alerted = False
    grant = s.get(Grant, action.grant_id) if action.grant_id else None
    if grant is not None and grant.status == GrantStatus.FAILED and action.action == ActionKind.GRANT:
        grant.status, grant.ended_at, grant.last_error = GrantStatus.PROVISIONING, None, None
    happened(s, ctx, ProvisioningEvent.RETRY_REQUESTED, subject_type="action", subject_id=action.id,
             person_email=s.get(Person, action.person_id).email, detail={"by": by.email})
    return action

