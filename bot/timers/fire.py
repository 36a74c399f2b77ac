"""Run one claimed due row.

The payload is upgraded to this release's version, the handler runs, and the row is finished by
a compare-and-set in the handler's own transaction (see claim.py). A handler that raises is
retried with backoff; after MAX_ATTEMPTS, or at once for a kind this release does not know, the
row is marked failed with the reason, audited, and reported to IT through the outbox
(``timer.failed``). Nothing is dropped silently.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.domain.enums import Trigger
from bot.ledger import due
from bot.ledger.context import Actor, Ctx
from bot.ledger.due import DueJob
from bot.ledger.event_names import TimerEvent
from bot.ledger.events import happened
from bot.ledger.outcomes import backoff
from bot.ledger.queue import QUEUED
from bot.logs import log_context
from bot.timers import claim, versions
from bot.timers.jobs import CONNECTOR_WORK, IN_TRANSACTION, IN_TRANSACTION_GROUP, KNOWN_KINDS, PREPARE

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.provisioning.runner import Call

log = logging.getLogger(__name__)

TIMER = Actor.system("timer", Trigger.TIMER)
MAX_ATTEMPTS = 5

# Told, right after a transaction that queued connector work (an expiry's revoke) committed, the
# calls that transaction claimed for this replica's runner, and whether it left any queued (waiting
# behind an unfinished call, or an offboarding's) for the runner's own claim. Without one, the work
# is left queued and the caller kicks the runner (`Fired.kick`).
HandOver = Callable[[list["Call"], bool], None]


class ClaimLost(Exception):
    """The row stopped being ours while the handler ran; its transaction is rolled back."""


@dataclass(frozen=True)
class Fired:
    outcome: str  # "done", "moved" (next occurrence scheduled), "lost", "retry", "failed"
    kick: bool = False  # connector work was queued: run it now


def fire(deps: Deps, job: DueJob, *, replica_id: str, now: Callable[[], datetime],
         hand_over: HandOver | None = None) -> Fired:
    with log_context(due_job=job.key):
        return _fire(deps, job, replica_id=replica_id, now=now, hand_over=hand_over)


def _fire(deps: Deps, job: DueJob, *, replica_id: str, now: Callable[[], datetime],
          hand_over: HandOver | None) -> Fired:
    job = versions.upgrade(job)
    if job.kind not in KNOWN_KINDS:
        known = ", ".join(sorted(KNOWN_KINDS))
        return _give_up(deps, job, replica_id, now(), f"unknown kind {job.kind!r}; this release knows {known}")
    try:
        if job.kind in CONNECTOR_WORK:
            CONNECTOR_WORK[job.kind](deps, job)
            with deps.store.uow() as s:
                # False when the work itself scheduled the next occurrence (a new poll): that is fine.
                claim.complete(s, job, replica_id, now())
            return Fired("done")
        return _in_transaction(deps, job, replica_id, now, hand_over)
    except ClaimLost:
        log.info("due action %s was re-scheduled or taken over while it ran; its effects were rolled back",
                 job.key)
        return Fired("lost")
    except Exception as error:  # this row's outermost boundary: recorded, retried, then reported to IT
        log.exception("due action %s failed (attempt %d)", job.key, job.attempts)
        return _after_error(deps, job, replica_id, now(), f"{type(error).__name__}: {error}")


def fire_together(deps: Deps, jobs: list[DueJob], *, replica_id: str, now: Callable[[], datetime],
                  hand_over: HandOver | None = None) -> list[Fired]:
    """Run claimed rows whose handlers change only the ledger in ONE transaction: one commit and one
    hold of the audit chain's lock for the group instead of one each. Every row is still finished by
    a compare-and-set inside that transaction, so the effects land exactly once. If any handler
    raises, or any row is no longer ours, the whole group is rolled back and each row is fired on
    its own (with the usual retry and give-up rules), so one row never decides another's fate."""
    upgraded = [versions.upgrade(job) for job in jobs]
    if len(jobs) > 1 and all(job.kind in IN_TRANSACTION for job in upgraded):
        try:
            ctx = Ctx(deps.catalog, now(), TIMER)
            with deps.store.uow() as s:
                for kind, prepare in PREPARE.items():
                    if of_kind := [job for job in upgraded if job.kind == kind]:
                        prepare(s, of_kind)
                # A row whose payload was not upgraded is completed with the others in one
                # compare-and-set at the end (an upgraded one writes its new payload itself).
                fired = _run_all(s, ctx, list(zip(upgraded, jobs)), deps, replica_id)
                unchanged = [job for job, original, f in zip(upgraded, jobs, fired)
                             if job is original and f.outcome == "done"]
                if not claim.complete_all(s, unchanged, replica_id, ctx.now):
                    raise ClaimLost(", ".join(job.key for job in unchanged))
                handed = _claim_queued(s, deps, hand_over)
            _hand(hand_over, handed)
            return fired
        except Exception as error:  # the group's boundary: each row runs again alone just below
            log.info("running %d due actions together failed (%s: %s); running each on its own",
                     len(jobs), type(error).__name__, error)
    return [fire(deps, job, replica_id=replica_id, now=now, hand_over=hand_over) for job in jobs]


def _claim_queued(s: Session, deps: Deps, hand_over: HandOver | None) -> tuple[list[Call], bool] | None:
    """Claim for this replica, in the transaction that queued them, the connector calls it queued,
    so they commit together (durable before any connector is called) and go to the runner the
    moment the transaction commits (`_hand`), not when a later claim finds them."""
    queued = s.info.pop(QUEUED, None)
    if hand_over is None or not queued:
        return None
    calls = deps.runner.claim_queued(s, queued)
    return calls, len(calls) < len(queued)


def _hand(hand_over: HandOver | None, handed: tuple[list[Call], bool] | None) -> None:
    if hand_over is not None and handed is not None:
        hand_over(*handed)


def _run_all(s: Session, ctx: Ctx, pairs: list[tuple[DueJob, DueJob]], deps: Deps, replica_id: str) -> list[Fired]:
    """Each (upgraded, original) row's handler in turn, uncompleted unless upgraded; consecutive rows
    of a kind with a group handler (expiries) are one call, which does each statement once for them."""
    fired: list[Fired] = []
    for kind, run in itertools.groupby(pairs, key=lambda pair: pair[0].kind):
        run = list(run)
        if kind not in IN_TRANSACTION_GROUP or len(run) < 2:
            fired.extend(_run_in(s, ctx, job, deps, replica_id, complete=job is not original) for job, original in run)
            continue
        kicks = IN_TRANSACTION_GROUP[kind](s, ctx, [job for job, _ in run], deps)
        for (job, original), kick in zip(run, kicks, strict=True):
            if job is not original and not claim.complete(s, job, replica_id, ctx.now):
                raise ClaimLost(job.key)
            fired.append(Fired("done", kick))
    return fired


def _in_transaction(deps: Deps, job: DueJob, replica_id: str, now: Callable[[], datetime],
                    hand_over: HandOver | None) -> Fired:
    ctx = Ctx(deps.catalog, now(), TIMER)
    with deps.store.uow() as s:
        fired = _run_in(s, ctx, job, deps, replica_id)
        handed = _claim_queued(s, deps, hand_over)
    _hand(hand_over, handed)
    return fired


def _run_in(s: Session, ctx: Ctx, job: DueJob, deps: Deps, replica_id: str, *, complete: bool = True) -> Fired:
    """Run one row's handler in ``s`` and move or complete the row (unless ``complete`` is False:
    the caller then completes it in the same transaction)."""
    running = due.Running(job.key)
    s.info[due.RUNNING] = running
    try:
        kick = IN_TRANSACTION[job.kind](s, ctx, job, deps)
    finally:
        del s.info[due.RUNNING]
    if running.next_due_at is not None:
        ours = claim.release(s, job, replica_id, running.next_due_at, payload=running.next_payload)
    else:
        ours = not complete or claim.complete(s, job, replica_id, ctx.now)
    if not ours:
        raise ClaimLost(job.key)
    return Fired("moved" if running.next_due_at is not None else "done", kick)


def _after_error(deps: Deps, job: DueJob, replica_id: str, now: datetime, error: str) -> Fired:
    if job.attempts >= MAX_ATTEMPTS:
        return _give_up(deps, job, replica_id, now, f"gave up after {job.attempts} attempts: {error}")
    with deps.store.uow() as s:
        claim.release(s, job, replica_id, now + backoff(job.attempts), error=error)
    return Fired("retry")


def _give_up(deps: Deps, job: DueJob, replica_id: str, now: datetime, reason: str) -> Fired:
    log.error("due action %s failed for good: %s", job.key, reason)
    with deps.store.uow() as s:
        if claim.fail(s, job, replica_id, now, reason):
            happened(s, Ctx(deps.catalog, now, TIMER), TimerEvent.FAILED, subject_type="due_action", subject_id=job.id,
                     detail={"kind": job.kind, "key": job.key, "ref_id": job.ref_id, "reason": reason,
                             "attempts": job.attempts, "due_at": job.due_at}, notify=True)
    return Fired("failed")
