from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base
from bot.store.types import UTCDateTime


class ReconcileRun(Base):
    """One reconciliation of one connector instance: what it listed, so orphan rates have a base."""

    __tablename__ = "reconcile_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    system: Mapped[str] = mapped_column(String(100))  # connector instance
    targets_checked: Mapped[int] = mapped_column(Integer, default=0)
    targets_failed: Mapped[int] = mapped_column(Integer, default=0)
    accounts: Mapped[int] = mapped_column(Integer, default=0)  # memberships listed on the checked targets
    orphans: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    not_checked: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_reconcile_runs_system_at", "system", "at"),)


class OrphanFinding(Base):
    """An orphaned membership, from the run that first saw it until a run no longer sees it.

    Seen again by later runs it stays one finding (``last_seen_at`` moves), so it is counted once
    until fixed."""

    __tablename__ = "orphan_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    system: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(500))
    principal: Mapped[str] = mapped_column(String(320))
    entitlement: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))  # ended, unmanaged, unknown
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    first_run_id: Mapped[int] = mapped_column(ForeignKey("reconcile_runs.id"))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Open findings per system are what the gauges and every run read.
    __table_args__ = (Index("ix_orphan_findings_open", "fixed_at", "system"),)
