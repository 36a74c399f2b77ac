"""A manual task as its card shows it: who, what, why, the instructions, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.enums import ActionKind, EndReason
from bot.slack.readmodels.request import EntitlementInfo, PersonInfo, entitlement_info
from bot.store.models import AccessRequest, Grant, ManualTask, Offboarding, Person, ProvisioningAction

END_REASONS = {
    EndReason.EXPIRED: "the access expired",
    EndReason.RELINQUISHED: "the holder gave it up",
    EndReason.REVOKED: "an admin revoked it",
    EndReason.OFFBOARDED: "the person is being offboarded",
    EndReason.POLICY: "the person's new role no longer allows it",
    EndReason.CANCELLED: "the grant was cancelled",
}


@dataclass(frozen=True)
class TaskView:
    id: int
    status: str  # open, done, cannot
    kind: str  # grant, revoke, suspend, end_sessions
    connector: str
    entitlement: EntitlementInfo | None  # None for account-wide work (suspend)
    person: PersonInfo  # whose access this is
    instructions: str
    why: str  # plain text; the renderer escapes it
    request_id: int | None
    channel: str | None  # where the card goes (the connector's task channel, else the IT channel)
    created_at: datetime
    reposts: int
    completed_by: PersonInfo | None
    completed_at: datetime | None
    note: str

    @property
    def open(self) -> bool:
        return self.status == "open"


def load_task(s: Session, catalog, task_id: int) -> TaskView | None:
    task = s.get(ManualTask, task_id)
    if task is None:
        return None
    action = s.get(ProvisioningAction, task.action_id)
    grant = s.get(Grant, action.grant_id) if action.grant_id else None
    completed_by = s.get(Person, task.completed_by_id) if task.completed_by_id else None
    return TaskView(
        id=task.id, status=task.status, kind=action.action, connector=action.connector,
        entitlement=entitlement_info(catalog, action.entitlement) if action.entitlement else None,
        person=PersonInfo.of(s.get(Person, action.person_id)), instructions=task.instructions or "",
        why=_why(s, action, grant), request_id=grant.request_id if grant else None,
        channel=task.channel or catalog.settings.it_channel, created_at=task.created_at, reposts=task.reposts,
        completed_by=PersonInfo.of(completed_by) if completed_by else None, completed_at=task.completed_at,
        note=task.note or "")


def _why(s: Session, action: ProvisioningAction, grant: Grant | None) -> str:
    if action.offboarding_id is not None:
        record = s.get(Offboarding, action.offboarding_id)
        return f"Offboarding #{record.id}" + (f": {record.reason}" if record.reason else "")
    if grant is None:
        return ""
    if action.action == ActionKind.REVOKE:
        return END_REASONS.get(grant.end_reason, grant.end_reason or "the access ended").capitalize()
    request = s.get(AccessRequest, grant.request_id) if grant.request_id else None
    if request is None:
        return f"Granted by {grant.granted_by}" if grant.granted_by else ""
    approver = s.get(Person, request.decided_by_id) if request.decided_by_id else None
    how = "approved automatically by policy" if request.auto_approved else (
        f"approved by {approver.name or approver.email}" if approver else "approved")
    reason = f": {request.justification}" if request.justification else ""
    return f"Request #{request.id}, {how}{reason}"
