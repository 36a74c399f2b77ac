"""The server side of RFC 6455, just enough for Slack's Socket Mode clients (no extensions, no compression).

The handshake is answered on the HTTP server's own connection, so the link shares the fake's port. Server frames
are never masked (RFC 6455 §5.1; slack_sdk's builtin client mishandles masked server frames anyway); client
frames must be masked and are unmasked here. Fragmented messages are reassembled; pings are answered.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import threading
from typing import BinaryIO

OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY = 0x0, 0x1, 0x2
OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG = 0x8, 0x9, 0xA
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(client_key: str) -> str:
    return base64.b64encode(hashlib.sha1((client_key.strip() + _GUID).encode()).digest()).decode()


def encode_frame(opcode: int, payload: bytes) -> bytes:
    length = len(payload)
    header = bytes([0x80 | opcode])
    if length < 126:
        header += bytes([length])
    elif length < 1 << 16:
        header += bytes([126]) + struct.pack("!H", length)
    else:
        header += bytes([127]) + struct.pack("!Q", length)
    return header + payload


class ConnectionClosed(Exception):
    pass


class WebSocketConnection:
    """One upgraded connection. `receive()` runs on the handler thread; `send_*` may come from any thread."""

    def __init__(self, rfile: BinaryIO, wfile: BinaryIO):
        self._rfile, self._wfile = rfile, wfile
        self._send_lock = threading.Lock()
        self.closed = False

    def send_text(self, text: str) -> None:
        self._send(OPCODE_TEXT, text.encode())

    def send_close(self, code: int = 1000, reason: str = "") -> None:
        if not self.closed:
            try:
                self._send(OPCODE_CLOSE, struct.pack("!H", code) + reason.encode())
            except ConnectionClosed:
                pass
        self.closed = True

    def receive(self) -> str:
        """The next text message; answers pings on the way. Raises ConnectionClosed at close or EOF."""
        fragments: list[bytes] = []
        while True:
            fin, opcode, payload = self._read_frame()
            if opcode == OPCODE_PING:
                self._send(OPCODE_PONG, payload)
            elif opcode == OPCODE_PONG:
                continue
            elif opcode == OPCODE_CLOSE:
                self.send_close(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1000)
                raise ConnectionClosed("closed by the client")
            else:
                fragments.append(payload)
                if fin:
                    return b"".join(fragments).decode("utf-8")

    def _read_frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read_exactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read_exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read_exactly(8))[0]
        mask = self._read_exactly(4) if second & 0x80 else b""
        data = self._read_exactly(length)
        if mask:
            data = bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))
        return bool(first & 0x80), first & 0x0F, data

    def _read_exactly(self, count: int) -> bytes:
        data = self._rfile.read(count) if count else b""
        if len(data) < count:
            self.closed = True
            raise ConnectionClosed("connection lost")
        return data

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.closed:
            raise ConnectionClosed("already closed")
        with self._send_lock:
            try:
                self._wfile.write(encode_frame(opcode, payload))
                self._wfile.flush()
            except (OSError, ValueError) as exc:  # ValueError: the handler already closed its file
                self.closed = True
                raise ConnectionClosed(str(exc)) from exc
