"""Payload → typed input. Nothing else in bot/slack reads raw interaction payloads.

View state is ``{block_id: {action_id: value}}``; we key on block ids (stable) and take whichever
element the block holds, because some action ids carry the entitlement (ids.duration_action).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.domain.errors import DomainError, InvalidDuration
from bot.domain.limits import LATEST_EPOCH
from bot.slack.ids import Block
from bot.slack.metadata import Meta
from policies import DurationError, parse_duration

USE_POLICY_DEFAULT = object()


@dataclass(frozen=True)
class RequestForm:
    entitlement: str | None
    duration: Any  # timedelta | None (permanent) | USE_POLICY_DEFAULT
    justification: str
    ticket: str
    starts_at: datetime | None


def element_state(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    block = (view.get("state") or {}).get("values", {}).get(block_id) or {}
    return next(iter(block.values()), None) or {}


def text_value(view: dict[str, Any], block_id: str) -> str:
    return (element_state(view, block_id).get("value") or "").strip()


def checked(view: dict[str, Any], block_id: str) -> bool:
    """A lone checkbox (absent when the form did not offer it)."""
    return bool(element_state(view, block_id).get("selected_options"))


def selected_value(view: dict[str, Any], block_id: str) -> str | None:
    option = element_state(view, block_id).get("selected_option")
    return option.get("value") if option else None


def request_form(view: dict[str, Any]) -> RequestForm:
    return RequestForm(
        entitlement=selected_value(view, Block.ENTITLEMENT),
        duration=duration_choice(selected_value(view, Block.DURATION)),
        justification=text_value(view, Block.JUSTIFICATION),
        ticket=text_value(view, Block.TICKET),
        starts_at=_epoch(element_state(view, Block.STARTS_AT).get("selected_date_time")),
    )


def duration_choice(value: str | None):
    """An option value of the duration select ("4h", "permanent") as the domain wants it."""
    if value is None:
        return USE_POLICY_DEFAULT
    try:
        return parse_duration(value)
    except DurationError as error:
        raise InvalidDuration(str(error), field="duration") from None


def extend_by(view: dict[str, Any]) -> timedelta:
    extra = duration_choice(selected_value(view, Block.DURATION))
    if not isinstance(extra, timedelta):
        raise InvalidDuration("Choose how much longer you need.", field="duration")
    return extra


def _epoch(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LATEST_EPOCH:
        raise DomainError("That date and time cannot be read; pick it again.", field="starts_at")
    return datetime.fromtimestamp(value, timezone.utc)


def action(body: dict[str, Any]) -> dict[str, Any]:
    return (body.get("actions") or [{}])[0]


def action_meta(body: dict[str, Any], model: type[Meta]):
    """The typed value of the clicked button (ids only; the domain authorises)."""
    return model.load(action(body).get("value"))


def selected_option_value(body: dict[str, Any]) -> str | None:
    option = action(body).get("selected_option")
    return option.get("value") if option else None


def view_meta(view: dict[str, Any], model: type[Meta]):
    return model.load(view.get("private_metadata"))
