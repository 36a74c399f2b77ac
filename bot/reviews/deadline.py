"""Reminders until the deadline; at the deadline the campaign's default action for what is left.

``escalate`` hands what is left to the fallback reviewers and moves the deadline by the campaign's
``escalation_period`` (landing in business hours); at that second deadline what is still left is revoked (a missed review never
silently keeps access). ``close`` (IT) applies the default action at once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import InvalidState, NotFoundError
from bot.ledger import due
from bot.ledger.context import Ctx
from bot.ledger.events import emit, happened
from bot.ledger.authorisation import require_it_admin
from bot.reviews import hours
from bot.reviews.assign import ReviewerFinder
from bot.reviews.decide import KEEP, REVOKE, apply_decision, close_if_ended
from bot.reviews.events import ReviewEvent
from bot.reviews.start import CLOSED, OPEN, campaign_policy
from bot.reviews.timers import ReviewKind
from bot.store.models import Person, ReviewCampaignRun, ReviewItem


def load_campaign(s: Session, campaign_id: int, *, lock: bool = True) -> ReviewCampaignRun:
    query = select(ReviewCampaignRun).where(ReviewCampaignRun.id == campaign_id)
    campaign = s.scalar(query.with_for_update() if lock else query)
    if campaign is None:
        raise NotFoundError(f"Review campaign #{campaign_id} does not exist.")
    return campaign


def pending(s: Session, campaign_id: int) -> list[ReviewItem]:
    return list(s.scalars(select(ReviewItem).where(ReviewItem.campaign_id == campaign_id,
                                                   ReviewItem.status == "pending")
                          .order_by(ReviewItem.id).with_for_update()))


def remind(s: Session, ctx: Ctx, *, campaign_id: int) -> list[int]:
    """Tell every reviewer with pending items (one notice each); the reviewer ids."""
    campaign = load_campaign(s, campaign_id, lock=False)
    if campaign.status != OPEN:
        return []
    reviewers = sorted({item.reviewer_id for item in pending(s, campaign_id) if not close_if_ended(s, ctx, item)})
    if reviewers:
        happened(s, ctx, ReviewEvent.REMINDED, subject_type="review_campaign", subject_id=campaign.id,
                 detail={"reviewers": len(reviewers)})
        emit(s, ctx, ReviewEvent.REMINDED, review_campaign_id=campaign.id, reviewer_ids=reviewers)
    return reviewers


def at_deadline(s: Session, ctx: Ctx, *, campaign_id: int) -> bool:
    """The deadline timer. True when revocations were queued."""
    campaign = load_campaign(s, campaign_id)
    if campaign.status != OPEN or campaign.due_at > ctx.now:
        return False
    action = campaign.at_deadline
    if action == "escalate" and not campaign.escalated:
        _escalate(s, ctx, campaign)
        return False
    return _finish(s, ctx, campaign, REVOKE if action == "escalate" else action)


def close(s: Session, ctx: Ctx, *, campaign_id: int, by: Person | None) -> ReviewCampaignRun:
    """IT ends a campaign now; what is left gets the default action (escalate: revoke). ``by`` None:
    the shell's own user (the CLI without --as)."""
    if by is not None:
        require_it_admin(ctx, by, "close access reviews")
    campaign = load_campaign(s, campaign_id)
    if campaign.status != OPEN:
        raise InvalidState(f"Review campaign #{campaign.id} is already closed.")
    _finish(s, ctx, campaign, KEEP if campaign.at_deadline == KEEP else REVOKE)
    return campaign


def _finish(s: Session, ctx: Ctx, campaign: ReviewCampaignRun, verdict: str) -> bool:
    counts = {"kept": 0, "revoked": 0, "closed": 0}
    for item in pending(s, campaign.id):
        if close_if_ended(s, ctx, item):
            counts["closed"] += 1
            continue
        apply_decision(s, ctx, item, verdict, by=None, how="deadline",
                       reason=f"not reviewed by the deadline of campaign {campaign.name}")
        counts["kept" if verdict == KEEP else "revoked"] += 1
    campaign.status, campaign.closed_at, campaign.version = CLOSED, ctx.now, campaign.version + 1
    due.cancel(s, ReviewKind.REMIND, campaign.id)
    due.cancel(s, ReviewKind.DEADLINE, campaign.id)
    happened(s, ctx, ReviewEvent.CLOSED, subject_type="review_campaign", subject_id=campaign.id,
             detail={"campaign": campaign.name, "default_action": verdict, **counts}, notify=True)
    return counts["revoked"] > 0


def _escalate(s: Session, ctx: Ctx, campaign: ReviewCampaignRun) -> None:
    policy = campaign_policy(ctx, campaign.name)
    finder = ReviewerFinder(s, ctx.catalog, policy)
    moved, reviewers = 0, set()
    for item in pending(s, campaign.id):
        if close_if_ended(s, ctx, item):
            continue
        fallback = next((p for p in finder.fallback(finder.people[item.holder_id])
                         if p.id not in (item.holder_id, item.reviewer_id)), None)
        if fallback is not None:
            item.reviewer_id, item.version = fallback.id, item.version + 1
            moved += 1
            reviewers.add(fallback.id)
    campaign.escalated = True
    campaign.due_at = hours.next_opening(ctx.now + policy.escalation_period, ctx.catalog.settings)
    campaign.version += 1
    due.schedule(s, ReviewKind.DEADLINE, campaign.id, campaign.due_at, now=ctx.now)
    happened(s, ctx, ReviewEvent.ESCALATED, subject_type="review_campaign", subject_id=campaign.id,
             detail={"campaign": campaign.name, "items": moved, "due_at": campaign.due_at}, notify=True)
    emit(s, ctx, ReviewEvent.REMINDED, review_campaign_id=campaign.id, reviewer_ids=sorted(reviewers))
