"""Admin API for access reviews: the campaign verbs of ``/access-admin review`` and ``accessbot review``.

``actor`` names the IT admin on whose behalf the integration acts; a reviewer's decision names the
reviewer, and is authorised against the item's current reviewer like a click in Slack.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from bot.directory import service as directory
from bot.domain.enums import Trigger
from bot.domain.limits import StorableStr
from bot.http.admin import COMMON_ERRORS, DepsDep, RowIdPath
from bot.ledger.context import Actor
from bot.ledger.authorisation import require_it_admin
from bot.operations import perform
from bot.reviews import admin, queries
from bot.reviews import decide as decisions
from bot.reviews.report_pdf import render_pdf

router = APIRouter(tags=["reviews"], responses=COMMON_ERRORS)
# Names and refs reach the database: the same storable-text rule as every other admin input.
NamePath = Annotated[StorableStr, Path()]


class ActorIn(BaseModel):
    actor: StorableStr = Field(description="email of the IT admin")


class ReviewDecisionIn(BaseModel):
    reviewer: StorableStr = Field(description="email of the item's reviewer")
    decision: Literal["keep", "revoke"]
    reason: StorableStr = ""


def _as_admin(body: ActorIn, fn):
    def op(s, ctx):
        by = directory.require(s, body.actor)
        require_it_admin(ctx, by, "run access reviews")
        return fn(s, ctx, by)
    return op


def _progress(p: queries.Progress) -> dict:
    return {"id": p.campaign_id, "name": p.name, "status": p.status, "due_at": p.due_at, "items": p.total,
            "decided": p.decided, "by_status": p.by_status}


@router.post("/reviews/{name}/start", status_code=201)
def start_review(name: NamePath, body: ActorIn, deps: DepsDep) -> dict:
    return _progress(perform(deps, Actor(body.actor, Trigger.API), "review.start", _as_admin(
        body, lambda s, ctx, by: admin.start(s, ctx, name=name, by=by)), subject=("review_campaign", name)))


@router.get("/reviews")
def list_reviews(deps: DepsDep) -> list[dict]:
    with deps.store.uow() as s:
        return [_progress(p) for p in admin.status(s)]


@router.get("/reviews/{ref}")
def review_status(ref: NamePath, deps: DepsDep) -> dict:
    with deps.store.uow() as s:
        return _progress(admin.status(s, ref)[0])


@router.post("/reviews/{ref}/remind")
def remind_review(ref: NamePath, body: ActorIn, deps: DepsDep) -> dict:
    count = perform(deps, Actor(body.actor, Trigger.API), "review.remind", _as_admin(
        body, lambda s, ctx, by: admin.remind(s, ctx, ref=ref, by=by)), subject=("review_campaign", ref))
    return {"reminded": count}


@router.post("/reviews/{ref}/close")
def close_review(ref: NamePath, body: ActorIn, deps: DepsDep) -> dict:
    return _progress(perform(deps, Actor(body.actor, Trigger.API), "review.close", _as_admin(
        body, lambda s, ctx, by: admin.close(s, ctx, ref=ref, by=by)), subject=("review_campaign", ref)))


@router.get("/reviews/{ref}/report")
def review_report(ref: NamePath, deps: DepsDep, format: Literal["csv", "jsonl", "pdf"] = "jsonl") -> Response:  # noqa: A002
    with deps.store.uow() as s:
        run = admin.run_of(s, ref)
        rows = queries.report_rows(s, run)
        if format == "pdf":
            return Response(render_pdf(queries.progress(s, run), rows, generated_at=deps.clock.now()),
                            media_type="application/pdf")
    return PlainTextResponse(queries.render_report(rows, format),
                             media_type="text/csv" if format == "csv" else "application/jsonl")


@router.post("/review-items/{item_id}/decision")
def decide_item(item_id: RowIdPath, body: ReviewDecisionIn, deps: DepsDep) -> dict:
    status = perform(deps, Actor(body.reviewer, Trigger.API), "review.decide", lambda s, ctx: decisions.decide(
        s, ctx, item_id=item_id, reviewer=directory.require(s, body.reviewer), verdict=body.decision,
        reason=body.reason).status, subject=("review_item", item_id))
    return {"id": item_id, "status": status}
