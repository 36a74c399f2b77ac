"""The export written from driver rows is byte for byte what the SQLAlchemy-row export wrote before."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from bot.audit.export import COLUMNS, export
from bot.domain import csv_cells
from bot.store.models import AuditEvent
from tests.audit.test_verify_fast import T0, _history
from tests.support import databases


def reference_export(s, out, fmt, since=None) -> int:
    query = select(*(getattr(AuditEvent, c) for c in COLUMNS)).order_by(AuditEvent.seq)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    events = []
    for row in s.execute(query):
        event = row._asdict()
        event["occurred_at"] = event["occurred_at"].isoformat()
        events.append(event)
    if fmt == "jsonl":
        for event in events:
            out.write(json.dumps(event, sort_keys=True) + "\n")
    else:
        writer = csv_cells.dict_writer(out, COLUMNS)
        writer.writeheader()
        for event in events:
            writer.writerow({**event, "detail": json.dumps(event["detail"], sort_keys=True)})
    return len(events)


def _both(store, fmt, since=None) -> str:
    fast, reference = io.StringIO(newline=""), io.StringIO(newline="")
    with store.uow() as s:
        count = export(s, fast, fmt, since)
    with store.uow() as s:
        assert reference_export(s, reference, fmt, since) == count
    assert fast.getvalue() == reference.getvalue()
    return fast.getvalue()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_is_byte_for_byte_as_before(store, fmt):
    n = _history(store)  # non-ASCII, control characters, DEL, floats, big ints, nested; zero and non-zero µs
    with store.uow() as s:  # a formula in a stored hash, as an attacker with the database could write it
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(hash="=HYPERLINK(1)", actor="-1+2"))
        s.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(occurred_at=T0.replace(microsecond=0)))
    written = _both(store, fmt)
    assert len(written.splitlines()) >= n
    assert len(_both(store, fmt, since=T0 + timedelta(seconds=9))) < len(written)
    if fmt == "jsonl":
        assert '"occurred_at": "2026-01-02T03:04:05+00:00"' in written.splitlines()[3]
    else:
        assert "'=HYPERLINK(1)" in written and "'-1+2" in written


def test_an_oddly_stored_timestamp_is_written_as_an_ordinary_read_gives_it(tmp_path, worker_id):
    # SQLite only: it keeps timestamps as text, so a row can hold one in a form the fast reader does
    # not format itself; PostgreSQL's timestamptz cannot.
    store = databases.open_store("sqlite", tmp_path, worker_id)
    try:
        _history(store)
        with store.uow() as s:
            s.execute(text("UPDATE audit_events SET occurred_at = '2026-01-02T03:04:05.5' WHERE seq = 2"))
        for fmt in ("jsonl", "csv"):
            assert "2026-01-02T03:04:05.500000+00:00" in _both(store, fmt)
    finally:
        store.dispose()
