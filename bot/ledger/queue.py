"""Queue connector work as provisioning_action rows, in the caller's transaction.

The runner picks rows up after commit; queuing never calls a connector, so operations stay fast
and a crash between "decided" and "provisioned" loses nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bot.domain.enums import ActionKind, ActionStatus
from bot.ledger.context import Ctx
from bot.store.models import Grant, ProvisioningAction

# session.info key: the ids of the actions queued in this transaction, for a caller that claims
# them before it commits (bot/timers/fire.py hands an expiry's revoke to its own runner this way).
QUEUED = "queued_actions"


def enqueue(s: Session, ctx: Ctx, *, grant: Grant | None, action: ActionKind, person_id: int,
            connector: str, target: str = "", entitlement: str = "", offboarding_id: int | None = None,
            status: ActionStatus = ActionStatus.QUEUED, note: str = "", flush: bool = True) -> ProvisioningAction:
    """``flush=False`` leaves the insert to the caller's next flush (one for a group of rows)."""
    row = ProvisioningAction(
        id=str(uuid.uuid4()), grant_id=grant.id if grant else None, person_id=person_id,
        offboarding_id=offboarding_id, connector=connector, action=action, target=target,
        entitlement=entitlement, status=status, attempts=0, next_attempt_at=ctx.now, created_at=ctx.now,
        summary=note,
    )
    if status != ActionStatus.QUEUED:
        row.finished_at = ctx.now
    s.add(row)
    if status == ActionStatus.QUEUED:
        s.info.setdefault(QUEUED, []).append(row.id)
    if flush:
        s.flush()
    return row


def enqueue_for_grant(s: Session, ctx: Ctx, grant: Grant, action: ActionKind, *,
                      offboarding_id: int | None = None, status: ActionStatus = ActionStatus.QUEUED,
                      note: str = "", flush: bool = True) -> ProvisioningAction:
    return enqueue(s, ctx, grant=grant, action=action, person_id=grant.person_id, connector=grant.connector,
                   target=grant.target, entitlement=grant.entitlement, offboarding_id=offboarding_id,
                   status=status, note=note, flush=flush)
