"""IT's direct hand on someone's access (``/access-admin grants|grant|revoke``, the admin API).

A push skips the approval chain, not the policy: the person must be active and eligible, the
duration must fit the entitlement, separation-of-duties rules still hold, a reason is required,
and nobody pushes access to themselves. Every push and revocation is audited with its reason and
announced (outbox) like any other grant.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import LIVE_GRANT_STATUSES, GrantStatus
from bot.domain.errors import (
    InvalidDuration,
    InvalidState,
    MissingJustification,
    NotEligible,
    SelfApproval,
    SeparationOfDuties,
)
from bot.ledger import end_grant, grants
from bot.ledger.context import Ctx
from bot.ledger.event_names import GrantEvent
from bot.ledger.events import happened
from bot.ledger.manual_tasks import require_it_admin
from bot.requests.submit import USE_DEFAULT, lookup_entitlement
from bot.store.models import Grant, Person


def grants_of(s: Session, person: Person) -> list[Grant]:
    """What ``person`` holds or will hold, oldest first."""
    statuses = (*LIVE_GRANT_STATUSES, GrantStatus.SCHEDULED)
    return list(s.scalars(select(Grant).where(Grant.person_id == person.id, Grant.status.in_(statuses))
                          .order_by(Grant.id)))


def push_grant(s: Session, ctx: Ctx, *, admin: Person, person: Person, entitlement: str, reason: str,
               duration=USE_DEFAULT, starts_at: datetime | None = None) -> Grant:
    require_it_admin(ctx, admin, "push access")
    if admin.id == person.id:
        raise SelfApproval("Nobody pushes access to themselves: ask another IT admin, or request it.")
    if not reason.strip():
        raise MissingJustification("Say why this access is pushed without approval.", field="reason")
    ent = lookup_entitlement(ctx.catalog, entitlement)
    verdict = ent.is_eligible(directory.facts(s, person), directory.owner_departments(s, ent.owners))
    if not verdict.allowed:
        raise NotEligible(f"{person.email} is not eligible for {ent.label}: {verdict.reason}", field="entitlement")
    chosen = ent.durations.default if duration is USE_DEFAULT else duration
    problem = ent.durations.validate(chosen)
    if problem:
        raise InvalidDuration(problem, field="duration")
    held = grants.held_entitlements(s, person.id) - {ent.ref}
    conflicts = ctx.catalog.sod_conflicts(held, ent.ref)
    if conflicts:
        c = conflicts[0]
        raise SeparationOfDuties(f"{person.email} holds {', '.join(e for e in c.entitlements if e != ent.ref)}, "
                                 f"which cannot go with {ent.ref} ({c.name}: {c.reason}).", field="entitlement")
    current = grants.active_grant(s, person.id, ent.ref)
    if current is not None:
        until = f"until {current.ends_at:%Y-%m-%d %H:%M} UTC" if current.ends_at else "permanently"
        raise InvalidState(f"{person.email} already holds {ent.ref} {until} (grant #{current.id}).")
    grant = grants.create(s, ctx, person=person, entitlement=ent, duration=chosen, starts_at=starts_at,
                          request=None, granted_by=f"admin: {admin.email}")
    happened(s, ctx, GrantEvent.PUSHED, subject_type="grant", subject_id=grant.id, person_email=person.email,
             detail={"entitlement": ent.ref, "by": admin.email, "reason": reason.strip(),
                     "duration_seconds": grant.duration_seconds}, notify=True)
    return grant


def revoke_grant(s: Session, ctx: Ctx, *, admin: Person, grant_id: int, reason: str) -> Grant:
    require_it_admin(ctx, admin, "revoke access")
    if not reason.strip():
        raise MissingJustification("Say why this access is revoked.", field="reason")
    return end_grant.revoke(s, ctx, grant_id=grant_id, by=admin, reason=reason.strip())
