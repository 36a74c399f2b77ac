"""The requester (or offboarding, or a timeout) withdraws a pending request."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.enums import RequestStatus, StepStatus
from bot.domain.errors import AlreadyDecided, NotAuthorized
from bot.ledger import approve, bundle_round, due
from bot.ledger.context import Ctx
from bot.ledger.event_names import RequestEvent
from bot.ledger.events import happened
from bot.requests.decide import load_request, steps_of
from bot.store.models import AccessRequest, Person


def cancel(s: Session, ctx: Ctx, *, request_id: int, by: Person | None, reason: str = "",
           status: RequestStatus = RequestStatus.CANCELLED) -> AccessRequest:
    """``by`` None means the system (offboarding, timeout); a person may only cancel their own."""
    request = load_request(s, request_id)
    if bundle_round.is_follower(request):  # a bundle is withdrawn as a whole, through its lead
        request = load_request(s, bundle_round.lead_id(request))
    if by is not None and by.id != request.requester_id:
        raise NotAuthorized("Only the requester can cancel a request.")
    if request.status != RequestStatus.PENDING:
        raise AlreadyDecided(f"Request #{request.id} is already {request.status}.")
    request.status = status
    request.decided_at = ctx.now
    request.decision_reason = reason
    request.version += 1
    approve.close_steps(s, steps_of(s, request.id), StepStatus.CANCELLED, ctx)
    due.cancel(s, due.LedgerKind.REQUEST_REMIND, request.id)
    due.cancel(s, due.LedgerKind.REQUEST_TIMEOUT, request.id)
    requester = s.get(Person, request.requester_id)
    happened(s, ctx, RequestEvent.for_status(status), subject_type="request", subject_id=request.id,
             person_email=requester.email, detail={"entitlement": request.entitlement, "reason": reason}, notify=True)
    bundle_round.close_followers(s, ctx, request, status)
    return request
