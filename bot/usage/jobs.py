"""Timer handlers for the usage kinds (bot.usage.timers). COLLECT calls a connector outside any
transaction; EVALUATE and DEADLINE run in the due row's transaction."""

from __future__ import annotations

from bot.usage import answer, collect, evaluate
from bot.usage.timers import UsageTimer, stale_after


def collect_job(deps, job) -> None:
    collect.collect(deps, job.ref_id)


def evaluate_job(s, ctx, job, deps) -> bool:
    evaluate.evaluate(s, ctx, connector=job.ref_id, stale_after=stale_after(deps.settings))
    return False


def deadline_job(s, ctx, job, deps) -> bool:
    return answer.at_deadline(s, ctx, ask_id=int(job.ref_id))


IN_TRANSACTION = {UsageTimer.EVALUATE: evaluate_job, UsageTimer.DEADLINE: deadline_job}
CONNECTOR_WORK = {UsageTimer.COLLECT: collect_job}
