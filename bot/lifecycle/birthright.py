"""Birthright access: what the catalog gives a person for who they are, without a request.

Grants are created in the ledger like any other (``granted_by="birthright: <rule>"``), so they are
provisioned, expired, reported and offboarded the same way; a start in the future is a
scheduled grant that the ``grant.start`` timer provisions on the day.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.directory import service as directory
from bot.ledger import grants
from bot.ledger.context import Ctx
from bot.ledger.events import happened
from bot.lifecycle.event_names import LifecycleEventName
from bot.lifecycle.verdicts import Verdicts
from bot.store.models import Grant, Person

PREFIX = "birthright: "


def is_birthright(grant: Grant) -> bool:
    return grant.granted_by.startswith(PREFIX)


def due_to(s: Session, ctx: Ctx, person: Person) -> set[str]:
    return {b.entitlement for b in ctx.catalog.birthright_for(directory.facts(s, person))}


def grant_missing(s: Session, ctx: Ctx, person: Person, *, starts_at: datetime | None = None) -> list[int]:
    """Grant every birthright entitlement ``person`` does not hold yet; returns the new grant ids."""
    created = []
    held = grants.held_entitlements(s, person.id)
    for right in Verdicts.of(ctx.catalog).birthright(directory.facts(s, person)):
        if right.entitlement in held:
            continue
        problem = _problem(ctx, held, right.entitlement)
        if problem:
            happened(s, ctx, LifecycleEventName.BIRTHRIGHT_SKIPPED, subject_type="person", subject_id=person.id,
                     person_email=person.email,
                     detail={"entitlement": right.entitlement, "rule": right.rule, "reason": problem,
                             "channel": ctx.catalog.settings.it_channel}, notify=True)
            continue
        grant = grants.create(s, ctx, person=person, entitlement=ctx.catalog.entitlement(right.entitlement),
                              duration=right.duration, starts_at=starts_at, request=None,
                              granted_by=f"{PREFIX}{right.rule}")
        held.add(right.entitlement)
        created.append(grant.id)
    return created


def _problem(ctx: Ctx, held: set[str], ref: str) -> str | None:
    try:
        ctx.catalog.entitlement(ref)
    except KeyError as error:
        return str(error)
    conflicts = ctx.catalog.sod_conflicts(held, ref)
    if conflicts:
        return f"separation of duties: {conflicts[0].describe(ref)}"
    return None
