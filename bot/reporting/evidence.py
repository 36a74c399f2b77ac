"""The auditor's evidence pack for a period: the audit log with its chain check, who had what at
the end, privileged grants with their approval chains, leavers with per-system receipts, and the
policy versions in force; a README says how to check each file, SHA256SUMS lists them.

Reproducible: everything is read as of the period's end and written with sorted keys and rows,
and a zip gets fixed timestamps and permissions, so the same period gives byte-identical files."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit.log import canonical
from bot.audit.verify import verify
from bot.domain import csv_cells
from bot.domain.enums import DONE_ACTION_STATUSES
from bot.reporting import policy_versions
from bot.reporting.figures import Period, _deprovision_start, _held_at, _leaver_events
from bot.reviews import queries as review_queries
from bot.store.models import (
    AccessRequest, ApprovalStep, AuditEvent, Decision, Grant, Offboarding, Person, ProvisioningAction, ReviewCampaignRun,
)

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
AUDIT_FIELDS = ["seq", "occurred_at", "actor", "action", "subject_type", "subject_id", "person_email", "trigger",
                "detail", "prev_hash", "hash"]
ACCESS_COLUMNS = ["person_email", "department", "entitlement", "connector", "target", "grant_id", "status_at_end",
                  "activated_at", "ends_at", "granted_by", "request_id"]


def _json(value) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n").encode()


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat(timespec="microseconds")


class Pack:
    """Files written in name order to a folder or a zip, each hashed as it is written."""

    def __init__(self, out: Path):
        self.out = out
        self.digests: dict[str, str] = {}
        self._zip = None
        if out.suffix == ".zip":
            out.parent.mkdir(parents=True, exist_ok=True)
            self._zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        else:
            out.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, chunks: Iterator[bytes]) -> None:
        digest = hashlib.sha256()
        if self._zip is not None:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type, info.external_attr, info.create_system = zipfile.ZIP_DEFLATED, 0o644 << 16, 3
            with self._zip.open(info, "w") as handle:
                for chunk in chunks:
                    digest.update(chunk)
                    handle.write(chunk)
        else:
            with (self.out / name).open("wb") as handle:
                for chunk in chunks:
                    digest.update(chunk)
                    handle.write(chunk)
        self.digests[name] = digest.hexdigest()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def write_pack(s: Session, catalog, period: Period, out: Path) -> dict[str, str]:
    """Write the pack for ``period`` to ``out`` (a folder, or a file ending in .zip); returns file → sha256."""
    head = s.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.occurred_at < period.until)
                     .order_by(AuditEvent.seq.desc()).limit(1)).first()
    parts: list[tuple[str, Callable[[], Iterator[bytes]]]] = [
        ("README.md", lambda: iter([README.format(since=period.since.isoformat(),
                                                  until=period.until.isoformat()).encode()])),
        ("VERIFY_AUDIT.py", lambda: iter([VERIFY_SCRIPT.encode()])),
        ("access-at-end.csv", lambda: _access_at_end(s, period)),
        ("audit-chain.json", lambda: iter([_json(_chain(s, period, head))])),
        ("audit-events.jsonl", lambda: _audit_events(s, period)),
        ("leavers.json", lambda: iter([_json(_leavers(s, period))])),
        ("policy-versions.json", lambda: iter([_json(policy_versions.loads(s, period.since, period.until))])),
        ("privileged-grants.json", lambda: iter([_json(_privileged(s, catalog, period))])),
        ("review-campaigns.jsonl", lambda: _review_campaigns(s, period)),
    ]
    pack = Pack(out)
    try:
        for name, chunks in sorted(parts):
            pack.write(name, chunks())
        sums = "".join(f"{digest}  {name}\n" for name, digest in sorted(pack.digests.items()))
        pack.write("SHA256SUMS", iter([sums.encode()]))
    finally:
        pack.close()
    return pack.digests


def _review_campaigns(s: Session, period: Period) -> Iterator[bytes]:
    """Every item of every review campaign closed in the period, as ``accessbot review report`` gives it.
    Only closed campaigns: their items no longer change, so the same period gives the same file."""
    runs = s.scalars(select(ReviewCampaignRun).where(ReviewCampaignRun.closed_at >= period.since,
                                                     ReviewCampaignRun.closed_at < period.until)
                     .order_by(ReviewCampaignRun.id))
    for run in runs:
        for row in review_queries.report_rows(s, run):
            line = {"campaign": run.name, "campaign_run": run.id, "started_at": _iso(run.started_at),
                    "closed_at": _iso(run.closed_at), **row}
            yield (json.dumps(line, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode()


def _chain(s: Session, period: Period, head) -> dict:
    result = verify(s, up_to=head[0]) if head else None
    first = s.execute(select(AuditEvent.seq, AuditEvent.prev_hash).where(AuditEvent.occurred_at >= period.since,
                                                                         AuditEvent.occurred_at < period.until)
                      .order_by(AuditEvent.seq).limit(1)).first()
    return {
        "period": {"since": period.since.isoformat(), "until": period.until.isoformat()},
        "checked_from_seq": 1, "checked_to_seq": head[0] if head else None,
        "result": "ok" if result is None or result.ok else "tampered",
        "message": str(result) if result else "no audit events before the end of the period",
        "first_bad_seq": None if result is None else result.seq,
        "chain_head": {"seq": head[0], "hash": head[1]} if head else None,
        "period_first": {"seq": first[0], "prev_hash": first[1]} if first else None,
    }


def _audit_events(s: Session, period: Period, batch: int = 5000) -> Iterator[bytes]:
    last = 0
    while True:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.seq > last, AuditEvent.occurred_at >= period.since,
                                                  AuditEvent.occurred_at < period.until)
                         .order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return
        lines = []
        for event in rows:
            last = event.seq
            fields = json.loads(canonical(event))  # exactly what the hash covers, plus the hash
            lines.append(json.dumps({**fields, "hash": event.hash}, sort_keys=True, separators=(",", ":"),
                                    ensure_ascii=False))
        yield ("\n".join(lines) + "\n").encode()


def _access_at_end(s: Session, period: Period) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv_cells.writer(buffer, lineterminator="\n")
    writer.writerow(ACCESS_COLUMNS)
    moment = period.until
    rows = s.execute(select(Person.email, Person.department, Grant.entitlement, Grant.connector, Grant.target,
                            Grant.id, Grant.activated_at, Grant.ends_at, Grant.granted_by, Grant.request_id,
                            Grant.ended_at)
                     .join(Person, Person.id == Grant.person_id).where(_held_at(moment))
                     .order_by(Person.email, Grant.entitlement, Grant.id))
    for email, department, ref, connector, target, grant_id, activated, ends, granted_by, request_id, _ in rows:
        # Held at the end; if an end was due by then, the removal was not yet confirmed.
        state = "held" if ends is None or ends > moment else "held_past_end"
        writer.writerow([email, department, ref, connector, target, grant_id, state, _iso(activated), _iso(ends),
                         granted_by, request_id or ""])
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _privileged(s: Session, catalog, period: Period) -> list[dict]:
    risks = catalog.settings.offboarding.privileged_risks
    privileged = {ref for ref, ent in catalog.entitlements.items() if ent.risk in risks}
    grants = s.execute(select(Grant, Person.email).join(Person, Person.id == Grant.person_id)
                       .where(Grant.entitlement.in_(privileged), Grant.activated_at >= period.since,
                              Grant.activated_at < period.until).order_by(Grant.activated_at, Grant.id)).all()
    request_ids = [g.request_id for g, _ in grants if g.request_id is not None]
    emails = dict(s.execute(select(Person.id, Person.email)).all()) if grants else {}
    requests = {r.id: r for r in s.scalars(select(AccessRequest).where(AccessRequest.id.in_(request_ids)))}
    steps, decisions = defaultdict(list), defaultdict(list)
    for step in s.scalars(select(ApprovalStep).where(ApprovalStep.request_id.in_(request_ids))
                          .order_by(ApprovalStep.request_id, ApprovalStep.position)):
        steps[step.request_id].append(step)
    for decision in s.scalars(select(Decision).where(Decision.request_id.in_(request_ids))
                              .order_by(Decision.request_id, Decision.decided_at, Decision.id)):
        decisions[decision.step_id].append(decision)
    out = []
    for grant, email in grants:
        request = requests.get(grant.request_id)
        out.append({
            "grant_id": grant.id, "person_email": email, "entitlement": grant.entitlement,
            "risk": catalog.entitlements[grant.entitlement].risk, "connector": grant.connector, "target": grant.target,
            "activated_at": _iso(grant.activated_at), "ends_at": _iso(grant.ends_at), "ended_at": _iso(grant.ended_at)
            if grant.ended_at and grant.ended_at < period.until else None, "granted_by": grant.granted_by,
            "request": None if request is None else {
                "id": request.id, "requester": emails.get(request.requester_id),
                "on_behalf_of_by": emails.get(request.created_by_id), "submitted_at": _iso(request.created_at),
                "justification": request.justification, "ticket": request.ticket,
                "auto_approved": request.auto_approved, "policy_rule": request.policy_rule,
                "decided_at": _iso(request.decided_at),
                "approval_chain": [{
                    "position": step.position, "kind": step.kind, "label": step.label, "quorum": step.quorum,
                    "status": step.status, "decided_at": _iso(step.decided_at), "used_fallback": step.used_fallback,
                    "decisions": [{"approver": emails.get(d.approver_id), "verdict": d.verdict, "reason": d.reason,
                                   "decided_at": _iso(d.decided_at)} for d in decisions[step.id]],
                } for step in steps[request.id]],
            },
        })
    return out


def _leavers(s: Session, period: Period) -> list[dict]:
    records = s.execute(select(Offboarding, Person.email, Person.department).join(Person, Person.id == Offboarding.person_id)
                        .where(Offboarding.started_at.is_not(None), Offboarding.started_at < period.until)
                        .order_by(Offboarding.id)).all()
    leaver_at = _leaver_events(s, {o.person_id for o, _, _ in records})
    chosen = []
    for record, email, department in records:
        began = _deprovision_start(record.started_at, record.trigger, leaver_at.get(record.person_id, []))
        if period.since <= began < period.until:
            chosen.append((record, email, department, began))
    actions = defaultdict(list)
    if chosen:
        for action in s.scalars(select(ProvisioningAction).where(
                ProvisioningAction.offboarding_id.in_([r.id for r, *_ in chosen]))
                .order_by(ProvisioningAction.connector, ProvisioningAction.created_at, ProvisioningAction.id)):
            actions[action.offboarding_id].append(action)
    out = []
    for record, email, department, began in chosen:
        systems = defaultdict(list)
        for action in actions[record.id]:
            confirmed = action.status in DONE_ACTION_STATUSES and action.finished_at is not None \
                and action.finished_at < period.until
            systems[action.connector].append({
                "action": action.action, "target": action.target, "entitlement": action.entitlement,
                "result_at_end": action.status if confirmed else "not confirmed by the end of the period",
                "confirmed_at": _iso(action.finished_at) if confirmed else None, "target_ref": action.target_ref,
                "action_id": action.id})
        receipts = {}
        for connector, steps in sorted(systems.items()):
            done = all(step["confirmed_at"] for step in steps)
            last = max(step["confirmed_at"] for step in steps) if done else None
            receipts[connector] = {"confirmed": done, "last_confirmed_at": last, "steps": steps,
                                   "seconds_to_deprovision": _seconds(last, began)}
        complete = bool(receipts) and all(r["confirmed"] for r in receipts.values())
        last = max((r["last_confirmed_at"] for r in receipts.values()), default=None) if complete else None
        out.append({"offboarding_id": record.id, "person_email": email, "department": department,
                    "trigger": record.trigger, "requested_by": record.requested_by, "started_at": _iso(began),
                    "all_systems_confirmed": complete, "last_confirmed_at": last,
                    "seconds_to_deprovision": _seconds(last, began), "systems": receipts})
    return out


def _seconds(last: str | None, began: datetime) -> float | None:
    return None if last is None else round((datetime.fromisoformat(last) - began).total_seconds(), 3)


README = """# accessbot evidence pack

Period: {since} (included) to {until} (excluded), UTC. Every file is read from the accessbot
database as of the end of the period: the same period gives byte-identical files.

| file | what it is | how to check it |
| --- | --- | --- |
| `SHA256SUMS` | the sha256 of every other file | `sha256sum -c SHA256SUMS` |
| `audit-events.jsonl` | every audit event of the period, one JSON object a line, oldest first | `python3 VERIFY_AUDIT.py audit-events.jsonl audit-chain.json`: recomputes each event's hash and the links between them, and checks the last one is the chain head below |
| `audit-chain.json` | the check of the whole hash chain from event 1 to the period's last event (`result`, `first_bad_seq`), the chain head (`seq`, `hash`) and the link into the period (`period_first.prev_hash`) | run `accessbot audit verify` on the live database: the head `seq` must still carry the same `hash` |
| `access-at-end.csv` | who held what at the end of the period (a grant held past its end means the removal was not yet confirmed) | compare with a target's own member list at that date; `accessbot reconcile` does it for today |
| `privileged-grants.json` | every grant of a privileged entitlement (the catalog's `settings.offboarding.privileged_risks`) that became active in the period, with its request, approval steps and each approver's decision | each grant's `grant.*` and `request.*` events are in `audit-events.jsonl` under the same ids |
| `leavers.json` | every offboarding that started in the period (from the leaver event, or the confirmation of a manual one): per system, each removal with the time the target confirmed it, and the time to deprovision (the start to the last system's confirmation) | each step's `action_id` appears in the `provisioning.*` events of `audit-events.jsonl` |
| `policy-versions.json` | the catalog version in force at the start (`in_force_at_start`) and every load in the period: the sha256 of each policy file and of the set | `sha256sum` the catalog files of that version (e.g. from the policy repository at that date) |

| `review-campaigns.jsonl` | every item of every access-review campaign closed in the period (docs/reviews.md): holder, entitlement, reviewer, decision, reason, when, the revoke's confirmation, and `audit_seq`, the audit event of the decision | each `audit_seq` is a `review.decided` event in `audit-events.jsonl` (or, for a decision before the period, in the live audit log: `accessbot audit verify`) |

An event's hash is the sha256 of its fields except `hash`, as JSON with sorted keys and no spaces
(`separators=(",", ":")`); `prev_hash` is the previous event's hash (64 zeros before event 1).
"""

VERIFY_SCRIPT = '''"""Check an accessbot evidence pack's audit events: python3 VERIFY_AUDIT.py audit-events.jsonl audit-chain.json"""
import hashlib
import json
import sys

events_path, chain_path = sys.argv[1], sys.argv[2]
chain = json.load(open(chain_path, encoding="utf-8"))
previous, count, last = None, 0, None
for number, line in enumerate(open(events_path, encoding="utf-8"), 1):
    event = json.loads(line)
    claimed = event.pop("hash")
    body = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
    if hashlib.sha256(body).hexdigest() != claimed:
        sys.exit(f"line {number} (event #{event['seq']}): its content does not match its hash")
    if previous is not None and event["prev_hash"] != previous:
        sys.exit(f"line {number} (event #{event['seq']}): does not follow the event before it")
    previous, count, last = claimed, count + 1, event["seq"]
head = chain.get("chain_head") or {}
if count and (head.get("seq") != last or head.get("hash") != previous):
    sys.exit(f"the last event (#{last}) is not the chain head #{head.get('seq')}")
print(f"OK: {count} events, hashes and links intact; chain check {chain.get('result')}")
'''
