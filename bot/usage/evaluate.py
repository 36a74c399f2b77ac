"""Evaluate the catalog's ``inactivity:`` policies on one target after a complete collection.

A grant is asked about when the ledger knows its holder's last activity on the grant's target, that
figure is fresh, and neither it, the grant's start nor the last Keep is within ``after_days``.
Unknown usage, stale data and birthright grants (unless the policy includes them) are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.enums import GrantStatus, PersonStatus
from bot.lifecycle import birthright
from bot.store.models import Grant, Person, UsageAsk
from bot.usage import ledger
from bot.usage.events import UsageEvent
from bot.usage.timers import UsageTimer
from bot.ledger import due
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from policies.usage import InactivityPolicy


@dataclass
class Evaluation:
    connector: str
    stale: str = ""  # why nothing was evaluated
    asked: list[int] = field(default_factory=list)  # ask ids
    counts: dict[str, int] = field(default_factory=lambda: {"active": 0, "unknown": 0, "birthright": 0, "open": 0})


def evaluate(s: Session, ctx: Ctx, *, connector: str, stale_after: timedelta) -> Evaluation:
    out = Evaluation(connector)
    fresh, why = ledger.freshness(s, connector, ctx.now, stale_after)
    if not fresh:
        out.stale = why
        happened(s, ctx, UsageEvent.STALE, subject_type="connector", subject_id=connector,
                 detail={"reason": why, "note": "nobody is asked and nothing is released on stale usage"})
        return out
    known = ledger.by_person(s, connector)
    open_grants = set(s.scalars(select(UsageAsk.grant_id).where(UsageAsk.status == "open")))
    kept = dict(s.execute(select(UsageAsk.grant_id, func.max(UsageAsk.decided_at)).where(
        UsageAsk.status.in_(("kept", "lapsed"))).group_by(UsageAsk.grant_id)).all())
    grants = s.scalars(select(Grant).where(Grant.connector == connector, Grant.status == GrantStatus.ACTIVE)
                       .order_by(Grant.id))
    for grant in grants:
        entitlement = ctx.catalog.entitlements.get(grant.entitlement)
        policy = entitlement.inactivity if entitlement else None
        if policy is None:
            continue
        if birthright.is_birthright(grant) and not policy.include_birthright:
            out.counts["birthright"] += 1
            continue
        row = known.get(grant.person_id)
        if row is None or row.last_activity_at is None:
            out.counts["unknown"] += 1  # the target cannot tell: never read as "never used"
            continue
        since = max(t for t in (row.last_activity_at, kept.get(grant.id), grant.activated_at or grant.starts_at) if t)
        if ctx.now - since < timedelta(days=policy.after_days):
            out.counts["active"] += 1
        elif grant.id in open_grants:
            out.counts["open"] += 1
        else:
            out.asked.append(ask(s, ctx, grant, entitlement, policy, row).id)
    return out


def first_owner(s: Session, owners: list[str], holder_id: int) -> Person | None:
    for email in owners:
        person = s.scalar(select(Person).where(Person.email == email))
        if person is not None and person.id != holder_id and person.status == PersonStatus.ACTIVE:
            return person
    return None


def ask(s: Session, ctx: Ctx, grant: Grant, entitlement, policy: InactivityPolicy, row) -> UsageAsk:
    holder = s.get(Person, grant.person_id)
    asked = first_owner(s, entitlement.owners, holder.id) if policy.asks_owner_first(entitlement.risk) else None
    cost = entitlement.license
    item = UsageAsk(grant_id=grant.id, holder_id=holder.id, asked_id=(asked or holder).id,
                    entitlement=grant.entitlement, connector=grant.connector, last_activity_at=row.last_activity_at,
                    meaning=row.meaning, status="open", asked_at=ctx.now,
                    due_at=ctx.now + timedelta(days=policy.answer_days), at_deadline=policy.then,
                    cost_cents=cost.cents if cost else None, currency=cost.currency if cost else None, version=1)
    s.add(item)
    s.flush()
    due.schedule(s, UsageTimer.DEADLINE, item.id, item.due_at, now=ctx.now)
    happened(s, ctx, UsageEvent.ASKED, subject_type="usage_ask", subject_id=item.id, person_email=holder.email,
             detail={"grant_id": grant.id, "entitlement": grant.entitlement, "asked": (asked or holder).email,
                     "last_activity_at": row.last_activity_at, "meaning": row.meaning, "source": row.source,
                     "due_at": item.due_at, "at_deadline": policy.then}, notify=True)
    return item
