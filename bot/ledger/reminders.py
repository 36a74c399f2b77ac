"""When to remind the approvers of a step: after the entitlement's ``reminder_after`` of business
time, counted in each approver's own time zone (their Slack tz, else the catalog's).

With approvers in several zones the reminder falls due when the first of them has had that much
business time, so nobody waits longer than the policy says.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.ledger import due
from bot.ledger.business_hours import add_business_time, zone_for
from bot.ledger.context import Ctx
from bot.store.models import AccessRequest, ApprovalStep, DueAction, Person


def reminder_due_at(s: Session, settings, approver_ids: Iterable[int], start: datetime,
                    after: timedelta) -> datetime:
    zones = s.scalars(select(Person.timezone).where(Person.id.in_(list(approver_ids)))).all() or [None]
    return min(add_business_time(start, after, settings.business_hours, zone_for(name, settings.timezone))
               for name in zones)


def schedule_reminder(s: Session, ctx: Ctx, request: AccessRequest, step: ApprovalStep,
                      after: timedelta) -> DueAction | None:
    at = reminder_due_at(s, ctx.catalog.settings, step.approver_ids or [], ctx.now, after)
    return due.schedule(s, due.LedgerKind.REQUEST_REMIND, request.id, at, now=ctx.now, payload={"step": step.position})
