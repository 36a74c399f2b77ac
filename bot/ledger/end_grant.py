"""Ending access early or on time: expire (timer), revoke (admin), relinquish (the holder)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import EndReason, GrantStatus
from bot.domain.errors import InvalidState, NotAuthorized, NotFoundError
from bot.ledger import grants
from bot.ledger.context import Ctx
from bot.store.models import Grant, Person


# Grants this transaction has already locked (lock_grants), by id; the dict also keeps them alive,
# as the session's identity map holds objects only weakly.
LOCKED = "accessbot.grants.locked"


def lock_grants(s: Session, grant_ids: list[int]) -> None:
    """Lock several grants in one statement, in id order (so two transactions locking overlapping
    sets wait for each other instead of deadlocking), and load their holders; load_grant then
    finds them without asking again."""
    rows = list(s.scalars(select(Grant).where(Grant.id.in_(grant_ids)).order_by(Grant.id).with_for_update()))
    holders = list(s.scalars(select(Person).where(Person.id.in_({g.person_id for g in rows}))))
    locked = s.info.setdefault(LOCKED, {})
    locked.update({grant.id: grant for grant in rows})
    s.info.setdefault(LOCKED + ".holders", []).extend(holders)


def load_grant(s: Session, grant_id: int, *, lock: bool = True) -> Grant:
    if grant_id in s.info.get(LOCKED, {}):
        return s.info[LOCKED][grant_id]
    query = select(Grant).where(Grant.id == grant_id)
    grant = s.scalar(query.with_for_update() if lock else query)
    if grant is None:
        raise NotFoundError(f"Grant #{grant_id} does not exist.")
    return grant


def expire(s: Session, ctx: Ctx, *, grant_id: int) -> bool:
    """Called when ``ends_at`` is reached. Re-reads the grant: an extension or a manual revoke wins."""
    return expire_all(s, ctx, grant_ids=[grant_id])[0]


def expire_all(s: Session, ctx: Ctx, *, grant_ids: list[int]) -> list[bool]:
    """`expire` for a group of grants (in that order) with each statement once for the group; lock
    them first (lock_grants) when there are several."""
    loaded = [load_grant(s, grant_id) for grant_id in grant_ids]
    due_now = [g for g in loaded if g.status == GrantStatus.ACTIVE and g.ends_at is not None and g.ends_at <= ctx.now]
    # s.get asks the database only for holders lock_grants did not load
    holders = {person_id: s.get(Person, person_id) for person_id in {g.person_id for g in due_now}}
    started = iter(grants.begin_end_all(s, ctx, [(g, holders[g.person_id].email) for g in due_now], EndReason.EXPIRED))
    return [next(started) if g in due_now else False for g in loaded]


def revoke(s: Session, ctx: Ctx, *, grant_id: int, by: Person | None, reason: str,
           end_reason: EndReason = EndReason.REVOKED, offboarding_id: int | None = None) -> Grant:
    grant = load_grant(s, grant_id)
    person = s.get(Person, grant.person_id)
    if not grants.begin_end(s, ctx, grant, end_reason, person_email=person.email,
                            ended_by_id=by.id if by else None, offboarding_id=offboarding_id, note=reason):
        raise InvalidState(f"Grant #{grant.id} ({grant.entitlement}) is already {grant.status}.")
    return grant


def relinquish(s: Session, ctx: Ctx, *, grant_id: int, by: Person) -> Grant:
    grant = load_grant(s, grant_id)
    if grant.person_id != by.id:
        raise NotAuthorized("You can only give up your own access.")
    return revoke(s, ctx, grant_id=grant_id, by=by, reason="given up by the holder",
                  end_reason=EndReason.RELINQUISHED)
