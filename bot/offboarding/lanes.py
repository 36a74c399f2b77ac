"""Run work in parallel across systems, with a bounded number of calls in flight per system.

Each system (connector instance) gets its own lane: a small pool of at most ``per_lane`` workers,
so one slow or rate-limited target never holds up the others and never receives more than
``per_lane`` concurrent calls. Jobs within a lane start in the order given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait

Job = Callable[[], None]


def run_lanes(lanes: Mapping[str, Sequence[Job]], per_lane: int | Mapping[str, int]) -> None:
    """Run every job; returns when all are done. A job's exception propagates after all finish."""
    pools = []
    futures = []
    try:
        for name, jobs in lanes.items():
            if not jobs:
                continue
            limit = per_lane.get(name, 1) if isinstance(per_lane, Mapping) else per_lane
            pool = ThreadPoolExecutor(max_workers=max(1, min(limit, len(jobs))),
                                      thread_name_prefix=f"offboard-{name}"[:40])
            pools.append(pool)
            futures += [pool.submit(job) for job in jobs]
        wait(futures)
    finally:
        for pool in pools:
            pool.shutdown(wait=True)
    for future in futures:
        future.result()
