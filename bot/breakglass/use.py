"""Break glass: provision at once without approval, inside every limit a request has.

The budget is counted under a lock on the person's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
takes its single write lock at BEGIN), so two simultaneous uses by one person are serialised and the
second one counts the first: a budget of one cannot be passed twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.breakglass import events
from bot.breakglass.errors import BreakGlassNotAllowed, BreakGlassNotEligible, BudgetExhausted, ReviewOverdue
from bot.breakglass.timers import BreakGlassKind
from bot.directory import service as directory
from bot.domain.enums import RequestStatus
from bot.domain.errors import DomainError, InvalidDuration, MissingJustification
from bot.ledger import approve, due, grants, routing
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.requests.submit import check_eligible, check_separation_of_duties, lookup_entitlement, require_requestable
from bot.store.models import AccessRequest, BreakGlassUse, Person
from policies import ApprovalStepSpec, durations

REVIEW_DUE = BreakGlassKind.REVIEW_DUE
MIN_REASON = 10


@dataclass(frozen=True)
class Outlook:
    """What the person is told before confirming: what they may take and what will happen."""

    max_duration: timedelta
    uses_left: int
    budget_uses: int
    budget_period: timedelta
    require_ticket: bool
    ticket_pattern: str | None
    told: tuple[str, ...]  # sentences: "the approvers of …", "the IT/security channel", "your manager Dana"
    reviewers: tuple[str, ...]  # names
    review_within: timedelta


@dataclass(frozen=True)
class Used:
    use: BreakGlassUse
    request: AccessRequest


def outlook(s: Session, ctx: Ctx, *, person: Person, entitlement: str) -> Outlook:
    """Raises the refusal a use would get now (not allowed, not eligible, budget, overdue review)."""
    ent = lookup_entitlement(ctx.catalog, entitlement)
    policy = _allowed(s, ctx, ent, person)
    left = policy.budget_uses - _uses_in_period(s, ctx, person, ent, policy)
    reviewers = _reviewers(s, ctx, ent, policy, person)
    manager = directory.manager_of(s, person)
    told = []
    if "approvers" in policy.notify and ent.approval_steps:
        told.append("the approvers of " + ent.label)
    if "it_channel" in policy.notify:
        told.append("the IT/security channel" if policy.channel or ctx.catalog.settings.it_channel
                    else "the IT admins")
    if "manager" in policy.notify and manager is not None:
        told.append(f"your manager {manager.name}")
    return Outlook(longest(ent, policy), left, policy.budget_uses, policy.budget_period, policy.require_ticket,
                   policy.ticket_pattern, tuple(told), tuple(p.name for p in reviewers), policy.review_within)


def break_glass(s: Session, ctx: Ctx, *, person: Person, entitlement: str, duration: timedelta | None,
                reason: str, ticket: str = "") -> Used:
    """``duration`` None: the policy's maximum."""
    ent = lookup_entitlement(ctx.catalog, entitlement)
    _lock_person(s, person)
    policy = _allowed(s, ctx, ent, person)
    reason, ticket = reason.strip(), ticket.strip()
    maximum = longest(ent, policy)
    chosen = duration or maximum
    if chosen <= timedelta() or chosen > maximum:
        raise InvalidDuration(f"Break-glass access to {ent.label} lasts at most {durations.humanize(maximum)}.",
                              field="duration")
    if len(reason) < MIN_REASON:
        raise MissingJustification("Say what the emergency is (at least a sentence): your reviewers read it.",
                                   field="justification")
    if policy.require_ticket and not ticket:
        raise MissingJustification("Break-glass access to this needs an incident or ticket reference.", field="ticket")
    if ticket and policy.ticket_pattern and not re.fullmatch(policy.ticket_pattern, ticket):
        raise MissingJustification(f"“{ticket}” is not a valid reference (expected {policy.ticket_pattern}).",
                                   field="ticket")
    skipped = _approvers_skipped(s, ctx, ent, person)
    request = AccessRequest(
        requester_id=person.id, entitlement=ent.ref, duration_seconds=int(chosen.total_seconds()),
        justification=reason, ticket=ticket, status=RequestStatus.PENDING, trigger=ctx.actor.trigger,
        created_at=ctx.now, auto_approved=True, policy_rule="break-glass", extra={"break_glass": True})
    s.add(request)
    s.flush()
    happened(s, ctx, RequestEvent.SUBMITTED, subject_type="request", subject_id=request.id,
             person_email=person.email,
             detail={"entitlement": ent.ref, "duration_seconds": request.duration_seconds, "justification": reason,
                     "ticket": ticket, "break_glass": True, "steps": [], "risk": ent.risk})
    approve.finalise_approved(s, ctx, request, person, granted_by=f"break-glass: {person.email}")
    reviewers = _reviewers(s, ctx, ent, policy, person)
    manager = directory.manager_of(s, person)
    notified = set(skipped) if "approvers" in policy.notify else set()
    if "manager" in policy.notify and manager is not None:
        notified.add(manager.id)
    notified.discard(person.id)
    ends_at = ctx.now + chosen
    use = BreakGlassUse(person_id=person.id, entitlement=ent.ref, request_id=request.id, grant_id=request.grant_id,
                        reason=reason, ticket=ticket, used_at=ctx.now, ends_at=ends_at,
                        review_due_at=ends_at + policy.review_within, reviewer_ids=[p.id for p in reviewers],
                        notified_ids=sorted(notified), verdict="", review_reason="")
    s.add(use)
    s.flush()
    due.schedule(s, REVIEW_DUE, use.id, use.review_due_at, now=ctx.now)
    happened(s, ctx, events.USED, subject_type="break_glass", subject_id=use.id, person_email=person.email,
             detail={"entitlement": ent.ref, "request_id": request.id, "grant_id": request.grant_id,
                     "policy_bypassed": True, "approvers_skipped": sorted(skipped), "reason": reason,
                     "ticket": ticket, "duration_seconds": request.duration_seconds, "ends_at": ends_at,
                     "review_due_at": use.review_due_at, "reviewer_ids": use.reviewer_ids,
                     "notified_ids": use.notified_ids, "notify_it": "it_channel" in policy.notify,
                     "channel": policy.channel},
             notify=True)
    return Used(use, request)


def longest(ent, policy) -> timedelta:
    """The policy's maximum, never beyond the entitlement's own."""
    own = ent.durations.maximum
    return policy.max_duration if own is None else min(own, policy.max_duration)


def channel_of(ctx: Ctx, entitlement: str) -> str | None:
    """The IT/security channel of ``entitlement``'s break-glass policy (None: the catalog's IT channel)."""
    ent = ctx.catalog.entitlements.get(entitlement)
    return ent.break_glass.channel if ent is not None and ent.break_glass is not None else None


def _allowed(s: Session, ctx: Ctx, ent, person: Person):
    require_requestable(ent)
    policy = ent.break_glass
    if policy is None:
        raise BreakGlassNotAllowed(f"{ent.label} has no break-glass path: request it for approval instead.",
                                   field="entitlement")
    facts = directory.facts(s, person)
    check_eligible(s, ent, person, facts)
    verdict = ent.may_break_glass(facts, directory.owner_departments(s, ent.owners))
    if not verdict.allowed:
        raise BreakGlassNotEligible(f"You may not break glass for {ent.label}: {verdict.reason}", field="entitlement")
    check_separation_of_duties(s, ctx, ent, person)
    if policy.block_when_overdue:
        overdue = s.scalar(select(BreakGlassUse).where(
            BreakGlassUse.person_id == person.id, BreakGlassUse.verdict == "",
            BreakGlassUse.review_due_at < ctx.now).order_by(BreakGlassUse.id).limit(1))
        if overdue is not None:
            raise ReviewOverdue(f"Your break-glass use #{overdue.id} ({overdue.entitlement}) is past its review "
                                "deadline and not reviewed yet: ask your reviewer to review it first.",
                                field="entitlement")
    used = _uses_in_period(s, ctx, person, ent, policy)
    if used >= policy.budget_uses:
        raise BudgetExhausted(f"You have used break-glass for {ent.label} {used} time(s) in the last "
                              f"{durations.humanize(policy.budget_period)} (the budget is {policy.budget_uses}): "
                              "request it for approval instead.", field="entitlement")
    if grants.live_grants(s, person.id, ent.ref):  # an emergency grant would only move its end, perhaps sooner
        raise DomainError(f"You already hold {ent.label}; nothing to break glass for.", field="entitlement")
    return policy


def _uses_in_period(s: Session, ctx: Ctx, person: Person, ent, policy) -> int:
    return s.scalar(select(func.count()).select_from(BreakGlassUse).where(
        BreakGlassUse.person_id == person.id, BreakGlassUse.entitlement == ent.ref,
        BreakGlassUse.used_at > ctx.now - policy.budget_period)) or 0


def _lock_person(s: Session, person: Person) -> None:
    s.execute(select(Person.id).where(Person.id == person.id).with_for_update())


def _approvers_skipped(s: Session, ctx: Ctx, ent, person: Person) -> list[int]:
    ids: set[int] = set()
    for spec in ent.approval_steps:
        try:
            ids.update(routing.resolve_step(s, ctx.catalog, ent, spec, person).approver_ids)
        except DomainError:  # a step nobody can approve skips nobody
            continue
    return sorted(ids)


def _reviewers(s: Session, ctx: Ctx, ent, policy, person: Person) -> list[Person]:
    spec = ApprovalStepSpec(policy.review_by, 1, list(policy.review_people))
    try:
        ids = routing.resolve_step(s, ctx.catalog, ent, spec, person).approver_ids
    except DomainError:
        ids = []
    return [s.get(Person, i) for i in ids]

