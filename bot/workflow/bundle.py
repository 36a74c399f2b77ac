"""Request a bundle: several entitlements asked for as one, each routed by its own policy.

All or nothing: if any entitlement of the bundle is refused, none is requested.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.errors import DomainError, NotFoundError
from bot.store.models import Person
from bot.workflow.context import Ctx
from bot.workflow.submit import USE_DEFAULT, Submitted, submit


def submit_bundle(s: Session, ctx: Ctx, *, requester: Person, bundle: str, duration=USE_DEFAULT,
                  justification: str = "", ticket: str = "") -> list[Submitted]:
    spec = ctx.catalog.bundles.get(bundle)
    if spec is None:
        known = ", ".join(sorted(ctx.catalog.bundles)) or "none"
        raise NotFoundError(f"Unknown bundle {bundle!r} (bundles: {known}).", field="bundle")
    results = []
    for ref in spec.entitlements:
        try:
            results.append(submit(s, ctx, requester=requester, entitlement=ref, duration=duration,
                                  justification=justification, ticket=ticket, bundle=bundle))
        except DomainError as error:
            raise type(error)(f"{ref} in bundle {bundle}: {error.message}", field=error.field) from error
    return results
