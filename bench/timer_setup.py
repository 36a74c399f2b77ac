"""Shared set-up for the timer benchmarks: a real database (SQLite file or a fresh PostgreSQL
database), the test world's catalog and people, a connector that records when it revoked, and the
real TimerService on the system clock."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.directory import service as directory  # noqa: E402
from bot.domain.clock import SystemClock  # noqa: E402
from bot.timers.service import TimerService  # noqa: E402
from connectors.memory import MemoryConnector  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.world import make_world  # noqa: E402
from tests.timers.support import make_deps  # noqa: E402

HOLDERS = 200
HOLDER_EMAILS = [f"holder{i}@acme.test" for i in range(HOLDERS)]


class TimedTarget(MemoryConnector):
    """An instant in-memory target that notes the wall-clock time of every revocation."""

    def __init__(self, name: str):
        super().__init__(name)
        self.revoked_at: dict[str, float] = {}

    def revoke(self, principal, target, *, action_id, dry_run=False):
        result = super().revoke(principal, target, action_id=action_id, dry_run=dry_run)
        self.revoked_at.setdefault(target.ref, time.time())
        return result


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--grants", type=int, default=1000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which the grants end")
    parser.add_argument("--lead", type=float, default=None,
                        help="seconds from start to the first end (time to seed; default 5 + grants / 250)")
    return parser.parse_args()


@contextmanager
def bench_world(database: str, folder: Path | None = None):
    """``folder`` (default: a new temporary one) gets the SQLite file and the world's catalog.yaml."""
    folder = folder or Path(tempfile.mkdtemp(prefix="accessbot-bench-"))
    store = databases.open_store(database, folder, worker=f"bench{int(time.time())}")
    world = make_world(store, SystemClock(), folder)
    world.connectors.add(TimedTarget("mem"))
    with store.uow() as s:  # holders spread over many people, as in a real company
        for i in range(HOLDERS):
            directory.upsert(s, directory.PersonInput(email=f"holder{i}@acme.test", name=f"Holder {i}"),
                             source="bench", now=world.clock.now())
    try:
        yield world
    finally:
        store.dispose()
        databases.drop_postgres_databases()


@contextmanager
def running_timers(world):
    deps = make_deps(world, "bench-replica", clock=SystemClock())
    service = TimerService(deps)
    service.start()
    try:
        yield service
    finally:
        service.stop()
        deps.executor.shutdown(wait=True)


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages (it is shared: read figures beside it)."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered):.3f}s  p99 {p99:.3f}s  max {ordered[-1]:.3f}s"
