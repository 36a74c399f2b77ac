"""The scale fixture's access: grants (with their timers), pending requests and a year of audit.

Every generator is driven by one ``random.Random`` so the same seed gives the same rows. The
audit history is chained with ``bot.audit.log.compute_hash``, the function the audit log itself
uses, so ``accessbot audit verify`` accepts it; it is yielded row by row so two million events
never sit in memory.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.scale_catalog import slug
from bench.scale_people import Company
from bot.audit.log import GENESIS, compute_hash

GRANT_COLUMNS = ("id", "person_id", "entitlement", "connector", "target", "request_id", "status", "starts_at",
                 "ends_at", "duration_seconds", "activated_at", "ended_at", "end_reason", "ended_by_id", "granted_by",
                 "last_error", "warnings_sent", "auto_extended_seconds", "created_at", "version")
DUE_COLUMNS = ("id", "kind", "key", "ref_id", "due_at", "status", "payload", "payload_version", "attempts",
               "claimed_by", "lease_until", "last_error", "created_at", "done_at")
REQUEST_COLUMNS = ("id", "requester_id", "created_by_id", "entitlement", "bundle", "duration_seconds", "starts_at",
                   "justification", "ticket", "status", "current_step", "extends_grant_id", "grant_id",
                   "auto_approved", "policy_rule", "trigger", "decided_by_id", "decision_reason", "created_at",
                   "decided_at", "expires_at", "version", "extra")
STEP_COLUMNS = ("id", "request_id", "position", "kind", "label", "quorum", "approver_ids", "used_fallback", "channel",
                "status", "activated_at", "decided_at", "reminders_sent", "escalated")
APPROVER_COLUMNS = ("step_id", "person_id")
AUDIT_COLUMNS = ("id", "seq", "occurred_at", "actor", "action", "subject_type", "subject_id", "person_email",
                 "trigger", "detail", "prev_hash", "hash")
ACTIONS = [("request.submitted", "request", "slack", 18), ("request.approved", "request", "slack", 15),
           ("grant.created", "grant", "system", 15), ("provisioning.succeeded", "grant", "system", 20),
           ("grant.expired", "grant", "timer", 10), ("grant.warned", "grant", "timer", 8),
           ("lifecycle.mover", "lifecycle_event", "hr", 3), ("request.denied", "request", "slack", 2),
           ("home.opened", "person", "slack", 9)]


@dataclass
class Access:
    grants: list[tuple] = field(default_factory=list)
    due: list[tuple] = field(default_factory=list)
    requests: list[tuple] = field(default_factory=list)
    steps: list[tuple] = field(default_factory=list)
    approvers: list[tuple] = field(default_factory=list)
    live: set[tuple[int, str]] = field(default_factory=set)


def connector_of(ref: str, connectors: dict[str, str]) -> str:
    return connectors[ref.split(":")[0]]


class GrantWriter:
    """Appends grant rows (and the timers a live grant has) with consistent ids."""

    def __init__(self, access: Access, connectors: dict[str, str], now: datetime):
        self.access, self.connectors, self.now = access, connectors, now

    def add(self, person_id: int, ref: str, *, kind: str, rng: random.Random, granted_by: str) -> None:
        grant_id = len(self.access.grants) + 1
        now, created = self.now, self.now - timedelta(days=rng.randrange(1, 365))
        starts, ends, duration, activated, ended, end_reason = created, None, None, created, None, None
        status = "active"
        if kind == "timebound":
            duration = rng.choice([3600, 4 * 3600, 86400, 7 * 86400, 30 * 86400])
            starts = activated = now - timedelta(seconds=rng.randrange(0, duration))
            ends = activated + timedelta(seconds=duration)
        elif kind == "scheduled":
            status, activated = "scheduled", None
            starts = now + timedelta(hours=rng.randrange(1, 24 * 30))
            duration = rng.choice([86400, 7 * 86400, None])
            ends = starts + timedelta(seconds=duration) if duration else None
        elif kind == "ended":
            status = rng.choice(["expired", "expired", "revoked"])
            duration = 86400
            ends = ended = created + timedelta(seconds=duration)
            end_reason = "expired" if status == "expired" else "revoked"
        app, role = ref.split(":")
        self.access.grants.append((grant_id, person_id, ref, self.connectors[app], f"{app}-{role}", None, status,
                                   starts, ends, duration, activated, ended, end_reason, None, granted_by, None, 0, 0,
                                   created, 1))
        if status in ("active", "scheduled"):
            self.access.live.add((person_id, ref))
        if status == "active" and ends is not None:
            self._due("grant.expire", grant_id, ends, created)
        elif status == "scheduled":
            self._due("grant.start", grant_id, starts, created)

    def _due(self, kind: str, ref: int, at: datetime, created: datetime) -> None:
        rows = self.access.due
        rows.append((len(rows) + 1, kind, f"{kind}:{ref}", str(ref), at, "scheduled", {}, 1, 0, None, None, None,
                     created, None))


def build_access(company: Company, catalog_info: dict, connectors: dict[str, str], *, grants: int,
                 home_person: int, home_grants: int, home_approvals: int, rng: random.Random,
                 now: datetime) -> Access:
    access = Access()
    writer = GrantWriter(access, connectors, now)
    birthright = catalog_info["birthright"]
    for person_id in range(1, len(company.rows) + 1):
        department = company.department_of[person_id]
        rule = slug(department)
        for ref in birthright["*"] + [r for r in birthright[department] if r not in birthright["*"]]:
            who = "everyone" if ref in birthright["*"] else rule
            writer.add(person_id, ref, kind="permanent", rng=rng, granted_by=f"birthright: {who}")
    _home_grants(writer, company, catalog_info, home_person, home_grants, rng)
    _requested_grants(writer, company, catalog_info, grants - len(access.grants), rng)
    _pending(access, company, catalog_info, home_person, home_approvals, rng, now)
    return access


def _home_grants(writer: GrantWriter, company, catalog_info, person_id: int, count: int, rng) -> None:
    held = sum(1 for g in writer.access.grants if g[1] == person_id)
    refs = [r for r in catalog_info["refs"] if (person_id, r) not in writer.access.live]
    for i, ref in enumerate(rng.sample(refs, min(len(refs), max(0, count - held)))):
        kind = "timebound" if i % 10 < 6 else "scheduled" if i % 10 == 9 else "permanent"
        writer.add(person_id, ref, kind=kind, rng=rng, granted_by=company.email(company.manager_of[person_id] or 1))


def _requested_grants(writer: GrantWriter, company, catalog_info, count: int, rng) -> None:
    by_department: dict[str, list[str]] = {}
    for ref in catalog_info["refs"]:
        for department in catalog_info["departments"][ref.split(":")[0]]:
            by_department.setdefault(department, []).append(ref)
    people, kinds = len(company.rows), ["permanent", "timebound", "scheduled", "ended"]
    for _ in range(max(0, count)):
        person_id = rng.randrange(1, people + 1)
        eligible = by_department.get(company.department_of[person_id]) or catalog_info["refs"]
        ref = rng.choice(eligible) if rng.random() < 0.85 else rng.choice(catalog_info["refs"])
        kind = rng.choices(kinds, weights=[35, 25, 5, 35])[0]
        if kind != "ended" and (person_id, ref) in writer.access.live:
            kind = "ended"  # one live grant per person and entitlement, as the ledger keeps it
        writer.add(person_id, ref, kind=kind, rng=rng, granted_by=company.email(company.manager_of[person_id] or 1))


def _pending(access: Access, company, catalog_info, home_person: int, home_approvals: int, rng, now) -> None:
    """Pending requests waiting on managers across the company (2 % of people), and ``home_approvals`` on one."""
    people = len(company.rows)
    asks = [(rng.randrange(2, people + 1), None) for _ in range(people // 50)]
    asks += [(rng.randrange(2, people + 1), home_person) for _ in range(home_approvals)]
    for requester, approver in asks:
        approver = approver or company.manager_of[requester] or 1
        request_id, created = len(access.requests) + 1, now - timedelta(hours=rng.randrange(1, 72))
        ref = rng.choice(catalog_info["refs"])
        access.requests.append((request_id, requester, None, ref, None, 86400, None, "needed for the project", "",
                                "pending", 0, None, None, False, "", "slack", None, "", created, None,
                                created + timedelta(days=3), 1, {}))
        access.steps.append((request_id, request_id, 0, "manager", "Manager", 1, [approver], False, None, "active",
                             created, None, 0, False))
        access.approvers.append((request_id, approver))


def audit_rows(company: Company, catalog_info: dict, *, count: int, rng: random.Random,
               now: datetime) -> Iterator[tuple]:
    """``count`` events evenly over the year before ``now``, chained as ``bot.audit.log`` chains them."""
    start, step = now - timedelta(days=365), timedelta(days=365) / max(count, 1)
    actions, weights = [a[:3] for a in ACTIONS], [a[3] for a in ACTIONS]
    refs, people, prev = catalog_info["refs"], len(company.rows), GENESIS
    for seq in range(1, count + 1):
        action, subject_type, trigger = rng.choices(actions, weights)[0]
        person = rng.randrange(1, people + 1)
        email = company.email(person)
        actor = "system:timer" if trigger == "timer" else f"person:{email}" if trigger == "slack" else f"system:{trigger}"
        fields = {"seq": seq, "occurred_at": (start + step * seq).replace(microsecond=0), "actor": actor,
                  "action": action, "subject_type": subject_type, "subject_id": str(rng.randrange(1, 200_000)),
                  "person_email": email, "trigger": trigger,
                  "detail": {"entitlement": rng.choice(refs), "reason": "scale fixture"}, "prev_hash": prev}
        digest = compute_hash(fields)
        yield (seq, seq, fields["occurred_at"], actor, action, subject_type, fields["subject_id"], email, trigger,
               fields["detail"], prev, digest)
        prev = digest
