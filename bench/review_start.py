"""Access-review benchmark: starting a campaign over many people and grants (snapshot, reviewer
assignment, the first DMs queued), then opening one reviewer's first page of 500 items.

    python bench/review_start.py                         # 1,000 people, 10,000 grants, SQLite
    python bench/review_start.py --full                  # 10,000 people, 100,000 grants (issue 12's target)
    python bench/review_start.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_reviews

The grants are written straight into the ledger (the setup is not what is measured). Figures are
printed with the machine's load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from bench.offboard import open_store  # noqa: E402
from bot.domain.enums import GrantStatus, PersonStatus, Trigger  # noqa: E402
from bot.store.models import DueAction, Grant, OutboxEvent, Person, ReviewItem  # noqa: E402
from bot.ledger.context import Actor, Ctx  # noqa: E402
from policies import load_catalog  # noqa: E402

APPS, ROLES = 20, 10
CATALOG = """
settings: {fallback: {people: [it@bench.test]}}
defaults: {connector: mem, approval: [], durations: {permanent: true, default: permanent}}
resources:
""" + "".join(f"  app{a}:\n    name: App {a}\n    owners: [owner{a}@bench.test]\n    entitlements:\n"
              + "".join(f"      role{r}: {{target: app{a}-r{r}, risk: {'high' if r == 0 else 'low'}}}\n"
                        for r in range(ROLES)) for a in range(APPS)) + """
reviews:
  - name: everything
    reviewers: [manager, owners]
"""


def seed(store, people: int, grants: int, now: datetime) -> int:
    """``people`` people in teams of 20 under a manager; grants spread over them. Returns a manager's id."""
    managers = max(1, people // 20)
    with store.uow() as s:
        rows = [dict(email=f"owner{a}@bench.test", name=f"Owner {a}", status=PersonStatus.ACTIVE, created_at=now,
                     updated_at=now, groups=[], attributes={}) for a in range(APPS)]
        rows += [dict(email="it@bench.test", name="IT", status=PersonStatus.ACTIVE, created_at=now, updated_at=now,
                      groups=[], attributes={})]
        rows += [dict(email=f"m{m}@bench.test", name=f"Manager {m}", department="Engineering", title="Manager",
                      status=PersonStatus.ACTIVE, created_at=now, updated_at=now, groups=[], attributes={})
                 for m in range(managers)]
        s.execute(insert(Person), rows)
        manager_ids = list(s.scalars(select(Person.id).where(Person.email.like("m%@bench.test")).order_by(Person.id)))
        s.execute(insert(Person), [dict(email=f"p{n}@bench.test", name=f"Person {n}", department="Engineering",
                                        title=f"Engineer {n % 5}", manager_id=manager_ids[n % managers],
                                        status=PersonStatus.ACTIVE, created_at=now, updated_at=now, groups=[],
                                        attributes={}) for n in range(people)])
        holders = list(s.scalars(select(Person.id).where(Person.email.like("p%@bench.test")).order_by(Person.id)))
        batch = []
        for g in range(grants):
            a, r = g % APPS, (g // APPS) % ROLES
            batch.append(dict(person_id=holders[g % len(holders)], entitlement=f"app{a}:role{r}", connector="mem",
                              target=f"app{a}-r{r}", status=GrantStatus.ACTIVE, starts_at=now, activated_at=now,
                              granted_by="bench", created_at=now))
            if len(batch) == 10_000:
                s.execute(insert(Grant), batch)
                batch = []
        if batch:
            s.execute(insert(Grant), batch)
        return manager_ids[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--people", type=int, default=1_000)
    parser.add_argument("--grants", type=int, default=10_000)
    parser.add_argument("--full", action="store_true", help="10,000 people and 100,000 grants")
    args = parser.parse_args()
    if args.full:
        args.people, args.grants = 10_000, 100_000
    from bot.reviews.start import start_campaign
    from bot.slack.readmodels.review import review_page
    from bot.slack.views.review import render_review_modal

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "catalog.yaml").write_text(CATALOG)
        catalog = load_catalog(Path(folder) / "catalog.yaml", connectors=["mem"])
        store = open_store(args.database_url, Path(folder))
        now = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        seed(store, args.people, args.grants, now)
        seeded = time.perf_counter() - t0
        ctx = Ctx(catalog, now, Actor("it@bench.test", Trigger.CLI))
        t0, cpu0 = time.perf_counter(), time.process_time()
        with store.uow() as s:
            run = start_campaign(s, ctx, name="everything", by=None)
            campaign_id = run.id
        started, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        with store.uow() as s:
            items = s.scalar(select(func.count()).select_from(ReviewItem))
            busiest, count = s.execute(select(ReviewItem.reviewer_id, func.count()).group_by(ReviewItem.reviewer_id)
                                       .order_by(func.count().desc()).limit(1)).one()
            queued = s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "review.started"))
            due = s.scalar(select(func.count()).select_from(DueAction).where(DueAction.kind.like("review.%")))
        t0 = time.perf_counter()
        with store.uow() as s:
            view = render_review_modal(review_page(s, catalog, campaign_id, busiest, 0))
        opened = (time.perf_counter() - t0) * 1000
        load = os.getloadavg()
        backend = "PostgreSQL" if (args.database_url or "").startswith("postgresql") else "SQLite"
        print(f"review start over {args.people:,} people / {args.grants:,} grants on {backend} "
              f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs)")
        print(f"  setup (not measured): {seeded:.1f} s")
        print(f"  start campaign (snapshot {items:,} items, assignment, DMs queued): {started:.2f} s "
              f"({items / started:,.0f} items/s); {queued} DM event, {due} due actions")
        print(f"    of which this process's CPU (snapshot, scope, assignment, COPY rows): {cpu:.2f} s; "
              f"the rest is waiting for the database and for a CPU")
        print(f"  busiest reviewer: {count:,} items; first page opened and rendered in {opened:.0f} ms "
              f"({len(view['blocks'])} blocks)")
        store.engine.dispose()


if __name__ == "__main__":
    main()
