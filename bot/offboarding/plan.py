"""What offboarding a person would do, without doing it (``/offboard`` preview, ``--dry-run``).

The plan lists every grant to end (one removal per target: overlapping grants share it), every
account to suspend and every sign-out, each with the calls the connector says it would send
(``dry_run=True`` → ``Outcome.PLANNED``), the pending requests that would be cancelled and the
approvals that would move to someone else. Nothing is written; connectors are only asked to
resolve the person and describe their calls, in parallel per system.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from bot.directory import service as directory
from bot.domain.enums import ActionKind, RequestStatus, StepStatus
from bot.offboarding import four_eyes, prepare
from bot.offboarding.accounts import account_kinds
from bot.offboarding.lanes import run_lanes
from bot.store.models import AccessRequest, ApprovalStep, Grant, Person
from connectors.base import Connector, Subject, Target
from connectors.errors import ConnectorError, PrincipalNotFound

@dataclass(frozen=True)
class PlannedStep:
    system: str
    kind: str  # revoke, suspend, end_sessions
    what: str
    grant_ids: tuple[int, ...] = ()
    planned_calls: tuple[str, ...] = ()
    problem: str | None = None  # the connector could not plan it (it would fail the same way)


@dataclass(frozen=True)
class OffboardPlan:
    person_email: str
    person_name: str
    person_status: str
    steps: list[PlannedStep]
    requests_to_cancel: list[tuple[int, str]]  # (request id, entitlement)
    approvals_to_reroute: list[tuple[int, str]]  # (request id, step label) waiting on this person
    no_account: list[str]
    privileged: list[str]  # privileged entitlements held (the catalog's settings.offboarding.privileged_risks)
    scheduled_for: datetime | None = None
    second_confirmation: bool = False  # IT's offboarding waits for a second IT admin (four eyes)
    second_confirmation_why: str = ""
    awaiting: tuple[int, str] | None = None  # (offboarding id, asked by): a proposal already waits for confirmation
    systems: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[PlannedStep]:
        return [step for step in self.steps if step.problem]


def preview(deps, email: str, *, per_system: int = 4) -> OffboardPlan:
    with deps.store.uow() as s:
        person = directory.require(s, email)
        subject = directory.subject(person)
        targets = _targets(s, person, deps.catalog)
        need = four_eyes.assess(s, deps.catalog, person)
        privileged = list(four_eyes.privileged_access(s, deps.catalog, person))
        proposal = prepare.unconfirmed(s, person)
        awaiting = (proposal.id, proposal.requested_by) if proposal is not None else None
        requests = [(r.id, r.entitlement) for r in s.scalars(select(AccessRequest).where(
            AccessRequest.requester_id == person.id, AccessRequest.status == RequestStatus.PENDING)
            .order_by(AccessRequest.id))]
        approvals = _waiting_on(s, person)
        record = prepare.latest(s, person)
        scheduled = record.scheduled_for if record is not None and record.status == prepare.SCHEDULED else None
        head = (person.email, person.name, person.status)
    steps, no_account = _dry_run(deps.connectors, subject, targets, per_system)
    return OffboardPlan(*head, steps=steps, requests_to_cancel=requests, approvals_to_reroute=approvals,
                        no_account=no_account, privileged=privileged, scheduled_for=scheduled,
                        systems=sorted({step.system for step in steps}), second_confirmation=need.required,
                        second_confirmation_why=need.why, awaiting=awaiting)


def _targets(s, person: Person, catalog) -> dict[tuple[str, str], tuple[str, list[int], dict]]:
    """(connector, target) -> (entitlement, grant ids, target options as the runner would send them)."""
    found: dict[tuple[str, str], tuple[str, list[int], dict]] = {}
    grants = s.scalars(select(Grant).where(Grant.person_id == person.id, Grant.status.in_(prepare.ENDABLE))
                       .order_by(Grant.id))
    for grant in grants:
        key = (grant.connector, grant.target)
        ref, ids, options = found.get(key, (grant.entitlement, [], _options(catalog, grant.entitlement)))
        found[key] = (ref, ids + [grant.id], options)
    return found


def _options(catalog, ref: str) -> dict:
    try:
        return dict(catalog.entitlement(ref).target_options)
    except KeyError:
        return {}


def _waiting_on(s, person: Person) -> list[tuple[int, str]]:
    steps = s.scalars(select(ApprovalStep).join(AccessRequest, AccessRequest.id == ApprovalStep.request_id).where(
        ApprovalStep.status == StepStatus.ACTIVE, AccessRequest.status == RequestStatus.PENDING)
        .order_by(ApprovalStep.request_id))
    return [(st.request_id, st.label) for st in steps if person.id in (st.approver_ids or [])]


def _dry_run(connectors, subject: Subject, targets, per_system: int) -> tuple[list[PlannedStep], list[str]]:
    steps: list[PlannedStep] = []
    no_account: list[str] = []
    lock = threading.Lock()
    by_system = defaultdict(list)
    for (name, target), (ref, ids, options) in sorted(targets.items()):
        by_system[name].append((target, ref, tuple(ids), options))
    configured = set(connectors)

    def plan_system(name: str) -> None:
        connector = connectors[name] if name in configured else None
        planned, missing = _plan_system(name, connector, subject, by_system.get(name, []))
        with lock:
            steps.extend(planned)
            if missing:
                no_account.append(name)

    names = sorted(set(by_system) | {n for n in configured if account_kinds(connectors[n])})
    run_lanes({name: [lambda name=name: plan_system(name)] for name in names}, per_system)
    order = {ActionKind.SUSPEND: 0, ActionKind.END_SESSIONS: 1, ActionKind.REVOKE: 2}
    steps.sort(key=lambda st: (st.system, order.get(st.kind, 9), st.what))
    return steps, sorted(no_account)


def _plan_system(name: str, connector: Connector | None, subject: Subject, revokes) -> tuple[list[PlannedStep], bool]:
    if connector is None:
        problem = f"no connector instance named {name!r} is configured"
        return [PlannedStep(name, ActionKind.REVOKE, f"remove {ref}", ids, problem=problem)
                for _, ref, ids, _ in revokes], False
    try:
        principal = connector.resolve(subject)
    except PrincipalNotFound:
        # No account: there is nothing to suspend, and memberships cannot exist either.
        return [PlannedStep(name, ActionKind.REVOKE, f"remove {ref}", ids, problem="no account for this person")
                for _, ref, ids, _ in revokes], not revokes
    except ConnectorError as error:
        problem = f"{error.kind}: {error.detail}"
        kinds = account_kinds(connector)
        return ([PlannedStep(name, kind, _verb(kind), problem=problem) for kind in kinds] +
                [PlannedStep(name, ActionKind.REVOKE, f"remove {ref}", ids, problem=problem)
                 for _, ref, ids, _ in revokes]), False
    steps = [_account_step(name, connector, principal, kind) for kind in account_kinds(connector)]
    for target, ref, ids, options in revokes:
        wanted = Target(ref=target, options=options, entitlement=ref)
        steps.append(_call(name, ActionKind.REVOKE, f"remove {ref}", ids, lambda w=wanted: connector.revoke(
            principal, w, action_id="dry-run", dry_run=True)))
    return steps, False


def _account_step(name: str, connector: Connector, principal, kind: ActionKind) -> PlannedStep:
    method = connector.suspend if kind == ActionKind.SUSPEND else connector.end_sessions
    return _call(name, kind, _verb(kind), (), lambda: method(principal, action_id="dry-run", dry_run=True))


def _call(name: str, kind: ActionKind, what: str, ids: tuple[int, ...], call) -> PlannedStep:
    try:
        result = call()
    except ConnectorError as error:
        return PlannedStep(name, kind, what, ids, problem=f"{error.kind}: {error.detail}")
    return PlannedStep(name, kind, what, ids, planned_calls=tuple(result.planned_calls))


def _verb(kind: ActionKind) -> str:
    return "suspend account" if kind == ActionKind.SUSPEND else "end sessions"
