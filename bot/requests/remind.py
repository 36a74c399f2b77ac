"""Chase an undecided approval step (run by the reminder timer).

Each run reminds the step's approvers who have not voted yet and schedules the next reminder in
business time. Once ``escalate_after_reminders`` reminders went unanswered, the step is escalated
once instead: a manager step gains the manager's manager, any other step (or a manager step with
no manager's manager) the catalog's fallback approvers. The original approvers keep their say.
Nothing happens for a request or step that moved on meanwhile (state is re-read under a lock).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.domain.enums import RequestStatus, StepStatus
from bot.ledger import reminders, routing
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import emit, happened
from bot.requests.decide import load_request, steps_of
from bot.store.models import AccessRequest, ApprovalStep, Decision, Person

NOTHING, REMINDED, ESCALATED = "nothing", "reminded", "escalated"


def chase(s: Session, ctx: Ctx, *, request_id: int) -> str:
    """Remind or escalate; returns NOTHING, REMINDED or ESCALATED."""
    request = load_request(s, request_id)
    step = next((st for st in steps_of(s, request.id) if st.status == StepStatus.ACTIVE), None)
    if request.status != RequestStatus.PENDING or step is None:
        return NOTHING
    after, limit = _policy(ctx.catalog, request.entitlement)
    requester = s.get(Person, request.requester_id)
    if not step.escalated and step.reminders_sent >= limit:
        outcome = ESCALATED if _escalate(s, ctx, request, step, requester, limit) else REMINDED
    else:
        outcome = REMINDED
    if outcome == REMINDED:
        _remind(s, ctx, request, step, requester, limit)
    reminders.schedule_reminder(s, ctx, request, step, after)
    return outcome


def _policy(catalog, ref: str):
    try:
        ent = catalog.entitlement(ref)
    except KeyError:  # removed from the catalog since: chase with the catalog-wide defaults
        settings = catalog.settings
        return settings.default_reminder_after, settings.default_escalate_after_reminders
    return ent.reminder_after, ent.escalate_after_reminders


def _voters(s: Session, request_id: int) -> dict[int, int]:
    """approver id -> step id of every vote on the request."""
    return dict(s.execute(select(Decision.approver_id, Decision.step_id)
                          .where(Decision.request_id == request_id)).all())


def _remind(s: Session, ctx: Ctx, request: AccessRequest, step: ApprovalStep, requester: Person,
            limit: int) -> None:
    voted = _voters(s, request.id)
    waiting = [i for i in step.approver_ids or [] if i not in voted]
    step.reminders_sent += 1
    detail = {"step": step.position, "step_label": step.label, "approver_ids": waiting, "channel": step.channel,
              "reminder": step.reminders_sent, "entitlement": request.entitlement,
              "escalates_next": not step.escalated and step.reminders_sent >= limit}
    happened(s, ctx, RequestEvent.REMINDED, subject_type="request", subject_id=request.id,
             person_email=requester.email, detail=detail)
    emit(s, ctx, RequestEvent.REMINDER, request_id=request.id, requester_email=requester.email, **detail)


def _escalate(s: Session, ctx: Ctx, request: AccessRequest, step: ApprovalStep, requester: Person,
              limit: int) -> bool:
    step.escalated = True
    voted = _voters(s, request.id)
    current = list(step.approver_ids or [])
    excluded = {requester.id, *current, *(person for person, step_id in voted.items() if step_id != step.id)}
    added = _escalation_targets(s, ctx, step, requester, excluded)
    detail = {"step": step.position, "step_label": step.label, "previous_approver_ids": current,
              "added_approver_ids": added, "entitlement": request.entitlement,
              "reason": f"no decision after {limit} reminder(s)"}
    if not added:
        detail["reason"] += "; nobody to escalate to (no manager's manager and no fallback approver left)"
        happened(s, ctx, RequestEvent.ESCALATION_FAILED, subject_type="request", subject_id=request.id,
                 person_email=requester.email, detail=detail, notify=True)
        return False
    step.approver_ids = current + added
    request.version += 1
    happened(s, ctx, RequestEvent.ESCALATED, subject_type="request", subject_id=request.id,
             person_email=requester.email, detail={**detail, "approver_ids": step.approver_ids}, notify=True)
    return True


def _escalation_targets(s: Session, ctx: Ctx, step: ApprovalStep, requester: Person,
                        excluded: set[int]) -> list[int]:
    """The first tier that yields someone new: the manager's manager (manager steps), then fallback."""
    tiers = []
    if step.kind == "manager" and not step.used_fallback:
        manager = directory.manager_of(s, requester)
        tiers.append([directory.manager_of(s, manager)] if manager else [])
    tiers.append(routing.fallback_people(s, ctx.catalog))
    for people in tiers:
        ids = [p.id for p in people if p is not None and p.is_active and p.id not in excluded]
        if ids:
            return list(dict.fromkeys(ids))
    return []
