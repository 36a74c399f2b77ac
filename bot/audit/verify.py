"""Walk the chain and report the first event that was edited, inserted or deleted.

The walk streams rows straight from the driver (a server-side cursor on PostgreSQL, the sqlite3 cursor on
SQLite) in ``seq`` order: memory stays constant however long the log is.

Each event is checked first with a fast candidate of its canonical form (orjson, with the timestamp
already formatted by the database). Its bytes differ from the reference ``canonical()`` for some values
(non-ASCII and DEL are not escaped, for one), but both are JSON that parses back to the event's values:
when the candidate's SHA-256 equals the stored hash, the event's content is the one that was hashed.
Only when it does not is the event recomputed with the reference ``canonical()`` (first from the values
already read, then read again through SQLAlchemy as an ordinary query would) to decide whether it was
edited. A verify of two million events spends about 5 µs of CPU on each instead of 21 µs
(docs/benchmarks.md, Benchmark 6).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from bot.audit import rows
from bot.audit.log import GENESIS, HASHED, canonical, compute_hash
from bot.store.models import AuditEvent


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.checked} audit events, hash chain intact"
        return f"TAMPERED at event #{self.seq}: {self.problem} ({self.checked} events checked before it)"


def verify(s: Session, batch: int = 5000, up_to: int | None = None) -> VerifyResult:
    """``up_to``: check the chain from its start to this event only (an evidence pack's period)."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    sha256, candidate = hashlib.sha256, _candidate
    for row in _rows(s, batch, up_to):
        seq, stored = row[0], row[10]
        if seq != expected_seq:
            return VerifyResult(False, checked, f"events #{expected_seq}..#{seq - 1} are missing (deleted)",
                                expected_seq)
        if row[9] != prev_hash:
            return VerifyResult(False, checked, "does not follow the previous event (an event was "
                                "deleted or inserted before it)", seq)
        fast = candidate(row)
        if (fast is None or sha256(fast).hexdigest() != stored) and not _reference_matches(s, row):
            return VerifyResult(False, checked, "its content no longer matches its hash (edited)", seq)
        prev_hash, expected_seq, checked = stored, expected_seq + 1, checked + 1
    return VerifyResult(True, checked)


def _candidate(row: tuple, dumps=orjson.dumps, loads=orjson.loads, sort=orjson.OPT_SORT_KEYS) -> bytes | None:
    """The fast canonical form, or None when it cannot be built (then the reference path decides)."""
    seq, occurred, actor, action, subject_type, subject_id, email, trigger, detail, prev, _ = row
    try:
        body = dumps({"action": action, "actor": actor, "detail": loads(detail), "occurred_at": occurred,
                      "person_email": email, "prev_hash": prev, "seq": seq, "subject_id": subject_id,
                      "subject_type": subject_type, "trigger": trigger}, option=sort)
    except (orjson.JSONDecodeError, TypeError):  # NaN, Infinity, lone surrogates, not JSON, not text
        return None
    # orjson reads an integer beyond 64 bits as a float (json keeps the int) and writes a float that
    # large with "e+": such a candidate could match a chain that hashed the float, so it proves nothing.
    return None if b"e+" in body else body


def _reference_matches(s: Session, row: tuple) -> bool:
    """The event's hash recomputed exactly as before: from the values read (they are what an ordinary
    read gives, save a timestamp the database could not format), else read again through SQLAlchemy."""
    stored = row[10]
    if row[1] is not None:
        try:
            fields = dict(zip(HASHED, row), detail=json.loads(row[8]))
        except (ValueError, TypeError):
            fields = None
        if fields is not None and hashlib.sha256(canonical(fields)).hexdigest() == stored:
            return True
    again = s.execute(_reference_query().where(AuditEvent.seq == row[0])).first()
    if again is None:
        return False
    return _reference_hash(again) == stored


def _reference_query():
    # detail is read as text and parsed here: psycopg's JSON loader costs twice as much per row.
    columns = [cast(AuditEvent.detail, Text).label(name) if name == "detail" else getattr(AuditEvent, name)
               for name in HASHED]
    return select(*columns, AuditEvent.hash).order_by(AuditEvent.seq)


def _reference_hash(row: Any) -> str:
    fields = dict(zip(HASHED, row))
    fields["detail"] = json.loads(fields["detail"])
    return compute_hash(fields)


def _rows(s: Session, batch: int, up_to: int | None) -> Iterator[tuple]:
    """rows.COLUMNS (the detail as JSON text, the timestamp as ISO text or None) in seq order."""
    if rows.supported(s):
        yield from rows.stream(s, batch=batch, up_to=up_to, name="accessbot_audit_verify")
        return
    # another database: the same rows through SQLAlchemy, the timestamp formatted here
    query = _reference_query() if up_to is None else _reference_query().where(AuditEvent.seq <= up_to)
    for row in s.execute(query.execution_options(yield_per=batch)):
        yield (row[0], row[1].isoformat(timespec="microseconds"), *row[2:])
