"""A grant whose removal failed, as IT's alert shows it: whose access, where, the error, the attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import ActionKind
from bot.slack.readmodels.request import EntitlementInfo, PersonInfo, entitlement_info
from bot.store.models import Grant, Person, ProvisioningAction


@dataclass(frozen=True)
class RevokeAlert:
    grant_id: int
    holder: PersonInfo
    entitlement: EntitlementInfo
    connector: str
    grant_status: str
    end_reason: str | None
    ended_at: datetime | None
    action_id: str
    action_status: str
    attempts: int
    error: str  # "kind: detail", as the connector said it (plain text; the renderer escapes it)
    next_attempt_at: datetime | None
    offboarding_id: int | None


def load_revoke_alert(s: Session, catalog, grant_id: int) -> RevokeAlert | None:
    grant = s.get(Grant, grant_id)
    action = s.scalar(select(ProvisioningAction).where(ProvisioningAction.grant_id == grant_id,
                                                       ProvisioningAction.action == ActionKind.REVOKE)
                      .order_by(ProvisioningAction.created_at.desc()).limit(1))
    if grant is None or action is None:
        return None
    error = ": ".join(x for x in (action.error_kind, action.error_detail) if x) or (grant.last_error or "")
    return RevokeAlert(
        grant_id=grant.id, holder=PersonInfo.of(s.get(Person, grant.person_id)),
        entitlement=entitlement_info(catalog, grant.entitlement), connector=action.connector,
        grant_status=grant.status, end_reason=grant.end_reason, ended_at=grant.ended_at, action_id=action.id,
        action_status=action.status, attempts=action.attempts, error=error, next_attempt_at=action.next_attempt_at,
        offboarding_id=action.offboarding_id)
