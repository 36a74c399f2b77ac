"""Benchmark 6: ``accessbot audit verify`` and ``audit export`` over the scale fixture's audit log.

    python bench/scale_audit.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                [--scale 1] [--profile]

Runs the real commands as child processes on the cached fixture (2,000,000 events at scale 1) and
prints, for each, its wall time, its CPU time and peak RSS (from the child's rusage) and the load.
Goal: verify in under 20 s, and both in constant memory (peak RSS the same at scale 0.1 and 1).
``--profile`` runs verify in this process under cProfile and prints where the time goes.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_figures import profiled, scale_parser  # noqa: E402
from bench.scale_fixture import open_fixture  # noqa: E402

ACCESSBOT = [sys.executable, "-m", "bot"]


def run_child(args: list[str], url: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(ACCESSBOT + args, env={**os.environ, "ACCESSBOT_DATABASE_URL": url},
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"rc": done.returncode, "out": (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:],
            "wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_rss_mb": after.ru_maxrss / 1024, "load": os.getloadavg()}


def show(name: str, figures: dict) -> None:
    load = "/".join(f"{x:.2f}" for x in figures["load"])
    print(f"{name}: wall {figures['wall']:.2f}s, cpu {figures['cpu']:.2f}s, peak rss {figures['peak_rss_mb']:.0f} MB "
          f"(largest child so far), load {load}, exit {figures['rc']}: {' '.join(figures['out'])}", flush=True)


def main() -> None:
    parser = scale_parser(__doc__)
    args = parser.parse_args()
    fixture = open_fixture(args.database_url, seed=args.seed, factor=args.scale)
    events = fixture.info["counts"]["audit_events"]
    print(f"{fixture.url.split('/')[-1]}: {events} audit events", flush=True)
    show("audit verify", run_child(["audit", "verify"], fixture.url))
    show("audit export --format jsonl", run_child(["audit", "export", "--format", "jsonl", "-o", os.devnull],
                                                  fixture.url))
    show("audit export --format csv", run_child(["audit", "export", "--format", "csv", "-o", os.devnull], fixture.url))
    if args.profile:
        from bot.audit.verify import verify

        store = fixture.store()
        with profiled(True), store.uow() as s:
            print(verify(s))
        store.dispose()


if __name__ == "__main__":
    main()
