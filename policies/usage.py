"""The catalog's ``license:`` (what a seat costs) and ``inactivity:`` ("use it or lose it") keys.

Both may be written on the defaults, a resource or an entitlement; the most specific block wins as a
whole. bot.usage reads the resolved ``LicenseCost`` and ``InactivityPolicy`` of each entitlement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

RELEASE, ASK_OWNER, ASK_HOLDER = "release", "ask_owner", "ask_holder"
HIGH_RISKS = ("high", "critical")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class LicenseSpec(_Spec):
    """``license: {amount: 150, currency: USD, per: seat_month}``."""

    amount: float = Field(ge=0, le=1_000_000)
    currency: str = Field(pattern=r"^[A-Z]{3}$")  # ISO 4217
    per: Literal["seat_month"] = "seat_month"

    @field_validator("amount", mode="before")
    @classmethod
    def _number(cls, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("amount must be a number (per seat per month)")
        return float(value)


class InactivitySpec(_Spec):
    """``inactivity: {after_days: 60, answer_days: 7, then: release}``."""

    after_days: int = Field(ge=1, le=3650)  # days without use before the holder is asked
    answer_days: int = Field(ge=1, le=365)  # how long they have to answer
    then: Literal["release", "ask_owner"] = RELEASE  # at the deadline without an answer
    high_risk: Literal["ask_holder", "ask_owner"] = ASK_OWNER  # who is asked about high/critical access
    include_birthright: bool = False  # birthright grants are left alone unless this says so


@dataclass(frozen=True)
class LicenseCost:
    cents: int  # per seat per month
    currency: str

    @classmethod
    def of(cls, spec: LicenseSpec | None) -> LicenseCost | None:
        return None if spec is None else cls(round(spec.amount * 100), spec.currency)


@dataclass(frozen=True)
class InactivityPolicy:
    after_days: int
    answer_days: int
    then: str
    high_risk: str
    include_birthright: bool
    origin: str  # where the block was written

    @classmethod
    def of(cls, spec: InactivitySpec | None, origin: str) -> InactivityPolicy | None:
        if spec is None:
            return None
        return cls(spec.after_days, spec.answer_days, spec.then, spec.high_risk, spec.include_birthright, origin)

    def asks_owner_first(self, risk: str) -> bool:
        return risk in HIGH_RISKS and self.high_risk == ASK_OWNER
