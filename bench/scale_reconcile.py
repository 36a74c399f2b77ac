"""Benchmark 3: reconcile every membership of six systems against the grant ledger.

    python bench/scale_reconcile.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                    [--scale 1.25] [--seed 1] [--page-size 200] [--page-delay 0.1] [--profile]

On a private copy of the scale fixture, six fake systems (``sys1``..``sys6``, the fixture's
connector names) show every active grant of the ledger as a membership, plus realistic drift
chosen by the seed: access put back by hand after its grant ended (1 % of ended grants),
access added in the app's own console (0.5 % more memberships, of known people), accounts of
people who are nobody in the directory (20 a system), and memberships removed in the console
(0.5 % of active grants). Each fake lists a target in pages of ``--page-size`` members and
takes ``--page-delay`` seconds per page (an empty target is one page too), like a SaaS admin API.

``bot.reconcile.run.reconcile`` then reads every target of every system and records the run,
its findings and its audit event. Prints wall and CPU time, statements, pages fetched,
memberships, findings and the load, and the critical path: the slowest system's pages read by
the reconcile's lanes per system (``drift.PER_SYSTEM`` targets at a time; a target's own pages come
one after another, each naming the next), times the page delay.
The default scale is 1.25 (12,500 people): the issue asks for 100,000 memberships, and at scale 1
the fixture's 100,000 grants (ended and scheduled ones included) make 79,808 memberships; at 1.25
they make about 100,000.

Goal: wall close to that critical path (the connectors' pages bound it, not our CPU), and a
number of statements that does not grow with the memberships.
"""

from __future__ import annotations

import math
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench.bench_figures import Meter, QueryCounter, profiled, scale_parser  # noqa: E402
from bench.scale_catalog import SYSTEMS  # noqa: E402
from bench.scale_fixture import NOW, open_fixture  # noqa: E402
from bot.deps import Deps  # noqa: E402
from bot.domain.clock import ManualClock  # noqa: E402
from bot.domain.enums import GrantStatus  # noqa: E402
from bot.reconcile import drift  # noqa: E402
from bot.reconcile.run import reconcile  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.models import Grant, OrphanFinding, Person  # noqa: E402
from connectors.base import PrincipalRef, Target  # noqa: E402
from connectors.memory import MemoryConnector  # noqa: E402
from connectors.registry import ConnectorSet  # noqa: E402


class PagedSystem(MemoryConnector):
    """An in-memory system whose member listing comes in pages, each taking ``page_delay`` seconds."""

    def __init__(self, name: str, *, page_size: int = 200, page_delay: float = 0.1):
        super().__init__(name)
        self.page_size, self.page_delay = page_size, page_delay
        self.pages = 0
        self.pages_of: Counter = Counter()  # target -> pages read
        self._count = threading.Lock()

    def member_pages(self, target: Target) -> Iterator[list[PrincipalRef]]:
        with self._lock:
            ids = sorted(self.members.get(target.ref, ()))
        for start in range(0, max(1, len(ids)), self.page_size):
            time.sleep(self.page_delay)
            with self._count:
                self.pages += 1
                self.pages_of[target.ref] += 1
            yield [PrincipalRef(id=i, display=i) for i in ids[start:start + self.page_size]]

    def list_members(self, target: Target) -> Iterator[PrincipalRef]:
        return iter([member for page in self.member_pages(target) for member in page])


def systems(store, seed: int, page_size: int, page_delay: float) -> tuple[dict[str, PagedSystem], Counter]:
    """The six fakes, holding the ledger's active memberships and the seed's drift."""
    rng = random.Random(seed)
    fakes = {name: PagedSystem(name, page_size=page_size, page_delay=page_delay) for name in SYSTEMS}
    planted: Counter = Counter()
    with store.uow() as s:
        emails = dict(s.execute(select(Person.id, Person.email)).all())
        rows = s.execute(select(Grant.connector, Grant.target, Grant.person_id, Grant.status)).all()
    live = {(c, t, p) for c, t, p, status in rows if status in drift.EXPLAINING}
    targets = defaultdict(set)
    for connector, target, person_id, status in rows:
        targets[connector].add(target)
        if status != GrantStatus.ACTIVE:
            continue
        if rng.random() < 0.005:
            planted["missing"] += 1  # removed in the app's console
            continue
        fakes[connector].members[target].add(emails[person_id].lower())
    for connector, target, person_id, status in rows:
        if status in (GrantStatus.EXPIRED, GrantStatus.REVOKED) and (connector, target, person_id) not in live \
                and rng.random() < 0.01:
            members = fakes[connector].members[target]
            if emails[person_id].lower() not in members:
                members.add(emails[person_id].lower())
                planted["ended"] += 1  # put back by hand after the grant ended
    people = sorted(emails.values())
    by_email = {email.lower(): person_id for person_id, email in emails.items()}
    for name, fake in fakes.items():
        names = sorted(targets[name])
        for _ in range(round(sum(len(m) for m in fake.members.values()) * 0.005)):
            target, email = rng.choice(names), rng.choice(people).lower()
            if email not in fake.members[target] and (name, target, by_email[email]) not in live:
                fake.members[target].add(email)
                planted["unmanaged"] += 1  # added in the app's own console (or nearly: a duplicate pair is skipped)
        for n in range(20):
            fake.members[rng.choice(names)].add(f"{name}-stranger{n}@elsewhere.test")
            planted["unknown"] += 1
    return fakes, planted


def main() -> None:
    parser = scale_parser(__doc__)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--page-delay", type=float, default=0.1)
    parser.set_defaults(scale=1.25)  # about 100,000 memberships (see above)
    args = parser.parse_args()
    fixture = open_fixture(args.database_url, seed=args.seed, factor=args.scale, writable=True)
    store = fixture.store()
    try:
        fakes, planted = systems(store, args.seed, args.page_size, args.page_delay)
        deps = Deps(settings=Settings(database_url="sqlite://"), store=store, catalog=fixture.catalog(),
                    connectors=ConnectorSet(dict(fakes)), clock=ManualClock(NOW))
        memberships = sum(len(m) for fake in fakes.values() for m in fake.members.values())
        print(f"{store.dialect}: {fixture.info['counts']['people']} people; {memberships} memberships on "
              f"{len(fakes)} systems (pages of {args.page_size}, {args.page_delay * 1000:.0f} ms a page); "
              f"drift planted {dict(planted)}", flush=True)
        meter = Meter()
        with profiled(args.profile), QueryCounter(store.engine) as queries:
            result = reconcile(deps)
        figures = str(meter)
        wall = meter.elapsed
        pages = {name: fake.pages for name, fake in fakes.items()}
        lanes = drift.PER_SYSTEM
        bound = {name: max(math.ceil(fake.pages / lanes), max(fake.pages_of.values(), default=0))
                 for name, fake in fakes.items()}
        slowest = max(bound, key=bound.get)
        critical = bound[slowest] * args.page_delay
        biggest = max(fakes[slowest].pages_of.values(), default=0)
        listed = sum(s.accounts for s in result.systems)
        kinds = Counter(o.kind for s in result.systems for o in s.orphans)
        with store.uow() as s:
            recorded = len(s.scalars(select(OrphanFinding.id)).all())
        print(f"reconcile: {figures}; {queries.count} statements; {sum(pages.values())} pages fetched "
              f"({', '.join(f'{n} {p}' for n, p in pages.items())}); {listed} memberships read; "
              f"{result.orphans} orphans {dict(kinds)}, {result.missing} missing, {result.errors} targets failed; "
              f"{recorded} findings recorded", flush=True)
        print(f"critical path: {slowest}'s {pages[slowest]} pages, {lanes} at a time (its largest target alone "
              f"{biggest} pages, one after another), x {args.page_delay}s = {critical:.2f}s; "
              + (f"wall / critical path = {wall / critical:.2f}" if critical else "no page delay: our own time alone"),
              flush=True)
        deps.close()
    finally:
        store.dispose()
        fixture.drop_copy()


if __name__ == "__main__":
    main()
