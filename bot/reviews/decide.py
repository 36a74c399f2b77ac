"""A reviewer's decisions: keep, revoke, keep all remaining, reassign.

Authorised against the item's current reviewer as stored (never what a button said), compare-and-set
on the item's row (locked; only a pending item can be decided), so a double click makes one decision.
A revoke goes through the ordinary revoke path (bot.ledger.end_grant): provisioning, connectors,
retries, covering grants respected.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import EndReason, GrantStatus
from bot.domain.errors import DomainError, InvalidState, MissingJustification, NotAuthorized, NotFoundError
from bot.ledger import end_grant
from bot.ledger.context import Ctx
from bot.ledger.events import emit, happened
from bot.reviews import orphans
from bot.reviews.events import ReviewEvent
from bot.reviews.start import OPEN
from bot.store.models import Grant, Person, ReviewCampaignRun, ReviewItem

KEEP, REVOKE = "keep", "revoke"
STILL_HELD = (GrantStatus.ACTIVE, GrantStatus.PROVISIONING)
REASON_FOR_KEEP = ("high", "critical")


def load_item(s: Session, item_id: int) -> ReviewItem:
    item = s.scalar(select(ReviewItem).where(ReviewItem.id == item_id).with_for_update())
    if item is None:
        raise NotFoundError(f"Review item #{item_id} does not exist.")
    return item


def close_if_ended(s: Session, ctx: Ctx, item: ReviewItem) -> bool:
    """An item whose grant already ended (expired, revoked elsewhere), or an orphan account that is gone
    from its target, closes itself. True if it did."""
    if item.status != "pending":
        return False
    if item.kind == orphans.KIND:
        if orphans.still_there(s, item):
            return False
        _settle(s, ctx, item, "closed", by=None, how="ended", reason="the account is no longer at the target")
        return True
    if item.grant_id is None:
        return False
    grant = s.get(Grant, item.grant_id)
    if grant is not None and grant.status in STILL_HELD:
        return False
    _settle(s, ctx, item, "closed", by=None, how="ended", reason=f"the grant ended on its own ({grant.status})")
    return True


def decide(s: Session, ctx: Ctx, *, item_id: int, reviewer: Person, verdict: str, reason: str = "") -> ReviewItem:
    item = load_item(s, item_id)
    campaign = s.get(ReviewCampaignRun, item.campaign_id)
    if item.reviewer_id != reviewer.id:
        raise NotAuthorized(f"You are not the reviewer of item #{item.id}.")
    if item.holder_id == reviewer.id:  # cannot happen by assignment; refuse anyway
        raise NotAuthorized("You cannot review your own access.")
    if campaign.status != OPEN:
        raise InvalidState(f"Review campaign {campaign.name!r} is closed.")
    if close_if_ended(s, ctx, item):
        return item  # nothing left to decide: the front end says it closed itself
    if item.status != "pending":
        raise InvalidState(f"Item #{item.id} was already decided ({item.status}).")
    reason = (reason or "").strip()
    if verdict == REVOKE and not reason:
        raise MissingJustification("A reason is required to revoke access.", field="reason")
    if verdict == KEEP and item.risk in REASON_FOR_KEEP and not reason:
        raise MissingJustification(f"A reason is required to keep {item.risk}-risk access.", field="reason")
    if verdict not in (KEEP, REVOKE):
        raise DomainError(f"Unknown decision {verdict!r}.")
    apply_decision(s, ctx, item, verdict, by=reviewer, how="reviewer", reason=reason)
    progressed(s, ctx, item.campaign_id)
    return item


def progressed(s: Session, ctx: Ctx, campaign_id: int) -> None:
    """The campaign's message for IT is redrawn with the new count (once per operation, not per item)."""
    emit(s, ctx, ReviewEvent.PROGRESSED, review_campaign_id=campaign_id)


def apply_decision(s: Session, ctx: Ctx, item: ReviewItem, verdict: str, *, by: Person | None, how: str,
                   reason: str) -> None:
    if item.kind == orphans.KIND:
        if verdict == KEEP:
            orphans.keep(s, ctx, item, by=by, now=ctx.now)
        else:
            orphans.revoke(s, ctx, item, reason=reason)
    elif verdict == REVOKE and item.grant_id is not None:
        grant = end_grant.load_grant(s, item.grant_id)
        if grant.status in STILL_HELD:  # already being removed (or failed removing): nothing to start
            end_grant.revoke(s, ctx, grant_id=grant.id, by=by, reason=f"access review: {reason}",
                             end_reason=EndReason.REVOKED)
    _settle(s, ctx, item, "kept" if verdict == KEEP else "revoked", by=by, how=how, reason=reason)


def _settle(s: Session, ctx: Ctx, item: ReviewItem, status: str, *, by: Person | None, how: str, reason: str) -> None:
    item.status, item.decided_how, item.reason, item.decided_at = status, how, reason, ctx.now
    item.decided_by_id = by.id if by else None
    item.version += 1
    holder = s.get(Person, item.holder_id)
    happened(s, ctx, ReviewEvent.DECIDED, subject_type="review_item", subject_id=item.id, person_email=holder.email,
             detail={"campaign_id": item.campaign_id, "kind": item.kind, "grant_id": item.grant_id,
                     "subject_ref": item.subject_ref, "action_id": item.action_id, "entitlement": item.entitlement,
                     "decision": status, "how": how, "reason": reason,
                     "reviewer": by.email if by else None}, notify=status == "revoked")


def pending_of(s: Session, campaign_id: int, reviewer_id: int) -> list[ReviewItem]:
    return list(s.scalars(select(ReviewItem).where(
        ReviewItem.campaign_id == campaign_id, ReviewItem.reviewer_id == reviewer_id, ReviewItem.status == "pending")
        .order_by(ReviewItem.id).with_for_update()))


def keep_all(s: Session, ctx: Ctx, *, campaign_id: int, reviewer: Person, reason: str = "") -> tuple[int, int]:
    """Keep every pending item of this reviewer; high/critical ones only with a reason. (kept, left)"""
    campaign = s.get(ReviewCampaignRun, campaign_id)
    if campaign is None or campaign.status != OPEN:
        raise InvalidState("That review campaign is not open.")
    kept = left = 0
    reason = (reason or "").strip()
    for item in pending_of(s, campaign_id, reviewer.id):
        if item.holder_id == reviewer.id or close_if_ended(s, ctx, item):
            continue
        if item.risk in REASON_FOR_KEEP and not reason:
            left += 1
            continue
        apply_decision(s, ctx, item, KEEP, by=reviewer, how="bulk", reason=reason or "kept in bulk")
        kept += 1
    if kept:
        progressed(s, ctx, campaign_id)
    return kept, left


def reassign(s: Session, ctx: Ctx, *, item_id: int, reviewer: Person, to: Person, is_it_admin: bool = False) -> ReviewItem:
    """The current reviewer (or IT) hands an item to someone else, never to its holder."""
    item = load_item(s, item_id)
    if item.reviewer_id != reviewer.id and not is_it_admin:
        raise NotAuthorized(f"You are not the reviewer of item #{item.id}.")
    if item.status != "pending":
        raise InvalidState(f"Item #{item.id} was already decided ({item.status}).")
    if to.id == item.holder_id:
        raise NotAuthorized("Nobody can review their own access: pick someone else.")
    if not to.is_active:
        raise DomainError(f"{to.email} is not active.")
    before = item.reviewer_id
    item.reviewer_id, item.version = to.id, item.version + 1
    happened(s, ctx, ReviewEvent.REASSIGNED, subject_type="review_item", subject_id=item.id,
             detail={"campaign_id": item.campaign_id, "from_id": before, "to": to.email, "by": reviewer.email})
    emit(s, ctx, ReviewEvent.REMINDED, review_campaign_id=item.campaign_id, reviewer_ids=[to.id])
    return item
