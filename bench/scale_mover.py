"""Benchmark 2: a re-org moves 1,000 people, then a full policy re-check of every live grant.

    python bench/scale_mover.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                [--scale 1] [--movers 1000] [--profile]

On a private copy of the scale fixture: 1,000 people (chosen by the seed) change department
through ``bot.lifecycle.apply.receive``, one HR mover event and one transaction each, as the HR
webhook applies them; each mover's live grants are checked against the policy (CEL), what no
longer passes gets its grace-period revoke timer, new birthright access is granted. Then
``bot.lifecycle.policy_sweep.sweep`` re-checks all live grants of the company at once. Prints
wall and CPU time, statements, grants checked and the load for both. Goals: the movers' grants in
under 5 s, the full re-check in under 30 s, no statement per grant.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench.bench_figures import Meter, QueryCounter, profiled, scale_parser  # noqa: E402
from bench.scale_catalog import DEPARTMENTS  # noqa: E402
from bench.scale_fixture import NOW, open_fixture  # noqa: E402
from bot.domain.enums import Trigger  # noqa: E402
from bot.lifecycle import apply, mover_recheck, policy_sweep  # noqa: E402
from bot.lifecycle.events import LifecycleInput  # noqa: E402
from bot.store.models import Grant, Person  # noqa: E402
from bot.ledger.context import Actor, Ctx  # noqa: E402


def movers(s, count: int, seed: int) -> list[tuple[str, str]]:
    heads = set(s.scalars(select(Person.manager_id).where(Person.manager_id == 1)))  # department heads
    people = [(p.id, p.email, p.department) for p in s.scalars(select(Person).where(Person.id > 1).order_by(Person.id))
              if p.id not in heads]
    rng = random.Random(seed)
    chosen = rng.sample(people, min(count, len(people)))
    return [(email, DEPARTMENTS[(DEPARTMENTS.index(dept) + 1) % len(DEPARTMENTS)]) for _, email, dept in chosen]


def reorg(store, catalog, moves: list[tuple[str, str]]) -> dict:
    review_meter = {"wall": 0.0, "cpu": 0.0}
    original = mover_recheck.review

    def timed_review(*args, **kwargs):  # only the policy part of a move: the grants checked and their timers
        meter = Meter()
        try:
            return original(*args, **kwargs)
        finally:
            review_meter["wall"] += meter.elapsed
            review_meter["cpu"] += meter.cpu_used

    mover_recheck.review = timed_review
    notes: Counter = Counter()
    meter = Meter()
    try:
        with QueryCounter(store.engine) as queries:
            for n, (email, department) in enumerate(moves):
                at = NOW + timedelta(seconds=n)
                event = LifecycleInput(event_id=f"hr:reorg-{n}", source="hr", type="mover", occurred_at=at,
                                       effective_at=at, effective_given=False, email=email,
                                       values={"department": department})
                with store.uow() as s:
                    result = apply.receive(s, Ctx(catalog, at, Actor.system("reorg", Trigger.HR)), event)
                notes.update(note.split(":")[0].split(" [")[0] for note in result.notes)
    finally:
        mover_recheck.review = original
    return {"meter": str(meter), "queries": queries.count, "review": review_meter, "notes": dict(notes)}


def main() -> None:
    parser = scale_parser(__doc__)
    parser.add_argument("--movers", type=int, default=1000)
    args = parser.parse_args()
    fixture = open_fixture(args.database_url, seed=args.seed, factor=args.scale, writable=True)
    store, catalog = fixture.store(), fixture.catalog()
    with store.uow() as s:
        moves = movers(s, args.movers, args.seed)
        checked = s.scalar(select(func.count()).select_from(Grant).join(Person, Person.id == Grant.person_id)
                           .where(Person.email.in_([m[0] for m in moves]),
                                  Grant.status.in_(mover_recheck.REVIEWED)))
        live = s.scalar(select(func.count()).select_from(Grant).where(Grant.status.in_(mover_recheck.REVIEWED)))
    print(f"{store.dialect}: {fixture.info['counts']['people']} people, {live} live or scheduled grants; "
          f"{len(moves)} movers holding {checked}", flush=True)
    with profiled(args.profile):
        moved = reorg(store, catalog, moves)
    review = moved["review"]
    print(f"re-org, {len(moves)} mover events (one transaction each): {moved['meter']}; {moved['queries']} statements "
          f"({moved['queries'] / max(1, len(moves)):.1f} per mover); policy review of their {checked} grants: "
          f"wall {review['wall']:.2f}s, cpu {review['cpu']:.2f}s; outcomes {moved['notes']}", flush=True)
    with store.uow() as s:
        moved_ids = list(s.scalars(select(Person.id).where(Person.email.in_([m[0] for m in moves]))))
    catalog = fixture.catalog()  # a fresh catalog: no verdict remembered from the re-org
    meter = Meter()
    with QueryCounter(store.engine) as queries, store.uow() as s:
        findings = list(policy_sweep.sweep(s, catalog, person_ids=moved_ids))
    print(f"policy check of the {len(moves)} movers' grants alone (policy_sweep, after the move, cold): {meter}; "
          f"{queries.count} statements; {len(findings)} no longer allowed", flush=True)
    catalog = fixture.catalog()
    meter = Meter()
    with profiled(args.profile), QueryCounter(store.engine) as queries, store.uow() as s:
        findings = list(policy_sweep.sweep(s, catalog))
    print(f"full policy re-check of {live} grants (cold): {meter}; {queries.count} statements; "
          f"{len(findings)} no longer allowed", flush=True)
    store.dispose()
    fixture.drop_copy()


if __name__ == "__main__":
    main()
