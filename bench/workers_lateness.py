"""How late are revokes with several workers? W real `accessbot serve --role worker` processes share
one database; N grants end in the same second; each revoke goes through the webhook connector to a
receiver on 127.0.0.1. Lateness is the time from a grant's end to its revoke reaching the receiver.
Goal (issue 17.8): p99 under 250 ms with 3 workers and 500 grants on PostgreSQL, each revoked once.

    python bench/workers_lateness.py [--grants 500] [--workers 3] [--database postgres|sqlite]
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from serve_setup import (
    Receiver, free_port, lateness, load_average, processes, serve_arguments, serve_command, serve_env,
    wait_for,
)
from timer_setup import HOLDER_EMAILS, bench_world, percentiles

from bot import wakeups
from bot.domain.enums import ActionKind
from bot.store.models import Grant, ProvisioningAction
from tests.support.live_server import wait_healthy
from tests.timers.support import seed_active_grants

LEAD_SECONDS = 20.0  # from the start of seeding to the moment every grant ends (seeding is slow on a loaded machine)


def main() -> None:
    args = serve_arguments(__doc__, grants=500, workers=True)
    receiver = Receiver()
    folder = Path(tempfile.mkdtemp(prefix="accessbot-bench-"))
    with bench_world(args.database, folder) as world:
        env = serve_env(world, folder, receiver)
        ports = [free_port() for _ in range(args.workers)]
        launches = [(serve_command("--role", "worker"), {**env, "ACCESSBOT_WORKER_METRICS_PORT": str(port)})
                    for port in ports]
        load_before = load_average()
        with processes(launches, folder) as workers:
            for port, worker in zip(ports, workers, strict=True):
                wait_healthy(f"http://127.0.0.1:{port}", timeout=120, alive=lambda w=worker: w.poll() is None)
            cpu_ready = [process_cpu(worker.pid) for worker in workers]
            wakeups.announce_commits(world.store)  # as the web process does: the workers hear of the new rows
            end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=LEAD_SECONDS)
            ids = seed_active_grants(world, args.grants, lambda i: end + timedelta(microseconds=i * 1000),
                                     emails=HOLDER_EMAILS)
            assert datetime.now(UTC) < end, "seeding took longer than the lead; raise LEAD_SECONDS"
            done = wait_for(lambda: len(receiver.revoked_at) >= len(ids), timeout=LEAD_SECONDS + 120)
            cpu = [process_cpu(worker.pid) for worker in workers]
        ends = {f"erp-pay-create-{i}": (end + timedelta(microseconds=i * 1000)).timestamp() for i in range(len(ids))}
        late = lateness(receiver, ends)
        twice = sum(1 for count in receiver.revokes.values() if count > 1)
        print(f"revoke lateness, {args.grants} grants ending within one second, {args.workers} worker processes, "
              f"{args.database}{'' if done else ' (TIMED OUT before all were revoked)'}")
        print(f"  end -> webhook revoke: {percentiles(late)}  ({len(late)} revoked, {twice} more than once)")
        fired, claimed, recorded, by = stages(world.store, ids, end)
        print(f"  end -> expiry fired (its group's clock): min {min(fired):.3f}s  {percentiles(fired)}")
        print(f"  end -> revoke claimed by the runner:     min {min(claimed):.3f}s  {percentiles(claimed)}")
        print(f"  end -> revoke's outcome recorded:        min {min(recorded):.3f}s  {percentiles(recorded)}")
        burst = [after - ready for after, ready in zip(cpu, cpu_ready, strict=True)]
        print(f"  revokes run per worker: {sorted(by.values(), reverse=True)}; worker CPU from healthy to the "
              f"last revoke: {', '.join(f'{c:.2f}s' for c in burst)} ({sum(burst) / len(ids) * 1000:.1f} ms per grant, "
              f"at least {sum(burst) / (os.cpu_count() or 1):.2f}s of wall on {os.cpu_count()} cores)")
        print(f"  load average before: {load_before}  after: {load_average()}")
    receiver.close()


def stages(store, ids: list[int], end: datetime) -> tuple[list[float], list[float], list[float], dict[str, int]]:
    """From each grant's end: when its expiry's group began (the revoke's created_at), when the
    runner claimed the revoke (started_at) and when its outcome's transaction began (finished_at);
    and how many revokes each worker ran."""
    with store.uow() as s:
        rows = s.execute(select(Grant.ends_at, ProvisioningAction.created_at, ProvisioningAction.started_at,
                                ProvisioningAction.finished_at, ProvisioningAction.claimed_by)
                         .join(Grant, Grant.id == ProvisioningAction.grant_id)
                         .where(Grant.id.in_(ids), ProvisioningAction.action == ActionKind.REVOKE)).all()
    fired = [(created - ends).total_seconds() for ends, created, *_ in rows]
    claimed = [(started - ends).total_seconds() for ends, _, started, *_ in rows if started is not None]
    recorded = [(finished - ends).total_seconds() for ends, _, _, finished, _ in rows if finished is not None]
    return fired, claimed, recorded, Counter(by for *_, by in rows)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc), its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
