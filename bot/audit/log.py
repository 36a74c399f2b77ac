"""Append audit events to a hash chain, in the caller's transaction.

Each event's hash covers its content and the previous event's hash, and ``seq`` is gap-free, so
`verify` finds an edited, inserted or deleted row. Appends are serialised (a transaction-scoped
advisory lock on PostgreSQL; SQLite's single writer does it there) so two replicas never fork the
chain.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from bot.store.models import AuditEvent

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x616363657373  # "access": one application-wide lock id for the chain
_PENDING = "accessbot_audit_pending"
# The columns the hash covers (everything but the row id and the hash itself).
HASHED = ("seq", "occurred_at", "actor", "action", "subject_type", "subject_id", "person_email", "trigger", "detail",
          "prev_hash")


def canonical(event: AuditEvent | dict[str, Any]) -> bytes:
    fields = dict(event) if isinstance(event, dict) else {name: getattr(event, name) for name in HASHED}
    fields["occurred_at"] = _iso(fields["occurred_at"])
    fast = _canonical_fast(fields)
    if fast is not None:
        return fast
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()


_quote = json.encoder.encode_basestring_ascii  # what json.dumps uses for every string (ensure_ascii)


def _canonical_fast(f: dict[str, Any]) -> bytes | None:
    """The same bytes as the json.dumps above, built from the fixed key order (a verify of millions
    of events spends most of its time here). None when a value is not of the usual type."""
    texts = (f["action"], f["actor"], f["occurred_at"], f["prev_hash"], f["subject_id"], f["subject_type"],
             f["trigger"])
    email, seq, detail = f["person_email"], f["seq"], f["detail"]
    if (len(f) != len(HASHED) or type(seq) is not int or type(detail) is not dict
            or not all(type(t) is str for t in texts) or not (email is None or type(email) is str)):
        return None
    action, actor, occurred, prev, subject_id, subject_type, trigger = map(_quote, texts)
    body = json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str)
    return (f'{{"action":{action},"actor":{actor},"detail":{body},"occurred_at":{occurred},'
            f'"person_email":{"null" if email is None else _quote(email)},"prev_hash":{prev},"seq":{seq},'
            f'"subject_id":{subject_id},"subject_type":{subject_type},"trigger":{trigger}}}').encode()


def _iso(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.isoformat(timespec="microseconds")


def compute_hash(event: AuditEvent | dict[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def append(s: Session, *, now: datetime, actor: str, action: str, subject_type: str, subject_id: Any,
           trigger: str, person_email: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Queue an event on the session; it is chained and inserted just before the transaction commits.

    Chaining at commit keeps the chain lock (and SQLite's write) as short as the commit itself,
    instead of serialising whole transactions behind it; a rolled-back transaction leaves no event.
    """
    s.info.setdefault(_PENDING, []).append(dict(
        occurred_at=now, actor=actor, action=action, subject_type=subject_type, subject_id=str(subject_id),
        person_email=person_email, trigger=str(trigger), detail=_jsonable(detail or {})))


@event.listens_for(Session, "before_commit")
def _chain_pending_events(s: Session) -> None:
    pending = s.info.pop(_PENDING, None)
    if not pending:
        return
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    last = s.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    rows = []
    for fields in pending:
        row = {**fields, "seq": seq, "prev_hash": prev}
        row["hash"] = compute_hash({name: row[name] for name in HASHED})
        rows.append(row)
        seq, prev = seq + 1, row["hash"]
    # One executemany on the table, not ORM objects: nothing reads the rows back in this transaction,
    # so each needs neither a unit-of-work entry nor an INSERT ... RETURNING id of its own.
    s.execute(insert(AuditEvent.__table__), rows)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending_events(s: Session, previous_transaction) -> None:
    s.info.pop(_PENDING, None)


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    # Store exactly what the hash covers: a JSON round trip turns datetimes, enums... into strings.
    return json.loads(json.dumps(detail, default=str))
