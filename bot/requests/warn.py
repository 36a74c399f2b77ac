"""Warn a holder that their access is about to end (run by the expiry-warning timer).

The outbox event ``grant.expiring`` carries what the warning shows: the end, the minutes left and
whether Extend can be offered (and how much of it applies without approval); the Slack layer
renders it with Extend and Relinquish buttons. Nothing is sent for a grant that ended, became
permanent or was extended past this warning meanwhile (state is re-read under a lock).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.domain.enums import GrantStatus
from bot.ledger.context import Ctx
from bot.ledger.end_grant import load_grant
from bot.ledger.event_names import GrantEvent
from bot.ledger.events import emit, happened
from bot.requests.extend import room
from bot.store.models import Person


def warn_expiry(s: Session, ctx: Ctx, *, grant_id: int) -> bool:
    grant = load_grant(s, grant_id)
    if grant.status != GrantStatus.ACTIVE or grant.ends_at is None or grant.ends_at <= ctx.now:
        return False
    try:
        fits = room(grant, ctx.catalog.entitlement(grant.entitlement), ctx.now)
    except KeyError:  # removed from the catalog: the grant still ends, but cannot be extended
        fits = None
    grant.warnings_sent += 1
    person = s.get(Person, grant.person_id)
    detail = {"entitlement": grant.entitlement, "ends_at": grant.ends_at,
              "minutes_left": int((grant.ends_at - ctx.now).total_seconds() // 60),
              "warning": grant.warnings_sent, "can_extend": fits is not None and fits.possible,
              "extend_most_seconds": _seconds(fits.most) if fits else 0,
              "extend_without_approval_seconds": _seconds(fits.without_approval) if fits else 0}
    happened(s, ctx, GrantEvent.EXPIRY_WARNED, subject_type="grant", subject_id=grant.id,
             person_email=person.email, detail=detail)
    emit(s, ctx, GrantEvent.EXPIRING, grant_id=grant.id, person_id=person.id, person_email=person.email, **detail)
    return True


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())
