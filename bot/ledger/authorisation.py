"""Who may do what the ledger core guards: IT admins (the catalog's ``it_admins_group``).

Feature-specific rules (the requester cancels, an approver of the current step decides, four
eyes) stay with the feature's operation; this is the one check every front end and feature shares.
"""

from __future__ import annotations

from bot.domain.errors import NotAuthorized
from bot.ledger.context import Ctx
from bot.store.models import Person


def is_it_admin(ctx: Ctx, person: Person) -> bool:
    group = ctx.catalog.settings.it_admins_group
    return bool(group) and person.is_active and group in (person.groups or [])


def require_it_admin(ctx: Ctx, person: Person | None, what: str) -> None:
    if person is None or not is_it_admin(ctx, person):
        raise NotAuthorized(f"Only IT admins can {what}.")
