"""Timer handlers for the ledger's own kinds (bot.ledger.due.LedgerKind): grants start and end,
connector calls are retried and polled, manual tasks are reposted."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.enums import GrantStatus
from bot.ledger import end_grant, grants
from bot.ledger.context import Ctx
from bot.ledger.due import DueJob
from bot.ledger.repost import repost_task


def start_grant(s: Session, ctx: Ctx, job: DueJob, deps) -> bool:
    grant = end_grant.load_grant(s, int(job.ref_id))
    if grant.status != GrantStatus.SCHEDULED or grant.starts_at > ctx.now:
        return False
    grants.start(s, ctx, grant)
    return True


def expire_grant(s: Session, ctx: Ctx, job: DueJob, deps) -> bool:
    return end_grant.expire(s, ctx, grant_id=int(job.ref_id))


def expire_grants(s: Session, ctx: Ctx, jobs: list[DueJob], deps) -> list[bool]:
    return end_grant.expire_all(s, ctx, grant_ids=[int(job.ref_id) for job in jobs])


def lock_expiring(s: Session, jobs: list[DueJob]) -> None:
    end_grant.lock_grants(s, [int(job.ref_id) for job in jobs])


def repost_manual_task(s: Session, ctx: Ctx, job: DueJob, deps) -> bool:
    def options_of(connector: str) -> dict:
        return deps.connectors[connector].options if connector in deps.connectors else {}

    repost_task(s, ctx, task_id=int(job.ref_id), options_of=options_of, escalated=bool(job.payload.get("escalated")))
    return False


def poll_action(deps, job: DueJob) -> None:
    deps.runner.poll(job.ref_id)


def retry_action(deps, job: DueJob) -> None:
    for call in deps.runner.claim(limit=1, only=job.ref_id):
        deps.runner.run(call)
