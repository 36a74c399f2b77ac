"""Serving Slack: `POST /slack/events` in the FastAPI app (HTTP mode), or a Socket Mode connection.

The route is a plain ``def``: FastAPI runs it in its threadpool, so Bolt's blocking dispatch (which
returns as soon as the listener calls ack()) never blocks the event loop (notes §3 #8). The raw body
is read before anything parses it, so the signature is checked over the exact bytes Slack signed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from slack_bolt import App, BoltRequest

from bot.logs import log_context
from bot.slack.runtime import SlackRuntime, build_runtime

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


async def raw_body(request: Request) -> bytes:
    return await request.body()


def request_kind(body: dict) -> str:
    if body.get("command"):
        return "command"
    kind = body.get("type") or "unknown"
    return "event" if kind == "event_callback" else kind


def slack_trigger(body: dict) -> str:
    """What in Slack sent this request, for its log lines: ``command /access``, ``block_actions approve``..."""
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


def mount(api: FastAPI, bolt: App, metrics=None) -> None:
    @api.post(EVENTS_PATH, include_in_schema=False)
    def slack_events(request: Request, body: Annotated[bytes, Depends(raw_body)]) -> Response:
        started = time.perf_counter()
        try:
            bolt_request = BoltRequest(body=body.decode("utf-8"), query=request.url.query,
                                       headers=dict(request.headers))
            trigger = slack_trigger(bolt_request.body)
        except (UnicodeDecodeError, ValueError, AttributeError, TypeError):
            # Bolt and slack_trigger read the payload as Slack shapes it (objects in objects); a
            # `payload=[]` or `"actions": "x"` is unreadable, not a server error.
            return Response(status_code=400, content=b'{"error": "unreadable request"}',
                            media_type="application/json")
        with log_context(slack_trigger=trigger):
            answer = bolt.dispatch(bolt_request)
        if metrics is not None:
            metrics.slack_ack_seconds.labels(request_kind(bolt_request.body)).observe(time.perf_counter() - started)
        return Response(status_code=answer.status, content=answer.body, headers=answer.first_headers())


def slack_plugin(api: FastAPI, deps) -> Callable[[], None]:
    """HTTP mode: Slack calls /slack/events; the notifier runs in this process."""
    runtime = build_runtime(api.state.settings, deps).start()
    api.state.slack = runtime
    mount(api, runtime.bolt, getattr(api.state, "metrics", None))
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
