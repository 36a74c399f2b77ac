"""One break-glass use as its Slack surfaces show it: who, what, why, how long it lasted, its review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.slack.readmodels.request import PersonInfo
from bot.store.models import BreakGlassUse, Grant, Person


@dataclass(frozen=True)
class BreakGlassView:
    id: int
    person: PersonInfo
    ref: str
    label: str
    reason: str
    ticket: str
    used_at: datetime
    ends_at: datetime  # the granted end, or when it really ended
    ended: bool
    review_due_at: datetime
    reviewers: tuple[PersonInfo, ...]
    verdict: str  # "", justified, not_justified
    reviewed_by: PersonInfo | None
    review_reason: str
    version: int


def load_break_glass_view(s: Session, catalog, use_id: int) -> BreakGlassView | None:
    use = s.get(BreakGlassUse, use_id)
    if use is None:
        return None
    grant = s.get(Grant, use.grant_id) if use.grant_id else None
    ended = grant is not None and grant.ended_at is not None
    ent = catalog.entitlements.get(use.entitlement)
    reviewed_by = s.get(Person, use.reviewed_by_id) if use.reviewed_by_id else None
    return BreakGlassView(
        id=use.id, person=PersonInfo.of(s.get(Person, use.person_id)), ref=use.entitlement,
        label=ent.label if ent else use.entitlement, reason=use.reason, ticket=use.ticket, used_at=use.used_at,
        ends_at=grant.ended_at if ended else use.ends_at, ended=ended, review_due_at=use.review_due_at,
        reviewers=tuple(PersonInfo.of(p) for p in (s.get(Person, i) for i in use.reviewer_ids or []) if p),
        verdict=use.verdict, reviewed_by=PersonInfo.of(reviewed_by) if reviewed_by else None,
        review_reason=use.review_reason, version=use.version)
