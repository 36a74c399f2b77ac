"""Benchmark 1: the App Home of a person with 200 grants and 50 approvals waiting on them, in the
scale fixture's database (10,000 people, 100,000 grants at scale 1).

    python bench/scale_home.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                               [--scale 1] [--rounds 20] [--profile]

Each round is one ``HomePublisher.publish``: load the read model, render the blocks and
``views.publish`` to the fake Slack Web API on loopback (a real HTTP call). Prints per round the
wall and CPU time (median, p90, max), the SQL statements per publish, and the load. Goal: under
300 ms, and a number of statements that does not grow with the grants (tests/slack/test_home_queries.py).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.bench_figures import QueryCounter, profiled, scale_parser  # noqa: E402
from bench.scale_fixture import NOW, connectors, open_fixture  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.domain.clock import ManualClock  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.home import HomePublisher  # noqa: E402
from bot.store.models import Grant, Person  # noqa: E402
from tests.support.fake_slack import BOT_TOKEN, FakeSlack  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = scale_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    fixture = open_fixture(args.database_url, seed=args.seed, factor=args.scale)
    store = fixture.store()
    deps = Deps(settings=Settings(database_url="sqlite://"), store=store, catalog=fixture.catalog(),
                connectors=connectors(), clock=ManualClock(NOW))
    with store.uow() as s:
        person = s.get(Person, fixture.home_person)
        shown = s.scalar(select(func.count()).select_from(Grant).where(Grant.person_id == person.id,
                                                                       Grant.status.in_(("active", "scheduled"))))
        slack_id, email = person.slack_user_id, person.email
    fake = FakeSlack.start()
    fake.add_user(slack_id, email, email.split("@")[0])
    client = WebClient(token=BOT_TOKEN, base_url=fake.api_url)
    publisher = HomePublisher(deps, client)
    publisher.publish(fixture.home_person)  # warm: connection pool, catalog lookups, the HTTP keep-alive
    walls, cpus, counts = [], [], []
    with profiled(args.profile):
        for _ in range(args.rounds):
            with QueryCounter(store.engine) as queries:
                wall, cpu = time.perf_counter(), time.process_time()
                publisher.publish(fixture.home_person)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            counts.append(queries.count)
    home = fake.home(slack_id)
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{store.dialect}, {fixture.info['counts']['people']} people, {fixture.info['counts']['grants']} grants; "
          f"home of person {fixture.home_person}: {shown} live grants, {len(home.blocks)} blocks published")
    print(f"App Home render+publish over {args.rounds} rounds: wall median {statistics.median(walls) * 1000:.1f} ms, "
          f"p90 {percentile(walls, 0.9) * 1000:.1f} ms, max {max(walls) * 1000:.1f} ms; cpu (this process, includes "
          f"the fake Slack's thread) median {statistics.median(cpus) * 1000:.1f} ms; "
          f"SQL statements per publish {sorted(set(counts))}; load {load}")
    fake.stop()
    deps.close()


if __name__ == "__main__":
    main()
