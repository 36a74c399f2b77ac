"""``POST /hooks/hr``: joiner, mover and leaver events from an HR system.

Every request is signed with the shared secret ``ACCESSBOT_HR_WEBHOOK_SECRET``, the same ``v1``
signature our webhook connector sends (``connectors.webhook_signature``)::

    X-Accessbot-Timestamp: 1793611200                      (Unix seconds, within 5 minutes of ours)
    X-Accessbot-Signature: v1=<hex HMAC-SHA256(secret, "v1:{timestamp}:{raw body}")>

While a secret is rotated, ``ACCESSBOT_HR_WEBHOOK_PREVIOUS_SECRET`` is accepted too.

A bad or missing signature, or a timestamp outside the window, is refused with 401 before the
body is read as JSON. A body that is not a valid event (``bot.lifecycle.events.HrEvent``; its JSON
schema is served at ``GET /hooks/hr/schema``) gets 400 with every problem. An event the directory
cannot take (unknown manager, ambiguous identity) gets 409/422 with the reason. In all of these
cases nothing changes. An event id seen before is acknowledged with 200 and ignored (replays and
HR retries); a new one gets 202 and its effects start at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bot.domain.errors import DomainError
from bot.http.errors import problem
from bot.lifecycle import intake
from bot.lifecycle.events import HrEvent
from connectors.webhook_signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signature_problem

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "hooks_plugin", "sign"]

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024

router = APIRouter(tags=["hooks"])


@router.get("/hooks/hr/schema")
def hr_event_schema() -> dict:
    return HrEvent.model_json_schema()


@router.post("/hooks/hr", status_code=202)
async def hr_event(request: Request):
    body = await request.body()
    if len(body) > MAX_BODY:
        return problem(413, "payload too large", f"An HR event is at most {MAX_BODY // 1024} KiB.")
    return await run_in_threadpool(handle, request.app.state.deps, request.headers, body)


def handle(deps, headers: Mapping[str, str], body: bytes):
    settings = deps.settings
    if settings.hr_webhook_secret is None:
        return problem(503, "not configured", "The HR webhook is off: set ACCESSBOT_HR_WEBHOOK_SECRET.")
    secrets = [s.get_secret_value() for s in (settings.hr_webhook_secret, settings.hr_webhook_previous_secret) if s]
    refused = signature_problem(secrets, headers, body, deps.clock.now())
    if refused:
        log.warning("HR webhook refused: %s", refused)
        return problem(401, "unauthorized", refused)
    try:
        event = HrEvent.model_validate_json(body)
    except ValidationError as error:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "(body)", "message": e["msg"]}
                  for e in error.errors(include_input=False, include_url=False)]
        return problem(400, "invalid event", "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                       errors=errors)
    try:
        result = intake.receive_hr(deps, event)
    except DomainError as error:
        status = error.http_status if error.http_status == 409 else 422
        return problem(status, error.code.replace("_", " "), error.message, code=error.code)
    return JSONResponse(status_code=200 if result.status == "duplicate" else 202, content={
        "event_id": event.event_id, "status": result.status, "person": result.person_email,
        "offboarding_ids": result.offboarding_ids, "notes": result.notes})


def hooks_plugin(app: FastAPI, deps) -> None:
    """``create_app(plugins=[hooks_plugin, ...])``: mounts ``/hooks/hr``."""
    app.include_router(router)
