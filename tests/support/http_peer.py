"""A real HTTP server on 127.0.0.1:0 that plays an outside party: a webhook receiver, a flaky API.

It records every request, checks accessbot's webhook signature the way a customer would (its own
HMAC code, deliberately not ``connectors.webhook``), and answers from a per-route script, then
from a responder function, then with ``default``. A scripted ``Reply(drop=True)`` closes the
connection without answering, which is what a crashing proxy does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the socket without a response
    delay: float = 0.0  # seconds to wait before answering (timeouts)

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if self.json is not None:
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.json).encode(), headers
        body = self.body.encode() if isinstance(self.body, str) else self.body
        return body, headers


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    signature_ok: bool | None  # None when the peer has no secret

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Recorded], Reply | None]


class HttpPeer:
    def __init__(self, *, secret: str | None = None, default: Reply | None = None,
                 responder: Responder | None = None):
        self.secret = secret
        self.default = default or Reply(200, json={"ok": True})
        self.responder = responder
        self.requests: list[Recorded] = []
        self._scripts: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> HttpPeer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HttpPeer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def script(self, method: str, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``method path`` with these replies, in order."""
        with self._lock:
            self._scripts[(method.upper(), path)].extend(replies)

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == method.upper() and r.path == path]

    # -- server side ------------------------------------------------------------------------------
    def _answer(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            queue = self._scripts.get((recorded.method, recorded.path))
            if queue:
                return queue.popleft()
        if self.responder is not None:
            reply = self.responder(recorded)
            if reply is not None:
                return reply
        return self.default

    def _signature_ok(self, headers: dict[str, str], body: bytes) -> bool | None:
        if self.secret is None:
            return None
        timestamp = headers.get("x-accessbot-timestamp", "")
        sent = headers.get("x-accessbot-signature", "")
        mac = hmac.new(self.secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256)
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
        # docs/connectors.md: during a rotation the header holds several comma-separated v1= values.
        return fresh and any(hmac.compare_digest(value.strip(), "v1=" + mac.hexdigest()) for value in sent.split(","))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this, Nagle plus delayed ACKs add
            # 40 ms to every request.
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                split = urlsplit(self.path)
                recorded = Recorded(self.command, split.path, split.query, headers, body,
                                    peer._signature_ok(headers, body))
                reply = peer._answer(recorded)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                payload, extra = reply.encoded()
                self.send_response(reply.status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (timeout tests)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler


class WebhookReceiver:
    """A customer's in-house system behind accessbot's webhook: a responder for HttpPeer.

    Refuses unsigned or badly signed requests (401), keeps who holds what, answers 409 to a
    grant already held and to a revoke of something not held, 404 person_not_found for people
    it does not know, and answers ``check`` and ``ping``.
    """

    def __init__(self, known_people: set[str] | None = None):
        self.known_people = known_people
        self.holdings: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def __call__(self, request: Recorded) -> Reply:
        if request.signature_ok is not True:
            return Reply(401, json={"error": "bad_signature"})
        body = request.json()
        if body["action"] == "ping":
            return Reply(200, json={"ok": True})
        email = body["person"]["email"]
        if self.known_people is not None and email not in self.known_people:
            return Reply(404, json={"error": "person_not_found", "detail": f"no {email} here"})
        return self._apply(body["action"], (email, body["target"]))

    def _apply(self, action: str, holding: tuple[str, str]) -> Reply:
        with self._lock:
            held = holding in self.holdings
            if action == "check":
                return Reply(200, json={"granted": held})
            if (action == "grant") == held:
                return Reply(409, json={"detail": "already in that state"})
            (self.holdings.add if action == "grant" else self.holdings.discard)(holding)
            return Reply(200, json={"status": "applied"})
