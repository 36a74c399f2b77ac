"""Find the person's accounts on systems that can suspend them or end their sessions, and queue
those calls as write-ahead provisioning rows of the Offboarding.

Looking an account up is a call to the target, so it happens here, outside any transaction, not
in ``prepare``. "No such account" means nothing to suspend there (reported, not a failure); any
other lookup error still queues the call, so it is retried and shown until it works.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import ActionKind
from bot.ledger import queue
from bot.ledger.context import Ctx
from bot.store.db import Store
from bot.store.models import Offboarding, Person, ProvisioningAction
from connectors.base import Connector, Subject
from connectors.errors import ConnectorError, PrincipalNotFound


@dataclass(frozen=True)
class Lookup:
    offboarding_id: int
    person_id: int
    connector: str
    kinds: tuple[ActionKind, ...]
    found: bool
    error: str | None = None


def account_kinds(connector: Connector) -> tuple[ActionKind, ...]:
    kinds = []
    if connector.capabilities.suspend:
        kinds.append(ActionKind.SUSPEND)
    if connector.capabilities.end_sessions:
        kinds.append(ActionKind.END_SESSIONS)
    return tuple(kinds)


def to_look_up(store: Store, connectors: Mapping[str, Connector], record_ids: list[int]
               ) -> list[tuple[int, int, Subject, str, tuple[ActionKind, ...]]]:
    """(offboarding, person, subject, connector, kinds) still missing their account rows."""
    todo = []
    with store.uow() as s:
        for record_id in record_ids:
            record = s.get(Offboarding, record_id)
            person = s.get(Person, record.person_id)
            done = set(s.execute(select(ProvisioningAction.connector, ProvisioningAction.action).where(
                ProvisioningAction.offboarding_id == record_id, ProvisioningAction.grant_id.is_(None))).all())
            looked_up = set((record.report or {}).get("no_account", []))
            for name, connector in connectors.items():
                kinds = tuple(k for k in account_kinds(connector) if (name, k) not in done)
                if kinds and name not in looked_up:
                    todo.append((record_id, person.id, directory.subject(person), name, kinds))
    return todo


def look_up(connector: Connector, subject: Subject) -> tuple[bool, str | None]:
    try:
        connector.resolve(subject)
    except PrincipalNotFound:
        return False, None
    except ConnectorError as error:
        return True, f"{error.kind}: {error.detail}"
    return True, None


def record_lookups(store: Store, ctx: Ctx, lookups: list[Lookup]) -> None:
    with store.uow() as s:
        records = {r.id: r for r in s.scalars(select(Offboarding).where(
            Offboarding.id.in_({lookup.offboarding_id for lookup in lookups})))}
        for lookup in lookups:
            record = records[lookup.offboarding_id]
            if not lookup.found:
                report = dict(record.report or {})
                report["no_account"] = sorted({*report.get("no_account", []), lookup.connector})
                record.report = report
                continue
            for kind in lookup.kinds:
                queue.enqueue(s, ctx, grant=None, action=kind, person_id=lookup.person_id,
                              connector=lookup.connector, offboarding_id=lookup.offboarding_id,
                              note=f"account lookup failed ({lookup.error}); the call will retry it"
                              if lookup.error else "", flush=False)  # one flush at the commit
