"""Walk the chain and report the first event that was edited, inserted or deleted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit.log import GENESIS, compute_hash
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
    last_seq = 0
    while True:
        query = select(AuditEvent).where(AuditEvent.seq > last_seq)
        if up_to is not None:
            query = query.where(AuditEvent.seq <= up_to)
        rows = s.scalars(query.order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return VerifyResult(True, checked)
        for event in rows:
            if event.seq != expected_seq:
                return VerifyResult(False, checked, f"events #{expected_seq}..#{event.seq - 1} are missing "
                                    "(deleted)", expected_seq)
            if event.prev_hash != prev_hash:
                return VerifyResult(False, checked, "does not follow the previous event (an event was "
                                    "deleted or inserted before it)", event.seq)
            if compute_hash(event) != event.hash:
                return VerifyResult(False, checked, "its content no longer matches its hash (edited)", event.seq)
            prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
            last_seq = event.seq
