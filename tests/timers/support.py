"""Helpers for timer tests and benchmarks: Deps over a test world, grants seeded in bulk, and
bounded waiting for background work (no open-ended sleeps)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import func, select

from bot.deps import Deps
from bot.directory import service as directory
from bot.domain.enums import GrantStatus
from bot.ledger import grants as ledger
from bot.settings import Settings
from bot.store.db import Store, create_engine_for
from bot.store.models import AuditEvent, Grant, OutboxEvent
from connectors.registry import ConnectorSet


def make_deps(world, replica_id: str, *, own_store: bool = False, clock=None) -> Deps:
    """A replica's Deps over the world's database; ``own_store`` opens a separate engine as a
    restarted process or another replica would."""
    store = Store(create_engine_for(database_url(world.store))) if own_store else world.store
    settings = Settings(replica_id=replica_id, sweep_interval_seconds=30, database_url=database_url(world.store))
    return Deps(settings=settings, store=store, catalog=world.catalog, connectors=ConnectorSet({"mem": world.mem}),
                clock=clock or world.clock)


def database_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def seed_active_grants(world, count: int, ends_at: Callable[[int], datetime] | datetime,
                       emails: Sequence[str] = ("alice@acme.test",), ref: str = "erp:payments-create",
                       target: Callable[[int], str] | None = None) -> list[int]:
    """``count`` active grants, dealt round the people in ``emails``, each on its own target (so no
    grant covers another) unless ``target`` names grant i's, with expiry and warnings scheduled by
    the ledger's own schedule_end."""
    ent = world.catalog.entitlement(ref)
    ctx = world.ctx()
    ids = []
    with world.store.uow() as s:
        people = [directory.require(s, email) for email in emails]
        for i in range(count):
            end = ends_at(i) if callable(ends_at) else ends_at
            person = people[i % len(people)]
            grant = Grant(person_id=person.id, entitlement=ent.ref, connector=ent.connector,
                          target=target(i) if target else f"{ent.target}-{i}",
                          status=GrantStatus.ACTIVE, starts_at=ctx.now, activated_at=ctx.now, ends_at=end,
                          duration_seconds=int((end - ctx.now).total_seconds()), granted_by="seed",
                          created_at=ctx.now)
            s.add(grant)
            s.flush()
            ledger.schedule_end(s, ctx, grant, ent)
            world.mem.members[grant.target].add(person.email)
            ids.append(grant.id)
    return ids


def count_grants(store: Store, status: GrantStatus) -> int:
    with store.uow() as s:
        return s.scalar(select(func.count()).select_from(Grant).where(Grant.status == status))


def revokes_per_target(world) -> Counter:
    return Counter(target for kind, _who, target in world.mem.calls if kind == "revoke")


def outbox(store: Store, type_: str) -> list[dict]:
    with store.uow() as s:
        return [e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.type == type_)
                                             .order_by(OutboxEvent.id))]


def audit_subjects(store: Store, action: str) -> Counter:
    with store.uow() as s:
        return Counter(s.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == action)))
