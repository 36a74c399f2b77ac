from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base
from bot.store.types import UTCDateTime


class ReviewCampaignRun(Base):
    """One run of a catalog ``reviews:`` campaign: its items were snapshotted when it started."""

    __tablename__ = "review_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)  # the catalog campaign's name
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_by: Mapped[str] = mapped_column(String(200), default="")
    at_deadline: Mapped[str] = mapped_column(String(20))  # revoke | keep | escalate, as at the start
    escalated: Mapped[bool] = mapped_column(default=False)
    # The IT-channel message that follows the campaign's progress (channel, ts), once posted.
    it_channel: Mapped[str | None] = mapped_column(String(32))
    it_ts: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReviewItem(Base):
    """One thing to review. ``kind`` says what: "grant" (a ledger grant) or "orphan" (an account at a
    target that no grant explains, ``subject_ref`` "orphan_finding:ID"); "break_glass" and "mover" items
    will carry their subject in ``subject_ref`` the same way."""

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("review_campaigns.id"))
    kind: Mapped[str] = mapped_column(String(20), default="grant")
    # holder_id, reviewer_id and grant_id carry no foreign key: a campaign's start writes them in bulk from
    # rows it read in the same transaction, people and grants are never deleted, and PostgreSQL's
    # per-row key checks were 5 of the 8 s of writing 100,000 items (bench/review_start.py).
    grant_id: Mapped[int | None] = mapped_column(Integer)
    subject_ref: Mapped[str | None] = mapped_column(String(500))
    holder_id: Mapped[int] = mapped_column(Integer)
    entitlement: Mapped[str] = mapped_column(String(200))
    connector: Mapped[str] = mapped_column(String(100))
    risk: Mapped[str] = mapped_column(String(20))
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    granted_by: Mapped[str] = mapped_column(String(200), default="")
    granted_how: Mapped[str] = mapped_column(String(20), default="")  # request | birthright | admin
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int] = mapped_column(Integer)
    # pending | kept | revoked | closed (the grant ended on its own during the campaign)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_how: Mapped[str | None] = mapped_column(String(20))  # reviewer | bulk | deadline
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An orphan's revoke: the removal queued at its target (a grant's revoke is found through the grant).
    action_id: Mapped[str | None] = mapped_column(ForeignKey("provisioning_actions.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_review_items_campaign_reviewer_status", "campaign_id", "reviewer_id", "status"),
        Index("ix_review_items_grant", "grant_id"),
    )
