from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base
from bot.store.types import UTCDateTime


class DueAction(Base):
    """Every future action (expiry, warning, reminder, timeout, scheduled start...). The truth for
    timers: APScheduler only wakes the bot; the sweep claims rows here, exactly once."""

    __tablename__ = "due_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # "grant.expire", "grant.warn", "request.remind"...
    key: Mapped[str] = mapped_column(String(200), unique=True)  # idempotent name, e.g. "grant.expire:42"
    ref_id: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled, claimed, done, cancelled, failed
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payload_version: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_due_actions_status_due", "status", "due_at"),
        # due.cancel / cancel_kinds / pending look rows up by kind and ref (every grant end does).
        Index("ix_due_actions_kind_ref", "kind", "ref_id"),
    )
