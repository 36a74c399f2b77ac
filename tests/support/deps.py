"""A real ``Deps`` (runner with worker threads, executor) around a test World, for code that runs
at the front-end level: the offboarding engine, HTTP hooks, the SCIM service, the CLI."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.deps import Deps
from bot.settings import Settings
from bot.store.models import DueAction


def deps_for(world, **settings) -> Deps:
    values = {"database_url": "sqlite://", "worker_threads": 4, **settings}
    return Deps(settings=Settings(**values), store=world.store, catalog=world.catalog,
                connectors=world.connectors, clock=world.clock)


def close(deps: Deps) -> None:
    # The store belongs to the test's fixture; only stop the workers.
    deps.executor.shutdown(wait=True)


def due_rows(store, kind: str | None = None, status: str = "scheduled") -> list[DueAction]:
    with store.uow() as s:
        query = select(DueAction).where(DueAction.status == status).order_by(DueAction.due_at, DueAction.id)
        if kind:
            query = query.where(DueAction.kind == kind)
        return list(s.scalars(query))


def fire_due(deps: Deps, handlers, *, until: datetime | None = None) -> list[str]:
    """Run the scheduled rows of the given kinds that are due, as the timer sweep would."""
    now = until or deps.clock.now()
    fired = []
    for row in due_rows(deps.store):
        if row.kind not in handlers or row.due_at > now:
            continue
        with deps.store.uow() as s:
            claimed = s.get(DueAction, row.id)
            if claimed.status != "scheduled":
                continue
            claimed.status = "claimed"
        handlers[row.kind](deps, row.ref_id, dict(row.payload or {}))
        with deps.store.uow() as s:
            s.get(DueAction, row.id).status = "done"
        fired.append(row.key)
    return fired
