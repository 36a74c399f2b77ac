"""Timer handlers of the requests feature, for ledger kinds it acts on: warn before a grant ends,
remind the approvers, time out a request nobody decided."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.enums import RequestStatus
from bot.ledger.context import Ctx
from bot.ledger.due import DueJob
from bot.requests.cancel import cancel
from bot.requests.decide import load_request
from bot.requests.remind import chase
from bot.requests.warn import warn_expiry


def warn_grant(s: Session, ctx: Ctx, job: DueJob, deps) -> bool:
    warn_expiry(s, ctx, grant_id=int(job.ref_id))
    return False


def remind_approvers(s: Session, ctx: Ctx, job: DueJob, deps) -> bool:
    chase(s, ctx, request_id=int(job.ref_id))
    return False


def time_out_request(s: Session, ctx: Ctx, job: DueJob, deps) -> bool:
    request = load_request(s, int(job.ref_id))
    if request.status != RequestStatus.PENDING or (request.expires_at and request.expires_at > ctx.now):
        return False
    cancel(s, ctx, request_id=request.id, by=None, reason="nobody decided in time",
           status=RequestStatus.TIMED_OUT)
    return False
