"""The members of a bundle request: one decision, taken on the lead, is every member's.

A bundle request is one ``AccessRequest`` per entitlement (each keeps its own duration, grant and
audit trail), all with ``extra["bundle_lead"]`` naming the first of them, the lead. Only the lead
has approval steps, a card, reminders and a timeout; ``extra["bundle_steps"]`` says, for each of its
steps, which member's step it is (``[ref, index in that entitlement's approval chain]``), so a step
activated later is re-resolved by that entitlement's own rule.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import RequestStatus
from bot.ledger import approve
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.store.models import AccessRequest, Person


def lead_id(request: AccessRequest) -> int | None:
    return (request.extra or {}).get("bundle_lead")


def is_follower(request: AccessRequest) -> bool:
    """A member that is not the lead: it is decided through the lead only."""
    lead = lead_id(request)
    return lead is not None and lead != request.id


def followers(s: Session, lead: AccessRequest, *, pending_only: bool = True) -> list[AccessRequest]:
    ids = [i for i in (lead.extra or {}).get("bundle_members", []) if i != lead.id]
    if not ids:
        return []
    query = select(AccessRequest).where(AccessRequest.id.in_(ids)).order_by(AccessRequest.id)
    if pending_only:
        query = query.where(AccessRequest.status == RequestStatus.PENDING)
    return list(s.scalars(query.with_for_update()))


def step_spec(catalog, request: AccessRequest, position: int):
    """(entitlement, approval step spec) behind step ``position`` of ``request``."""
    chain = (request.extra or {}).get("bundle_steps")
    if chain:
        ref, index = chain[position]
        ent = catalog.entitlement(ref)
        return ent, ent.approval_steps[index]
    ent = catalog.entitlement(request.entitlement)
    return ent, ent.approval_steps[position]


def approve_followers(s: Session, ctx: Ctx, lead: AccessRequest, requester: Person, granted_by: str) -> None:
    for member in followers(s, lead):
        member.decided_by_id, member.auto_approved, member.policy_rule = (lead.decided_by_id, lead.auto_approved,
                                                                         lead.policy_rule)
        member.version += 1
        approve.finalise_approved(s, ctx, member, requester, granted_by=granted_by, notify=False)


def close_followers(s: Session, ctx: Ctx, lead: AccessRequest, status: RequestStatus) -> None:
    """Deny, cancel, time out or supersede every member still pending along with the lead."""
    requester = s.get(Person, lead.requester_id)
    for member in followers(s, lead):
        member.status, member.decided_at, member.version = status, ctx.now, member.version + 1
        member.decided_by_id, member.decision_reason = lead.decided_by_id, lead.decision_reason
        happened(s, ctx, RequestEvent.for_status(status), subject_type="request", subject_id=member.id,
                 person_email=requester.email,
                 detail={"entitlement": member.entitlement, "bundle": member.bundle, "bundle_request": lead.id,
                         "reason": lead.decision_reason})
