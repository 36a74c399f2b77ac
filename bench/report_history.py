"""How long do `accessbot report` and a Prometheus scrape take over a year of history?

Generates a year: people, requests and their grants (most time-bound and expired on time),
leavers with offboarding calls on several systems, joiner events, audit events, reconcile runs
and orphan findings; then times the figures for the whole year and the /metrics render.
Targets (issue 13, on PostgreSQL at the full size): report < 10 s, scrape < 200 ms.

    python bench/report_history.py [--database sqlite|postgres] [--full]
        default: 1,000 people, 20,000 grants, 200,000 audit events (the machine is shared)
        --full:  10,000 people, 200,000 grants, 2,000,000 audit events
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from bot.http.metrics import Metrics  # noqa: E402
from bot.reporting.figures import Period, compute  # noqa: E402
from bot.store.models import (  # noqa: E402
    AccessRequest, AuditEvent, Grant, LifecycleEvent, Offboarding, OrphanFinding, Person, ProvisioningAction,
    ReconcileRun,
)
from tests.support import databases  # noqa: E402

SYSTEMS = ["okta", "github", "google", "aws", "slack", "jira"]
DEPARTMENTS = ["Engineering", "Sales", "Finance", "IT", "Support", "Marketing"]
ENTITLEMENTS = [(f"{system}:{role}", system) for system in SYSTEMS for role in ("member", "admin", "read")]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--full", action="store_true", help="10,000 people, 200,000 grants, 2M audit events")
    return parser.parse_args()


def _batches(rows, size=5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def generate(store, people: int, grants: int, events: int, start: datetime) -> None:
    rng = random.Random(13)
    year = timedelta(days=365)
    with store.uow() as s:
        s.execute(insert(Person), [dict(id=i + 1, email=f"p{i}@acme.test", name=f"P {i}",
                                        department=DEPARTMENTS[i % len(DEPARTMENTS)], created_at=start,
                                        updated_at=start) for i in range(people)])
    requests, grant_rows = [], []
    for i in range(grants):
        created = start + year * rng.random()
        decided = created + timedelta(seconds=rng.expovariate(1 / 1800))
        activated = decided + timedelta(seconds=rng.expovariate(1 / 30))
        ref, system = ENTITLEMENTS[i % len(ENTITLEMENTS)]
        bound = rng.random() < 0.85
        ends = activated + timedelta(hours=rng.choice((1, 4, 8, 24))) if bound else None
        ended = ends + timedelta(seconds=rng.expovariate(1 / 20)) if ends and ends < start + year else None
        requests.append(dict(id=i + 1, requester_id=rng.randrange(people) + 1, entitlement=ref, status="approved",
                             trigger="slack", created_at=created, decided_at=decided, grant_id=i + 1))
        grant_rows.append(dict(id=i + 1, person_id=requests[-1]["requester_id"], entitlement=ref, connector=system,
                               target=ref, request_id=i + 1, status="expired" if ended else "active",
                               starts_at=decided, ends_at=ends, activated_at=activated, ended_at=ended,
                               end_reason="expired" if ended else None, created_at=decided))
    for n in range(200):  # still waiting for approval at the end
        requests.append(dict(id=grants + n + 1, requester_id=n + 1, entitlement=ENTITLEMENTS[0][0], status="pending",
                             trigger="slack", created_at=start + year - timedelta(hours=n)))
    leavers = max(1, people // 10)
    offboardings, actions, lifecycle = [], [], []
    for i in range(leavers):
        at = start + year * rng.random()
        lifecycle.append(dict(event_id=f"hr:{i}", source="hr", type="leaver", person_id=i + 1, email=f"p{i}@acme.test",
                              occurred_at=at, effective_at=at, received_at=at, applied_at=at, status="applied"))
        offboardings.append(dict(id=i + 1, person_id=i + 1, requested_by="system:hr", trigger="hr", status="done",
                                 started_at=at, created_at=at, report={}))
        for system in SYSTEMS:
            actions.append(dict(id=str(uuid.UUID(int=rng.getrandbits(128))), person_id=i + 1, offboarding_id=i + 1,
                                connector=system, action="suspend", status="succeeded", created_at=at,
                                finished_at=at + timedelta(seconds=rng.expovariate(1 / 40))))
    with store.uow() as s:
        for table, rows in ((AccessRequest, requests), (Grant, grant_rows), (Offboarding, offboardings),
                            (ProvisioningAction, actions), (LifecycleEvent, lifecycle)):
            for batch in _batches(rows):
                s.execute(insert(table), batch)
        runs = [dict(id=n * len(SYSTEMS) + k + 1, at=start + timedelta(days=n), system=system, targets_checked=3,
                     accounts=people, orphans=5) for n in range(365) for k, system in enumerate(SYSTEMS)]
        s.execute(insert(ReconcileRun), runs)
        s.execute(insert(OrphanFinding), [dict(system=SYSTEMS[n % len(SYSTEMS)], target="t", principal=f"x{n}",
                                               kind="unknown", first_run_id=1, first_seen_at=start,
                                               last_seen_at=start, fixed_at=None if n % 3 else start + year / 2)
                                          for n in range(300)])
    print(f"  ledger written; {events:,} audit events next", file=sys.stderr, flush=True)
    hash_ = "0" * 64  # the report never reads the chain: filler events of the real shape
    seq = 0
    for batch_start in range(0, events, 20000):
        rows = []
        for _ in range(min(20000, events - batch_start)):
            seq += 1
            rows.append(dict(seq=seq, occurred_at=start + year * (seq / events), actor="system:timer",
                             action="grant.expired", subject_type="grant", subject_id=str(seq % grants),
                             trigger="timer", detail={"entitlement": "okta:member"}, prev_hash=hash_, hash=hash_))
        with store.uow() as s:
            s.execute(insert(AuditEvent), rows)


def main() -> None:
    args = arguments()
    people, grants, events = (10_000, 200_000, 2_000_000) if args.full else (1_000, 20_000, 200_000)
    folder = Path(tempfile.mkdtemp(prefix="accessbot-bench-"))
    store = databases.open_store(args.database, folder, worker=f"bench{int(time.time())}")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    try:
        began = time.perf_counter()
        generate(store, people, grants, events, start)
        generated = time.perf_counter() - began
        if args.database == "postgres":
            with store.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        period = Period(start, start + timedelta(days=365))
        report_times = []
        for _ in range(3):
            began = time.perf_counter()
            with store.uow() as s:
                figures = compute(s, period, start + timedelta(days=365))
            report_times.append(time.perf_counter() - began)
        metrics = Metrics(store)
        scrape_times = []
        for _ in range(10):
            began = time.perf_counter()
            metrics.render()
            scrape_times.append(time.perf_counter() - began)
        load = os.getloadavg()
        print(f"report over one year, {args.database}: {people:,} people, {grants:,} grants, {events:,} audit events "
              f"(generated in {generated:.0f}s)")
        print(f"  load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
        print(f"  report (figures for the year): median {statistics.median(report_times):.2f}s, "
              f"max {max(report_times):.2f}s (target < 10 s at the full size)")
        print(f"  /metrics scrape: median {statistics.median(scrape_times) * 1000:.0f} ms, "
              f"max {max(scrape_times) * 1000:.0f} ms (target < 200 ms)")
        print(f"  check: {figures.headline('time_to_provision').count:,} provisioned, "
              f"{figures.headline('time_to_deprovision').count:,} leavers, {figures.open_requests.count} open requests")
    finally:
        store.dispose()
        databases.drop_postgres_databases()


if __name__ == "__main__":
    main()
