"""What submit does with on-call facts: ask before locking, then audit, shorten, and explain.

Submit calls ``answers_for`` before it writes anything (the providers are asked outside the row locks
it takes), hands the answers to the policy, then calls ``settle`` with the policy's verdict.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.clock import as_utc
from bot.oncall.events import OnCallEvent
from bot.store.models import AccessRequest, Grant, Person
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from policies.model import AutoApproval, Entitlement
from policies.on_call import OnCallAnswers

FALLBACK = "On-call auto-approval did not apply: {problems}. Your request goes to the approvers as usual."
FALLBACK_KEY = "on_call_fallback"  # in AccessRequest.extra: the reason, for the request card


def answers_for(ctx: Ctx, ent: Entitlement, requester: Person) -> OnCallAnswers | None:
    if not ent.on_call_schedules:
        return None
    answers = OnCallAnswers(ctx.on_call, requester.email)
    answers.load(ent.on_call_schedules)
    return answers


def fallback_of(request: AccessRequest) -> str | None:
    """Why on-call auto-approval did not apply to ``request`` (kept by ``settle``), or None."""
    reason = (request.extra or {}).get(FALLBACK_KEY)
    return reason if isinstance(reason, str) else None


def settle(s: Session, ctx: Ctx, request: AccessRequest, requester: Person, answers: OnCallAnswers | None,
           approval: AutoApproval | None) -> tuple[AutoApproval | None, tuple[str, ...]]:
    """The approval to apply (None: the approval chain) and what the requester should be told.

    A rule with ``ends_with_shift`` cuts the request's duration to the end of the shift; a shift that
    is over before the access would start approves nothing."""
    if answers is None:
        return approval, ()
    notices: list[str] = []
    if answers.problems:
        happened(s, ctx, OnCallEvent.LOOKUP_FAILED, subject_type="request", subject_id=request.id,
                 person_email=requester.email,
                 detail={"entitlement": request.entitlement, "problems": answers.problems,
                         "auto_approved": approval is not None})
        if approval is None:
            notices.append(FALLBACK.format(problems="; ".join(answers.problems)))
            request.extra = {**(request.extra or {}), FALLBACK_KEY: notices[-1]}
    if approval is not None and approval.ends_by is not None:
        approval = _end_with_shift(s, ctx, request, requester, approval)
        if approval is not None and request.duration_seconds is not None:
            notices.append(f"The access ends with your on-call shift, "
                           f"{approval.ends_by:%Y-%m-%d %H:%M} UTC, unless its duration ends first.")
    return approval, tuple(notices)


def _counted_from(s: Session, ctx: Ctx, request: AccessRequest) -> datetime:
    """Where the granted time starts: the current end for the Extend button (it adds on top), else the start."""
    if request.extends_grant_id is not None and (request.extra or {}).get("extension_of") == request.extends_grant_id:
        grant = s.get(Grant, request.extends_grant_id)
        if grant is not None and grant.ends_at is not None:
            return max(as_utc(grant.ends_at), ctx.now)
    return max(ctx.now, request.starts_at or ctx.now)


def _end_with_shift(s: Session, ctx: Ctx, request: AccessRequest, requester: Person,
                    approval: AutoApproval) -> AutoApproval | None:
    left = approval.ends_by - _counted_from(s, ctx, request)
    if left < timedelta(minutes=1):
        return None  # the shift is over before the access would begin: not on call then
    asked = request.duration_seconds
    seconds = int(left.total_seconds())
    if asked is None or seconds < asked:
        request.duration_seconds = seconds
        happened(s, ctx, OnCallEvent.GRANT_ENDS_WITH_SHIFT, subject_type="request", subject_id=request.id,
                 person_email=requester.email,
                 detail={"entitlement": request.entitlement, "rule": approval.rule.name if approval.rule else None,
                         "shift_ends_at": approval.ends_by, "asked_seconds": asked, "granted_seconds": seconds})
    return approval
