"""Run queued connector calls.

A batch of actions is claimed in one short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so replicas never run the same call; a lease lets another replica take over from one that died),
which also reads what each call needs. The connectors are called outside any transaction, and
the outcomes are recorded as they come in: every outcome that arrived while the previous ones were
being written goes into the next transaction, so a fast target costs one commit (and one hold of
the audit chain's lock) per group of calls instead of one per call, while a slow one never holds
up the record of the others. Calls for the same grant run in order (a revoke never overtakes its
grant).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from bot.directory import service as directory
from bot.domain.clock import Clock
from bot.domain.enums import ActionKind, ActionStatus, EndReason, GrantStatus, Trigger
from bot.ledger import grants, outcomes, registry
from bot.ledger.context import Actor, Ctx
from bot.logs import log_context
from bot.store import claims
from bot.store.db import Store
from bot.store.models import Grant, Person, ProvisioningAction
from connectors.base import ActionResult, Connector, Outcome, Subject, Target
from connectors.errors import ConnectorError

log = logging.getLogger(__name__)

RUNNABLE = (ActionStatus.QUEUED, ActionStatus.FAILED_RETRYABLE)
UNFINISHED = (ActionStatus.QUEUED, ActionStatus.IN_PROGRESS, ActionStatus.PENDING_EXTERNAL,
              ActionStatus.FAILED_RETRYABLE)
LEASE = timedelta(minutes=5)
ACTOR = Actor.system("provisioning", Trigger.SYSTEM)
# Call threads per runner: `threads` per group of claimed calls, for this many groups at once.
CALL_POOL_FACTOR = 4

# Told, after the outcome is committed, how late an expired grant's access was removed: the time
# from its end to the moment the target confirmed the revoke. (The HTTP app's metrics listen.)
RevokeLatenessObserver = Callable[[float], None]


@dataclass(frozen=True)
class ConnectorCallRecord:
    """One call to a connector as the metrics see it: no person, no request, bounded values."""

    connector: str  # instance name
    action: str  # grant, revoke, suspend, end_sessions, reactivate, poll
    outcome: str  # ok, already, pending, error
    error_kind: str | None  # ConnectorError.kind when outcome is error
    seconds: float


# Told of every connector call the runner makes, from the thread that made it.
ConnectorCallObserver = Callable[[ConnectorCallRecord], None]
# Told, after the outcomes are committed, the ids of the actions that succeeded.
SettledObserver = Callable[[list[str]], None]


@dataclass(frozen=True)
class Call:
    """A claimed action with everything the connector needs, read in the claim's transaction."""

    action_id: str
    kind: str
    connector: str
    subject: Subject
    target: Target
    pending_ref: str | None
    # The precondition a feature registered for this kind said not now (or never): see registry.Hold.
    hold: registry.Hold | None = None
    grant_id: int | None = None  # for the log lines of the call
    offboarding_id: int | None = None


@dataclass(frozen=True)
class Attempt:
    """What one call to a connector gave, waiting to be recorded."""

    call: Call
    started: float  # time.monotonic() when the call began
    answered_at: datetime  # the clock when the connector answered
    connector: Connector | None = None
    result: ActionResult | None = None
    error: ConnectorError | None = None
    hold: registry.Hold | None = None  # the call was not made (see Call.hold)
    # time.monotonic() when the answer came: the call's duration excludes waiting to be recorded
    finished: float = field(default_factory=time.monotonic)


class _Batch:
    """Calls submitted together: their future is done when the last outcome is recorded (or failed)."""

    def __init__(self, count: int, done: Future):
        self.left, self.done = count, done

    def settle(self) -> bool:
        """One call is done (under the runner's desk lock); True when it was the last."""
        self.left -= 1
        return self.left == 0


def _hold(s: Session, row: ProvisioningAction) -> registry.Hold | None:
    precondition = registry.precondition(row.action)
    return precondition(s, row) if precondition is not None else None


def new_replica_id() -> str:
    """A process's name in leases and logs when ACCESSBOT_REPLICA_ID does not give one."""
    return f"replica-{uuid.uuid4().hex[:8]}"


class ProvisioningRunner:
    def __init__(self, store: Store, connectors: Mapping[str, Connector], clock: Clock,
                 catalog: Callable[[], object], *, replica_id: str | None = None, threads: int = 8):
        self.store = store
        self.connectors = connectors
        self.clock = clock
        self.catalog = catalog
        self.replica_id = replica_id or new_replica_id()
        self.threads = threads
        self.revoke_lateness_observers: list[RevokeLatenessObserver] = []
        self.connector_call_observers: list[ConnectorCallObserver] = []
        self.settled_observers: list[SettledObserver] = []
        # The call threads and the one recorder thread (see submit_claimed), started when first needed.
        self._desk = threading.Lock()
        self._calls_pool: ThreadPoolExecutor | None = None
        self._waiting: list[tuple[Attempt, _Batch]] = []
        self._recorder: threading.Thread | None = None

    def ctx(self) -> Ctx:
        return Ctx(self.catalog(), self.clock.now(), ACTOR)

    # -- claiming ----------------------------------------------------------------------------
    def claim(self, limit: int = 100, only: str | Collection[str] | None = None) -> list[Call]:
        """Claim due actions (``only``: this one, or these, in one transaction)."""
        now = self.clock.now()
        with self.store.uow() as s:
            claims.hold(s, self.store, self.replica_id, now)
            in_progress = ProvisioningAction.status == ActionStatus.IN_PROGRESS
            dead = claims.dead_claimers(s, self.store, ProvisioningAction.claimed_by, in_progress,
                                        ProvisioningAction.lease_until >= now)
            taken_over = ProvisioningAction.lease_until < now
            if dead:  # its claimer died: run it again now, not when the lease runs out
                taken_over = or_(taken_over, ProvisioningAction.claimed_by.in_(dead))
            due = or_(and_(ProvisioningAction.status.in_(RUNNABLE), ProvisioningAction.next_attempt_at <= now),
                      and_(in_progress, taken_over))
            query = select(ProvisioningAction).where(due, ~_blocked())
            if only:
                query = query.where(ProvisioningAction.id.in_([only] if isinstance(only, str) else list(only)))
            else:
                # An offboarding's calls are run by the offboarding engine, which orders them,
                # bounds them per system and keeps the report in step; never twice at once.
                query = query.where(ProvisioningAction.offboarding_id.is_(None))
            return self._claimed(s, query.order_by(ProvisioningAction.created_at).limit(limit), now)

    def claim_queued(self, s: Session, action_ids: Collection[str]) -> list[Call]:
        """Claim, in the caller's transaction (the one that queued them), these freshly queued actions
        for this replica, so that it calls the connectors as soon as that transaction commits rather
        than when a later claim finds them (the timers hand expiries' revokes over this way). The
        rows commit ``in_progress`` under this replica's lease together with the change that queued
        them: a crash before the call leaves them to be taken over like any other claim. Actions
        that must wait (behind an unfinished call, see `claim`) or belong to an offboarding are left
        queued for the ordinary claim."""
        if not action_ids:
            return []
        now = self.clock.now()
        claims.hold(s, self.store, self.replica_id, now)
        query = select(ProvisioningAction).where(
            ProvisioningAction.id.in_(list(action_ids)), ProvisioningAction.status == ActionStatus.QUEUED,
            ProvisioningAction.offboarding_id.is_(None), ~_blocked())
        return self._claimed(s, query.order_by(ProvisioningAction.created_at), now)

    def _claimed(self, s: Session, query, now: datetime) -> list[Call]:
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=ProvisioningAction)
        rows = s.scalars(query).all()
        for row in rows:
            row.status = ActionStatus.IN_PROGRESS
            row.attempts += 1
            row.started_at = now
            row.first_attempt_at = row.first_attempt_at or now
            row.lease_until = now + LEASE
            row.claimed_by = self.replica_id
        return self._calls(s, rows)

    def _calls(self, s: Session, rows: list[ProvisioningAction]) -> list[Call]:
        person_ids = {row.person_id for row in rows}
        people = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))} if rows else {}
        retained = self._retained(s, rows)
        return [Call(action_id=row.id, kind=row.action, connector=row.connector,
                     subject=directory.subject(people[row.person_id]), pending_ref=row.target_ref,
                     target=Target(ref=row.target, options=self._target_options(row.entitlement),
                                   entitlement=row.entitlement, retained=retained.get(row.id, ())),
                     hold=_hold(s, row),
                     grant_id=row.grant_id, offboarding_id=row.offboarding_id)
                for row in rows]

    def run_due(self, limit: int = 100) -> int:
        """Claim and run everything due now; returns how many actions ran."""
        total = 0
        while calls := self.claim(limit):
            self.run_claimed(calls)
            total += len(calls)
        return total

    def run_claimed(self, calls: list[Call]) -> None:
        """Call the connectors for claimed actions (on the call threads, see submit_claimed) and record
        the outcomes; returns when they are recorded."""
        if not calls:
            return
        if len(calls) == 1 or self.threads <= 1:
            for call in calls:
                self.run(call)
        else:
            self._run_many(calls)

    def _run_many(self, calls: list[Call]) -> None:
        if threading.current_thread() is self._recorder:  # an observer of a record: never wait on itself
            with ThreadPoolExecutor(max_workers=min(self.threads, len(calls))) as pool:
                waiting = {pool.submit(self._attempt, call) for call in calls}
                while waiting:
                    answered, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                    self._record([attempt for future in answered if (attempt := _answer(future)) is not None])
            return
        self.submit_claimed(calls).result()

    def submit_claimed(self, calls: list[Call]) -> Future:
        """Start the calls for claimed actions at once on the runner's call threads and return a
        future that is done when every outcome was recorded (or could not be: its lease runs out).

        Call threads only call; one recorder per runner writes the outcomes, everything that arrived
        while it wrote the previous ones in the next transaction. Measured (bench/workers_lateness.py,
        3 workers, 500 grants, PostgreSQL): with each group's calls on a thread of their own that also
        recorded them, a revoke waited 1.7 s at p99 between its claim and its call, behind the
        hand-over pool's four threads each busy writing its group's outcomes (and every such writer
        queued on the audit chain's lock). Each outcome is still committed with its audit event
        before it counts as done; a crash between the call and the record runs the call again when
        its lease runs out (connectors are idempotent by action id), as before."""
        done: Future = Future()
        if not calls:
            done.set_result(None)
            return done
        batch = _Batch(len(calls), done)
        pool = self._call_pool()
        for call in calls:
            future = pool.submit(self._attempt, call)
            future.add_done_callback(functools.partial(self._answered, batch))
        return done

    def close(self) -> None:
        """Let the calls in flight finish and their outcomes be recorded, then stop the call threads."""
        with self._desk:
            pool, self._calls_pool = self._calls_pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        recorder = self._recorder
        if recorder is not None and recorder is not threading.current_thread():
            recorder.join()

    def _call_pool(self) -> ThreadPoolExecutor:
        with self._desk:
            if self._calls_pool is None:
                self._calls_pool = ThreadPoolExecutor(max_workers=max(1, self.threads) * CALL_POOL_FACTOR,
                                                      thread_name_prefix="accessbot-call")
            return self._calls_pool

    def _answered(self, batch: _Batch, future: Future) -> None:
        attempt = _answer(future)
        with self._desk:
            finished = attempt is None and batch.settle()
            if attempt is not None:
                self._waiting.append((attempt, batch))
            if self._waiting and self._recorder is None:
                self._recorder = threading.Thread(target=self._record_loop, name="accessbot-recorder", daemon=True)
                self._recorder.start()
        if finished:  # outside the lock: the future's callbacks may submit more calls
            batch.done.set_result(None)

    def _record_loop(self) -> None:
        """The recorder: runs while outcomes wait, each round one transaction for all of them."""
        while True:
            with self._desk:
                waiting, self._waiting = self._waiting, []
                if not waiting:
                    self._recorder = None
                    return
            try:
                self._record([attempt for attempt, _ in waiting])
            except Exception:  # the recorder's boundary: unrecorded calls keep their lease and run again
                log.exception("recording %d provisioning outcomes failed", len(waiting))
            with self._desk:
                finished = [batch for _, batch in waiting if batch.settle()]
            for batch in finished:  # outside the lock: the future's callbacks may submit more calls
                batch.done.set_result(None)

    def run(self, call: Call, *, polling: bool = False) -> None:
        """Call the connector for one claimed action and record the outcome."""
        self._record_together([self._attempt(call, polling=polling)])

    def attempt(self, call: Call) -> Attempt:
        """Call the connector for one claimed action, outside any transaction; `record` the result."""
        return self._attempt(call)

    def record(self, attempts: list[Attempt]) -> list[Attempt]:
        """Record the outcomes of several calls, in one transaction if they can be; returns those
        recorded (see _record)."""
        return self._record(attempts)

    def poll(self, action_id: str) -> None:
        """Follow up an action that the target said is still in progress."""
        with self.store.uow() as s:
            action = s.get(ProvisioningAction, action_id)
            if action is None or action.status != ActionStatus.PENDING_EXTERNAL:
                return
            call = self._calls(s, [action])[0]
        self.run(call, polling=True)

    # -- one call ----------------------------------------------------------------------------
    def _attempt(self, call: Call, *, polling: bool = False) -> Attempt:
        with log_context(action_id=call.action_id, grant_id=call.grant_id, offboarding_id=call.offboarding_id):
            return self._attempt_call(call, polling=polling)

    def _attempt_call(self, call: Call, *, polling: bool) -> Attempt:
        started = time.monotonic()
        if call.hold is not None:
            return Attempt(call, started, self.clock.now(), hold=call.hold)
        try:
            connector = self.connectors[call.connector]
            principal = connector.resolve(call.subject)
            if polling:
                result = connector.poll(principal, call.target, ActionResult(Outcome.PENDING,
                                                                             target_ref=call.pending_ref))
            elif call.target.retained and not connector.capabilities.revokes_by_options:
                # This connector's access does not depend on the options: the other grant on the
                # same ref still covers it, so nothing is removed.
                result = ActionResult(Outcome.ALREADY, detail="kept: another live grant on this target covers it")
            else:
                result = self._call(connector, call.kind, principal, call.target, call.action_id)
        except ConnectorError as error:
            self._observe_call(call, polling, started, "error", error.kind)
            return Attempt(call, started, self.clock.now(), error=error)
        self._observe_call(call, polling, started, _CALL_OUTCOMES.get(result.outcome, "ok"), None)
        return Attempt(call, started, self.clock.now(), connector=connector, result=result)

    def _observe_call(self, call: Call, polling: bool, started: float, outcome: str, error_kind: str | None) -> None:
        if not self.connector_call_observers:
            return
        record = ConnectorCallRecord(call.connector, "poll" if polling else str(call.kind), outcome, error_kind,
                                     time.monotonic() - started)
        for observe in self.connector_call_observers:
            observe(record)

    @staticmethod
    def _call(connector: Connector, kind: str, principal, target: Target, action_id: str) -> ActionResult:
        if kind == ActionKind.GRANT:
            return connector.grant(principal, target, action_id=action_id)
        if kind == ActionKind.REVOKE:
            return connector.revoke(principal, target, action_id=action_id)
        if kind == ActionKind.SUSPEND:
            return connector.suspend(principal, action_id=action_id)
        if kind == ActionKind.END_SESSIONS:
            return connector.end_sessions(principal, action_id=action_id)
        if kind == ActionKind.REACTIVATE:
            return connector.reactivate(principal, action_id=action_id)
        raise ValueError(f"unknown action kind {kind}")

    # -- recording ---------------------------------------------------------------------------
    def _record(self, attempts: list[Attempt]) -> list[Attempt]:
        """Record outcomes in one transaction. If that fails, each is recorded on its own, so one
        outcome that cannot be written never holds back the others (an unrecorded call keeps its
        lease and is run again when it runs out: connectors are idempotent by action id). Returns
        the attempts whose outcome was recorded."""
        try:
            self._record_together(attempts)
            return attempts
        except Exception:  # the group's boundary: retried one by one below, each with its own
            if len(attempts) == 1:
                log.exception("recording the outcome of provisioning action %s failed", attempts[0].call.action_id)
                return []
            log.warning("recording %d provisioning outcomes together failed; recording them one by one",
                        len(attempts), exc_info=True)
        recorded = []
        for attempt in attempts:
            try:
                self._record_together([attempt])
                recorded.append(attempt)
            except Exception:  # one outcome's boundary: its lease runs out and the call runs again
                log.exception("recording the outcome of provisioning action %s failed", attempt.call.action_id)
        return recorded

    def _record_together(self, attempts: list[Attempt]) -> None:
        lateness: list[float] = []
        with self.store.uow() as s:
            ctx = self.ctx()
            loaded = _load_for_outcomes(s, [attempt.call.action_id for attempt in attempts])  # noqa: F841 (kept alive)
            for attempt in attempts:
                late = self._record_one(s, ctx, attempt)
                if late is not None:
                    lateness.append(late)
        for seconds in lateness:
            for observe in self.revoke_lateness_observers:
                observe(seconds)
        settled = [a.call.action_id for a in attempts if a.error is None and a.hold is None
                   and a.result is not None and a.result.outcome != Outcome.PENDING]
        if settled:
            for observe_settled in self.settled_observers:
                observe_settled(settled)

    def _record_one(self, s: Session, ctx: Ctx, attempt: Attempt) -> float | None:
        """Apply one outcome; returns how late an expired grant's access was removed, if it was."""
        action = s.get(ProvisioningAction, attempt.call.action_id)
        action.duration_ms = int((attempt.finished - attempt.started) * 1000)
        error, result = attempt.error, attempt.result
        if attempt.hold is not None and attempt.hold.skip:
            outcomes.skipped(s, ctx, action, reason=attempt.hold.reason)
            return None
        if attempt.hold is not None:
            outcomes.failed(s, ctx, action, error_kind="transient", detail=attempt.hold.reason, retryable=True)
            return None
        if error is not None:
            log.warning("provisioning %s %s on %s failed: %s", action.action, action.entitlement,
                        action.connector, error.detail)
            outcomes.failed(s, ctx, action, error_kind=error.kind, detail=error.detail,
                            retryable=error.retryable, http_status=error.http_status,
                            retry_after=getattr(error, "retry_after", None))
            return None
        if result.outcome == Outcome.PENDING:
            self._pending(s, ctx, action, result, attempt.connector)
            return None
        action.target_ref = result.target_ref or action.target_ref
        action.last_http_status = result.http_status
        expiring = _expiring_grant(s, action)
        outcomes.succeeded(s, ctx, action, already=result.outcome == Outcome.ALREADY, detail=result.detail or "")
        if expiring is None or expiring.status != GrantStatus.EXPIRED:
            return None
        return max(0.0, (attempt.answered_at - expiring.ends_at).total_seconds())

    @staticmethod
    def _pending(s: Session, ctx: Ctx, action, result: ActionResult, connector: Connector) -> None:
        if connector.capabilities.manual:
            outcomes.pending(s, ctx, action, target_ref=result.target_ref, detail=result.detail or "",
                             manual_channel=connector.task_channel, repost_after=connector.repost_after)
        else:
            outcomes.pending(s, ctx, action, target_ref=result.target_ref, detail=result.detail or "",
                             poll_after=timedelta(seconds=min(30 * action.attempts, 300)))

    def _target_options(self, ref: str) -> dict:
        return grants.target_options(self.catalog(), ref)

    def _retained(self, s: Session, rows: list[ProvisioningAction]) -> dict[str, tuple[dict, ...]]:
        """For each grant's revoke (by action id): the other options the person still holds on the
        same ref. Two queries for the whole claim (its grants, then their live neighbours), not two
        per row: measured as 18% of a 1,000-grant drain's time under the GIL (issue 17.7)."""
        revokes = [row for row in rows if row.action == ActionKind.REVOKE and row.grant_id is not None]
        if not revokes:
            return {}
        of = {g.id: g for g in s.scalars(select(Grant).where(Grant.id.in_({row.grant_id for row in revokes})))}
        others = grants.other_live_grants_of(s, list(of.values()))
        retained = {}
        for row in revokes:
            if row.grant_id not in of:
                continue
            options = self._target_options(row.entitlement)
            kept = [self._target_options(other.entitlement) for other in others[row.grant_id]]
            retained[row.id] = tuple(other for other in kept if other != options)
        return retained


_CALL_OUTCOMES = {Outcome.ALREADY: "already", Outcome.PENDING: "pending"}


def _load_for_outcomes(s: Session, action_ids: list[str]) -> list:
    """Load the actions, their people and grants in three queries, so recording a group of outcomes
    finds them in the session instead of asking (and flushing) once per row and per object. The
    caller keeps the returned list: the session's identity map only holds objects weakly."""
    actions = list(s.scalars(select(ProvisioningAction).where(ProvisioningAction.id.in_(action_ids))))
    people = list(s.scalars(select(Person).where(Person.id.in_({a.person_id for a in actions}))))
    grant_ids = {a.grant_id for a in actions if a.grant_id is not None}
    grants = list(s.scalars(select(Grant).where(Grant.id.in_(grant_ids)))) if grant_ids else []
    return [*actions, *people, *grants]


def _blocked():
    """An action that must wait for an earlier unfinished one: a call for the same grant queued
    before it (a revoke never overtakes its grant), or a feature's rule (bot.ledger.registry.WaitsFor:
    a kind waits for an earlier one of the same person and connector, queued in the same instant or
    long before)."""
    return _blocked_by(registry.claim_order())


@functools.lru_cache(maxsize=8)
def _blocked_by(rules: tuple[registry.WaitsFor, ...]):
    """Built once per set of rules: building this expression was 4% of the timer's CPU when every
    expiry group claimed its revokes (py-spy, bench/timer_lateness.py, 10,000 grants)."""
    earlier = aliased(ProvisioningAction)
    same_grant = and_(earlier.grant_id == ProvisioningAction.grant_id, earlier.grant_id.is_not(None),
                      earlier.created_at < ProvisioningAction.created_at)
    waits = [and_(ProvisioningAction.action == rule.later, earlier.action == rule.earlier,
                  earlier.person_id == ProvisioningAction.person_id,
                  earlier.connector == ProvisioningAction.connector,
                  earlier.created_at <= ProvisioningAction.created_at)
             for rule in rules]
    return select(earlier.id).where(or_(same_grant, *waits), earlier.status.in_(UNFINISHED)).exists()


def _answer(future: Future) -> Attempt | None:
    try:
        return future.result()
    except Exception:  # a call's boundary (not a ConnectorError: a bug); it keeps its lease and runs again
        log.exception("a provisioning call failed unexpectedly; it runs again when its lease runs out")
        return None


def _expiring_grant(s: Session, action: ProvisioningAction) -> Grant | None:
    """The grant this revoke ends because it expired, while it waits for the target to confirm."""
    if action.action != ActionKind.REVOKE or action.grant_id is None:
        return None
    grant = s.get(Grant, action.grant_id)
    ending = grant.status in (GrantStatus.REVOKING, GrantStatus.REVOKE_FAILED)
    return grant if ending and grant.end_reason == EndReason.EXPIRED and grant.ends_at is not None else None
