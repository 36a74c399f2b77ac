"""Submit an access request: check it against the policy, route it, and auto-approve when the
policy says so."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import RequestStatus, StepStatus
from bot.domain.errors import (
    DomainError,
    InvalidDuration,
    MissingJustification,
    NotEligible,
    NotFoundError,
    SeparationOfDuties,
)
from bot.ledger import approve, bundle_round, due, grants, reminders, routing
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.oncall import auto_approval as on_call
from bot.store.models import AccessRequest, ApprovalStep, Person
from policies import RequestFacts
from policies.durations import humanize

USE_DEFAULT = object()  # "the policy's default duration", distinct from None (= permanent)


@dataclass(frozen=True)
class Submitted:
    request: AccessRequest
    outcome: str  # "pending", "approved" (auto), "extended"
    notices: tuple[str, ...] = ()  # for the requester: why a fast path was not taken


def lookup_entitlement(catalog, ref: str):
    try:
        return catalog.entitlement(ref)
    except KeyError as exc:
        raise NotFoundError(str(exc.args[0]) if exc.args else f"Unknown entitlement {ref}.",
                            field="entitlement") from None


def require_requestable(ent) -> None:
    """``requestable: false`` (birthright-only access) is refused here, not only hidden by the pickers:
    a crafted form submission or API call reaches this operation all the same."""
    if not ent.requestable:
        raise NotEligible(f"{ent.title or ent.ref} cannot be requested: it comes only from birthright rules "
                          "or from IT.", field="entitlement")


def submit(s: Session, ctx: Ctx, *, requester: Person, entitlement: str, duration=USE_DEFAULT,
           justification: str = "", ticket: str = "", starts_at: datetime | None = None,
           bundle: str | None = None, created_by: Person | None = None,
           extension_of: int | None = None) -> Submitted:
    """``extension_of``: the grant whose Extend button asked; ``duration`` is then the extra time."""
    ent = lookup_entitlement(ctx.catalog, entitlement)
    require_requestable(ent)
    facts = directory.facts(s, requester)
    justification, ticket = justification.strip(), ticket.strip()
    chosen = ent.durations.default if duration is USE_DEFAULT else duration
    _check(s, ctx, ent, requester, facts, chosen, justification, ticket, starts_at)
    answers = on_call.answers_for(ctx, ent, requester)  # before new_request locks rows
    request = new_request(s, ctx, requester=requester, ent=ent, duration=chosen, justification=justification,
                          ticket=ticket, starts_at=starts_at, bundle=bundle, created_by=created_by,
                          extra={"extension_of": extension_of} if extension_of is not None else {})
    steps = _create_steps(s, ctx, request, ent, requester)
    approval = ent.auto_approval(facts, RequestFacts(duration=chosen, justification=justification, ticket=ticket),
                                 directory.owner_departments(s, ent.owners), answers)
    approval, notices = on_call.settle(s, ctx, request, requester, answers, approval)
    # The reason names the rule and where it is written; a long path must not overflow String(200) on PostgreSQL.
    rule = _fits(approval.reason, 190) if approval else None
    if rule is None and not steps:
        rule = "no approval required by the catalog"
    happened(s, ctx, RequestEvent.SUBMITTED, subject_type="request", subject_id=request.id,
             person_email=requester.email,
             detail={"entitlement": ent.ref, "duration_seconds": request.duration_seconds, "justification": justification,
                     "ticket": ticket, "starts_at": starts_at, "extends_grant_id": request.extends_grant_id,
                     "steps": [{"label": st.label, "quorum": st.quorum, "approver_ids": st.approver_ids,
                                "fallback": st.used_fallback} for st in steps],
                     "risk": ent.risk, "bundle": bundle},
             notify=rule is None)
    if rule is not None:
        request.auto_approved = True
        request.policy_rule = rule
        approve.close_steps(s, steps, StepStatus.APPROVED, ctx)
        approve.finalise_approved(s, ctx, request, requester, granted_by=f"auto: {rule}")
        return Submitted(request, "extended" if request.extends_grant_id else "approved", notices)
    due.schedule(s, due.LedgerKind.REQUEST_TIMEOUT, request.id, request.expires_at, now=ctx.now)
    reminders.schedule_reminder(s, ctx, request, steps[0], ent.reminder_after)
    return Submitted(request, "pending", notices)


def _fits(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def new_request(s: Session, ctx: Ctx, *, requester: Person, ent, duration: timedelta | None, justification: str,
                ticket: str, starts_at: datetime | None = None, bundle: str | None = None,
                created_by: Person | None = None, extra: dict | None = None) -> AccessRequest:
    """The request row, once checked: replaces a pending duplicate, extends access already held."""
    _supersede_duplicates(s, ctx, requester, ent.ref)
    request = AccessRequest(
        requester_id=requester.id, created_by_id=created_by.id if created_by else None, entitlement=ent.ref,
        bundle=bundle, duration_seconds=int(duration.total_seconds()) if duration else None, starts_at=starts_at,
        justification=justification, ticket=ticket, status=RequestStatus.PENDING, trigger=ctx.actor.trigger,
        created_at=ctx.now, expires_at=ctx.now + ent.request_timeout, extra=extra or {},
    )
    existing = grants.active_grant(s, requester.id, ent.ref)
    if existing is not None:
        request.extends_grant_id = existing.id
    s.add(request)
    s.flush()
    return request


def _check(s, ctx, ent, requester, facts, duration: timedelta | None, justification: str, ticket: str,
           starts_at: datetime | None) -> None:
    check_eligible(s, ent, requester, facts)
    problem = ent.durations.validate(duration)
    if problem:
        raise InvalidDuration(problem, field="duration")
    if ent.require_justification and len(justification) < 3:
        raise MissingJustification(f"{ent.title or ent.ref} needs a justification: say why you need it.",
                                   field="justification")
    if ent.require_ticket and not ticket:
        raise MissingJustification(f"{ent.title or ent.ref} needs a ticket reference.", field="ticket")
    if ticket and ent.ticket_pattern and not re.fullmatch(ent.ticket_pattern, ticket):
        raise MissingJustification(f"“{ticket}” is not a valid ticket reference (expected {ent.ticket_pattern}).",
                                   field="ticket")
    _check_start(ctx, starts_at)
    check_separation_of_duties(s, ctx, ent, requester)


def _check_start(ctx, starts_at: datetime | None) -> None:
    """A scheduled start is from now to the catalog's ``max_start_ahead`` (default 90 days) ahead."""
    if starts_at is None:
        return
    if starts_at < ctx.now - timedelta(minutes=5):
        raise InvalidDuration("The start time is in the past.", field="starts_at")
    ahead = ctx.catalog.settings.max_start_ahead
    if starts_at > ctx.now + ahead:
        latest = ctx.now + ahead
        raise InvalidDuration(f"The start time is too far ahead: access can be scheduled at most {humanize(ahead)} "
                              f"ahead (until {latest:%Y-%m-%d %H:%M} UTC).", field="starts_at")


def check_eligible(s, ent, person, facts, *, whose: str = "You are") -> None:
    """Limits no path to access may skip (approval, auto-approval, break-glass or an IT push): active, eligible.
    ``whose`` names the person in the refusal when someone else asks for them (an IT push)."""
    if not person.is_active:
        raise NotEligible(f"{person.email} is not an active employee.")
    verdict = ent.is_eligible(facts, directory.owner_departments(s, ent.owners))
    if not verdict.allowed:
        raise NotEligible(f"{whose} not eligible for {ent.title or ent.ref}: {verdict.reason}", field="entitlement")


def check_separation_of_duties(s, ctx, ent, person, *, whose: str = "You") -> None:
    """Also no path may skip: no toxic combination, no second grant beside a permanent one."""
    held = grants.held_entitlements(s, person.id) - {ent.ref}
    conflicts = ctx.catalog.sod_conflicts(held, ent.ref)
    if conflicts:
        raise SeparationOfDuties(f"{conflicts[0].describe(ent.ref)}.", field="entitlement")
    current = grants.active_grant(s, person.id, ent.ref)
    if current is not None and current.ends_at is None:
        raise DomainError(f"{whose} already hold{'' if whose == 'You' else 's'} {ent.ref} permanently.",
                          field="entitlement")


def _supersede_duplicates(s: Session, ctx: Ctx, requester: Person, ref: str) -> None:
    olds = s.scalars(select(AccessRequest).where(
        AccessRequest.requester_id == requester.id, AccessRequest.entitlement == ref,
        AccessRequest.status == RequestStatus.PENDING).with_for_update()).all()
    for old in olds:
        if old.status != RequestStatus.PENDING:
            continue  # a member of a bundle superseded with its lead, just now
        if bundle_round.lead_id(old) is not None:  # asking again for part of a pending bundle replaces the bundle
            old = s.scalar(select(AccessRequest).where(AccessRequest.id == bundle_round.lead_id(old)).with_for_update())
            if old.status != RequestStatus.PENDING:
                continue
        old.status = RequestStatus.SUPERSEDED
        old.decided_at = ctx.now
        old.version += 1
        steps = s.scalars(select(ApprovalStep).where(ApprovalStep.request_id == old.id)).all()
        approve.close_steps(s, list(steps), StepStatus.CANCELLED, ctx)
        due.cancel(s, due.LedgerKind.REQUEST_REMIND, old.id)
        due.cancel(s, due.LedgerKind.REQUEST_TIMEOUT, old.id)
        happened(s, ctx, RequestEvent.SUPERSEDED, subject_type="request", subject_id=old.id,
                 person_email=requester.email, detail={"entitlement": ref}, notify=True)
        bundle_round.close_followers(s, ctx, old, RequestStatus.SUPERSEDED)


def _create_steps(s: Session, ctx: Ctx, request: AccessRequest, ent, requester: Person) -> list[ApprovalStep]:
    return [add_step(s, ctx, request, position, routing.resolve_step(s, ctx.catalog, ent, spec, requester),
                     ent.approvals_channel)
            for position, spec in enumerate(ent.approval_steps)]


def add_step(s: Session, ctx: Ctx, request: AccessRequest, position: int, resolved: routing.ResolvedStep,
             channel: str | None) -> ApprovalStep:
    step = ApprovalStep(request_id=request.id, position=position, kind=resolved.kind, label=resolved.label,
                        quorum=resolved.quorum, approver_ids=[], used_fallback=resolved.used_fallback,
                        channel=channel, status=StepStatus.ACTIVE if position == 0 else StepStatus.WAITING,
                        activated_at=ctx.now if position == 0 else None)
    s.add(step)
    s.flush()
    routing.assign(s, step, resolved.approver_ids)
    return step
