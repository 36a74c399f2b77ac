"""A grant as its expiry warning shows it: when it ends, what Extend may offer, and whether an
extension is already waiting for approval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import RequestStatus
from bot.slack.readmodels.grant import GrantView, load_grant_view
from bot.slack.readmodels.home import extend_choices
from bot.store.models import AccessRequest, Grant


@dataclass(frozen=True)
class ExpiryView:
    grant: GrantView
    ended_at: datetime | None
    extend_choices: tuple[timedelta, ...]  # what Extend offers now (empty: no Extend button)
    extension_request_id: int | None  # an extension waiting for approval


def load_expiry(s: Session, catalog, grant_id: int, *, now: datetime) -> ExpiryView | None:
    view = load_grant_view(s, catalog, grant_id)
    if view is None:
        return None
    grant = s.get(Grant, grant_id)
    pending = s.scalar(select(AccessRequest.id).where(AccessRequest.extends_grant_id == grant_id,
                                                      AccessRequest.status == RequestStatus.PENDING)
                       .order_by(AccessRequest.id.desc()).limit(1))
    return ExpiryView(view, grant.ended_at, extend_choices(catalog, grant, now), pending)
