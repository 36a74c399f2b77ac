from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base
from bot.store.types import UTCDateTime


class OutboxEvent(Base):
    """Domain events written in the same transaction as the change they describe; notifiers
    (Slack today) read them after commit, so a crash never loses or invents a message."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # the replica handling it (bot/store/liveness.py)

    __table_args__ = (Index("ix_outbox_events_dispatched", "dispatched_at"),)


class MessageRef(Base):
    """Where a copy of a card lives in a chat tool (channel + ts), so every copy can be redrawn."""

    __tablename__ = "message_refs"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(32))  # "request", "manual_task", "offboarding", "grant"
    subject_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))  # "approver_card", "requester_dm", "task", "report"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_message_refs_subject", "subject_type", "subject_id"),
        UniqueConstraint("channel", "ts"),
    )


class DeliveryKey(Base):
    """Inbound deliveries already handled (Slack event_id, HR event id, webhook nonce)."""

    __tablename__ = "delivery_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
