"""Claiming due rows so that each runs once, whatever the number of replicas.

A claim is one short transaction: due rows (scheduled and due, or claimed by a replica whose lease
ran out) are locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite has a single writer:
BEGIN IMMEDIATE, see bot/store/db.py) and marked ``claimed`` by this replica until ``lease_until``.
The work then runs in its own transaction, which ends with `complete`: a compare-and-set that
only succeeds while the row is still claimed by us. If the row was re-scheduled meanwhile (an
extension moved the expiry) or taken over after our lease ran out, the compare-and-set fails and
the work is rolled back, so its effects land once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from bot.domain.enums import ActionStatus
from bot.ledger.due import PAYLOAD_VERSION, DueJob
from bot.store import claims
from bot.store.db import Store
from bot.store.models import DueAction, ProvisioningAction

LEASE = timedelta(minutes=5)
SCHEDULED, CLAIMED, DONE, FAILED = "scheduled", "claimed", "done", "failed"


def _due(now: datetime, dead: set[str]):
    # Rows written by a newer release (higher payload version) are left for a replica that knows them.
    runnable = DueAction.payload_version <= PAYLOAD_VERSION
    taken_over = DueAction.lease_until < now
    if dead:  # their claimers died: run them now, not when the leases run out
        taken_over = or_(taken_over, DueAction.claimed_by.in_(dead))
    return and_(runnable, or_(and_(DueAction.status == SCHEDULED, DueAction.due_at <= now),
                              and_(DueAction.status == CLAIMED, taken_over)))


def claim_due(store: Store, *, now: datetime, replica_id: str, limit: int = 100,
              lease: timedelta = LEASE) -> list[DueJob]:
    with store.uow() as s:
        claims.hold(s, store, replica_id, now)
        dead = claims.dead_claimers(s, store, DueAction.claimed_by, DueAction.status == CLAIMED,
                                    DueAction.lease_until >= now)
        query = select(DueAction).where(_due(now, dead)).order_by(DueAction.due_at, DueAction.id).limit(limit)
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = s.scalars(query).all()
        for row in rows:
            row.status, row.claimed_by, row.lease_until = CLAIMED, replica_id, now + lease
            row.attempts += 1
        return [DueJob(id=r.id, kind=r.kind, key=r.key, ref_id=r.ref_id, due_at=r.due_at, attempts=r.attempts,
                       payload_version=r.payload_version, payload=dict(r.payload or {})) for r in rows]


def _ours(job: DueJob, replica_id: str):
    return and_(DueAction.id == job.id, DueAction.status == CLAIMED, DueAction.claimed_by == replica_id)


def _set(s: Session, job: DueJob, replica_id: str, **values) -> bool:
    result = s.execute(update(DueAction).where(_ours(job, replica_id)).values(**values)
                       .execution_options(synchronize_session=False))
    return result.rowcount == 1


def complete(s: Session, job: DueJob, replica_id: str, now: datetime) -> bool:
    """Mark the row done, in the work's transaction. False: it is no longer ours; roll back."""
    return _set(s, job, replica_id, status=DONE, done_at=now, lease_until=None, last_error=None,
                payload=job.payload, payload_version=job.payload_version)


def complete_all(s: Session, jobs: list[DueJob], replica_id: str, now: datetime) -> bool:
    """`complete` for a group of rows whose payload did not change, in one statement. False unless
    every one of them was still ours: then the caller rolls the whole group back."""
    if not jobs:
        return True
    result = s.execute(update(DueAction)
                       .where(DueAction.id.in_([job.id for job in jobs]), DueAction.status == CLAIMED,
                              DueAction.claimed_by == replica_id)
                       .values(status=DONE, done_at=now, lease_until=None, last_error=None)
                       .execution_options(synchronize_session=False))
    return result.rowcount == len(jobs)


def release(s: Session, job: DueJob, replica_id: str, at: datetime, *, payload: dict[str, Any] | None = None,
            error: str | None = None) -> bool:
    """Give the row back to the table, to be claimed again at ``at`` (the next reminder, or a retry
    after an error). Like `complete`, False when it is no longer ours."""
    return _set(s, job, replica_id, status=SCHEDULED, due_at=at, claimed_by=None, lease_until=None,
                last_error=error[:2000] if error else None,
                payload=job.payload if payload is None else payload, payload_version=job.payload_version)


def fail(s: Session, job: DueJob, replica_id: str, now: datetime, reason: str) -> bool:
    return _set(s, job, replica_id, status=FAILED, done_at=now, lease_until=None, last_error=reason[:2000])


def next_due_at(s: Session, *, now: datetime, replica_id: str) -> datetime | None:
    """The earliest moment anything needs running: a due row, an expiring claim, a provisioning
    retry, or a provisioning lease to recover; while another replica holds claims, soon enough to
    see its death (claims.POLL_OTHERS_SECONDS). (Freshly queued provisioning runs at once through
    the runner's kicks; a sweep picks up whatever they leave.)"""
    candidates = [
        s.scalar(select(func.min(DueAction.due_at)).where(
            DueAction.status == SCHEDULED, DueAction.payload_version <= PAYLOAD_VERSION)),
        s.scalar(select(func.min(DueAction.lease_until)).where(DueAction.status == CLAIMED)),
        s.scalar(select(func.min(ProvisioningAction.next_attempt_at)).where(
            ProvisioningAction.status == ActionStatus.FAILED_RETRYABLE)),
        s.scalar(select(func.min(ProvisioningAction.lease_until)).where(
            ProvisioningAction.status == ActionStatus.IN_PROGRESS)),
    ]
    if claims.others_hold_claims(s, replica_id, now):
        candidates.append(now + timedelta(seconds=claims.POLL_OTHERS_SECONDS))
    found = [c for c in candidates if c is not None]
    return min(found) if found else None


def waiting_for_newer_release(s: Session, now: datetime) -> int:
    """Due rows this release will not run because a newer one wrote them."""
    return s.scalar(select(func.count()).select_from(DueAction).where(
        DueAction.status == SCHEDULED, DueAction.due_at <= now, DueAction.payload_version > PAYLOAD_VERSION)) or 0
