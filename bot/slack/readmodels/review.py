"""What the review surfaces show, read in one transaction (views never touch the ORM)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.reviews import queries
from bot.reviews.deadline import load_campaign
from bot.store.models import ReviewCampaignRun, ReviewItem
from bot.usage import ledger as usage_ledger

PAGE_SIZE = 15  # two blocks per row: a page stays far below a modal's 100 blocks


@dataclass(frozen=True)
class ReviewRow:
    item_id: int
    status: str
    holder_name: str
    holder_slack_id: str | None
    holder_title: str
    holder_department: str
    entitlement: str
    entitlement_label: str
    risk: str
    held_since: datetime | None
    granted_how: str
    granted_by: str
    last_reviewed_at: datetime | None
    last_used: datetime | None  # None: the connector cannot tell
    peers_holding: int
    peers: int
    reason: str
    kind: str = "grant"
    revoke_status: str = ""  # a revoked item's removal: queued, succeeded, failed_permanent…
    revoke_confirmed_at: datetime | None = None  # when the target confirmed the removal


@dataclass(frozen=True)
class ReviewPage:
    campaign_id: int
    campaign_name: str
    open: bool
    due_at: datetime
    decided: int
    total: int
    page: int
    pages: int
    rows: tuple[ReviewRow, ...]
    group: str = "person"  # person | entitlement: how the rows are ordered and headed


@dataclass(frozen=True)
class CampaignView:
    campaign_id: int
    name: str
    status: str
    due_at: datetime
    decided: int
    total: int
    by_status: dict


def campaign_view(s: Session, campaign_id: int) -> CampaignView:
    campaign = load_campaign(s, campaign_id, lock=False)
    progress = queries.progress(s, campaign)
    return CampaignView(campaign.id, campaign.name, campaign.status, campaign.due_at, progress.decided,
                        progress.total, dict(progress.by_status))


def review_page(s: Session, catalog, campaign_id: int, reviewer_id: int, page: int = 0,
                group: str = "person") -> ReviewPage:
    campaign = load_campaign(s, campaign_id, lock=False)
    progress = queries.progress(s, campaign, reviewer_id)
    pages = max(1, -(-progress.total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    group = group if group in queries.GROUPINGS else "person"
    pairs = queries.reviewer_items(s, campaign_id, reviewer_id, offset=page * PAGE_SIZE, limit=PAGE_SIZE,
                                   group=group)
    peers = queries.peers_holding(s, pairs)
    removals = queries.revoke_states(s, [item for item, _ in pairs])
    used = usage_ledger.last_used(s, {(holder.id, item.connector) for item, holder in pairs})
    rows = []
    for item, holder in pairs:
        entitlement = catalog.entitlements.get(item.entitlement)
        rows.append(ReviewRow(
            item.id, item.status, holder.name or holder.email, holder.slack_user_id, holder.title or "",
            holder.department or "", item.entitlement, entitlement.label if entitlement else item.entitlement,
            item.risk, item.held_since, item.granted_how, item.granted_by, item.last_reviewed_at,
            used.get((holder.id, item.connector)),
            *peers[item.id], item.reason or "", item.kind, *removals.get(item.id, ("", None))))
    return ReviewPage(campaign.id, campaign.name, campaign.status == "open", campaign.due_at, progress.decided,
                      progress.total, page, pages, tuple(rows), group)


@dataclass(frozen=True)
class HomeReview:
    campaign_id: int
    name: str
    decided: int
    total: int
    due_at: datetime


HOME_REVIEWS = 3  # at most this many campaigns on the App Home (each one block)


def open_reviews(s: Session, reviewer_id: int) -> tuple[HomeReview, ...]:
    """The open campaigns with items for this reviewer, with their progress (one grouped query)."""
    pending = func.sum(func.cast(ReviewItem.status == "pending", ReviewItem.version.type))
    rows = s.execute(select(ReviewCampaignRun.id, ReviewCampaignRun.name, ReviewCampaignRun.due_at, func.count(),
                            pending)
                     .join(ReviewItem, ReviewItem.campaign_id == ReviewCampaignRun.id)
                     .where(ReviewCampaignRun.status == "open", ReviewItem.reviewer_id == reviewer_id)
                     .group_by(ReviewCampaignRun.id, ReviewCampaignRun.name, ReviewCampaignRun.due_at)
                     .order_by(ReviewCampaignRun.due_at).limit(HOME_REVIEWS)).all()
    return tuple(HomeReview(cid, name, total - int(left or 0), total, due) for cid, name, due, total, left in rows)
