"""Drift: what the targets show against what the grant ledger explains.

For every connector instance that can list members, and every target its entitlements name:

* orphaned access: members no live grant explains. ``ended`` when the person's grant for it has
  ended (the removal was confirmed, yet they are back), ``unmanaged`` when accessbot never
  granted it, ``unknown`` when the member is nobody in the directory;
* missing access: active grants whose holder the target does not show.

A target whose listing fails is reported as not checked; it is never read as empty (that would
call every holder "missing" and, worse, hide every orphan). Nothing here changes a target.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import GrantStatus
from bot.offboarding.lanes import run_lanes
from bot.store.models import Grant, Person
from connectors.base import Connector, PrincipalRef, Target
from connectors.errors import ConnectorError, PrincipalNotFound, Unsupported

# Grants that explain a membership: held, being provisioned, or being removed right now.
EXPLAINING = (GrantStatus.PROVISIONING, GrantStatus.ACTIVE, GrantStatus.REVOKING, GrantStatus.REVOKE_FAILED)
REPORT, REVOKE_ORPHANS = "report", "revoke_orphans"


@dataclass(frozen=True)
class Orphan:
    target: str
    entitlement: str
    principal: str
    kind: str  # ended, unmanaged, unknown
    person_id: int | None = None
    person_email: str | None = None


@dataclass(frozen=True)
class Missing:
    target: str
    entitlement: str
    grant_id: int
    person_email: str
    reason: str


@dataclass
class SystemDrift:
    system: str
    mode: str = REPORT
    checked: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # target -> why it could not be listed
    orphans: list[Orphan] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    not_checked: str | None = None  # the whole instance (cannot list members)
    accounts: int = 0  # memberships listed on the checked targets: the base of the orphan rate
    problems: list[str] = field(default_factory=list)


@dataclass
class Holder:
    grant_id: int
    person_id: int
    status: str
    subject: object


def mode_of(connector: Connector) -> tuple[str, str | None]:
    """The instance's ``reconcile`` option: report (default) or revoke_orphans."""
    value = str(connector.options.get("reconcile", REPORT))
    if value in (REPORT, REVOKE_ORPHANS):
        return value, None
    return REPORT, f"unknown reconcile option {value!r} (use report or revoke_orphans): only reporting"


def find(deps, *, only: list[str] | None = None, per_system: int = 4) -> list[SystemDrift]:
    names = [n for n in deps.connectors if only is None or n in only]
    targets = _targets(deps, names)
    results = {name: SystemDrift(name) for name in names}
    people = _people_index(deps)
    lock = threading.Lock()

    def check(name: str) -> None:
        drift = _check_system(deps, deps.connectors[name], targets.get(name, {}), people)
        with lock:
            results[name] = drift

    run_lanes({name: [lambda name=name: check(name)] for name in names}, per_system)
    return [results[name] for name in names]


def _targets(deps, names: list[str]) -> dict[str, dict[str, tuple[str, dict]]]:
    """instance -> target -> (an entitlement naming it, its target options)."""
    found: dict[str, dict[str, tuple[str, dict]]] = defaultdict(dict)
    for ent in sorted(deps.catalog.entitlements.values(), key=lambda e: e.ref):
        if ent.connector in names and ent.target != "account":
            found[ent.connector].setdefault(ent.target, (ent.ref, dict(ent.target_options)))
    with deps.store.uow() as s:
        for connector, target, ref in s.execute(select(Grant.connector, Grant.target, Grant.entitlement).where(
                Grant.status.in_(EXPLAINING)).distinct()):
            if connector in names and target != "account":
                found[connector].setdefault(target, (ref, {}))
    return found


def _check_system(deps, connector: Connector, targets: dict[str, tuple[str, dict]],
                  people: dict[str, Person]) -> SystemDrift:
    drift = SystemDrift(connector.name)
    drift.mode, problem = mode_of(connector)
    if problem:
        drift.problems.append(problem)
    if not connector.capabilities.list_members:
        drift.not_checked = "this connector cannot list members"
        return drift
    principals: dict[int, str | None] = {}  # person id -> principal id (None: no account)
    for target, (ref, options) in sorted(targets.items()):
        try:
            members = list(connector.list_members(Target(ref=target, options=options, entitlement=ref)))
        except Unsupported as error:
            drift.not_checked = error.detail
            return drift
        except ConnectorError as error:
            drift.errors[target] = f"{error.kind}: {error.detail}"
            continue
        drift.checked.append(target)
        drift.accounts += len(members)
        _compare(deps, connector, drift, (target, ref), members, principals, people)
    return drift


def _compare(deps, connector: Connector, drift: SystemDrift, where: tuple[str, str], members: list[PrincipalRef],
             principals: dict[int, str | None], people: dict[str, Person]) -> None:
    target, ref = where
    holders, ended = _ledger(deps, connector.name, target)
    explained: set[str] = set()
    for holder in holders:
        principal = _principal(connector, holder, principals)
        if principal is not None:
            explained.add(principal)
    present = {m.id for m in members}
    for holder in holders:
        principal = principals.get(holder.person_id)
        if holder.status == GrantStatus.ACTIVE and principal not in present:
            why = "no account in the target" if principal is None else "the target does not show the membership"
            drift.missing.append(Missing(target, ref, holder.grant_id, holder.subject.email, why))
    for member in members:
        if member.id in explained:
            continue
        person = people.get(member.id.lower()) or people.get((member.display or "").lower())
        kind = "unknown" if person is None else "ended" if person.id in ended else "unmanaged"
        drift.orphans.append(Orphan(target, ref, member.display or member.id, kind,
                                    person.id if person else None, person.email if person else None))


def _ledger(deps, connector: str, target: str) -> tuple[list[Holder], set[int]]:
    with deps.store.uow() as s:
        rows = s.execute(select(Grant, Person).join(Person, Person.id == Grant.person_id).where(
            Grant.connector == connector, Grant.target == target)).all()
        holders = [Holder(g.id, p.id, g.status, directory.subject(p)) for g, p in rows if g.status in EXPLAINING]
        live = {h.person_id for h in holders}
        ended = {p.id for g, p in rows if g.status in (GrantStatus.REVOKED, GrantStatus.EXPIRED)} - live
    return holders, ended


def _principal(connector: Connector, holder: Holder, cache: dict[int, str | None]) -> str | None:
    if holder.person_id not in cache:
        try:
            cache[holder.person_id] = connector.resolve(holder.subject).id
        except PrincipalNotFound:
            cache[holder.person_id] = None
        except ConnectorError:
            return None  # cannot tell; neither explained nor missing this time
    return cache[holder.person_id]


def _people_index(deps) -> dict[str, Person]:
    """Everyone by email and by each per-system handle (github login...), lower-cased."""
    with deps.store.uow() as s:
        people = s.scalars(select(Person)).all()
    index: dict[str, Person] = {}
    for person in people:
        index[person.email.lower()] = person
        for value in (person.attributes or {}).values():
            if isinstance(value, str) and value:
                index.setdefault(value.lower(), person)
    return index

