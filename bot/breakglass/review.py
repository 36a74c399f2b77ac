"""After the fact: a reviewer says whether a break-glass use was justified.

Authorised from the database (the use's reviewer list, never the button), compare-and-set on the use's
version so a second click or a stale card changes nothing. "Not justified" is escalated to the
IT/security channel by the notifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.breakglass import events
from bot.breakglass.use import REVIEW_DUE, channel_of
from bot.domain.errors import AlreadyDecided, MissingJustification, NotAuthorized, NotFoundError, SelfApproval
from bot.ledger import due
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from bot.store.models import BreakGlassUse, Person

if TYPE_CHECKING:
    from bot.ledger.due import DueJob


def load_use(s: Session, use_id: int, *, lock: bool = False) -> BreakGlassUse:
    query = select(BreakGlassUse).where(BreakGlassUse.id == use_id)
    use = s.scalar(query.with_for_update() if lock else query)
    if use is None:
        raise NotFoundError(f"Break-glass use #{use_id} does not exist.")
    return use


def check_reviewer(s: Session, ctx: Ctx, *, use_id: int, reviewer: Person, lock: bool = False) -> BreakGlassUse:
    """Refuse who may not review (before the reason form opens, and again on submit)."""
    use = load_use(s, use_id, lock=lock)
    if reviewer.id == use.person_id:
        raise SelfApproval("You cannot review your own break-glass use.")
    if reviewer.id not in (use.reviewer_ids or []):
        raise NotAuthorized(f"You are not a reviewer of break-glass use #{use.id}.")
    if use.verdict:
        raise AlreadyDecided(f"Break-glass use #{use.id} was already reviewed; the card shows it now.")
    return use


def review(s: Session, ctx: Ctx, *, use_id: int, reviewer: Person, verdict: str, reason: str,
           version: int) -> BreakGlassUse:
    use = check_reviewer(s, ctx, use_id=use_id, reviewer=reviewer, lock=True)
    if use.version != version:
        raise AlreadyDecided(f"Break-glass use #{use.id} was already reviewed or changed; the card shows it now.")
    if verdict not in events.VERDICTS:
        raise MissingJustification("Choose justified or not justified.", field="verdict")
    reason = reason.strip()
    if len(reason) < 3:
        raise MissingJustification("Say why: the person and the security team read it.", field="reason")
    use.verdict, use.review_reason = verdict, reason
    use.reviewed_by_id, use.reviewed_at = reviewer.id, ctx.now
    use.version += 1
    due.cancel(s, REVIEW_DUE, use.id)
    person = s.get(Person, use.person_id)
    happened(s, ctx, events.REVIEWED, subject_type="break_glass", subject_id=use.id, person_email=person.email,
             detail={"entitlement": use.entitlement, "verdict": verdict, "reason": reason,
                     "reviewer_id": reviewer.id, "escalated": verdict == events.VERDICT_NOT_JUSTIFIED,
                     "channel": channel_of(ctx, use.entitlement)},
             notify=True)
    return use


def review_overdue(s: Session, ctx: Ctx, job: DueJob, deps) -> bool:
    """The timer of REVIEW_DUE: an unreviewed use past its deadline is told to IT/security once."""
    use = s.get(BreakGlassUse, int(job.ref_id))
    if use is None or use.verdict:
        return False
    person = s.get(Person, use.person_id)
    happened(s, ctx, events.REVIEW_OVERDUE, subject_type="break_glass", subject_id=use.id,
             person_email=person.email,
             detail={"entitlement": use.entitlement, "review_due_at": use.review_due_at,
                     "channel": channel_of(ctx, use.entitlement)},
             notify=True)
    return False
