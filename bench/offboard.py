"""Offboarding benchmark: one person with many grants across systems, then many leavers at once.

    python bench/offboard.py                       # SQLite in a temporary folder
    python bench/offboard.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Every system is an in-memory connector that takes ``--delay`` seconds per call (0.2 s by default),
which is what a SaaS admin API typically costs. The engine runs each system in its own lane with
at most ``--per-system`` calls in flight; the figures compare its wall time with the sum of the
calls (what a one-call-at-a-time offboarding would take) and with the critical path (the slowest
system's calls at that per-system limit: the best any schedule can do).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import textwrap
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402

from bot.deps import Deps  # noqa: E402
from bot.directory import service as directory  # noqa: E402
from bot.domain.clock import SystemClock  # noqa: E402
from bot.domain.enums import Trigger  # noqa: E402
from bot.offboarding import engine  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import migrate  # noqa: E402
from bot.store.db import Store, create_engine_for  # noqa: E402
from bot.store.models import ProvisioningAction  # noqa: E402
from bot.ledger import grants  # noqa: E402
from bot.ledger.context import Actor  # noqa: E402
from connectors.memory import MemoryConnector  # noqa: E402
from connectors.registry import ConnectorSet  # noqa: E402
from policies import load_catalog  # noqa: E402

SYSTEMS = 6
ENTITLEMENTS_PER_SYSTEM = 10
IT = Actor("it@bench.test", Trigger.CLI)


def build_catalog(folder: Path):
    resources = "\n".join(textwrap.dedent(f"""\
          app{n}:
            name: App {n}
            connector: sys{n}
            entitlements:
        """) + "".join(f"      role{r}: {{target: app{n}-role{r}}}\n" for r in range(ENTITLEMENTS_PER_SYSTEM))
        for n in range(1, SYSTEMS + 1))
    path = folder / "catalog.yaml"
    path.write_text("defaults:\n  connector: sys1\n  approval: []\n  durations: {permanent: true, default: permanent}\n"
                    "resources:\n" + textwrap.indent(resources, "  "))
    return load_catalog(path, connectors=[f"sys{n}" for n in range(1, SYSTEMS + 1)])


def open_store(url: str | None, folder: Path) -> Store:
    if url and url.startswith("postgresql"):
        admin_url, name = url.rsplit("/", 1)
        admin = create_engine(admin_url + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    store = Store(create_engine_for(url or f"sqlite:///{folder}/bench.db"))
    migrate.upgrade(store.engine)
    return store


def give(deps: Deps, holdings: dict[str, list[str]]) -> None:
    """Grant through the ledger and provision with no delay: the setup is not what is measured."""
    ctx = deps.ctx(Actor.system("bench"))
    with deps.store.uow() as s:
        for email, refs in holdings.items():
            person, _ = directory.upsert(s, directory.PersonInput(email=email, name=email.split("@")[0]),
                                         source="bench", now=ctx.now)
            for ref in refs:
                grants.create(s, ctx, person=person, entitlement=deps.catalog.entitlement(ref), duration=None,
                              starts_at=None, request=None, granted_by="bench")
    delays = {name: c.delay for name, c in deps.connectors.items()}
    for connector in deps.connectors.values():
        connector.delay = 0
    deps.runner.threads = 16
    deps.runner.run_due(limit=500)
    for name, connector in deps.connectors.items():
        connector.delay = delays[name]


def calls_of(deps: Deps, record_ids: list[int]) -> list[ProvisioningAction]:
    with deps.store.uow() as s:
        return list(s.scalars(select(ProvisioningAction).where(ProvisioningAction.offboarding_id.in_(record_ids))))


def critical_path(rows: list[ProvisioningAction], delay: float, per_system: int) -> float:
    """Per system: its calls in rounds of ``per_system``, but a person's suspend → end-sessions chain
    is sequential; the slowest system decides."""
    worst = 0.0
    for system, count in Counter(r.connector for r in rows).items():
        chains = Counter(r.offboarding_id for r in rows if r.connector == system and r.action == "suspend")
        longest_chain = 2 if chains else 1
        worst = max(worst, max(math.ceil(count / per_system), longest_chain) * delay)
    return worst


@contextmanager
def first_call(deps: Deps, started: float):
    """Yields a list that gets the time from ``started`` to the first connector call of the run."""
    first: list[float] = []
    attempt = deps.runner.attempt

    def timed(call):
        if not first:
            first.append(time.monotonic() - started)
        return attempt(call)

    deps.runner.attempt = timed
    try:
        yield first
    finally:
        deps.runner.attempt = attempt


def one_person(deps: Deps, args) -> dict:
    per_system_refs = [[f"app{n}:role{r}" for r in range(ENTITLEMENTS_PER_SYSTEM)] for n in range(1, SYSTEMS + 1)]
    refs = [ref for round_ in zip(*per_system_refs) for ref in round_][:args.grants]
    give(deps, {"leaver@bench.test": refs})
    started, cpu_started = time.monotonic(), time.process_time()
    with first_call(deps, started) as first:
        report = engine.run(deps, email="leaver@bench.test", actor=IT, per_system=args.per_system)
    wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
    rows = calls_of(deps, [report.offboarding_id])
    assert report.status == "done", report.status
    return {"calls": len(rows), "wall": wall, "cpu": cpu, "first": first[0], "sequential": sum(r.duration_ms for r in rows) / 1000,
            "critical": critical_path(rows, args.delay, args.per_system)}


def many_people(deps: Deps, args) -> dict:
    holdings = {f"leaver{i:03d}@bench.test": [f"app{(i + k) % SYSTEMS + 1}:role{(i + k) % ENTITLEMENTS_PER_SYSTEM}"
                                              for k in range(args.grants_each)] for i in range(args.leavers)}
    give(deps, holdings)
    started, cpu_started = time.monotonic(), time.process_time()
    with first_call(deps, started) as first:
        reports = engine.run_many(deps, emails=list(holdings), actor=IT, reason="bench", per_system=args.per_system)
    wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
    ids = [r.offboarding_id for r in reports]
    prepared = first[0] if first else wall
    rows = calls_of(deps, ids)
    statuses = Counter(r.status for r in reports)
    return {"people": len(ids), "calls": len(rows), "prepare": prepared, "wall": wall, "cpu": cpu,
            "sequential": sum(r.duration_ms for r in rows) / 1000,
            "critical": critical_path(rows, args.delay, args.per_system), "statuses": dict(statuses)}


def make_deps(store: Store, catalog, delay: float) -> Deps:
    connectors = ConnectorSet({f"sys{n}": MemoryConnector(f"sys{n}", {"delay_seconds": delay})
                               for n in range(1, SYSTEMS + 1)})
    return Deps(settings=Settings(database_url="sqlite://"), store=store, catalog=catalog, connectors=connectors,
                clock=SystemClock())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--per-system", type=int, default=engine.PER_SYSTEM)
    parser.add_argument("--grants", type=int, default=50)
    parser.add_argument("--leavers", type=int, default=200)
    parser.add_argument("--grants-each", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        catalog = build_catalog(folder)
        store = open_store(args.database_url, folder)
        deps = make_deps(store, catalog, args.delay)
        print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {store.dialect}, {SYSTEMS} systems, "
              f"{args.delay}s per call, {args.per_system} calls in flight per system")
        one = one_person(deps, args)
        print(f"one leaver, {args.grants} grants: {one['calls']} calls; wall {one['wall']:.2f}s "
              f"(CPU {one['cpu']:.2f}s; first call after {one['first']:.2f}s); "
              f"sequential sum {one['sequential']:.2f}s ({one['sequential'] / one['wall']:.1f}x); "
              f"critical path {one['critical']:.2f}s ({one['wall'] / one['critical']:.2f}x of it)")
        bulk = many_people(deps, args)
        print(f"{bulk['people']} leavers, {args.grants_each} grants each: {bulk['calls']} calls; "
              f"first call after {bulk['prepare']:.2f}s; wall {bulk['wall']:.2f}s (CPU {bulk['cpu']:.2f}s); "
              f"sequential sum {bulk['sequential']:.1f}s "
              f"({bulk['sequential'] / bulk['wall']:.1f}x); critical path {bulk['critical']:.2f}s "
              f"({bulk['wall'] / bulk['critical']:.2f}x of it); {bulk['statuses']}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (CPU: this process, every thread)")
        deps.close()


if __name__ == "__main__":
    main()
