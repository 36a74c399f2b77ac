"""How fast does `accessbot serve` itself catch up after being down? N grants are already overdue
when it is launched (web front and worker child, as production runs it); every revoke goes through
the webhook connector to a receiver on 127.0.0.1. Figures are from the launch: healthy (the web
front's /healthz), the worker child healthy (its own /healthz), first revoke received, last revoke
received. Goals (issue 17.9): first revoke
within 1 s of healthy, 1,000 drained in under 5 s end to end.

    python bench/serve_backlog.py [--grants 1000] [--database postgres|sqlite]
"""

from __future__ import annotations

import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from serve_setup import (
    Receiver, free_port, load_average, processes, serve_arguments, serve_command, serve_env, wait_for,
)
from timer_setup import HOLDER_EMAILS, bench_world

from tests.support.live_server import wait_healthy
from tests.timers.support import seed_active_grants


def main() -> None:
    args = serve_arguments(__doc__, grants=1000)
    receiver = Receiver()
    folder = Path(tempfile.mkdtemp(prefix="accessbot-bench-"))
    with bench_world(args.database, folder) as world:
        overdue = datetime.now(UTC) - timedelta(minutes=5)
        seed_active_grants(world, args.grants, lambda i: overdue + timedelta(milliseconds=i), emails=HOLDER_EMAILS)
        port, worker_port = free_port(), free_port()
        env = {**serve_env(world, folder, receiver), "ACCESSBOT_WORKER_METRICS_PORT": str(worker_port)}
        load_before = load_average()
        launched = time.time()
        with processes([(serve_command("--port", str(port)), env)], folder) as [serve]:
            wait_healthy(f"http://127.0.0.1:{port}", timeout=120, alive=lambda: serve.poll() is None)
            healthy = time.time() - launched
            wait_healthy(f"http://127.0.0.1:{worker_port}", timeout=120, alive=lambda: serve.poll() is None)
            worker_healthy = time.time() - launched  # its /healthz is served once its timers have started
            done = wait_for(lambda: len(receiver.revoked_at) >= args.grants, timeout=300)
        arrivals = sorted(receiver.revoked_at.values())
        first, last = (arrivals[0] - launched, arrivals[-1] - launched) if arrivals else (float("nan"),) * 2
        twice = sum(1 for count in receiver.revokes.values() if count > 1)
        print(f"accessbot serve with a backlog, {args.grants} overdue grants at launch, {args.database}"
              f"{'' if done else ' (TIMED OUT before all were revoked)'}")
        print(f"  launch -> healthy:      {healthy:.2f}s")
        print(f"  launch -> worker child healthy: {worker_healthy:.2f}s")
        print(f"  launch -> first revoke: {first:.2f}s  ({first - healthy:+.2f}s from healthy)")
        print(f"  launch -> last revoke:  {last:.2f}s  ({len(arrivals)} revoked, {twice} more than once)")
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)  # serve and its worker child, both ended by now
        print(f"  CPU of serve and its worker, launch to stop: {cpu.ru_utime + cpu.ru_stime:.2f}s"
              f" (user {cpu.ru_utime:.2f}s, system {cpu.ru_stime:.2f}s)")
        print(f"  load average before: {load_before}  after: {load_average()}")
    receiver.close()


if __name__ == "__main__":
    main()
