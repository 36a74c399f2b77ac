"""Read side: a campaign's progress, a reviewer's items, and the evidence report."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from bot.domain import csv_cells
from bot.domain.enums import ActionStatus, GrantStatus
from bot.reviews.events import ReviewEvent
from bot.store.models import AuditEvent, Grant, Person, ProvisioningAction, ReviewCampaignRun, ReviewItem


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


GROUPINGS = ("person", "entitlement")


def reviewer_items(s: Session, campaign_id: int, reviewer_id: int, *, offset: int = 0, limit: int = 20,
                   group: str = "person"):
    """(item, holder) pairs of a reviewer, pending first, one page; grouped by holder or by entitlement."""
    holder = aliased(Person)
    order = (holder.email, ReviewItem.entitlement) if group == "person" else (ReviewItem.entitlement, holder.email)
    return list(s.execute(
        select(ReviewItem, holder).join(holder, holder.id == ReviewItem.holder_id)
        .where(ReviewItem.campaign_id == campaign_id, ReviewItem.reviewer_id == reviewer_id)
        .order_by((ReviewItem.status != "pending"), *order, ReviewItem.id).offset(offset).limit(limit)).all())


def peers_holding(s: Session, items_and_holders) -> dict[int, tuple[int, int]]:
    """Per item: (peers with the same department and title who hold the entitlement, peers), for a
    page of items in three grouped queries (a holder is never their own peer)."""
    pairs = list(items_and_holders)
    if not pairs:
        return {}
    departments = {h.department for _, h in pairs if h.department is not None}
    titles = {h.title for _, h in pairs if h.title is not None}
    entitlements = {item.entitlement for item, _ in pairs}
    active = Person.status == "active"
    sizes = {(d, t): n for d, t, n in s.execute(
        select(Person.department, Person.title, func.count()).where(
            active, Person.department.in_(departments), Person.title.in_(titles))
        .group_by(Person.department, Person.title))}
    holding = {(d, t, e): n for d, t, e, n in s.execute(
        select(Person.department, Person.title, Grant.entitlement, func.count(func.distinct(Grant.person_id)))
        .join(Grant, Grant.person_id == Person.id).where(
            active, Grant.status == GrantStatus.ACTIVE, Person.department.in_(departments),
            Person.title.in_(titles), Grant.entitlement.in_(entitlements))
        .group_by(Person.department, Person.title, Grant.entitlement))}
    own = {(person, ref) for person, ref in s.execute(select(Grant.person_id, Grant.entitlement).where(
        Grant.status == GrantStatus.ACTIVE, Grant.person_id.in_({h.id for _, h in pairs}),
        Grant.entitlement.in_(entitlements)))}
    out = {}
    for item, h in pairs:
        me = 1 if h.status == "active" else 0
        group = (h.department, h.title)
        held = holding.get((*group, item.entitlement), 0) - (me if (h.id, item.entitlement) in own else 0)
        out[item.id] = (max(held, 0), max(sizes.get(group, 0) - me, 0))
    return out


def revoke_states(s: Session, items) -> dict[int, tuple[str, datetime | None]]:
    """Per revoked item of a page: (the removal's state, when the target confirmed it)."""
    revoked = [item for item in items if item.status == "revoked"]
    if not revoked:
        return {}
    grants = {g.id: g for g in s.scalars(select(Grant).where(Grant.id.in_({i.grant_id for i in revoked if i.grant_id})))}
    actions = {a.id: a for a in s.scalars(select(ProvisioningAction).where(
        ProvisioningAction.id.in_({i.action_id for i in revoked if i.action_id})))}
    return {i.id: revoke_state(i, grants.get(i.grant_id), actions.get(i.action_id)) for i in revoked}


REPORT_FIELDS = ("item_id", "kind", "grant_id", "holder", "entitlement", "connector", "risk", "held_since",
                 "granted_how", "granted_by", "reviewer", "decision", "decided_how", "decided_by", "reason",
                 "decided_at", "revoke_status", "revoke_confirmed_at", "audit_seq")


def report_rows(s: Session, campaign: ReviewCampaignRun) -> list[dict]:
    holder, reviewer, decider = aliased(Person), aliased(Person), aliased(Person)
    seqs = dict(s.execute(select(AuditEvent.subject_id, func.max(AuditEvent.seq)).where(
        AuditEvent.action == ReviewEvent.DECIDED, AuditEvent.subject_type == "review_item")
        .group_by(AuditEvent.subject_id)).all())
    rows = []
    for item, h, r, d, grant, action in s.execute(
            select(ReviewItem, holder, reviewer, decider, Grant, ProvisioningAction)
            .join(holder, holder.id == ReviewItem.holder_id).join(reviewer, reviewer.id == ReviewItem.reviewer_id)
            .outerjoin(decider, decider.id == ReviewItem.decided_by_id)
            .outerjoin(Grant, Grant.id == ReviewItem.grant_id)
            .outerjoin(ProvisioningAction, ProvisioningAction.id == ReviewItem.action_id)
            .where(ReviewItem.campaign_id == campaign.id).order_by(ReviewItem.id)):
        status, confirmed = revoke_state(item, grant, action)
        rows.append({
            "item_id": item.id, "kind": item.kind, "grant_id": item.grant_id, "holder": h.email,
            "entitlement": item.entitlement, "connector": item.connector, "risk": item.risk,
            "held_since": _iso(item.held_since), "granted_how": item.granted_how, "granted_by": item.granted_by,
            "reviewer": r.email, "decision": item.status, "decided_how": item.decided_how or "",
            "decided_by": d.email if d else ("system" if item.decided_at else ""), "reason": item.reason or "",
            "decided_at": _iso(item.decided_at),
            "revoke_status": status, "revoke_confirmed_at": _iso(confirmed),
            "audit_seq": seqs.get(str(item.id), ""),
        })
    return rows


def revoke_state(item: ReviewItem, grant: Grant | None, action: ProvisioningAction | None):
    """(the removal's state, when the target confirmed it) of a revoked item; ("", None) otherwise.
    A grant's removal is confirmed when the grant is revoked; an orphan's when its action is done."""
    if item.status != "revoked":
        return "", None
    if action is not None:
        done = action.status in (ActionStatus.SUCCEEDED, ActionStatus.ALREADY)
        return action.status, action.finished_at if done else None
    if grant is not None:
        return grant.status, grant.ended_at if grant.status == GrantStatus.REVOKED else None
    return "", None


def render_report(rows: list[dict], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv_cells.dict_writer(out, REPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""
