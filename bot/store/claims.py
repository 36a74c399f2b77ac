"""What every kind of claimed work (due actions, provisioning actions, outbox events) shares: the
claimer's liveness (bot/store/liveness.py) makes a dead replica's claims claimable at once.

Each claim function calls `hold` before claiming (in its claim transaction) and adds
`claimed_by IN dead_claimers(...)` to what it may take over, beside the lease that ran out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from bot.domain.enums import ActionStatus
from bot.store.db import Store
from bot.store.models import DueAction, OutboxEvent, ProvisioningAction

# How often a replica looks for dead claimers while another replica holds claims (there is no
# signal when a lock is released): the takeover happens within this.
POLL_OTHERS_SECONDS = 2.0

# Each claimed kind of work, and what "still claimed" means for it.
CLAIMED = ((DueAction, DueAction.status == "claimed"),
           (ProvisioningAction, ProvisioningAction.status == ActionStatus.IN_PROGRESS),
           (OutboxEvent, OutboxEvent.dispatched_at.is_(None)))


def hold(s: Session, store: Store, replica_id: str, now: datetime) -> None:
    """Hold ``replica_id``'s liveness lock before claiming under it. The first time, anything still
    claimed under that id was left by a previous life of this replica (a restart under a configured
    replica id): its leases are ended so it runs again now."""
    if store.claimers.hold(replica_id):
        release_own(s, replica_id, now)


def release_own(s: Session, replica_id: str, now: datetime) -> None:
    ran_out = now - timedelta(seconds=1)
    for model, still_claimed in CLAIMED:
        s.execute(update(model).where(still_claimed, model.claimed_by == replica_id, model.lease_until > ran_out)
                  .values(lease_until=ran_out).execution_options(synchronize_session=False))


def dead_claimers(s: Session, store: Store, claimed_by, *still_claimed: ColumnElement[bool]) -> set[str]:
    """The claimers of rows matching ``still_claimed`` whose process has died."""
    claimers = s.scalars(select(claimed_by).where(*still_claimed, claimed_by.is_not(None)).distinct()).all()
    return store.claimers.dead(s, claimers) if claimers else set()


def others_hold_claims(s: Session, replica_id: str, now: datetime) -> bool:
    """Whether a replica other than ours holds a claim that has not run out: then look for its death
    every POLL_OTHERS_SECONDS. (Once the lease has run out the lease rule takes it over.)"""
    for model, still_claimed in CLAIMED:
        found = s.scalar(select(model.id).where(still_claimed, model.claimed_by.is_not(None),
                                                model.claimed_by != replica_id, model.lease_until >= now).limit(1))
        if found is not None:
            return True
    return False
