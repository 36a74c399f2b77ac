"""Serving Slack: `POST /slack/events` in the FastAPI app (HTTP mode), or a Socket Mode connection.

The route is a plain ``def``: FastAPI runs it in its threadpool, so Bolt's blocking dispatch (which
returns as soon as the listener calls ack()) never blocks the event loop (notes §3 #8). The raw body
is read before anything parses it, and the signature is checked over those exact bytes before
anything else happens: an unsigned, forged or stale request gets 401 without being parsed. A signed
body that is not a Slack payload (``bot.slack.payload_shape``) gets 400; Bolt never sees either.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.logs import log_context
from bot.slack import payload_shape
from bot.slack.runtime import SlackRuntime, build_runtime

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
# Unix seconds in ASCII digits: the verifier's int() would take " 12", "1_2" or "١٢" too, and raise on "".
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


async def raw_body(request: Request) -> bytes:
    return await request.body()


def request_kind(body: dict) -> str:
    if body.get("command"):
        return "command"
    kind = body.get("type") or "unknown"
    return "event" if kind == "event_callback" else kind


def slack_trigger(body: dict) -> str:
    """What in Slack sent this request, for its log lines: ``command /access``, ``block_actions approve``...
    Never raises: Socket Mode payloads are not shape-checked, and a log label must not fail a request."""
    try:
        return _trigger(body)
    except (AttributeError, TypeError):
        return "unknown"


def _trigger(body: dict) -> str:
    if body.get("command"):
        return f"command {body['command']}"
    kind = request_kind(body)
    if kind == "event":
        return f"event {body.get('event', {}).get('type', '?')}"
    if kind == "block_actions":
        return f"block_actions {','.join(a.get('action_id', '?') for a in body.get('actions', []))}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} {body.get('view', {}).get('callback_id', '?')}"
    if kind in ("shortcut", "message_action"):
        return f"{kind} {body.get('callback_id', '?')}"
    return kind


def signed_by_slack(verifier: SignatureVerifier, headers, body: str) -> bool:
    """Slack's v0 signature over the raw bytes, with a timestamp within five minutes of ours."""
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not _TIMESTAMP.fullmatch(timestamp) or not signature:
        return False
    return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)


def _answer(status: int, error: str) -> Response:
    return Response(status_code=status, content=f'{{"error": "{error}"}}'.encode(), media_type="application/json")


def mount(api: FastAPI, bolt: App, signing_secret: str, metrics=None) -> None:
    verifier = SignatureVerifier(signing_secret)

    @api.post(EVENTS_PATH, include_in_schema=False)
    def slack_events(request: Request, body: Annotated[bytes, Depends(raw_body)]) -> Response:
        started = time.perf_counter()
        try:
            text = body.decode("utf-8")  # Slack sends UTF-8; the verifier would raise decoding anything else
        except UnicodeDecodeError:
            log.warning("Slack request refused: the body is not UTF-8")
            return _answer(400, "unreadable request")
        if not signed_by_slack(verifier, request.headers, text):
            log.info("Slack request refused: missing, stale or wrong signature")
            return _answer(401, "invalid signature")
        try:
            payload_shape.read(text, request.headers.get("content-type"))
        except payload_shape.MalformedPayload as error:
            log.warning("signed Slack request refused: %s", error)
            return _answer(400, "not a Slack payload")
        bolt_request = BoltRequest(body=text, query=request.url.query, headers=dict(request.headers))
        with log_context(slack_trigger=slack_trigger(bolt_request.body)):
            answer = bolt.dispatch(bolt_request)
        if metrics is not None:
            metrics.slack_ack_seconds.labels(request_kind(bolt_request.body)).observe(time.perf_counter() - started)
        return Response(status_code=answer.status, content=answer.body, headers=answer.first_headers())

    first_in_line(api, EVENTS_PATH)


def first_in_line(api: FastAPI, path: str) -> None:
    """Move the route at ``path`` to the front of the app's routes. Starlette tries routes in order on
    every request, and each included router (health, admin API, reviews, usage, hooks, SCIM) walks its
    own routes: under the ack bench that matching was ~10 % of the web process's GIL time (py-spy),
    about 0.4 ms per click. No other route's path can match ``/slack/events``, so only the cost changes."""
    routes = api.router.routes
    index = next(i for i, route in enumerate(routes) if getattr(route, "path", None) == path)
    routes.insert(0, routes.pop(index))


def slack_plugin(api: FastAPI, deps) -> Callable[[], None]:
    """HTTP mode: Slack calls /slack/events; the notifier runs in this process."""
    if api.state.settings.slack_signing_secret is None:  # blank counts as unset (bot/settings.py)
        raise ValueError("SLACK_SIGNING_SECRET is not set: /slack/events cannot tell Slack from anyone else")
    secret = api.state.settings.slack_signing_secret.get_secret_value()
    runtime = build_runtime(api.state.settings, deps).start()
    api.state.slack = runtime
    mount(api, runtime.bolt, secret, getattr(api.state, "metrics", None))
    return runtime.stop


def socket_mode_plugin(api: FastAPI, deps) -> Callable[[], None]:
    """Socket Mode: the app dials out to Slack (no public URL); HTTP still serves health and metrics."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings = api.state.settings
    runtime: SlackRuntime = build_runtime(settings, deps).start()
    api.state.slack = runtime
    class TracedSocketModeHandler(SocketModeHandler):
        def handle(self, client, req) -> None:  # the log lines of each request name what Slack sent
            with log_context(slack_trigger=slack_trigger(req.payload if isinstance(req.payload, dict) else {})):
                super().handle(client, req)

    handler = TracedSocketModeHandler(runtime.bolt, app_token=settings.slack_app_token.get_secret_value())
    handler.connect()

    def stop() -> None:
        handler.client.auto_reconnect_enabled = False
        handler.close()
        runtime.stop()

    return stop
