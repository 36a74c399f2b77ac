"""Access-review benchmark, the reviewer's side: a reviewer with 500 items opens the review and decides,
driven as Slack would (signed requests to the real /slack/events, the fake Slack Web API).

Measured:
  * the review view of 500 items: reading and rendering one page (in process, median of 20), and the
    whole open (the Open review click until the filled modal reaches Slack);
  * a Keep click: the ack (Slack's limit is 3 s) and the redraw (the click until views.update, goal < 1 s);
  * a Revoke: the reason modal's submission ack and the redraw of the review underneath.

    python bench/review_view.py                    # SQLite in a temporary directory
    python bench/review_view.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_review_view

Figures are printed with the machine's load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from bench.offboard import open_store  # noqa: E402
from bot.directory import service as directory  # noqa: E402
from bot.domain.clock import ManualClock  # noqa: E402
from bot.domain.enums import GrantStatus, Trigger  # noqa: E402
from bot.operations import perform  # noqa: E402
from bot.reviews.start import start_campaign  # noqa: E402
from bot.slack.readmodels.review import review_page  # noqa: E402
from bot.slack.views.review import render_review_modal  # noqa: E402
from bot.store.models import Grant, Person  # noqa: E402
from bot.ledger.context import Actor  # noqa: E402
from tests.slack.harness import CATALOG, DANA, running_bot, seed_slack_users  # noqa: E402
from tests.support.fake_slack import FakeSlack  # noqa: E402

ITEMS = 500
REVIEWS = """
reviews:
  - name: wiki
    scope: {resources: [wiki]}
    reviewers: [manager]
"""


def seed(sw, count: int) -> int:
    now = sw.world.clock.now()
    with sw.store.uow() as s:
        for n in range(count):
            directory.upsert(s, directory.PersonInput(email=f"e{n}@acme.test", name=f"Engineer {n}",
                                                      department="Engineering", title=f"Engineer {n % 4}",
                                                      manager_email="dana@acme.test"), source="bench", now=now)
        ids = s.scalars(select(Person.id).where(Person.email.like("e%@acme.test"))).all()
        s.execute(insert(Grant), [dict(person_id=pid, entitlement="wiki:editor", connector="mem", target="wiki-editors",
                                       status=GrantStatus.ACTIVE, starts_at=now, activated_at=now,
                                       granted_by="bench", created_at=now) for pid in ids])
    return perform(sw.deps, Actor("ivan@acme.test", Trigger.CLI), "review.start", lambda s, ctx: start_campaign(
        s, ctx, name="wiki", by=directory.require(s, "ivan@acme.test")).id)


def first_pending(sw) -> int:
    """The first item the reviewer's modal offers Keep for, as it is shown now."""
    blocks = sw.fake.modal_stack(DANA)[-1].blocks
    return next(int(b["block_id"].split(":")[1]) for b in blocks if b.get("block_id", "").startswith("review_actions:"))


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(args.database_url, Path(folder))
        fake = FakeSlack.start()
        seed_slack_users(fake)
        for n in range(ITEMS):  # the holders are told when their access is revoked
            fake.add_user(f"UE{n:05d}", f"e{n}@acme.test", f"e{n}")
        with running_bot(store, ManualClock(), Path(folder), catalog=CATALOG + REVIEWS, fake=fake) as sw:
            campaign = seed(sw, ITEMS)
            sw.settle()
            with sw.store.uow() as s:
                dana = directory.require(s, "dana@acme.test").id
            renders = []
            for _ in range(20):
                with sw.store.uow() as s:
                    _, ms = timed(lambda s=s: render_review_modal(review_page(s, sw.world.catalog, campaign, dana, 0)))
                renders.append(ms)
            [dm] = [m for m in sw.fake.dm(DANA) if "Access review" in m.visible_text]
            since = sw.fake.last_seq
            t0 = time.perf_counter()
            sw.sim.click(DANA, on=dm, action_id="review_open")
            sw.fake.wait_until(lambda: sw.fake.modal_stack(DANA) and "reviewed, due" in sw.fake.modal_stack(DANA)[-1].visible_text, what="filled")
            opened = (time.perf_counter() - t0) * 1000
            view = sw.fake.modal_stack(DANA)[-1]
            acks, redraws = [], []
            for _ in range(args.clicks):
                item_id = first_pending(sw)
                since = sw.fake.last_seq
                t0 = time.perf_counter()
                sw.sim.click(DANA, on=view.id, action_id="review_keep", block_id=f"review_actions:{item_id}")
                acks.append((time.perf_counter() - t0) * 1000)
                sw.fake.wait_for_call("views.update", after=since, ok=True, view_id=view.id)
                redraws.append((time.perf_counter() - t0) * 1000)
            item_id = first_pending(sw)
            since = sw.fake.last_seq
            sw.sim.click(DANA, on=view.id, action_id="review_revoke", block_id=f"review_actions:{item_id}")
            sw.fake.wait_for_call("views.push", after=since, ok=True)
            since = sw.fake.last_seq
            t0 = time.perf_counter()
            sw.sim.submit(DANA, sw.fake.modal_stack(DANA)[-1].id, {"reason": "not needed"})
            revoke_ack = (time.perf_counter() - t0) * 1000
            sw.fake.wait_for_call("views.update", after=since, ok=True, view_id=view.id)
            revoke_redraw = (time.perf_counter() - t0) * 1000
            sw.settle()
        fake.stop()
        store.engine.dispose()
    load = os.getloadavg()
    backend = "PostgreSQL" if (args.database_url or "").startswith("postgresql") else "SQLite"
    print(f"review view, one reviewer with {ITEMS} items, on {backend} "
          f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs)")
    print(f"  page read + rendered in process: median {statistics.median(renders):.0f} ms, max {max(renders):.0f} ms")
    print(f"  Open review click until the filled modal reached Slack: {opened:.0f} ms")
    print(f"  Keep x{len(acks)}: ack median {statistics.median(acks):.0f} ms, max {max(acks):.0f} ms; "
          f"redraw median {statistics.median(redraws):.0f} ms, max {max(redraws):.0f} ms")
    print(f"  Revoke (reason submitted): ack {revoke_ack:.0f} ms, redraw {revoke_redraw:.0f} ms")


if __name__ == "__main__":
    main()
