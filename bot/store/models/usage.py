from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base
from bot.store.types import UTCDateTime


class UsageActivity(Base):
    """The usage ledger: one row per account and target, as the target last told us (bot.usage)."""

    __tablename__ = "usage_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    connector: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[str] = mapped_column(String(500))  # the target's own id for the account
    account_display: Mapped[str] = mapped_column(String(500), default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # matched by e-mail, when it is one
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: the target cannot tell
    meaning: Mapped[str] = mapped_column(String(30))  # connectors.base.ActivityMeaning
    source: Mapped[str] = mapped_column(String(200), default="")  # the field read ("Okta Users API lastLogin")
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("connector", "account_id", name="uq_usage_activity_account"),
        Index("ix_usage_activity_person", "person_id", "connector"),
    )


class UsageCollection(Base):
    """Where the collection of one connector stands: its saved cursor, the last complete pass, the error."""

    __tablename__ = "usage_collections"

    connector: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # running | waiting (rate limited) | complete | failed
    cursor: Mapped[str | None] = mapped_column(Text)
    run_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_complete_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    accounts_read: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)


class UsageAsk(Base):
    """One "keep it or release it?" question about an unused grant, and its answer."""

    __tablename__ = "usage_asks"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"))
    holder_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    asked_id: Mapped[int] = mapped_column(ForeignKey("people.id"))  # the holder, or an owner (high risk)
    entitlement: Mapped[str] = mapped_column(String(200))
    connector: Mapped[str] = mapped_column(String(100))
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # as known when asked
    meaning: Mapped[str] = mapped_column(String(30), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | kept | released | lapsed
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    at_deadline: Mapped[str] = mapped_column(String(20))  # release | ask_owner, as when asked
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_how: Mapped[str | None] = mapped_column(String(20))  # holder | owner | deadline
    reason: Mapped[str | None] = mapped_column(Text)
    cost_cents: Mapped[int | None] = mapped_column(Integer)  # per seat per month, when the catalog says
    currency: Mapped[str | None] = mapped_column(String(3))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_usage_asks_grant_status", "grant_id", "status"),)
