from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base
from bot.store.types import UTCDateTime


class BreakGlassUse(Base):
    """One emergency grant without approval: what was said, who was told, and its review afterwards."""

    __tablename__ = "break_glass_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    entitlement: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id"))
    grant_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    ticket: Mapped[str] = mapped_column(String(200), default="")
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the end as granted (a revoke may come sooner)
    review_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewer_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    notified_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # approvers and manager told at once
    verdict: Mapped[str] = mapped_column(String(20), default="")  # "", justified, not_justified
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_break_glass_uses_person_entitlement", "person_id", "entitlement", "used_at"),
        Index("ix_break_glass_uses_unreviewed", "person_id", "verdict", "review_due_at"),
    )
