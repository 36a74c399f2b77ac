"""How fast does a restarted bot catch up? N grants are already overdue when the TimerService
starts (the bot was down); the drain time is from start() to the last one marked expired (and to
the last connector revoke). Goal: < 10 s for 1,000.

    python bench/timer_drain.py [--grants 1000] [--database sqlite|postgres]
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from timer_setup import HOLDER_EMAILS, arguments, bench_world, load_average, running_timers, wait_for

from bot.domain.enums import GrantStatus
from tests.timers.support import count_grants, seed_active_grants


def main() -> None:
    args = arguments(__doc__)
    with bench_world(args.database) as world:
        overdue = datetime.now(UTC) - timedelta(minutes=5)
        ids = seed_active_grants(world, args.grants, lambda i: overdue + timedelta(milliseconds=i),
                                 emails=HOLDER_EMAILS)
        load_before = load_average()
        started, cpu_started = time.time(), time.process_time()
        with running_timers(world):
            done = wait_for(lambda: count_grants(world.store, GrantStatus.EXPIRED) == len(ids), timeout=300)
            drained, cpu = time.time() - started, time.process_time() - cpu_started
        last_revoke = max(world.mem.revoked_at.values()) - started if world.mem.revoked_at else float("nan")
        print(f"timer drain, {args.grants} overdue grants at start-up, {args.database}"
              f"{'' if done else ' (TIMED OUT)'}")
        print(f"  start -> all expired in the ledger: {drained:.2f}s ({args.grants / drained:.0f} grants/s)")
        print(f"  start -> last connector revoke:     {last_revoke:.2f}s  ({len(world.mem.revoked_at)} revoked)")
        print(f"  CPU of this process (every thread) until all expired: {cpu:.2f}s"
              f" ({cpu / max(1, args.grants) * 1000:.1f} ms per grant)")
        print(f"  load average before: {load_before}  after: {load_average()}")


if __name__ == "__main__":
    main()
