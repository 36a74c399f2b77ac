"""ASGI middleware of the web app: a request id on every log line, and the optional bearer token in
front of /metrics and the API documentation. Plain ASGI (no BaseHTTPMiddleware): the Slack ack path
goes through here and must not pay for a task per request."""

from __future__ import annotations

import hmac
import re
import uuid

from bot.logs import log_context

# The paths ACCESSBOT_METRICS_TOKEN guards: what a scraper or a curious visitor reads, not what Slack,
# the HR system or the identity provider call (those have their own authentication).
GUARDED_PATHS = frozenset({"/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIdMiddleware:
    """Logs of one HTTP request share an id: the caller's X-Request-ID when it is a sane token
    (a proxy or an ingress set it), else a fresh one; it is sent back in X-Request-ID."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        with log_context(http_request_id=request_id):
            await self.app(scope, receive, send_with_id)


class BearerGuardMiddleware:
    """401 for GUARDED_PATHS unless ``Authorization: Bearer <token>`` carries the token."""

    def __init__(self, app, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] in GUARDED_PATHS and not self.allowed(
                (_header(scope, b"authorization") or "").encode()):
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/problem+json"),
                                    (b"www-authenticate", b'Bearer realm="accessbot"')]})
            await send({"type": "http.response.body", "body": UNAUTHORIZED})
            return
        await self.app(scope, receive, send)

    def allowed(self, given: bytes) -> bool:
        return hmac.compare_digest(given, self.expected)


UNAUTHORIZED = (b'{"type": "about:blank", "title": "unauthorized", "status": 401, '
                b'"detail": "this path wants a bearer token (ACCESSBOT_METRICS_TOKEN)"}')


def metrics_token(settings) -> str | None:
    """The token guarding /metrics and the API docs, or None (open) when unset or blank."""
    token = settings.metrics_token.get_secret_value().strip() if settings.metrics_token else ""
    return token or None


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None
