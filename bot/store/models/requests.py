from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.enums import RequestStatus, StepStatus
from bot.store.db import Base
from bot.store.types import UTCDateTime


class AccessRequest(Base):
    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # admin push / on behalf
    entitlement: Mapped[str] = mapped_column(String(200))  # "app:role"
    bundle: Mapped[str | None] = mapped_column(String(200))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)  # None = permanent
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None = as soon as approved
    justification: Mapped[str] = mapped_column(Text, default="")
    ticket: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.PENDING)
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    # No foreign keys on these two: grants already reference their request, and a cycle of foreign
    # keys cannot be created table by table in a migration.
    extends_grant_id: Mapped[int | None] = mapped_column(Integer)
    grant_id: Mapped[int | None] = mapped_column(Integer)
    auto_approved: Mapped[bool] = mapped_column(default=False)
    policy_rule: Mapped[str] = mapped_column(String(200), default="")
    trigger: Mapped[str] = mapped_column(String(20))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # pending-request timeout
    version: Mapped[int] = mapped_column(Integer, default=1)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_access_requests_requester_status", "requester_id", "status"),
        Index("ix_access_requests_status", "status"),
    )


class ApprovalStep(Base):
    __tablename__ = "approval_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))  # manager, manager_of_manager, owners, people, group
    label: Mapped[str] = mapped_column(String(200), default="")
    quorum: Mapped[int] = mapped_column(Integer, default=1)
    approver_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    used_fallback: Mapped[bool] = mapped_column(default=False)
    channel: Mapped[str | None] = mapped_column(String(64))  # post the card here instead of DMs
    status: Mapped[str] = mapped_column(String(20), default=StepStatus.WAITING)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("request_id", "position"),
        Index("ix_approval_steps_status", "status"),
    )


class ApprovalStepApprover(Base):
    """Who may decide a step, one row per person: indexes "approvals waiting on me"."""

    __tablename__ = "approval_step_approvers"

    step_id: Mapped[int] = mapped_column(ForeignKey("approval_steps.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("approval_steps.id", ondelete="CASCADE"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    verdict: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # One vote per approver per step, enforced by the database as well as the operation.
    __table_args__ = (UniqueConstraint("step_id", "approver_id"),)
