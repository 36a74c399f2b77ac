"""IT offboards someone by hand (Slack's /offboard, or any other front end): now, at a set time, or
again for what failed. IT admins only, and never themselves: a leaver's own admin account is ended
by someone else, so one person can never erase their own trail.

These only write (through ``bot.offboarding.prepare``); the front end drives the connector work
after commit with ``bot.offboarding.engine.drive_later`` when the record it gets back is running.
Offboarding someone with privileged access waits for a second IT admin (``confirm_offboarding``;
see ``bot.offboarding.four_eyes``); scheduled and unconfirmed offboardings can be withdrawn
(``cancel_offboarding``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.errors import AlreadyDecided, InvalidState, NotAuthorized, NotFoundError
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from bot.ledger.authorisation import require_it_admin
from bot.offboarding import four_eyes, prepare
from bot.offboarding.events import OffboardingEvent
from bot.store.models import Offboarding, Person

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


def offboard_now(s: Session, ctx: Ctx, *, admin: Person, person_id: int, reason: str = "",
                 break_glass: bool = False) -> Offboarding:
    """Started, or ``unconfirmed`` when a second IT admin must confirm (four eyes): check ``status``."""
    person = target_of(s, ctx, admin=admin, person_id=person_id)
    return begin(s, ctx, person=person, at=None, reason=reason, break_glass=break_glass,
                 default_reason=f"offboarded by {admin.email}")


def offboard_at(s: Session, ctx: Ctx, *, admin: Person, person_id: int, at: datetime,
                reason: str = "", break_glass: bool = False) -> Offboarding:
    """Scheduled, or ``unconfirmed`` when a second IT admin must confirm (four eyes)."""
    person = target_of(s, ctx, admin=admin, person_id=person_id)
    return begin(s, ctx, person=person, at=at, reason=reason, break_glass=break_glass)


def begin(s: Session, ctx: Ctx, *, person: Person, at: datetime | None, reason: str,
          break_glass: bool = False, default_reason: str = "") -> Offboarding:
    """IT's offboarding of ``person`` (now, or at ``at``), held for a second IT admin when the catalog
    asks for one. The caller has checked who may ask (the CLI's shell operator is not a directory person).
    Break glass needs a reason typed by the admin; ``default_reason`` only fills the report."""
    if at is not None and at <= ctx.now:
        raise InvalidState("That time has passed: offboard now instead.")
    need = four_eyes.assess(s, ctx.catalog, person)
    if need.required and break_glass:
        four_eyes.check_break_glass(ctx.catalog, reason)
    reason = reason.strip() or default_reason
    if need.required and not break_glass:
        return prepare.request_confirmation(s, ctx, person=person, at=at, reason=reason,
                                            privileged=need.privileged, rule=need.rule)
    record = (prepare.start(s, ctx, person=person, reason=reason, source="admin") if at is None
              else prepare.schedule(s, ctx, person=person, at=at, reason=reason, origin="manual"))
    if need.required:
        _record_break_glass(s, ctx, record, person, reason, need)
    return record


def confirm_offboarding(s: Session, ctx: Ctx, *, admin: Person, offboarding_id: int) -> Offboarding:
    """The second IT admin confirms: the offboarding starts (or is scheduled, if its time is ahead).
    Whoever asked for it cannot confirm it; nor can the person being offboarded."""
    require_it_admin(ctx, admin, "confirm offboardings")
    record = prepare.locked(s, offboarding_id)
    if record.status != prepare.UNCONFIRMED:
        confirmed = ((record.report or {}).get("confirmation") or {}).get("confirmed_by")
        state = f"was already confirmed by {confirmed}" if confirmed else f"is {record.status}"
        raise AlreadyDecided(f"Offboarding #{record.id} {state}: nothing to confirm.")
    if record.requested_by in (admin.email, ctx.actor.label):
        raise NotAuthorized("You asked for this offboarding: a different IT admin must confirm it.")
    person = s.get(Person, record.person_id)
    if person.id == admin.id:
        raise NotAuthorized("You cannot confirm your own offboarding; ask another IT admin.")
    confirmation = {**(record.report or {}).get("confirmation", {}), "confirmed_by": admin.email,
                    "confirmed_at": ctx.now.isoformat()}
    record.report = {**(record.report or {}), "confirmation": confirmation}
    happened(s, ctx, OffboardingEvent.CONFIRMED, subject_type="offboarding", subject_id=record.id,
             person_email=person.email, detail={"person_email": person.email, "asked_by": record.requested_by,
                                                "confirmed_by": admin.email, "at": record.scheduled_for})
    current = prepare.latest(s, person)
    if current is not None and current.status == prepare.SCHEDULED:
        prepare.cancel(s, ctx, offboarding_id=current.id, reason=f"replaced by offboarding #{record.id}")
    if record.scheduled_for is not None and record.scheduled_for > ctx.now:
        return prepare.schedule(s, ctx, person=person, at=record.scheduled_for, reason=record.reason,
                                origin="manual", proposal=record)
    return prepare.start(s, ctx, person=person, reason=record.reason, source="admin", proposal=record)


def cancel_offboarding(s: Session, ctx: Ctx, *, admin: Person, offboarding_id: int, reason: str = "") -> Offboarding:
    """An IT admin withdraws an offboarding that has not started: scheduled, or awaiting confirmation."""
    require_it_admin(ctx, admin, "cancel offboardings")
    record = s.get(Offboarding, offboarding_id)
    if record is not None and record.person_id == admin.id:
        raise NotAuthorized("You cannot cancel your own offboarding; ask another IT admin.")
    return prepare.cancel(s, ctx, offboarding_id=offboarding_id, reason=reason.strip() or f"cancelled by {admin.email}")


def _record_break_glass(s: Session, ctx: Ctx, record: Offboarding, person: Person, reason: str,
                        need: four_eyes.Need) -> None:
    record.report = {**(record.report or {}), "confirmation": {
        "break_glass": True, "asked_by": ctx.actor.label, "asked_at": ctx.now.isoformat(), "reason": reason,
        "privileged": list(need.privileged), "rule": need.rule}}
    happened(s, ctx, OffboardingEvent.BREAK_GLASS, subject_type="offboarding", subject_id=record.id,
             person_email=person.email, detail={"person_email": person.email, "reason": reason,
                                                "privileged": list(need.privileged), "at": record.scheduled_for})


def retry_offboarding(s: Session, ctx: Ctx, *, admin: Person, offboarding_id: int) -> Offboarding:
    """Re-run what failed (the same rows: attempts keep counting)."""
    require_it_admin(ctx, admin, "retry offboardings")
    record = s.get(Offboarding, offboarding_id)
    if record is None:
        raise NotFoundError(f"Offboarding #{offboarding_id} does not exist.")
    if record.status not in (prepare.PARTIAL, prepare.WAITING, prepare.RUNNING):
        raise AlreadyDecided(f"Offboarding #{record.id} is {record.status}: nothing to retry.")
    return prepare.start(s, ctx, person=s.get(Person, record.person_id), reason=record.reason, source="admin")
