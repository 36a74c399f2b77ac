"""Admin API: the same operations as Slack and the CLI, for scripts and other tools.

Authenticated with a bearer token (ACCESSBOT_ADMIN_API_TOKEN); without one configured the API is
closed. The token identifies the integration; the ``actor`` field names the person on whose
behalf it acts, and the operation applies that person's rights (an approver must be an approver).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.deps import Deps
from bot.directory import service as directory
from bot.domain.enums import Trigger, Verdict
from bot.domain.limits import DB_INT_MAX, SchedulableDatetime, StorableStr
from bot.operations import perform
from bot.store.models import Grant
from bot.workflow.context import Actor
from bot.workflow.decide import decide
from bot.workflow.end_grant import revoke
from bot.workflow.manual_tasks import require_it_admin
from bot.workflow.submit import USE_DEFAULT, submit
from policies import DurationError, parse_duration

router = APIRouter(tags=["admin"])


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    expected = deps.settings.admin_api_token
    given = request.headers.get("authorization", "")
    if expected is None or not given.startswith("Bearer ") or not hmac.compare_digest(
            given.removeprefix("Bearer ").encode(), expected.get_secret_value().encode()):
        raise HTTPException(401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    return deps


DepsDep = Annotated[Deps, Depends(_deps)]
# Ids beyond BIGINT, NUL or lone surrogates get 422 here, before a query the database would refuse.
RowIdPath = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
EmailPath = Annotated[StorableStr, Path(max_length=320)]


class RequestIn(BaseModel):
    requester: StorableStr = Field(description="email of the person who needs access")
    entitlement: StorableStr = Field(description='"app:role"')
    duration: StorableStr | None = Field(None, description='"4h", "1d", "permanent"; default: the policy default')
    justification: StorableStr = ""
    ticket: StorableStr = ""
    starts_at: SchedulableDatetime | None = None


class DecisionIn(BaseModel):
    approver: StorableStr
    verdict: Literal["approve", "deny"]
    reason: StorableStr = ""


class RevokeIn(BaseModel):
    actor: StorableStr = Field(description="email of the IT admin revoking")
    reason: StorableStr


class GrantOut(BaseModel):
    id: int
    entitlement: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    granted_by: str


def _duration(text: str | None):
    if text is None:
        return USE_DEFAULT
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/requests", status_code=201)
def create_request(body: RequestIn, deps: DepsDep) -> dict:
    duration = _duration(body.duration)
    result = perform(deps, Actor(body.requester, Trigger.API), "submit", lambda s, ctx: submit(
        s, ctx, requester=directory.require(s, body.requester), entitlement=body.entitlement, duration=duration,
        justification=body.justification, ticket=body.ticket, starts_at=body.starts_at))
    return {"id": result.request.id, "status": result.request.status, "outcome": result.outcome}


@router.post("/requests/{request_id}/decisions")
def decide_request(request_id: RowIdPath, body: DecisionIn, deps: DepsDep) -> dict:
    result = perform(deps, Actor(body.approver, Trigger.API), "decide", lambda s, ctx: decide(
        s, ctx, request_id=request_id, approver=directory.require(s, body.approver), verdict=Verdict(body.verdict),
        reason=body.reason), subject=("request", request_id))
    return {"id": request_id, "status": result.request.status, "final": result.final}


@router.get("/people/{email}/grants")
def grants_of(email: EmailPath, deps: DepsDep) -> list[GrantOut]:
    with deps.store.uow() as s:
        person = directory.require(s, email)
        rows = s.scalars(select(Grant).where(Grant.person_id == person.id).order_by(Grant.id)).all()
        return [GrantOut(id=g.id, entitlement=g.entitlement, status=g.status, starts_at=g.starts_at,
                         ends_at=g.ends_at, granted_by=g.granted_by) for g in rows]


@router.post("/grants/{grant_id}/revoke")
def revoke_grant(grant_id: RowIdPath, body: RevokeIn, deps: DepsDep) -> dict:
    def run(s, ctx):
        admin = directory.require(s, body.actor)
        require_it_admin(ctx, admin, "revoke access")
        return revoke(s, ctx, grant_id=grant_id, by=admin, reason=body.reason)

    grant = perform(deps, Actor(body.actor, Trigger.API), "revoke", run, subject=("grant", grant_id))
    return {"id": grant.id, "status": grant.status}
