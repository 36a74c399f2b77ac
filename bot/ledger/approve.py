"""What an approved request turns into: a new grant, or an extension of the grant the person
already holds for the same entitlement (never a duplicate)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.domain.enums import RequestStatus, StepStatus
from bot.ledger import due, grants
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.store.models import AccessRequest, ApprovalStep, Grant, Person


def finalise_approved(s: Session, ctx: Ctx, request: AccessRequest, requester: Person, granted_by: str,
                      *, notify: bool = True) -> None:
    """``notify`` False: a bundle's member, announced by its lead's card."""
    entitlement = ctx.catalog.entitlement(request.entitlement)
    request.status = RequestStatus.APPROVED
    request.decided_at = ctx.now
    due.cancel_kinds(s, (due.LedgerKind.REQUEST_REMIND, due.LedgerKind.REQUEST_TIMEOUT), request.id)
    duration = timedelta(seconds=request.duration_seconds) if request.duration_seconds is not None else None
    existing = grants.active_grant(s, requester.id, request.entitlement)
    starts_later = request.starts_at is not None and request.starts_at > ctx.now
    if existing is not None and not starts_later:
        new_end = _extended_end(ctx, request, existing, duration, entitlement)
        if existing.ends_at is not None:
            grants.extend_to(s, ctx, existing, new_end, entitlement, person_email=requester.email,
                             request_id=request.id, reason=request.justification)
        request.grant_id = existing.id
        outcome = "extended"
    else:
        grant = grants.create(s, ctx, person=requester, entitlement=entitlement, duration=duration,
                              starts_at=request.starts_at, request=request, granted_by=granted_by)
        request.grant_id = grant.id
        outcome = "granted"
    happened(s, ctx, RequestEvent.APPROVED, subject_type="request", subject_id=request.id,
             person_email=requester.email,
             detail={"entitlement": request.entitlement, "outcome": outcome, "granted_by": granted_by,
                     "auto_approved": request.auto_approved, "policy_rule": request.policy_rule,
                     "grant_id": request.grant_id},
             notify=notify)


def _extended_end(ctx: Ctx, request: AccessRequest, existing: Grant, duration: timedelta | None, entitlement):
    if duration is None:
        return None
    if (request.extra or {}).get("extension_of") != existing.id or existing.ends_at is None:
        return ctx.now + duration
    # The Extend button asked for more time on top of the current end: approval latency neither
    # adds to it nor eats it, and the maximum (from now) still caps it.
    maximum = entitlement.durations.maximum
    end = existing.ends_at + duration
    return end if maximum is None else min(end, ctx.now + maximum)


def close_steps(s: Session, steps: list[ApprovalStep], status: StepStatus, ctx: Ctx) -> None:
    for step in steps:
        if step.status in (StepStatus.WAITING, StepStatus.ACTIVE):
            step.status = status
            step.decided_at = ctx.now
