"""HTTP side of the fake: a threaded stdlib server on 127.0.0.1 and the routing of its three kinds of path.

    /api/<method>          Web API: GET + query, POST form or POST JSON, token from `Authorization: Bearer`
    /response_url/<id>     what respond() posts to after an interaction
    /link?ticket=…         the Socket Mode WebSocket
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from tests.support.fake_slack import auth
from tests.support.fake_slack.methods import HANDLERS
from tests.support.fake_slack.methods.common import Context
from tests.support.fake_slack.outcomes import SlackError
from tests.support.fake_slack.response_urls import ResponseUrlError, post_to_response_url

if TYPE_CHECKING:
    from tests.support.fake_slack.fake import FakeSlack


@dataclass(frozen=True)
class Call:
    """One request the app made, as the append-only call log keeps it."""

    seq: int
    method: str  # a Web API method name, or "response_url"
    args: dict[str, Any] = field(hash=False)
    status: int
    response: dict[str, Any] = field(hash=False)
    injected: bool = False
    at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else self.response.get("error", f"http_{self.status}")


class FakeSlackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a fan-out of parallel calls (offboarding) must not wait on a 5-deep backlog

    def __init__(self, fake: FakeSlack):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), FakeSlackHandler)


class FakeSlackHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeSlackServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the call log is the record; stderr noise would drown test output

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._route()

    def do_POST(self) -> None:  # noqa: N802
        self._route()

    def _route(self) -> None:
        path, _, query = self.path.partition("?")
        fake = self.server.fake
        if path.startswith("/api/"):
            args, form_token = self._arguments(query)
            token = auth.bearer_token(self.headers.get("Authorization"), form_token)
            status, body, headers = call_api(fake, path[len("/api/"):], args, token)
            self._send_json(status, body, headers)
        elif path.startswith("/response_url/"):
            status, body = call_response_url(fake, path[len("/response_url/"):], self._body())
            self._send_json(status, body, {})
        elif path == "/link":
            fake.socket_link.serve(self, query)
        else:
            self._send_json(404, {"ok": False, "error": "unknown_path"}, {})

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _arguments(self, query: str) -> tuple[dict[str, Any], str | None]:
        """Query arguments, overlaid by the form or JSON body. A `token` only counts in a form body."""
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        args.pop("token", None)
        raw = self._body()
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        form_token = None
        if raw and content_type == "application/json":
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = None
            if not isinstance(decoded, dict):
                return {"__invalid_json__": True}, None
            args.update(decoded)
            args.pop("token", None)
        elif raw:
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            form_token = form.pop("token", None)
            args.update(form)
        return args, form_token

    def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def call_api(fake: FakeSlack, method: str, args: dict[str, Any], token: str | None
             ) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Run one Web API call: forced outcome, auth and scope, then the method; every call is logged."""
    outcome = fake.next_outcome(method)
    if outcome is not None:
        time.sleep(outcome.delay)
        if outcome.is_error:
            fake.log_call(method, args, outcome.status, outcome.body or {}, injected=True)
            return outcome.status, outcome.body or {}, dict(outcome.headers)
    headers: dict[str, str] = {}
    try:
        if args.pop("__invalid_json__", False):
            raise SlackError("invalid_json")
        caller = auth.authenticate(method, token, bot_token=fake.bot_token, app_token=fake.app_token,
                                   bot_scopes=fake.scopes)
        headers = scope_headers(method, caller)
        handler = HANDLERS.get(method)
        if handler is None:
            raise SlackError("unknown_method", req_method=method)
        with fake.workspace.lock:
            body = handler(Context(method=method, args=args, caller=caller, fake=fake))
    except SlackError as exc:
        body = exc.body()
    except Exception as exc:  # a bug in the fake must fail the test loudly, not hang up on the client
        body = {"ok": False, "error": "fake_internal_error", "detail": f"{type(exc).__name__}: {exc}"}
        fake.log_call(method, args, 500, body)
        return 500, body, headers
    fake.log_call(method, args, 200, body)
    return 200, body, headers


def scope_headers(method: str, caller: auth.Caller) -> dict[str, str]:
    needed = auth.METHOD_SCOPES.get(method) or ""
    return {"x-oauth-scopes": ",".join(sorted(caller.scopes)), "x-accepted-oauth-scopes": needed}


def call_response_url(fake: FakeSlack, url_id: str, raw: bytes) -> tuple[int, dict[str, Any]]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = None
    try:
        if not isinstance(body, dict):
            raise ResponseUrlError(400, "invalid_payload")
        with fake.workspace.lock:
            answer = post_to_response_url(fake.workspace, url_id, body)
        status = 200
    except ResponseUrlError as exc:
        status, answer = exc.status, {"ok": False, "error": exc.code}
    fake.log_call("response_url", {"url_id": url_id, **(body or {})}, status, answer)
    return status, answer

