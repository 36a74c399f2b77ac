"""Admin API for usage (docs/usage.md): the licenses report, what the ledger knows about one person's
accounts, and starting a collection pass now. The figures are those of ``accessbot report licenses``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.domain.limits import StorableStr
from bot.http.admin import COMMON_ERRORS, DepsDep, EmailPath, _problem, period_of
from bot.ledger.context import Actor
from bot.operations import perform
from bot.usage import admin
from bot.usage import report as licenses
from bot.usage.timers import stale_after

router = APIRouter(tags=["usage"], responses=COMMON_ERRORS)
ConnectorPath = Annotated[StorableStr, Path(max_length=200)]


class CollectIn(BaseModel):
    actor: StorableStr = Field(description="email of the IT admin")


class AccountUsageOut(BaseModel):
    connector: str
    account_id: str
    account_display: str
    last_activity_at: datetime | None = Field(description="null: the target cannot tell (unknown, not never)")
    meaning: str = Field(description="what the figure measures, e.g. sign-in to the identity provider")
    source: str
    read_at: datetime
    fresh: bool = Field(description="false: the target's last pass failed or is stale; nothing is acted on")
    data: str


@router.get("/usage/licenses")
def licenses_report(deps: DepsDep, since: datetime | None = None, until: datetime | None = None) -> dict:
    """Seats by entitlement (active, inactive, unknown), potential monthly savings from known usage, and
    what was reclaimed per month of the period (default the 30 days to now): ``accessbot report licenses
    --format json``."""
    now = deps.clock.now()
    period = period_of(now, since, until)
    with deps.store.uow() as s:
        return licenses.as_document(licenses.build(s, deps.catalog, now, period.since, period.until,
                                                   stale_after=stale_after(deps.settings)))


@router.get("/people/{email}/usage")
def usage_of(email: EmailPath, deps: DepsDep) -> list[AccountUsageOut]:
    """Last activity per account the person holds on each target, as the ledger last read it."""
    with deps.store.uow() as s:
        person = directory.require(s, email)
        rows = admin.person_usage(s, person, deps.clock.now(), stale_after(deps.settings))
        return [AccountUsageOut(**vars(row)) for row in rows]


@router.post("/usage/{connector}/collect", status_code=202, responses={
    403: _problem("not_authorized: the actor is not an IT admin"),
    404: _problem("not_found: no such connector, or it cannot tell last activity"),
    409: _problem("invalid_state: a pass is running, or the target asked to wait (rate limit)"),
})
def collect_now(connector: ConnectorPath, body: CollectIn, deps: DepsDep) -> dict:
    """Start a collection pass now: the timer runs it within a sweep (the answer does not wait for it)."""
    due_at = perform(deps, Actor(body.actor, Trigger.API), "usage.collect", lambda s, ctx: admin.collect_now(
        s, ctx, connectors=deps.connectors, name=connector, by=directory.require(s, body.actor)),
        subject=("connector", connector))
    return {"connector": connector, "due_at": due_at}
