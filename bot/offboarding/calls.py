"""How the offboarding engine claims its connector calls and records their outcomes.

Claimed and recorded one at a time, a call cost two transactions of its own (its claim, with the
liveness and dead-claimer checks; then its outcome with its audit event), and those transactions,
not the connectors, decided how long an offboarding took: profiled in bench/offboard.py (one leaver,
62 calls at 200 ms on 6 systems), a claim waited 58 ms and an outcome 159 ms on average for 8-9 ms
of CPU each, queued behind the GIL and the audit chain's lock (issue 17.4). Now:

* ``LaneClaims``: the job that starts a lane's next round claims the rows of that round (``ahead``
  jobs, the lane's parallelism) in one transaction. A row is claimed only about one round before
  its call, so its lease never waits on a long lane.
* ``Recorder``: outcomes are recorded on one thread as they come in; everything that arrived
  while the previous batch was being written shares the next transaction (the runner's own
  ``record``: if a batch fails each outcome is recorded alone). A lane's next call therefore
  starts as soon as the connector answered, not after its outcome is written.

Nothing about a call's guarantees changes: it is a claimed runner row, written before the call,
and its outcome and audit event are one durable commit, made before it counts as settled.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence

from bot.provisioning.runner import Attempt, Call, ProvisioningRunner

log = logging.getLogger(__name__)

_STOP = object()


class LaneClaims:
    """The calls of one lane's jobs (``items``: each a list of rows run in order), claimed a round ahead."""

    def __init__(self, runner: ProvisioningRunner, items: Sequence[Sequence], ahead: int):
        self.runner, self.items, self.ahead = runner, items, max(1, ahead)
        self._lock = threading.Lock()
        self._calls: dict[str, Call] = {}
        self._next = 0  # the first job whose rows were not claimed yet

    def calls_for(self, index: int) -> list[tuple[object, Call | None]]:
        """Each row of job ``index`` with its claimed call (None: not claimable now: another worker
        runs it, it waits on an earlier call of its grant, or it already settled)."""
        with self._lock:
            if index >= self._next:
                end = min(len(self.items), index + self.ahead)
                ids = [row.id for item in self.items[self._next:end] for row in item]
                self._next = end
                self._calls.update((call.action_id, call) for call in self.runner.claim(limit=len(ids), only=ids))
            return [(row, self._calls.pop(row.id, None)) for row in self.items[index]]


class Recorder:
    """Records outcomes in batches on a thread of its own; ``settled`` gets the rows whose outcome
    was written (in the recording thread, after the commit)."""

    def __init__(self, runner: ProvisioningRunner, settled: Callable[[list], None]):
        self.runner, self.settled = runner, settled
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="offboard-record", daemon=True)
        self._thread.start()

    def put(self, row, attempt: Attempt) -> None:
        self._queue.put((row, attempt))

    def close(self) -> None:
        """Record everything put so far, then stop."""
        self._queue.put(_STOP)
        self._thread.join()

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get())
            done = [item for item in batch if item is not _STOP]
            if done:
                self._record(done)
            if len(done) < len(batch):
                return

    def _record(self, done: list[tuple[object, Attempt]]) -> None:
        try:
            recorded = {attempt.call.action_id for attempt in self.runner.record([a for _, a in done])}
            self.settled([row for row, attempt in done if attempt.call.action_id in recorded])
        except Exception:  # the recorder's boundary: an unsettled row is run again by the engine's settle
            log.exception("recording %d offboarding outcomes failed", len(done))
