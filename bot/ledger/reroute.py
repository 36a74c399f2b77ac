"""Move pending approvals to the right people when the directory changes under them.

Two cases: an approver leaves (their waiting steps go to the step's other approvers or the
catalog's fallback), and someone's manager changes (their manager steps, and their reports'
manager-of-manager steps, go to the new chain). Steps are re-resolved with the same rules as at
submission (``routing.resolve_step``), excluding whoever decided an earlier step, so the
two-person rule still holds. Votes already cast on the step stay counted.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import RequestStatus, StepStatus
from bot.ledger import bundle_round, routing
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.store.models import AccessRequest, ApprovalStep, Decision, Person

MANAGER_KINDS = ("manager", "manager_of_manager")


def away_from(s: Session, ctx: Ctx, leaver: Person, *, reason: str) -> list[int]:
    """Re-route every active step waiting on ``leaver``; returns the request ids moved."""
    steps = _active_steps(s)
    waiting = [st for st in steps if leaver.id in (st.approver_ids or [])]
    return [st.request_id for st in waiting if _reroute(s, ctx, st, {leaver.id}, reason)]


def after_manager_change(s: Session, ctx: Ctx, person: Person, *, reason: str) -> list[int]:
    """Re-route manager steps of ``person``'s requests and manager-of-manager steps of their reports'."""
    reports = set(s.scalars(select(Person.id).where(Person.manager_id == person.id)))
    moved = []
    for step in _active_steps(s):
        if step.kind not in MANAGER_KINDS:
            continue
        requester_id = s.get(AccessRequest, step.request_id).requester_id
        concerned = requester_id == person.id or (step.kind == "manager_of_manager" and requester_id in reports)
        if concerned and _reroute(s, ctx, step, set(), reason):
            moved.append(step.request_id)
    return moved


def _active_steps(s: Session) -> list[ApprovalStep]:
    return list(s.scalars(
        select(ApprovalStep).join(AccessRequest, AccessRequest.id == ApprovalStep.request_id)
        .where(ApprovalStep.status == StepStatus.ACTIVE, AccessRequest.status == RequestStatus.PENDING)
        .order_by(ApprovalStep.request_id)))


def _reroute(s: Session, ctx: Ctx, step: ApprovalStep, exclude: set[int], reason: str) -> bool:
    request = s.get(AccessRequest, step.request_id)
    requester = s.get(Person, request.requester_id)
    decisions = list(s.scalars(select(Decision).where(Decision.request_id == request.id)))
    voted_here = [d.approver_id for d in decisions if d.step_id == step.id]
    earlier = {d.approver_id for d in decisions if d.step_id != step.id}
    before = list(step.approver_ids or [])
    try:
        entitlement, spec = bundle_round.step_spec(ctx.catalog, request, step.position)
        resolved = routing.resolve_step(s, ctx.catalog, entitlement, spec, requester, exclude=exclude | earlier)
    except (KeyError, IndexError, routing.NoApprovers) as error:
        happened(s, ctx, RequestEvent.REROUTE_FAILED, subject_type="request", subject_id=request.id,
                 person_email=requester.email,
                 detail={"step": step.position, "step_label": step.label, "reason": reason,
                         "error": str(error), "channel": ctx.catalog.settings.it_channel}, notify=True)
        return False
    after = resolved.approver_ids + [i for i in voted_here if i not in resolved.approver_ids]
    if after == before:
        return False
    step.approver_ids, step.used_fallback = after, resolved.used_fallback
    step.reminders_sent = 0
    request.version += 1
    happened(s, ctx, RequestEvent.REROUTED, subject_type="request", subject_id=request.id,
             person_email=requester.email,
             detail={"step": step.position, "step_label": step.label, "from_ids": before, "to_ids": after,
                     "added_ids": [i for i in after if i not in before], "fallback": resolved.used_fallback,
                     "reason": reason, "entitlement": request.entitlement}, notify=True)
    return True
