"""An approver's decision on the current step of a request.

Refusals, each raised so every front end refuses alike: the requester deciding their own
request, someone who is not an approver of the current step, a second vote by the same person,
a person who approved an earlier step voting again (two-person rule), and any decision on a
request that is no longer pending (compare-and-set on the request's version).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.domain.enums import RequestStatus, StepStatus, Verdict
from bot.domain.errors import AlreadyDecided, MissingJustification, NotAuthorized, NotFoundError, SelfApproval
from bot.ledger import approve, bundle_round, due, reminders, routing
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.store.models import AccessRequest, ApprovalStep, Decision, Person

# Spelt out, not built from the verdict: "deny" + "d" once wrote request.step_denyd, which nothing
# subscribed to, so a denied step never redrew the cards and the audit log recorded a misspelt action.
STEP_EVENT = {Verdict.APPROVE: RequestEvent.STEP_APPROVED, Verdict.DENY: RequestEvent.STEP_DENIED}


@dataclass(frozen=True)
class Decided:
    request: AccessRequest
    step: ApprovalStep
    final: bool  # the request left "pending" with this decision


def load_request(s: Session, request_id: int, *, lock: bool = True) -> AccessRequest:
    query = select(AccessRequest).where(AccessRequest.id == request_id)
    request = s.scalar(query.with_for_update() if lock else query)
    if request is None:
        raise NotFoundError(f"Request #{request_id} does not exist.")
    return request


def steps_of(s: Session, request_id: int) -> list[ApprovalStep]:
    return list(s.scalars(select(ApprovalStep).where(ApprovalStep.request_id == request_id)
                          .order_by(ApprovalStep.position)))


def check_decider(s: Session, ctx: Ctx, *, request_id: int, approver: Person) -> None:
    """Refuse now, exactly as decide() would, someone who may not decide this request: for front ends
    that ask for more input (a deny reason) before deciding. Reads only; decide() checks again."""
    _authorize(s, load_request(s, request_id, lock=False), approver)


def _authorize(s: Session, request: AccessRequest, approver: Person) -> tuple[list[ApprovalStep], ApprovalStep,
                                                                             list[Decision]]:
    """The steps, the active step and the request's decisions so far (read once: the request row is
    locked by decide(), so they cannot change under it)."""
    if bundle_round.is_follower(request):
        raise NotAuthorized(f"Request #{request.id} is part of bundle request #{bundle_round.lead_id(request)}: "
                            "decide that one, for the whole bundle.")
    if request.status != RequestStatus.PENDING:
        raise AlreadyDecided(_already_message(s, request))
    if approver.id == request.requester_id:
        raise SelfApproval("You cannot approve or deny your own request.")
    steps = steps_of(s, request.id)
    step = next(st for st in steps if st.status == StepStatus.ACTIVE)
    decisions = _decisions(s, request.id)
    if approver.id not in (step.approver_ids or []):
        raise NotAuthorized(f"You are not an approver of the current step ({step.label}) of request #{request.id}.")
    if any(d.approver_id == approver.id for d in decisions if d.step_id != step.id):
        raise NotAuthorized("You already approved an earlier step; this step needs someone else.")
    if any(d.approver_id == approver.id for d in decisions if d.step_id == step.id):
        raise AlreadyDecided("You already decided on this step.")
    return steps, step, decisions


def decide(s: Session, ctx: Ctx, *, request_id: int, approver: Person, verdict: Verdict,
           reason: str = "") -> Decided:
    request = load_request(s, request_id)
    steps, step, decisions = _authorize(s, request, approver)
    earlier = {d.approver_id for d in decisions if d.step_id != step.id}
    reason = reason.strip()
    if verdict == Verdict.DENY and not reason:
        raise MissingJustification("Say why you deny the request.", field="reason")
    _compare_and_set(s, request)
    decision = Decision(request_id=request.id, step_id=step.id, approver_id=approver.id, verdict=verdict,
                        reason=reason, decided_at=ctx.now)
    s.add(decision)
    decisions = [*decisions, decision]  # ordered by id like _decisions(): the new one is the last
    requester = s.get(Person, request.requester_id)
    happened(s, ctx, STEP_EVENT[verdict], subject_type="request", subject_id=request.id,
             person_email=requester.email,
             detail={"step": step.position, "step_label": step.label, "approver": approver.email, "reason": reason,
                     "entitlement": request.entitlement}, notify=True)
    if verdict == Verdict.DENY:
        _deny(s, ctx, request, steps, approver, reason, requester)
        return Decided(request, step, True)
    approvals = sum(1 for d in decisions if d.step_id == step.id and d.verdict == Verdict.APPROVE)
    if approvals < step.quorum:
        return Decided(request, step, False)
    step.status, step.decided_at = StepStatus.APPROVED, ctx.now
    following = [st for st in steps if st.position > step.position]
    if following:
        _activate(s, ctx, request, following[0], requester, earlier | {d.approver_id for d in decisions})
        return Decided(request, step, False)
    request.decided_by_id = approver.id
    deciders = [s.get(Person, d.approver_id).email for d in decisions if d.verdict == Verdict.APPROVE]
    approve.finalise_approved(s, ctx, request, requester, granted_by=", ".join(deciders))
    bundle_round.approve_followers(s, ctx, request, requester, granted_by=", ".join(deciders))
    return Decided(request, step, True)


def _decisions(s: Session, request_id: int) -> list[Decision]:
    return list(s.scalars(select(Decision).where(Decision.request_id == request_id).order_by(Decision.id)))


def _compare_and_set(s: Session, request: AccessRequest) -> None:
    result = s.execute(update(AccessRequest)
                       .where(AccessRequest.id == request.id, AccessRequest.version == request.version,
                              AccessRequest.status == RequestStatus.PENDING)
                       .values(version=request.version + 1)
                       .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise AlreadyDecided(f"Request #{request.id} was decided by someone else just now.")
    set_committed_value(request, "version", request.version + 1)  # written above: no second UPDATE at flush


def _deny(s, ctx, request, steps, approver, reason, requester) -> None:
    request.status = RequestStatus.DENIED
    request.decided_at = ctx.now
    request.decided_by_id = approver.id
    request.decision_reason = reason
    approve.close_steps(s, steps, StepStatus.DENIED, ctx)
    due.cancel_kinds(s, (due.LedgerKind.REQUEST_REMIND, due.LedgerKind.REQUEST_TIMEOUT), request.id)
    happened(s, ctx, RequestEvent.DENIED, subject_type="request", subject_id=request.id, person_email=requester.email,
             detail={"entitlement": request.entitlement, "by": approver.email, "reason": reason}, notify=True)
    bundle_round.close_followers(s, ctx, request, RequestStatus.DENIED)


def _activate(s, ctx, request, step, requester, exclude: set[int]) -> None:
    """Re-resolve the next step now (managers may have changed) without anyone who already voted."""
    ent, spec = bundle_round.step_spec(ctx.catalog, request, step.position)
    resolved = routing.resolve_step(s, ctx.catalog, ent, spec, requester, exclude=exclude)
    routing.assign(s, step, resolved.approver_ids)
    step.used_fallback = resolved.used_fallback
    step.status, step.activated_at, step.reminders_sent = StepStatus.ACTIVE, ctx.now, 0
    request.current_step = step.position
    reminders.schedule_reminder(s, ctx, request, step, ent.reminder_after)
    happened(s, ctx, RequestEvent.STEP_ACTIVATED, subject_type="request", subject_id=request.id,
             person_email=requester.email,
             detail={"step": step.position, "step_label": step.label, "approver_ids": step.approver_ids}, notify=True)


def _already_message(s: Session, request: AccessRequest) -> str:
    who = s.get(Person, request.decided_by_id) if request.decided_by_id else None
    by = f" by {who.name or who.email}" if who else ""
    return f"Request #{request.id} was already {request.status.replace('_', ' ')}{by}."
