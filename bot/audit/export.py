"""Export the audit log for auditors and SIEMs (JSON lines or CSV), streaming rows.

One ordered query read through a server-side cursor (PostgreSQL) or the sqlite3 cursor, straight from
the driver (``bot.audit.rows``): memory stays constant and the export is one consistent snapshot of the
log. Each line is written from the row's values with json's C encoders, byte for byte what
``json.dumps(event, sort_keys=True)`` wrote before (tests/audit/test_export_fast.py compares them).
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import rows
from bot.domain import csv_cells
from bot.store.models import AuditEvent

COLUMNS = list(rows.COLUMNS)

_quote = json.encoder.encode_basestring_ascii  # what json.dumps uses for every string (ensure_ascii)
_sorted = json.JSONEncoder(sort_keys=True).encode  # json.dumps(value, sort_keys=True) without its set-up


def iter_events(s: Session, since: datetime | None = None, batch: int = 2000) -> Iterator[dict]:
    for row in _rows(s, since, batch):
        yield dict(zip(COLUMNS, row), detail=json.loads(row[8]))


def _rows(s: Session, since: datetime | None, batch: int) -> Iterator[tuple]:
    """rows.COLUMNS with occurred_at as ``datetime.isoformat()`` writes it and the detail as JSON text."""
    if not rows.supported(s):
        yield from _reference_rows(s, since, batch)
        return
    for row in rows.stream(s, batch=batch, since=since, name="accessbot_audit_export"):
        occurred = row[1]
        if occurred is None:  # a timestamp the database could not format: read as an ordinary query would
            yield from _reference_rows(s, None, 1, seq=row[0])
            continue
        if occurred[20:26] == "000000":  # isoformat() leaves out a zero microsecond
            occurred = occurred[:19] + occurred[26:]
        yield (row[0], occurred, *row[2:])


def _reference_rows(s: Session, since: datetime | None, batch: int, seq: int | None = None) -> Iterator[tuple]:
    query = select(*(getattr(AuditEvent, c) for c in COLUMNS)).order_by(AuditEvent.seq)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if seq is not None:
        query = query.where(AuditEvent.seq == seq)
    for row in s.execute(query.execution_options(yield_per=batch)):
        yield (row[0], row[1].isoformat(), *row[2:8], json.dumps(row[8]), *row[9:])


def _line(row: tuple) -> str:
    seq, occurred, actor, action, subject_type, subject_id, email, trigger, detail, prev, stored = row
    texts = (action, actor, stored, occurred, prev, subject_id, subject_type, trigger)
    if type(seq) is not int or not all(type(t) is str for t in texts) or not (email is None or type(email) is str):
        return json.dumps(dict(zip(COLUMNS, row), detail=json.loads(detail)), sort_keys=True)
    action, actor, stored, occurred, prev, subject_id, subject_type, trigger = map(_quote, texts)
    return (f'{{"action": {action}, "actor": {actor}, "detail": {_sorted(json.loads(detail))}, "hash": {stored}, '
            f'"occurred_at": {occurred}, "person_email": {"null" if email is None else _quote(email)}, '
            f'"prev_hash": {prev}, "seq": {seq}, "subject_id": {subject_id}, "subject_type": {subject_type}, '
            f'"trigger": {trigger}}}')


def _cells(row: tuple) -> list[Any]:
    return [*row[:8], _sorted(json.loads(row[8])), *row[9:]]


def export(s: Session, out: TextIO, fmt: str = "jsonl", since: datetime | None = None) -> int:
    count = 0
    if fmt == "jsonl":
        write = out.write
        for row in _rows(s, since, 2000):
            write(_line(row) + "\n")
            count += 1
    elif fmt == "csv":
        writer = csv_cells.writer(out)
        writer.writerow(COLUMNS)
        for row in _rows(s, since, 2000):
            writer.writerow(_cells(row))
            count += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}: use jsonl or csv")
    return count
