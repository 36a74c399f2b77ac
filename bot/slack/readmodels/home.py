"""What one person's App Home shows: their access, their pending requests, and what waits on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from bot.domain.enums import GrantStatus, RequestStatus, StepStatus
from bot.ledger import bundle_round
from bot.slack.readmodels.request import EntitlementInfo, PersonInfo, entitlement_info, request_info
from bot.slack.readmodels.review import open_reviews
from bot.store.models import AccessRequest, ApprovalStep, Decision, Grant, Person

SHOWN_GRANT_STATUSES = (GrantStatus.SCHEDULED, GrantStatus.PROVISIONING, GrantStatus.ACTIVE, GrantStatus.REVOKING,
                        GrantStatus.REVOKE_FAILED)
SECTIONS = ("grants", "requests", "approvals")
DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class HomeGrant:
    id: int
    entitlement: EntitlementInfo
    status: str
    starts_at: datetime
    ends_at: datetime | None
    extend_choices: tuple[timedelta, ...]  # what Extend offers now (empty: no Extend button)


@dataclass(frozen=True)
class HomeRequest:
    id: int
    entitlement: EntitlementInfo
    duration: timedelta | None
    created_at: datetime
    waiting_for: str


@dataclass(frozen=True)
class HomeApproval:
    request_id: int
    requester: PersonInfo
    entitlement: EntitlementInfo
    duration: timedelta | None
    justification: str
    step_label: str
    created_at: datetime


@dataclass(frozen=True)
class HomeModel:
    person: PersonInfo
    grants: tuple[HomeGrant, ...]
    requests: tuple[HomeRequest, ...]
    approvals: tuple[HomeApproval, ...]
    limits: dict[str, int] = field(default_factory=dict)
    reviews: tuple = ()  # readmodels.review.HomeReview: open access reviews with items for this person

    def limit(self, section: str) -> int:
        return self.limits.get(section, DEFAULT_LIMIT)


def load_home(s: Session, catalog, person_id: int, *, now: datetime,
              limits: dict[str, int] | None = None) -> HomeModel | None:
    person = s.get(Person, person_id)
    if person is None:
        return None
    return HomeModel(PersonInfo.of(person), _grants(s, catalog, person_id, now), _requests(s, catalog, person_id),
                     _approvals(s, catalog, person_id), dict(limits or {}), open_reviews(s, person_id))


def _grants(s: Session, catalog, person_id: int, now: datetime) -> tuple[HomeGrant, ...]:
    rows = s.scalars(select(Grant).where(Grant.person_id == person_id, Grant.status.in_(SHOWN_GRANT_STATUSES))
                     .order_by(Grant.id))
    grants = [HomeGrant(g.id, entitlement_info(catalog, g.entitlement), g.status, g.starts_at, g.ends_at,
                        extend_choices(catalog, g, now)) for g in rows]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return tuple(sorted(grants, key=lambda g: (g.ends_at or far, g.id)))


def extend_choices(catalog, grant: Grant, now: datetime) -> tuple[timedelta, ...]:
    if grant.status != GrantStatus.ACTIVE or grant.ends_at is None:
        return ()
    try:
        entitlement = catalog.entitlement(grant.entitlement)
    except KeyError:
        return ()
    if not entitlement.requestable:
        return ()  # birthright-only: extend refuses it, so no button offers it
    durations = entitlement.durations
    maximum = durations.maximum
    return tuple(c for c in durations.choices if maximum is None or grant.ends_at + c - now <= maximum)


def approver_among(s: Session, person_id: int):
    """SQL for "person_id is in approval_steps.approver_ids" (a JSON list): the Home is redrawn after every
    decision, so it must not read every pending step of the company to find one person's."""
    if s.get_bind().dialect.name == "postgresql":
        return ApprovalStep.approver_ids.cast(JSONB).contains([person_id])
    members = func.json_each(ApprovalStep.approver_ids).table_valued("value")
    return select(members.c.value).where(members.c.value == person_id).exists()


def _requests(s: Session, catalog, person_id: int) -> tuple[HomeRequest, ...]:
    rows = s.execute(select(AccessRequest, ApprovalStep.label)
                     .outerjoin(ApprovalStep, (ApprovalStep.request_id == AccessRequest.id)
                                & (ApprovalStep.status == StepStatus.ACTIVE))
                     .where(AccessRequest.requester_id == person_id, AccessRequest.status == RequestStatus.PENDING)
                     .order_by(AccessRequest.id.desc())).all()
    return tuple(HomeRequest(request.id, request_info(catalog, request), _duration(request),
                             request.created_at, label or "approval")
                 for request, label in rows if not bundle_round.is_follower(request))  # a bundle is one row


def _approvals(s: Session, catalog, person_id: int) -> tuple[HomeApproval, ...]:
    rows = s.execute(select(ApprovalStep, AccessRequest, Person)
                     .join(AccessRequest, AccessRequest.id == ApprovalStep.request_id)
                     .join(Person, Person.id == AccessRequest.requester_id)
                     .where(ApprovalStep.status == StepStatus.ACTIVE, AccessRequest.status == RequestStatus.PENDING,
                            approver_among(s, person_id))
                     .order_by(AccessRequest.id)).all()
    mine = [row for row in rows if person_id in (row[0].approver_ids or [])]
    voted = set(s.scalars(select(Decision.step_id).where(Decision.approver_id == person_id,
                                                         Decision.step_id.in_([step.id for step, _, _ in mine]))))
    return tuple(HomeApproval(request.id, PersonInfo.of(requester), request_info(catalog, request),
                              _duration(request), request.justification or "", step.label, request.created_at)
                 for step, request, requester in mine if step.id not in voted)


def _duration(request: AccessRequest) -> timedelta | None:
    return timedelta(seconds=request.duration_seconds) if request.duration_seconds is not None else None
