from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base
from bot.store.types import UTCDateTime


class ConnectorFact(Base):
    """What a connector instance learned about its target, kept for every replica and restart.

    e.g. ``("hr-scim", "remove_style") = "filter"`` after the target refused the Entra removal form.
    """

    __tablename__ = "connector_facts"

    connector: Mapped[str] = mapped_column(String(100), primary_key=True)  # instance name
    fact: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime())
