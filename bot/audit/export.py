"""Export the audit log for auditors and SIEMs (JSON lines or CSV), streaming plain rows.

One ordered query read through a server-side cursor (PostgreSQL) or in ``yield_per`` batches: memory
stays constant and the export is one consistent snapshot of the log.
"""

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
    query = select(*(getattr(AuditEvent, c) for c in COLUMNS)).order_by(AuditEvent.seq)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    for row in s.execute(query.execution_options(yield_per=batch)):
        event = row._asdict()
        event["occurred_at"] = event["occurred_at"].isoformat()
        yield event


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
