"""The usage ledger: write a page of last activity, read what is known about a person on a target."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Person, UsageActivity, UsageCollection
from connectors.base import ActivityPage


def _email_of(account_id: str, display: str) -> str | None:
    for value in (display, account_id):
        if "@" in value and " " not in value.strip():
            return value.strip().lower()
    return None


def record_page(s: Session, connector: str, page: ActivityPage, now: datetime) -> int:
    """Upsert one page (a few hundred rows: two reads, then the writes); the rows written."""
    items = {a.account.id: a for a in page.activity if a.account.id}
    if not items:
        return 0
    existing = {row.account_id: row for row in s.scalars(select(UsageActivity).where(
        UsageActivity.connector == connector, UsageActivity.account_id.in_(list(items))))}
    emails = {aid: _email_of(aid, a.account.display) for aid, a in items.items()}
    wanted = sorted({e for e in emails.values() if e})
    people = dict(s.execute(select(Person.email, Person.id).where(Person.email.in_(wanted))).all()) if wanted else {}
    for account_id, activity in items.items():
        row = existing.get(account_id)
        if row is None:
            row = UsageActivity(connector=connector, account_id=account_id[:500])
            s.add(row)
        row.account_display = (activity.account.display or "")[:500]
        row.person_id = people.get(emails[account_id] or "")
        row.last_activity_at = activity.last_at
        row.meaning, row.source, row.read_at = str(page.meaning), page.source[:200], now
    return len(items)


def freshness(s: Session, connector: str, now: datetime, stale_after: timedelta) -> tuple[bool, str]:
    state = s.get(UsageCollection, connector)
    if state is not None and state.status == "failed":
        return False, f"the last collection of {connector} failed: {state.last_error or 'unknown error'}"
    if state is None or state.last_complete_at is None:
        return False, f"no complete collection of {connector} yet"
    if now - state.last_complete_at > stale_after:
        return False, f"the last complete collection of {connector} is older than {stale_after}"
    return True, ""


def by_person(s: Session, connector: str) -> dict[int, UsageActivity]:
    """The ledger rows of one target, by person (the latest activity when a person has several accounts)."""
    out: dict[int, UsageActivity] = {}
    for row in s.scalars(select(UsageActivity).where(UsageActivity.connector == connector,
                                                     UsageActivity.person_id.is_not(None))):
        held = out.get(row.person_id)
        if held is None or (row.last_activity_at and (held.last_activity_at is None
                                                      or row.last_activity_at > held.last_activity_at)):
            out[row.person_id] = row
    return out


def last_used(s: Session, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], datetime]:
    """(person id, connector) → last known activity, for the pairs the ledger knows (reviews, reports)."""
    out: dict[tuple[int, str], datetime] = {}
    if not pairs:
        return out
    rows = s.execute(select(UsageActivity.person_id, UsageActivity.connector, UsageActivity.last_activity_at).where(
        UsageActivity.person_id.in_({p for p, _ in pairs}), UsageActivity.last_activity_at.is_not(None)))
    for person_id, connector, at in rows:
        key = (person_id, connector)
        if key in pairs and (key not in out or at > out[key]):
            out[key] = at
    return out
