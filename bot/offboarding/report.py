"""The offboarding report as data: one item per connector call, grouped per system, each ok / failed /
pending. Built from the provisioning_action rows of the Offboarding (never from memory), so a report
asked for later shows retries that finished in the background too.

One model, rendered by the front ends only: IT's Slack message (bot/slack/views/offboard_report.py) and
the CLI's text (bot/cli/offboard_report.py). ``mark`` is the state's symbol as the events' payloads
carry it (docs/lifecycle.md), not a rendering.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import DONE_ACTION_STATUSES, ActionKind, ActionStatus, GrantStatus
from bot.store.models import Grant, Offboarding, Person, ProvisioningAction

OK, FAILED, PENDING = "ok", "failed", "pending"
MARKS = {OK: "✅", FAILED: "❌", PENDING: "⏳"}
ORDER = {ActionKind.SUSPEND: 0, ActionKind.END_SESSIONS: 1, ActionKind.REVOKE: 2}
VERBS = {ActionKind.REVOKE: "remove", ActionKind.SUSPEND: "suspend account",
         ActionKind.END_SESSIONS: "end sessions", ActionKind.GRANT: "grant",
         ActionKind.REACTIVATE: "reactivate account"}


@dataclass(frozen=True)
class Item:
    action_id: str
    kind: str
    what: str
    state: str  # ok, failed, pending
    reason: str
    attempts: int

    @property
    def mark(self) -> str:
        return MARKS[self.state]


@dataclass(frozen=True)
class SystemResult:
    system: str
    state: str
    items: list[Item] = field(default_factory=list)

    @property
    def mark(self) -> str:
        return MARKS[self.state]


@dataclass(frozen=True)
class Rehire:
    """The way back after a re-hire. Earlier grants are never restored: access is requested again."""

    status: str  # scheduled (start date ahead), done (reactivations queued; see items)
    rehired_at: str
    reactivate_at: str | None
    items: list[Item]  # one reactivation per system accessbot had suspended
    left_suspended: list[dict[str, str]]  # system, reason: never reactivated by accessbot
    stopped: list[str]  # account calls of this offboarding that had not run and never will
    grants_restored: bool = False


@dataclass(frozen=True)
class OffboardReport:
    offboarding_id: int
    person_email: str
    status: str  # unconfirmed, scheduled, running, waiting, partial, done, cancelled
    reason: str
    requested_by: str
    scheduled_for: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    systems: list[SystemResult]
    requests_cancelled: list[int]
    approvals_rerouted: list[int]
    no_account: list[str]
    still_ending: list[int]  # grants being revoked outside this offboarding (e.g. an expiry in flight)
    # Four eyes: asked_by, privileged, rule, then confirmed_by / confirmed_at, or break_glass and reason.
    confirmation: dict[str, Any] = field(default_factory=dict)
    cancelled: dict[str, Any] = field(default_factory=dict)  # by, at, reason, was
    rehire: Rehire | None = None  # the person came back: accounts accessbot suspended are reactivated

    def count(self, state: str) -> int:
        return sum(1 for system in self.systems for item in system.items if item.state == state)

    @property
    def failed(self) -> bool:
        return self.count(FAILED) > 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["totals"] = {state: self.count(state) for state in (OK, FAILED, PENDING)}
        for system, raw in zip(self.systems, data["systems"], strict=True):
            raw["mark"] = system.mark
            for item, raw_item in zip(system.items, raw["items"], strict=True):
                raw_item["mark"] = item.mark
        if self.rehire is not None:
            for item, raw_item in zip(self.rehire.items, data["rehire"]["items"], strict=True):
                raw_item["mark"] = item.mark
        return data


def _state(action: ProvisioningAction) -> str:
    if action.status in DONE_ACTION_STATUSES:
        return OK
    if action.status in (ActionStatus.FAILED_PERMANENT, ActionStatus.FAILED_RETRYABLE):
        return FAILED
    return PENDING


def _reason(action: ProvisioningAction) -> str:
    if action.status == ActionStatus.SUCCEEDED:
        return f"done: {action.summary}" if action.summary else "done"
    if action.status == ActionStatus.ALREADY:
        return "already done"
    if action.status == ActionStatus.SKIPPED:
        return action.summary or "not needed"
    if action.status == ActionStatus.FAILED_RETRYABLE:
        when = f"; retrying at {action.next_attempt_at:%Y-%m-%d %H:%M} UTC" if action.next_attempt_at else ""
        return f"{action.error_kind}: {action.error_detail}{when}"
    if action.status == ActionStatus.FAILED_PERMANENT:
        return f"{action.error_kind}: {action.error_detail} (will not retry by itself)"
    if action.status == ActionStatus.PENDING_EXTERNAL:
        return "waiting for the target or an IT task"
    return "in progress" if action.status == ActionStatus.IN_PROGRESS else "queued"


def _what(action: ProvisioningAction) -> str:
    verb = VERBS.get(ActionKind(action.action), action.action)
    return f"{verb} {action.entitlement}" if action.entitlement else verb


def build(s: Session, record: Offboarding) -> OffboardReport:
    return build_many(s, [record])[record.id]


def build_many(s: Session, records: list[Offboarding]) -> dict[int, OffboardReport]:
    """``build`` for several offboardings (by id) in three queries, not two per offboarding: the engine
    announces the systems a batch of outcomes finished for many leavers at once (issue 17.4)."""
    if not records:
        return {}
    ids = [record.id for record in records]
    people = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_({r.person_id for r in records})))}
    actions_of: dict[int, list[ProvisioningAction]] = {record_id: [] for record_id in ids}
    for action in s.scalars(select(ProvisioningAction).where(ProvisioningAction.offboarding_id.in_(ids))):
        actions_of[action.offboarding_id].append(action)
    ending_of: dict[int, list[int]] = {person_id: [] for person_id in people}
    for person_id, grant_id in s.execute(select(Grant.person_id, Grant.id).where(
            Grant.person_id.in_(list(people)), Grant.status.in_((GrantStatus.REVOKING, GrantStatus.REVOKE_FAILED)))
            .order_by(Grant.id)):
        ending_of[person_id].append(grant_id)
    return {record.id: _built(s, record, people[record.person_id], actions_of[record.id],
                              ending_of[record.person_id]) for record in records}


def _built(s: Session, record: Offboarding, person: Person, actions: list[ProvisioningAction],
           ending: list[int]) -> OffboardReport:
    actions = sorted(actions, key=lambda a: (a.connector, ORDER.get(a.action, 9), a.created_at, a.entitlement))
    by_system: dict[str, list[Item]] = {}
    for action in actions:
        by_system.setdefault(action.connector, []).append(Item(
            action_id=action.id, kind=action.action, what=_what(action), state=_state(action),
            reason=_reason(action), attempts=action.attempts))
    systems = [SystemResult(name, _worst(items), items) for name, items in sorted(by_system.items())]
    linked = {a.grant_id for a in actions if a.grant_id}
    still_ending = [grant_id for grant_id in ending if grant_id not in linked]
    prepared = record.report or {}
    return OffboardReport(
        offboarding_id=record.id, person_email=person.email, status=record.status, reason=record.reason,
        requested_by=record.requested_by, scheduled_for=record.scheduled_for, started_at=record.started_at,
        finished_at=record.finished_at, systems=systems,
        requests_cancelled=list(prepared.get("requests_cancelled", [])),
        approvals_rerouted=list(prepared.get("approvals_rerouted", [])),
        no_account=sorted(prepared.get("no_account", [])), still_ending=list(still_ending),
        confirmation=dict(prepared.get("confirmation") or {}), cancelled=dict(prepared.get("cancelled") or {}),
        rehire=_rehire(s, prepared.get("rehire")))


def _rehire(s: Session, section: dict | None) -> Rehire | None:
    if not section:
        return None
    ids = [q["action_id"] for q in section.get("reactivations", [])]
    rows = s.scalars(select(ProvisioningAction).where(ProvisioningAction.id.in_(ids))).all() if ids else []
    items = [Item(action_id=a.id, kind=a.action, what=f"{a.connector}: {_what(a)}", state=_state(a),
                  reason=_reason(a), attempts=a.attempts) for a in sorted(rows, key=lambda a: a.connector)]
    return Rehire(status=section.get("status", ""), rehired_at=section.get("rehired_at", ""),
                  reactivate_at=section.get("reactivate_at"), items=items,
                  left_suspended=list(section.get("left_suspended", [])), stopped=list(section.get("stopped", [])))


def _worst(items: list[Item]) -> str:
    states = {item.state for item in items}
    return FAILED if FAILED in states else PENDING if PENDING in states else OK


def overall(report: OffboardReport) -> str:
    """The Offboarding.status the rows add up to (for a started offboarding)."""
    if report.failed:
        return "partial"
    if report.count(PENDING) or report.still_ending:
        return "waiting"
    return "done"
