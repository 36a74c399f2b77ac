"""`accessbot serve` restarts a crashed worker process with a growing delay, and forgets that
delay once a run was healthy: a worker that crashes once a day is restarted after a second, not
after the longest delay. Real child processes that crash; the clock that says how long each one
ran is injected, so a "day-long" run takes no time."""

from __future__ import annotations

import sys
from itertools import chain, repeat

from bot.cli.serve import RestartBackoff, WorkerProcess
from tests.support.waiting import wait_until

CRASHES = [sys.executable, "-c", "import sys; sys.exit(3)"]
DAY = 24 * 3600.0


def test_the_delay_doubles_while_the_worker_keeps_crashing_and_stops_at_the_most():
    backoff = RestartBackoff(first=1.0, most=60.0, healthy_after=60.0)
    assert [backoff.after_run(5.0) for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_healthy_run_resets_the_delay():
    backoff = RestartBackoff(first=1.0, most=60.0, healthy_after=60.0)
    assert [backoff.after_run(ran) for ran in (5, 5, 5, 5, DAY, 5, 59.9, DAY)] == [1, 2, 4, 8, 1, 2, 4, 1]


def test_the_watcher_restarts_a_crashed_worker_sooner_after_a_long_healthy_run():
    # What the clock says at each start and each exit: three quick crashes, one after a day, one quick.
    times = iter(chain([0, 1, 1, 2, 2, 3, 3, 3 + DAY, 3 + DAY, 4 + DAY], repeat(5 + DAY)))
    worker = WorkerProcess(slack=False, command=CRASHES, clock=lambda: next(times),
                           backoff=RestartBackoff(first=0.05, most=1.0, healthy_after=60.0))
    worker.start()
    try:
        wait_until(lambda: len(worker.restart_delays) >= 5, timeout=30.0, what=lambda: str(worker.restart_delays))
    finally:
        worker.stop()
    assert worker.restart_delays[:5] == [0.05, 0.1, 0.2, 0.05, 0.1]
