"""Typed values for buttons and private_metadata: ids and a version, never state and never trusted.

What a button carries is only a pointer; the domain re-reads the row and authorises the click. The
version lets a later release read (or refuse clearly) a card rendered by an earlier one.

    RequestRef(request_id=12).dump()          -> '{"v":1,"request_id":12}'
    RequestRef.load(body["actions"][0]["value"])
"""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.errors import DomainError
from bot.domain.limits import RowId


class StaleMetadata(DomainError):
    code = "stale_metadata"


class Meta(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    VERSION: ClassVar[int] = 1
    v: int = 1

    def dump(self) -> str:
        return self.model_dump_json()

    @classmethod
    def load(cls, raw: str | None) -> Self:
        try:
            value = cls.model_validate_json(raw or "")
        except ValidationError:
            raise StaleMetadata("This button or form is out of date; open it again from the latest message.") from None
        if value.v != cls.VERSION:
            raise StaleMetadata("This button was made by an older version of accessbot; open it again.")
        return value


class RequestRef(Meta):
    request_id: RowId


class GrantRef(Meta):
    grant_id: RowId


class RequestModalMeta(Meta):
    """The request form remembers where it was opened (a channel to answer in, if any)."""

    channel_id: str | None = None


class HomePage(Meta):
    """'Show more' on the App Home: how many rows of one section to show."""

    section: str
    limit: int = Field(ge=1, le=1000)
