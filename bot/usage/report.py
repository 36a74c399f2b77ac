"""``accessbot report licenses``: seats by entitlement, active / inactive / unknown, what the inactive
seats cost (potential monthly savings, from known usage only), and what was reclaimed per month."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.enums import GrantStatus
from bot.store.models import Grant, UsageAsk
from bot.usage import ledger
from bot.usage.queries import label_of, money

DEFAULT_INACTIVE_DAYS = 30  # for seats whose entitlement has no inactivity policy
HELD = (GrantStatus.ACTIVE, GrantStatus.PROVISIONING)


@dataclass
class SeatRow:
    entitlement: str
    label: str
    connector: str
    seats: int = 0
    active: int = 0
    inactive: int = 0
    unknown: int = 0  # the target cannot tell, or its data is stale / failed
    cost_cents: int | None = None
    currency: str | None = None
    potential_monthly_cents: int | None = None
    data: str = ""  # "fresh", or why the usage was not used


@dataclass
class Reclaimed:
    month: str  # YYYY-MM
    entitlement: str
    seats: int
    monthly_cents: int
    currency: str


@dataclass
class LicenseReport:
    generated_at: datetime
    since: datetime
    until: datetime
    rows: list[SeatRow] = field(default_factory=list)
    reclaimed: list[Reclaimed] = field(default_factory=list)

    def potential(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for row in self.rows:
            if row.potential_monthly_cents:
                out[row.currency] += row.potential_monthly_cents
        return dict(out)


def build(s: Session, catalog, now: datetime, since: datetime, until: datetime, *,
          stale_after: timedelta) -> LicenseReport:
    report = LicenseReport(now, since, until)
    rows: dict[str, SeatRow] = {}
    known: dict[str, dict] = {}
    freshness: dict[str, tuple[bool, str]] = {}
    for grant in s.execute(select(Grant.entitlement, Grant.connector, Grant.person_id).where(Grant.status.in_(HELD))
                           .order_by(Grant.entitlement)):
        entitlement = catalog.entitlements.get(grant.entitlement)
        if entitlement is None or (entitlement.license is None and entitlement.inactivity is None):
            continue
        if grant.connector not in known:
            known[grant.connector] = ledger.by_person(s, grant.connector)
            freshness[grant.connector] = ledger.freshness(s, grant.connector, now, stale_after)
        fresh, why = freshness[grant.connector]
        row = rows.setdefault(grant.entitlement, SeatRow(
            grant.entitlement, label_of(catalog, grant.entitlement), grant.connector,
            cost_cents=entitlement.license.cents if entitlement.license else None,
            currency=entitlement.license.currency if entitlement.license else None, data="fresh" if fresh else why))
        row.seats += 1
        seen = known[grant.connector].get(grant.person_id)
        days = entitlement.inactivity.after_days if entitlement.inactivity else DEFAULT_INACTIVE_DAYS
        if not fresh or seen is None or seen.last_activity_at is None:
            row.unknown += 1
        elif now - seen.last_activity_at >= timedelta(days=days):
            row.inactive += 1
        else:
            row.active += 1
    for row in rows.values():
        row.potential_monthly_cents = row.inactive * row.cost_cents if row.cost_cents is not None else None
    report.rows = list(rows.values())
    report.reclaimed = _reclaimed(s, since, until)
    return report


def _reclaimed(s: Session, since: datetime, until: datetime) -> list[Reclaimed]:
    groups: dict[tuple[str, str, str], Reclaimed] = {}
    for ask in s.scalars(select(UsageAsk).where(UsageAsk.status == "released", UsageAsk.decided_at >= since,
                                                UsageAsk.decided_at <= until).order_by(UsageAsk.decided_at)):
        key = (f"{ask.decided_at:%Y-%m}", ask.entitlement, ask.currency or "")
        item = groups.setdefault(key, Reclaimed(key[0], ask.entitlement, 0, 0, ask.currency or ""))
        item.seats += 1
        item.monthly_cents += ask.cost_cents or 0
    return list(groups.values())


def as_document(report: LicenseReport) -> dict:
    """The JSON shape of ``--format json`` and of the admin API's GET /usage/licenses."""
    return {"generated_at": report.generated_at.isoformat(), "since": report.since.isoformat(),
            "until": report.until.isoformat(), "seats": [asdict(r) for r in report.rows],
            "potential_monthly_cents": report.potential(), "reclaimed": [asdict(r) for r in report.reclaimed]}


def to_json(report: LicenseReport) -> str:
    return json.dumps(as_document(report), indent=2, sort_keys=True) + "\n"


SEAT_COLUMNS = ("entitlement", "label", "connector", "seats", "active", "inactive", "unknown", "cost_cents", "currency",
                "potential_monthly_cents", "data")
RECLAIMED_COLUMNS = ("month", "entitlement", "seats", "monthly_cents", "currency")


def to_csv(report: LicenseReport) -> str:
    """Two tables, each with its header, separated by an empty line (seats, then reclaimed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SEAT_COLUMNS)
    writer.writerows([getattr(r, c) for c in SEAT_COLUMNS] for r in report.rows)
    writer.writerow([])
    writer.writerow(RECLAIMED_COLUMNS)
    writer.writerows([getattr(r, c) for c in RECLAIMED_COLUMNS] for r in report.reclaimed)
    return out.getvalue()


def to_text(report: LicenseReport) -> str:
    lines = [f"Licenses at {report.generated_at:%Y-%m-%d %H:%M} UTC"]
    for r in report.rows:
        cost = f" · {money(r.cost_cents, r.currency)}/seat/month" if r.cost_cents is not None else ""
        saving = (f" · potential saving {money(r.potential_monthly_cents, r.currency)}/month"
                  if r.potential_monthly_cents else "")
        note = "" if r.data == "fresh" else f" (usage not used: {r.data})"
        lines.append(f"  {r.label}: {r.seats} seats, {r.active} active, {r.inactive} inactive, {r.unknown} unknown"
                     f"{cost}{saving}{note}")
    total = ", ".join(money(c, cur) for cur, c in sorted(report.potential().items())) or "none"
    lines.append(f"Potential monthly savings (known usage only): {total}")
    lines.append(f"Reclaimed {report.since:%Y-%m-%d} → {report.until:%Y-%m-%d}:")
    lines += [f"  {r.month} {r.entitlement}: {r.seats} seats, {money(r.monthly_cents, r.currency)}/month saved"
              for r in report.reclaimed] or ["  nothing"]
    return "\n".join(lines) + "\n"
