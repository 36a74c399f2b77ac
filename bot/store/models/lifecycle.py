from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base
from bot.store.types import UTCDateTime


class LifecycleEvent(Base):
    """Every joiner, mover and leaver event received from HR or an IdP (SCIM), kept as received.

    The inbox makes events idempotent (``event_id``), lets an event dated in the future wait for its
    day, and orders changes to one person: an event older than one already applied only sets the
    fields no newer event has set (``fields`` lists what each event said).
    """

    __tablename__ = "lifecycle_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)  # "hr:<id>", "scim:<uuid>"
    source: Mapped[str] = mapped_column(String(20))  # hr, scim
    type: Mapped[str] = mapped_column(String(20))  # joiner, mover, leaver
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    email: Mapped[str] = mapped_column(String(320))
    employee_id: Mapped[str | None] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="received")  # received, scheduled, applied, cancelled
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # person fields this event set
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_lifecycle_events_person_effective", "person_id", "effective_at"),)


class ScimUser(Base):
    """A person as an IdP sees them through our SCIM service: its userName, externalId and the
    attributes it pushed, returned as pushed. DELETE keeps the row (and the person) for history."""

    __tablename__ = "scim_users"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(320))
    user_name_key: Mapped[str] = mapped_column(String(320), index=True)  # case-folded: userName is caseExact=false
    external_id: Mapped[str | None] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
