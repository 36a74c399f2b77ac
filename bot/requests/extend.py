"""Extend a grant from its expiry warning (or the App Home).

Within the entitlement's auto-approve limit the extension applies at once; beyond it, it becomes a
request for the extra time, which on approval is added to the grant's end as it then stands.
Never beyond the entitlement's maximum, counted from now: the refusal says how much would fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.domain.enums import GrantStatus
from bot.domain.errors import InvalidDuration, InvalidState, NotAuthorized
from bot.ledger import grants
from bot.ledger.context import Ctx
from bot.ledger.end_grant import load_grant
from bot.requests.submit import Submitted, lookup_entitlement, require_requestable, submit
from bot.store.models import Grant, Person
from policies.durations import adjective, humanize


@dataclass(frozen=True)
class Extended:
    applied: bool  # True: new end already in force; False: a request awaits approval
    request: object | None = None


@dataclass(frozen=True)
class Room:
    """How far a grant may be extended right now."""

    most: timedelta | None  # the most that fits under the maximum; None: no maximum
    without_approval: timedelta  # what is left of the self-service allowance

    @property
    def possible(self) -> bool:
        return self.most is None or self.most > timedelta()


def room(grant: Grant, entitlement, now: datetime) -> Room:
    maximum = entitlement.durations.maximum
    most = None if maximum is None else max(timedelta(), maximum - (grant.ends_at - now))
    limit = entitlement.extend_auto_approve_limit or timedelta()
    allowance = max(timedelta(), limit - timedelta(seconds=grant.auto_extended_seconds))
    return Room(most, allowance if most is None else min(allowance, most))


def extend(s: Session, ctx: Ctx, *, grant_id: int, by: Person, extra: timedelta,
           justification: str = "") -> Extended:
    grant = load_grant(s, grant_id)
    if grant.person_id != by.id:
        raise NotAuthorized("You can only extend your own access.")
    if grant.status != GrantStatus.ACTIVE or grant.ends_at is None:
        raise InvalidState(f"Grant #{grant.id} is {grant.status}{' and permanent' if grant.ends_at is None else ''}; "
                           "nothing to extend.")
    ent = lookup_entitlement(ctx.catalog, grant.entitlement)
    require_requestable(ent)  # asking for more of it is asking for it
    if extra <= timedelta(0):
        raise InvalidDuration("Choose how much longer you need.", field="duration")
    fits = room(grant, ent, ctx.now)
    if fits.most is not None and extra > fits.most:
        more = f"at most {humanize(fits.most)} more" if fits.possible else "no more time"
        raise InvalidDuration(f"That would run past the {adjective(ent.durations.maximum)} maximum for "
                              f"{ent.title or ent.ref}: you can ask for {more}.", field="duration")
    if extra <= fits.without_approval:
        grant.auto_extended_seconds += int(extra.total_seconds())
        limit = ent.extend_auto_approve_limit
        grants.extend_to(s, ctx, grant, grant.ends_at + extra, ent, person_email=by.email,
                         reason=f"self-service extension within the {adjective(limit)} auto-approve limit")
        return Extended(True)
    submitted: Submitted = submit(s, ctx, requester=by, entitlement=grant.entitlement, duration=extra,
                                  justification=justification or f"Extension of grant #{grant.id}",
                                  extension_of=grant.id)
    return Extended(submitted.outcome != "pending", submitted.request)
