"""IT offboards someone by hand (Slack's /offboard, or any other front end): now, at a set time, or
again for what failed. IT admins only, and never themselves: a leaver's own admin account is ended
by someone else, so one person can never erase their own trail.

These only write (through ``bot.offboarding.prepare``); the front end drives the connector work
after commit with ``bot.offboarding.engine.drive_later``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.errors import AlreadyDecided, NotAuthorized, NotFoundError
from bot.offboarding import prepare
from bot.store.models import Offboarding, Person
from bot.workflow.context import Ctx
from bot.workflow.manual_tasks import require_it_admin

WHAT = "offboard people"


def target_of(s: Session, ctx: Ctx, *, admin: Person, person_id: int) -> Person:
    """Who ``admin`` may offboard: refuses non-admins, unknown people and the admin themselves."""
    require_it_admin(ctx, admin, WHAT)
    person = s.get(Person, person_id)
    if person is None:
        raise NotFoundError("That person is not in the directory.")
    if person.id == admin.id:
        raise NotAuthorized("You cannot offboard yourself; ask another IT admin.")
    return person


def offboard_now(s: Session, ctx: Ctx, *, admin: Person, person_id: int, reason: str = "") -> Offboarding:
    person = target_of(s, ctx, admin=admin, person_id=person_id)
    return prepare.start(s, ctx, person=person, reason=reason.strip() or f"offboarded by {admin.email}",
                         source="admin")


def offboard_at(s: Session, ctx: Ctx, *, admin: Person, person_id: int, at: datetime,
                reason: str = "") -> Offboarding:
    person = target_of(s, ctx, admin=admin, person_id=person_id)
    return prepare.schedule(s, ctx, person=person, at=at, reason=reason.strip(), origin="manual")


def retry_offboarding(s: Session, ctx: Ctx, *, admin: Person, offboarding_id: int) -> Offboarding:
    """Re-run what failed (the same rows: attempts keep counting)."""
    require_it_admin(ctx, admin, "retry offboardings")
    record = s.get(Offboarding, offboarding_id)
    if record is None:
        raise NotFoundError(f"Offboarding #{offboarding_id} does not exist.")
    if record.status not in (prepare.PARTIAL, prepare.WAITING, prepare.RUNNING):
        raise AlreadyDecided(f"Offboarding #{record.id} is {record.status}: nothing to retry.")
    return prepare.start(s, ctx, person=s.get(Person, record.person_id), reason=record.reason, source="admin")
