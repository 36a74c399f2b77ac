"""Run offboardings: every system in parallel, a bounded number of calls per system, one report.

    report = engine.run(deps, email="alice@acme.example", actor=Actor.person(it_admin, Trigger.SLACK))

The connector calls are the provisioning runner's own rows (``provisioning_action``), claimed and
executed by ``ProvisioningRunner`` exactly as any other provisioning: written before the call,
outcome recorded by ``bot.ledger.outcomes`` (retries, alerts, grant states). This module only
decides the order and the parallelism, tells the Slack layer how it goes (``offboarding.progress``
per system, ``offboarding.finished`` with the per-system report) and stores the report on the
Offboarding row and in the audit log. Running it again finishes only what failed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import ActionKind, ActionStatus, Trigger
from bot.domain.errors import NotFoundError
from bot.ledger import due
from bot.ledger.context import Actor, Ctx
from bot.ledger.events import emit
from bot.logs import log_context
from bot.offboarding import accounts, completion, prepare
from bot.offboarding.calls import CallDesk
from bot.offboarding import report as reports
from bot.offboarding.events import OffboardingEvent
from bot.offboarding.lanes import run_lanes
from bot.offboarding.timers import OffboardingKind
from bot.provisioning.runner import UNFINISHED
from bot.store.models import Offboarding, ProvisioningAction

log = logging.getLogger(__name__)

PER_SYSTEM = 4  # calls in flight per connector instance
SETTLE_SECONDS = 30.0  # how long to wait for calls another worker is running
FIRST_DRIVE = "first_drive"  # resume payload: the worker drives it for the first time, wait for stragglers
ACCOUNT_FIRST = {ActionKind.SUSPEND: 0, ActionKind.END_SESSIONS: 1}
Progress = Callable[[int, int], None]  # (finished, total)


def run(deps, *, email: str, actor: Actor, reason: str = "", per_system: int = PER_SYSTEM,
        on_progress: Progress | None = None) -> reports.OffboardReport:
    """Offboard now (or resume an unfinished offboarding) and return the report."""
    ctx = deps.ctx(actor)
    with deps.store.uow() as s:
        person = directory.require(s, email)
        record_id = prepare.start(s, ctx, person=person, reason=reason, source=_source(actor)).id
    return drive(deps, [record_id], per_system=per_system, on_progress=on_progress)[0]


def start_many(deps, *, emails: list[str], actor: Actor, reason: str = "") -> list[int]:
    """Prepare several offboardings (one transaction each); ``drive`` them together after."""
    ids = []
    for email in emails:
        ctx = deps.ctx(actor)
        with deps.store.uow() as s:
            person = directory.require(s, email)
            ids.append(prepare.start(s, ctx, person=person, reason=reason, source=_source(actor)).id)
    return ids


FEED_GROUP = 5  # leavers prepared per turn of the desk in ``run_many``


def run_many(deps, *, emails: list[str], actor: Actor, reason: str = "", per_system: int = PER_SYSTEM,
             on_progress: Progress | None = None, group: int = FEED_GROUP,
             settle_seconds: float = SETTLE_SECONDS) -> list[reports.OffboardReport]:
    """Offboard several people now: ``start_many`` then ``drive``, but each group of leavers is driven as
    soon as it is prepared, on the desk, while the calls of the groups before it run. Preparing 200
    leavers before the first call was 4.1 s of a 33 s bulk run on PostgreSQL (issue 17.4). Each leaver
    is still prepared in a transaction of its own before any of their calls is claimed; if the run
    stops, the prepared ones resume like any other (their resume timer), the others were not started."""
    ctx = deps.ctx(Actor.system("offboarding", Trigger.SYSTEM))
    pending, record_ids = list(emails), []
    tracker = _Tracker(deps, [], on_progress)

    def feed() -> dict[str, list[list]] | None:
        if not pending:
            return None
        batch, pending[:] = pending[:group], pending[group:]
        ids = start_many(deps, emails=batch, actor=actor, reason=reason)
        record_ids.extend(ids)
        _discover_accounts(deps, ctx, ids, per_system)
        return _lanes(tracker, tracker.add(ids))

    with log_context(offboarding_id="bulk"):
        CallDesk(deps.runner, {}, per_system, settled=tracker.done_many,
                 not_claimed=lambda rows: _not_claimed(deps, tracker, rows), feed=feed).run()
        _settle(deps, record_ids, settle_seconds, tracker)
        return finish_many(deps, record_ids)


def drive_later(deps, record_ids: list[int]) -> Future | None:
    """Drive prepared offboardings in the background (webhooks answer at once): on the executor, or
    in the worker process of a split deployment, through a resume timer due now."""
    if not record_ids:
        return None
    if not deps.runs_background_work:
        now = deps.clock.now()
        with deps.store.uow() as s:
            for record_id in record_ids:
                due.schedule(s, OffboardingKind.OFFBOARDING_RESUME, record_id, now, now=now, payload={FIRST_DRIVE: True})
        deps.kick()
        return None
    return deps.executor.submit(_drive_logged, deps, list(record_ids))


def _drive_logged(deps, record_ids: list[int]) -> None:
    try:
        drive(deps, record_ids)
    except Exception:  # the outermost worker boundary: the resume job and the sweep will finish it
        log.exception("offboarding %s stopped early; it resumes on its own", record_ids)


def drive(deps, record_ids: list[int], *, per_system: int = PER_SYSTEM, on_progress: Progress | None = None,
          settle_seconds: float = SETTLE_SECONDS) -> list[reports.OffboardReport]:
    """Look up accounts, run every call of these offboardings, then write and announce the reports."""
    with log_context(offboarding_id=",".join(map(str, record_ids))):
        return _drive(deps, record_ids, per_system=per_system, on_progress=on_progress,
                      settle_seconds=settle_seconds)


def _drive(deps, record_ids: list[int], *, per_system: int, on_progress: Progress | None,
           settle_seconds: float) -> list[reports.OffboardReport]:
    ctx = deps.ctx(Actor.system("offboarding", Trigger.SYSTEM))
    _discover_accounts(deps, ctx, record_ids, per_system)
    tracker = _Tracker(deps, record_ids, on_progress)
    CallDesk(deps.runner, _lanes(tracker, tracker.rows), per_system, settled=tracker.done_many,
             not_claimed=lambda rows: _not_claimed(deps, tracker, rows)).run()
    _settle(deps, record_ids, settle_seconds, tracker)
    return finish_many(deps, record_ids)


def _discover_accounts(deps, ctx: Ctx, record_ids: list[int], per_system: int) -> None:
    todo = accounts.to_look_up(deps.store, deps.connectors, record_ids)
    found: list[accounts.Lookup] = []
    lock = threading.Lock()

    def job(record_id, person_id, subject, name, kinds):
        ok, error = accounts.look_up(deps.connectors[name], subject)
        with lock:
            found.append(accounts.Lookup(record_id, person_id, name, kinds, ok, error))

    lanes = defaultdict(list)
    for item in todo:
        lanes[item[3]].append(lambda item=item: job(*item))
    run_lanes(lanes, per_system)
    if found:
        accounts.record_lookups(deps.store, ctx, sorted(found, key=lambda f: (f.offboarding_id, f.connector)))


class _Tracker:
    """Counts finished calls per (offboarding, system); announces a system once all its calls settled."""

    def __init__(self, deps, record_ids: list[int], on_progress: Progress | None):
        self.deps, self.on_progress = deps, on_progress
        self.lock = threading.Lock()
        self.rows: list = []
        self.open: set[str] = set()
        self.remaining: dict[tuple[int, str], int] = defaultdict(int)
        self.total, self.finished = 0, 0
        if record_ids:
            self.add(record_ids)

    def add(self, record_ids: list[int]) -> list:
        """Track the calls of these offboardings too; returns their rows."""
        with self.deps.store.uow() as s:
            rows = s.execute(select(ProvisioningAction.id, ProvisioningAction.offboarding_id,
                                    ProvisioningAction.connector, ProvisioningAction.action,
                                    ProvisioningAction.status, ProvisioningAction.created_at)
                             .where(ProvisioningAction.offboarding_id.in_(record_ids))).all()
        with self.lock:
            self.rows.extend(rows)
            for r in rows:
                if r.status in UNFINISHED:
                    self.open.add(r.id)
                    self.remaining[(r.offboarding_id, r.connector)] += 1
                    self.total += 1
        return rows

    def done(self, row) -> None:
        self.done_many([row])

    def done_many(self, rows) -> None:
        """These rows settled: count them, and announce every system they finished in one transaction."""
        systems_done, counts = [], []
        with self.lock:
            for row in rows:
                if row.id not in self.open:
                    continue
                self.open.discard(row.id)
                self.finished += 1
                key = (row.offboarding_id, row.connector)
                self.remaining[key] -= 1
                if self.remaining[key] == 0:
                    systems_done.append(key)
                counts.append((self.finished, self.total))
        if self.on_progress:
            for finished, total in counts:
                self.on_progress(finished, total)
        if systems_done:
            _announce_systems(self.deps, systems_done)


def _lanes(tracker: _Tracker, rows: list) -> dict[str, list[list]]:
    """Per system, its jobs in order: each person's account calls first (suspend, then end sessions,
    as one job so the sessions end after the account is disabled), then the revocations (calls.py
    claims and runs them)."""
    chains: dict[tuple[str, int], list] = defaultdict(list)
    revokes: dict[str, list] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (ACCOUNT_FIRST.get(r.action, 9), r.created_at)):
        if row.id not in tracker.open:
            continue
        if row.action in ACCOUNT_FIRST:
            chains[(row.connector, row.offboarding_id)].append(row)
        else:
            revokes[row.connector].append(row)
    lanes: dict[str, list[list]] = defaultdict(list)
    for (connector, _), rows in chains.items():
        lanes[connector].append(rows)
    for connector, rows in revokes.items():
        lanes[connector] += [[row] for row in rows]
    return lanes


def _not_claimed(deps, tracker: _Tracker, rows: list) -> None:
    """Rows the desk could not claim: those that settled (someone else ran them) count as done; the
    others (another worker runs them, a retry or an earlier call of the grant waits) are the settle's."""
    with deps.store.uow() as s:
        statuses = dict(s.execute(select(ProvisioningAction.id, ProvisioningAction.status)
                                  .where(ProvisioningAction.id.in_([row.id for row in rows]))).all())
    tracker.done_many([row for row in rows if statuses.get(row.id) not in (ActionStatus.QUEUED,
                                                                          ActionStatus.IN_PROGRESS)])


def _execute(deps, tracker: _Tracker, row) -> None:
    """Claim the row through the runner (so no other worker runs it too) and run it."""
    with log_context(offboarding_id=row.offboarding_id):
        _claim_and_run(deps, tracker, row)


def _claim_and_run(deps, tracker: _Tracker, row) -> None:
    if calls := deps.runner.claim(limit=1, only=row.id):
        deps.runner.run(calls[0])  # records the outcome: the row has settled
        tracker.done(row)
    elif _status(deps, row.id) not in (ActionStatus.QUEUED, ActionStatus.IN_PROGRESS):
        tracker.done(row)  # settled by someone else, or waiting for a retry or a target


def _status(deps, action_id: str) -> str:
    with deps.store.uow() as s:
        return s.scalar(select(ProvisioningAction.status).where(ProvisioningAction.id == action_id))


def _settle(deps, record_ids: list[int], seconds: float, tracker: _Tracker) -> None:
    """Rows another worker claimed (or that waited on an earlier call of the same grant) get a
    bounded wait and one more try, so the report rarely says "in progress"."""
    deadline = time.monotonic() + seconds
    while tracker.open and time.monotonic() < deadline:
        for row in [r for r in tracker.rows if r.id in tracker.open]:
            _execute(deps, tracker, row)
        if tracker.open:
            time.sleep(0.05)


def _announce_systems(deps, finished: list[tuple[int, str]]) -> None:
    """One ``offboarding.progress`` per (offboarding, system) finished, in one transaction that
    builds each offboarding's report once."""
    by_record: dict[int, list[str]] = defaultdict(list)
    for record_id, connector in finished:
        by_record[record_id].append(connector)
    ctx = deps.ctx(Actor.system("offboarding", Trigger.SYSTEM))
    with deps.store.uow() as s:
        built = reports.build_many(s, list(s.scalars(select(Offboarding).where(Offboarding.id.in_(list(by_record))))))
        for record_id, connectors in by_record.items():
            report = built[record_id]
            for system in [x for x in report.systems if x.system in connectors]:
                emit(s, ctx, OffboardingEvent.PROGRESS, offboarding_id=record_id, person_email=report.person_email,
                     system=system.system, state=system.state, mark=system.mark,
                     items=[{"what": i.what, "state": i.state, "mark": i.mark, "reason": i.reason}
                            for i in system.items],
                     systems_done=sum(1 for x in report.systems if x.state != reports.PENDING),
                     systems_total=len(report.systems))
    deps.wake()  # the notifier redraws the report now, not at its next sweep


def finish(deps, record_id: int) -> reports.OffboardReport:
    """Store the report, announce it, and come back later for whatever is still retrying."""
    return finish_many(deps, [record_id])[0]


FINISH_GROUP = 50  # reports stored per transaction at the end of a bulk run


def finish_many(deps, record_ids: list[int]) -> list[reports.OffboardReport]:
    """``finish`` for every offboarding of a run, a group of them per transaction (locked in id order),
    not one each: 200 leavers' final reports were 200 transactions after the last call (issue 17.4)."""
    ctx = deps.ctx(Actor.system("offboarding", Trigger.SYSTEM))
    done: dict[int, reports.OffboardReport] = {}
    ordered = sorted(set(record_ids))
    for group in (ordered[i:i + FINISH_GROUP] for i in range(0, len(ordered), FINISH_GROUP)):
        with deps.store.uow() as s:
            records = s.scalars(select(Offboarding).where(Offboarding.id.in_(group))
                                .order_by(Offboarding.id).with_for_update()).all()
            for record in records:
                done[record.id] = completion.refresh(s, ctx, record)
    deps.wake()
    return [done[record_id] for record_id in record_ids]


def resume(deps, record_id: int, *, settle_seconds: float = 0) -> reports.OffboardReport:
    """The OFFBOARDING_RESUME job: run what is due again and refresh the report."""
    with deps.store.uow() as s:
        record = s.get(Offboarding, record_id)
        if record is None:
            raise NotFoundError(f"Offboarding #{record_id} does not exist.")
    return drive(deps, [record_id], settle_seconds=settle_seconds)[0]


def current_report(deps, email: str) -> reports.OffboardReport | None:
    """The latest offboarding of ``email``, read now (background retries included)."""
    with deps.store.uow() as s:
        person = directory.require(s, email)
        record = s.scalar(select(Offboarding).where(Offboarding.person_id == person.id)
                          .order_by(Offboarding.id.desc()).limit(1))
        return reports.build(s, record) if record is not None else None


def _source(actor: Actor) -> str:
    return {Trigger.HR: "hr", Trigger.SCIM: "scim"}.get(actor.trigger, "admin")

