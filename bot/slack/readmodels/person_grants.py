"""What one person holds, for IT (/access-admin grants): every live or scheduled grant, and who gave it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.enums import LIVE_GRANT_STATUSES, GrantStatus
from bot.slack.readmodels.request import EntitlementInfo, PersonInfo, entitlement_info
from bot.store.models import Grant, Person

SHOWN = (GrantStatus.SCHEDULED, *LIVE_GRANT_STATUSES)


@dataclass(frozen=True)
class HeldLine:
    id: int
    entitlement: EntitlementInfo
    connector: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    granted_by: str
    request_id: int | None


@dataclass(frozen=True)
class PersonGrants:
    person: PersonInfo
    status: str  # active, leaver
    held: tuple[HeldLine, ...]
    ended: int  # grants that ended before (history, not listed)


def load_person_grants(s: Session, catalog, person_id: int) -> PersonGrants:
    person = s.get(Person, person_id)
    rows = s.scalars(select(Grant).where(Grant.person_id == person_id, Grant.status.in_(SHOWN)).order_by(Grant.id))
    held = tuple(HeldLine(g.id, entitlement_info(catalog, g.entitlement), g.connector, g.status, g.starts_at,
                          g.ends_at, g.granted_by, g.request_id) for g in rows)
    ended = s.scalar(select(func.count()).select_from(Grant).where(Grant.person_id == person_id,
                                                                  Grant.status.not_in(SHOWN)))
    return PersonGrants(PersonInfo.of(person), person.status, held, ended or 0)

