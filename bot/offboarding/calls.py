"""How the offboarding engine runs its connector calls: lane workers that never wait for the database.

Profiled in bench/offboard.py (one leaver, 62 calls at 200 ms on 6 systems, 4 in flight per system;
each connector call's start and end timed per lane thread, SQLite, load average 6): the calls took
1.45 s from the first start to the last end against a critical path of 0.60 s, and a lane thread
waited 104 ms on average (up to 528 ms) between the end of one call and the start of its next. That
wait was the database, on the lane's own thread: the job that began a lane's round claimed the
round in a transaction of its own (6-12 ms of CPU, 20-530 ms of wall), queued behind the outcome
recorder's transactions for SQLite's write lock (whose busy handler sleeps, then retries) and the
GIL; the other jobs of the round waited on its lock meanwhile. Claims and records competed with each
other instead of with the connectors.

So the database work of a run has one desk (``CallDesk``), on the engine's thread, and the lanes
never touch the database:

* claims go ahead of the workers: every lane gets two rounds (``2 × per_lane`` jobs) claimed before
  the first call, and whenever a lane has less than a round claimed and not started, the desk claims
  its next ones (every lane running low in one transaction). A row is still claimed at most about two
  rounds before its call, so its lease never waits on a long lane.
* outcomes are recorded in batches: everything that arrived while the previous transaction was
  written shares the next one (the runner's own ``record``: if a batch fails each outcome is
  recorded alone), then the engine is told which rows settled.
* a lane worker (``per_lane`` threads per system) takes the lane's next claimed job the moment it is
  free and calls the connector; its outcome goes to the desk. One writer also means the engine's
  claims and records never wait for each other's SQLite write lock.

Nothing about a call's guarantees changes: it is a claimed runner row, written before the call,
and its outcome and audit event are one durable commit, made before it counts as settled.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from bot.logs import log_context
from bot.provisioning.runner import Attempt, Call, ProvisioningRunner

log = logging.getLogger(__name__)

Rows = Callable[[list], None]
Lanes = Mapping[str, Sequence[Sequence]]
Feed = Callable[[], "Lanes | None"]  # more lanes' jobs, prepared on the desk; None: no more


class _Lane:
    def __init__(self, name: str, jobs: Sequence[Sequence]):
        self.name, self.jobs, self.workers = name, list(jobs), 0
        self.next = 0  # the first job not claimed yet
        self.claiming = False  # the desk is claiming this lane's next jobs
        self.ready: deque[list[tuple[object, Call]]] = deque()  # claimed, not started

    @property
    def unclaimed(self) -> bool:
        return self.next < len(self.jobs)


class CallDesk:
    """Runs the calls of every lane (``lanes``: per system, its jobs, each a list of rows run in order
    on one worker), at most ``per_lane`` at once per system. ``settled`` gets the rows whose outcome
    was written (after the commit); ``not_claimed`` the rows that could not be claimed (another worker
    runs them, they wait on an earlier call of their grant, or they already settled).

    ``feed``, when given, is called on the desk between its claims and records until it returns None;
    the lanes' jobs it returns join the run (bulk offboarding prepares its leavers a group at a time
    there, so the first calls start after the first group, not after every leaver: issue 17.4). Lane
    workers wait for more jobs until the feed is exhausted."""

    def __init__(self, runner: ProvisioningRunner, lanes: Lanes, per_lane: int, *,
                 settled: Rows, not_claimed: Rows, feed: Feed | None = None):
        self.runner, self.settled, self.not_claimed = runner, settled, not_claimed
        self.per_lane = max(1, per_lane)
        self._first, self._feed, self._feeding = lanes, feed, feed is not None
        self._lanes: list[_Lane] = []
        self._by_name: dict[str, _Lane] = {}
        self._workers: list[threading.Thread] = []
        self._cond = threading.Condition()
        self._outcomes: list[tuple[object, Attempt]] = []
        self._working = 0  # lane workers still running
        self._errors: list[BaseException] = []
        self.transactions = {"claims": 0, "records": 0}

    def run(self) -> None:
        """Run every job; returns when every call has run and its outcome was recorded (or could not
        be: the engine's settle runs it again). A worker's unexpected exception propagates after."""
        self._add(self._first)
        try:
            self._desk()
        except BaseException:  # no desk to record outcomes: start no more calls (their rows keep their lease)
            with self._cond:
                self._feeding = False
                for lane in self._lanes:
                    lane.next, lane.claiming = len(lane.jobs), False
                    lane.ready.clear()
                self._cond.notify_all()
            raise
        finally:
            for worker in list(self._workers):
                worker.join()
        if self._errors:
            raise self._errors[0]

    # -- the desk: every transaction of the run, on the caller's thread --------------------------
    def _add(self, lanes: Lanes) -> None:
        """Add jobs to their lanes (new lanes for new systems), claim the lanes' first rounds, and start
        each lane's workers (up to ``per_lane``, no more than its jobs)."""
        with self._cond:
            for name, jobs in lanes.items():
                if not jobs:
                    continue
                if name not in self._by_name:
                    self._by_name[name] = _Lane(name, [])
                    self._lanes.append(self._by_name[name])
                self._by_name[name].jobs.extend(jobs)
        self._claim(self._low())
        with self._cond:
            for lane in self._lanes:
                while lane.workers < min(self.per_lane, len(lane.jobs)):
                    worker = threading.Thread(target=self._work, args=(lane,), daemon=True,
                                              name=f"offboard-{lane.name}"[:36] + f"-{lane.workers}")
                    lane.workers += 1
                    self._working += 1
                    self._workers.append(worker)
                    worker.start()

    def _desk(self) -> None:
        while True:
            with self._cond:
                while not self._outcomes and not self._low() and self._working and not self._feeding:
                    self._cond.wait()
                outcomes, self._outcomes = self._outcomes, []
                low = self._low()
                if not outcomes and not low and not self._working and not self._feeding:
                    return
            if low:  # first: a worker may be waiting for it
                self._claim(low)
            if outcomes:
                self._record(outcomes)
            if self._feeding:  # after the claims and records: the calls already claimed go on meanwhile
                self._more()

    def _more(self) -> None:
        more = self._feed()
        if more is None:
            with self._cond:
                self._feeding = False
                self._cond.notify_all()  # idle workers of finished lanes stop
            return
        self._add(more)

    def _low(self) -> list[_Lane]:
        return [lane for lane in self._lanes if lane.unclaimed and not lane.claiming
                and len(lane.ready) < self.per_lane]

    def _claim(self, lanes: list[_Lane]) -> None:
        if not lanes:
            return
        window = []
        with self._cond:
            for lane in lanes:
                end = min(len(lane.jobs), lane.next + 2 * self.per_lane - len(lane.ready))
                window.append((lane, lane.jobs[lane.next:end]))
                lane.next, lane.claiming = end, True
        rows = [row for _, jobs in window for job in jobs for row in job]
        try:
            self.transactions["claims"] += 1
            calls = {call.action_id: call for call in self.runner.claim(limit=len(rows), only=[r.id for r in rows])}
        except Exception:  # the desk's boundary: what was not claimed is run by the engine's settle
            log.exception("claiming %d offboarding calls failed", len(rows))
            calls = {}
        with self._cond:
            for lane, jobs in window:
                lane.claiming = False
                lane.ready.extend(claimed for job in jobs
                                  if (claimed := [(row, calls[row.id]) for row in job if row.id in calls]))
            self._cond.notify_all()
        if missed := [row for row in rows if row.id not in calls]:
            self.not_claimed(missed)

    def _record(self, done: list[tuple[object, Attempt]]) -> None:
        try:
            self.transactions["records"] += 1
            recorded = {attempt.call.action_id for attempt in self.runner.record([a for _, a in done])}
            self.settled([row for row, attempt in done if attempt.call.action_id in recorded])
        except Exception:  # the desk's boundary: an unsettled row is run again by the engine's settle
            log.exception("recording %d offboarding outcomes failed", len(done))

    # -- a lane worker: take the next claimed job, call the connector, hand the outcome over -----
    def _work(self, lane: _Lane) -> None:
        try:
            while (job := self._next_job(lane)) is not None:
                try:
                    for row, call in job:
                        with log_context(offboarding_id=row.offboarding_id):
                            attempt = self.runner.attempt(call)
                        with self._cond:
                            self._outcomes.append((row, attempt))
                            self._cond.notify_all()
                except Exception as error:  # a bug, not a ConnectorError: the row keeps its lease
                    log.exception("an offboarding call on %s failed unexpectedly", lane.name)
                    with self._cond:
                        self._errors.append(error)
        finally:
            with self._cond:
                self._working -= 1
                self._cond.notify_all()

    def _next_job(self, lane: _Lane) -> list[tuple[object, Call]] | None:
        with self._cond:
            while not lane.ready and (lane.unclaimed or lane.claiming or self._feeding):
                self._cond.wait()
            if not lane.ready:
                return None
            job = lane.ready.popleft()
            if lane.unclaimed and len(lane.ready) < self.per_lane:
                self._cond.notify_all()  # the desk claims this lane's next jobs
            return job
