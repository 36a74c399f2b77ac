from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.enums import ActionStatus
from bot.store.db import Base
from bot.store.types import UTCDateTime


class ProvisioningAction(Base):
    """One connector call. Written before the call, completed after: a crash mid-call stays visible."""

    __tablename__ = "provisioning_actions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid; also sent to targets for correlation
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    offboarding_id: Mapped[int | None] = mapped_column(ForeignKey("offboardings.id"), index=True)
    connector: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500), default="")
    entitlement: Mapped[str] = mapped_column(String(200), default="")
    principal: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))  # the replica running it (bot/store/liveness.py)
    target_ref: Mapped[str | None] = mapped_column(String(200))
    last_http_status: Mapped[int | None] = mapped_column(Integer)
    error_kind: Mapped[str | None] = mapped_column(String(40))
    error_detail: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")  # what was sent, without secrets
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    alerted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the latest attempt
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a grant's end counts from it
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_provisioning_actions_status_next", "status", "next_attempt_at"),)


class ManualTask(Base):
    """Work for a person in IT, for targets with no API. Done/Can't-do close the action."""

    __tablename__ = "manual_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[str] = mapped_column(ForeignKey("provisioning_actions.id"), unique=True)
    channel: Mapped[str | None] = mapped_column(String(64))
    instructions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, done, cannot
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
