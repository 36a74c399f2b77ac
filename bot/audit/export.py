"""Export the audit log for auditors and SIEMs (JSON lines or CSV), streaming in batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import csv_cells
from bot.store.models import AuditEvent

COLUMNS = ["seq", "occurred_at", "actor", "action", "subject_type", "subject_id", "person_email",
           "trigger", "detail", "prev_hash", "hash"]


def iter_events(s: Session, since: datetime | None = None, batch: int = 2000) -> Iterator[dict]:
    last = 0
    while True:
        query = select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        if since is not None:
            query = query.where(AuditEvent.occurred_at >= since)
        rows = s.scalars(query).all()
        if not rows:
            return
        for event in rows:
            last = event.seq
            yield {c: (getattr(event, c).isoformat() if c == "occurred_at" else getattr(event, c)) for c in COLUMNS}


def export(s: Session, out: TextIO, fmt: str = "jsonl", since: datetime | None = None) -> int:
    count = 0
    if fmt == "jsonl":
        for row in iter_events(s, since):
            out.write(json.dumps(row, sort_keys=True) + "\n")
            count += 1
    elif fmt == "csv":
        writer = csv_cells.dict_writer(out, COLUMNS)
        writer.writeheader()
        for row in iter_events(s, since):
            writer.writerow({**row, "detail": json.dumps(row["detail"], sort_keys=True)})
            count += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}: use jsonl or csv")
    return count
