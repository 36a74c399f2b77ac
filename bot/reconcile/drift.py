"""Drift: what the targets show against what the grant ledger explains.

For every connector instance that can list members, and every target its entitlements name:

* orphaned access: members no live grant explains. ``ended`` when the person's grant for it has
  ended (the removal was confirmed, yet they are back), ``unmanaged`` when accessbot never
  granted it, ``unknown`` when the member is nobody in the directory;
* missing access: active grants whose holder the target does not show.

A target whose listing fails is reported as not checked; it is never read as empty (that would
call every holder "missing" and, worse, hide every orphan). Nothing here changes a target.

At scale (docs/benchmarks.md, Benchmark 3) the cost is the targets' pages, not ours: the ledger is
read once for every system (one statement for the grants, one for the people) and compared in
memory; systems are read at the same time, and within a system up to ``PER_SYSTEM`` targets at
once; a target's pages are consumed as they come (``Connector.member_pages``) and each page is
told to ``progress`` (the CLI's display). No statement is sent per target or per membership.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import func, select

from bot.directory import service as directory
from bot.domain.enums import GrantStatus
from bot.offboarding.lanes import run_lanes
from bot.store.models import Grant, Person
from connectors.base import Connector, PrincipalRef, Subject, Target
from connectors.errors import ConnectorError, PrincipalNotFound, Unsupported

# Grants that explain a membership: held, being provisioned, or being removed right now.
EXPLAINING = (GrantStatus.PROVISIONING, GrantStatus.ACTIVE, GrantStatus.REVOKING, GrantStatus.REVOKE_FAILED)
ENDED = (GrantStatus.REVOKED, GrantStatus.EXPIRED)
REPORT, REVOKE_ORPHANS = "report", "revoke_orphans"
PER_SYSTEM = 4  # targets of one system listed at once (a SaaS admin API takes a few parallel readers)


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


@dataclass(frozen=True)
class Progress:
    """Where one system's reading stands (plain data for a display; sent after every page)."""

    system: str
    targets: int  # targets to read
    targets_done: int  # read (or failed)
    pages: int
    memberships: int
    orphans: int
    missing: int
    errors: int
    done: bool = False
    not_checked: str | None = None


ProgressFn = Callable[[Progress], None]


class Holder(NamedTuple):  # a tuple: tens of thousands are made per run
    grant_id: int
    person_id: int
    status: str


class Known(NamedTuple):
    """A person of the directory, as the comparison needs them."""

    id: int
    email: str
    subject: Subject


@dataclass
class Ledger:
    """What the grant ledger says about every (system, target), read once for the whole run."""

    holders: dict[tuple[str, str], list[Holder]] = field(default_factory=lambda: defaultdict(list))
    ended: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    people: dict[int, Known] = field(default_factory=dict)
    index: dict[str, Known] = field(default_factory=dict)  # by e-mail and per-system handle, lower-cased


def mode_of(connector: Connector) -> tuple[str, str | None]:
    """The instance's ``reconcile`` option: report (default) or revoke_orphans."""
    value = str(connector.options.get("reconcile", REPORT))
    if value in (REPORT, REVOKE_ORPHANS):
        return value, None
    return REPORT, f"unknown reconcile option {value!r} (use report or revoke_orphans): only reporting"


def find(deps, *, only: list[str] | None = None, per_system: int = PER_SYSTEM,
         progress: ProgressFn | None = None) -> list[SystemDrift]:
    names = [n for n in deps.connectors if only is None or n in only]
    targets, sizes = _targets(deps, names)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reconcile-ledger") as pool:
        # The ledger is read while the first pages come in; each target waits for it only to compare.
        ledger = pool.submit(_read_ledger, deps, names)
        readers = {name: _SystemReader(deps.connectors[name], targets.get(name, {}), sizes, ledger, progress)
                   for name in names}
        run_lanes({name: reader.jobs() for name, reader in readers.items()}, per_system)
        ledger.result()  # a failed read raises here even when no target was read
    return [readers[name].finish() for name in names]


def _targets(deps, names: list[str]) -> tuple[dict[str, dict[str, tuple[str, dict]]], dict[tuple[str, str], int]]:
    """Each instance's targets: target -> (an entitlement naming it, its target options), from the
    catalog and from the grants that explain memberships; and how many such grants each has."""
    found: dict[str, dict[str, tuple[str, dict]]] = defaultdict(dict)
    for ent in sorted(deps.catalog.entitlements.values(), key=lambda e: e.ref):
        if ent.connector in names and ent.target != "account":
            found[ent.connector].setdefault(ent.target, (ent.ref, dict(ent.target_options)))
    sizes: dict[tuple[str, str], int] = {}
    if not names:
        return found, sizes
    with deps.store.uow() as s:
        for connector, target, ref, count in s.execute(
                select(Grant.connector, Grant.target, func.min(Grant.entitlement), func.count()).where(
                    Grant.connector.in_(names), Grant.target != "account", Grant.status.in_(EXPLAINING))
                .group_by(Grant.connector, Grant.target)):
            found[connector].setdefault(target, (ref, {}))
            sizes[(connector, target)] = count
    return found, sizes


def _read_ledger(deps, names: list[str]) -> Ledger:
    """The ledger of every system named: two statements, whatever the number of grants or people."""
    ledger = Ledger()
    if not names:
        return ledger
    with deps.store.uow() as s:
        conn = s.connection().execution_options(yield_per=10_000)  # plain rows, streamed: no ORM loading
        rows = conn.execute(select(Grant.id, Grant.person_id, Grant.connector, Grant.target, Grant.status).where(
            Grant.connector.in_(names), Grant.target != "account", Grant.status.in_(EXPLAINING + ENDED))
            .order_by(Grant.id))
        explaining = set(EXPLAINING)
        for grant_id, person_id, connector, target, status in rows:
            if status in explaining:
                ledger.holders[(connector, target)].append(Holder(grant_id, person_id, status))
            else:
                ledger.ended[(connector, target)].add(person_id)
        people = conn.execute(select(Person.id, Person.email, Person.name, Person.slack_user_id, Person.attributes))
        for person_id, email, name, slack_user_id, attributes in people:
            known = Known(person_id, email, directory.subject_of(person_id, email, name, slack_user_id, attributes))
            ledger.people[person_id] = known
            ledger.index[email.lower()] = known
            for value in (attributes or {}).values():
                if isinstance(value, str) and value:
                    ledger.index.setdefault(value.lower(), known)
    return ledger


@dataclass
class _TargetResult:
    listed: int = 0
    error: str | None = None
    orphans: list[Orphan] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)


class _SystemReader:
    """Reads one system's targets (from several lanes) and compares each with the ledger as it completes."""

    def __init__(self, connector: Connector, targets: dict[str, tuple[str, dict]], sizes: dict[tuple[str, str], int],
                 ledger: Future[Ledger], progress: ProgressFn | None):
        self.connector, self.targets, self.sizes, self.progress = connector, targets, sizes, progress
        self._ledger = ledger
        self.drift = SystemDrift(connector.name)
        self.drift.mode, problem = mode_of(connector)
        if problem:
            self.drift.problems.append(problem)
        self.results: dict[str, _TargetResult] = {}
        self.principals: dict[int, str | None] = {}  # person id -> principal id (None: no account)
        self.lock = threading.Lock()
        self.pages = self.memberships = self.orphans = self.missing = self.errors = 0

    def jobs(self) -> list[Callable[[], None]]:
        if not self.connector.capabilities.list_members:
            self.drift.not_checked = "this connector cannot list members"
            return []
        # The largest targets first (by the ledger's holders): a big target's pages come one after
        # another (each names the next), so starting it last would leave one lane reading alone.
        name = self.connector.name
        order = sorted(self.targets, key=lambda t: (-self.sizes.get((name, t), 0), t))
        return [lambda target=target: self._read(target) for target in order]

    def _read(self, target: str) -> None:
        if self.drift.not_checked:
            return  # the instance said it cannot list: the other targets are not asked either
        ref, options = self.targets[target]
        result = _TargetResult()
        members: list[PrincipalRef] = []
        try:
            for page in self.connector.member_pages(Target(ref=target, options=options, entitlement=ref)):
                members += page
                self._tell(pages=1, memberships=len(page))
        except Unsupported as error:
            with self.lock:
                self.drift.not_checked = error.detail
            return
        except ConnectorError as error:
            result.error = f"{error.kind}: {error.detail}"
        else:
            result.listed = len(members)
            self._compare(result, (target, ref), members)
        with self.lock:
            self.results[target] = result
        self._tell(orphans=len(result.orphans), missing=len(result.missing), errors=int(result.error is not None),
                   target_done=True)

    def _compare(self, result: _TargetResult, where: tuple[str, str], members: list[PrincipalRef]) -> None:
        target, ref = where
        ledger = self._ledger.result()  # read by then, but for the first targets of a run
        holders = ledger.holders.get((self.connector.name, target), [])
        explained = {p for p in (self._principal(ledger, h.person_id) for h in holders) if p is not None}
        present = {m.id for m in members}
        for holder in holders:
            principal = self.principals.get(holder.person_id)
            if holder.status == GrantStatus.ACTIVE and principal not in present:
                why = "no account in the target" if principal is None else "the target does not show the membership"
                result.missing.append(Missing(target, ref, holder.grant_id, ledger.people[holder.person_id].email,
                                              why))
        ended = ledger.ended.get((self.connector.name, target), set()) - {h.person_id for h in holders}
        index = ledger.index
        for member in members:
            if member.id in explained:
                continue
            person = index.get(member.id.lower()) or index.get((member.display or "").lower())
            kind = "unknown" if person is None else "ended" if person.id in ended else "unmanaged"
            result.orphans.append(Orphan(target, ref, member.display or member.id, kind,
                                         person.id if person else None, person.email if person else None))

    def _principal(self, ledger: Ledger, person_id: int) -> str | None:
        if person_id in self.principals:
            return self.principals[person_id]
        try:
            principal: str | None = self.connector.resolve(ledger.people[person_id].subject).id
        except PrincipalNotFound:
            principal = None
        except ConnectorError:
            return None  # cannot tell; neither explained nor missing this time
        self.principals[person_id] = principal
        return principal

    def _tell(self, *, pages: int = 0, memberships: int = 0, orphans: int = 0, missing: int = 0, errors: int = 0,
              target_done: bool = False) -> None:
        with self.lock:
            self.pages += pages
            self.memberships += memberships
            self.orphans += orphans
            self.missing += missing
            self.errors += errors
            snapshot = self._snapshot()
        if self.progress is not None:
            self.progress(snapshot)

    def _snapshot(self, done: bool = False) -> Progress:
        return Progress(self.drift.system, len(self.targets), len(self.results), self.pages, self.memberships,
                        self.orphans, self.missing, self.errors, done, self.drift.not_checked)

    def finish(self) -> SystemDrift:
        """The system's drift, targets in order (whatever order the lanes finished them in)."""
        drift = self.drift
        if drift.not_checked is None:
            for target in sorted(self.results):
                result = self.results[target]
                if result.error is not None:
                    drift.errors[target] = result.error
                    continue
                drift.checked.append(target)
                drift.accounts += result.listed
                drift.orphans += result.orphans
                drift.missing += result.missing
        if self.progress is not None:
            self.progress(self._snapshot(done=True))
        return drift
