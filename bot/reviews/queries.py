"""Read side: a campaign's progress, a reviewer's items, and the evidence report."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.domain.enums import GrantStatus
from bot.reviews.events import ReviewEvent
from bot.store.models import AuditEvent, Grant, Person, ReviewCampaignRun, ReviewItem


@dataclass(frozen=True)
class Progress:
    campaign_id: int
    name: str
    status: str
    due_at: datetime
    total: int
    decided: int
    by_status: dict[str, int]

    def line(self) -> str:
        return (f"#{self.campaign_id} {self.name} ({self.status}): {self.decided} of {self.total} reviewed, "
                f"due {self.due_at:%Y-%m-%d %H:%M} UTC; "
                + ", ".join(f"{k} {v}" for k, v in sorted(self.by_status.items())))


def progress(s: Session, campaign: ReviewCampaignRun, reviewer_id: int | None = None) -> Progress:
    query = select(ReviewItem.status, func.count()).where(ReviewItem.campaign_id == campaign.id)
    if reviewer_id is not None:
        query = query.where(ReviewItem.reviewer_id == reviewer_id)
    counts = dict(s.execute(query.group_by(ReviewItem.status)).all())
    total = sum(counts.values())
    return Progress(campaign.id, campaign.name, campaign.status, campaign.due_at, total,
                    total - counts.get("pending", 0), counts)


def find_campaign(s: Session, ref: str) -> ReviewCampaignRun | None:
    """By id, or the latest run of a catalog campaign name."""
    if ref.isdigit():
        return s.get(ReviewCampaignRun, int(ref))
    return s.scalar(select(ReviewCampaignRun).where(ReviewCampaignRun.name == ref)
                    .order_by(ReviewCampaignRun.id.desc()).limit(1))


def reviewer_items(s: Session, campaign_id: int, reviewer_id: int, *, offset: int = 0, limit: int = 20):
    """(item, holder) pairs of a reviewer, pending first, one page."""
    holder = aliased(Person)
    return list(s.execute(
        select(ReviewItem, holder).join(holder, holder.id == ReviewItem.holder_id)
        .where(ReviewItem.campaign_id == campaign_id, ReviewItem.reviewer_id == reviewer_id)
        .order_by((ReviewItem.status != "pending"), holder.email, ReviewItem.id).offset(offset).limit(limit)).all())


def peers_holding(s: Session, items_and_holders) -> dict[int, tuple[int, int]]:
    """Per item: (peers with the same department and title who hold the entitlement, peers)."""
    out = {}
    for item, holder in items_and_holders:
        peers = select(Person.id).where(Person.department == holder.department, Person.title == holder.title,
                                        Person.id != holder.id, Person.status == "active")
        total = s.scalar(select(func.count()).select_from(peers.subquery()))
        holding = s.scalar(select(func.count(func.distinct(Grant.person_id))).where(
            Grant.person_id.in_(peers), Grant.entitlement == item.entitlement, Grant.status == GrantStatus.ACTIVE))
        out[item.id] = (holding or 0, total or 0)
    return out


REPORT_FIELDS = ("item_id", "kind", "grant_id", "holder", "entitlement", "connector", "risk", "held_since",
                 "granted_how", "granted_by", "reviewer", "decision", "decided_how", "decided_by", "reason",
                 "decided_at", "revoke_status", "revoke_confirmed_at", "audit_seq")


def report_rows(s: Session, campaign: ReviewCampaignRun) -> list[dict]:
    holder, reviewer, decider = aliased(Person), aliased(Person), aliased(Person)
    seqs = dict(s.execute(select(AuditEvent.subject_id, func.max(AuditEvent.seq)).where(
        AuditEvent.action == ReviewEvent.DECIDED, AuditEvent.subject_type == "review_item")
        .group_by(AuditEvent.subject_id)).all())
    rows = []
    for item, h, r, d, grant in s.execute(
            select(ReviewItem, holder, reviewer, decider, Grant)
            .join(holder, holder.id == ReviewItem.holder_id).join(reviewer, reviewer.id == ReviewItem.reviewer_id)
            .outerjoin(decider, decider.id == ReviewItem.decided_by_id)
            .outerjoin(Grant, Grant.id == ReviewItem.grant_id)
            .where(ReviewItem.campaign_id == campaign.id).order_by(ReviewItem.id)):
        revoked = item.status == "revoked" and grant is not None
        rows.append({
            "item_id": item.id, "kind": item.kind, "grant_id": item.grant_id, "holder": h.email,
            "entitlement": item.entitlement, "connector": item.connector, "risk": item.risk,
            "held_since": _iso(item.held_since), "granted_how": item.granted_how, "granted_by": item.granted_by,
            "reviewer": r.email, "decision": item.status, "decided_how": item.decided_how or "",
            "decided_by": d.email if d else ("system" if item.decided_at else ""), "reason": item.reason or "",
            "decided_at": _iso(item.decided_at),
            "revoke_status": grant.status if revoked else "",
            "revoke_confirmed_at": _iso(grant.ended_at) if revoked and grant.status == GrantStatus.REVOKED else "",
            "audit_seq": seqs.get(str(item.id), ""),
        })
    return rows


def render_report(rows: list[dict], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""
