"""Socket Mode: `apps.connections.open` hands out `ws://127.0.0.1:P/link?ticket=…`; the app connects there.

Protocol (notes/slack-platform.md §8): on connect the server sends `{"type": "hello", …}`; it then pushes
envelopes `{"envelope_id", "type", "payload", "accepts_response_payload", "retry_attempt", "retry_reason"}`
and the app acks each with `{"envelope_id", "payload"?}`. Tickets are single use, like Slack's URLs.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from tests.support.fake_slack.state import APP_ID
from tests.support.fake_slack.websocket import ConnectionClosed, WebSocketConnection, accept_key

if TYPE_CHECKING:
    from tests.support.fake_slack.fake import FakeSlack

ACK_TIMEOUT_SECONDS = 3.0
# Slack expects a payload in the ack only where the answer can carry one.
_ACCEPTS_PAYLOAD = {"slash_commands": True, "events_api": False}
_INTERACTIVE_WITH_PAYLOAD = {"view_submission", "block_suggestion"}


@dataclass(frozen=True)
class SocketAck:
    envelope_id: str
    payload: dict[str, Any] | None
    latency: float


class SocketModeLink:
    def __init__(self, fake: FakeSlack):
        self._fake = fake
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[tuple[WebSocketConnection, socket.socket]] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._retiring: list[WebSocketConnection] = []  # asked to reconnect; closed once a successor connects
        self.connects = 0  # how many times an app completed the handshake

    def issue_url(self) -> str:
        ticket = uuid.uuid4().hex
        with self._lock:
            self._tickets.add(ticket)
        return f"{self._fake.url.replace('http://', 'ws://')}/link?ticket={ticket}&app_id={APP_ID}"

    def serve(self, handler: BaseHTTPRequestHandler, query: str) -> None:
        """Run one connection on the HTTP handler's thread until the app or the fake closes it."""
        ticket = (parse_qs(query).get("ticket") or [""])[0]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        key = handler.headers.get("Sec-WebSocket-Key")
        if not valid or not key or handler.headers.get("Upgrade", "").lower() != "websocket":
            handler.send_error(401 if not valid else 400)
            return
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept_key(key))
        handler.end_headers()
        handler.close_connection = True
        connection = WebSocketConnection(handler.rfile, handler.wfile)
        with self._lock:
            self._connections.append((connection, handler.connection))
            self.connects += 1
            retiring, self._retiring = self._retiring, []
            self._lock.notify_all()
        for old in retiring:
            old.send_close(1001, "replaced by a new connection")  # as Slack does shortly after `disconnect`
        try:
            connection.send_text(json.dumps(hello_message()))
            self._receive_acks(connection)
        except ConnectionClosed:
            pass  # the app hung up right after the handshake
        finally:
            with self._lock:
                self._connections = [(c, s) for c, s in self._connections if c is not connection]

    def _receive_acks(self, connection: WebSocketConnection) -> None:
        while True:
            try:
                message = json.loads(connection.receive())
            except (ConnectionClosed, OSError, ValueError):
                return
            if isinstance(message, dict) and "envelope_id" in message:
                with self._lock:
                    self._acks[message["envelope_id"]] = message
                    self._lock.notify_all()

    def wait_connected(self, timeout: float = 5.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: self._connections, timeout):
                raise AssertionError(f"no Socket Mode client connected within {timeout} s")

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def send(self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = "",
             timeout: float = ACK_TIMEOUT_SECONDS) -> SocketAck:
        """Push one envelope to the newest connection and wait for its ack."""
        envelope_id = str(uuid.uuid4())
        accepts = _ACCEPTS_PAYLOAD.get(kind, payload.get("type") in _INTERACTIVE_WITH_PAYLOAD)
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": accepts}
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._lock:
            if not self._connections:
                raise AssertionError("no Socket Mode client is connected to the fake")
            connection = self._connections[-1][0]
        started = time.monotonic()
        try:
            connection.send_text(json.dumps(envelope))
        except ConnectionClosed as exc:
            raise AssertionError(f"the Socket Mode connection closed before the {kind} envelope went out") from exc
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no ack for {kind} envelope within {timeout} s (Slack would redeliver)")
            ack = self._acks.pop(envelope_id)
        return SocketAck(envelope_id, ack.get("payload"), time.monotonic() - started)

    def ask_to_reconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's `disconnect` message: the client should open a new connection."""
        with self._lock:
            connections = [c for c, _ in self._connections]
            self._retiring.extend(connections)
        for connection in connections:
            try:
                connection.send_text(json.dumps({"type": "disconnect", "reason": reason,
                                                 "debug_info": {"host": "applink-fake"}}))
            except ConnectionClosed:
                pass  # already gone: nothing to ask

    def close_all(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection, raw_socket in connections:
            connection.send_close(1001, "server stopping")
            try:
                raw_socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def hello_message() -> dict[str, Any]:
    return {"type": "hello", "num_connections": 1,
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID}}
