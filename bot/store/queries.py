"""Hot reads, named by intent. Each is backed by an index (see the models)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import GrantStatus, LIVE_GRANT_STATUSES, RequestStatus, StepStatus
from bot.store.models import AccessRequest, ApprovalStep, ApprovalStepApprover, Grant


def pending_for_approver(s: Session, person_id: int) -> list[tuple[AccessRequest, ApprovalStep]]:
    """Requests whose current step this person may decide (and has not decided yet is the caller's
    concern: a voter of an N-of-M step still sees it until the step closes)."""
    rows = s.execute(
        select(AccessRequest, ApprovalStep)
        .join(ApprovalStep, ApprovalStep.request_id == AccessRequest.id)
        .join(ApprovalStepApprover, ApprovalStepApprover.step_id == ApprovalStep.id)
        .where(ApprovalStepApprover.person_id == person_id, ApprovalStep.status == StepStatus.ACTIVE,
               AccessRequest.status == RequestStatus.PENDING)
        .order_by(AccessRequest.created_at)).all()
    return [(request, step) for request, step in rows]


def pending_of_requester(s: Session, person_id: int) -> list[AccessRequest]:
    return list(s.scalars(select(AccessRequest).where(AccessRequest.requester_id == person_id,
                                                      AccessRequest.status == RequestStatus.PENDING)
                          .order_by(AccessRequest.created_at)))


def active_grants_of(s: Session, person_id: int) -> list[Grant]:
    """Grants that give (or may still give) the person access, oldest first."""
    return list(s.scalars(select(Grant).where(Grant.person_id == person_id,
                                              Grant.status.in_((*LIVE_GRANT_STATUSES, GrantStatus.SCHEDULED)))
                          .order_by(Grant.id)))


def grants_due_before(s: Session, moment: datetime, limit: int = 1000) -> list[Grant]:
    return list(s.scalars(select(Grant).where(Grant.status == GrantStatus.ACTIVE, Grant.ends_at <= moment)
                          .order_by(Grant.ends_at).limit(limit)))
