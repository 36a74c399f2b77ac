from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.enums import GrantStatus
from bot.store.db import Base
from bot.store.types import UTCDateTime


class Grant(Base):
    """The ledger: one row per period of access. Rows are never deleted."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    entitlement: Mapped[str] = mapped_column(String(200))
    connector: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(500))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("access_requests.id"))
    status: Mapped[str] = mapped_column(String(20), default=GrantStatus.PROVISIONING)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None = permanent
    duration_seconds: Mapped[int | None] = mapped_column(Integer)  # counted from activation
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(20))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    granted_by: Mapped[str] = mapped_column(String(200), default="")  # approvers, "auto", "admin:x"
    last_error: Mapped[str | None] = mapped_column(Text)
    warnings_sent: Mapped[int] = mapped_column(Integer, default=0)
    # Self-service extensions taken without approval, counted against the policy's limit.
    auto_extended_seconds: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_grants_person_status", "person_id", "status"),
        Index("ix_grants_status_ends_at", "status", "ends_at"),
        Index("ix_grants_entitlement_status", "entitlement", "status"),
    )
