"""A grant as the holder's notices show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.slack.readmodels.request import EntitlementInfo, PersonInfo, entitlement_info
from bot.store.models import Grant, Person


@dataclass(frozen=True)
class GrantView:
    id: int
    holder: PersonInfo
    entitlement: EntitlementInfo
    status: str
    starts_at: datetime
    ends_at: datetime | None
    end_reason: str | None
    ended_by: PersonInfo | None
    request_id: int | None
    last_error: str | None


def load_grant_view(s: Session, catalog, grant_id: int) -> GrantView | None:
    grant = s.get(Grant, grant_id)
    if grant is None:
        return None
    ended_by = s.get(Person, grant.ended_by_id) if grant.ended_by_id else None
    holder = PersonInfo.of(s.get(Person, grant.person_id))
    return GrantView(grant.id, holder, entitlement_info(catalog, grant.entitlement), grant.status, grant.starts_at, grant.ends_at, grant.end_reason,
                     PersonInfo.of(ended_by) if ended_by else None, grant.request_id, grant.last_error)
