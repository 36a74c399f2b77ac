"""Admin API: the same operations as Slack and the CLI, for scripts and other tools.

Authenticated with a bearer token (ACCESSBOT_ADMIN_API_TOKEN); without one configured the API is
closed. The token identifies the integration; the ``actor`` field names the person on whose
behalf it acts, and the operation applies that person's rights (an approver must be an approver).
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.admin import grant as admin_grant
from bot.deps import Deps
from bot.directory import service as directory
from bot.domain.enums import Trigger, Verdict
from bot.domain.limits import DB_INT_MAX, SchedulableDatetime, StorableStr
from bot.ledger.context import Actor
from bot.operations import perform
from bot.reporting.figures import OUT_OF_BOUNDS, Period, compute
from bot.reporting.tables import as_document
from bot.requests.bundle import submit_bundle
from bot.requests.decide import decide
from bot.requests.submit import USE_DEFAULT, submit
from bot.store.models import Grant
from policies import DurationError, parse_duration

# Declared in the OpenAPI document as the "HTTPBearer" security scheme; auto_error=False so that a
# missing header gets the same 401 (and WWW-Authenticate) as a wrong one, not FastAPI's 403.
bearer = HTTPBearer(auto_error=False, description="ACCESSBOT_ADMIN_API_TOKEN")


class Problem(BaseModel):
    """An RFC 9457 problem document (refusals add ``code`` and sometimes ``field``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = None
    field: str | None = None


def _problem(description: str) -> dict:
    return {"description": description, "model": Problem}


# Answers every route may give; each route adds its own (docs/api.md lists them with their codes).
COMMON_ERRORS = {
    401: {"description": "No bearer token, a wrong one, or no ACCESSBOT_ADMIN_API_TOKEN configured "
                         "(the API is closed)"},
    404: _problem("unknown_person: the email is not in the directory; not_found: no such request or grant"),
    422: {"description": "The body does not match the schema, or duration is not a duration"},
}

router = APIRouter(tags=["admin"], responses=COMMON_ERRORS)


def _deps(request: Request,
          credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Deps:
    deps: Deps = request.app.state.deps
    expected = deps.settings.admin_api_token
    if expected is None or credentials is None or not hmac.compare_digest(
            credentials.credentials.encode(), expected.get_secret_value().encode()):
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


class BundleRequestIn(BaseModel):
    requester: StorableStr = Field(description="email of the person who needs access")
    duration: StorableStr | None = Field(None, description='one for every entitlement; default: each policy\'s '
                                                           'default')
    justification: StorableStr = ""
    ticket: StorableStr = ""


class DecisionIn(BaseModel):
    approver: StorableStr
    verdict: Literal["approve", "deny"]
    reason: StorableStr = ""


class PushIn(BaseModel):
    actor: StorableStr = Field(description="email of the IT admin pushing the access")
    entitlement: StorableStr = Field(description='"app:role"')
    duration: StorableStr = Field(description='"4h", "1d", "permanent" (within the entitlement\'s bounds)')
    reason: StorableStr = Field(description="why, for the person and the audit log")


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


@router.post("/requests", status_code=201, responses={
    400: _problem("missing_justification, invalid_duration, or another refusal of the policy"),
    403: _problem("not_eligible: the policy does not let the requester ask for this entitlement"),
    409: _problem("sod_conflict: the grant would break a separation-of-duties rule"),
})
def create_request(body: RequestIn, deps: DepsDep) -> dict:
    duration = _duration(body.duration)
    result = perform(deps, Actor(body.requester, Trigger.API), "submit", lambda s, ctx: submit(
        s, ctx, requester=directory.require(s, body.requester), entitlement=body.entitlement, duration=duration,
        justification=body.justification, ticket=body.ticket, starts_at=body.starts_at))
    return {"id": result.request.id, "status": result.request.status, "outcome": result.outcome}


@router.post("/bundles/{bundle}/requests", status_code=201, responses={
    403: _problem("not_eligible / not_requestable: an entitlement of the bundle may not be requested by this person"),
    404: _problem("not_found: no such bundle or person"),
    422: _problem("invalid input: a bad duration, or a missing justification or ticket"),
})
def create_bundle_request(bundle: Annotated[StorableStr, Path()], body: BundleRequestIn, deps: DepsDep) -> dict:
    """Request every entitlement of a bundle in one approval round (docs/policies.md, "Bundles").
    ``id`` is the bundle's request, the one to decide (POST /requests/{id}/decisions) for all of them."""
    duration = _duration(body.duration)
    result = perform(deps, Actor(body.requester, Trigger.API), "submit_bundle", lambda s, ctx: submit_bundle(
        s, ctx, requester=directory.require(s, body.requester), bundle=bundle, duration=duration,
        justification=body.justification, ticket=body.ticket))
    return {"id": result.lead.id, "status": result.lead.status, "outcome": result.outcome, "bundle": bundle,
            "requests": [{"id": r.id, "entitlement": r.entitlement, "status": r.status} for r in result.requests]}


@router.post("/requests/{request_id}/decisions", responses={
    403: _problem("not_authorized / self_approval: the approver may not decide this step"),
    409: _problem("already_decided, or invalid_state: the request is no longer pending"),
})
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


@router.post("/people/{email}/grants", status_code=201, responses={
    400: _problem("missing_justification, invalid_duration: a reason or a duration the policy refuses"),
    403: _problem("not_authorized / self_approval / not_eligible: not an IT admin, a push to oneself, or a person "
                  "the entitlement's eligibility rule (or status) excludes"),
    409: _problem("sod_conflict: the grant would break a separation-of-duties rule"),
})
def push_access(email: EmailPath, body: PushIn, deps: DepsDep) -> dict:
    """IT pushes access without an approval round, under the rules of docs/lifecycle.md ("IT pushes access"):
    the same operation as ``/access-admin grant``."""
    duration = _duration(body.duration)
    request = perform(deps, Actor(body.actor, Trigger.API), "admin_grant", lambda s, ctx: admin_grant.push_grant(
        s, ctx, admin=directory.require(s, body.actor), person=directory.require(s, email),
        entitlement=body.entitlement, duration=duration, reason=body.reason), subject=("person", email))
    return {"request_id": request.id, "grant_id": request.grant_id, "status": request.status}


@router.post("/grants/{grant_id}/revoke", responses={
    403: _problem("not_authorized: the actor is not an IT admin"),
    409: _problem("invalid_state: the grant is not active"),
})
def revoke_grant(grant_id: RowIdPath, body: RevokeIn, deps: DepsDep) -> dict:
    grant = perform(deps, Actor(body.actor, Trigger.API), "revoke", lambda s, ctx: admin_grant.revoke_grant(
        s, ctx, admin=directory.require(s, body.actor), grant_id=grant_id, reason=body.reason),
        subject=("grant", grant_id))
    return {"id": grant.id, "status": grant.status}


@router.get("/report")
def report(deps: DepsDep, since: datetime | None = None, until: datetime | None = None) -> dict:
    """The lifecycle figures (docs/metrics.md) as ``accessbot report --format json`` gives them;
    the default period is the 30 days to now. Times without an offset are UTC."""
    now = deps.clock.now()
    with deps.store.uow() as s:
        return as_document(compute(s, period_of(now, since, until), now))


def period_of(now: datetime, since: datetime | None, until: datetime | None) -> Period:
    """``since``/``until`` query parameters: default the 30 days to now; 422 for a period that is not one."""
    end = _utc(until) if until else now
    try:
        return Period(_utc(since) if since else end - timedelta(days=30), end)
    except OverflowError:  # a default start before year 1
        raise HTTPException(422, OUT_OF_BOUNDS) from None
    except ValueError as error:
        raise HTTPException(422, str(error)) from None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
