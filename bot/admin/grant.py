"""IT pushes access to someone without an approval round (an urgent fix, a migration), or takes it
away: the one implementation behind `/access-admin grant|revoke` and the admin API.

The rules of an IT push (docs/lifecycle.md, "IT pushes access"). The push goes down the normal path
(a request row marked as pushed by the admin, then the grant, provisioning, expiry and audit as for
any approved request). It skips only what a human approval round and the request forms stand for:
the approval chain and ``requestable: false`` (IT handing out a birthright-only role is the
documented exception path). It keeps every rule that describes who may hold the access at all, as
every other path to access does (submit, auto-approval, break-glass): the person is active and
eligible, separation of duties holds, the duration fits the entitlement's bounds, a reason is given,
and nobody pushes access to themselves. There is no override: an exception to eligibility or a
separation-of-duties rule is a change to the policy, reviewed like any other, not a flag on a command.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import GrantStatus, RequestStatus
from bot.domain.errors import InvalidDuration, MissingJustification, NotFoundError, SelfApproval
from bot.ledger import approve
from bot.ledger.context import Ctx
from bot.ledger.end_grant import revoke
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.ledger.authorisation import require_it_admin
from bot.requests.submit import check_eligible, check_separation_of_duties, lookup_entitlement
from bot.store.models import AccessRequest, Grant, Person

MIN_REASON = 3
ENDABLE = (GrantStatus.SCHEDULED, GrantStatus.PROVISIONING, GrantStatus.ACTIVE, GrantStatus.REVOKE_FAILED)


def push_grant(s: Session, ctx: Ctx, *, admin: Person, person: Person, entitlement: str,
               duration: timedelta | None, reason: str) -> AccessRequest:
    """Returns the (approved) request; its ``grant_id`` is the new or extended grant. Refusals:
    NotAuthorized, SelfApproval, NotFoundError, NotEligible, InvalidDuration, MissingJustification,
    SeparationOfDuties (each a DomainError, audited by ``perform``)."""
    require_it_admin(ctx, admin, "grant access directly")
    if person.id == admin.id:
        raise SelfApproval("You cannot push access to yourself: ask for it with /access so someone else approves.")
    ent = lookup_entitlement(ctx.catalog, entitlement)
    check_eligible(s, ent, person, directory.facts(s, person), whose=f"{person.email} is")
    problem = ent.durations.validate(duration)
    if problem:
        raise InvalidDuration(problem, field="duration")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise MissingJustification("Say why (it goes to the person and the audit log).", field="justification")
    check_separation_of_duties(s, ctx, ent, person, whose=person.email)
    request = AccessRequest(
        requester_id=person.id, created_by_id=admin.id, entitlement=ent.ref,
        duration_seconds=int(duration.total_seconds()) if duration is not None else None, justification=reason,
        status=RequestStatus.PENDING, trigger=ctx.actor.trigger, created_at=ctx.now, decided_by_id=admin.id,
        decision_reason=reason, policy_rule=f"pushed by IT admin {admin.email}", extra={"admin_push": True})
    s.add(request)
    s.flush()
    happened(s, ctx, RequestEvent.ADMIN_PUSHED, subject_type="request", subject_id=request.id,
             person_email=person.email,
             detail={"entitlement": ent.ref, "duration_seconds": request.duration_seconds, "reason": reason,
                     "by": admin.email})
    approve.finalise_approved(s, ctx, request, person, granted_by=f"admin: {admin.email}")
    return request


def revoke_grant(s: Session, ctx: Ctx, *, admin: Person, grant_id: int, reason: str) -> Grant:
    """End one grant by id (the admin API); NotAuthorized unless ``admin`` is an IT admin."""
    require_it_admin(ctx, admin, "revoke access")
    return revoke(s, ctx, grant_id=grant_id, by=admin, reason=reason)


def revoke_as_admin(s: Session, ctx: Ctx, *, admin: Person, person: Person, entitlement: str,
                    reason: str = "") -> list[int]:
    """End every grant of ``entitlement`` that ``person`` holds (or is scheduled to get); the grant ids."""
    require_it_admin(ctx, admin, "revoke access")
    ids = list(s.scalars(select(Grant.id).where(Grant.person_id == person.id, Grant.entitlement == entitlement,
                                                Grant.status.in_(ENDABLE)).order_by(Grant.id)))
    if not ids:
        raise NotFoundError(f"{person.email} holds no {entitlement} that could be removed.", field="entitlement")
    why = reason.strip() or f"revoked by IT admin {admin.email}"
    for grant_id in ids:
        revoke(s, ctx, grant_id=grant_id, by=admin, reason=why)
    return ids
