"""How late are expiries? N grants end within one minute; the real TimerService (system clock,
APScheduler alarm) revokes them through an instant connector. Lateness is the time from a grant's
ends_at to the connector's revoke call, and to the ledger marking it expired. Goal: p99 < 2 s.

    python bench/timer_lateness.py [--grants 1000] [--database sqlite|postgres] [--window 60] [--lead SECONDS]
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from timer_setup import HOLDER_EMAILS, arguments, bench_world, load_average, percentiles, running_timers, wait_for

from bot.domain.enums import GrantStatus
from bot.store.models import Grant
from tests.timers.support import count_grants, seed_active_grants


def main() -> None:
    args = arguments(__doc__)
    with bench_world(args.database) as world:
        lead = args.lead or 5.0 + args.grants / 250  # time to seed before the first grant ends
        first_end = datetime.now(UTC) + timedelta(seconds=lead)
        step = args.window / args.grants
        ids = seed_active_grants(world, args.grants, lambda i: first_end + timedelta(seconds=i * step),
                                 emails=HOLDER_EMAILS)
        started, cpu_started, load_before = time.time(), time.process_time(), load_average()
        assert started < first_end.timestamp(), "seeding took longer than the lead; raise it"
        with running_timers(world):
            done = wait_for(lambda: count_grants(world.store, GrantStatus.EXPIRED) == len(ids),
                            timeout=lead + args.window + 120)
            cpu = time.process_time() - cpu_started
        with world.store.uow() as s:
            grants = s.query(Grant).filter(Grant.id.in_(ids)).all()
            ended = {g.target: (g.ends_at, g.ended_at) for g in grants}
        revoked_at = world.mem.revoked_at
        to_revoke = [revoked_at[t] - end.timestamp() for t, (end, _) in ended.items() if t in revoked_at]
        to_ledger = [(closed - end).total_seconds() for end, closed in ended.values() if closed is not None]
        print(f"timer lateness, {args.grants} grants ending within {args.window:g}s, {args.database}"
              f"{'' if done else ' (TIMED OUT before all expired)'}")
        print(f"  ends_at -> connector revoke:  {percentiles(to_revoke)}  ({len(to_revoke)} revoked)")
        print(f"  ends_at -> ledger 'expired':  {percentiles(to_ledger)}  ({len(to_ledger)} expired)")
        print(f"  CPU of this process (every thread) from start to all expired: {cpu:.2f}s "
              f"({cpu / max(1, args.grants) * 1000:.1f} ms per grant)")
        print(f"  load average before: {load_before}  after: {load_average()}")


if __name__ == "__main__":
    main()
