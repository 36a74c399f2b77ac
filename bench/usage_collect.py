"""Usage benchmark: collect last activity for 10,000 Okta accounts from a fake that answers in 100 ms
per page, within Okta's documented rate limit, then evaluate the inactivity policy over 10,000 grants.

    python bench/usage_collect.py                     # 10,000 accounts and grants, SQLite
    python bench/usage_collect.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_usage

The fake is the tests' Okta Users API fake (tests/support/vendors/okta.py, on respx): pages of at most
200 users (``limit``'s documented cap) followed by ``Link: rel="next"``, every answer held 100 ms, and
a sliding one-minute window of 600 requests (X-Rate-Limit-Limit of /api/v1/users on the fake; Okta's
rate-limit page: developer.okta.com/docs/reference/rl-global-mgmt/) answered with 429 E0000047 and
X-Rate-Limit-Reset beyond it. One 429 is also injected on the 10th page to show the pass waiting and
resuming at its cursor. A third of the accounts never signed in (lastLogin null: unknown), a third 90
days ago, a third yesterday. Figures are printed with the load average: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import respx  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bench.offboard import open_store  # noqa: E402
from bot.domain.clock import SystemClock  # noqa: E402
from bot.domain.enums import GrantStatus, PersonStatus  # noqa: E402
from bot.store.models import Grant, Person, UsageActivity, UsageAsk  # noqa: E402
from bot.usage import collect, evaluate  # noqa: E402
from bot.ledger.context import Actor, Ctx  # noqa: E402
from connectors.okta import OktaConnector  # noqa: E402
from policies import load_catalog  # noqa: E402
from tests.support.vendors.okta import ORG_URL, TOKEN, OktaFake, okta_error  # noqa: E402

CATALOG = """
settings: {fallback: {people: [it@bench.test]}}
defaults: {connector: okta, approval: [], durations: {permanent: true, default: permanent}}
resources:
  salesforce:
    name: Salesforce
    owners: [owner@bench.test]
    license: {amount: 150, currency: USD}
    inactivity: {after_days: 60, answer_days: 7, then: release}
    entitlements:
      sales-cloud: {title: Sales Cloud, target: 00gsales}
"""
PAGE_SECONDS = 0.1
WINDOW_LIMIT = 600  # requests per minute


def seed(store, accounts: int, now: datetime) -> None:
    with store.uow() as s:
        people = [dict(email=f"p{n}@bench.test", name=f"Person {n}", status=PersonStatus.ACTIVE, created_at=now,
                       updated_at=now, groups=[], attributes={}) for n in range(accounts)]
        people.append(dict(email="owner@bench.test", name="Owner", status=PersonStatus.ACTIVE, created_at=now,
                           updated_at=now, groups=[], attributes={}))
        s.execute(insert(Person), people)
        ids = list(s.scalars(select(Person.id).where(Person.email.like("p%@bench.test")).order_by(Person.id)))
        held = now - timedelta(days=365)
        s.execute(insert(Grant), [dict(person_id=pid, entitlement="salesforce:sales-cloud", connector="okta",
                                       target="00gsales", status=GrantStatus.ACTIVE, starts_at=held, activated_at=held,
                                       granted_by="bench", created_at=held) for pid in ids])


class SlowOkta(OktaFake):
    """Every answer held 100 ms; beyond 600 requests a minute (and once, on the 10th) a 429 whose
    X-Rate-Limit-Reset says when the window frees."""

    def __init__(self, router):
        self.window: deque[float] = deque()
        self.stats = {"requests": 0, "throttled": 0}
        super().__init__(router)

    def _guarded(self, handler):
        inner = super()._guarded(handler)

        def respond(request, **kwargs):
            time.sleep(PAGE_SECONDS)
            now = time.time()
            while self.window and self.window[0] < now - 60:
                self.window.popleft()
            self.stats["requests"] += 1
            if len(self.window) >= WINDOW_LIMIT or self.stats["requests"] == 10:
                self.stats["throttled"] += 1
                reset = int(self.window[0] + 61) if len(self.window) >= WINDOW_LIMIT else int(now) + 2
                return okta_error(429, "E0000047", "API call exceeded rate limit due to too many requests.",
                                  {"X-Rate-Limit-Limit": str(WINDOW_LIMIT), "X-Rate-Limit-Remaining": "0",
                                   "X-Rate-Limit-Reset": str(reset)})
            self.window.append(now)
            return inner(request, **kwargs)
        return respond


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--accounts", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, respx.mock(assert_all_called=False) as router:
        (Path(folder) / "catalog.yaml").write_text(CATALOG)
        catalog = load_catalog(Path(folder) / "catalog.yaml", connectors=["okta"])
        store = open_store(args.database_url, Path(folder))
        now = datetime.now(UTC)
        seed(store, args.accounts, now)
        fake = SlowOkta(router)
        for n in range(args.accounts):
            last = (None, (now - timedelta(days=90)).isoformat(), (now - timedelta(days=1)).isoformat())[n % 3]
            fake.add_user(f"00u{n:07d}", f"p{n}@bench.test", last_login=last)
        stats = fake.stats
        okta = OktaConnector("okta", {"org_url": ORG_URL, "api_token": TOKEN, "max_inline_wait_seconds": 5.0})
        deps = SimpleNamespace(connectors={"okta": okta}, store=store, clock=SystemClock(), catalog=catalog,
                               settings=SimpleNamespace(usage_collect_every_hours=24.0))
        wall, cpu = time.perf_counter(), time.process_time()
        result, passes = collect.collect(deps, "okta"), 1
        while result.status == "waiting":  # what the usage.collect timer does at resume_at
            time.sleep(max(0.0, (result.resume_at - datetime.now(UTC)).total_seconds()))
            result, passes = collect.collect(deps, "okta"), passes + 1
        collect_wall, collect_cpu = time.perf_counter() - wall, time.process_time() - cpu
        wall, cpu = time.perf_counter(), time.process_time()
        with store.uow() as s:
            evaluation = evaluate.evaluate(s, Ctx(catalog, datetime.now(UTC), Actor.system("bench")), connector="okta",
                                           stale_after=timedelta(hours=72))
        eval_wall, eval_cpu = time.perf_counter() - wall, time.process_time() - cpu
        with store.uow() as s:
            rows = s.scalar(select(func.count()).select_from(UsageActivity))
            asks = s.scalar(select(func.count()).select_from(UsageAsk))
        load = os.getloadavg()
        backend = "PostgreSQL" if (args.database_url or "").startswith("postgresql") else "SQLite"
        floor = stats["requests"] * PAGE_SECONDS
        print(f"usage collection of {args.accounts:,} Okta accounts on {backend} "
              f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs)")
        print(f"  collect: {result.status} in {passes} runs (a throttle pauses the pass; it resumes at its cursor),"
              f" {result.pages} pages in the last run, {stats['requests']} requests "
              f"({stats['throttled']} answered 429 and waited out), {rows:,} ledger rows: wall {collect_wall:.2f} s "
              f"(the fake's own floor {floor:.1f} s), CPU {collect_cpu:.2f} s")
        print(f"  evaluate: {len(evaluation.asked):,} asked, {evaluation.counts['active']:,} active, "
              f"{evaluation.counts['unknown']:,} unknown (left alone): wall {eval_wall:.2f} s, CPU {eval_cpu:.2f} s; "
              f"{asks:,} questions in the database")
        okta.close()
        store.engine.dispose()


if __name__ == "__main__":
    main()
