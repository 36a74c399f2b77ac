"""The timer service: the database holds every due action, APScheduler is only the alarm clock.

One in-memory APScheduler date job (the *alarm*) is armed at the earliest moment anything needs
running: a due row, a provisioning retry, or a lease to recover (claim.next_due_at). It is
re-armed after every sweep and whenever a transaction commits work (``deps.after_commit_hooks``).
A periodic sweep every ``settings.sweep_interval_seconds`` catches whatever an alarm missed (rows
written by another replica, a clock jump). Start-up runs everything overdue at once. Nothing is
persisted in APScheduler, so a restart, a deploy or a second replica loses nothing: each sweep
claims rows in the database (claim.py) and runs each exactly once (fire.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from concurrent.futures import ThreadPoolExecutor as FiringPool
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.timers import claim
from bot.timers.fire import fire_together

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)
FIRE_THREADS = 4  # groups of due jobs fired at once on PostgreSQL
# Due jobs run in one transaction. Bigger groups mean fewer commits (each one a WAL flush and a turn
# on the audit chain's lock) but hold their rows' locks longer; 25 keeps a group well under a second.
FIRE_GROUP = 25

ALARM, SWEEP = "timers.alarm", "timers.sweep"
SCHEDULER_LOG = "bot.timers.apscheduler"
# When something is overdue but nothing could be run (locked by another replica, a revocation
# waiting behind an unfinished grant call), look again after this, doubling up to the sweep interval.
RETRY_FLOOR_SECONDS = 0.25


class TimerService:
    def __init__(self, deps: Deps, *, replica_id: str | None = None, batch: int = 100,
                 lease: timedelta = claim.LEASE, sweep_interval: float | None = None):
        self.deps = deps
        self.replica_id = replica_id or deps.runner.replica_id
        self.batch = batch
        self.lease = lease
        self.sweep_interval = sweep_interval or deps.settings.sweep_interval_seconds
        self._scheduler: BackgroundScheduler | None = None
        self._arming = threading.Lock()
        self._state = threading.Condition()
        self._sweeping = self._again = False
        self._swept_at: datetime | None = None  # the clock when the last sweep began
        self._stale_arms = 0  # alarms in a row set for something the last sweep could not run
        self._draining = self._drain_again = False
        self._drain_future: Future | None = None
        # Wakes the after-commit hooks once the calls a committed group claimed for this replica
        # (fire.HandOver) are recorded; the calls themselves start at once on the runner's threads.
        self._handed: set[Future] = set()  # handed-over calls not recorded yet (stop waits for them)
        self._handing = FiringPool(max_workers=FIRE_THREADS, thread_name_prefix="accessbot-handed")
        self._newer_release_rows = 0
        self.sweeps_completed = 0

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        # APScheduler logs every run and every re-arm at INFO: one line per commit. Keep its
        # loggers for this scheduler at WARNING (misfires and errors still show).
        for name in (SCHEDULER_LOG, "apscheduler.executors.default"):
            logging.getLogger(name).setLevel(logging.WARNING)
        scheduler = BackgroundScheduler(
            logger=logging.getLogger(SCHEDULER_LOG), timezone=UTC, executors={"default": ThreadPoolExecutor(2)},
            # A date job whose instance is still running would be skipped by max_instances, losing
            # that alarm: _on_alarm serialises sweeps itself, so let instances overlap.
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 3})
        scheduler.add_job(self._on_alarm, "interval", seconds=self.sweep_interval, id=SWEEP, name="periodic sweep")
        scheduler.add_job(self._on_alarm, "date", run_date=datetime.now(UTC), id=ALARM, name="start-up catch-up")
        self._scheduler = scheduler
        scheduler.start()
        self.deps.after_commit_hooks.append(self.wake)
        log.info("timers started (replica %s, sweep every %gs)", self.replica_id, self.sweep_interval)

    def stop(self) -> None:
        if self.wake in self.deps.after_commit_hooks:
            self.deps.after_commit_hooks.remove(self.wake)
        with self._arming:  # an alarm job re-arming during shutdown would deadlock APScheduler
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        with self._state:
            handed = list(self._handed)
        wait(handed)
        self._handing.shutdown(wait=True)

    def wake(self) -> None:
        """Something was committed (maybe a due row sooner than the alarm): re-arm it. During a
        sweep there is nothing to do: every sweep re-arms when it ends."""
        with self._state:
            if self._sweeping:
                return
        self._arm()

    # -- sweeping ------------------------------------------------------------------------------
    def sweep_once(self, now: datetime | None = None) -> int:
        """Run everything due at ``now`` (default: the clock) and the connector work it queued, and
        return how many due rows ran. Waits for that work, so tests can assert right after."""
        return self._serialised(lambda: self._sweep(now, wait_for_work=True), block=True)

    def wait_for_sweeps(self, count: int, timeout: float) -> bool:
        """Block until ``count`` sweeps have completed since this service was built."""
        with self._state:
            return self._state.wait_for(lambda: self.sweeps_completed >= count, timeout)

    def _on_alarm(self) -> None:
        self._serialised(lambda: self._sweep(None, wait_for_work=False), block=False)

    def _serialised(self, sweep: Callable[[], int], *, block: bool) -> int:
        with self._state:
            if self._sweeping and not block:
                self._again = True  # the running sweep goes round once more
                return 0
            self._state.wait_for(lambda: not self._sweeping)
            self._sweeping, self._again = True, False
        total = 0
        try:
            while True:
                total += sweep()
                with self._state:
                    if not self._again:
                        break
                    self._again = False
        finally:
            with self._state:
                self._sweeping = False
                self.sweeps_completed += 1
                self._state.notify_all()
            self._arm()  # after _sweeping is cleared, so a wake() from now on arms for itself
        return total

    def _sweep(self, now: datetime | None, *, wait_for_work: bool) -> int:
        clock = (lambda: now) if now is not None else self.deps.clock.now
        ran, work = 0, []
        self._swept_at = clock()
        while jobs := claim.claim_due(self.deps.store, now=clock(), replica_id=self.replica_id,
                                      limit=self.batch, lease=self.lease):
            self._fire_all(jobs, clock, work)
            ran += len(jobs)
        if wait_for_work:
            wait(work)
            self.deps.runner.run_due()  # retries that fell due, and anything the drain left
        else:
            self.deps.kick()  # retries that fell due; the after-commit hooks wake the notifiers
        self._report_newer_release_rows(clock())
        return ran

    def _fire_all(self, jobs, clock, work: list[Future]) -> list:
        """Fire a claimed batch in groups of FIRE_GROUP rows, each group one transaction (fire.py).
        On PostgreSQL a few groups at a time (row locks keep them apart); SQLite has one writer, so
        parallel groups would only wait for each other. The connector work a group queued
        (revocations) goes to the runner as soon as that group commits, not after the whole batch;
        its future joins ``work``. The group's own transaction claimed those calls for this
        replica (fire.HandOver), so they start at once, beside any drain already running, and no
        other replica is woken for them."""
        def group(chunk):
            handed = left = False

            def hand_over(calls, waiting: bool) -> None:
                nonlocal handed, left
                if calls:
                    work.append(self._run_handed(calls))
                    handed = True
                left = left or waiting

            fired = fire_together(self.deps, chunk, replica_id=self.replica_id, now=clock, hand_over=hand_over)
            if any(f.kick for f in fired) and (left or not handed):
                work.append(self._drain_provisioning())
            return fired

        chunks = [jobs[i:i + FIRE_GROUP] for i in range(0, len(jobs), FIRE_GROUP)]
        if self.deps.store.dialect != "postgresql" or len(chunks) < 2:
            return [fired for chunk in chunks for fired in group(chunk)]
        with FiringPool(max_workers=FIRE_THREADS, thread_name_prefix="accessbot-timer") as pool:
            return [fired for chunk_fired in pool.map(group, chunks) for fired in chunk_fired]

    def _run_handed(self, calls) -> Future:
        """Start the calls at once on the runner's call threads (its one recorder writes their
        outcomes); when they are recorded, wake the after-commit hooks (notifiers send what the calls
        decided) from the hand-over pool, off the recorder's thread."""
        done = self.deps.runner.submit_claimed(calls)
        with self._state:
            self._handed.add(done)
        done.add_done_callback(self._after_handed)
        return done

    def _after_handed(self, done: Future) -> None:
        with self._state:
            self._handed.discard(done)
        try:
            self._handing.submit(self.deps.wake)
        except RuntimeError:  # shutting down: the next start's sweep and hooks catch up
            pass

    def _drain_provisioning(self) -> Future:
        """Run queued connector work in the background, one drain at a time: a request while one
        runs makes it go round once more (hundreds of parallel drains would only fight for locks
        and connections)."""
        with self._state:
            if self._draining:
                self._drain_again = True
                return self._drain_future
            self._draining, self._drain_again = True, False
            self._drain_future = self.deps.executor.submit(self._drain_loop)
            return self._drain_future

    def _drain_loop(self) -> None:
        try:
            while True:
                self.deps.runner.run_due()
                with self._state:
                    if not self._drain_again:
                        break
                    self._drain_again = False
        except Exception:  # a background worker's outermost boundary: the next sweep runs it again
            log.exception("running queued connector work failed; the next sweep retries it")
        finally:
            with self._state:
                self._draining = False
        self.deps.kick()  # the after-commit hooks: notifiers send what the connector work decided

    def _report_newer_release_rows(self, now: datetime) -> None:
        with self.deps.store.uow() as s:
            count = claim.waiting_for_newer_release(s, now)
        if count and count != self._newer_release_rows:
            log.warning("%d due action(s) were written by a newer accessbot release; they wait for a replica "
                        "running it (this one never runs or drops them)", count)
        self._newer_release_rows = count

    # -- the alarm -----------------------------------------------------------------------------
    def _arm(self) -> None:
        if self._scheduler is None:
            return
        with self.deps.store.uow() as s:
            at = claim.next_due_at(s, now=self.deps.clock.now(), replica_id=self.replica_id)
        if at is None:
            return  # nothing scheduled: the periodic sweep still looks every interval
        delay = (at - self.deps.clock.now()).total_seconds()
        if delay <= 0 and self._swept_at is not None and at <= self._swept_at:
            # Due before the last sweep began, yet still there: that sweep could not run it.
            self._stale_arms += 1
            delay = min(self.sweep_interval, RETRY_FLOOR_SECONDS * 2 ** (self._stale_arms - 1))
        else:
            self._stale_arms = 0
        # The clock may be injected (tests); APScheduler runs on real time, so arm by the delay.
        run_date = datetime.now(UTC) + timedelta(seconds=max(0.0, delay))
        with self._arming:
            if self._scheduler is not None:
                self._scheduler.add_job(self._on_alarm, "date", run_date=run_date, id=ALARM, name="alarm",
                                        replace_existing=True)

    def next_alarm(self) -> datetime | None:
        """When the alarm will ring (real time), for health checks and tests."""
        job = self._scheduler.get_job(ALARM) if self._scheduler is not None else None
        return job.next_run_time if job is not None else None
