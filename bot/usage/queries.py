"""Read side of the usage questions: what the DM about one ask shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.store.models import Person, UsageAsk

MEANINGS = {"login": "sign-in to the identity provider", "app_sign_in": "sign-in to the app",
            "entitlement_use": "use of this access", "account_use": "use of the account"}


@dataclass(frozen=True)
class AskView:
    ask_id: int
    status: str  # open | kept | released | lapsed | closed
    label: str  # "Salesforce (Sales Cloud)"
    holder_name: str
    holder_slack_id: str | None
    asked_is_holder: bool
    asked_id: int
    last_at: datetime | None
    meaning: str  # readable
    due_at: datetime
    at_deadline: str
    cost_cents: int | None
    currency: str | None
    reason: str
    decided_how: str | None


def label_of(catalog, ref: str) -> str:
    entitlement = catalog.entitlements.get(ref)
    if entitlement is None:
        return ref
    return f"{entitlement.resource_name} ({entitlement.title})"


def ask_view(s: Session, catalog, ask_id: int) -> AskView:
    ask = s.get(UsageAsk, ask_id)
    holder = s.get(Person, ask.holder_id)
    return AskView(ask_id=ask.id, status=ask.status, label=label_of(catalog, ask.entitlement),
                   holder_name=holder.name or holder.email, holder_slack_id=holder.slack_user_id,
                   asked_is_holder=ask.asked_id == ask.holder_id, asked_id=ask.asked_id,
                   last_at=ask.last_activity_at, meaning=MEANINGS.get(ask.meaning, ask.meaning), due_at=ask.due_at,
                   at_deadline=ask.at_deadline, cost_cents=ask.cost_cents, currency=ask.currency,
                   reason=ask.reason or "", decided_how=ask.decided_how)


def money(cents: int | None, currency: str | None) -> str:
    return "" if cents is None else f"{currency} {cents / 100:,.2f}"
