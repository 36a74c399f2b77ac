"""Signing of accessbot's ``v1`` webhook requests: the sending half and the receiving half.

The one implementation of the signature, used both ways: the webhook connector signs what it sends
to a customer's endpoint, and ``/hooks/hr`` checks what an HR system sends us. Standard library
only, so a customer can copy this file next to their endpoint. The signed string is
``v1:{timestamp}:{raw body}``; the signature is its HMAC-SHA256 with the shared secret, sent as
``X-Accessbot-Signature: v1=<hex>`` with the timestamp (Unix seconds) in ``X-Accessbot-Timestamp``.

Rotating a secret without a flag day: the sender signs with every secret it holds (the new one
first), as comma-separated ``v1=`` values; the receiver accepts a request that any of the secrets
it holds signed. So either side can move to the new secret first, and the old one is dropped once
both hold the new one. An empty secret signs nothing and verifies nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime

TIMESTAMP_HEADER = "X-Accessbot-Timestamp"
SIGNATURE_HEADER = "X-Accessbot-Signature"
ACTION_ID_HEADER = "X-Accessbot-Action-Id"
TOLERANCE_SECONDS = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() would also take " 1", "1_0" or "١"

MAX_SIGNATURES = 4  # a rotation needs two; more is a header built to make us compute
Secrets = str | bytes | Iterable[str | bytes]


def _keys(secrets: Secrets) -> list[bytes]:
    """The usable keys, in order; blank ones are dropped so they can never match."""
    items = [secrets] if isinstance(secrets, str | bytes) else list(secrets)
    keys = [s.encode() if isinstance(s, str) else bytes(s) for s in items]
    return [k for k in keys if k.strip()]


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """The signature value (``v1=<hex>``) for a body sent at ``timestamp`` (Unix seconds)."""
    [key] = _keys(secret) or [None]
    if key is None:
        raise ValueError("an empty secret cannot sign")
    mac = hmac.new(key, b"v1:" + str(timestamp).encode() + b":" + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signature_header(secrets: Secrets, timestamp: int | str, body: bytes) -> str:
    """The ``X-Accessbot-Signature`` value: one signature per secret, the newest first."""
    return ", ".join(sign(key, timestamp, body) for key in _keys(secrets))


def signature_problem(secrets: Secrets, headers: Mapping[str, str], body: bytes,
                      now: float | datetime | None = None, tolerance: float = TOLERANCE_SECONDS) -> str | None:
    """Why the request is not authentic, or None. Never says anything about the secrets.

    ``headers`` may use any capitalisation. Compares in constant time; refuses timestamps more than
    ``tolerance`` seconds from ``now`` so a captured request cannot be replayed later.
    """
    keys = _keys(secrets)
    if not keys:
        return "no secret is configured to check the signature"
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = (lowered.get(TIMESTAMP_HEADER.lower()) or "").strip()
    offered = [part.strip() for part in (lowered.get(SIGNATURE_HEADER.lower()) or "").split(",")]
    offered = [part for part in offered if part][:MAX_SIGNATURES]
    if not timestamp or not offered:
        return f"both {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required"
    if not _TIMESTAMP.fullmatch(timestamp):
        return f"{TIMESTAMP_HEADER} must be Unix seconds"
    current = now.timestamp() if isinstance(now, datetime) else (time.time() if now is None else now)
    if abs(current - int(timestamp)) > tolerance:
        return f"{TIMESTAMP_HEADER} is more than {int(tolerance) // 60} minutes away from our clock"
    expected = [sign(key, timestamp, body).encode() for key in keys]
    # Every pair is compared, so the time taken says nothing about which one matched.
    matches = [hmac.compare_digest(e, o.encode()) for e in expected for o in offered]
    return None if any(matches) else "the signature does not match the body"


def verify_signature(secrets: Secrets, headers: Mapping[str, str], body: bytes,
                     now: float | datetime | None = None, tolerance: float = TOLERANCE_SECONDS) -> bool:
    """True when ``body`` was signed by a holder of any of ``secrets`` within ``tolerance`` seconds."""
    return signature_problem(secrets, headers, body, now, tolerance) is None
