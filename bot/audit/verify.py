"""Walk the chain and report the first event that was edited, inserted or deleted.

The walk streams plain rows (a server-side cursor on PostgreSQL, ``yield_per`` batches on SQLite)
instead of loading ORM objects: memory stays constant however long the log is, and two million
events take seconds, not minutes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from bot.audit.log import GENESIS, HASHED, compute_hash
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
    # detail is read as text and parsed here: psycopg's JSON loader costs twice as much per row.
    columns = [cast(AuditEvent.detail, Text).label(name) if name == "detail" else getattr(AuditEvent, name)
               for name in HASHED]
    query = select(*columns, AuditEvent.hash).order_by(AuditEvent.seq)
    if up_to is not None:
        query = query.where(AuditEvent.seq <= up_to)
    for row in s.execute(query.execution_options(yield_per=batch)):
        fields = dict(zip(HASHED, row))
        fields["detail"] = json.loads(fields["detail"])
        stored = row[-1]
        seq = fields["seq"]
        if seq != expected_seq:
            return VerifyResult(False, checked, f"events #{expected_seq}..#{seq - 1} are missing (deleted)",
                                expected_seq)
        if fields["prev_hash"] != prev_hash:
            return VerifyResult(False, checked, "does not follow the previous event (an event was "
                                "deleted or inserted before it)", seq)
        if compute_hash(fields) != stored:
            return VerifyResult(False, checked, "its content no longer matches its hash (edited)", seq)
        prev_hash, expected_seq, checked = stored, expected_seq + 1, checked + 1
    return VerifyResult(True, checked)
