"""Signing of accessbot's webhook requests: the sending half and the receiving half.

Standard library only, so a customer can copy this file next to their endpoint. The signed
string is ``v1:{timestamp}:{raw body}``; the signature is its HMAC-SHA256 with the shared secret,
sent as ``X-Accessbot-Signature: v1=<hex>`` with the timestamp in ``X-Accessbot-Timestamp``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import datetime

TIMESTAMP_HEADER = "X-Accessbot-Timestamp"
SIGNATURE_HEADER = "X-Accessbot-Signature"
ACTION_ID_HEADER = "X-Accessbot-Action-Id"


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The signature header value for a body sent at ``timestamp`` (epoch seconds as text)."""
    key = secret.encode() if isinstance(secret, str) else secret
    mac = hmac.new(key, b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signature(secret: str | bytes, headers: Mapping[str, str], body: bytes,
                     now: float | datetime | None = None, tolerance: float = 300) -> bool:
    """True when ``body`` was signed by a holder of ``secret`` within ``tolerance`` seconds of ``now``.

    ``headers`` may use any capitalisation. Several ``v1=`` values separated by commas are
    accepted (sent while a secret is being rotated). Compare in constant time; reject stale
    timestamps so a captured request cannot be replayed later.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "").strip()
    if not timestamp.isdigit():
        return False
    current = now.timestamp() if isinstance(now, datetime) else (time.time() if now is None else now)
    if abs(current - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    offered = [part.strip() for part in lowered.get(SIGNATURE_HEADER.lower(), "").split(",")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered if candidate)
