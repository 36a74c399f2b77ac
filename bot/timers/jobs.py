"""What each kind of due row does when its time comes.

Kind names (bot.ledger.due) are a persisted API: renaming one strands rows, so a rename is a
data migration. Two families of handler:

* ``IN_TRANSACTION`` handlers change the ledger. They run inside the transaction that also marks
  the row done (or moves it), so their effects land exactly once. They re-read state under a lock
  and do nothing when it moved on (an extension, a decision, a manual revoke wins over the timer).
  They return True when they queued connector work, which the service then runs at once.
* ``CONNECTOR_WORK`` handlers call a connector through the provisioning runner, outside any
  transaction (the runner claims its own rows); the row is marked done afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.breakglass.review import review_overdue
from bot.breakglass.use import REVIEW_DUE
from bot.domain.enums import GrantStatus, RequestStatus
from bot.lifecycle.jobs import HANDLERS as LIFECYCLE_HANDLERS
from bot.lifecycle.jobs import Handler as LifecycleHandler
from bot.reviews.jobs import HANDLERS as REVIEW_HANDLERS
from bot.timers.claim import DueJob
from bot.ledger import due
from bot.ledger import end_grant
from bot.ledger import grants
from bot.requests.cancel import cancel
from bot.ledger.context import Ctx
from bot.requests.decide import load_request
from bot.requests.remind import chase
from bot.ledger.repost import repost_task
from bot.requests.warn import warn_expiry

if TYPE_CHECKING:
    from bot.deps import Deps

InTransaction = Callable[[Session, Ctx, DueJob, "Deps"], bool]
ConnectorWork = Callable[["Deps", DueJob], None]


def start_grant(s: Session, ctx: Ctx, job: DueJob, deps: Deps) -> bool:
    grant = end_grant.load_grant(s, int(job.ref_id))
    if grant.status != GrantStatus.SCHEDULED or grant.starts_at > ctx.now:
        return False
    grants.start(s, ctx, grant)
    return True


def expire_grant(s: Session, ctx: Ctx, job: DueJob, deps: Deps) -> bool:
    return end_grant.expire(s, ctx, grant_id=int(job.ref_id))


def warn_grant(s: Session, ctx: Ctx, job: DueJob, deps: Deps) -> bool:
    warn_expiry(s, ctx, grant_id=int(job.ref_id))
    return False


def remind_approvers(s: Session, ctx: Ctx, job: DueJob, deps: Deps) -> bool:
    chase(s, ctx, request_id=int(job.ref_id))
    return False


def time_out_request(s: Session, ctx: Ctx, job: DueJob, deps: Deps) -> bool:
    request = load_request(s, int(job.ref_id))
    if request.status != RequestStatus.PENDING or (request.expires_at and request.expires_at > ctx.now):
        return False
    cancel(s, ctx, request_id=request.id, by=None, reason="nobody decided in time",
           status=RequestStatus.TIMED_OUT)
    return False


def repost_manual_task(s: Session, ctx: Ctx, job: DueJob, deps: Deps) -> bool:
    def options_of(connector: str) -> dict:
        return deps.connectors[connector].options if connector in deps.connectors else {}

    repost_task(s, ctx, task_id=int(job.ref_id), options_of=options_of, escalated=bool(job.payload.get("escalated")))
    return False


def poll_action(deps: Deps, job: DueJob) -> None:
    deps.runner.poll(job.ref_id)


def retry_action(deps: Deps, job: DueJob) -> None:
    for call in deps.runner.claim(limit=1, only=job.ref_id):
        deps.runner.run(call)


IN_TRANSACTION: dict[str, InTransaction] = {
    due.GRANT_START: start_grant,
    due.GRANT_EXPIRE: expire_grant,
    due.GRANT_WARN: warn_grant,
    due.REQUEST_REMIND: remind_approvers,
    due.REQUEST_TIMEOUT: time_out_request,
    due.TASK_REPOST: repost_manual_task,
    REVIEW_DUE: review_overdue,
    **REVIEW_HANDLERS,
}

# Run once before a group of rows of that kind runs in one transaction (fire.fire_together).
Prepare = Callable[[Session, list[DueJob]], None]
PREPARE: dict[str, Prepare] = {
    due.GRANT_EXPIRE: lambda s, jobs: end_grant.lock_grants(s, [int(job.ref_id) for job in jobs]),
}

CONNECTOR_WORK: dict[str, ConnectorWork] = {
    due.ACTION_POLL: poll_action,
    due.ACTION_RETRY: retry_action,
}



def _lifecycle_job(handler: LifecycleHandler) -> ConnectorWork:
    # Offboarding and lifecycle jobs run connectors and open their own transactions.
    return lambda deps, job: handler(deps, job.ref_id, job.payload)


CONNECTOR_WORK.update({kind: _lifecycle_job(handler) for kind, handler in LIFECYCLE_HANDLERS.items()})

KNOWN_KINDS = frozenset(IN_TRANSACTION) | frozenset(CONNECTOR_WORK)
