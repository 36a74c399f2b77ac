"""How a payload reaches the app: a signed HTTP POST to /slack/events, or an envelope over Socket Mode.

Both answer with an `Ack`, so every SlackSim method works in both modes. HTTP encodes the three kinds as Slack
does: slash commands as a form, interactions as a form with one `payload` field, events as raw JSON.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from tests.support import slow_acks
from tests.support.fake_slack.socket_mode import SocketModeLink
from tests.support.fake_slack.state import to_seconds
from tests.support.slack_driver.signing import signed_headers

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class Ack:
    """The app's answer: HTTP status (200 for a Socket Mode ack), decoded body and how long it took."""

    status: int
    body: Any  # a dict for JSON, a str for text, None when empty
    latency: float
    headers: dict[str, str] = field(default_factory=dict)
    trigger_id: str | None = None
    response_url: str | None = None

    @property
    def json(self) -> dict[str, Any]:
        """The body as Slack reads it: JSON as is, plain text as `{"text": …}`, nothing as `{}`."""
        if isinstance(self.body, dict):
            return self.body
        return {"text": self.body} if self.body else {}

    def with_context(self, **context: Any) -> Ack:
        return Ack(self.status, self.body, self.latency, self.headers, **context)


class Transport(Protocol):
    def deliver(self, kind: str, payload: dict[str, Any], *, retry_num: int | None = None,
                retry_reason: str | None = None) -> Ack: ...


class HttpTransport:
    """Signed POSTs to the app's events URL. `app` is a base URL (a real server, e.g. uvicorn on 127.0.0.1)
    or any client with httpx's `post(url, content=, headers=)`: an httpx.Client, or Starlette's TestClient
    (an httpx2.Client since Starlette 1.x)."""

    def __init__(self, app: Any, signing_secret: str, *, clock: Any = None, path: str = "/slack/events",
                 timeout: float = 5.0):
        self.client = httpx.Client(base_url=app, timeout=timeout) if isinstance(app, str) else app
        self.signing_secret, self.clock, self.path = signing_secret, clock, path

    def deliver(self, kind: str, payload: dict[str, Any], *, retry_num: int | None = None,
                retry_reason: str | None = None) -> Ack:
        if kind == "slash_commands":
            body, content_type = urlencode(payload).encode(), FORM
        elif kind == "interactive":
            body, content_type = urlencode({"payload": json.dumps(payload)}).encode(), FORM
        else:
            body, content_type = json.dumps(payload).encode(), JSON
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason or "http_timeout"}
        return self.post(body, content_type, headers=extra)

    def post(self, body: bytes, content_type: str, *, timestamp: int | None = None, secret: str | None = None,
             headers: dict[str, str] | None = None) -> Ack:
        stamp = self.now() if timestamp is None else timestamp
        all_headers = signed_headers(secret or self.signing_secret, stamp, body, content_type)
        all_headers.update(headers or {})
        started = time.perf_counter()
        try:
            with slow_acks.watched(f"POST {self.path}"):
                response = self.client.post(self.path, content=body, headers=all_headers)
        except Exception as exc:
            if "Timeout" not in type(exc).__name__:  # httpx and httpx2 name their timeouts alike
                raise
            raise AssertionError(f"the app did not answer within {time.perf_counter() - started:.1f} s") from exc
        latency = time.perf_counter() - started
        return Ack(response.status_code, decode_body(response), latency, dict(response.headers))

    def now(self) -> int:
        return int(to_seconds(self.clock.now())) if self.clock is not None else int(time.time())


class SocketTransport:
    """Envelopes over the fake's /link WebSocket to the connected app; unsigned, as in Slack."""

    def __init__(self, link: SocketModeLink, *, timeout: float = 3.0):
        self.link, self.timeout = link, timeout

    def deliver(self, kind: str, payload: dict[str, Any], *, retry_num: int | None = None,
                retry_reason: str | None = None) -> Ack:
        ack = self.link.send(kind, payload, retry_attempt=retry_num or 0, retry_reason=retry_reason or "",
                             timeout=self.timeout)
        return Ack(200, ack.payload, ack.latency)


def decode_body(response: Any) -> Any:
    if not response.content:
        return None
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text
